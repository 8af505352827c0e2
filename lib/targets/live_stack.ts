/**
 * Stack traces of a live process's threads (drgn 0.0.22 refuses them).
 *
 * How: the thread is **stopped briefly with ptrace** (`PTRACE_SEIZE`, then
 * `PTRACE_INTERRUPT` and `waitpid(__WALL)`), its registers are read
 * (`PTRACE_GETREGS`), the whole stack is unwound while it stays stopped (so
 * the frames, their registers and inline expansion are a consistent
 * snapshot), and it is detached (`PTRACE_DETACH`, re-delivering a signal
 * that arrived meanwhile). Only that thread stops, for the time of one
 * unwind (about a millisecond); the others keep running. Locals are read
 * later, when asked for, from the running process: a value that changes
 * meanwhile is read as it is then.
 *
 * ptrace goes through libc with Deno's FFI (`Deno.dlopen`, which needs
 * `--allow-ffi` or `-A`) and needs the permission to trace the process (its
 * owner under `kernel.yama.ptrace_scope` 0 or a parent under 1, or root).
 *
 * Without FFI or ptrace permission, a thread blocked in a system call is
 * unwound from `/proc/PID/task/TID/syscall`, which gives only its stack
 * pointer and PC (non-intrusive, but frames whose CFA is computed from
 * `rbp` cannot be unwound: the trace may stop early, with
 * {@link StackTrace.stopReason} saying why); a thread that is running
 * gives a `TargetError`.
 *
 * @module
 */

import { type DwarfRegisters, prstatusToDwarf, X86_64_DWARF } from "../arch/x86_64.ts";
import { X86_64_REGISTER_NAMES } from "../elf/core_notes.ts";
import { LookupError, TargetError } from "../errors.ts";
import type { Program } from "../program/program.ts";
import { type StackTrace, unwindStack } from "../program/stack_trace.ts";
import type { Thread } from "../program/thread.ts";

const PTRACE_GETREGS = 12;
const PTRACE_DETACH = 17;
const PTRACE_SEIZE = 0x4206;
const PTRACE_INTERRUPT = 0x4207;
const PTRACE_EVENT_STOP = 128;
const WALL = 0x40000000;
const EINTR = 4;
const ESRCH = 3;
const EPERM = 1;
/** `waitpid()` calls at most while waiting for the stop (EINTR retries, other stops). */
const MAX_WAITS = 64;

const SYMBOLS = {
  ptrace: { parameters: ["i64", "i32", "pointer", "pointer"], result: "i64" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | null | undefined;
let libcError = "";

/** libc through FFI, or null (with {@link libcError} set) when FFI is not allowed. */
function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (e) {
    libc = null;
    libcError = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "Deno's FFI is not allowed (run with --allow-ffi or -A)"
      : `cannot load libc.so.6 through FFI: ${e instanceof Error ? e.message : e}`;
  }
  return libc;
}

function errno(c: Libc): number {
  const p = c.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

class PtraceError extends Error {
  readonly errno: number;
  constructor(what: string, errno: number) {
    super(`${what} failed (errno ${errno})`);
    this.errno = errno;
  }
}

function ptrace(c: Libc, request: number, tid: number, data: bigint | Uint8Array = 0n): void {
  const ptr = typeof data === "bigint"
    ? (data === 0n ? null : Deno.UnsafePointer.create(data))
    : Deno.UnsafePointer.of(data as Uint8Array<ArrayBuffer>);
  const r = c.ptrace(BigInt(request), tid, null, ptr);
  if (r === -1n) throw new PtraceError(`ptrace(${request}, ${tid})`, errno(c));
}

/**
 * Stops thread `tid` with ptrace, calls `f` with its registers (named as
 * in `user_regs_struct`), and detaches whatever `f` does.
 */
export function withStoppedThread<T>(
  tid: number,
  f: (registers: Record<string, bigint>) => T,
): T {
  const c = openLibc();
  if (c === null) throw new TargetError(`/proc/${tid}`, libcError);
  ptrace(c, PTRACE_SEIZE, tid);
  let signal = 0n;
  try {
    ptrace(c, PTRACE_INTERRUPT, tid);
    const status = new Int32Array(1);
    let stopped = false;
    for (let i = 0; i < MAX_WAITS && !stopped; i++) {
      const r = c.waitpid(tid, new Uint8Array(status.buffer), WALL);
      if (r === -1) {
        const e = errno(c);
        if (e === EINTR) continue;
        throw new PtraceError(`waitpid(${tid})`, e);
      }
      const s = status[0]!;
      if ((s & 0xff) !== 0x7f) {
        throw new LookupError(`thread ${tid} exited`, "thread", String(tid));
      }
      stopped = true;
      // A signal-delivery stop (not our interrupt): deliver the signal on detach.
      const sig = (s >> 8) & 0xff;
      if ((s >> 16) !== PTRACE_EVENT_STOP && sig !== 0) signal = BigInt(sig);
    }
    if (!stopped) throw new PtraceError(`waiting for thread ${tid} to stop`, 0);
    const regs = new BigUint64Array(X86_64_REGISTER_NAMES.length);
    ptrace(c, PTRACE_GETREGS, tid, new Uint8Array(regs.buffer));
    const named: Record<string, bigint> = {};
    X86_64_REGISTER_NAMES.forEach((n, i) => (named[n] = regs[i]!));
    return f(named);
  } finally {
    try {
      ptrace(c, PTRACE_DETACH, tid, signal);
    } catch {
      // The thread is gone.
    }
  }
}

/**
 * A blocked thread's stack pointer and PC from `/proc/PID/task/TID/syscall`
 * (`nr args… sp pc`); throws `TargetError` if the thread is running.
 */
export function blockedThreadRegisters(pid: number, tid: number): DwarfRegisters {
  const path = `/proc/${pid}/task/${tid}/syscall`;
  let text: string;
  try {
    text = Deno.readTextFileSync(path).trim();
  } catch (e) {
    throw new TargetError(path, e instanceof Error ? e.message : String(e));
  }
  const f = text.split(/\s+/);
  if (f[0] === "running" || f.length < 3) {
    throw new TargetError(
      path,
      `thread ${tid} is running: only a thread blocked in a system call can be unwound without ptrace`,
    );
  }
  const regs: DwarfRegisters = [];
  regs[X86_64_DWARF.rsp] = BigInt(f[f.length - 2]!);
  regs[X86_64_DWARF.rip] = BigInt(f[f.length - 1]!);
  return regs;
}

/**
 * The stack trace of a live process's thread (the provider installed on
 * live-process programs); see the module documentation for how.
 */
export function liveStackTrace(prog: Program, thread: Thread): StackTrace {
  const pid = prog.targetData.get("pid") as number;
  let fallback: string;
  try {
    return withStoppedThread(
      thread.tid,
      (regs) => unwindStack(prog, thread, prstatusToDwarf(regs), true),
    );
  } catch (e) {
    if (e instanceof PtraceError && e.errno === ESRCH) {
      throw new LookupError(`thread ${thread.tid} not found`, "thread", String(thread.tid));
    }
    if (e instanceof TargetError) fallback = e.message;
    else if (e instanceof PtraceError && e.errno === EPERM) {
      fallback = `ptrace is not permitted (${e.message})`;
    } else throw e;
  }
  const trace = unwindStack(prog, thread, blockedThreadRegisters(pid, thread.tid), true);
  trace.stopReason ??= `unwound from /proc without ptrace: ${fallback}`;
  return trace;
}
