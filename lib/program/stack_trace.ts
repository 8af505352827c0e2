/**
 * Stack traces (drgn's `StackTrace` and `StackFrame`) and the unwinder that
 * builds them: from a thread's initial registers, one machine frame at a
 * time, asking each {@link Unwinder} in turn (for the kernel its ORC tables,
 * `lib/linux/kernel_stack.ts`; DWARF CFI from `.debug_frame` and
 * `.eh_frame`), then the frame-pointer fallback. Every machine frame is
 * expanded into its inline frames from the DWARF scopes at its PC.
 * Providers: userspace cores here ({@link userspaceStackTrace}, registers
 * from `NT_PRSTATUS`), the kernel in `lib/linux/kernel_stack.ts`, live
 * processes in `lib/targets/live_stack.ts`.
 *
 * The walk always ends: at most {@link StackTraceOptions.maxFrames} machine
 * frames ({@link MAX_FRAMES}); a stack pointer that does not grow from a
 * function to its caller (beyond the kernel's allowed stack switches), a
 * register state seen before or a frame-pointer chain that comes back to a
 * frame record ends it as a loop; a caller frame more than
 * {@link MAX_FRAME_SIZE} above its callee as an absurd CFA; a return
 * address that cannot be read as a fault, or that points at nothing mapped
 * as a wild pointer; malformed unwind information for a frame's PC as
 * corrupt CFI (the frames unwound so far are kept). Those endings are
 * markers ({@link StackTrace.truncated}, and a last line of `toString()`:
 * `... stack trace truncated (loop): …`);
 * the normal endings (the outermost frame's CFI says its return address is
 * undefined, ORC's end of stack, a user-mode frame under the kernel, no
 * unwind information at all) print exactly as drgn prints them.
 *
 * @example
 * ```ts ignore
 * const trace = prog.stackTrace(prog.crashedThread());
 * console.log(String(trace));          // #0  crash_here (/src/threads.c:197:7) …
 * for (const frame of trace) console.log(frame.name, frame.locals());
 * trace[0].get("p");                   // a TypedObject
 * ```
 *
 * @module
 */

import {
  type DwarfRegisters,
  prstatusToDwarf,
  X86_64_DWARF,
  x86_64RegisterName,
  x86_64RegisterNumber,
} from "../arch/x86_64.ts";
import { cfiUnwindStep } from "../unwind/cfi_step.ts";
import { framePointerStep } from "../unwind/fp.ts";
import { DecodeError, FaultError, hex, LookupError } from "../errors.ts";
import type { TypedObject } from "../object/typed_object.ts";
import {
  type DwarfFrames,
  dwarfFramesAt,
  findFrameDie,
  type FrameContext,
  frameFunctionName,
  frameLocalNames,
  frameSource,
  frameVariable,
  notFoundInFrame,
  type SourceLocation,
} from "./frame_info.ts";
import { moduleCfi } from "./module_cfi.ts";
import type { Module } from "./module.ts";
import type { Program } from "./program.ts";
import type { Symbol } from "./symbol.ts";
import type { Thread } from "./thread.ts";

const RIP = X86_64_DWARF.rip;
const RSP = X86_64_DWARF.rsp;
const RBP = X86_64_DWARF.rbp;

/** Machine frames unwound at most (drgn's limit). */
export const MAX_FRAMES = 1024;
/** Largest distance from a callee's stack pointer to its caller's accepted (256 MiB). */
export const MAX_FRAME_SIZE = 256n << 20n;

/** Why a trace was cut short. */
export type TruncationKind =
  /** {@link StackTraceOptions.maxFrames} machine frames were unwound. */
  | "cap"
  /** The stack pointer did not grow, or a register state repeated. */
  | "loop"
  /** The caller's frame is implausibly far from the callee's. */
  | "absurd_cfa"
  /** Saved registers or the return address could not be read. */
  | "fault"
  /** The return address points at no module and no readable memory. */
  | "wild_pc"
  /** The unwind information (DWARF CFI or ORC) for the frame's PC is malformed. */
  | "corrupt_cfi"
  /** The kernel task has exited and its freed stack was reused: no frames (see kernel_stack.ts). */
  | "no_stack";

/** The result of one {@link Unwinder} step. */
export type UnwindStep =
  /** The caller's registers; `interrupted` when the caller was interrupted (signal, IRQ, exception). */
  | {
    readonly kind: "frame";
    readonly registers: DwarfRegisters;
    /** The canonical frame address of the frame unwound from (its caller's SP), if known. */
    readonly cfa: bigint | undefined;
    readonly interrupted: boolean;
  }
  /**
   * The frame is the outermost one. With `registers` (DWARF CFI: the
   * return address is undefined), a last frame with no PC holds them, as
   * drgn shows it (`#6  ???`).
   */
  | { readonly kind: "end"; readonly registers?: DwarfRegisters; readonly cfa?: bigint }
  /** Unwinding cannot continue; `truncated` says whether it is a sign of a corrupt stack. */
  | { readonly kind: "stop"; readonly reason: string; readonly truncated?: TruncationKind };

/** An unwinder for one kind of unwind information; null when it has none for the frame's PC. */
export type Unwinder = (prog: Program, frame: MachineFrame) => UnwindStep | null;

/** Options of {@link unwindStack}. */
export interface StackTraceOptions {
  /** Unwinders tried in order before the frame-pointer fallback (default: DWARF CFI). */
  readonly unwinders?: readonly Unwinder[];
  /** Whether to fall back to frame pointers (default true). */
  readonly framePointers?: boolean;
  /** Machine frames at most (default {@link MAX_FRAMES}). */
  readonly maxFrames?: number;
  /**
   * Whether a PC outside every module is expected rather than wild (the
   * kernel: a user-mode PC below the kernel's interrupt frame).
   */
  readonly expectedOutsideModules?: (pc: bigint, frame: MachineFrame) => boolean;
  /**
   * How many times the stack pointer may move down from a frame to its
   * caller (a switch from an IRQ or exception stack back to the task
   * stack: the kernel); default 0, where it means a loop.
   */
  readonly stackSwitches?: number;
}

/** A register state: one machine frame, before inline expansion. */
export class MachineFrame implements FrameContext {
  readonly prog: Program;
  readonly trace: StackTrace;
  /** Index among the trace's machine frames. */
  readonly index: number;
  readonly registers: DwarfRegisters;
  readonly interrupted: boolean;
  /** The module containing the PC, or null. */
  readonly module: Module | null;
  #cfa: bigint | undefined;
  #cfaComputed = false;
  #dwarf: DwarfFrames | null | undefined;
  #trampoline: boolean | undefined;

  constructor(
    trace: StackTrace,
    index: number,
    registers: DwarfRegisters,
    interrupted: boolean,
  ) {
    this.prog = trace.prog;
    this.trace = trace;
    this.index = index;
    this.registers = registers;
    this.interrupted = interrupted;
    const pc = registers[RIP];
    this.module = pc === undefined ? null : this.prog.moduleAt(pc);
  }

  /** The thread of the trace. */
  get thread(): Thread | null {
    return this.trace.thread;
  }

  /** The PC, or undefined. */
  get pc(): bigint | undefined {
    return this.registers[RIP];
  }

  /** The PC to look up unwind and debug info at: the PC itself if interrupted, else PC − 1. */
  get lookupPc(): bigint | undefined {
    const pc = this.registers[RIP];
    if (pc === undefined) return undefined;
    return this.interrupted ? pc : pc - 1n;
  }

  /**
   * Whether this frame is a signal trampoline (glibc's `__restore_rt`: its
   * CFI comes from a CIE with the `S` augmentation). Its PC is where the
   * handler returns to, the trampoline's first instruction, not a return
   * address after a call.
   */
  get isSignalTrampoline(): boolean {
    if (this.#trampoline === undefined) {
      this.#trampoline = false;
      const lookup = this.lookupPc;
      const m = this.module;
      if (
        !this.interrupted && lookup !== undefined && m !== null &&
        m.kind !== "linux_kernel" && m.kind !== "linux_kernel_module"
      ) {
        try {
          this.#trampoline = moduleCfi(this.prog, m).rowForPc(lookup)?.row.isSignalFrame ?? false;
        } catch (e) {
          // Unreadable or malformed CFI: not known to be a trampoline (the
          // unwinder reports a malformed one when it reaches the frame).
          if (!(e instanceof FaultError) && !(e instanceof DecodeError)) throw e;
        }
      }
    }
    return this.#trampoline;
  }

  /** The PC to look up symbols and debug info at: {@link lookupPc}, or the PC of a signal trampoline. */
  get infoPc(): bigint | undefined {
    return this.isSignalTrampoline ? this.pc : this.lookupPc;
  }

  /** Records the CFA found while unwinding from this frame. */
  setCfa(cfa: bigint | undefined): void {
    if (cfa !== undefined) {
      this.#cfa = cfa;
      this.#cfaComputed = true;
    }
  }

  /** The canonical frame address (the caller's SP before the call), if known. */
  cfa(): bigint | undefined {
    if (this.#cfaComputed) return this.#cfa;
    this.#cfaComputed = true;
    const lookup = this.lookupPc;
    if (this.module === null || lookup === undefined) return undefined;
    try {
      const found = moduleCfi(this.prog, this.module).rowForPc(lookup);
      if (found === null) return undefined;
      const step = cfiUnwindStep(found.row, this.registers, {
        read: (a, n) => this.prog.read(a, n),
        section: found.source.name,
      });
      if (step.kind !== "unknown") this.#cfa = step.cfa;
    } catch (e) {
      if (!(e instanceof FaultError) && !(e instanceof DecodeError)) throw e;
    }
    return this.#cfa;
  }

  /** The calling machine frame, or null. */
  caller(): MachineFrame | null {
    return this.trace.machineFrames[this.index + 1] ?? null;
  }

  /** The DWARF frames at this frame's PC (cached), or null. */
  dwarfFrames(): DwarfFrames | null {
    if (this.#dwarf === undefined) {
      const pc = this.infoPc;
      this.#dwarf = this.module === null || pc === undefined
        ? null
        : dwarfFramesAt(this.module, pc - this.module.bias);
    }
    return this.#dwarf;
  }
}

/** `name+0xoff/0xsize` of a symbol for `pc`. */
function symbolText(sym: Symbol, pc: bigint): string {
  return `${sym.name}+${hex(pc - sym.address)}/${hex(sym.size)}`;
}

/** A frame of a stack trace (drgn's `StackFrame`). */
export class StackFrame {
  /** The trace this frame belongs to. */
  readonly trace: StackTrace;
  /** Index in the trace (0 is the innermost frame). */
  readonly index: number;
  /** The machine frame (register state) this frame shares with its inline frames. */
  readonly machine: MachineFrame;
  readonly #dwarfIndex: number;

  constructor(trace: StackTrace, index: number, machine: MachineFrame, dwarfIndex: number) {
    this.trace = trace;
    this.index = index;
    this.machine = machine;
    this.#dwarfIndex = dwarfIndex;
  }

  #dwarf(): { frames: DwarfFrames; i: number } | null {
    if (this.#dwarfIndex < 0) return null;
    const frames = this.machine.dwarfFrames();
    return frames === null ? null : { frames, i: this.#dwarfIndex };
  }

  /** The function's name from the debug info (inline frames: the inlined function), or null. */
  get name(): string | null {
    const d = this.#dwarf();
    if (d === null) return null;
    return frameFunctionName(d.frames.dwarf, d.frames.frames[d.i]!);
  }

  /** Whether this frame is a function inlined into its caller (the next frame). */
  get isInline(): boolean {
    const d = this.#dwarf();
    return d !== null && d.frames.frames[d.i]!.isInline;
  }

  /**
   * Whether the frame was interrupted (frame 0 of a core or a running task,
   * or the frame below a signal or interrupt frame): its registers are
   * exact, and its PC is the next instruction to run rather than a return
   * address.
   */
  get interrupted(): boolean {
    return this.machine.interrupted;
  }

  /** The program counter. Throws `LookupError` if it is not known. */
  get pc(): bigint {
    const pc = this.machine.pc;
    if (pc === undefined) throw new LookupError("program counter is not known", "register", "pc");
    return pc;
  }

  /** The stack pointer. Throws `LookupError` if it is not known. */
  get sp(): bigint {
    const sp = this.machine.registers[RSP];
    if (sp === undefined) throw new LookupError("stack pointer is not known", "register", "sp");
    return sp;
  }

  /**
   * The source position: `{file, line, column}` (column 0 when the line
   * table has none). Throws `LookupError` if not available.
   */
  source(): SourceLocation {
    const d = this.#dwarf();
    const s = d === null ? null : frameSource(d.frames, d.i);
    if (s === null) {
      throw new LookupError("source code location not available", "source", String(this.index));
    }
    return s;
  }

  #sourceOrNull(): SourceLocation | null {
    const d = this.#dwarf();
    return d === null ? null : frameSource(d.frames, d.i);
  }

  /** The ELF symbol containing the PC (PC − 1 for a return address). Throws `LookupError`. */
  symbol(): Symbol {
    const pc = this.machine.pc;
    if (pc === undefined) {
      throw new LookupError("program counter is not known at stack frame", "symbol", "");
    }
    const lookup = this.machine.infoPc!;
    if (this.machine.module === null) {
      throw new LookupError(
        `could not find symbol containing ${hex(lookup)}`,
        "symbol",
        hex(lookup),
      );
    }
    return this.trace.prog.symbol(lookup);
  }

  #symbolOrNull(): Symbol | null {
    try {
      return this.machine.pc === undefined ? null : this.symbol();
    } catch (e) {
      if (e instanceof LookupError) return null;
      throw e;
    }
  }

  /**
   * A register's value by name (`"rip"`, `"rsp"`, `"r12"`, `"fs.base"`).
   * Throws `RangeError` for an unknown name, `LookupError` if the value is
   * not known in this frame.
   */
  register(name: string): bigint {
    const n = x86_64RegisterNumber(name);
    if (n === undefined) throw new RangeError(`unknown register '${name}'`);
    const v = this.machine.registers[n];
    if (v === undefined) throw new LookupError("register value is not known", "register", name);
    return v;
  }

  /** The known registers of this frame by name, in DWARF register order. */
  registers(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    const regs = this.machine.registers;
    for (let i = 0; i < regs.length; i++) {
      const v = regs[i];
      if (v !== undefined) out[x86_64RegisterName(i)] = v;
    }
    return out;
  }

  /**
   * Names of the function's parameters and local variables in scope at the
   * PC, outermost scope first, in debug-info order (drgn's order).
   */
  locals(): string[] {
    const d = this.#dwarf();
    if (d === null) return [];
    return frameLocalNames(d.frames.dwarf, d.frames.frames[d.i]!);
  }

  /**
   * The object `name` denotes in this frame (drgn's `frame[name]`): a
   * parameter, local variable, enumerator or file-scope variable of the
   * function's source file. Optimized-out values are absent objects.
   * Throws `LookupError` if the name is not in scope.
   */
  get(name: string): TypedObject {
    const d = this.#dwarf();
    if (d === null) notFoundInFrame(name, null);
    const frame = d.frames.frames[d.i]!;
    const found = findFrameDie(d.frames.dwarf, frame, name);
    if (found === null) notFoundInFrame(name, frameFunctionName(d.frames.dwarf, frame));
    return frameVariable(this.machine, d.frames, found);
  }

  /** The same as {@link get} (drgn's `frame[name]`). */
  variable(name: string): TypedObject {
    return this.get(name);
  }

  /** Whether `name` is in scope in this frame. */
  has(name: string): boolean {
    const d = this.#dwarf();
    if (d === null) return false;
    return findFrameDie(d.frames.dwarf, d.frames.frames[d.i]!, name) !== null;
  }

  /** The line drgn prints for this frame in a trace: `name (file:line:col)` without the index. */
  summary(): string {
    let s: string;
    const name = this.name;
    const pc = this.machine.pc;
    if (name !== null) s = name;
    else if (pc !== undefined) {
      const sym = this.#symbolOrNull();
      s = sym !== null ? symbolText(sym, pc) : hex(pc);
    } else s = "???";
    const src = this.#sourceOrNull();
    if (src !== null) {
      s += src.column ? ` (${src.file}:${src.line}:${src.column})` : ` (${src.file}:${src.line})`;
    }
    return s;
  }

  /** drgn's `str(frame)`: `#1 at 0x… (sym+0x…/0x…) in name at file:line:col (inlined)`. */
  toString(): string {
    let s = `#${this.index} at `;
    const pc = this.machine.pc;
    if (pc !== undefined) {
      s += hex(pc);
      const sym = this.#symbolOrNull();
      if (sym !== null) s += ` (${symbolText(sym, pc)})`;
    } else s += "???";
    const name = this.name;
    if (name !== null) s += ` in ${name}`;
    const src = this.#sourceOrNull();
    if (src !== null) {
      s += src.column ? ` at ${src.file}:${src.line}:${src.column}` : ` at ${src.file}:${src.line}`;
    }
    if (this.isInline) s += " (inlined)";
    return s;
  }

  [globalThis.Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** A stack trace: frames innermost first (drgn's `StackTrace`). */
export class StackTrace implements Iterable<StackFrame> {
  readonly prog: Program;
  /** The thread the trace is of, if any. */
  readonly thread: Thread | null;
  /** The register states, innermost first. */
  readonly machineFrames: MachineFrame[] = [];
  /** The frames, innermost first (inline frames expanded). */
  readonly frames: StackFrame[] = [];
  /** Why unwinding was cut short (a corrupt or garbage stack), or null. */
  truncated: TruncationKind | null = null;
  /** What ended the walk when it was not a normal end (for diagnostics), or null. */
  stopReason: string | null = null;
  /** Frames by index (`trace[0]`). */
  readonly [index: number]: StackFrame;

  constructor(prog: Program, thread: Thread | null) {
    this.prog = prog;
    this.thread = thread;
  }

  /** Number of frames. */
  get length(): number {
    return this.frames.length;
  }

  /** Appends a machine frame and its inline frames (used by the unwinder). */
  pushMachineFrame(registers: DwarfRegisters, interrupted: boolean): MachineFrame {
    const m = new MachineFrame(this, this.machineFrames.length, registers, interrupted);
    this.machineFrames.push(m);
    const d = m.dwarfFrames();
    const n = d === null ? 1 : d.frames.length;
    for (let i = 0; i < n; i++) {
      const f = new StackFrame(this, this.frames.length, m, d === null ? -1 : i);
      Object.defineProperty(this, this.frames.length, {
        value: f,
        enumerable: true,
        configurable: false,
        writable: false,
      });
      this.frames.push(f);
    }
    return m;
  }

  *[globalThis.Symbol.iterator](): Iterator<StackFrame> {
    yield* this.frames;
  }

  /** drgn's `str(trace)`: one `#N  name (file:line:col)` line per frame; a marker line if cut short. */
  toString(): string {
    const lines = this.frames.map((f, i) => `#${String(i).padEnd(2)} ${f.summary()}`);
    if (this.truncated !== null) {
      lines.push(`... stack trace truncated (${this.truncated}): ${this.stopReason ?? ""}`);
    }
    return lines.join("\n");
  }

  [globalThis.Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

// ---------------------------------------------------------------------------
// Unwinders

function reader(prog: Program) {
  return (a: bigint, n: number) => prog.read(a, n);
}

/** DWARF CFI of the frame's module (`.debug_frame`, then `.eh_frame`). */
export const cfiUnwinder: Unwinder = (prog, frame) => {
  const lookup = frame.lookupPc;
  if (frame.module === null || lookup === undefined) return null;
  const found = moduleCfi(prog, frame.module).rowForPc(lookup);
  if (found === null) return null;
  const step = cfiUnwindStep(found.row, frame.registers, {
    read: reader(prog),
    section: found.source.name,
  });
  switch (step.kind) {
    case "frame":
      return {
        kind: "frame",
        registers: step.registers,
        cfa: step.cfa,
        interrupted: found.row.isSignalFrame,
      };
    case "end":
      return { kind: "end", registers: step.registers, cfa: step.cfa };
    case "unknown":
      return {
        kind: "stop",
        reason: step.reason,
        truncated: /cannot read/.test(step.reason) ? "fault" : undefined,
      };
  }
};

/**
 * The frame-pointer fallback: `[rbp]` is the caller's `rbp`, `[rbp + 8]` the
 * return address. Ends quietly where the chain is unusable, as drgn does.
 */
export const framePointerUnwinder: Unwinder = (prog, frame) => {
  if (frame.registers[RBP] === undefined) return { kind: "stop", reason: "rbp is not known" };
  const step = framePointerStep(frame.registers, { read: reader(prog) });
  switch (step.kind) {
    case "frame": {
      const rbp = frame.registers[RBP]!;
      return { kind: "frame", registers: step.registers, cfa: rbp + 16n, interrupted: false };
    }
    case "end":
      return { kind: "end" };
    case "unknown": {
      // A frame record already walked through: the chain is a cycle (a corrupt stack).
      const rbp = frame.registers[RBP]!;
      const cycle = frame.trace.machineFrames.some((m) => m !== frame && m.registers[RBP] === rbp);
      return {
        kind: "stop",
        reason: `frame pointer: ${step.reason}`,
        truncated: cycle ? "loop" : undefined,
      };
    }
  }
};

function hasAny(regs: DwarfRegisters): boolean {
  for (const v of regs) if (v !== undefined) return true;
  return false;
}

/**
 * Unwinds a stack from `registers` (DWARF-numbered) into a {@link StackTrace}.
 *
 * @param interrupted whether the initial registers are exact (a core's
 *   NT_PRSTATUS, a stopped thread) rather than a return address (a sleeping
 *   kernel task's saved context)
 */
export function unwindStack(
  prog: Program,
  thread: Thread | null,
  registers: DwarfRegisters,
  interrupted: boolean,
  options: StackTraceOptions = {},
): StackTrace {
  const trace = new StackTrace(prog, thread);
  const unwinders = [
    ...(options.unwinders ?? [cfiUnwinder]),
    ...(options.framePointers === false ? [] : [framePointerUnwinder]),
  ];
  const maxFrames = options.maxFrames ?? MAX_FRAMES;
  const seen = new Set<string>();
  let switches = options.stackSwitches ?? 0;
  let frame = trace.pushMachineFrame(registers, interrupted);
  const stop = (reason: string, truncated?: TruncationKind) => {
    trace.stopReason = reason;
    trace.truncated = truncated ?? null;
  };
  for (;;) {
    if (trace.machineFrames.length >= maxFrames) {
      stop(`${maxFrames} frames unwound`, "cap");
      break;
    }
    if (frame.pc === undefined) break; // the outermost frame of a CFI "end"
    let step: UnwindStep | null = null;
    for (const u of unwinders) {
      try {
        step = u(prog, frame);
      } catch (e) {
        if (e instanceof FaultError) {
          step = { kind: "stop", reason: e.message, truncated: "fault" };
        } else if (e instanceof DecodeError) {
          step = { kind: "stop", reason: e.message, truncated: "corrupt_cfi" };
        } else throw e;
      }
      if (step !== null) break;
    }
    if (step === null) break;
    if (step.kind === "stop") {
      stop(step.reason, step.truncated);
      break;
    }
    if (step.kind === "end") {
      frame.setCfa(step.cfa);
      if (step.registers !== undefined && hasAny(step.registers)) {
        trace.pushMachineFrame(step.registers, false);
      }
      break;
    }
    frame.setCfa(step.cfa);
    const regs = step.registers;
    if (!hasAny(regs)) break;
    const sp = frame.registers[RSP], nextSp = regs[RSP], nextPc = regs[RIP];
    if (sp !== undefined && nextSp !== undefined && !step.interrupted) {
      const down = nextSp <= sp;
      if (down || nextSp - sp > MAX_FRAME_SIZE) {
        if (nextSp !== sp && switches > 0) {
          switches--; // onto another stack (the kernel's IRQ and exception stacks)
        } else if (down) {
          stop(`stack pointer did not grow (${hex(sp)} → ${hex(nextSp)})`, "loop");
          break;
        } else {
          stop(
            `caller frame at ${hex(nextSp)} is ${hex(nextSp - sp)} bytes above ${hex(sp)}`,
            "absurd_cfa",
          );
          break;
        }
      }
    }
    const key = `${nextPc}:${nextSp}:${step.interrupted}`;
    if (seen.has(key)) {
      stop(`register state repeats (pc ${nextPc === undefined ? "?" : hex(nextPc)})`, "loop");
      break;
    }
    seen.add(key);
    frame = trace.pushMachineFrame(regs, step.interrupted);
    if (nextPc !== undefined && frame.module === null) {
      if (options.expectedOutsideModules?.(nextPc, frame)) continue;
      let readable = true;
      try {
        prog.read(nextPc, 1);
      } catch (e) {
        if (!(e instanceof FaultError)) throw e;
        readable = false;
      }
      if (!readable) {
        stop(`return address ${hex(nextPc)} is in no module and not mapped`, "wild_pc");
        break;
      }
    }
  }
  return trace;
}

/**
 * The stack trace of a userspace thread from the registers it stopped with
 * (a core's NT_PRSTATUS): DWARF CFI, then frame pointers.
 */
export function userspaceStackTrace(prog: Program, thread: Thread): StackTrace {
  const regs = thread.registers();
  if (regs === null) {
    throw new LookupError(
      `registers of thread ${thread.tid} are not known`,
      "thread",
      String(thread.tid),
    );
  }
  return unwindStack(prog, thread, prstatusToDwarf(regs), true);
}
