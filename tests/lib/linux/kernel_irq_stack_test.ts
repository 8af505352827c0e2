/**
 * Kernel stack traces across the IRQ stack, on a real dump: the IRQ sample
 * (tests/data/kernel/irq-sample/, made by `scripts/sample/make.sh` steps
 * irq-*): the sample kernel (Linux 6.1, ORC) stopped by QEMU while the
 * callbacks of two timers of module wyvern_irq spin forever, each on its CPU's
 * IRQ stack, having interrupted that CPU's idle loop:
 *
 * - CPU 1: an hrtimer callback, in hard-IRQ context (from the tick);
 * - CPU 0: a timer_list callback, in the TIMER_SOFTIRQ that `irq_exit_rcu()`
 *   ran at the end of a tick interrupt.
 *
 * The expected frames are checked independently of the unwinder: each CPU's
 * `NT_PRSTATUS` rsp lies in its IRQ stack (`hardirq_stack_ptr`), the
 * task-stack pointer that `call_on_irqstack()` saved at the top of the IRQ
 * stack lies in the idle task's stack just below the `struct pt_regs` that
 * `asm_sysvec_apic_timer_interrupt` pushed, whose ip and sp are the
 * interrupted frame's, and every return address follows a call instruction to
 * the function of the frame inside it (offsets as gdb disassembles the
 * vmlinux: see the dump's README). drgn 0.0.22 (`drgn.json`, from the committed
 * `drgn_ref.py`) gives CPU 1's registers to PID 2 and CPU 0's to PID 1
 * (matching QEMU's notes by `pr_pid`): its frames on the IRQ stacks are
 * Wyvern's, and it stops at the switch to the task stack (`???`).
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import type { Program } from "../../../lib/program/program.ts";
import { cpuCurr } from "../../../lib/linux/kernel_stack.ts";
import { kernelInfo } from "../../../lib/linux/kernel.ts";
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
  THREAD_SIZE,
} from "./_qemu_samples.ts";

const DIR = sampleDir("irq-sample");
const SOURCE = "/usr/src/wyvern_irq/wyvern_irq.c";

const irqProgram = () => sampleDumpProgram("irq-sample", "wyvern_irq");

/** The end of `cpu`'s IRQ stack (`hardirq_stack_ptr` = irq_stack + IRQ_STACK_SIZE - 8). */
function irqStackEnd(prog: Program, cpu: number): bigint {
  return prog.readU64(perCpuAddress(prog, "hardirq_stack_ptr", cpu)) + 8n;
}

interface Expected {
  readonly cpu: number;
  /** Innermost first: [name, inline, interrupted]. */
  readonly frames: readonly [string, boolean, boolean][];
  /** The first frame on the task stack (asm_sysvec_apic_timer_interrupt). */
  readonly firstTaskFrame: number;
  /** Module frames' source lines: frame index -> line of wyvern_irq.c. */
  readonly lines: Record<number, number>;
  /**
   * Return addresses as gdb disassembles them on the vmlinux and objdump on
   * the module: symbol -> [offset, callee of the call before it: a symbol for
   * a direct call, "indirect" for `call *reg` / `call *(reg)`].
   */
  readonly returns: Record<string, [number, string]>;
  /** drgn.json's trace holding this CPU's registers. */
  readonly drgn: string;
}

const IDLE_TAIL: [string, boolean, boolean][] = [
  ["asm_sysvec_apic_timer_interrupt", false, false],
  ["native_safe_halt", false, true], // pt_regs->ip, after `sti; hlt`
  ["default_idle_call", false, false],
  ["cpuidle_idle_call", true, false],
  ["do_idle", false, false],
  ["cpu_startup_entry", false, false],
];
const IDLE_RETURNS: Record<string, [number, string]> = {
  asm_sysvec_apic_timer_interrupt: [22, "sysvec_apic_timer_interrupt"],
  default_idle_call: [33, "arch_cpu_idle"],
  do_idle: [104, "default_idle_call"],
  cpu_startup_entry: [37, "do_idle"],
};

const CPU1: Expected = {
  cpu: 1,
  frames: [
    // IRQ stack
    ["rep_nop", true, true],
    ["cpu_relax", true, true],
    ["wyvern_irq_spin_inner", false, true],
    ["wyvern_irq_spin", false, false],
    ["__run_hrtimer", true, false],
    ["__hrtimer_run_queues", false, false],
    ["hrtimer_run_queues", false, false],
    ["run_local_timers", true, false],
    // tick_periodic() tail-calls update_process_times(): no frame of its own.
    ["update_process_times", false, false],
    ["tick_handle_periodic", false, false],
    ["local_apic_timer_interrupt", true, false],
    ["__sysvec_apic_timer_interrupt", false, false],
    ["instr_sysvec_apic_timer_interrupt", true, false],
    ["sysvec_apic_timer_interrupt", false, false],
    // task stack
    ...IDLE_TAIL,
    ["start_secondary", false, false],
    ["secondary_startup_64", false, false],
  ],
  firstTaskFrame: 14,
  lines: { 2: 38, 3: 46 },
  returns: {
    wyvern_irq_spin: [0x12, "wyvern_irq_spin_inner"],
    __hrtimer_run_queues: [181, "indirect"], // call *%rax: timer->function
    hrtimer_run_queues: [94, "__hrtimer_run_queues"],
    update_process_times: [41, "hrtimer_run_queues"],
    tick_handle_periodic: [27, "tick_periodic"],
    __sysvec_apic_timer_interrupt: [85, "indirect"], // call *(%rbx): evt->event_handler
    sysvec_apic_timer_interrupt: [87, "__sysvec_apic_timer_interrupt"],
    ...IDLE_RETURNS,
  },
  drgn: "pid 2",
};

const CPU0: Expected = {
  cpu: 0,
  frames: [
    // IRQ stack
    ["rep_nop", true, true],
    ["cpu_relax", true, true],
    ["wyvern_softirq_spin_inner", false, true],
    ["wyvern_softirq_spin", false, false],
    ["call_timer_fn", false, false],
    ["expire_timers", true, false],
    ["__run_timers", true, false],
    ["run_timer_softirq", false, false],
    // irq_exit_rcu() -> __irq_exit_rcu() -> __do_softirq() -> handle_softirqs(): tail calls.
    ["handle_softirqs", false, false],
    ["instr_sysvec_apic_timer_interrupt", true, false],
    ["sysvec_apic_timer_interrupt", false, false],
    // task stack (init_task's)
    ...IDLE_TAIL,
    ["rest_init", false, false],
    ["arch_call_rest_init", false, false],
    ["start_kernel", false, false],
    ["secondary_startup_64", false, false],
  ],
  firstTaskFrame: 11,
  lines: { 2: 59, 3: 67 },
  returns: {
    wyvern_softirq_spin: [0x12, "wyvern_softirq_spin_inner"],
    "call_timer_fn.constprop.0": [21, "indirect"], // call *%rsi: timer->function
    run_timer_softirq: [595, "call_timer_fn.constprop.0"],
    handle_softirqs: [185, "indirect"], // call *0x0(%rbp): h->action
    sysvec_apic_timer_interrupt: [92, "irq_exit_rcu"],
    ...IDLE_RETURNS,
    rest_init: [156, "cpu_startup_entry"],
    // (start_kernel+1384 follows `call arch_call_rest_init` too, but .init.text
    // was freed after boot: the dump does not have those pages.)
  },
  drgn: "crashed_thread",
};

async function checkCpu(e: Expected) {
  const prog = await irqProgram();
  const task = cpuCurr(prog, e.cpu);
  assert.equal(task.comm.string_(), `swapper/${e.cpu}`);
  const trace = prog.stackTrace(task);
  assert.equal(trace.truncated, null, trace.stopReason ?? "");
  assert.deepEqual(
    trace.frames.map(frameName),
    e.frames.map((f) => f[0]),
  );
  assert.deepEqual(
    trace.frames.map((f) => [f.isInline, f.interrupted]),
    e.frames.map((f) => [f[1], f[2]]),
  );
  const regs = kernelInfo(prog).prstatus[e.cpu]!.registers;
  assert.equal(trace[0]!.pc, regs.rip);
  assert.equal(trace[0]!.sp, regs.rsp);
  for (const [i, line] of Object.entries(e.lines)) {
    const f = trace[Number(i)]!;
    assert.deepEqual([f.source().file, f.source().line], [SOURCE, line]);
    assert.equal(f.machine.module?.name, "wyvern_irq");
  }

  // Stacks: the frames before firstTaskFrame on the CPU's IRQ stack, the rest
  // on the idle task's stack.
  const end = irqStackEnd(prog, e.cpu);
  const stack = task.stack.value_() as bigint;
  trace.frames.forEach((f, i) => {
    const onIrq = f.sp < end && f.sp >= end - IRQ_STACK_SIZE;
    const onTask = f.sp < stack + THREAD_SIZE && f.sp >= stack;
    assert.ok(i < e.firstTaskFrame ? onIrq : onTask, `frame ${i} sp ${hx(f.sp)}`);
  });
  // call_on_irqstack() saved the task's rsp at the top of the IRQ stack: just
  // below the pt_regs (the CFA of sysvec_apic_timer_interrupt).
  const saved = prog.readU64(end - 8n);
  const ptRegsAddr = trace[e.firstTaskFrame]!.sp;
  assert.ok(saved >= stack && saved < ptRegsAddr && ptRegsAddr - saved <= 64n);
  const ptRegs = prog.objectAt(prog.type("struct pt_regs"), ptRegsAddr);
  const interrupted = trace[e.firstTaskFrame + 1]!;
  assert.equal(ptRegs.ip.value_(), interrupted.pc);
  assert.equal(ptRegs.sp.value_(), interrupted.sp);
  assert.equal(ptRegs.cs.value_(), 0x10n);
  assert.equal(ptRegs.ss.value_(), 0x18n);
  assert.equal(interrupted.register("rbp"), ptRegs.bp.value_());
  assert.equal(prog.readU8(interrupted.pc - 1n), 0xf4); // hlt

  // Every return address follows a call to the function of the frame inside it.
  let checked = 0;
  trace.frames.forEach((f, i) => {
    if (f.isInline || f.interrupted) return;
    const sym = f.symbol();
    const want = e.returns[sym.name];
    if (want === undefined) return;
    assert.equal(Number(f.pc - sym.address), want[0], sym.name);
    if (want[1] === "indirect") {
      const c = prog.read(f.pc - 2n, 2); // ff /2 with a register (modrm 11) or (register)
      const c3 = prog.read(f.pc - 3n, 3); // ff /2 with (register + disp8)
      const ok = (c[0] === 0xff && ((c[1]! >> 3) & 7) === 2) ||
        (c3[0] === 0xff && ((c3[1]! >> 3) & 7) === 2 && c3[1]! >> 6 === 1);
      assert.ok(ok, `${sym.name}: no indirect call before ${hx(f.pc)}`);
    } else {
      assertDirectCallBefore(prog, f.pc, want[1], sym.name);
      // The callee is the next non-inline frame inside this one, unless it
      // tail-called that one or it is the hlt's.
      let j = i - 1;
      while (j > 0 && trace[j]!.isInline) j--;
      const callee = trace[j]!.symbol().name;
      const tail = ["tick_periodic", "arch_cpu_idle", "irq_exit_rcu"];
      if (!tail.includes(want[1])) assert.equal(callee, want[1], sym.name);
    }
    checked++;
  });
  assert.equal(checked, Object.keys(e.returns).length);

  // drgn's frames on the IRQ stack are the same; then it stops.
  const ref: Json = JSON.parse(Deno.readTextFileSync(DIR + "drgn.json"));
  const drgn: Json[] = ref.traces[e.drgn].frames;
  assert.equal(drgn.length, e.firstTaskFrame + 1);
  assert.equal(drgn[e.firstTaskFrame].pc, null);
  for (let i = 0; i < e.firstTaskFrame; i++) assert.deepEqual(describe(trace, i), drgn[i], `${i}`);
}

Deno.test("IRQ sample: the CPUs spin in the module's timer callbacks, on their IRQ stacks", async () => {
  const prog = await irqProgram();
  assert.equal(prog.object("wyvern_irq_cpu").value_(), 1);
  assert.equal(prog.object("wyvern_softirq_cpu").value_(), 0);
  assert.ok((prog.object("wyvern_irq_spins").value_() as bigint) > 0n);
  assert.ok((prog.object("wyvern_softirq_spins").value_() as bigint) > 0n);
  const notes = kernelInfo(prog).prstatus;
  assert.equal(notes.length, 2);
  for (const cpu of [0, 1]) {
    const inuse = prog.objectAt(prog.type("bool"), perCpuAddress(prog, "hardirq_stack_inuse", cpu));
    assert.equal(inuse.value_(), true);
    const end = irqStackEnd(prog, cpu);
    const rsp = notes[cpu]!.registers.rsp!;
    assert.ok(rsp < end && rsp >= end - IRQ_STACK_SIZE, `CPU ${cpu} rsp ${hx(rsp)}`);
    assert.equal(notes[cpu]!.registers.cs, 0x10n); // kernel mode
  }
  // CPU 1 has interrupts off (hard IRQ), CPU 0 on (softirq).
  assert.equal(notes[1]!.registers.eflags! & 0x200n, 0n);
  assert.equal(notes[0]!.registers.eflags! & 0x200n, 0x200n);
  assert.equal(prog.crashedThread().tid, 0);
});

Deno.test("IRQ sample: CPU 1 (hard IRQ) crosses from the IRQ stack to the task stack through pt_regs", async () => {
  await checkCpu(CPU1);
});

Deno.test("IRQ sample: CPU 0 (softirq from irq_exit_rcu) crosses from the IRQ stack to the task stack", async () => {
  await checkCpu(CPU0);
});

Deno.test("IRQ sample: PIDs 1 and 2 are not given the CPUs' registers (drgn 0.0.22 does)", async () => {
  const prog = await irqProgram();
  const ref: Json = JSON.parse(Deno.readTextFileSync(DIR + "drgn.json"));
  assert.equal(ref.traces["crashed_thread"].pid, 1);
  assert.equal(ref.traces["pid 2"].pid, 2);
  for (const [pid, comm] of [[1, "init"], [2, "kthreadd"]] as const) {
    assert.equal(prog.thread(pid).name, comm);
    const trace = prog.stackTrace(pid);
    assert.equal(trace[0]!.interrupted, false);
    assert.ok(!trace.frames.some((f) => (f.name ?? "").startsWith("wyvern_")));
    assert.deepEqual(trace.frames.slice(0, 3).map((f) => f.name), [
      "context_switch",
      "__schedule",
      "schedule",
    ]);
  }
  // drgn's trace of the task really on CPU 1 is one garbage frame (`#0  0x46`).
  const garbage: Json[] = ref.traces["cpu_curr(1)"].frames;
  assert.equal(garbage.length, 1);
  assert.equal(garbage[0].symbol, null);
  assert.notEqual(String(prog.stackTrace(cpuCurr(prog, 1))), ref.traces["cpu_curr(1)"].text);
});
