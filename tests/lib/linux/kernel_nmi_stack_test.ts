/**
 * Kernel stack traces out of NMI handlers, on a real dump: the NMI sample
 * (tests/data/kernel/nmi-sample/, made by `scripts/sample/make.sh` steps
 * nmi-*): the sample kernel (Linux 6.1, ORC) stopped by QEMU while both CPUs
 * spin forever in the NMI_UNKNOWN handler of module wyvern_nmi:
 *
 * - CPU 0 took QMP's `inject-nmi` while idle (in the kernel, after `hlt`): the
 *   handler runs on its NMI IST stack, under the nested-NMI frame that
 *   `asm_exc_nmi` builds there (`end_repeat_nmi` calls `exc_nmi`);
 * - CPU 1 took the NMI IPI that CPU 0's handler sent while it ran a user-mode
 *   loop (PID 27, a child of /init): for NMIs from user mode `asm_exc_nmi`
 *   moves to the task stack, so the handler runs there, and the trace ends at
 *   the user-mode pc.
 *
 * The expected frames are checked independently of the unwinder: CPU 0's
 * `NT_PRSTATUS` rsp lies in its NMI stack (`NMI_stack` of its
 * `cea_exception_stacks`, whose end is its TSS's `ist[IST_INDEX_NMI]`), CPU
 * 1's in its task stack; the `struct pt_regs` sits where entry_64.S puts it
 * (below the nested-NMI frame at the top of the NMI stack; at the top of the
 * task stack), and its ip and sp are the interrupted frame's; every return
 * address follows a call to the function of the frame inside it (offsets as
 * gdb disassembles the vmlinux: see the dump's README). drgn 0.0.22
 * (`drgn.json`, from irq-sample's `drgn_ref.py`) gives CPU 0's registers to
 * PID 1 and CPU 1's to PID 2 (matching QEMU's notes by `pr_pid`); on those
 * registers its frames are Wyvern's, both stacks.
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import type { Program } from "../../../lib/program/program.ts";
import type { StackTrace } from "../../../lib/program/stack_trace.ts";
import { cpuCurr } from "../../../lib/linux/kernel_stack.ts";
import { kernelInfo } from "../../../lib/linux/kernel.ts";
import { offsetof, sizeof } from "../../../lib/object/operators.ts";
import {
  assertDirectCallBefore,
  describe,
  frameName,
  hx,
  type Json,
  perCpuAddress,
  sampleDir,
  sampleDumpProgram,
  symbolOrNull,
  THREAD_SIZE,
} from "./_qemu_samples.ts";

const DIR = sampleDir("nmi-sample");
/** arch/x86/include/asm/page_64_types.h: IST_INDEX_NMI. */
const IST_INDEX_NMI = 1;
const SOURCE = "/usr/src/wyvern_nmi/wyvern_nmi.c";
/** sizeof(struct pt_regs) on x86-64: 21 words. */
const PT_REGS_SIZE = 168n;

const nmiProgram = () => sampleDumpProgram("nmi-sample", "wyvern_nmi");

/** `cpu`'s NMI IST stack [start, end), from its cea_exception_stacks. */
function nmiStack(prog: Program, cpu: number): [bigint, bigint] {
  const t = prog.type("struct cea_exception_stacks");
  const base = prog.readU64(perCpuAddress(prog, "cea_exception_stacks", cpu));
  const start = base + BigInt(offsetof(t, "NMI_stack"));
  return [start, start + BigInt(sizeof(t.member("NMI_stack").type))];
}

interface Expected {
  readonly cpu: number;
  readonly comm: string;
  /** Innermost first: [name, inline, interrupted]. */
  readonly frames: readonly [string, boolean, boolean][];
  /**
   * Return addresses as gdb disassembles them on the vmlinux and objdump on
   * the module: symbol -> [offset, callee of the call before it: a symbol for
   * a direct call, "indirect" for `call *disp8(reg)`].
   */
  readonly returns: Record<string, [number, string]>;
  /** drgn.json's trace holding this CPU's registers. */
  readonly drgn: string;
}

/** Both CPUs: the handler, nmi_handle(NMI_UNKNOWN) and the NMI entry. */
const NMI_FRAMES: [string, boolean, boolean][] = [
  ["rep_nop", true, true],
  ["cpu_relax", true, true],
  ["wyvern_nmi_spin_inner", false, true],
  ["wyvern_nmi_handler", false, false],
  ["nmi_handle", true, false], // the inline instance (the handler loop) in its own body
  ["nmi_handle", false, false],
  ["unknown_nmi_error", true, false],
  ["default_do_nmi", false, false],
  ["exc_nmi", false, false],
  ["asm_exc_nmi", false, false],
];
const NMI_RETURNS: Record<string, [number, string]> = {
  wyvern_nmi_handler: [61, "wyvern_nmi_spin_inner"],
  nmi_handle: [99, "indirect"], // call *0x10(%rdi): a->handler
  default_do_nmi: [410, "nmi_handle"], // in unknown_nmi_error (inline)
  exc_nmi: [154, "default_do_nmi"],
};
const FIRST_OUTER = NMI_FRAMES.length; // the interrupted frame

const CPU0: Expected = {
  cpu: 0,
  comm: "swapper/0",
  frames: [
    ...NMI_FRAMES,
    // init_task's stack
    ["native_safe_halt", false, true], // pt_regs->ip, after `sti; hlt`
    ["default_idle_call", false, false],
    ["cpuidle_idle_call", true, false],
    ["do_idle", false, false],
    ["cpu_startup_entry", false, false],
    ["rest_init", false, false],
    ["arch_call_rest_init", false, false],
    ["start_kernel", false, false],
    ["secondary_startup_64", false, false],
  ],
  returns: {
    ...NMI_RETURNS,
    asm_exc_nmi: [309, "exc_nmi"], // in end_repeat_nmi (asm_exc_nmi+287)
    default_idle_call: [33, "arch_cpu_idle"],
    do_idle: [104, "default_idle_call"],
    cpu_startup_entry: [37, "do_idle"],
    rest_init: [156, "cpu_startup_entry"],
  },
  drgn: "crashed_thread",
};

const CPU1: Expected = {
  cpu: 1,
  comm: "init",
  frames: [
    ...NMI_FRAMES,
    ["", false, true], // user mode: /init's wyvern_user_spin (no symbols)
  ],
  returns: {
    ...NMI_RETURNS,
    asm_exc_nmi: [120, "exc_nmi"], // the from-user path, before end_repeat_nmi
  },
  drgn: "pid 2",
};

function checkReturns(prog: Program, trace: StackTrace, e: Expected) {
  let checked = 0;
  trace.frames.forEach((f, i) => {
    const sym = symbolOrNull(f);
    if (f.isInline || f.interrupted || sym === null) return;
    const want = e.returns[sym.name];
    if (want === undefined) return;
    assert.equal(Number(f.pc - sym.address), want[0], sym.name);
    if (want[1] === "indirect") {
      const c3 = prog.read(f.pc - 3n, 3); // ff /2 with (register + disp8)
      assert.ok(c3[0] === 0xff && ((c3[1]! >> 3) & 7) === 2 && c3[1]! >> 6 === 1, sym.name);
    } else {
      assertDirectCallBefore(prog, f.pc, want[1], sym.name);
      // The callee is the next non-inline frame inside this one, unless it
      // tail-called the hlt's.
      let j = i - 1;
      while (j > 0 && trace[j]!.isInline) j--;
      if (want[1] !== "arch_cpu_idle") assert.equal(trace[j]!.symbol().name, want[1], sym.name);
    }
    checked++;
  });
  assert.equal(checked, Object.keys(e.returns).length);
}

async function checkTrace(e: Expected): Promise<[Program, StackTrace]> {
  const prog = await nmiProgram();
  const task = cpuCurr(prog, e.cpu);
  assert.equal(task.comm.string_(), e.comm);
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
  for (const [i, line] of [[2, 39], [3, 52]]) {
    const f = trace[i!]!;
    assert.deepEqual([f.source().file, f.source().line], [SOURCE, line]);
    assert.equal(f.machine.module?.name, "wyvern_nmi");
  }
  // nmi_handle's inline instance and the NMI entry's source lines (pc - 1: the calls).
  assert.deepEqual([trace[5]!.source().file, trace[5]!.source().line], [
    "arch/x86/kernel/nmi.c",
    125,
  ]);
  assert.deepEqual([trace[4]!.source().file, trace[4]!.source().line], [
    "arch/x86/kernel/nmi.c",
    157,
  ]);
  assert.deepEqual([trace[6]!.source().file, trace[6]!.source().line], [
    "arch/x86/kernel/nmi.c",
    330,
  ]);
  checkReturns(prog, trace, e);

  // drgn's frames on the same registers are the same, all of them.
  const ref: Json = JSON.parse(Deno.readTextFileSync(DIR + "drgn.json"));
  const drgn: Json[] = ref.traces[e.drgn].frames;
  assert.equal(drgn.length, trace.length);
  for (let i = 0; i < trace.length; i++) assert.deepEqual(describe(trace, i), drgn[i], `${i}`);
  return [prog, trace];
}

Deno.test("NMI sample: both CPUs spin in the module's NMI handler", async () => {
  const prog = await nmiProgram();
  assert.equal(prog.object("wyvern_nmi_cpu_mask").value_(), 3n);
  assert.equal(prog.object("wyvern_nmi_count").counter.value_(), 2);
  assert.ok((prog.object("wyvern_nmi_spins").value_() as bigint) > 0n);
  const notes = kernelInfo(prog).prstatus;
  assert.equal(notes.length, 2);
  for (const cpu of [0, 1]) {
    const r = notes[cpu]!.registers;
    assert.equal(r.cs, 0x10n); // kernel mode
    assert.equal(r.eflags! & 0x200n, 0n); // interrupts off (NMI gate)
  }
  // CPU 0: on its NMI stack, whose end its TSS gives the CPU for NMIs.
  const [start, end] = nmiStack(prog, 0);
  assert.equal(end - start, 8192n); // EXCEPTION_STKSZ
  const rsp0 = notes[0]!.registers.rsp!;
  assert.ok(rsp0 >= start && rsp0 < end, `CPU 0 rsp ${hx(rsp0)}`);
  const tss = prog.objectAt(prog.type("struct tss_struct"), perCpuAddress(prog, "cpu_tss_rw", 0));
  assert.equal(tss.x86_tss.ist.subscript_(IST_INDEX_NMI).value_(), end);
  // CPU 1: on the task stack of the user-mode spinner, a child of /init.
  const task1 = cpuCurr(prog, 1);
  assert.equal(task1.pid.value_(), 27);
  assert.equal(task1.real_parent.pid.value_(), 1);
  const stack1 = task1.stack.value_() as bigint;
  const rsp1 = notes[1]!.registers.rsp!;
  assert.ok(rsp1 >= stack1 && rsp1 < stack1 + THREAD_SIZE, `CPU 1 rsp ${hx(rsp1)}`);
  const [s1, e1] = nmiStack(prog, 1);
  assert.ok(!(rsp1 >= s1 && rsp1 < e1));
});

Deno.test("NMI sample: CPU 0 (NMI in the idle loop) crosses from the NMI stack to the task stack", async () => {
  const [prog, trace] = await checkTrace(CPU0);
  const [start, end] = nmiStack(prog, 0);
  const task = cpuCurr(prog, 0);
  const stack = task.stack.value_() as bigint;
  trace.frames.forEach((f, i) => {
    const onNmi = f.sp >= start && f.sp < end;
    const onTask = f.sp >= stack && f.sp < stack + THREAD_SIZE;
    assert.ok(i < FIRST_OUTER ? onNmi : onTask, `frame ${i} sp ${hx(f.sp)}`);
  });
  // The top of the NMI stack (entry_64.S, asm_exc_nmi): the hardware's iret
  // frame (5 words), the saved rdx, "NMI executing", the "iret" copy of the
  // iret frame (5 words), then the "outermost" copy, which is the end of the
  // pt_regs that end_repeat_nmi pushed below it: the CFA of exc_nmi's caller.
  const ptRegsAddr = end - 12n * 8n - PT_REGS_SIZE;
  assert.equal(trace[FIRST_OUTER - 1]!.sp, ptRegsAddr);
  const ptRegs = prog.objectAt(prog.type("struct pt_regs"), ptRegsAddr);
  const outer = trace[FIRST_OUTER]!;
  assert.equal(ptRegs.ip.value_(), outer.pc);
  assert.equal(ptRegs.sp.value_(), outer.sp);
  assert.equal(ptRegs.cs.value_(), 0x10n);
  assert.equal(ptRegs.ss.value_(), 0x18n);
  assert.equal(outer.register("rbp"), ptRegs.bp.value_());
  // The hardware's frame and the "iret" copy say the same; "NMI executing" is 1.
  const hw = [0n, 1n, 2n, 3n, 4n].map((i) => prog.readU64(end - 40n + 8n * i));
  const copy = [0n, 1n, 2n, 3n, 4n].map((i) => prog.readU64(end - 96n + 8n * i));
  const regsFrame = [ptRegs.ip, ptRegs.cs, ptRegs.flags, ptRegs.sp, ptRegs.ss].map((o) =>
    o.value_()
  );
  assert.deepEqual(hw, regsFrame);
  assert.deepEqual(copy, regsFrame);
  assert.equal(prog.readU64(end - 56n), 1n);
  assert.equal(prog.readU8(outer.pc - 1n), 0xf4); // hlt
  // asm_exc_nmi's return address is past end_repeat_nmi, a local label in it.
  const label = prog.symbol("end_repeat_nmi").address;
  const asm = trace[FIRST_OUTER - 1]!;
  assert.ok(asm.pc > label && asm.pc < label + 0x40n);
  assert.equal(asm.symbol().name, "asm_exc_nmi");
});

Deno.test("NMI sample: CPU 1 (NMI in user mode) ends at the user-mode pc through pt_regs", async () => {
  const [prog, trace] = await checkTrace(CPU1);
  const task = cpuCurr(prog, 1);
  const stack = task.stack.value_() as bigint;
  for (const [i, f] of trace.frames.entries()) {
    if (i === FIRST_OUTER) break;
    assert.ok(f.sp >= stack && f.sp < stack + THREAD_SIZE, `frame ${i} sp ${hx(f.sp)}`);
  }
  // From user mode asm_exc_nmi moved to the task stack: task_pt_regs(task).
  const ptRegsAddr = stack + THREAD_SIZE - PT_REGS_SIZE;
  assert.equal(trace[FIRST_OUTER - 1]!.sp, ptRegsAddr);
  const ptRegs = prog.objectAt(prog.type("struct pt_regs"), ptRegsAddr);
  const outer = trace[FIRST_OUTER]!;
  assert.equal(trace.length, FIRST_OUTER + 1);
  assert.equal(ptRegs.ip.value_(), outer.pc);
  assert.equal(ptRegs.sp.value_(), outer.sp);
  assert.equal(ptRegs.cs.value_(), 0x33n); // __USER_CS
  assert.equal(ptRegs.ss.value_(), 0x2bn); // __USER_DS
  assert.equal(outer.pc, 0x401825n); // wyvern_user_spin in /init (see the README)
  assert.ok(outer.sp < 0x800000000000n);
  assert.equal(outer.name, null);
});
