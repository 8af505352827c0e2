/**
 * Lock-less NULL-terminated singly linked lists (`struct llist_head`,
 * `struct llist_node`) from the kernel's `include/linux/llist.h`, as
 * drgn's `drgn.helpers.linux.llist`.
 *
 * @example Count the entries of a lock-less list
 * ```ts
 * import { llistForEach } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const list = prog.object("delayed_fput_list");
 * if ([...llistForEach(list.first)].length !== 0) throw new Error("nothing to fput");
 * ```
 *
 * @module
 */

import { NULL } from "../../lib/object/operators.ts";
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
  pointerObject,
  pointerValue,
  readWord,
} from "./_util.ts";

function firstNode(head: TypedObject): { h: TypedObject; first: bigint } {
  const h = asPointer(head, "head");
  const off = memberOffset(pointee(h.type_), "first");
  return { h, first: readWord(h.prog_, pointerValue(h) + off, h.prog_.platform.wordSize) };
}

/**
 * Whether a lock-less list is empty (`llist_empty()`).
 *
 * @param head `struct llist_head *`
 * @returns true if `head->first` is `NULL`
 *
 * @example
 * ```ts
 * import { llistEmpty } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (!llistEmpty(prog.object("delayed_fput_list").addressOf_())) throw new Error();
 * ```
 */
export function llistEmpty(head: TypedObject): boolean {
  return firstNode(head).first === 0n;
}

/**
 * Whether a lock-less list has exactly one entry.
 *
 * @param head `struct llist_head *`
 * @returns true if `head->first` is the only node
 *
 * @example
 * ```ts
 * import { llistIsSingular } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (llistIsSingular(prog.object("delayed_fput_list").addressOf_())) throw new Error();
 * ```
 */
export function llistIsSingular(head: TypedObject): boolean {
  const { h, first } = firstNode(head);
  if (first === 0n) return false;
  const next = memberOffset(pointee(pointee(h.type_).member("first").type), "next");
  return readWord(h.prog_, first + next, h.prog_.platform.wordSize) === 0n;
}

/**
 * The first entry of a lock-less list, or a `NULL` `type *` if it is empty
 * (`llist_first_entry()` is the same without the check).
 *
 * @param head `struct llist_head *`
 * @param type the entry type
 * @param member the `struct llist_node` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { llistFirstEntry } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const f = llistFirstEntry(prog.object("delayed_fput_list").addressOf_(), "struct file",
 *   "f_llist");
 * if (f.value_() !== 0n) throw new Error();
 * ```
 */
export function llistFirstEntry(
  head: TypedObject,
  type: string | Type,
  member: string,
): TypedObject {
  const { h, first } = firstNode(head);
  const c = container(h.prog_, type, member);
  return first === 0n ? NULL(h.prog_, c.pointerType) : containerAt(c, first);
}

/**
 * The first entry of an llist, or a NULL `type *` if it is empty (drgn's
 * `llist_first_entry_or_null()`; {@link llistFirstEntry} is the same here).
 *
 * @param head `struct llist_head *`
 * @param type the entry type
 * @param member the name of the `struct llist_node` member in it
 */
export function llistFirstEntryOrNull(
  head: TypedObject,
  type: string | Type,
  member: string,
): TypedObject {
  return llistFirstEntry(head, type, member);
}

/**
 * The entry after `pos` (`llist_next_entry()`), or a `NULL` `type *` at the end.
 *
 * @param pos `type *`
 * @param member the `struct llist_node` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { llistFirstEntry, llistNextEntry } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const head = prog.object("delayed_fput_list").addressOf_();
 * for (let f = llistFirstEntry(head, "struct file", "f_llist"); f.value_() !== 0n;) {
 *   f = llistNextEntry(f, "f_llist");
 * }
 * ```
 */
export function llistNextEntry(pos: TypedObject, member: string): TypedObject {
  const p = asPointer(pos, "pos");
  const c = container(p.prog_, pointee(p.type_), member);
  const node = p.member_(member);
  const off = memberOffset(node.type_, "next");
  const next = readWord(p.prog_, node.address_! + off, p.prog_.platform.wordSize);
  return next === 0n ? NULL(p.prog_, c.pointerType) : containerAt(c, next);
}

function* walk(node: TypedObject): Generator<bigint> {
  const n = asPointer(node, "node");
  const prog = n.prog_;
  const w = prog.platform.wordSize;
  const off = memberOffset(pointee(n.type_), "next");
  const cycle = new CycleDetector(0n);
  let pos = pointerValue(n);
  while (pos !== 0n) {
    if (cycle.step(pos)) throw cycleError("llist", n, pos);
    yield pos;
    pos = readWord(prog, pos + off, w);
  }
}

function nodeOf(node: TypedObject): TypedObject {
  // Accept a `struct llist_head *` too, as drgn does.
  const n = asPointer(node, "node");
  const t = pointee(n.type_);
  if (t.hasMember("first") && !t.hasMember("next")) return n.member_("first").read_();
  return n;
}

/**
 * Iterates over the nodes of a lock-less list, starting at `node`
 * (`llist_for_each()`; pass `head->first`, or the head itself).
 *
 * @param node `struct llist_node *` (or `struct llist_head *`)
 * @returns an iterator of `struct llist_node *`
 * @throws {ValidationError} if the list has a cycle
 *
 * @example
 * ```ts
 * import { llistForEach } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...llistForEach(prog.object("delayed_fput_list").first)].length !== 0) throw new Error();
 * ```
 */
export function* llistForEach(node: TypedObject): Generator<TypedObject> {
  const n = nodeOf(node);
  for (const a of walk(n)) yield pointerObject(n.prog_, n.type_, a);
}

/**
 * Iterates over the entries of a lock-less list, starting at `node`
 * (`llist_for_each_entry()`).
 *
 * @param type the entry type
 * @param node `struct llist_node *` (or `struct llist_head *`)
 * @param member the `struct llist_node` member of the entry
 * @returns an iterator of `type *`
 * @throws {ValidationError} if the list has a cycle
 *
 * @example
 * ```ts
 * import { llistForEachEntry } from "./llist.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const head = prog.object("delayed_fput_list");
 * for (const f of llistForEachEntry("struct file", head.first, "f_llist")) f.f_count;
 * ```
 */
export function* llistForEachEntry(
  type: string | Type,
  node: TypedObject,
  member: string,
): Generator<TypedObject> {
  const n = nodeOf(node);
  const c = container(n.prog_, type, member);
  for (const a of walk(n)) yield containerAt(c, a);
}
