/**
 * C syntax for objects, drgn 0.0.22's `str(obj)` and `obj.format_(...)`
 * character for character: `(int)-123456`, `*(int *)(g_int+0x0 =
 * 0x555555558068) = -123456`, `(char [16])"swapper/0"`, structs with one
 * tab-indented member per line, arrays on one line with trailing zeros
 * left out, and line wrapping at `columns` (no limit by default).
 *
 * The layout algorithm is drgn's: an initializer list (`{ … }`) is first
 * tried on one line; if it does not fit (or the options put members on
 * separate lines), it is laid out one initializer per line, packing
 * several initializers on a line when the options allow it. A pointer is
 * followed once at the top level (`dereference`); a pointee that cannot be
 * read leaves out the `= …` part.
 *
 * Where drgn 0.0.22 fails, this prints what C would:
 *
 * - integers wider than 64 bits (`__int128`): all their digits;
 * - `long double`: drgn's float rule with the format's precision
 *   (`%.21Lg` for x87 extended, `%.36Lg` for binary128; `%.1Lf` when
 *   integral), so `1.0L/3` is `(long double)0.333333333333333333342`;
 * - `_Complex`: `(complex double)1.5 + 2.5i`, `(complex float)-1.0 - 0.5i`
 *   (each part by the float rule; a part whose sign bit is set is printed
 *   as ` - ` and its magnitude).
 *
 * One limit drgn does not have: a string behind a `char *` is cut off
 * after 16 MiB without a NUL (drgn reads until it faults).
 *
 * Speed: a referenced struct or array is read from the target with one
 * read and formatted from those bytes; only if that read faults is it
 * formatted member by member from memory, as drgn does, so objects that
 * are partly unreadable print exactly as in drgn. Per-type member lists
 * (anonymous members flattened, designators built) are cached on the type.
 *
 * Importing this module installs the formatter behind
 * `TypedObject.format_()` and `TypedObject.toString()`.
 *
 * @module
 */

import { FaultError, ObjectAbsentError, OutOfBoundsError } from "../errors.ts";
import { formatTypeName } from "../types/format_type.ts";
import { isCompoundKind, type Type, underlyingType } from "../types/type.ts";
import { readBits, readUintBig, truncate } from "./scalar.ts";
import {
  escapeStringBytes,
  floatBytesAreZero,
  type FloatFormat,
  floatFormatOf,
  formatCharLiteral,
  formatFloatBytes,
  formatFloatNumber,
  isCharacterType,
} from "./format_value.ts";
import {
  type FormatOptions,
  type ObjectProgram,
  type Primitive,
  ReadKind,
  type ReadPlan,
  readPlan,
  setObjectFormatter,
  type TypedObject,
} from "./typed_object.ts";

// drgn's `enum drgn_format_object_flags`.
const DEREFERENCE = 1 << 0;
const SYMBOLIZE = 1 << 1;
const STRING = 1 << 2;
const CHAR = 1 << 3;
const TYPE_NAME = 1 << 4;
const MEMBER_TYPE_NAMES = 1 << 5;
const ELEMENT_TYPE_NAMES = 1 << 6;
const MEMBERS_SAME_LINE = 1 << 7;
const ELEMENTS_SAME_LINE = 1 << 8;
const MEMBER_NAMES = 1 << 9;
const ELEMENT_INDICES = 1 << 10;
const IMPLICIT_MEMBERS = 1 << 11;
const IMPLICIT_ELEMENTS = 1 << 12;

/** The defaults of `str()` and `format_()`. */
const PRETTY = DEREFERENCE | SYMBOLIZE | STRING | TYPE_NAME | MEMBER_TYPE_NAMES |
  ELEMENTS_SAME_LINE | MEMBER_NAMES | IMPLICIT_MEMBERS;

/** Flags passed down to members, elements and dereferenced values. */
const PASSTHROUGH = SYMBOLIZE | STRING | CHAR | MEMBER_TYPE_NAMES | ELEMENT_TYPE_NAMES |
  MEMBERS_SAME_LINE | ELEMENTS_SAME_LINE | MEMBER_NAMES | ELEMENT_INDICES | IMPLICIT_MEMBERS |
  IMPLICIT_ELEMENTS;

function memberFlags(flags: number): number {
  return (flags & PASSTHROUGH) | ((flags & MEMBER_TYPE_NAMES) >> 1);
}

function elementFlags(flags: number): number {
  return (flags & PASSTHROUGH) | ((flags & ELEMENT_TYPE_NAMES) >> 2);
}

const OPTION_FLAGS: readonly (readonly [keyof FormatOptions, number])[] = [
  ["dereference", DEREFERENCE],
  ["symbolize", SYMBOLIZE],
  ["string", STRING],
  ["char", CHAR],
  ["typeName", TYPE_NAME],
  ["memberTypeNames", MEMBER_TYPE_NAMES],
  ["elementTypeNames", ELEMENT_TYPE_NAMES],
  ["membersSameLine", MEMBERS_SAME_LINE],
  ["elementsSameLine", ELEMENTS_SAME_LINE],
  ["memberNames", MEMBER_NAMES],
  ["elementIndices", ELEMENT_INDICES],
  ["implicitMembers", IMPLICIT_MEMBERS],
  ["implicitElements", IMPLICIT_ELEMENTS],
];

/** Largest struct or array read from the target in one piece (bigger ones are read per value). */
const WHOLE_READ_LIMIT = 64 << 20;
/** Longest string read through a `char *` before the literal is cut off (no NUL found). */
const MAX_STRING = 16 << 20;

// ---------------------------------------------------------------------------
// Slots: where the bits of an object or sub-object are

const enum SlotKind {
  /** In a byte buffer (a value object, or a reference read in one piece). */
  Bytes,
  /** In target memory. */
  Reference,
  /** Optimized out. */
  Absent,
  /** A scalar value object's value. */
  Primitive,
}

/** An object or a piece of one, without the cost of a `TypedObject`. */
class Slot {
  constructor(
    readonly type: Type,
    readonly plan: ReadPlan,
    readonly kind: SlotKind,
    /** Bytes: the buffer. */
    readonly buf: Uint8Array | null,
    /** Bytes: the buffer's view. */
    readonly view: DataView | null,
    /** Bytes: first bit in `buf`; Reference: bit offset from `address` (0–7). */
    readonly bit: number,
    /** Bytes: end of the object in bits (slices past it are out of bounds). */
    readonly limit: number,
    /**
     * Reference: the address. Bytes: the address of `buf[0]` if the buffer
     * was read from the target (then slices past `limit` read memory, as a
     * reference would), else -1n.
     */
    readonly address: bigint,
    /** Bit-field size, or null. */
    readonly bitFieldSize: number | null,
    /** Primitive: the value. */
    readonly value: Primitive | null,
  ) {}
}

function bytesSlot(type: Type, buf: Uint8Array, address: bigint): Slot {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return new Slot(
    type,
    readPlan(type),
    SlotKind.Bytes,
    buf,
    view,
    0,
    buf.length * 8,
    address,
    null,
    null,
  );
}

function referenceSlot(
  type: Type,
  address: bigint,
  bit: number,
  bitFieldSize: number | null,
): Slot {
  return new Slot(
    type,
    readPlan(type),
    SlotKind.Reference,
    null,
    null,
    bit,
    0,
    address,
    bitFieldSize,
    null,
  );
}

/** drgn's `drgn_type_kind_spelling`. */
const KIND_SPELLING: Readonly<Record<string, string>> = {
  void: "void",
  int: "integer",
  bool: "boolean",
  float: "floating-point",
  complex: "complex",
  struct: "structure",
  union: "union",
  class: "class",
  enum: "enumerated",
  typedef: "typedef",
  pointer: "pointer",
  array: "array",
  function: "function",
};

/** drgn's `drgn_object_slice`: the sub-object of `type` at `bitOffset` bits into `s`. */
function slice(s: Slot, type: Type, bitOffset: number, bitFieldSize: number | null): Slot {
  const plan = readPlan(type);
  switch (s.kind) {
    case SlotKind.Bytes: {
      if (plan.size < 0 && s.address < 0n) {
        // A value has no bytes for an incomplete sub-object (drgn's rule; references do).
        throw new TypeError(
          `cannot create object with incomplete ${KIND_SPELLING[plan.underlying.core.kind]} type`,
        );
      }
      const bit = s.bit + bitOffset;
      const bits = bitFieldSize ?? (plan.size < 0 ? 0 : plan.size * 8);
      if (bit + bits > s.limit) {
        // A value's slices must lie inside it; a reference's need not.
        if (s.address < 0n) throw new OutOfBoundsError("out of bounds of value");
        return slice(referenceSlot(s.type, s.address, 0, null), type, bit, bitFieldSize);
      }
      return new Slot(
        type,
        plan,
        SlotKind.Bytes,
        s.buf,
        s.view,
        bit,
        s.address < 0n ? bit + bits : s.limit,
        s.address,
        bitFieldSize,
        null,
      );
    }
    case SlotKind.Reference: {
      const bit = s.bit + bitOffset;
      return new Slot(
        type,
        plan,
        SlotKind.Reference,
        null,
        null,
        bit & 7,
        0,
        BigInt.asUintN(64, s.address + BigInt(Math.floor(bit / 8))),
        bitFieldSize,
        null,
      );
    }
    case SlotKind.Absent:
      return new Slot(type, plan, SlotKind.Absent, null, null, 0, 0, 0n, bitFieldSize, null);
    case SlotKind.Primitive:
      throw new TypeError(`cannot take a slice of a '${formatTypeName(s.type)}' value`);
  }
}

// ---------------------------------------------------------------------------
// The state of one format call

class Formatter {
  readonly prog: ObjectProgram;
  readonly x86: boolean;
  readonly #symbolize: ((address: bigint) => string | null) | undefined;

  constructor(prog: ObjectProgram) {
    this.prog = prog;
    const arch = prog.platform.arch;
    this.x86 = arch === "X86_64" || arch === "I386";
    const f = prog.symbolize;
    this.#symbolize = f === undefined ? undefined : f.bind(prog);
  }

  /** `name+0xoff` for a symbol containing `address`, or null. */
  symbolName(address: bigint): string | null {
    if (this.#symbolize === undefined) return null;
    const s = this.#symbolize(address);
    if (s === null) return null;
    // A `/0xsize` suffix (kernel `%pS` style) is not part of drgn's object syntax.
    const slash = s.lastIndexOf("/0x");
    return slash > 0 ? s.slice(0, slash) : s;
  }

  /** A reference slot, read in one piece when it is a struct or array that can be read. */
  load(type: Type, address: bigint, bit: number, bitFieldSize: number | null): Slot {
    const plan = readPlan(type);
    if (
      (plan.rk === ReadKind.Compound || plan.rk === ReadKind.Array) && bit === 0 &&
      bitFieldSize === null && plan.size > 0 && plan.size <= WHOLE_READ_LIMIT
    ) {
      try {
        return bytesSlot(type, this.prog.memory.read(address, plan.size), address);
      } catch (e) {
        // Format from memory piece by piece, as drgn does: the unreadable
        // part may be padding, or the tail of a string after its NUL.
        if (!(e instanceof FaultError)) throw e;
      }
    }
    return referenceSlot(type, address, bit, bitFieldSize);
  }

  /** The bytes holding `s` and where in them it starts: `[bytes, bitOffset]`. */
  #bits(s: Slot, bits: number): [Uint8Array, number] {
    if (s.kind === SlotKind.Bytes) return [s.buf!, s.bit];
    if (s.kind === SlotKind.Absent) throw new ObjectAbsentError();
    const n = (s.bit + bits + 7) >> 3;
    return [this.prog.memory.read(s.address, n), s.bit];
  }

  /** An integer, bool, enum or pointer value (signedness from the type). */
  readInt(s: Slot): bigint {
    const plan = s.plan;
    if (s.kind === SlotKind.Primitive) return primitiveToBigInt(s.value!);
    if (plan.size < 0) throw new TypeError("cannot read object with incomplete type");
    const bfs = s.bitFieldSize;
    if (s.kind === SlotKind.Bytes && bfs === null && (s.bit & 7) === 0) {
      const v = s.view!;
      const off = s.bit >> 3;
      const lit = plan.littleEndian;
      switch (plan.size) {
        case 1:
          return BigInt(plan.signed ? v.getInt8(off) : v.getUint8(off));
        case 2:
          return BigInt(plan.signed ? v.getInt16(off, lit) : v.getUint16(off, lit));
        case 4:
          return BigInt(plan.signed ? v.getInt32(off, lit) : v.getUint32(off, lit));
        case 8:
          return plan.signed ? v.getBigInt64(off, lit) : v.getBigUint64(off, lit);
      }
    }
    const bits = bfs ?? plan.size * 8;
    const [bytes, bit] = this.#bits(s, bits);
    if ((bit & 7) === 0 && bfs === null) {
      return truncate(
        readUintBig(bytes, bit >> 3, plan.size, plan.littleEndian),
        bits,
        plan.signed,
      );
    }
    return truncate(readBits(bytes, 0, bit, bits, plan.littleEndian), bits, plan.signed);
  }

  /** The bytes of a float or complex slot, starting at the returned offset. */
  #floatBytes(s: Slot, size: number): [Uint8Array, number] {
    const [bytes, bit] = this.#bits(s, size * 8);
    if ((bit & 7) === 0) return [bytes, bit >> 3];
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = Number(readBits(bytes, 0, bit + i * 8, 8, true));
    return [out, 0];
  }

  /** A float slot as drgn prints it. */
  formatFloat(s: Slot, size: number, littleEndian: boolean): string {
    const format = floatFormatOf(size, this.x86);
    if (s.kind === SlotKind.Primitive) {
      return formatFloatNumber(primitiveToNumber(s.value!), format);
    }
    if (format === null) throw new TypeError(`cannot format ${size}-byte floating-point value`);
    const [bytes, off] = this.#floatBytes(s, size);
    return formatFloatBytes(bytes, off, format, littleEndian);
  }

  #floatIsZero(s: Slot, size: number, littleEndian: boolean, format: FloatFormat | null): boolean {
    if (s.kind === SlotKind.Primitive) return primitiveToNumber(s.value!) === 0;
    if (format === null) throw new TypeError(`cannot read ${size}-byte floating-point value`);
    const [bytes, off] = this.#floatBytes(s, size);
    return floatBytesAreZero(bytes, off, format, littleEndian);
  }

  /** drgn's `drgn_object_is_zero`: every scalar in the object is zero. */
  isZero(s: Slot): boolean {
    const plan = s.plan;
    switch (plan.rk) {
      case ReadKind.Int:
      case ReadKind.Bool:
      case ReadKind.Pointer:
        return this.readInt(s) === 0n;
      case ReadKind.Float:
        return this.#floatIsZero(
          s,
          plan.size,
          plan.littleEndian,
          floatFormatOf(plan.size, this.x86),
        );
      case ReadKind.Complex: {
        const half = plan.size / 2;
        const format = floatFormatOf(half, this.x86);
        if (s.kind === SlotKind.Primitive) return false;
        const [bytes, off] = this.#floatBytes(s, plan.size);
        if (format === null) throw new TypeError(`cannot read ${half}-byte floating-point value`);
        return floatBytesAreZero(bytes, off, format, plan.littleEndian) &&
          floatBytesAreZero(bytes, off + half, format, plan.littleEndian);
      }
      case ReadKind.Compound: {
        const members = plan.underlying.core.members;
        // drgn has no value for an incomplete type to compare.
        if (members === null) throw new TypeError("object cannot be converted to boolean");
        if (allZeroBytes(s)) return true;
        for (const m of members) {
          if (!this.isZero(slice(s, m.type, m.bitOffset, m.bitFieldSize))) return false;
        }
        return true;
      }
      case ReadKind.Array: {
        const u = plan.underlying;
        const elem = u.type;
        const esize = readPlan(elem).size;
        if (esize < 0) throw new TypeError(`cannot get size of incomplete element type`);
        const n = u.core.length;
        if (n === null) throw new TypeError("object cannot be converted to boolean");
        if (allZeroBytes(s)) return true;
        for (let i = 0; i < n; i++) {
          if (!this.isZero(slice(s, elem, i * esize * 8, null))) return false;
        }
        return true;
      }
      case ReadKind.Function:
      case ReadKind.Void:
        throw new TypeError("object cannot be converted to boolean");
    }
  }

  /** The string literal at `address`, at most `maxLength` bytes or up to a NUL. */
  stringAt(address: bigint, maxLength: number): string {
    const mem = this.prog.memory;
    let s = '"';
    let a = address;
    let done = 0;
    const limit = Math.min(maxLength, MAX_STRING);
    while (done < limit) {
      // Up to the end of the page, so the read stops where a mapping may.
      const n = Math.min(4096 - Number(a & 0xfffn), limit - done);
      let chunk: Uint8Array;
      try {
        chunk = mem.read(a, n);
      } catch (e) {
        if (!(e instanceof FaultError)) throw e;
        // Byte by byte, to fault where drgn does (or find the NUL first).
        chunk = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          chunk[i] = mem.read(BigInt.asUintN(64, a + BigInt(i)), 1)[0]!;
          if (chunk[i] === 0) break;
        }
      }
      const z = chunk.indexOf(0);
      if (z >= 0) return s + escapeStringBytes(chunk, 0, z) + '"';
      s += escapeStringBytes(chunk, 0, n);
      done += n;
      a = BigInt.asUintN(64, a + BigInt(n));
    }
    return s + '"';
  }
}

function primitiveToBigInt(v: Primitive): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  return BigInt(Math.trunc(v));
}

function primitiveToNumber(v: Primitive): number {
  return typeof v === "number" ? v : typeof v === "boolean" ? (v ? 1 : 0) : Number(v);
}

/** Whether a byte-aligned slot's bytes are all zero (then every scalar in it is zero). */
function allZeroBytes(s: Slot): boolean {
  if (s.kind !== SlotKind.Bytes || (s.bit & 7) !== 0 || s.bitFieldSize !== null) return false;
  const size = s.plan.size;
  if (size < 0 || !zeroTestable(s.type)) return false;
  const buf = s.buf!;
  const start = s.bit >> 3;
  const end = start + size;
  if (end > buf.length) return false;
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

const ZERO_TESTABLE = "format_object.zeroTestable";

/**
 * Whether all-zero bytes prove a struct or array zero: every member lies
 * inside it and none is incomplete (drgn fails on those), recursively.
 */
function zeroTestable(type: Type): boolean {
  const u = underlyingType(type);
  const core = u.core;
  const cached = core.slots.get(ZERO_TESTABLE) as boolean | undefined;
  if (cached !== undefined) return cached;
  core.slots.set(ZERO_TESTABLE, false); // cycles (impossible in C) are not testable
  let ok = true;
  switch (core.kind) {
    case "struct":
    case "union":
    case "class": {
      const size = core.size;
      const members = core.members;
      if (members === null || size === null) {
        ok = false;
        break;
      }
      for (const m of members) {
        const p = readPlan(m.type);
        const bits = m.bitFieldSize ?? p.size * 8;
        if (p.size < 0 || m.bitOffset + bits > size * 8 || !zeroTestable(m.type)) {
          ok = false;
          break;
        }
      }
      break;
    }
    case "array":
      ok = core.length !== null && zeroTestable(u.type);
      break;
    case "void":
    case "function":
      ok = false;
      break;
    default:
      ok = readPlan(u).size >= 0;
  }
  core.slots.set(ZERO_TESTABLE, ok);
  return ok;
}

// ---------------------------------------------------------------------------
// Per-type plans

/** A member as the formatter walks it (offsets relative to the formatted struct). */
interface MemberEntry {
  readonly type: Type;
  readonly bitOffset: number;
  readonly bitFieldSize: number | null;
  /** `.name = `, or `` for an unnamed member. */
  readonly designation: string;
}

interface CompoundPlan {
  /** The struct's own members. */
  readonly direct: readonly MemberEntry[];
  /** With member names: anonymous struct/union members replaced by their members. */
  readonly flat: readonly MemberEntry[];
}

const COMPOUND_PLAN = "format_object.compound";
const ENUM_NAMES = "format_object.enum";

function compoundPlan(u: Type): CompoundPlan {
  return u.core.slot(COMPOUND_PLAN, (): CompoundPlan => {
    // C++ base class subobjects first, as gdb prints them (`<Base> = {…}`);
    // a virtual base's place depends on the object (see virtualBases).
    const bases: MemberEntry[] = [];
    for (const b of u.core.bases) {
      if (b.bitOffset === null) continue;
      bases.push({
        type: b.type,
        bitOffset: b.bitOffset,
        bitFieldSize: null,
        designation: baseDesignation(b.type),
      });
    }
    const direct: MemberEntry[] = [...bases];
    for (const m of u.core.members ?? []) {
      direct.push({
        type: m.type,
        bitOffset: m.bitOffset,
        bitFieldSize: m.bitFieldSize,
        designation: m.name ? "." + m.name + " = " : "",
      });
    }
    const flat: MemberEntry[] = [...bases];
    flatten(u, 0, flat, 0);
    return { direct, flat };
  });
}

/** How a base class subobject is designated: `<Base> = `, as gdb prints it. */
function baseDesignation(base: Type): string {
  return "<" + (base.core.tag ?? formatTypeName(base)) + "> = ";
}

/**
 * drgn's member iteration with names: a member without a name whose type
 * (not looking through typedefs) is a struct, union or class is replaced
 * by its members.
 */
function flatten(t: Type, base: number, out: MemberEntry[], depth: number): void {
  if (depth > 64) throw new RangeError("cannot format object: anonymous members nested too deeply");
  for (const m of t.core.members ?? []) {
    const mt = m.type;
    if (!m.name && isCompoundKind(mt.core.kind)) {
      flatten(mt, base + m.bitOffset, out, depth + 1);
    } else {
      out.push({
        type: mt,
        bitOffset: base + m.bitOffset,
        bitFieldSize: m.bitFieldSize,
        designation: m.name ? "." + m.name + " = " : "",
      });
    }
  }
}

/** Enumerator names by value (the first enumerator of each value), per enum type. */
function enumNames(u: Type, signed: boolean): Map<bigint, string> {
  return u.core.slot(ENUM_NAMES, () => {
    const m = new Map<bigint, string>();
    for (const e of u.core.enumerators ?? []) {
      const v = signed ? BigInt.asIntN(64, e.value) : BigInt.asUintN(64, e.value);
      if (!m.has(v)) m.set(v, e.name);
    }
    return m;
  });
}

function isCharType(t: Type): boolean {
  const c = t.core;
  return isCharacterType(c.kind, c.name, c.isSigned);
}

const TABS: string[] = [];
function tabs(n: number): string {
  let s = TABS[n];
  if (s === undefined) {
    s = "\t".repeat(n);
    if (n < 256) TABS[n] = s;
  }
  return s;
}

/** `a - b`, or 0 where C's unsigned subtraction would overflow. */
function sub0(a: number, b: number): number {
  return a >= b ? a - b : 0;
}

// ---------------------------------------------------------------------------
// Formatting

/**
 * Formats `s`. Returns null when it does not fit in `oneLine` columns and
 * `multiLine` is 0 (drgn's "needs line wrap"); with `multiLine > 0` the
 * result is never null.
 */
function formatSlot(
  f: Formatter,
  s: Slot,
  indent: number,
  oneLine: number,
  multiLine: number,
  flags: number,
): string | null {
  const plan = s.plan;
  const rk = plan.rk;
  if (rk === ReadKind.Void) throw new TypeError("cannot format void object");
  if (rk === ReadKind.Pointer && s.kind !== SlotKind.Absent) {
    return formatPointer(f, s, indent, oneLine, multiLine, flags);
  }
  let prefix = "";
  if (flags & TYPE_NAME) {
    prefix = "(" + formatTypeName(s.type) + ")";
    oneLine = sub0(oneLine, prefix.length);
  }
  if (s.kind === SlotKind.Absent) return prefix + "<absent>";
  switch (rk) {
    case ReadKind.Int:
    case ReadKind.Bool:
      return prefix + formatInteger(f, s, flags);
    case ReadKind.Float:
      return prefix + f.formatFloat(s, plan.size, plan.littleEndian);
    case ReadKind.Complex: {
      if (s.kind === SlotKind.Primitive) throw new TypeError("complex value has no bytes");
      const half = plan.size / 2;
      const real = f.formatFloat(slice(s, plan.underlying.type, 0, null), half, plan.littleEndian);
      let imag = f.formatFloat(
        slice(s, plan.underlying.type, half * 8, null),
        half,
        plan.littleEndian,
      );
      let sign = " + ";
      if (imag.charCodeAt(0) === 0x2d) {
        sign = " - ";
        imag = imag.slice(1);
      }
      return prefix + real + sign + imag + "i";
    }
    case ReadKind.Compound: {
      const body = formatCompound(f, s, indent, oneLine, multiLine, flags);
      return body === null ? null : prefix + body;
    }
    case ReadKind.Array: {
      const body = formatArray(f, s, indent, oneLine, multiLine, flags);
      return body === null ? null : prefix + body;
    }
    case ReadKind.Function:
      if (s.kind !== SlotKind.Reference) throw new TypeError("function object has no address");
      return prefix + "0x" + s.address.toString(16);
  }
  throw new TypeError(`cannot format '${formatTypeName(s.type)}' object`);
}

function formatInteger(f: Formatter, s: Slot, flags: number): string {
  const u = s.plan.underlying;
  if ((flags & CHAR) && isCharType(s.type)) {
    return formatCharLiteral(Number(BigInt.asUintN(8, f.readInt(s))));
  }
  if (u.core.kind === "enum") {
    if (u.core.enumerators === null) throw new TypeError("cannot format incomplete enum object");
    const v = f.readInt(s);
    const name = enumNames(u, s.plan.signed).get(v);
    return name ?? v.toString();
  }
  return f.readInt(s).toString();
}

/** The pointee types a pointer is not followed to (drgn cannot dereference them). */
function canDereference(target: Type): boolean {
  const u = underlyingType(target);
  const c = u.core;
  switch (c.kind) {
    case "void":
    case "function":
      return false;
    case "struct":
    case "union":
    case "class":
      return c.members !== null;
    case "enum":
      return c.enumerators !== null;
    case "array":
      return c.length !== null;
    default:
      return true;
  }
}

function formatPointer(
  f: Formatter,
  s: Slot,
  indent: number,
  oneLine: number,
  multiLine: number,
  flags: number,
): string | null {
  const target = s.plan.underlying.type;
  const dereference = (flags & DEREFERENCE) !== 0;
  const cString = (flags & STRING) !== 0 && isCharType(target);
  const typePart = flags & TYPE_NAME ? "(" + formatTypeName(s.type) + ")" : "";
  const value = BigInt.asUintN(64, f.readInt(s));
  const symbol = flags & SYMBOLIZE ? f.symbolName(value) : null;
  const valuePart = (symbol !== null ? symbol + " = " : "") + "0x" + value.toString(16);
  if (!dereference && !cString) return typePart + valuePart;
  const star = dereference && !cString;
  const head = star
    ? "*" + typePart + (symbol !== null ? "(" + valuePart + ")" : valuePart) + " = "
    : typePart + valuePart + " = ";
  try {
    if (cString) return head + f.stringAt(value, Infinity);
    if (!canDereference(target)) return typePart + valuePart;
    const pointee = f.load(target, value, 0, null);
    const r = formatSlot(
      f,
      pointee,
      indent,
      sub0(oneLine, head.length),
      multiLine,
      flags & PASSTHROUGH,
    );
    return r === null ? null : head + r;
  } catch (e) {
    // The pointee cannot be read: print just the pointer.
    if (e instanceof FaultError || e instanceof OutOfBoundsError) return typePart + valuePart;
    throw e;
  }
}

function formatCompound(
  f: Formatter,
  s: Slot,
  indent: number,
  oneLine: number,
  multiLine: number,
  flags: number,
): string | null {
  const u = s.plan.underlying;
  if (u.core.members === null) {
    throw new TypeError(`cannot format incomplete ${u.core.kind} object`);
  }
  const cp = compoundPlan(u);
  const names = (flags & MEMBER_NAMES) !== 0;
  const list = names ? cp.flat : cp.direct;
  let end = list.length;
  if (!(flags & (MEMBER_NAMES | IMPLICIT_MEMBERS))) {
    // Without names, implicit (zero) members can only be left out at the end.
    while (end > 0) {
      const m = list[end - 1]!;
      if (!f.isZero(slice(s, m.type, m.bitOffset, m.bitFieldSize))) break;
      end--;
    }
  }
  const sameLine = (flags & MEMBERS_SAME_LINE) !== 0;
  const skipZero = (flags & (MEMBER_NAMES | IMPLICIT_MEMBERS)) === MEMBER_NAMES;
  if (!sameLine && multiLine === 0 && !skipZero && end > 0) return null;
  const items: Slot[] = [];
  const designations: string[] | null = names ? [] : null;
  if (u.core.bases.length > 0) {
    for (const [item, designation] of virtualBases(f, s, u)) {
      items.push(item);
      designations?.push(designation);
    }
  }
  for (let i = 0; i < end; i++) {
    const m = list[i]!;
    const item = slice(s, m.type, m.bitOffset, m.bitFieldSize);
    if (skipZero && f.isZero(item)) continue;
    items.push(item);
    designations?.push(m.designation);
  }
  return formatInitializer(
    f,
    items,
    designations,
    indent,
    oneLine,
    multiLine,
    sameLine,
    memberFlags(flags),
  );
}

/**
 * The virtual base subobjects of the struct in `s`, which the object's
 * vtable places: only for an object in memory whose vtable can be read.
 */
function virtualBases(f: Formatter, s: Slot, u: Type): [Slot, string][] {
  const out: [Slot, string][] = [];
  const address = s.kind === SlotKind.Reference
    ? (s.bit === 0 ? s.address : -1n)
    : s.address >= 0n && (s.bit & 7) === 0
    ? s.address + BigInt(s.bit >> 3)
    : -1n;
  for (const b of u.core.bases) {
    if (b.locate === null || address < 0n) continue;
    try {
      const at = b.locate(address, (a, n) => f.prog.memory.read(a, n));
      out.push([f.load(b.type, at, 0, null), baseDesignation(b.type)]);
    } catch (e) {
      if (!(e instanceof FaultError)) throw e; // an unreadable vtable: not shown
    }
  }
  return out;
}

function formatArray(
  f: Formatter,
  s: Slot,
  indent: number,
  oneLine: number,
  multiLine: number,
  flags: number,
): string | null {
  const u = s.plan.underlying;
  const elem = u.type;
  const length = u.core.length ?? 0;
  if ((flags & STRING) && length > 0 && isCharType(elem)) {
    if (s.kind === SlotKind.Reference && s.bit === 0) return f.stringAt(s.address, length);
    if (s.kind === SlotKind.Bytes && (s.bit & 7) === 0) {
      const buf = s.buf!;
      const start = s.bit >> 3;
      const stop = start + s.plan.size;
      if (stop > buf.length) {
        // Past the bytes read (a member beyond its struct's size): read on in memory.
        return f.stringAt(BigInt.asUintN(64, s.address + BigInt(start)), length);
      }
      let end = start;
      while (end < stop && buf[end] !== 0) end++;
      return '"' + escapeStringBytes(buf, start, end) + '"';
    }
  }
  const esize = readPlan(elem).size;
  if (esize < 0) {
    throw new TypeError(`cannot get size of incomplete '${formatTypeName(elem)}' element type`);
  }
  const ebits = esize * 8;
  let n = length;
  if (!(flags & (ELEMENT_INDICES | IMPLICIT_ELEMENTS))) {
    // Implicit (zero) elements at the end are left out.
    while (n > 0 && f.isZero(slice(s, elem, (n - 1) * ebits, null))) n--;
  }
  const sameLine = (flags & ELEMENTS_SAME_LINE) !== 0;
  const indices = (flags & ELEMENT_INDICES) !== 0;
  const skipZero = (flags & (ELEMENT_INDICES | IMPLICIT_ELEMENTS)) === ELEMENT_INDICES;
  if (!sameLine && multiLine === 0 && !skipZero && n > 0) return null;
  const items: Slot[] = [];
  const designations: string[] | null = indices ? [] : null;
  for (let i = 0; i < n; i++) {
    const item = slice(s, elem, i * ebits, null);
    if (skipZero && f.isZero(item)) continue;
    items.push(item);
    designations?.push("[" + i + "] = ");
  }
  return formatInitializer(
    f,
    items,
    designations,
    indent,
    oneLine,
    multiLine,
    sameLine,
    elementFlags(flags),
  );
}

/**
 * drgn's `c_format_initializer`: `{ a, b }` on one line if it fits in
 * `oneLine` columns (and `sameLine` allows more than one initializer on a
 * line), else one initializer per line at `indent + 1` tabs, packing
 * several on a line if `sameLine` and they fit in `multiLine` columns.
 */
function formatInitializer(
  f: Formatter,
  items: readonly Slot[],
  designations: readonly string[] | null,
  indent: number,
  oneLine: number,
  multiLine: number,
  sameLine: boolean,
  itemFlags: number,
): string | null {
  const count = items.length;
  if (count === 0) return "{}";
  // First, try everything on one line.
  let wrap = !sameLine;
  let s = "{";
  let remaining = sub0(oneLine, 1);
  for (let i = 0; i < count && !wrap; i++) {
    if (i === 0) {
      // The preceding space and the closing space and brace must fit.
      if (remaining < 3) {
        wrap = true;
        break;
      }
      s += " ";
      remaining -= 1;
    } else {
      if (remaining < 4) {
        wrap = true;
        break;
      }
      s += ", ";
      remaining -= 2;
    }
    if (designations !== null) {
      const d = designations[i]!;
      s += d;
      if (remaining < d.length) {
        wrap = true;
        break;
      }
      remaining -= d.length;
    }
    // drgn passes `remaining - 2` as an unsigned size: it wraps to "no limit" below 2.
    const r = formatSlot(
      f,
      items[i]!,
      indent + 1,
      remaining >= 2 ? remaining - 2 : Infinity,
      0,
      itemFlags,
    );
    if (r === null || remaining < r.length) {
      wrap = true;
      break;
    }
    s += r;
    remaining -= r.length;
  }
  if (!wrap && remaining >= 2) return s + " }";

  // It did not fit on one line: one initializer per line (or several if they fit).
  if (multiLine === 0) return null;
  const start = sub0(multiLine, 8 * (indent + 1));
  const lineStart = "\n" + tabs(indent + 1);
  s = "{";
  remaining = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i]!;
    const d = designations !== null ? designations[i]! : "";
    const lineColumns = designations !== null ? sub0(start, d.length) : start;
    if (lineColumns > 1) {
      const r = formatSlot(f, item, 0, lineColumns - 1, 0, itemFlags);
      if (r !== null) {
        const len = d.length + r.length;
        if (sameLine && len + 2 <= remaining) {
          // It fits on the previous line.
          s += " " + d + r + ",";
          remaining -= len + 2;
          continue;
        }
        if (len < start) {
          s += lineStart + d + r + ",";
          remaining = start - len - 1;
          continue;
        }
      }
    }
    const r = formatSlot(f, item, indent + 1, 0, multiLine, itemFlags)!;
    s += lineStart + d + r + ",";
    remaining = 0;
  }
  return s + "\n" + tabs(indent) + "}";
}

// ---------------------------------------------------------------------------
// Entry point

function parseOptions(options: FormatOptions | undefined): [flags: number, columns: number] {
  let flags = PRETTY;
  let columns = Infinity;
  if (options !== undefined) {
    for (const [key, bit] of OPTION_FLAGS) {
      const v = options[key];
      if (v === undefined || v === null) continue;
      if (v) flags |= bit;
      else flags &= ~bit;
    }
    const c = options.columns as number | bigint | undefined | null;
    if (c !== undefined && c !== null) {
      const n = typeof c === "bigint" ? Number(c) : c;
      if (typeof n !== "number" || !(n >= 0) || (!Number.isInteger(n) && n !== Infinity)) {
        throw new RangeError(`columns must be a non-negative integer, not ${String(c)}`);
      }
      columns = n;
    }
  }
  return [flags, columns];
}

function slotOf(f: Formatter, obj: TypedObject): Slot {
  const type = obj.type_;
  switch (obj.kind_) {
    case "reference":
      return f.load(type, obj.address_!, obj.bitOffset_, obj.bitFieldSize_);
    case "absent":
      return new Slot(
        type,
        readPlan(type),
        SlotKind.Absent,
        null,
        null,
        0,
        0,
        0n,
        obj.bitFieldSize_,
        null,
      );
    case "value": {
      const v = obj.rawValue_()!;
      if (v instanceof Uint8Array) return bytesSlot(type, v, -1n);
      return new Slot(
        type,
        readPlan(type),
        SlotKind.Primitive,
        null,
        null,
        0,
        0,
        0n,
        obj.bitFieldSize_,
        v,
      );
    }
  }
}

/**
 * Formats an object in C syntax, as drgn's `obj.format_(**options)`;
 * with no options, as `str(obj)`. `TypedObject.format_()` and
 * `TypedObject.toString()` call this.
 *
 * @param obj the object
 * @param options drgn's `format_()` keyword arguments in camelCase; an
 *   option left out (or `null`) takes drgn's default
 * @returns the C syntax
 * @throws {FaultError} if the object (not a pointee) cannot be read
 * @throws {TypeError} for `void` objects and incomplete structs and enums
 * @example
 * ```ts
 * import { formatObject } from "./format_object.ts";
 * import { makeObject } from "./typed_object.ts";
 * import { MockProgram } from "../../tests/_mock_program.ts";
 * const prog = new MockProgram();
 * formatObject(makeObject(prog, "int", { value: -5 })); // "(int)-5"
 * ```
 */
export function formatObject(obj: TypedObject, options?: FormatOptions): string {
  const [flags, columns] = parseOptions(options);
  const f = new Formatter(obj.prog_);
  return formatSlot(f, slotOf(f, obj), 0, columns, Math.max(columns, 1), flags)!;
}

setObjectFormatter(formatObject);
