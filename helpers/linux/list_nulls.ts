/**
 * Hash lists whose end is marked by a "nulls" value (`struct
 * hlist_nulls_head`) from the kernel's `include/linux/list_nulls.h`, as
 * drgn's `drgn.helpers.linux.list_nulls`: the last node's `next` is an odd
 * value (`((unsigned long)nulls << 1) | 1`) instead of `NULL`, so RCU
 * readers can tell which chain they ended on.
 *
 * @example The listening TCP sockets in a bucket
 * ```ts
 * import { hlistNullsForEachEntry } from "./list_nulls.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const lhash2 = prog.object("tcp_hashinfo").lhash2;
 * const socks = [...hlistNullsForEachEntry("struct sock", lhash2[119].nulls_head.addressOf_(),
 *   "__sk_common.skc_nulls_node")];
 * if (socks.length !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type { TypedObject } from "../../lib/object/typed_object.ts";
import type { Type } from "../../lib/types/type.ts";
import {
  asPointer,
  container,
  containerAt,
  CycleDetector,
  cycleError,
  memberOffset,
  pointee,
  pointerValue,
  readWord,
} from "./_util.ts";

/**
 * Whether a pointer value is a nulls marker (`is_a_nulls()`): its low bit is set.
 *
 * @param pos `struct hlist_nulls_node *`
 * @returns true if `pos` ends a list
 *
 * @example
 * ```ts
 * import { isANulls } from "./list_nulls.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const head = prog.object("tcp_hashinfo").lhash2[0].nulls_head;
 * if (!isANulls(head.first)) throw new Error("bucket 0 is empty");
 * ```
 */
export function isANulls(pos: TypedObject): boolean {
  return (pointerValue(asPointer(pos, "pos")) & 1n) !== 0n;
}

/**
 * Whether a nulls hash list is empty (`hlist_nulls_empty()`).
 *
 * @param head `struct hlist_nulls_head *`
 * @returns true if `head->first` is a nulls marker
 *
 * @example
 * ```ts
 * import { hlistNullsEmpty } from "./list_nulls.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const lhash2 = prog.object("tcp_hashinfo").lhash2;
 * if (hlistNullsEmpty(lhash2[119].nulls_head.addressOf_())) throw new Error();
 * ```
 */
export function hlistNullsEmpty(head: TypedObject): boolean {
  const h = asPointer(head, "head");
  const first = memberOffset(pointee(h.type_), "first");
  return (readWord(h.prog_, pointerValue(h) + first, h.prog_.platform.wordSize) & 1n) !== 0n;
}

/**
 * Iterates over the entries of a nulls hash list (`hlist_nulls_for_each_entry()`).
 *
 * @param type the entry type (`"struct sock"`)
 * @param head `struct hlist_nulls_head *`
 * @param member the `struct hlist_nulls_node` member of the entry (a designator like `a.b` works)
 * @returns an iterator of `type *`
 * @throws {ValidationError} if the list has a cycle
 *
 * @example
 * ```ts
 * import { hlistNullsForEachEntry } from "./list_nulls.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const ehash = prog.object("tcp_hashinfo").ehash;
 * const n = [...hlistNullsForEachEntry("struct sock", ehash[0].chain.addressOf_(),
 *   "__sk_common.skc_nulls_node")].length;
 * if (n !== 0) throw new Error("no established sockets");
 * ```
 */
export function* hlistNullsForEachEntry(
  type: string | Type,
  head: TypedObject,
  member: string,
): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const prog = h.prog_;
  const w = prog.platform.wordSize;
  const headType = pointee(h.type_);
  const first = memberOffset(headType, "first");
  const next = memberOffset(pointee(headType.member("first").type), "next");
  const c = container(prog, type, member);
  const cycle = new CycleDetector(1n);
  let pos = readWord(prog, pointerValue(h) + first, w);
  while ((pos & 1n) === 0n) {
    if (cycle.step(pos)) throw cycleError("hlist_nulls", h, pos);
    yield containerAt(c, pos);
    pos = readWord(prog, pos + next, w);
  }
}
