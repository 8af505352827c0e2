/**
 * The x86-64 frame-pointer unwinder, the fallback when neither CFI nor ORC
 * covers a PC: with `push %rbp; mov %rsp,%rbp` prologues, `[rbp]` is the
 * caller's `rbp` and `[rbp + 8]` the return address, and the caller's `rsp`
 * is `rbp + 16`. Sanity checks stop the walk on garbage: `rbp` must be
 * 8-byte aligned, at or above `rsp` (so each step moves up the stack and
 * a cycle in the chain ends the walk), and inside the stack bounds when given.
 *
 * @module
 */

import type { DwarfRegisters, ReadMemory } from "../arch/x86_64.ts";

/** Options of {@link framePointerStep}. */
export interface FramePointerOptions {
  /** Reads target memory (throws `FaultError`). */
  readonly read: ReadMemory;
  /** `[low, high)` of the thread's stack; frames outside it stop the walk. */
  readonly stackBounds?: readonly [bigint, bigint];
}

/** The result of {@link framePointerStep}. */
export type FramePointerStep =
  /** The caller's `rip`, `rsp` and `rbp` (DWARF-numbered). */
  | { readonly kind: "frame"; readonly registers: DwarfRegisters }
  /** `rbp` is 0: the outermost frame (glibc's `_start` and thread starts clear it). */
  | { readonly kind: "end" }
  /** The chain is unusable here. */
  | { readonly kind: "unknown"; readonly reason: string };

const RIP = 16, RSP = 7, RBP = 6;

/** One frame-pointer step from `registers` (needs `rbp`; uses `rsp` for the checks). */
export function framePointerStep(
  registers: DwarfRegisters,
  options: FramePointerOptions,
): FramePointerStep {
  const rbp = registers[RBP];
  const rsp = registers[RSP];
  if (rbp === undefined) return { kind: "unknown", reason: "rbp is not known" };
  if (rbp === 0n) return { kind: "end" };
  if ((rbp & 7n) !== 0n) return { kind: "unknown", reason: "rbp is not 8-byte aligned" };
  if (rsp !== undefined && rbp < rsp) return { kind: "unknown", reason: "rbp is below rsp" };
  const bounds = options.stackBounds;
  if (bounds !== undefined && (rbp < bounds[0] || rbp + 16n > bounds[1])) {
    return { kind: "unknown", reason: "rbp is outside the stack" };
  }
  let saved: Uint8Array;
  try {
    saved = options.read(rbp, 16);
  } catch (e) {
    return { kind: "unknown", reason: `cannot read the frame record: ${(e as Error).message}` };
  }
  const v = new DataView(saved.buffer, saved.byteOffset, 16);
  const callerRbp = v.getBigUint64(0, true);
  const ret = v.getBigUint64(8, true);
  if (ret === 0n) return { kind: "end" };
  // The caller's rbp is checked at the next step (it must be at or above
  // the new rsp, rbp + 16), so rsp strictly increases and a loop in the
  // chain cannot repeat. (The caller may not use rbp as a frame pointer at
  // all: code built without frame pointers keeps any value there.)
  const out: DwarfRegisters = [];
  out[RIP] = ret;
  out[RSP] = rbp + 16n;
  out[RBP] = callerRbp;
  return { kind: "frame", registers: out };
}
