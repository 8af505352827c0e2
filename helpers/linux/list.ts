/**
 * Doubly linked lists (`struct list_head`) and hash lists (`struct
 * hlist_head`) from the kernel's `include/linux/list.h`, as drgn's
 * `drgn.helpers.linux.list`.
 *
 * Every walk detects cycles that do not pass through the list head (with
 * Brent's algorithm) and throws {@link ValidationError} instead of looping;
 * the `validate*` helpers also check that each node's `prev` points back.
 *
 * @example Walk the task list
 * ```ts
 * import { listForEachEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 *
 * const prog = await kernelProgram();
 * const init = prog.object("init_task");
 * const comms = [];
 * for (const t of listForEachEntry("struct task_struct", init.tasks.addressOf_(), "tasks")) {
 *   comms.push(t.comm.string_());
 * }
 * if (comms[0] !== "init") throw new Error("pid 1 comes first");
 * ```
 *
 * @module
 */

import { ValidationError } from "../../lib/errors.ts";
import { NULL } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { type Type, underlyingType } from "../../lib/types/type.ts";
import {
  asPointer,
  container,
  containerAt,
  CycleDetector,
  cycleError,
  formatPointer,
  memberOffset,
  pointee,
  pointerObject,
  pointerValue,
  readWord,
} from "./_util.ts";

/** How to step through a `struct list_head` (offsets of `next` and `prev`). */
interface ListLayout {
  readonly next: bigint;
  readonly prev: bigint;
  /** `struct list_head *` (the type of `next`). */
  readonly nodeType: Type;
  readonly wordSize: number;
}

function layout(head: TypedObject): ListLayout {
  const t = pointee(head.type_);
  return t.core.slot("wyvern.listLayout", (): ListLayout => {
    const u = underlyingType(t);
    return {
      next: memberOffset(u, "next"),
      prev: memberOffset(u, "prev"),
      nodeType: u.member("next").type,
      wordSize: head.prog_.platform.wordSize,
    };
  });
}

/**
 * Whether a list is empty (`head->next == head`).
 *
 * @param head `struct list_head *` (or a `struct list_head` reference)
 * @returns true if the list has no entries
 *
 * @example
 * ```ts
 * import { listEmpty } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (listEmpty(prog.object("modules").addressOf_())) throw new Error("modules are loaded");
 * ```
 */
export function listEmpty(head: TypedObject): boolean {
  const h = asPointer(head, "head");
  const l = layout(h);
  const a = pointerValue(h);
  return readWord(h.prog_, a + l.next, l.wordSize) === a;
}

/**
 * Whether a list has exactly one entry.
 *
 * @param head `struct list_head *`
 * @returns true if `head->next != head && head->next == head->prev`
 *
 * @example
 * ```ts
 * import { listIsSingular } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (listIsSingular(prog.object("modules").addressOf_())) throw new Error("five modules");
 * ```
 */
export function listIsSingular(head: TypedObject): boolean {
  const h = asPointer(head, "head");
  const l = layout(h);
  const a = pointerValue(h);
  const next = readWord(h.prog_, a + l.next, l.wordSize);
  return next !== a && next === readWord(h.prog_, a + l.prev, l.wordSize);
}

/**
 * The first entry of a list, which is assumed to be non-empty (see
 * {@link listFirstEntryOrNull}).
 *
 * @param head `struct list_head *`
 * @param type the entry type (`"struct module"`)
 * @param member the `struct list_head` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { listFirstEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const m = listFirstEntry(prog.object("modules").addressOf_(), "struct module", "list");
 * if (m.name.string_() !== "minix") throw new Error("minix was loaded last");
 * ```
 */
export function listFirstEntry(
  head: TypedObject,
  type: string | Type,
  member: string,
): TypedObject {
  const h = asPointer(head, "head");
  const l = layout(h);
  const c = container(h.prog_, type, member);
  return containerAt(c, readWord(h.prog_, pointerValue(h) + l.next, l.wordSize));
}

/**
 * The first entry of a list, or a `NULL` `type *` if it is empty.
 *
 * @param head `struct list_head *`
 * @param type the entry type
 * @param member the `struct list_head` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { listFirstEntryOrNull } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const t = listFirstEntryOrNull(prog.object("init_task").children.addressOf_(),
 *   "struct task_struct", "sibling");
 * if (t.value_() === 0n) throw new Error("swapper/0 has children");
 * ```
 */
export function listFirstEntryOrNull(
  head: TypedObject,
  type: string | Type,
  member: string,
): TypedObject {
  const h = asPointer(head, "head");
  const l = layout(h);
  const c = container(h.prog_, type, member);
  const a = pointerValue(h);
  const next = readWord(h.prog_, a + l.next, l.wordSize);
  if (next === a) return NULL(h.prog_, c.pointerType);
  return containerAt(c, next);
}

/**
 * The last entry of a list, which is assumed to be non-empty.
 *
 * @param head `struct list_head *`
 * @param type the entry type
 * @param member the `struct list_head` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { listLastEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const m = listLastEntry(prog.object("modules").addressOf_(), "struct module", "list");
 * if (m.name.string_() !== "qemu_fw_cfg") throw new Error("qemu_fw_cfg was loaded first");
 * ```
 */
export function listLastEntry(
  head: TypedObject,
  type: string | Type,
  member: string,
): TypedObject {
  const h = asPointer(head, "head");
  const l = layout(h);
  const c = container(h.prog_, type, member);
  return containerAt(c, readWord(h.prog_, pointerValue(h) + l.prev, l.wordSize));
}

function adjacentEntry(pos: TypedObject, member: string, which: "next" | "prev"): TypedObject {
  const p = asPointer(pos, "pos");
  const entryType = pointee(p.type_);
  const c = container(p.prog_, entryType, member);
  const node = p.member_(member);
  const l = layout(node.addressOf_());
  const at = node.address_! + (which === "next" ? l.next : l.prev);
  return containerAt(c, readWord(p.prog_, at, l.wordSize));
}

/**
 * The entry after `pos` in its list (`list_next_entry()`).
 *
 * @param pos `type *`
 * @param member the `struct list_head` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { listFirstEntry, listNextEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const m = listFirstEntry(prog.object("modules").addressOf_(), "struct module", "list");
 * if (listNextEntry(m, "list").name.string_() !== "dummy") throw new Error();
 * ```
 */
export function listNextEntry(pos: TypedObject, member: string): TypedObject {
  return adjacentEntry(pos, member, "next");
}

/**
 * The entry before `pos` in its list (`list_prev_entry()`).
 *
 * @param pos `type *`
 * @param member the `struct list_head` member of the entry
 * @returns `type *`
 *
 * @example
 * ```ts
 * import { listLastEntry, listPrevEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const m = listLastEntry(prog.object("modules").addressOf_(), "struct module", "list");
 * if (listPrevEntry(m, "list").name.string_() !== "loop") throw new Error();
 * ```
 */
export function listPrevEntry(pos: TypedObject, member: string): TypedObject {
  return adjacentEntry(pos, member, "prev");
}

/** Yields node addresses from `head` following `off` (next or prev) until back at `head`. */
function* walk(h: TypedObject, off: bigint, wordSize: number): Generator<bigint> {
  const prog = h.prog_;
  const head = pointerValue(h);
  const cycle = new CycleDetector(head);
  let pos = readWord(prog, head + off, wordSize);
  while (pos !== head) {
    if (cycle.step(pos)) throw cycleError("list", h, pos);
    yield pos;
    pos = readWord(prog, pos + off, wordSize);
  }
}

/**
 * Iterates over the nodes of a list.
 *
 * @param head `struct list_head *`
 * @returns an iterator of `struct list_head *`
 * @throws {ValidationError} if the list has a cycle that does not pass through `head`
 *
 * @example
 * ```ts
 * import { listForEach } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const n = [...listForEach(prog.object("modules").addressOf_())].length;
 * if (n !== 5) throw new Error(`${n} modules`);
 * ```
 */
export function* listForEach(head: TypedObject): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = layout(h);
  for (const a of walk(h, l.next, l.wordSize)) yield pointerObject(h.prog_, l.nodeType, a);
}

/**
 * Iterates over the nodes of a list in reverse order.
 *
 * @param head `struct list_head *`
 * @returns an iterator of `struct list_head *`
 * @throws {ValidationError} if the list has a cycle that does not pass through `head`
 *
 * @example
 * ```ts
 * import { listForEachReverse } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const n = [...listForEachReverse(prog.object("modules").addressOf_())].length;
 * if (n !== 5) throw new Error(`${n} modules`);
 * ```
 */
export function* listForEachReverse(head: TypedObject): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = layout(h);
  for (const a of walk(h, l.prev, l.wordSize)) yield pointerObject(h.prog_, l.nodeType, a);
}

/**
 * Iterates over the entries of a list (`list_for_each_entry()`).
 *
 * @param type the entry type (`"struct task_struct"`)
 * @param head `struct list_head *`
 * @param member the `struct list_head` member of the entry (may be a designator like `a.b`)
 * @returns an iterator of `type *`
 * @throws {ValidationError} if the list has a cycle that does not pass through `head`
 *
 * @example
 * ```ts
 * import { listForEachEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const names = [];
 * for (const m of listForEachEntry("struct module", prog.object("modules").addressOf_(), "list")) {
 *   names.push(m.name.string_());
 * }
 * if (names.join() !== "minix,dummy,brd,loop,qemu_fw_cfg") throw new Error(names.join());
 * ```
 */
export function* listForEachEntry(
  type: string | Type,
  head: TypedObject,
  member: string,
): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = layout(h);
  const c = container(h.prog_, type, member);
  for (const a of walk(h, l.next, l.wordSize)) yield containerAt(c, a);
}

/**
 * Iterates over the entries of a list in reverse order.
 *
 * @param type the entry type
 * @param head `struct list_head *`
 * @param member the `struct list_head` member of the entry
 * @returns an iterator of `type *`
 * @throws {ValidationError} if the list has a cycle that does not pass through `head`
 *
 * @example
 * ```ts
 * import { listForEachEntryReverse } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const head = prog.object("modules").addressOf_();
 * const first = listForEachEntryReverse("struct module", head, "list").next().value!;
 * if (first.name.string_() !== "qemu_fw_cfg") throw new Error();
 * ```
 */
export function* listForEachEntryReverse(
  type: string | Type,
  head: TypedObject,
  member: string,
): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = layout(h);
  const c = container(h.prog_, type, member);
  for (const a of walk(h, l.prev, l.wordSize)) yield containerAt(c, a);
}

/**
 * The number of nodes in a list (`list_count_nodes()`).
 *
 * @param head `struct list_head *`
 * @returns the node count
 * @throws {ValidationError} if the list has a cycle that does not pass through `head`
 *
 * @example
 * ```ts
 * import { listCountNodes } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (listCountNodes(prog.object("init_task").tasks.addressOf_()) !== 66) throw new Error();
 * ```
 */
export function listCountNodes(head: TypedObject): number {
  const h = asPointer(head, "head");
  const l = layout(h);
  let n = 0;
  for (const _ of walk(h, l.next, l.wordSize)) n++;
  return n;
}

/**
 * Checks that the `next` and `prev` pointers of a list are consistent
 * (including `head->next->prev == head`) and that the list has no cycle.
 *
 * @param head `struct list_head *`
 * @throws {ValidationError} naming the first inconsistent node, as drgn words it
 *   (`(struct list_head *)0x… next 0x… has prev 0x…`)
 *
 * @example
 * ```ts
 * import { validateList } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * validateList(prog.object("init_task").tasks.addressOf_());
 * ```
 */
export function validateList(head: TypedObject): void {
  for (const _ of validateListForEach(head));
}

/**
 * {@link listForEach} that validates the list as {@link validateList} does
 * while it iterates.
 *
 * @param head `struct list_head *`
 * @returns an iterator of `struct list_head *`
 * @throws {ValidationError} on an inconsistent `prev` pointer or a cycle
 *
 * @example
 * ```ts
 * import { validateListForEach } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const n = [...validateListForEach(prog.object("modules").addressOf_())].length;
 * if (n !== 5) throw new Error();
 * ```
 */
export function* validateListForEach(head: TypedObject): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = layout(h);
  const prog = h.prog_;
  const headAddr = pointerValue(h);
  const cycle = new CycleDetector(headAddr);
  const check = (pos: bigint): bigint => {
    const next = readWord(prog, pos + l.next, l.wordSize);
    const nextPrev = readWord(prog, next + l.prev, l.wordSize);
    if (nextPrev !== pos) {
      const fmt = (a: bigint, typeName: boolean) =>
        formatPointer(pointerObject(prog, l.nodeType, a), typeName);
      throw new ValidationError(
        `${fmt(pos, true)} next ${fmt(next, false)} has prev ${fmt(nextPrev, false)}`,
      );
    }
    return next;
  };
  // The head's own link first (drgn does not check it), then each node
  // after it has been yielded, as drgn does.
  let pos = check(headAddr);
  while (pos !== headAddr) {
    if (cycle.step(pos)) throw cycleError("list", h, pos);
    yield pointerObject(prog, l.nodeType, pos);
    pos = check(pos);
  }
}

/**
 * {@link listForEachEntry} that validates the list as {@link validateList}
 * does while it iterates.
 *
 * @param type the entry type
 * @param head `struct list_head *`
 * @param member the `struct list_head` member of the entry
 * @returns an iterator of `type *`
 * @throws {ValidationError} on an inconsistent `prev` pointer or a cycle
 *
 * @example
 * ```ts
 * import { validateListForEachEntry } from "./list.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const head = prog.object("modules").addressOf_();
 * for (const m of validateListForEachEntry("struct module", head, "list")) m.name.string_();
 * ```
 */
export function* validateListForEachEntry(
  type: string | Type,
  head: TypedObject,
  member: string,
): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const c = container(h.prog_, type, member);
  for (const pos of validateListForEach(h)) yield containerAt(c, pointerValue(pos));
}

// ---------------------------------------------------------------------------
// Hash lists

interface HlistLayout {
  /** Offset of `first` in `struct hlist_head`. */
  readonly first: bigint;
  /** Offset of `next` in `struct hlist_node`. */
  readonly next: bigint;
  /** `struct hlist_node *`. */
  readonly nodeType: Type;
  readonly wordSize: number;
}

function hlistLayout(head: TypedObject): HlistLayout {
  const t = pointee(head.type_);
  return t.core.slot("wyvern.hlistLayout", (): HlistLayout => {
    const nodeType = underlyingType(t).member("first").type;
    return {
      first: memberOffset(t, "first"),
      next: memberOffset(pointee(nodeType), "next"),
      nodeType,
      wordSize: head.prog_.platform.wordSize,
    };
  });
}

/**
 * Whether a hash list is empty (`!head->first`).
 *
 * @param head `struct hlist_head *`
 * @returns true if the list has no entries
 *
 * @example
 * ```ts
 * import { hlistEmpty } from "./list.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const pid = findTask(prog, 1).thread_pid;
 * if (hlistEmpty(pid.tasks[0].addressOf_())) throw new Error("pid 1 has a task");
 * ```
 */
export function hlistEmpty(head: TypedObject): boolean {
  const h = asPointer(head, "head");
  const l = hlistLayout(h);
  return readWord(h.prog_, pointerValue(h) + l.first, l.wordSize) === 0n;
}

function* hwalk(h: TypedObject, l: HlistLayout): Generator<bigint> {
  const prog = h.prog_;
  const cycle = new CycleDetector(0n);
  let pos = readWord(prog, pointerValue(h) + l.first, l.wordSize);
  while (pos !== 0n) {
    if (cycle.step(pos)) throw cycleError("hlist", h, pos);
    yield pos;
    pos = readWord(prog, pos + l.next, l.wordSize);
  }
}

/**
 * Iterates over the nodes of a hash list.
 *
 * @param head `struct hlist_head *`
 * @returns an iterator of `struct hlist_node *`
 * @throws {ValidationError} if the list has a cycle
 *
 * @example
 * ```ts
 * import { hlistForEach } from "./list.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const pid = findTask(prog, 1).thread_pid;
 * if ([...hlistForEach(pid.tasks[0].addressOf_())].length !== 1) throw new Error();
 * ```
 */
export function* hlistForEach(head: TypedObject): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = hlistLayout(h);
  for (const a of hwalk(h, l)) yield pointerObject(h.prog_, l.nodeType, a);
}

/**
 * Iterates over the entries of a hash list (`hlist_for_each_entry()`).
 *
 * @param type the entry type
 * @param head `struct hlist_head *`
 * @param member the `struct hlist_node` member of the entry (a designator like `pid_links[0]` works)
 * @returns an iterator of `type *`
 * @throws {ValidationError} if the list has a cycle
 *
 * @example
 * ```ts
 * import { hlistForEachEntry } from "./list.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const pid = findTask(prog, 1).thread_pid;
 * const [t] = hlistForEachEntry("struct task_struct", pid.tasks[0].addressOf_(), "pid_links[0]");
 * if (t!.comm.string_() !== "init") throw new Error();
 * ```
 */
export function* hlistForEachEntry(
  type: string | Type,
  head: TypedObject,
  member: string,
): Generator<TypedObject> {
  const h = asPointer(head, "head");
  const l = hlistLayout(h);
  const c = container(h.prog_, type, member);
  for (const a of hwalk(h, l)) yield containerAt(c, a);
}
