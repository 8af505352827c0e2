/**
 * ID allocators (`struct idr`) from the kernel's `include/linux/idr.h`, as
 * drgn's `drgn.helpers.linux.idr`: a radix tree (`idr_rt`) of pointers
 * whose indices are offset by `idr_base` (Linux kernel commit 6ce711f27500
 * ("idr: Make 1-based IDRs more efficient") (in v4.16); 0 before).
 *
 * @example Find pid 1's `struct pid`
 * ```ts
 * import { idrFind } from "./idr.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const pid = cast("struct pid *", idrFind(prog.object("init_pid_ns").idr.addressOf_(), 1));
 * if (pid.numbers[0].nr.value_() !== 1) throw new Error();
 * ```
 *
 * @module
 */

import { NULL } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { type Type, underlyingType } from "../../lib/types/type.ts";
import { asPointer, pointee, pointerObject, pointerValue } from "./_util.ts";
import { xaForEach, xaLoad } from "./xarray.ts";

function parts(idr: TypedObject): { rt: TypedObject; base: number } {
  const p = asPointer(idr, "idr");
  const base = p.hasMember_("idr_base") ? (p.member_("idr_base").value_() as number) : 0;
  return { rt: p.member_("idr_rt").addressOf_(), base };
}

/** `void *`: the type of the radix tree's entries. */
function entryType(rt: TypedObject): Type {
  if (rt.hasMember_("xa_head")) return rt.member_("xa_head").type_;
  const node = underlyingType(pointee(rt.member_("rnode").type_));
  return underlyingType(node.member("slots").type).type;
}

/**
 * The pointer stored for `id` (`idr_find()`), or NULL.
 *
 * @param idr `struct idr *`
 * @param id the ID
 * @returns `void *`
 *
 * @example
 * ```ts
 * import { idrFind } from "./idr.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (idrFind(prog.object("init_pid_ns").idr.addressOf_(), 4000).value_() !== 0n) {
 *   throw new Error("no pid 4000");
 * }
 * ```
 */
export function idrFind(idr: TypedObject, id: number | bigint): TypedObject {
  const { rt, base } = parts(idr);
  const i = BigInt(id) - BigInt(base);
  if (i < 0n) return NULL(rt.prog_, entryType(rt));
  return xaLoad(rt, i);
}

/**
 * Iterates over the IDs and pointers of an IDR in ID order.
 *
 * @param idr `struct idr *`
 * @returns an iterator of `[id, entry]` pairs (`number`, `void *`)
 *
 * @example
 * ```ts
 * import { idrForEach } from "./idr.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const ids = [...idrForEach(prog.object("init_pid_ns").idr.addressOf_())].map(([id]) => id);
 * if (ids[0] !== 1 || ids[1] !== 2) throw new Error();
 * ```
 */
export function* idrForEach(idr: TypedObject): Generator<[number, TypedObject]> {
  const { rt, base } = parts(idr);
  for (const [index, entry] of xaForEach(rt)) yield [Number(index) + base, entry];
}

/**
 * Iterates over the IDs and entries of an IDR, with the entries cast to
 * `type *` (`idr_for_each_entry()`).
 *
 * @param idr `struct idr *`
 * @param type the entry type (`"struct pid"`)
 * @returns an iterator of `[id, entry]` pairs (`number`, `type *`)
 *
 * @example
 * ```ts
 * import { idrForEachEntry } from "./idr.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * for (const [id, pid] of idrForEachEntry(prog.object("init_pid_ns").idr.addressOf_(), "struct pid")) {
 *   if (pid.numbers[0].nr.value_() !== id) throw new Error();
 * }
 * ```
 */
export function* idrForEachEntry(
  idr: TypedObject,
  type: string | Type,
): Generator<[number, TypedObject]> {
  const p = asPointer(idr, "idr");
  const ptrType = p.prog_.pointerType(p.prog_.type(type));
  for (const [id, entry] of idrForEach(p)) {
    yield [id, pointerObject(p.prog_, ptrType, pointerValue(entry))];
  }
}
