/**
 * Bitmaps (`unsigned long *`), as drgn's `drgn.helpers.linux.bitops`:
 * the kernel's `for_each_set_bit()`, `for_each_clear_bit()` and
 * `test_bit()`.
 *
 * @example The online CPUs, from the bitmap of the mask
 * ```ts
 * import { forEachSetBit } from "./bitops.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const bits = prog.object("__cpu_online_mask").member_("bits");
 * if ([...forEachSetBit(bits, 2)].join() !== "0,1") throw new Error();
 * ```
 *
 * @module
 */

import type { TypedObject } from "../../lib/object/typed_object.ts";
import { sizeOf, underlyingType } from "../../lib/types/type.ts";
import { type IntegerLike, progOf, toBigInt } from "../common/_args.ts";
import { asPointer, pointee, readWord } from "./_util.ts";

/** The bitmap's address and its word size in bytes. */
function words(bitmap: TypedObject): [bigint, number] {
  const p = asArrayPointer(bitmap);
  return [p.value_() as bigint, sizeOf(pointee(p.type_))];
}

/** `unsigned long *` from a pointer or an array (`mask.bits`). */
function asArrayPointer(bitmap: TypedObject): TypedObject {
  if (underlyingType(bitmap.type_).kind === "array") {
    if (bitmap.address_ === null) throw new TypeError("bitmap must be in memory");
    return bitmap.subscript_(0).addressOf_();
  }
  return asPointer(bitmap, "bitmap");
}

function* bits(bitmap: TypedObject, size: IntegerLike, set: boolean): Generator<number> {
  const n = Number(toBigInt(size));
  const [base, w] = words(bitmap);
  const prog = progOf(bitmap);
  const wordBits = w * 8;
  for (let i = 0; i * wordBits < n; i++) {
    const word = readWord(prog, base + BigInt(i * w), w);
    const end = Math.min(wordBits, n - i * wordBits);
    for (let j = 0; j < end; j++) {
      if ((((word >> BigInt(j)) & 1n) === 1n) === set) yield i * wordBits + j;
    }
  }
}

/**
 * Iterates over the set (one) bits among the first `size` of a bitmap.
 *
 * @param bitmap `unsigned long *` (or an array of `unsigned long`)
 * @param size the bitmap's size in bits
 */
export function forEachSetBit(bitmap: TypedObject, size: IntegerLike): Generator<number> {
  return bits(bitmap, size, true);
}

/**
 * Iterates over the clear (zero) bits among the first `size` of a bitmap.
 *
 * @param bitmap `unsigned long *` (or an array of `unsigned long`)
 * @param size the bitmap's size in bits
 */
export function forEachClearBit(bitmap: TypedObject, size: IntegerLike): Generator<number> {
  return bits(bitmap, size, false);
}

/**
 * Whether bit `nr` of a bitmap is set.
 *
 * @param nr the bit number
 * @param bitmap `unsigned long *` (or an array of `unsigned long`)
 */
export function testBit(nr: IntegerLike, bitmap: TypedObject): boolean {
  const n = toBigInt(nr);
  const [base, w] = words(bitmap);
  const wordBits = BigInt(w * 8);
  const word = readWord(progOf(bitmap), base + (n / wordBits) * BigInt(w), w);
  return ((word >> (n % wordBits)) & 1n) === 1n;
}
