/**
 * Kernel threads and stack traces on the real fixture dumps, compared with
 * drgn 0.0.22's reference JSON where drgn is right (sleeping tasks: every
 * frame's name, PC, SP, symbol, source line and flags) and with the ground
 * truth where it is not: drgn matches QEMU's NT_PRSTATUS notes to tasks by
 * `pr_pid` (vCPU index + 1), so PID 1 and 2 get CPU registers and the tasks
 * really on a CPU get garbage. Here the notes are matched by CPU: CPU 0's
 * current task (the idle task) unwinds from `native_safe_halt` to
 * `secondary_startup_64`, CPU 1's (in user mode) is one frame at the user PC
 * of its note, and PID 1 and 2 unwind from their switch frames.
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { LookupError } from "../../../lib/errors.ts";
import {
  type KernelFormat,
  kernelProgram,
  kernelReference,
  sampleModule,
  sampleQemuDump,
  sampleVmlinux,
} from "../../_programs.ts";
import { describeFrames, hex as hx } from "./_kernel_checks.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Names of the idle loop on CPU 0 of the fixture kernel (Debian 6.1, QEMU TCG). */
const CPU0_IDLE = [
  "native_safe_halt",
  "arch_safe_halt",
  "default_idle",
  "amd_e400_idle",
  "default_idle_call",
  "cpuidle_idle_call",
  "do_idle",
  "cpu_startup_entry",
  "rest_init",
  "arch_call_rest_init",
  "start_kernel",
  null, // secondary_startup_64 (assembly)
];

async function checkKernelFormat(format: KernelFormat, refFormat: KernelFormat) {
  const prog = await kernelProgram(format);
  const ref: Json = kernelReference(refFormat);
  const notes: Json[] = ref.prstatus;
  const notePids = new Set(notes.map((n) => n.pr_pid));
  const runningPids = new Set(ref.tasks.filter((t: Json) => t.on_cpu).map((t: Json) => t.pid));
  let compared = 0;
  for (const [key, entry] of Object.entries(ref.stack_traces as Record<string, Json>)) {
    if (entry.pid === 0 || runningPids.has(entry.pid)) continue;
    const trace = prog.stackTrace(entry.pid);
    assert.equal(trace.truncated, null, `${key}: ${trace.stopReason}`);
    if (notePids.has(entry.pid)) {
      // drgn took a CPU's registers for this sleeping task.
      assert.equal(trace[0]!.name, "context_switch", key);
      assert.equal(trace[1]!.name, "__schedule", key);
      continue;
    }
    assert.equal(String(trace), entry.text, key);
    assert.deepEqual(describeFrames(trace), entry.frames, key);
    compared++;
  }
  assert.ok(compared >= 9, `${compared}`);

  // The tasks on the CPUs, by CPU: note 0 is CPU 0 (idle, kernel mode), note 1 CPU 1 (user mode).
  const cpu0 = prog.stackTrace(prog.thread(0));
  assert.deepEqual(cpu0.frames.map((f) => f.name), CPU0_IDLE);
  assert.equal(hx(cpu0[0]!.pc), notes[0].rip);
  assert.equal(hx(cpu0[0]!.sp), notes[0].rsp);
  assert.equal(cpu0[0]!.interrupted, true);
  assert.equal(cpu0[11]!.symbol().name, "secondary_startup_64");
  assert.equal(cpu0.truncated, null);
  const spinPid = ref.percpu[1].curr_pid;
  const cpu1 = prog.stackTrace(spinPid);
  assert.equal(notes[1].user_mode, true);
  assert.equal(String(cpu1), `#0  ${notes[1].rip}`);
  assert.equal(hx(cpu1[0]!.sp), notes[1].rsp);
  assert.equal(cpu1[0]!.interrupted, true);
  assert.equal(cpu1.truncated, null);
  // drgn printed the idle loop for PID 1; it is init, asleep in wait4().
  const init = prog.stackTrace(1);
  assert.deepEqual(
    init.frames.slice(0, 6).map((f) => f.name),
    ["context_switch", "__schedule", "schedule", "do_wait", "kernel_wait4", "__do_sys_wait4"],
  );
  assert.equal(init[init.length - 1]!.interrupted, true); // the user-mode frame below pt_regs
  assert.ok(init[init.length - 1]!.pc < 0x800000000000n);
}

Deno.test("kernel stack traces (kdump): sleeping tasks as drgn, running tasks by CPU", async () => {
  await checkKernelFormat("mdf-c-d31.kdump", "mdf-c-d31.kdump");
});

Deno.test("kernel stack traces (QEMU paging ELF) as on the kdump", async () => {
  await checkKernelFormat("paging.elf", "paging.elf");
});

Deno.test("kernel stack traces (makedumpfile -E, physical addresses only; drgn 0.0.22 cannot read it)", async () => {
  await checkKernelFormat("mdf-E-d31.elf", "mdf-c-d31.kdump");
});

Deno.test("kernel stack traces (5-level paging)", async () => {
  await checkKernelFormat("la57.kdump", "la57.kdump");
});

Deno.test("kernel threads: drgn's order and count, task objects, crashed and main thread", async () => {
  const prog = await kernelProgram("mdf-c-d31.kdump");
  const ref: Json = kernelReference("mdf-c-d31.kdump");
  const threads = [...prog.threads()];
  assert.equal(threads.length, ref.threads_count);
  assert.equal(threads[threads.length - 1]!.tid, 0);
  assert.deepEqual(
    new Set(threads.map((t) => t.tid)),
    new Set([0, ...ref.tasks.map((t: Json) => t.pid)]),
  );
  // Each process is followed by its other threads (kfix_thr0's group).
  const tids = threads.map((t) => t.tid);
  const leader = tids.indexOf(112);
  assert.deepEqual(tids.slice(leader, leader + 4), [112, 117, 118, 119]);
  for (const t of threads) {
    assert.equal(Number(t.object.pid.value_()), t.tid);
    assert.equal(t.object.comm.string_(), t.name);
  }
  assert.equal(prog.thread(120).name, "httpd");
  assert.throws(() => prog.thread(99999), LookupError);
  assert.throws(() => prog.mainThread(), TypeError);
  // No panic: the crashed thread is the current task of the first note's CPU (CPU 0, idle).
  assert.equal(prog.crashedThread().tid, 0);
  assert.equal(prog.crashedThread().object.comm.string_(), "swapper/0");
  // By task object, pointer or struct.
  const httpd = prog.thread(120).object;
  assert.equal(String(prog.stackTrace(httpd)), ref.stack_traces.httpd.text);
  assert.equal(String(prog.stackTrace(httpd.deref_())), ref.stack_traces.httpd.text);
  // CPU 1's idle task (not in the task list, not current: CPU 1 ran kfix_spin), by object.
  const rq = prog.object("runqueues");
  const off = prog.object("__per_cpu_offset").subscript_(1).value_() as bigint;
  const idle1 = prog.objectAt(rq.type_, rq.address_! + off).member_("idle");
  assert.equal(idle1.comm.string_(), "swapper/1");
  assert.deepEqual(
    prog.stackTrace(idle1).frames.map((f) => f.name),
    [
      "context_switch",
      "__schedule",
      "schedule_idle",
      "do_idle",
      "cpu_startup_entry",
      "start_secondary",
      null,
    ],
  );
  // Registers: CPU 0's note for the idle task, none for a sleeping task.
  assert.equal(hx(prog.thread(0).registers()!.rip!), ref.prstatus[0].rip);
  assert.equal(prog.thread(120).registers(), null);
  // Frames: registers, locals, variables.
  const trace = prog.stackTrace(120);
  assert.equal(trace[0]!.register("rip"), trace[0]!.pc);
  assert.ok(trace[0]!.locals().includes("prev"));
  const prev = trace[0]!.get("prev");
  if (!prev.absent_) assert.equal(prev.value_(), httpd.value_());
});

Deno.test("kernel stack traces: a zombie whose freed stack was reused has no frames, with a marker", async () => {
  for (const format of ["mdf-c-d31.kdump", "la57.kdump"] as const) {
    const prog = await kernelProgram(format);
    const zombies = (kernelReference(format).tasks as Json[]).filter((t) => t.state === "Z");
    assert.ok(zombies.length >= 1, format);
    for (const z of zombies) {
      const task = prog.thread(z.pid).object;
      // The kernel NULLs task->stack when it frees the stack; here the memory
      // was reused (drgn 0.0.22 prints "#0  0xb54"). The sample kernel's
      // zombie (below) still has its last frames, as drgn shows them.
      assert.equal(task.stack.value_(), 0n);
      const trace = prog.stackTrace(task);
      assert.equal(trace.length, 0);
      assert.equal(trace.truncated, "no_stack");
      assert.equal(
        String(trace),
        "... stack trace truncated (no_stack): the task has exited and its kernel stack was freed and reused (task->stack is NULL)",
      );
    }
    // Tasks with a stack are unaffected: every other task has frames.
    for (const t of prog.threads()) {
      if (zombies.some((z) => z.pid === t.tid)) continue;
      assert.ok(prog.stackTrace(t).length >= 1, `${format} ${t.tid}`);
    }
  }
});

Deno.test("sample kernel (kdump and QEMU's flattened kdump): module frames unwound by the module's ORC", async () => {
  const ref: Json = JSON.parse(
    Deno.readTextFileSync(new URL("../../data/sample/mdf-c-d31.kdump.json", import.meta.url)),
  );
  for (
    const path of [
      new URL("../../data/sample/vmcore.mdf-c-d31.kdump", import.meta.url).pathname,
      await sampleQemuDump(),
    ]
  ) {
    const prog = new Program();
    prog.setCoreDump(path);
    prog.loadDebugInfo([await sampleVmlinux(), await sampleModule()]);
    const notePids = new Set(ref.prstatus.map((n: Json) => n.pr_pid));
    const running = new Set(ref.percpu.map((c: Json) => c.curr_pid));
    let compared = 0;
    for (const [key, entry] of Object.entries(ref.stack_traces as Record<string, Json>)) {
      if (running.has(entry.pid) || notePids.has(entry.pid)) continue;
      assert.equal(String(prog.stackTrace(entry.pid)), entry.text, key);
      compared++;
    }
    assert.ok(compared >= 10);
    const demo = [...prog.threads()].find((t) => t.name === "wyvern_demo")!;
    const trace = demo.stackTrace();
    const inModule = trace.frames.filter((f) => f.name?.startsWith("wyvern_demo_"));
    assert.equal(inModule.length, 2);
    assert.equal(inModule[0]!.source().file, "/usr/src/wyvern_demo/wyvern_demo.c");
    // The idle task of CPU 0 from its note.
    const cpu0 = prog.stackTrace(0);
    assert.equal(cpu0[0]!.name, "native_safe_halt");
    assert.equal(hx(cpu0[0]!.pc), ref.prstatus[0].rip);
    assert.equal(cpu0[cpu0.length - 1]!.symbol().name, "secondary_startup_64");
    // CPU 1 was in user mode.
    const spin = prog.stackTrace(ref.percpu[1].curr_pid);
    assert.equal(String(spin), `#0  ${ref.prstatus[1].rip}`);
  }
});
