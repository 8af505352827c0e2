/**
 * XArrays (`struct xarray`) from the kernel's `include/linux/xarray.h`, as
 * drgn's `drgn.helpers.linux.xarray`. Radix trees became XArrays in Linux
 * 4.20, so these helpers also take a `struct radix_tree_root *`, of either
 * layout: Linux kernel commit f8d5d0cc145c ("xarray: Add definition of
 * struct xarray") (in v4.20) made the radix tree an XArray; before it, the
 * root's member is `rnode`, internal nodes are tagged with bit 0, and
 * sibling entries point into their node's own `slots` (Linux kernel commit
 * 02c02bf12c5d ("xarray: Change definition of sibling entries") (in v4.20)).
 *
 * An entry's low bits say what it is: `…10` with a value above 4096 is a
 * node, `…10` below 256 a sibling, `…1` a value (an integer shifted left
 * once), `0x406` the zero entry (reserved, reads as NULL).
 *
 * @example Walk the PID allocator
 * ```ts
 * import { xaForEach } from "./xarray.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const ids = [];
 * for (const [index] of xaForEach(prog.object("init_pid_ns").idr.idr_rt.addressOf_())) {
 *   ids.push(index);
 * }
 * if (ids[0] !== 1n) throw new Error("pid 1 is the first allocated id");
 * ```
 *
 * @module
 */

import { ValidationError } from "../../lib/errors.ts";
import { cast } from "../../lib/object/operators.ts";
import type { ObjectProgram, TypedObject } from "../../lib/object/typed_object.ts";
import { type Type, underlyingType } from "../../lib/types/type.ts";
import { asPointer, hexAddress, memberOffset, pointee, pointerObject, readWord } from "./_util.ts";

/** `xa_mk_internal(257)`: an entry reserved but not present. */
const XA_ZERO_ENTRY = 1030n;

/** Options of {@link xaLoad} and {@link xaForEach}. */
export interface XaOptions {
  /**
   * Return entries only the advanced API sees: zero entries come back as
   * they are instead of as NULL (xaLoad) or being skipped (xaForEach).
   */
  advanced?: boolean;
}

/** One of the two layouts, with the node reads it needs. */
interface XaLayout {
  readonly prog: ObjectProgram;
  /** The root entry. */
  readonly head: bigint;
  /** `void *`: the type entries are returned as. */
  readonly entryType: Type;
  readonly modern: boolean;
  /** Offsets in the node struct. */
  readonly shiftOffset: bigint;
  readonly slotsOffset: bigint;
  /** Slots per node (`XA_CHUNK_SIZE`). */
  readonly chunkSize: number;
  readonly wordSize: number;
}

function xaLayout(root: TypedObject): XaLayout {
  const r = asPointer(root, "xa");
  const prog = r.prog_;
  const wordSize = prog.platform.wordSize;
  const modern = r.hasMember_("xa_head");
  const headField = r.member_(modern ? "xa_head" : "rnode");
  const head = readWord(prog, headField.address_!, wordSize);
  // The node type: struct xa_node, or what rnode points to.
  const nodeType = underlyingType(
    modern ? prog.type("struct xa_node") : pointee(headField.type_),
  );
  const slots = nodeType.member("slots");
  const slotsType = underlyingType(slots.type);
  return {
    prog,
    head,
    entryType: modern ? headField.type_ : slotsType.type,
    modern,
    shiftOffset: memberOffset(nodeType, "shift"),
    slotsOffset: BigInt(slots.bitOffset >> 3),
    chunkSize: slotsType.length ?? 64,
    wordSize,
  };
}

/** Whether `v` is an internal node pointer (`xa_is_node()` / `radix_tree_is_internal_node()`). */
function isNode(l: XaLayout, v: bigint, slotsAddr: bigint | null): boolean {
  if (l.modern) return (v & 3n) === 2n && v > 4096n;
  return (v & 3n) === 1n && !isOldSibling(l, v, slotsAddr);
}

function isOldSibling(l: XaLayout, v: bigint, slotsAddr: bigint | null): boolean {
  if (slotsAddr === null) return false;
  const p = v - 1n;
  return p >= slotsAddr && p < slotsAddr + BigInt(l.chunkSize * l.wordSize);
}

/** The slot a sibling entry refers to, or -1 if `v` is not a sibling. */
function siblingOffset(l: XaLayout, v: bigint, slotsAddr: bigint): number {
  if (l.modern) {
    if ((v & 3n) === 2n && v < 256n) return Number(v >> 2n);
    return -1;
  }
  if ((v & 3n) === 1n && isOldSibling(l, v, slotsAddr)) {
    return Number((v - 1n - slotsAddr) / BigInt(l.wordSize));
  }
  return -1;
}

function toNode(l: XaLayout, v: bigint): bigint {
  return v - (l.modern ? 2n : 1n);
}

function nodeShift(l: XaLayout, node: bigint): number {
  return l.prog.memory.read(node + l.shiftOffset, 1)[0]!;
}

function chunkBits(l: XaLayout): bigint {
  return BigInt(31 - Math.clz32(l.chunkSize));
}

function entry(l: XaLayout, v: bigint): TypedObject {
  return pointerObject(l.prog, l.entryType, v);
}

function badShift(node: bigint, shift: number, parentShift: number): ValidationError {
  return new ValidationError(
    `xarray node ${hexAddress(node)} has shift ${shift}, not below its parent's ${parentShift}`,
  );
}

/**
 * The entry at `index` (`xa_load()`), or NULL.
 *
 * @param xa `struct xarray *` (or `struct radix_tree_root *`)
 * @param index the index
 * @param options `advanced`: return zero entries as they are
 * @returns `void *`
 *
 * @example
 * ```ts
 * import { xaLoad } from "./xarray.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const pid = cast("struct pid *", xaLoad(prog.object("init_pid_ns").idr.idr_rt.addressOf_(), 1));
 * if (pid.numbers[0].nr.value_() !== 1) throw new Error();
 * ```
 */
export function xaLoad(
  xa: TypedObject,
  index: number | bigint,
  options: XaOptions = {},
): TypedObject {
  const l = xaLayout(xa);
  const idx = BigInt.asUintN(64, BigInt(index));
  let v = l.head;
  if (isNode(l, v, null)) {
    const node = toNode(l, v);
    const shift = nodeShift(l, node);
    const maxIndex = (BigInt(l.chunkSize) << BigInt(shift)) - 1n;
    if (idx > maxIndex) return entry(l, 0n);
    const mask = BigInt(l.chunkSize - 1);
    let parentShift = 256;
    let depth = 0;
    while (isNode(l, v, null)) {
      const n = toNode(l, v);
      const s = nodeShift(l, n);
      if (s >= parentShift || ++depth > 64) throw badShift(n, s, parentShift);
      parentShift = s;
      const slotsAddr = n + l.slotsOffset;
      let off = Number((idx >> BigInt(s)) & mask);
      v = readWord(l.prog, slotsAddr + BigInt(off * l.wordSize), l.wordSize);
      const sib = siblingOffset(l, v, slotsAddr);
      if (sib >= 0) {
        off = sib;
        v = readWord(l.prog, slotsAddr + BigInt(off * l.wordSize), l.wordSize);
      }
      if (s === 0) break;
    }
  } else if (idx !== 0n) {
    return entry(l, 0n);
  }
  if (!options.advanced && l.modern && v === XA_ZERO_ENTRY) v = 0n;
  return entry(l, v);
}

/**
 * Iterates over the entries of an XArray in index order (`xa_for_each()`).
 *
 * @param xa `struct xarray *` (or `struct radix_tree_root *`)
 * @param options `advanced`: also yield zero entries
 * @returns an iterator of `[index, entry]` pairs: the index as a bigint, the entry as `void *`
 * @throws {ValidationError} if a node's shift does not decrease (a corrupted or cyclic tree)
 *
 * @example
 * ```ts
 * import { xaForEach } from "./xarray.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const n = [...xaForEach(prog.object("init_pid_ns").idr.idr_rt.addressOf_())].length;
 * if (n !== 69) throw new Error(`${n} pids`);
 * ```
 */
export function* xaForEach(
  xa: TypedObject,
  options: XaOptions = {},
): Generator<[bigint, TypedObject]> {
  const l = xaLayout(xa);
  const at = { index: 0n };
  for (const v of walk(l, options, at)) yield [at.index, entry(l, v)];
}

/**
 * Iterates over the entries of an XArray (or radix tree) in index order as
 * raw values: the fast path of {@link xaForEach}, with no object or pair
 * per entry. Before each value is yielded, `at.index` is set to its index.
 *
 * @param xa `struct xarray *` (or `struct radix_tree_root *`)
 * @param at receives the index of each entry
 * @param options `advanced`: also yield zero entries
 * @returns an iterator of entry values (`bigint`)
 * @throws {ValidationError} if a node's shift does not decrease (a corrupted or cyclic tree)
 *
 * @example
 * ```ts
 * import { xaForEachValue } from "./xarray.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const at = { index: 0n };
 * const indices = [];
 * for (const _ of xaForEachValue(prog.object("init_pid_ns").idr.idr_rt.addressOf_(), at)) {
 *   indices.push(at.index);
 * }
 * if (indices[0] !== 1n) throw new Error("pid 1 is at index 1");
 * ```
 */
export function xaForEachValue(
  xa: TypedObject,
  at: { index: bigint },
  options: XaOptions = {},
): Generator<bigint> {
  return walk(xaLayout(xa), options, at);
}

function* walk(l: XaLayout, options: XaOptions, at: { index: bigint }): Generator<bigint> {
  const advanced = options.advanced === true || !l.modern;
  const wanted = (v: bigint) => v !== 0n && (advanced || v !== XA_ZERO_ENTRY);
  const head = l.head;
  if (!isNode(l, head, null)) {
    if (wanted(head) && siblingOffset(l, head, 0n) < 0) {
      at.index = 0n;
      yield head;
    }
    return;
  }
  const bits = chunkBits(l);
  // An explicit stack: [node, first index, shift, next slot].
  const stack: { node: bigint; index: bigint; shift: number; slot: number }[] = [];
  const rootNode = toNode(l, head);
  stack.push({ node: rootNode, index: 0n, shift: nodeShift(l, rootNode), slot: 0 });
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.slot >= l.chunkSize) {
      stack.pop();
      continue;
    }
    const slot = top.slot++;
    const slotsAddr = top.node + l.slotsOffset;
    const v = readWord(l.prog, slotsAddr + BigInt(slot * l.wordSize), l.wordSize);
    if (v === 0n) continue;
    const index = top.index + (BigInt(slot) << BigInt(top.shift));
    if (top.shift > 0 && isNode(l, v, slotsAddr)) {
      const child = toNode(l, v);
      const s = nodeShift(l, child);
      if (s >= top.shift || top.shift - s > Number(bits)) throw badShift(child, s, top.shift);
      stack.push({ node: child, index, shift: s, slot: 0 });
    } else if (siblingOffset(l, v, slotsAddr) < 0 && wanted(v)) {
      at.index = index;
      yield v;
    }
  }
}

/**
 * Whether an entry is a value entry (an integer, not a pointer; `xa_is_value()`).
 *
 * @param entry `void *`
 * @returns true if bit 0 is set
 *
 * @example
 * ```ts
 * import { xaIsValue } from "./xarray.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (xaIsValue(prog.object("init_pid_ns").idr.idr_rt.xa_head)) throw new Error();
 * ```
 */
export function xaIsValue(entry: TypedObject): boolean {
  return ((entry.value_() as bigint) & 1n) !== 0n;
}

/**
 * The integer in a value entry (`xa_to_value()`).
 *
 * @param entry `void *`
 * @returns `unsigned long`
 *
 * @example
 * ```ts
 * import { xaToValue } from "./xarray.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const e = cast("void *", prog.value("unsigned long", 201n));
 * if (xaToValue(e).value_() !== 100n) throw new Error();
 * ```
 */
export function xaToValue(entry: TypedObject): TypedObject {
  return cast("unsigned long", entry).rshift_(1);
}

/**
 * Whether an entry is the zero entry (reserved but not present; `xa_is_zero()`).
 *
 * @param entry `void *`
 * @returns true for `0x406`
 *
 * @example
 * ```ts
 * import { xaIsZero } from "./xarray.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (!xaIsZero(cast("void *", prog.value("unsigned long", 0x406n)))) throw new Error();
 * ```
 */
export function xaIsZero(entry: TypedObject): boolean {
  return (entry.value_() as bigint) === XA_ZERO_ENTRY;
}
