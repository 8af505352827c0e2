/**
 * Threads and stack traces of a Linux kernel program.
 *
 * Threads: one {@link Thread} per task (TID = PID, `thread.object` the
 * `struct task_struct *`), in drgn's order: every process of the
 * `init_task.tasks` list followed by its other threads (the
 * `signal->thread_head` list), then `init_task` (PID 0). `thread(0)` is
 * `init_task`, which drgn 0.0.22 cannot look up.
 *
 * Initial registers of a stack trace:
 *
 * - A task that is the current task of its CPU (`cpu_curr(task_cpu(task)) ==
 *   task`) gets the registers of that CPU's `NT_PRSTATUS` note. The notes are
 *   matched to CPUs by position (the n-th note belongs to the n-th present
 *   CPU: kdump writes them per CPU, QEMU in vCPU order), never by `pr_pid`,
 *   which QEMU sets to the vCPU index + 1 and which is 0 for every idle task.
 *   The registers are exact (frame 0 is `interrupted`). A CPU that was in
 *   user mode gives a one-frame trace at the user PC.
 * - Any other task is asleep in `__switch_to_asm()`: `task->thread.sp`
 *   points at its `struct inactive_task_frame` (callee-saved registers and
 *   the return address into `__schedule()`).
 * - A task that has exited and whose stack was freed (`task->stack` NULL, a
 *   zombie) is unwound from what the freed stack still holds, as drgn does:
 *   until the memory is reused, its last frames (`do_task_dead()` from
 *   `do_exit()`). Once reused (the switch frame's return address is no
 *   longer code), its trace is empty, with the marker `no_stack`, where
 *   drgn 0.0.22 prints garbage frames.
 * - On the running kernel, a task that is on a CPU (`task->on_cpu`) is
 *   refused: its saved context is stale. A runnable task that is not on a
 *   CPU is unwound like a sleeping one.
 *
 * Unwinding: the kernel's ORC tables (vmlinux's `.orc_unwind_ip` /
 * `.orc_unwind`, and each module's tables as the kernel sorted them in
 * memory, `mod->arch.orc_unwind_ip`), then DWARF CFI, then frame pointers.
 * ORC `REGS` entries continue across a `struct pt_regs` (interrupts,
 * exceptions, system calls: the frame after one is `interrupted`); the trace
 * ends at ORC's end-of-stack entries (`ret_from_fork`, the boot stack) and
 * after a user-mode frame. Stack switches (IRQ and exception stacks back to
 * the task stack) are allowed a few times per trace.
 *
 * The crashed thread: the current task of the CPU that panicked
 * (`panic_cpu`), else of the CPU that started the crash dump
 * (`crashing_cpu`, x86), else of the CPU of the first `NT_PRSTATUS` note
 * (a dump taken without a panic, like QEMU's `dump-guest-memory`). drgn
 * 0.0.22 takes the task whose PID is the first note's `pr_pid`, which on
 * QEMU dumps is PID 1 whatever ran.
 *
 * @module
 */

import { type DwarfRegisters, prstatusToDwarf, X86_64_DWARF } from "../arch/x86_64.ts";
import { ElfFile } from "../elf/elf_file.ts";
import { DecodeError, FaultError, hex, LookupError, ValidationError } from "../errors.ts";
import { containerOf } from "../object/operators.ts";
import type { TypedObject } from "../object/typed_object.ts";
import type { Module } from "../program/module.ts";
import type { Program } from "../program/program.ts";
import {
  cfiUnwinder,
  type MachineFrame,
  StackTrace,
  type Unwinder,
  unwindStack,
  type UnwindStep,
} from "../program/stack_trace.ts";
import { Thread } from "../program/thread.ts";
import { sizeOf, underlyingType } from "../types/type.ts";
import { kernelInfo } from "./kernel.ts";
import { OrcTable, orcUnwindStep } from "./orc.ts";

const RIP = X86_64_DWARF.rip;
const RSP = X86_64_DWARF.rsp;

/** Lowest kernel-half address (4-level paging; 5-level kernels live above it too). */
const KERNEL_HALF = 0xff00000000000000n;
/** Tasks listed at most (PID_MAX_LIMIT is 4M). */
const MAX_TASKS = 1 << 22;
/** Loaded modules read at most when looking for ORC tables. */
const MAX_MODULES = 100_000;
/** Largest ORC table read from a module's memory (entries). */
const MAX_MODULE_ORCS = 1 << 22;

// ---------------------------------------------------------------------------
// Tasks

/**
 * Iterates a `struct list_head` list as `type *` entries; throws
 * `ValidationError` on a cycle that does not return to the head.
 */
function* listEntries(
  head: TypedObject,
  type: string,
  member: string,
): Generator<TypedObject> {
  const headAddr = head.address_;
  if (headAddr === null) throw new TypeError("list head must be a reference object");
  const seen = new Set<bigint>();
  let pos = head.member_("next");
  for (let i = 0; i < MAX_TASKS; i++) {
    const a = pos.value_() as bigint;
    if (a === headAddr) return;
    if (a === 0n) throw new ValidationError(`list at ${hex(headAddr)} has a NULL next pointer`);
    if (seen.has(a)) throw new ValidationError(`list at ${hex(headAddr)} has a cycle at ${hex(a)}`);
    seen.add(a);
    yield containerOf(pos, type, member);
    pos = pos.deref_().member_("next");
  }
  throw new ValidationError(`list at ${hex(headAddr)} has more than ${MAX_TASKS} entries`);
}

/**
 * Every task (`struct task_struct *`), in drgn's thread order: each process
 * of `init_task.tasks` followed by its other threads, then `init_task`.
 */
export function* forEachKernelTask(prog: Program): Generator<TypedObject> {
  const init = prog.object("init_task");
  for (const p of listEntries(init.member_("tasks"), "struct task_struct", "tasks")) {
    yield p;
    for (const t of threadsOf(p)) if ((t.value_() as bigint) !== (p.value_() as bigint)) yield t;
  }
  yield init.addressOf_();
}

/** The threads of a process, leader included. */
function threadsOf(p: TypedObject): Generator<TypedObject> | TypedObject[] {
  const task = p.deref_();
  // Linux kernel commit 0c740d0afc3b ("introduce for_each_thread() to replace the buggy
  // while_each_thread()") (in v3.14) added signal->thread_head.
  if (task.hasMember_("thread_node")) {
    const signal = task.member_("signal");
    if ((signal.value_() as bigint) === 0n) return [p];
    return listEntries(signal.deref_().member_("thread_head"), "struct task_struct", "thread_node");
  }
  return [p, ...listEntries(task.member_("thread_group"), "struct task_struct", "thread_group")];
}

/** The CPU a task is on or last ran on (`task->thread_info.cpu` or `task->cpu`). */
export function taskCpu(task: TypedObject): number {
  const t = task.deref_();
  if (t.hasMember_("thread_info")) {
    const ti = t.member_("thread_info");
    if (ti.hasMember_("cpu")) return Number(ti.member_("cpu").value_());
  }
  return Number(t.member_("cpu").value_());
}

/** `per_cpu_ptr()`: a per-CPU variable's address on `cpu`. */
function perCpuAddress(prog: Program, address: bigint, cpu: number): bigint {
  const offsets = prog.object("__per_cpu_offset");
  const off = offsets.subscript_(cpu).value_() as bigint;
  return BigInt.asUintN(64, address + off);
}

/** The current task of `cpu` (`cpu_curr(cpu)`), a `struct task_struct *` value. */
export function cpuCurr(prog: Program, cpu: number): TypedObject {
  const rq = prog.object("runqueues");
  const addr = perCpuAddress(prog, rq.address_!, cpu);
  return prog.objectAt(rq.type_, addr).member_("curr");
}

/** CPU numbers set in a `struct cpumask` variable, or null if it is not there. */
function cpumaskCpus(prog: Program, name: string): number[] | null {
  const mask = prog.tryObject(name);
  if (mask === null || mask.address_ === null) return null;
  const bits = mask.member_("bits");
  const n = bits.type_.length ?? 0;
  const out: number[] = [];
  for (let w = 0; w < n; w++) {
    let v = bits.subscript_(w).value_() as bigint;
    for (let b = 0; v !== 0n; b++, v >>= 1n) if (v & 1n) out.push(w * 64 + b);
  }
  return out;
}

/**
 * The CPU whose registers the `index`th `NT_PRSTATUS` note holds: the
 * `index`th present CPU (every present CPU has a note, in CPU order), or
 * `index` when the present mask cannot be read.
 */
function noteCpu(prog: Program, index: number): number {
  const present = cpumaskCpus(prog, "__cpu_present_mask");
  if (present !== null && present.length === kernelInfo(prog).prstatus.length) {
    return present[index] ?? index;
  }
  return index;
}

/** The index of `cpu`'s `NT_PRSTATUS` note, or -1. */
function cpuNoteIndex(prog: Program, cpu: number): number {
  const notes = kernelInfo(prog).prstatus;
  const present = cpumaskCpus(prog, "__cpu_present_mask");
  if (present !== null && present.length === notes.length) return present.indexOf(cpu);
  return cpu < notes.length ? cpu : -1;
}

function taskThread(prog: Program, task: TypedObject): Thread {
  const t = task.deref_();
  const pid = Number(t.member_("pid").value_());
  let name: string | null = null;
  try {
    name = t.member_("comm").string_();
  } catch (e) {
    if (!(e instanceof FaultError)) throw e;
  }
  return new Thread(prog, pid, name, () => taskPrstatusRegisters(prog, task), task, {});
}

/** The named registers of a task that is its CPU's current task (from its note), else null. */
function taskPrstatusRegisters(prog: Program, task: TypedObject): Record<string, bigint> | null {
  const cpu = runningCpu(prog, task);
  if (cpu === null) return null;
  const i = cpuNoteIndex(prog, cpu);
  const note = kernelInfo(prog).prstatus[i];
  return note === undefined ? null : { ...note.registers };
}

/** The CPU `task` is the current task of, or null. */
function runningCpu(prog: Program, task: TypedObject): number | null {
  const cpu = taskCpu(task);
  const curr = cpuCurr(prog, cpu).value_() as bigint;
  return curr === (task.value_() as bigint) ? cpu : null;
}

function asTaskPointer(obj: TypedObject): TypedObject {
  const kind = underlyingType(obj.type_).kind;
  if (kind === "pointer") return obj;
  if (kind === "struct" && obj.address_ !== null) return obj.addressOf_();
  throw new TypeError("expected a struct task_struct * object");
}

/**
 * The crashed CPU: `panic_cpu`, else `crashing_cpu`, else the CPU of the
 * first `NT_PRSTATUS` note, else 0.
 */
export function crashedCpu(prog: Program): number {
  for (const name of ["panic_cpu", "crashing_cpu"]) {
    const o = prog.tryObject(name);
    if (o === null) continue;
    try {
      const v = o.hasMember_("counter") ? o.member_("counter") : o;
      const cpu = Number(BigInt.asIntN(32, BigInt(v.value_() as number | bigint)));
      if (cpu >= 0) return cpu;
    } catch (e) {
      if (!(e instanceof FaultError)) throw e;
    }
  }
  return kernelInfo(prog).prstatus.length > 0 ? noteCpu(prog, 0) : 0;
}

/** Installs the kernel's threads and stack traces on `prog` (called by the kernel target). */
export function installKernelThreads(prog: Program): void {
  prog.threadProvider = {
    *threads() {
      for (const task of forEachKernelTask(prog)) yield taskThread(prog, task);
    },
    thread(tid: number) {
      if (tid === 0) return taskThread(prog, prog.object("init_task").addressOf_());
      for (const task of forEachKernelTask(prog)) {
        if (Number(task.deref_().member_("pid").value_()) === tid) return taskThread(prog, task);
      }
      throw new LookupError(`thread with ID ${tid} not found`, "thread", String(tid));
    },
    mainThread() {
      throw new TypeError("main thread is not defined for the Linux kernel");
    },
    crashedThread() {
      return taskThread(prog, cpuCurr(prog, crashedCpu(prog)));
    },
  };
  prog.targetData.set(
    "threadFromTask",
    (obj: TypedObject) => taskThread(prog, asTaskPointer(obj)),
  );
  prog.stackTraceProvider = kernelStackTrace;
}

// ---------------------------------------------------------------------------
// Initial registers

/** A task's initial registers: exact (`interrupted`) or from its switch frame. */
export interface InitialRegisters {
  readonly registers: DwarfRegisters;
  readonly interrupted: boolean;
}

/** The registers a sleeping task saved in `__switch_to_asm()` (`struct inactive_task_frame`). */
function switchFrameRegisters(prog: Program, task: TypedObject): InitialRegisters {
  const t = task.deref_();
  const sp = t.member_("thread").member_("sp").value_() as bigint;
  const frameType = prog.type("struct inactive_task_frame");
  const frame = prog.objectAt(frameType, sp);
  const regs: DwarfRegisters = [];
  const names: [string, number][] = [
    ["r15", X86_64_DWARF.r15],
    ["r14", X86_64_DWARF.r14],
    ["r13", X86_64_DWARF.r13],
    ["r12", X86_64_DWARF.r12],
    ["bx", X86_64_DWARF.rbx],
    ["bp", X86_64_DWARF.rbp],
  ];
  for (const [m, n] of names) {
    if (frame.hasMember_(m)) regs[n] = frame.member_(m).value_() as bigint;
  }
  regs[RIP] = frame.member_("ret_addr").value_() as bigint;
  regs[RSP] = sp + BigInt(sizeOf(frameType));
  return { registers: regs, interrupted: false };
}

/**
 * The registers a kernel stack trace of `task` starts from (see the module
 * documentation). Throws `TypeError` for a task on a CPU of the live kernel.
 */
export function kernelInitialRegisters(prog: Program, task: TypedObject): InitialRegisters {
  const k = kernelInfo(prog);
  if (k.live) {
    const onCpu = task.deref_().hasMember_("on_cpu")
      ? Number(task.deref_().member_("on_cpu").value_())
      : 0;
    if (onCpu !== 0) {
      throw new TypeError(
        "cannot unwind the stack of a task that is running on a CPU of the live kernel",
      );
    }
    return switchFrameRegisters(prog, task);
  }
  const cpu = runningCpu(prog, task);
  if (cpu !== null) {
    const note = k.prstatus[cpuNoteIndex(prog, cpu)];
    if (note === undefined) {
      throw new LookupError(
        `no NT_PRSTATUS note for CPU ${cpu}, whose current task this is`,
        "thread",
        String(cpu),
      );
    }
    return { registers: prstatusToDwarf(note.registers), interrupted: true };
  }
  return switchFrameRegisters(prog, task);
}

// ---------------------------------------------------------------------------
// ORC

function isUserPc(pc: bigint): boolean {
  return pc < KERNEL_HALF;
}

/** vmlinux's ORC table: from the ELF file if loaded, else from memory. */
function vmlinuxOrc(prog: Program, m: Module): OrcTable | null {
  const release = kernelInfo(prog).vmcoreinfo.osrelease;
  const elf = m.data.get("elf") as ElfFile | undefined;
  const fromElf = (e: ElfFile): OrcTable | null => {
    const ip = e.section(".orc_unwind_ip");
    const un = e.section(".orc_unwind");
    if (ip === undefined || un === undefined) return null;
    return OrcTable.parse(e.sectionData(ip), e.sectionData(un), {
      ipSectionAddress: ip.addr,
      relocation: m.bias,
      hasOrcHeader: e.section(".orc_header") !== undefined,
      kernelRelease: release,
    });
  };
  if (elf !== undefined) return fromElf(elf);
  if (m.path !== null) {
    try {
      return fromElf(ElfFile.open(m.path));
    } catch (e) {
      if (!(e instanceof DecodeError || e instanceof Error)) throw e;
    }
  }
  // From memory, between the linker's symbols.
  try {
    const sym = (n: string) => prog.symbol(n).address;
    const ipStart = sym("__start_orc_unwind_ip"), ipStop = sym("__stop_orc_unwind_ip");
    const unStart = sym("__start_orc_unwind"), unStop = sym("__stop_orc_unwind");
    return OrcTable.parse(
      prog.read(ipStart, Number(ipStop - ipStart)),
      prog.read(unStart, Number(unStop - unStart)),
      { ipSectionAddress: ipStart, kernelRelease: release },
    );
  } catch (e) {
    if (e instanceof LookupError || e instanceof FaultError) return null;
    throw e;
  }
}

/** A module's ORC table as the kernel keeps it (`mod->arch`, sorted at load time). */
function moduleOrc(prog: Program, m: Module): OrcTable | null {
  const modules = prog.tryObject("modules");
  if (modules === null) return null;
  let count = 0;
  for (const mod of listEntries(modules, "struct module", "list")) {
    if (++count > MAX_MODULES) break;
    const obj = mod.deref_();
    if (obj.member_("name").string_() !== m.name) continue;
    if (!obj.hasMember_("arch") || !obj.member_("arch").hasMember_("num_orcs")) return null;
    const arch = obj.member_("arch");
    const n = Number(arch.member_("num_orcs").value_());
    if (n <= 0 || n > MAX_MODULE_ORCS) return null;
    const ipAddr = arch.member_("orc_unwind_ip").value_() as bigint;
    const unAddr = arch.member_("orc_unwind").value_() as bigint;
    return OrcTable.parse(prog.read(ipAddr, n * 4), prog.read(unAddr, n * 6), {
      ipSectionAddress: ipAddr,
      kernelRelease: kernelInfo(prog).vmcoreinfo.osrelease,
      section: `${m.name} .orc_unwind_ip`,
    });
  }
  return null;
}

/** The ORC table of a kernel module or vmlinux (cached in `m.data` as `"orc"`). */
export function orcTableOf(prog: Program, m: Module): OrcTable | null {
  if (m.data.has("orc")) return m.data.get("orc") as OrcTable | null;
  let table: OrcTable | null = null;
  try {
    if (m.kind === "linux_kernel") table = vmlinuxOrc(prog, m);
    else if (m.kind === "linux_kernel_module") table = moduleOrc(prog, m);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof FaultError || e instanceof ValidationError) {
      prog.warn(`${m.name}: cannot read ORC unwind table: ${e.message}`);
    } else throw e;
  }
  m.data.set("orc", table);
  return table;
}

/** Ends the trace after a user-mode frame (the kernel has no unwind information for it). */
export const userModeEnd: Unwinder = (_prog, frame) => {
  const pc = frame.pc;
  return pc !== undefined && isUserPc(pc) ? { kind: "end" } : null;
};

const CALLEE_SAVED = [
  X86_64_DWARF.rbx,
  X86_64_DWARF.r12,
  X86_64_DWARF.r13,
  X86_64_DWARF.r14,
  X86_64_DWARF.r15,
];

/**
 * Adds the caller's callee-saved registers (rbx, r12–r15), which ORC does
 * not track, to an ORC step's `caller` registers: from the function's DWARF
 * CFI, where that gives the same frame (CFA and return address), as drgn's
 * DWARF unwinding does (its locals in rbx or r12–r15 are then readable).
 * Where the CFI does not agree (code that switches stacks, such as
 * call_on_irqstack(), which only ORC describes), they stay unknown.
 */
function withCalleeSaved(prog: Program, frame: MachineFrame, caller: DwarfRegisters): void {
  let step;
  try {
    step = cfiUnwinder(prog, frame);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof FaultError) return;
    throw e;
  }
  if (step?.kind !== "frame" || step.cfa !== caller[RSP] || step.registers[RIP] !== caller[RIP]) {
    return;
  }
  for (const r of CALLEE_SAVED) {
    const v = step.registers[r];
    if (v !== undefined) caller[r] = v;
  }
}

/** The ORC unwinder for vmlinux and module frames. */
export const orcUnwinder: Unwinder = (prog, frame): UnwindStep | null => {
  const m = frame.module;
  if (m === null || (m.kind !== "linux_kernel" && m.kind !== "linux_kernel_module")) return null;
  const table = orcTableOf(prog, m);
  if (table === null) return null;
  const step = orcUnwindStep(
    table,
    frame.registers,
    frame.interrupted,
    (a, n) => prog.read(a, n),
  );
  switch (step.kind) {
    case "frame":
      if (step.entry.type === "call") withCalleeSaved(prog, frame, step.registers);
      return {
        kind: "frame",
        registers: step.registers,
        cfa: step.entry.type === "call" ? step.registers[RSP] : undefined,
        interrupted: step.signal,
      };
    case "end":
      return { kind: "end" };
    case "unknown":
      return null;
  }
};

/**
 * Whether `task` (asleep) has no kernel stack left to unwind: with the
 * stack in the task (x86-64 always), a task that has exited can have its
 * stack freed (`task->stack` NULL) before the task itself, and the memory
 * reused.
 */
function hasNoStack(prog: Program, task: TypedObject): boolean {
  const t = task.deref_();
  if (!t.hasMember_("stack") || t.member_("stack").value_() !== 0n) return false;
  const asleep = kernelInfo(prog).live
    ? Number(t.hasMember_("on_cpu") ? t.member_("on_cpu").value_() : 0) === 0
    : runningCpu(prog, task) === null;
  if (!asleep) return false;
  // Until the freed stack is reused, it still holds the task's last frames
  // (do_task_dead() from do_exit()), which drgn shows and which tell how
  // the task died: they are kept while the switch frame's return address
  // is still code.
  try {
    const pc = switchFrameRegisters(prog, task).registers[RIP]!;
    return prog.symbol(pc).kind !== "FUNC";
  } catch (e) {
    if (e instanceof FaultError || e instanceof LookupError) return true;
    throw e;
  }
}

/** The stack trace of a kernel thread (the provider installed on kernel programs). */
export function kernelStackTrace(prog: Program, thread: Thread): StackTrace {
  if (hasNoStack(prog, thread.object)) {
    // What the kernel's own show_stack() does for such a task: nothing to
    // unwind (its inactive_task_frame was on the freed stack).
    const trace = new StackTrace(prog, thread);
    trace.truncated = "no_stack";
    trace.stopReason =
      "the task has exited and its kernel stack was freed and reused (task->stack is NULL)";
    return trace;
  }
  const init = kernelInitialRegisters(prog, thread.object);
  return unwindStack(prog, thread, init.registers, init.interrupted, {
    unwinders: [userModeEnd, orcUnwinder, cfiUnwinder],
    framePointers: true,
    expectedOutsideModules: (pc) => isUserPc(pc),
    stackSwitches: 8,
  });
}
