/**
 * Helpers for stack traces usable with any program (drgn's
 * `drgn.helpers.common.stack`).
 *
 * @module
 */

import { FaultError } from "../../lib/errors.ts";
import type { Program } from "../../lib/program/program.ts";
import { identifyAddress } from "./memory.ts";
import { wordValue } from "./_args.ts";

/** What {@link printAnnotatedStack} needs of a stack frame. */
export interface AnnotatedStackFrame {
  /** The frame's stack pointer. */
  readonly sp: bigint;
  /** Whether the frame was interrupted (its caller's stack may be elsewhere). */
  readonly interrupted: boolean;
  /** drgn's `str(frame)`: `#0 at 0x… (func+0x…/0x…) in func at file:line:col`. */
  toString(): string;
}

/** What {@link printAnnotatedStack} needs of a stack trace: its program and frames, innermost first. */
export interface AnnotatedStackTrace {
  readonly prog: Program;
  /** The frames (a `StackTrace` may instead be iterable). */
  readonly frames?: readonly AnnotatedStackFrame[];
  [Symbol.iterator]?(): Iterator<AnnotatedStackFrame>;
}

/**
 * Prints the stack memory of a stack trace word by word, with each frame
 * where its stack pointer is and what each word points to (see
 * `identifyAddress`), as drgn's `print_annotated_stack()`:
 *
 * ```text
 * STACK POINTER     VALUE
 * [stack frame #0 at 0xffffffff8dc93c41 (__schedule+0x429/0x488) in …]
 * ffffa903c0013d50: ffff926641178000 [slab object: task_struct+0x0]
 * ```
 *
 * The frames up to the next interrupted frame share one stack; a stack
 * that cannot be read prints its frames only.
 *
 * @param trace The stack trace.
 * @param write Where lines go (default `console.log`).
 *
 * @example
 * ```ts ignore
 * printAnnotatedStack(prog.stackTrace(findTask(prog, 1)));
 * ```
 */
export function printAnnotatedStack(
  trace: AnnotatedStackTrace,
  write: (line: string) => void = console.log,
): void {
  const prog = trace.prog;
  const frames: readonly AnnotatedStackFrame[] = trace.frames ??
    (trace[Symbol.iterator] ? [...(trace as Iterable<AnnotatedStackFrame>)] : []);
  const word = prog.platform.wordSize;
  const le = prog.platform.littleEndian;
  const digits = word * 2;
  if (word === 8) write("STACK POINTER     VALUE");
  else write("STACK     VALUE\nPOINTER");
  const cache = new Map<string, unknown>();
  let start = 0;
  while (start < frames.length) {
    // This stack's frames: up to the next interrupted frame.
    let end = start + 1;
    while (end < frames.length && !frames[end]!.interrupted) end++;
    const group = frames.slice(start, end);
    const first = group[0]!.sp;
    const last = group[group.length - 1]!.sp + BigInt(word) - 1n;
    const size = last - first + 1n;
    let mem: Uint8Array | null = null;
    if (size > 0n && size <= 1n << 24n) {
      try {
        mem = prog.read(first, Number(size));
      } catch (e) {
        if (!(e instanceof FaultError)) throw e;
      }
    }
    if (mem === null) {
      for (const f of group) write(`[stack frame ${f}]`);
      start = end;
      continue;
    }
    let fi = 0;
    for (let off = 0; off < mem.length; off += word) {
      const addr = first + BigInt(off);
      const value = wordValue(mem.subarray(off, off + word), le);
      while (fi < group.length && group[fi]!.sp === addr) write(`[stack frame ${group[fi++]}]`);
      const what = identifyAddress(prog, value, { cache });
      write(
        `${addr.toString(16).padStart(digits, "0")}: ${value.toString(16).padStart(digits, "0")}${
          what === null ? "" : ` [${what}]`
        }`,
      );
    }
    start = end;
  }
}
