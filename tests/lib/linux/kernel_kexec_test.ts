/**
 * A real kdump: Debian's 6.1.0-56-amd64 (the fixture's kernel, so its
 * vmlinux and module debug files) crashed with sysrq c by PID 1 and
 * captured by a kexec'd crash kernel running `makedumpfile -c -d 31` on
 * /proc/vmcore (tests/data/kernel/kexec-512m/, made by `STEPS="la57-fetch
 * kexec-initramfs kexec-dump kexec-reference" bash scripts/sample/make.sh`).
 * Its NT_PRSTATUS notes are kexec's: the panicking CPU's registers from
 * crash_setup_regs(), with the real PIDs, so drgn 0.0.22 is right about the
 * tasks on CPUs too: every answer of its reference is compared, every task
 * of the dump is compared with its task list, and every stack trace of the
 * reference with Wyvern's, frame by frame. Only the zombie differs: its
 * freed stack was reused, where drgn prints garbage.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { forEachTask } from "../../../helpers/linux/pid.ts";
import { taskCpu, taskStateToChar } from "../../../helpers/linux/sched.ts";
import { KERNEL, KERNEL_MODULES } from "../../_programs.ts";
import { vmlinux } from "../elf/_fixtures.ts";
import { checkKernel, describeFrames, hex } from "./_kernel_checks.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const DIR = new URL("../../data/kernel/kexec-512m/", import.meta.url).pathname;

async function kexecProgram(): Promise<{ prog: Program; ref: Json }> {
  const prog = new Program();
  prog.setCoreDump(join(DIR, "vmcore.mdf-c-d31.kdump"));
  prog.loadDebugInfo([
    await vmlinux(),
    ...KERNEL_MODULES.map((m) => join(KERNEL, "debug", `${m}.ko`)),
  ]);
  const ref = JSON.parse(Deno.readTextFileSync(join(DIR, "mdf-c-d31.kdump.json")));
  return { prog, ref };
}

Deno.test("kexec kdump: drgn's answers (release, symbols, types, modules, per-CPU, tasks)", async () => {
  const { prog, ref } = await kexecProgram();
  checkKernel(prog, ref, "kexec");
  const tasks = [...forEachTask(prog)].map((t) => ({
    comm: t.comm.string_(),
    cpu: taskCpu(t),
    pid: Number(t.pid.value_()),
    state: taskStateToChar(t),
  })).sort((a, b) => a.pid - b.pid);
  const want = (ref.tasks as Json[]).map((t) => ({
    comm: t.comm,
    cpu: t.cpu,
    pid: t.pid,
    state: t.state,
  })).sort((a, b) => a.pid - b.pid);
  assert.deepEqual(tasks, want);
  // The panic: PID 1 wrote 'c' to /proc/sysrq-trigger on CPU 0.
  assert.equal(ref.crashed_thread.tid, 1);
  assert.equal(prog.crashedThread().tid, 1);
  assert.equal(ref.prstatus[0].pr_pid, 1);
});

Deno.test("kexec kdump: every stack trace of drgn's reference, frame by frame, and the zombie", async () => {
  const { prog, ref } = await kexecProgram();
  let compared = 0;
  for (const [key, entry] of Object.entries(ref.stack_traces as Record<string, Json>)) {
    const trace = prog.stackTrace(entry.pid);
    assert.equal(String(trace), entry.text, key);
    assert.deepEqual(describeFrames(trace), entry.frames, key);
    compared++;
  }
  assert.ok(compared >= 10, `${compared}`);
  // The crashed thread's trace starts in crash_setup_regs() (kexec's saved
  // registers), then __crash_kexec() and panic() from the sysrq write.
  const crashed = prog.stackTrace(prog.crashedThread());
  assert.deepEqual(
    crashed.frames.slice(0, 4).map((f) => f.name),
    ["crash_setup_regs", "__crash_kexec", "panic", "sysrq_handle_crash"],
  );
  // CPU 1 was in user mode: one frame at its note's user PC.
  const user = ref.prstatus[1];
  assert.equal(user.user_mode, true);
  assert.equal(String(prog.stackTrace(user.pr_pid)), `#0  ${user.rip}`);
  assert.equal(hex(prog.stackTrace(user.pr_pid)[0]!.sp), user.rsp);
  // The zombie's freed stack was reused (drgn 0.0.22 prints 1,024 garbage frames).
  const zombie = (ref.tasks as Json[]).find((t) => t.state === "Z")!;
  const trace = prog.stackTrace(zombie.pid);
  assert.equal(trace.length, 0);
  assert.equal(trace.truncated, "no_stack");
});
