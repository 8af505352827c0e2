/**
 * The crashed thread and the stack traces of a real panic: the panic sample
 * (tests/data/kernel/panic-sample/, made by `scripts/sample/make.sh` steps
 * panic-*): the sample kernel (Linux 6.1, ORC) booted with panic=0, whose
 * module wyvern_panic starts a kernel thread, wyv_panicker (PID 27), bound to
 * CPU 1, that calls panic("wyvern: test panic"). panic() stopped CPU 0 with
 * smp_send_stop() (the REBOOT_VECTOR IPI, taken in CPU 0's idle loop:
 * `sysvec_reboot` on its IRQ stack → `stop_this_cpu()`, halted) and loops
 * forever in mdelay() on CPU 1; QEMU then stopped and dumped the VM.
 *
 * - `prog.crashedThread()` is the task on `panic_cpu` (1): wyv_panicker; its
 *   trace runs from panic()'s delay loop through the module to
 *   `ret_from_fork`;
 * - CPU 0's trace crosses from the IRQ stack (the word at the top of it is the
 *   task-stack sp) to init_task's stack and through the `struct pt_regs` of
 *   the IPI to the interrupted idle loop;
 * - PIDs 1 and 2, asleep, unwind from their own switch frames.
 *
 * The expected frames are checked independently of the unwinder: every return
 * address follows a call to the function of the frame inside it (the code
 * bytes in the dump; offsets as gdb disassembles the vmlinux and objdump the
 * module: see the dump's README). drgn 0.0.22 (`drgn.json`, from irq-sample's
 * `drgn_ref.py`) gives CPU 0's registers to PID 1 and CPU 1's to PID 2
 * (matching QEMU's notes by `pr_pid`); on CPU 1's its frames are Wyvern's, on
 * CPU 0's it stops at the top of the IRQ stack.
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import type { Program } from "../../../lib/program/program.ts";
import type { StackTrace } from "../../../lib/program/stack_trace.ts";
import { cpuCurr, crashedCpu } from "../../../lib/linux/kernel_stack.ts";
import { kernelInfo } from "../../../lib/linux/kernel.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { cast } from "../../../lib/object/operators.ts";
import { sampleVmlinux } from "../../_programs.ts";
import {
  assertDirectCallBefore,
  describe,
  frameName,
  hx,
  IRQ_STACK_SIZE,
  type Json,
  perCpuAddress,
  sampleDir,
  sampleDumpProgram,
  symbolOrNull,
  THREAD_SIZE,
} from "./_qemu_samples.ts";

const DIR = sampleDir("panic-sample");
const SOURCE = "/usr/src/wyvern_panic/wyvern_panic.c";
/** include/linux/sched.h: PF_KTHREAD. */
const PF_KTHREAD = 0x00200000n;

const panicProgram = () => sampleDumpProgram("panic-sample", "wyvern_panic");

/**
 * Checks that each listed frame's pc (a return address) is symbol+offset and
 * follows a call: `[offset, callee]`, the callee a symbol for a direct call
 * (e8 rel32), or the bytes of an indirect `call *%reg`.
 */
function checkReturns(
  prog: Program,
  trace: StackTrace,
  returns: Record<string, [number, string | number[]]>,
) {
  let checked = 0;
  for (const f of trace.frames) {
    const sym = symbolOrNull(f);
    if (f.isInline || f.interrupted || sym === null) continue;
    const want = returns[sym.name];
    if (want === undefined) continue;
    assert.equal(Number(f.pc - sym.address), want[0], sym.name);
    if (typeof want[1] !== "string") {
      const n = want[1].length;
      assert.deepEqual([...prog.read(f.pc - BigInt(n), n)], want[1], sym.name);
    } else {
      assertDirectCallBefore(prog, f.pc, want[1], sym.name);
    }
    checked++;
  }
  assert.equal(checked, Object.keys(returns).length);
}

function drgnRef(): Json {
  return JSON.parse(Deno.readTextFileSync(DIR + "drgn.json"));
}

Deno.test("panic sample: panic_cpu is 1 and the crashed thread is wyv_panicker", async () => {
  const prog = await panicProgram();
  const con = Deno.readTextFileSync(DIR + "console.log");
  assert.ok(con.includes("Kernel panic - not syncing: wyvern: test panic"));
  assert.ok(con.includes("---[ end Kernel panic - not syncing: wyvern: test panic ]---"));
  assert.ok(con.includes("CPU: 1 PID: 27 Comm: wyv_panicker"));
  // The shipped sample vmlinux is the dumped kernel.
  const vi = kernelInfo(prog).vmcoreinfo;
  assert.equal(vi.buildId, ElfFile.open(await sampleVmlinux()).buildIdHex());
  assert.equal(vi.kaslrOffset, 0x1ea00000n);
  assert.equal(prog.object("panic_cpu").counter.value_(), 1);
  assert.equal(prog.object("crashing_cpu").value_(), -1); // no kexec crash path
  assert.equal(prog.object("wyvern_panic_cpu").value_(), 1);
  assert.equal(kernelInfo(prog).prstatus.length, 2);
  assert.equal(crashedCpu(prog), 1);
  const thread = prog.crashedThread();
  assert.equal(thread.tid, 27);
  assert.equal(thread.name, "wyv_panicker");
  const task = cpuCurr(prog, 1);
  assert.equal(task.pid.value_(), 27);
  assert.equal(task.comm.string_(), "wyv_panicker");
  assert.equal(BigInt(task.flags.value_() as number) & PF_KTHREAD, PF_KTHREAD);
  assert.equal(task.real_parent.comm.string_(), "kthreadd");
  // Both CPUs in the kernel; CPU 1 with interrupts on (panic() enables them
  // before its loop), CPU 0 with them off (in the IPI handler).
  const notes = kernelInfo(prog).prstatus;
  for (const n of notes) assert.equal(n.registers.cs, 0x10n);
  assert.equal(notes[1]!.registers.eflags! & 0x200n, 0x200n);
  assert.equal(notes[0]!.registers.eflags! & 0x200n, 0n);
});

Deno.test("panic sample: the crashed thread's trace runs from panic()'s loop to ret_from_fork", async () => {
  const prog = await panicProgram();
  const thread = prog.crashedThread();
  const trace = prog.stackTrace(thread);
  assert.equal(trace.truncated, null, trace.stopReason ?? "");
  assert.deepEqual(trace.frames.map(frameName), [
    "delay_tsc", // mdelay() -> __const_udelay() -> __delay() -> delay_fn: tail calls
    "panic",
    "wyvern_panic_now",
    "wyvern_panic_thread",
    "kthread",
    "ret_from_fork",
  ]);
  assert.deepEqual(trace.frames.map((f) => [f.isInline, f.interrupted]), [
    [false, true],
    [false, false],
    [false, false],
    [false, false],
    [false, false],
    [false, false],
  ]);
  const regs = kernelInfo(prog).prstatus[1]!.registers;
  assert.equal(trace[0]!.pc, regs.rip);
  assert.equal(trace[0]!.sp, regs.rsp);
  assert.equal(prog.readU8(trace[0]!.pc - 2n), 0xf3); // `pause` (f3 90) before it
  assert.equal(prog.readU8(trace[0]!.pc - 1n), 0x90);
  // The tail calls: __const_udelay jumps to __delay, which jumps through delay_fn.
  assert.equal(prog.object("delay_fn").value_(), prog.symbol("delay_tsc").address);
  // Every frame on wyv_panicker's stack.
  const stack = cpuCurr(prog, 1).stack.value_() as bigint;
  for (const [i, f] of trace.frames.entries()) {
    assert.ok(f.sp >= stack && f.sp < stack + THREAD_SIZE, `frame ${i} sp ${hx(f.sp)}`);
  }
  assert.deepEqual([trace[1]!.source().file, trace[1]!.source().line], ["kernel/panic.c", 459]);
  for (const [i, line] of [[2, 33], [3, 40]] as const) {
    const f = trace[i]!;
    assert.deepEqual([f.source().file, f.source().line], [SOURCE, line]);
    assert.equal(f.machine.module?.name, "wyvern_panic");
  }
  // panic() does not return: wyvern_panic_now's call is its last instruction,
  // and its return address is the first byte of wyvern_panic_thread. The frame
  // still belongs to wyvern_panic_now (looked up at pc - 1), as the kernel's
  // own report says ("wyvern_panic_now+0x19/0x19").
  const now = prog.symbol("wyvern_panic_now");
  assert.equal(trace[2]!.pc, now.address + now.size);
  assert.equal(trace[2]!.pc, prog.symbol("wyvern_panic_thread").address);
  checkReturns(prog, trace, {
    panic: [641, "__const_udelay"], // mdelay(PANIC_TIMER_STEP)
    wyvern_panic_now: [25, "panic"],
    wyvern_panic_thread: [15, "wyvern_panic_now"],
    kthread: [165, [0x41, 0xff, 0xd4]], // call *%r12: threadfn(data)
    ret_from_fork: [31, [0xff, 0xd3]], // call *%rbx: the kthread function
  });
  // The function kthread() called is the module's: its struct kthread's threadfn.
  const kt = cast(prog.type("struct kthread *"), cpuCurr(prog, 1).worker_private);
  assert.equal(prog.symbol(kt.threadfn.value_() as bigint).name, "wyvern_panic_thread");
  // drgn 0.0.22 gives CPU 1's registers to PID 2: the same frames, all of them.
  const drgn: Json[] = drgnRef().traces["pid 2"].frames;
  assert.equal(drgn.length, trace.length);
  for (let i = 0; i < trace.length; i++) assert.deepEqual(describe(trace, i), drgn[i], `${i}`);
});

Deno.test("panic sample: CPU 0, stopped by the REBOOT_VECTOR IPI, crosses from its IRQ stack to pt_regs", async () => {
  const prog = await panicProgram();
  const task = cpuCurr(prog, 0);
  assert.equal(task.comm.string_(), "swapper/0");
  const trace = prog.stackTrace(task);
  assert.equal(trace.truncated, null, trace.stopReason ?? "");
  const expected: [string, boolean, boolean][] = [
    ["native_halt", true, true],
    ["stop_this_cpu", false, true],
    ["__sysvec_reboot", false, false],
    ["instr_sysvec_reboot", true, false],
    ["sysvec_reboot", false, false],
    ["asm_sysvec_reboot", false, false],
    // init_task's stack: the interrupted idle loop
    ["native_safe_halt", false, true],
    ["default_idle_call", false, false],
    ["cpuidle_idle_call", true, false],
    ["do_idle", false, false],
    ["cpu_startup_entry", false, false],
    ["rest_init", false, false],
    ["arch_call_rest_init", false, false],
    ["start_kernel", false, false],
    ["secondary_startup_64", false, false],
  ];
  assert.deepEqual(trace.frames.map(frameName), expected.map((e) => e[0]));
  assert.deepEqual(
    trace.frames.map((f) => [f.isInline, f.interrupted]),
    expected.map((e) => [e[1], e[2]]),
  );
  const regs = kernelInfo(prog).prstatus[0]!.registers;
  assert.equal(trace[0]!.pc, regs.rip);
  assert.equal(trace[0]!.sp, regs.rsp);
  assert.equal(prog.readU8(regs.rip! - 1n), 0xf4); // hlt
  assert.deepEqual([trace[1]!.source().file, trace[1]!.source().line], [
    "arch/x86/kernel/process.c",
    808,
  ]);
  // Frames #0-#4 on CPU 0's IRQ stack: hardirq_stack_ptr is its top word,
  // which holds the task-stack sp that call_on_irqstack saved.
  const top = prog.readU64(perCpuAddress(prog, "hardirq_stack_ptr", 0));
  const initStack = prog.object("init_task").stack.value_() as bigint;
  const onTask = (sp: bigint) => sp >= initStack && sp < initStack + THREAD_SIZE;
  for (const [i, f] of trace.frames.entries()) {
    const onIrq = f.sp > top + 8n - IRQ_STACK_SIZE && f.sp <= top;
    assert.ok(i < 5 ? onIrq : onTask(f.sp), `frame ${i} sp ${hx(f.sp)}`);
  }
  assert.equal(trace[4]!.sp, top);
  const saved = prog.readU64(top);
  assert.ok(onTask(saved) && saved < trace[5]!.sp, hx(saved));
  // asm_sysvec_reboot's sp is the struct pt_regs of the IPI: the interrupted
  // idle loop's registers (after `sti; hlt`), kernel mode, orig_ax -1 (a system vector).
  const ptRegs = prog.objectAt(prog.type("struct pt_regs"), trace[5]!.sp);
  const outer = trace[6]!;
  assert.equal(ptRegs.ip.value_(), outer.pc);
  assert.equal(ptRegs.sp.value_(), outer.sp);
  assert.equal(ptRegs.cs.value_(), 0x10n);
  assert.equal(ptRegs.ss.value_(), 0x18n);
  assert.equal(ptRegs.orig_ax.value_(), 0xffffffffffffffffn);
  assert.equal(outer.register("rbp"), ptRegs.bp.value_());
  assert.equal(prog.readU8(outer.pc - 1n), 0xf4); // hlt
  // stop_this_cpu() does not return: __sysvec_reboot's return address is the
  // next function, but the frame is __sysvec_reboot's (pc - 1).
  assert.equal(prog.symbol(trace[2]!.pc).name, "__sysvec_call_function");
  assert.deepEqual([trace[2]!.source().file, trace[2]!.source().line], [
    "arch/x86/kernel/smp.c",
    140,
  ]);
  checkReturns(prog, trace, {
    __sysvec_reboot: [17, "stop_this_cpu"],
    sysvec_reboot: [80, "__sysvec_reboot"],
    asm_sysvec_reboot: [22, "sysvec_reboot"],
    default_idle_call: [33, "arch_cpu_idle"],
    do_idle: [104, "default_idle_call"],
    cpu_startup_entry: [37, "do_idle"],
    rest_init: [156, "cpu_startup_entry"],
  });
  // drgn 0.0.22 gives CPU 0's registers to PID 1 (its crashed thread): the
  // same frames on the IRQ stack, then `???`: it does not leave it.
  const ref: Json = drgnRef().traces["crashed_thread"];
  assert.equal(ref.pid, 1);
  const drgn: Json[] = ref.frames;
  assert.equal(drgn.length, 6);
  for (let i = 0; i < 5; i++) assert.deepEqual(describe(trace, i), drgn[i], `${i}`);
  assert.equal(drgn[5].pc, null);
});

Deno.test("panic sample: PIDs 1 and 2 unwind from their switch frames (drgn 0.0.22 gives them the CPUs' registers)", async () => {
  const prog = await panicProgram();
  const ref: Json = drgnRef();
  assert.equal(ref.traces["crashed_thread"].pid, 1);
  assert.equal(ref.traces["pid 2"].pid, 2);
  const notes = kernelInfo(prog).prstatus;
  // QEMU's notes carry pr_pid = vCPU index + 1, not a task's PID.
  assert.deepEqual(notes.map((n) => n.pid), [1, 2]);
  const tails: Record<number, string[]> = {
    1: ["__do_sys_pause", "do_syscall_x64", "do_syscall_64", "entry_SYSCALL_64", ""],
    2: ["kthreadd", "ret_from_fork"],
  };
  for (const [pid, comm] of [[1, "init"], [2, "kthreadd"]] as const) {
    const thread = prog.thread(pid);
    assert.equal(thread.name, comm);
    const task = thread.object;
    const trace = prog.stackTrace(pid);
    assert.equal(trace.truncated, null, trace.stopReason ?? "");
    assert.deepEqual(trace.frames.map(frameName), [
      "context_switch",
      "__schedule",
      "schedule",
      ...tails[pid]!,
    ]);
    assert.equal(trace[0]!.interrupted, false);
    // The switch frame: thread.sp points at struct inactive_task_frame.
    const sp = task.thread.sp.value_() as bigint;
    const frame = prog.objectAt(prog.type("struct inactive_task_frame"), sp);
    assert.equal(trace[0]!.pc, frame.ret_addr.value_());
    assert.equal(trace[0]!.symbol().name, "__schedule");
    for (const n of notes) assert.notEqual(trace[0]!.pc, n.registers.rip);
    const stack = task.stack.value_() as bigint;
    for (const f of trace.frames.slice(0, -1)) {
      assert.ok(f.sp >= stack && f.sp < stack + THREAD_SIZE);
    }
  }
  // PID 1 ends at its user-mode pc (pause() in the static /init).
  const last = prog.stackTrace(1).frames.at(-1)!;
  assert.ok(last.pc < 0x800000000000n);
  assert.equal(last.name, null);
  // drgn's trace of the task really on CPU 1 is one garbage frame (`#0  0x0`).
  const garbage: Json[] = ref.traces["cpu_curr(1)"].frames;
  assert.equal(garbage.length, 1);
  assert.equal(garbage[0].symbol, null);
});
