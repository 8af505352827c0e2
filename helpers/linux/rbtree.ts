/**
 * Red-black trees (`struct rb_root`, `struct rb_node`) from the kernel's
 * `include/linux/rbtree.h`, as drgn's `drgn.helpers.linux.rbtree`.
 *
 * A node's parent and color share `__rb_parent_color`: the parent's
 * address with the color in bit 0 (1 = black). Walks are bounded: an
 * in-order walk that meets a node twice, or descends deeper than any
 * red-black tree can be, throws {@link ValidationError}.
 *
 * @example Walk the kernel's vmalloc areas in address order
 * ```ts
 * import { rbtreeInorderForEachEntry } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * let last = 0n;
 * for (const va of rbtreeInorderForEachEntry("struct vmap_area",
 *   prog.object("vmap_area_root").addressOf_(), "rb_node")) {
 *   const start = va.va_start.value_();
 *   if (start < last) throw new Error("not sorted");
 *   last = start;
 * }
 * ```
 *
 * @module
 */

import { ValidationError } from "../../lib/errors.ts";
import { NULL } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { type Type, underlyingType } from "../../lib/types/type.ts";
import type { ObjectProgram } from "../../lib/object/typed_object.ts";
import {
  asPointer,
  type Container,
  container,
  containerAt,
  CycleDetector,
  formatPointer,
  hexAddress,
  memberOffset,
  pointee,
  pointerObject,
  pointerValue,
  readWord,
} from "./_util.ts";

/**
 * The deepest a walk goes. A red-black tree of n nodes is at most
 * 2·log2(n + 1) deep, so no real tree comes near this; a corrupted one
 * (a child pointing back up) does.
 */
const MAX_DEPTH = 1024;

interface RbLayout {
  readonly parentColor: bigint;
  readonly right: bigint;
  readonly left: bigint;
  /** `struct rb_node *`. */
  readonly nodeType: Type;
  readonly wordSize: number;
}

function rbLayout(prog: ObjectProgram, nodePtrType: Type): RbLayout {
  const t = underlyingType(pointee(nodePtrType));
  return t.core.slot("wyvern.rbLayout", (): RbLayout => ({
    parentColor: memberOffset(t, "__rb_parent_color"),
    right: memberOffset(t, "rb_right"),
    left: memberOffset(t, "rb_left"),
    nodeType: nodePtrType,
    wordSize: prog.platform.wordSize,
  }));
}

/** The `struct rb_node *` root of a `struct rb_root *` (or `struct rb_root_cached *`). */
function rootNode(root: TypedObject): { node: bigint; l: RbLayout; r: TypedObject } {
  let r = asPointer(root, "root");
  if (r.hasMember_("rb_root")) r = r.member_("rb_root").addressOf_();
  const nodeField = r.member_("rb_node");
  const l = rbLayout(r.prog_, nodeField.type_);
  return { node: readWord(r.prog_, nodeField.address_!, l.wordSize), l, r };
}

function nodeOf(node: TypedObject): { a: bigint; l: RbLayout; n: TypedObject } {
  const n = asPointer(node, "node");
  return { a: pointerValue(n), l: rbLayout(n.prog_, n.type_), n };
}

/**
 * Whether a red-black tree is empty.
 *
 * @param root `struct rb_root *`
 * @returns true if `root->rb_node` is NULL
 *
 * @example
 * ```ts
 * import { RB_EMPTY_ROOT } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (RB_EMPTY_ROOT(prog.object("vmap_area_root").addressOf_())) throw new Error();
 * ```
 */
export function RB_EMPTY_ROOT(root: TypedObject): boolean {
  return rootNode(root).node === 0n;
}

/** {@link RB_EMPTY_ROOT} in camelCase. */
export const rbEmptyRoot: (root: TypedObject) => boolean = RB_EMPTY_ROOT;

/**
 * Whether a node is not in a tree (`RB_EMPTY_NODE()`: its parent is itself).
 *
 * @param node `struct rb_node *`
 * @returns true if the node is not inserted in a tree
 *
 * @example
 * ```ts
 * import { RB_EMPTY_NODE, rbFirst } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (RB_EMPTY_NODE(rbFirst(prog.object("vmap_area_root").addressOf_()))) throw new Error();
 * ```
 */
export function RB_EMPTY_NODE(node: TypedObject): boolean {
  const { a, l, n } = nodeOf(node);
  return readWord(n.prog_, a + l.parentColor, l.wordSize) === a;
}

/** {@link RB_EMPTY_NODE} in camelCase. */
export const rbEmptyNode: (node: TypedObject) => boolean = RB_EMPTY_NODE;

/**
 * The parent of a node (`rb_parent()`), NULL for the root.
 *
 * @param node `struct rb_node *`
 * @returns `struct rb_node *`
 *
 * @example
 * ```ts
 * import { rbParent } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (rbParent(prog.object("vmap_area_root").rb_node).value_() !== 0n) throw new Error();
 * ```
 */
export function rbParent(node: TypedObject): TypedObject {
  const { a, l, n } = nodeOf(node);
  const pc = readWord(n.prog_, a + l.parentColor, l.wordSize);
  return pointerObject(n.prog_, n.type_, pc & ~3n);
}

/**
 * Whether a node is red (bit 0 of `__rb_parent_color` clear).
 *
 * @param node `struct rb_node *`
 * @returns true for a red node
 *
 * @example
 * ```ts
 * import { rbIsRed } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (rbIsRed(prog.object("vmap_area_root").rb_node)) throw new Error("the root is black");
 * ```
 */
export function rbIsRed(node: TypedObject): boolean {
  const { a, l, n } = nodeOf(node);
  return (readWord(n.prog_, a + l.parentColor, l.wordSize) & 1n) === 0n;
}

/**
 * Whether a node is black (bit 0 of `__rb_parent_color` set).
 *
 * @param node `struct rb_node *`
 * @returns true for a black node
 *
 * @example
 * ```ts
 * import { rbIsBlack } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (!rbIsBlack(prog.object("vmap_area_root").rb_node)) throw new Error("the root is black");
 * ```
 */
export function rbIsBlack(node: TypedObject): boolean {
  return !rbIsRed(node);
}

function extreme(
  prog: ObjectProgram,
  start: bigint,
  off: bigint,
  l: RbLayout,
): bigint {
  let node = start;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const next = readWord(prog, node + off, l.wordSize);
    if (next === 0n) return node;
    node = next;
  }
  throw depthError(node);
}

function depthError(at: bigint): ValidationError {
  return new ValidationError(
    `red-black tree is deeper than ${MAX_DEPTH} levels at ${hexAddress(at)}: it has a cycle`,
  );
}

/**
 * The first node of a tree in sort order (`rb_first()`), or NULL if empty.
 *
 * @param root `struct rb_root *`
 * @returns `struct rb_node *`
 *
 * @example
 * ```ts
 * import { rbFirst } from "./rbtree.ts";
 * import { containerOf } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const va = containerOf(rbFirst(prog.object("vmap_area_root").addressOf_()),
 *   "struct vmap_area", "rb_node");
 * va.va_start.value_();
 * ```
 */
export function rbFirst(root: TypedObject): TypedObject {
  const { node, l, r } = rootNode(root);
  const a = node === 0n ? 0n : extreme(r.prog_, node, l.left, l);
  return pointerObject(r.prog_, l.nodeType, a);
}

/**
 * The last node of a tree in sort order (`rb_last()`), or NULL if empty.
 *
 * @param root `struct rb_root *`
 * @returns `struct rb_node *`
 *
 * @example
 * ```ts
 * import { rbLast } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * rbLast(prog.object("vmap_area_root").addressOf_());
 * ```
 */
export function rbLast(root: TypedObject): TypedObject {
  const { node, l, r } = rootNode(root);
  const a = node === 0n ? 0n : extreme(r.prog_, node, l.right, l);
  return pointerObject(r.prog_, l.nodeType, a);
}

/** In-order successor (`down` = rb_right, `up` side = rb_right) or predecessor. */
function adjacent(prog: ObjectProgram, start: bigint, l: RbLayout, forward: boolean): bigint {
  if (readWord(prog, start + l.parentColor, l.wordSize) === start) return 0n; // RB_EMPTY_NODE
  const down = forward ? l.right : l.left;
  const back = forward ? l.left : l.right;
  const child = readWord(prog, start + down, l.wordSize);
  if (child !== 0n) return extreme(prog, child, back, l);
  let node = start;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const parent = readWord(prog, node + l.parentColor, l.wordSize) & ~3n;
    if (parent === 0n || readWord(prog, parent + down, l.wordSize) !== node) return parent;
    node = parent;
  }
  throw depthError(node);
}

/**
 * The node after `node` in sort order (`rb_next()`), or NULL if it is the
 * last node or not in a tree.
 *
 * @param node `struct rb_node *`
 * @returns `struct rb_node *`
 *
 * @example
 * ```ts
 * import { rbFirst, rbNext } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * rbNext(rbFirst(prog.object("vmap_area_root").addressOf_()));
 * ```
 */
export function rbNext(node: TypedObject): TypedObject {
  const { a, l, n } = nodeOf(node);
  return pointerObject(n.prog_, n.type_, adjacent(n.prog_, a, l, true));
}

/**
 * The node before `node` in sort order (`rb_prev()`), or NULL if it is the
 * first node or not in a tree.
 *
 * @param node `struct rb_node *`
 * @returns `struct rb_node *`
 *
 * @example
 * ```ts
 * import { rbLast, rbPrev } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * rbPrev(rbLast(prog.object("vmap_area_root").addressOf_()));
 * ```
 */
export function rbPrev(node: TypedObject): TypedObject {
  const { a, l, n } = nodeOf(node);
  return pointerObject(n.prog_, n.type_, adjacent(n.prog_, a, l, false));
}

/** In-order node addresses, iteratively, bounded in depth and checked for repeats. */
function* inorder(prog: ObjectProgram, root: bigint, l: RbLayout): Generator<bigint> {
  const stack: bigint[] = [];
  const cycle = new CycleDetector(0n);
  let node = root;
  while (node !== 0n || stack.length > 0) {
    while (node !== 0n) {
      if (stack.length >= MAX_DEPTH) throw depthError(node);
      stack.push(node);
      node = readWord(prog, node + l.left, l.wordSize);
    }
    const top = stack.pop()!;
    // In a tree every node comes once: a repeat means a cycle.
    if (cycle.step(top)) {
      throw new ValidationError(`red-black tree has a cycle: node ${hexAddress(top)} repeats`);
    }
    yield top;
    node = readWord(prog, top + l.right, l.wordSize);
  }
}

/**
 * Iterates over the nodes of a tree in sort order.
 *
 * @param root `struct rb_root *` (a `struct rb_root_cached *` works too)
 * @returns an iterator of `struct rb_node *`
 * @throws {ValidationError} if the tree has a cycle
 *
 * @example
 * ```ts
 * import { rbtreeInorderForEach } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const n = [...rbtreeInorderForEach(prog.object("vmap_area_root").addressOf_())].length;
 * if (n === 0) throw new Error();
 * ```
 */
export function* rbtreeInorderForEach(root: TypedObject): Generator<TypedObject> {
  const { node, l, r } = rootNode(root);
  for (const a of inorder(r.prog_, node, l)) yield pointerObject(r.prog_, l.nodeType, a);
}

/**
 * Iterates over the entries of a tree in sort order.
 *
 * @param type the entry type
 * @param root `struct rb_root *` (a `struct rb_root_cached *` works too)
 * @param member the `struct rb_node` member of the entry
 * @returns an iterator of `type *`
 * @throws {ValidationError} if the tree has a cycle
 *
 * @example
 * ```ts
 * import { rbtreeInorderForEachEntry } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const root = prog.object("vmap_area_root").addressOf_();
 * for (const va of rbtreeInorderForEachEntry("struct vmap_area", root, "rb_node")) {
 *   if (va.va_end.value_() <= va.va_start.value_()) throw new Error();
 * }
 * ```
 */
export function* rbtreeInorderForEachEntry(
  type: string | Type,
  root: TypedObject,
  member: string,
): Generator<TypedObject> {
  const { node, l, r } = rootNode(root);
  const c = container(r.prog_, type, member);
  for (const a of inorder(r.prog_, node, l)) yield containerAt(c, a);
}

/**
 * Finds an entry by key (drgn's `rb_find()`; the kernel open-codes these
 * searches).
 *
 * @param type the entry type
 * @param root `struct rb_root *`
 * @param member the `struct rb_node` member of the entry
 * @param key the key to find
 * @param cmp returns < 0 if `key` sorts before `entry`, > 0 if after, 0 if it matches
 * @returns `type *`: the entry, or NULL if none matches
 *
 * @example
 * ```ts
 * import { rbFind, rbFirst } from "./rbtree.ts";
 * import { containerOf } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const root = prog.object("vmap_area_root").addressOf_();
 * const first = containerOf(rbFirst(root), "struct vmap_area", "rb_node");
 * const key: bigint = first.va_start.value_();
 * const found = rbFind("struct vmap_area", root, "rb_node", key, (k, va) => {
 *   const s: bigint = va.va_start.value_();
 *   return k < s ? -1 : k > s ? 1 : 0;
 * });
 * if (found.value_() !== first.value_()) throw new Error();
 * ```
 */
export function rbFind<K>(
  type: string | Type,
  root: TypedObject,
  member: string,
  key: K,
  cmp: (key: K, entry: TypedObject) => number | bigint,
): TypedObject {
  const { node: start, l, r } = rootNode(root);
  const c = container(r.prog_, type, member);
  let node = start;
  for (let depth = 0; node !== 0n; depth++) {
    if (depth >= MAX_DEPTH) throw depthError(node);
    const entry = containerAt(c, node);
    const ret = cmp(key, entry);
    if (ret < 0) node = readWord(r.prog_, node + l.left, l.wordSize);
    else if (ret > 0) node = readWord(r.prog_, node + l.right, l.wordSize);
    else return entry;
  }
  return NULL(r.prog_, c.pointerType);
}

/**
 * Checks that a tree is a valid red-black tree: ordered by `cmp` (with no
 * equal entries unless `allowEqual`), `rb_parent` pointers consistent, the
 * root black, no red node with a red child, and the same number of black
 * nodes on every path.
 *
 * @param type the entry type
 * @param root `struct rb_root *`
 * @param member the `struct rb_node` member of the entry
 * @param cmp compares two `type *` entries (< 0, 0, > 0)
 * @param allowEqual whether entries may compare equal
 * @throws {ValidationError} with drgn's message for the first violation
 *
 * @example
 * ```ts
 * import { validateRbtree } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * validateRbtree("struct vmap_area", prog.object("vmap_area_root").addressOf_(), "rb_node",
 *   (a, b) => {
 *     const x: bigint = a.va_start.value_(), y: bigint = b.va_start.value_();
 *     return x < y ? -1 : x > y ? 1 : 0;
 *   }, false);
 * ```
 */
export function validateRbtree(
  type: string | Type,
  root: TypedObject,
  member: string,
  cmp: (a: TypedObject, b: TypedObject) => number | bigint,
  allowEqual: boolean,
): void {
  for (const _ of validateRbtreeInorderForEachEntry(type, root, member, cmp, allowEqual));
}

/**
 * {@link rbtreeInorderForEachEntry} that validates the tree as
 * {@link validateRbtree} does while it iterates.
 *
 * @param type the entry type
 * @param root `struct rb_root *`
 * @param member the `struct rb_node` member of the entry
 * @param cmp compares two `type *` entries (< 0, 0, > 0)
 * @param allowEqual whether entries may compare equal
 * @returns an iterator of `type *`
 * @throws {ValidationError} with drgn's message for the first violation
 *
 * @example
 * ```ts
 * import { validateRbtreeInorderForEachEntry } from "./rbtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const it = validateRbtreeInorderForEachEntry("struct vmap_area",
 *   prog.object("vmap_area_root").addressOf_(), "rb_node",
 *   (a, b) => Number(a.va_start.value_() - b.va_start.value_() > 0n) -
 *     Number(a.va_start.value_() - b.va_start.value_() < 0n), false);
 * [...it];
 * ```
 */
export function* validateRbtreeInorderForEachEntry(
  type: string | Type,
  root: TypedObject,
  member: string,
  cmp: (a: TypedObject, b: TypedObject) => number | bigint,
  allowEqual: boolean,
): Generator<TypedObject> {
  const { node: rootAddr, l, r } = rootNode(root);
  if (rootAddr === 0n) return;
  const prog = r.prog_;
  const c = container(prog, type, member);
  const v = new RbValidator(prog, l, c, cmp, allowEqual);
  const pc = readWord(prog, rootAddr + l.parentColor, l.wordSize);
  const ptr = (a: bigint) => pointerObject(prog, l.nodeType, a);
  if ((pc & ~3n) !== 0n) {
    throw new ValidationError(
      `root node ${formatPointer(ptr(rootAddr))} has parent ${formatPointer(ptr(pc & ~3n), false)}`,
    );
  }
  if ((pc & 1n) === 0n) {
    throw new ValidationError(`root node ${formatPointer(ptr(rootAddr))} is red`);
  }
  yield* v.descend(rootAddr, containerAt(c, rootAddr), true, 0);
}

class RbValidator {
  constructor(
    readonly prog: ObjectProgram,
    readonly l: RbLayout,
    readonly c: Container,
    readonly cmp: (a: TypedObject, b: TypedObject) => number | bigint,
    readonly allowEqual: boolean,
  ) {}

  ptr(a: bigint): TypedObject {
    return pointerObject(this.prog, this.l.nodeType, a);
  }

  /** Checks `node` (a child of `parent`), yields its subtree; returns its black height. */
  *visit(
    node: bigint,
    parent: bigint,
    parentEntry: TypedObject,
    parentIsRed: boolean,
    isLeft: boolean,
    depth: number,
  ): Generator<TypedObject, number> {
    if (node === 0n) return 0;
    const { prog, l } = this;
    if (depth >= MAX_DEPTH) throw depthError(node);
    const pc = readWord(prog, node + l.parentColor, l.wordSize);
    const nodeParent = pc & ~3n;
    const black = (pc & 1n) !== 0n;
    const side = isLeft ? "left" : "right";
    if (nodeParent !== parent) {
      throw new ValidationError(
        `${formatPointer(this.ptr(parent))} rb_${side} ${
          formatPointer(this.ptr(node), false)
        } has rb_parent ${formatPointer(this.ptr(nodeParent), false)}`,
      );
    }
    if (parentIsRed && !black) {
      throw new ValidationError(
        `red node ${formatPointer(this.ptr(parent))} has red child ${
          formatPointer(this.ptr(node), false)
        }`,
      );
    }
    const entry = containerAt(this.c, node);
    const r = this.cmp(entry, parentEntry);
    if (r > 0) {
      if (isLeft) {
        throw new ValidationError(
          `${formatPointer(parentEntry)} left child ${
            formatPointer(entry, false)
          } compares greater than it`,
        );
      }
    } else if (r < 0) {
      if (!isLeft) {
        throw new ValidationError(
          `${formatPointer(parentEntry)} right child ${
            formatPointer(entry, false)
          } compares less than it`,
        );
      }
    } else if (!this.allowEqual) {
      throw new ValidationError(
        `${formatPointer(parentEntry)} ${side} child ${
          formatPointer(entry, false)
        } compares equal to it`,
      );
    }
    return yield* this.descend(node, entry, black, depth);
  }

  *descend(
    node: bigint,
    entry: TypedObject,
    black: boolean,
    depth: number,
  ): Generator<TypedObject, number> {
    const { prog, l } = this;
    const left = readWord(prog, node + l.left, l.wordSize);
    const leftHeight = yield* this.visit(left, node, entry, !black, true, depth + 1);
    yield entry;
    const right = readWord(prog, node + l.right, l.wordSize);
    const rightHeight = yield* this.visit(right, node, entry, !black, false, depth + 1);
    if (leftHeight !== rightHeight) {
      throw new ValidationError(
        `left and right subtrees of ${
          formatPointer(this.ptr(node))
        } have unequal black heights (${leftHeight} != ${rightHeight})`,
      );
    }
    return leftHeight + (black ? 1 : 0);
  }
}
