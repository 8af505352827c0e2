/**
 * Maple trees (`struct maple_tree`) from the kernel's
 * `include/linux/maple_tree.h` (Linux kernel commit 54a611b60590 ("Maple
 * Tree: add new data structure") (in v6.1)), as drgn's
 * `drgn.helpers.linux.mapletree`. A maple tree maps ranges of `unsigned
 * long` indices to entries; since 6.1 a process's VMAs live in one
 * (`mm->mm_mt`, each VMA stored over `[vm_start, vm_end - 1]`).
 *
 * An encoded node pointer (`struct maple_enode *`) is the 256-byte aligned
 * node address with the node type in bits 3–6; `ma_root` also has bit 1
 * set. Slot `i` of a node covers the indices from the previous pivot + 1
 * (the node's minimum for slot 0) to `pivot[i]` (the node's maximum for
 * the last slot); the last used slot is `meta.end` when the last pivot
 * is 0, otherwise the pivot array's end.
 *
 * @example A task's memory map
 * ```ts
 * import { mtForEach } from "./mapletree.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const mm = findTask(prog, 1).mm;
 * for (const [first, last, entry] of mtForEach(mm.mm_mt.addressOf_())) {
 *   const vma = cast("struct vm_area_struct *", entry);
 *   if (vma.vm_start.value_() !== first || vma.vm_end.value_() - 1n !== last) throw new Error();
 * }
 * ```
 *
 * @module
 */

import { ValidationError } from "../../lib/errors.ts";
import { objectAt } from "../../lib/object/operators.ts";
import type { ObjectProgram, TypedObject } from "../../lib/object/typed_object.ts";
import type { Type } from "../../lib/types/type.ts";
import { asPointer, hexAddress, pointerObject, readWord } from "./_util.ts";

const MAPLE_NODE_MASK = 255n;
const MAPLE_NODE_TYPE_SHIFT = 3n;
const MAPLE_NODE_TYPE_MASK = 0xfn;
/** `enum maple_type`. */
const MAPLE_DENSE = 0;
const MAPLE_LEAF_64 = 1;
const MAPLE_RANGE_64 = 2;
const MAPLE_ARANGE_64 = 3;
/** `xa_mk_internal(257)`. */
const XA_ZERO_ENTRY = 1030n;
/** Deeper than `MAPLE_HEIGHT_MAX` (31): a corrupted tree. */
const MAX_DEPTH = 64;

/** Options of {@link mtreeLoad} and {@link mtForEach}. */
export interface MtOptions {
  /** Return zero entries as they are instead of as NULL / skipping them. */
  advanced?: boolean;
}

/** A decoded node: its pivots, slots and how many slots are used. */
interface MapleNode {
  readonly address: bigint;
  readonly pivots: bigint[];
  readonly slots: bigint[];
  /** Index of the last used slot. */
  readonly end: number;
  readonly leaf: boolean;
  readonly dense: boolean;
}

function isNode(v: bigint): boolean {
  return (v & 3n) === 2n && v > 4096n;
}

function decode(prog: ObjectProgram, enode: bigint, max: bigint): MapleNode {
  const address = enode & ~MAPLE_NODE_MASK;
  const type = Number((enode >> MAPLE_NODE_TYPE_SHIFT) & MAPLE_NODE_TYPE_MASK);
  const node = objectAt(prog, "struct maple_node", address);
  const ints = (arr: TypedObject) => (arr.value_() as bigint[]).map((x) => BigInt(x));
  switch (type) {
    case MAPLE_ARANGE_64: {
      const m = node.member_("ma64").read_();
      const pivots = ints(m.member_("pivot"));
      return {
        address,
        pivots,
        slots: ints(m.member_("slot")),
        end: m.member_("meta").member_("end").value_() as number,
        leaf: false,
        dense: false,
      };
    }
    case MAPLE_RANGE_64:
    case MAPLE_LEAF_64: {
      const m = node.member_("mr64").read_();
      const pivots = ints(m.member_("pivot"));
      const lastPivot = pivots[pivots.length - 1]!;
      let end: number;
      if (lastPivot === 0n) end = m.member_("meta").member_("end").value_() as number;
      else if (lastPivot === max) end = pivots.length - 1;
      else end = pivots.length;
      return {
        address,
        pivots,
        slots: ints(m.member_("slot")),
        end,
        leaf: type === MAPLE_LEAF_64,
        dense: false,
      };
    }
    case MAPLE_DENSE: {
      const slots = ints(node.member_("slot"));
      return { address, pivots: [], slots, end: slots.length - 1, leaf: true, dense: true };
    }
    default:
      throw new ValidationError(
        `maple node ${hexAddress(address)} has unknown type ${type} (encoded ${hexAddress(enode)})`,
      );
  }
}

function check(n: MapleNode): MapleNode {
  if (n.end < 0 || n.end >= n.slots.length) {
    throw new ValidationError(
      `maple node ${hexAddress(n.address)} has end ${n.end} past its ${n.slots.length} slots`,
    );
  }
  return n;
}

function ulongMax(prog: ObjectProgram): bigint {
  return (1n << BigInt(prog.platform.wordSize * 8)) - 1n;
}

function rootOf(mt: TypedObject): { prog: ObjectProgram; root: bigint; entryType: Type } {
  const p = asPointer(mt, "mt");
  const f = p.member_("ma_root");
  return {
    prog: p.prog_,
    root: readWord(p.prog_, f.address_!, p.prog_.platform.wordSize),
    entryType: f.type_,
  };
}

/**
 * The entry whose range contains `index` (`mtree_load()`), or NULL.
 *
 * @param mt `struct maple_tree *`
 * @param index the index
 * @param options `advanced`: return zero entries as they are
 * @returns `void *`
 * @throws {ValidationError} on a node of unknown type or a tree deeper than any real one
 *
 * @example
 * ```ts
 * import { mtreeLoad } from "./mapletree.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const mm = findTask(prog, 1).mm;
 * const vma = cast("struct vm_area_struct *", mtreeLoad(mm.mm_mt.addressOf_(), mm.start_stack.value_()));
 * if (vma.vm_start.value_() > mm.start_stack.value_()) throw new Error();
 * ```
 */
export function mtreeLoad(
  mt: TypedObject,
  index: number | bigint,
  options: MtOptions = {},
): TypedObject {
  const { prog, root, entryType } = rootOf(mt);
  const idx = BigInt(index);
  let v = root;
  if (!isNode(v)) return pointerObject(prog, entryType, v !== 0n && idx === 0n ? v : 0n);
  let min = 0n;
  let max = ulongMax(prog);
  for (let depth = 0;; depth++) {
    if (depth >= MAX_DEPTH) throw deep(v);
    const n = check(decode(prog, v, max));
    let offset: number;
    if (n.dense) {
      offset = Number(idx - min);
      if (offset < 0 || offset >= n.slots.length) return pointerObject(prog, entryType, 0n);
    } else {
      offset = n.end;
      for (let i = 0; i < n.end; i++) {
        if (n.pivots[i]! >= idx) {
          offset = i;
          break;
        }
      }
      if (offset > 0) min = n.pivots[offset - 1]! + 1n;
      if (offset < n.end) max = n.pivots[offset]!;
    }
    v = n.slots[offset]!;
    if (n.leaf) {
      if (!options.advanced && v === XA_ZERO_ENTRY) v = 0n;
      return pointerObject(prog, entryType, v);
    }
  }
}

function deep(at: bigint): ValidationError {
  return new ValidationError(
    `maple tree is deeper than ${MAX_DEPTH} levels at ${hexAddress(at)}: it has a cycle`,
  );
}

/**
 * Iterates over the entries of a maple tree and their ranges, in index
 * order (`mt_for_each()`).
 *
 * @param mt `struct maple_tree *`
 * @param options `advanced`: also yield zero entries
 * @returns an iterator of `[first, last, entry]`: inclusive bounds (bigint) and the `void *` entry
 * @throws {ValidationError} on a node of unknown type or a tree deeper than any real one
 *
 * @example
 * ```ts
 * import { mtForEach } from "./mapletree.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const mm = findTask(prog, 1).mm;
 * const n = [...mtForEach(mm.mm_mt.addressOf_())].length;
 * if (n !== mm.map_count.value_()) throw new Error();
 * ```
 */
export function* mtForEach(
  mt: TypedObject,
  options: MtOptions = {},
): Generator<[bigint, bigint, TypedObject]> {
  const { prog, root, entryType } = rootOf(mt);
  const wanted = (v: bigint) => v !== 0n && (options.advanced === true || v !== XA_ZERO_ENTRY);
  if (!isNode(root)) {
    if (root !== 0n) yield [0n, 0n, pointerObject(prog, entryType, root)];
    return;
  }
  // Depth-first, children in slot order: ranges come out ascending.
  const stack: { enode: bigint; min: bigint; max: bigint; depth: number }[] = [
    { enode: root, min: 0n, max: ulongMax(prog), depth: 0 },
  ];
  while (stack.length > 0) {
    const { enode, min, max, depth } = stack.pop()!;
    if (depth >= MAX_DEPTH) throw deep(enode);
    const n = check(decode(prog, enode, max));
    if (n.dense) {
      for (let i = 0; i < n.slots.length && min + BigInt(i) <= max; i++) {
        const v = n.slots[i]!;
        const at = min + BigInt(i);
        if (wanted(v)) yield [at, at, pointerObject(prog, entryType, v)];
      }
      continue;
    }
    const ranges: [bigint, bigint, bigint][] = [];
    let prev = min;
    for (let i = 0; i <= n.end; i++) {
      const last = i < n.end ? n.pivots[i]! : max;
      ranges.push([prev, last, n.slots[i]!]);
      prev = last + 1n;
    }
    if (n.leaf) {
      for (const [first, last, v] of ranges) {
        if (wanted(v)) yield [first, last, pointerObject(prog, entryType, v)];
      }
    } else {
      for (let i = ranges.length - 1; i >= 0; i--) {
        const [first, last, v] = ranges[i]!;
        if (v === 0n) continue;
        stack.push({ enode: v, min: first, max: last, depth: depth + 1 });
      }
    }
  }
}
