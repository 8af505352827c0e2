/**
 * Typed objects: a value or a reference to target memory, with a type, as
 * drgn's `drgn.Object`. C members are properties (`task.comm`, through
 * pointers too: `task.mm.mmap_base`), elements are indices (`arr[3]`,
 * `ptr[0]`), and the object's own methods carry a trailing underscore
 * (`value_()`, `member_("pid")`) so they never collide with member names.
 *
 * Speed: each type gets a generated class whose prototype has one getter per
 * member name, so member access is an ordinary property lookup with an
 * inline cache; numeric indices fall through the prototype chain to a single
 * catch-all proxy at its end, which costs nothing for the other lookups (an
 * index costs about 0.1 µs there, most of `arr[i]`: `subscript_(i)` skips
 * it). Members and elements of a reference share its bigint address and add
 * a number to it, and reads inside the last viewed block of a core file take
 * no bigint arithmetic ({@link MemoryReader.readIntoOffset}), so a walk
 * allocates little more than the objects it returns.
 *
 * @module
 */

import { decodeUtf8 } from "../binary/byte_reader.ts";
import { FaultError, ObjectAbsentError, OutOfBoundsError } from "../errors.ts";
import {
  findMember,
  isCompoundKind,
  type MemberInfo,
  type Type,
  type TypeBase,
  type TypeCore,
  underlyingType,
} from "../types/type.ts";
import { decodeFloat, readBits, readUintBig, truncate, writeBits, writeUintBig } from "./scalar.ts";
import type { MemoryReader } from "../memory/memory_reader.ts";
import type { Platform } from "../platform.ts";

/** What an object needs from its program. `Program` implements it. */
export interface ObjectProgram {
  readonly platform: Platform;
  readonly memory: MemoryReader;
  /** Looks up a type by name (C syntax) or returns `type` itself. */
  type(name: string | Type): Type;
  /** A (cached) pointer type to `type` with the program's word size. */
  pointerType(type: Type, qualifiers?: number): Type;
  /** A primitive C type by its C name (`int`, `unsigned long`, `_Bool`, `double`, `ptrdiff_t`, …). */
  primitiveType(name: string): Type;
  /**
   * The symbol containing `address` as `name+0xoffset` (a `/0xsize`
   * suffix is ignored), or null if none does. Object formatting uses it
   * to symbolize pointers when present.
   */
  symbolize?(address: bigint): string | null;
}

/** The three kinds of object (drgn's `ObjectKind`). */
export type ObjectKind = "value" | "reference" | "absent";

/** A JavaScript value an object's value is stored as. */
export type Primitive = number | bigint | boolean;

/** How values of a type are read: computed once per type. */
export const enum ReadKind {
  Int,
  Bool,
  Float,
  Complex,
  Pointer,
  Compound,
  Array,
  Function,
  Void,
}

/** A type's read plan (cached on its {@link TypeCore}). */
export interface ReadPlan {
  readonly rk: ReadKind;
  /** Size in bytes, or -1 for incomplete types. */
  readonly size: number;
  readonly signed: boolean;
  readonly littleEndian: boolean;
  /** `value_()` returns a bigint (integers over 4 bytes, pointers). */
  readonly big: boolean;
  /** The type with typedefs stripped. */
  readonly underlying: Type;
  /** Arrays: the element size in bytes, computed lazily. */
  elemSize?: number;
}

/** The read plan of `type`. */
export function readPlan(type: Type): ReadPlan {
  const cached = type.core.readPlan as ReadPlan | undefined;
  if (cached !== undefined) return cached;
  const u = underlyingType(type);
  const c = u.core;
  let plan: ReadPlan;
  switch (c.kind) {
    case "int":
      plan = mk(ReadKind.Int, c.size ?? -1, c.isSigned, c.littleEndian, (c.size ?? 0) > 4, u);
      break;
    case "bool":
      plan = mk(ReadKind.Bool, c.size ?? -1, false, c.littleEndian, false, u);
      break;
    case "float":
      plan = mk(ReadKind.Float, c.size ?? -1, true, c.littleEndian, false, u);
      break;
    case "complex":
      plan = mk(ReadKind.Complex, c.size ?? -1, true, c.littleEndian, false, u);
      break;
    case "enum": {
      const compat = c.type;
      const size = c.size ?? compat?.core.size ?? -1;
      const signed = compat !== null ? underlyingType(compat).core.isSigned : false;
      plan = mk(ReadKind.Int, size, signed, c.littleEndian, size > 4, u);
      break;
    }
    case "pointer":
      plan = mk(ReadKind.Pointer, c.size ?? 8, false, c.littleEndian, true, u);
      break;
    case "struct":
    case "union":
    case "class":
      plan = mk(ReadKind.Compound, c.members === null ? -1 : c.size ?? -1, false, true, false, u);
      break;
    case "array": {
      let size = -1;
      if (c.length !== null) {
        const ep = readPlan(u.type);
        if (ep.size >= 0) size = ep.size * c.length;
      }
      plan = mk(ReadKind.Array, size, false, true, false, u);
      break;
    }
    case "function":
      plan = mk(ReadKind.Function, -1, false, true, false, u);
      break;
    case "void":
      plan = mk(ReadKind.Void, -1, false, true, false, u);
      break;
    case "typedef":
      throw new Error("unreachable");
  }
  type.core.readPlan = plan;
  return plan;
}

function mk(
  rk: ReadKind,
  size: number,
  signed: boolean,
  littleEndian: boolean,
  big: boolean,
  underlying: Type,
): ReadPlan {
  return { rk, size, signed, littleEndian, big, underlying, elemSize: undefined };
}

const scratch = new Uint8Array(16);
const scratchView = new DataView(scratch.buffer);

/** Options of {@link TypedObject.format_}, drgn's `format_()` keyword arguments in camelCase. */
export interface FormatOptions {
  columns?: number;
  dereference?: boolean;
  symbolize?: boolean;
  string?: boolean;
  char?: boolean;
  typeName?: boolean;
  memberTypeNames?: boolean;
  elementTypeNames?: boolean;
  membersSameLine?: boolean;
  elementsSameLine?: boolean;
  memberNames?: boolean;
  elementIndices?: boolean;
  implicitMembers?: boolean;
  implicitElements?: boolean;
}

type ObjectFormatter = (obj: TypedObject, options?: FormatOptions) => string;
let objectFormatter: ObjectFormatter | undefined;

/** Installs the C-syntax object formatter (called once by `format_object.ts`). */
export function setObjectFormatter(f: ObjectFormatter): void {
  objectFormatter = f;
}

/** Where a reference object's bytes are, and how to describe it. */
function readBytes(obj: TypedObject, size: number): Uint8Array {
  const addr = obj.address_!;
  const bitOff = obj.bitOffset_;
  const n = bitOff === 0 ? size : (bitOff + (obj.bitFieldSize_ ?? size * 8) + 7) >> 3;
  return obj.prog_.memory.read(addr, n);
}

// An object's internal state is in fields named with `@` (never a C member
// name, so never shadowing a member getter) rather than `#private` fields:
// the generated per-type classes (see newObjectClass) are base classes that
// set the same fields, because V8 constructs instances of derived classes
// several times slower.
//
// A reference object's address is `@base + @offset` (wrapping at 64 bits):
// elements and members share their parent's bigint base and add a number,
// so walking an array allocates no bigints. `@offset` is a safe integer of
// magnitude at most 2^50 (see newReferenceAt). `@value` is a value object's
// value: a primitive for scalars, bytes for compound types.

/**
 * A typed object. Construct with {@link makeObject} or the factories in
 * this module; `new` is internal.
 */
export class TypedObject {
  /**
   * C members are properties (`task.comm`, `task.mm.mmap_base` through
   * pointers) and elements are indices (`arr[3]`, `ptr[0]`). Typed loosely
   * so scripts read like drgn's Python; the object's own methods end in `_`.
   */
  // deno-lint-ignore no-explicit-any
  [member: string]: any;
  /** Elements of arrays and pointers. */
  [index: number]: TypedObject;
  /** The program this object belongs to. */
  readonly prog_: ObjectProgram;
  /** The object's type. */
  readonly type_: Type;
  /** `value`, `reference` or `absent`. */
  readonly kind_: ObjectKind;
  /** @internal */
  "@base": bigint | null;
  /** @internal */
  "@offset": number;
  /** Bit offset from `address_` (0–7; non-zero only for bit fields). */
  readonly bitOffset_: number;
  /** Size in bits of a bit-field object, else `null`. */
  readonly bitFieldSize_: number | null;
  /** @internal */
  "@value": Primitive | Uint8Array | undefined;

  /** @internal Use {@link makeObject}. */
  constructor(
    prog: ObjectProgram,
    type: Type,
    kind: ObjectKind,
    base: bigint | null,
    offset: number,
    bitOffset: number,
    bitFieldSize: number | null,
    value: Primitive | Uint8Array | undefined,
  ) {
    this.prog_ = prog;
    this.type_ = type;
    this.kind_ = kind;
    this["@base"] = base;
    this["@offset"] = offset;
    this.bitOffset_ = bitOffset;
    this.bitFieldSize_ = bitFieldSize;
    this["@value"] = value;
  }

  /** Address of a reference object, else `null`. */
  /**
   * An object of `type` from the bytes of its value (drgn's
   * `Object.from_bytes_()`), starting `bitOffset` bits into `bytes`; with
   * `bitFieldSize`, a bit field of an integer, boolean or enum type.
   */
  static fromBytes_(
    prog: ObjectProgram,
    type: string | Type,
    bytes: Uint8Array,
    options: { bitOffset?: number; bitFieldSize?: number | null } = {},
  ): TypedObject {
    const t = prog.type(type);
    const bitOffset = options.bitOffset ?? 0;
    const bfs = options.bitFieldSize ?? null;
    if (!Number.isInteger(bitOffset) || bitOffset < 0) {
      throw new RangeError(`bit offset must be a non-negative integer, not ${bitOffset}`);
    }
    if (bfs === null) {
      if (bitOffset % 8 !== 0) {
        throw new RangeError(
          "the bit offset of a value that is not a bit field must be whole bytes",
        );
      }
      return valueFromBytes(prog, t, bytes.subarray(bitOffset / 8));
    }
    const plan = readPlan(t);
    if (plan.rk !== ReadKind.Int && plan.rk !== ReadKind.Bool) {
      throw new TypeError(`bit field must be of an integer type, not '${t.typeName()}'`);
    }
    if (!Number.isInteger(bfs) || bfs < 1 || bfs > plan.size * 8) {
      throw new RangeError(`bit field size ${bfs} is not within 1 and ${plan.size * 8}`);
    }
    const nbytes = Math.ceil((bitOffset + bfs) / 8);
    if (bytes.length < nbytes) throw new OutOfBoundsError("out of bounds of value");
    const raw = readUintBig(bytes, 0, nbytes, plan.littleEndian);
    const shift = plan.littleEndian ? bitOffset : nbytes * 8 - bitOffset - bfs;
    const bits = (raw >> BigInt(shift)) & ((1n << BigInt(bfs)) - 1n);
    return newValue(prog, t, truncate(bits, bfs, plan.signed), bfs);
  }

  get address_(): bigint | null {
    const off = this["@offset"];
    if (off === 0) return this["@base"];
    const a = BigInt.asUintN(64, this["@base"]! + BigInt(off));
    this["@base"] = a;
    this["@offset"] = 0;
    return a;
  }

  /** Whether the object is absent (optimized out). */
  get absent_(): boolean {
    return this.kind_ === "absent";
  }

  /** @internal The stored value of a value object. */
  rawValue_(): Primitive | Uint8Array | undefined {
    return this["@value"];
  }

  /**
   * The object's value as a JavaScript value: `number` for integers of at
   * most 4 bytes and floats, `bigint` for wider integers and pointers,
   * `boolean` for bool, arrays for arrays, plain objects for structs.
   */
  // Typed `any` on purpose: scripts use the value directly, as in drgn.
  // deno-lint-ignore no-explicit-any
  value_(): any {
    const plan = readPlan(this.type_);
    // Integers and pointers first, in a small method V8 inlines.
    const rk = plan.rk;
    if (rk === ReadKind.Int || rk === ReadKind.Pointer) {
      return plan.big ? scalarOf(this, plan) : smallOf(this, plan);
    }
    return otherValue(this, plan);
  }

  /**
   * The object's value as a value object (reads a reference once); value
   * objects return themselves.
   */
  read_(): TypedObject {
    if (this.kind_ === "value") return this;
    if (this.kind_ === "absent") throw new ObjectAbsentError();
    const plan = readPlan(this.type_);
    switch (plan.rk) {
      case ReadKind.Int:
      case ReadKind.Pointer:
      case ReadKind.Bool:
        return newValue(this.prog_, this.type_, scalarOf(this, plan), this.bitFieldSize_);
      case ReadKind.Float:
        return newValue(this.prog_, this.type_, floatOf(this, plan), null);
      case ReadKind.Function:
        throw new TypeError("cannot read object with function type");
      case ReadKind.Void:
        throw new TypeError("cannot read object with void type");
      default:
        return newValue(this.prog_, this.type_, bytesOf(this, plan), null);
    }
  }

  /**
   * The object's raw bytes (`sizeof(type)` bytes; bit fields are shifted
   * down and zero-padded, as drgn's `to_bytes_()`).
   */
  toBytes_(): Uint8Array {
    const plan = readPlan(this.type_);
    return bytesOf(this, plan).slice();
  }

  /** Whether the object is "true" in C: nonzero scalar, non-null pointer. */
  bool_(): boolean {
    const plan = readPlan(this.type_);
    switch (plan.rk) {
      case ReadKind.Int:
      case ReadKind.Pointer:
      case ReadKind.Bool:
        return scalarOf(this, plan) !== 0n;
      case ReadKind.Float:
        return floatOf(this, plan) !== 0;
      case ReadKind.Array:
      case ReadKind.Function:
        if (this.kind_ === "reference") return this.address_ !== 0n;
        break;
    }
    throw new TypeError(`cannot convert '${this.type_.typeName()}' to bool`);
  }

  /** Whether a pointer (or integer) object is zero. */
  isNull_(): boolean {
    return !this.bool_();
  }

  /** The member `name` (a pointer to a struct is dereferenced first). */
  member_(name: string): TypedObject {
    const plan = readPlan(this.type_);
    if (plan.rk === ReadKind.Pointer) {
      const target = plan.underlying.type;
      if (hasVirtualBases(target) && !underlyingType(target).hasMember(name)) {
        return virtualBaseMember(this.deref_(), name);
      }
      const info = findMemberOrThrow(target, name);
      return derefMemberAccess(this, info);
    }
    if (plan.rk !== ReadKind.Compound) {
      throw new TypeError(`'${this.type_.typeName()}' is not a structure, union, or class`);
    }
    if (hasVirtualBases(this.type_) && !plan.underlying.hasMember(name)) {
      return virtualBaseMember(this, name);
    }
    const info = findMemberOrThrow(this.type_, name);
    return memberAccessFast(this, info);
  }

  /** Whether the object's type (or pointee) has a member `name`. */
  hasMember_(name: string): boolean {
    const plan = readPlan(this.type_);
    let t: Type = plan.underlying;
    if (plan.rk === ReadKind.Pointer) t = underlyingType(plan.underlying.type);
    if (!isCompoundKind(t.core.kind)) return false;
    return t.hasMember(name);
  }

  /** Element `i` of an array, or `*(ptr + i)` for a pointer. */
  subscript_(i: number | bigint): TypedObject {
    const plan = readPlan(this.type_);
    if (plan.rk === ReadKind.Array && this.kind_ === "reference") {
      // The hot path (`arr[i]`): number arithmetic on the shared base.
      let esz = plan.elemSize;
      if (esz === undefined) {
        const s = readPlan(plan.underlying.type).size;
        if (s < 0) throw new TypeError(`cannot subscript array of incomplete type`);
        esz = plan.elemSize = s;
      }
      if (typeof i === "number") {
        const off = this["@offset"] + i * esz;
        if (Number.isInteger(i) && off <= OFFSET_LIMIT && off >= -OFFSET_LIMIT) {
          // `new` right here, not in a shared helper: the site then sees
          // few classes and V8 inlines the construction.
          const elem = plan.underlying.type;
          const cls = (elem.core.objectClass as ObjectClass | undefined) ?? objectClassFor(elem);
          return new cls(this.prog_, elem, "reference", this["@base"], off, 0, null, undefined);
        }
      }
    }
    if (plan.rk === ReadKind.Pointer) {
      const elem = plan.underlying.type;
      const size = elementSize(elem);
      const base = scalarOf(this, plan);
      if (typeof i === "number") {
        const off = i * size;
        if (Number.isInteger(i) && off <= OFFSET_LIMIT && off >= -OFFSET_LIMIT) {
          return newReferenceAt(this.prog_, elem, base, off, 0, null);
        }
      }
      const addr = BigInt.asUintN(64, base + BigInt(i) * BigInt(size));
      return newReference(this.prog_, elem, addr, 0, null);
    }
    const idx = typeof i === "bigint" ? i : BigInt(i);
    if (plan.rk !== ReadKind.Array) {
      throw new TypeError(`'${this.type_.typeName()}' is not an array or pointer`);
    }
    const elem = plan.underlying.type;
    if (this.kind_ === "reference") {
      const esz = BigInt(plan.elemSize!);
      return newReference(
        this.prog_,
        elem,
        BigInt.asUintN(64, this.address_! + idx * esz),
        0,
        null,
      );
    }
    const eplan = readPlan(elem);
    const size = eplan.size;
    if (size < 0) throw new TypeError(`cannot subscript array of incomplete type`);
    if (this.kind_ === "value") {
      const len = plan.underlying.length ?? 0;
      if (idx < 0n || idx >= BigInt(len)) {
        throw new OutOfBoundsError(`out of bounds of value`);
      }
      const bytes = this["@value"] as Uint8Array;
      const off = Number(idx) * size;
      return valueFromBytes(this.prog_, elem, bytes.subarray(off, off + size));
    }
    if (this.kind_ === "absent") throw new ObjectAbsentError();
    return newReference(
      this.prog_,
      elem,
      BigInt.asUintN(64, this.address_! + idx * BigInt(size)),
      0,
      null,
    );
  }

  /** `*ptr` for a pointer (drgn spells it `ptr[0]`). */
  deref_(): TypedObject {
    return this.subscript_(0);
  }

  /** `&obj`: a pointer value to a reference object. */
  addressOf_(): TypedObject {
    if (this.kind_ !== "reference") {
      throw new TypeError("cannot take address of value");
    }
    if (this.bitOffset_ !== 0 || this.bitFieldSize_ !== null) {
      throw new TypeError("cannot take address of bit field");
    }
    const ptr = this.prog_.pointerType(this.type_);
    return newValue(this.prog_, ptr, this.address_!, null);
  }

  /** The NUL-terminated string of a char array or pointed to by a pointer (UTF-8 decoded). */
  string_(): string {
    return decodeString(this.stringBytes_());
  }

  /** The bytes of {@link string_} without decoding. */
  stringBytes_(limit = 1 << 20): Uint8Array {
    const plan = readPlan(this.type_);
    if (plan.rk === ReadKind.Pointer) {
      return readCString(this.prog_.memory, scalarOf(this, plan), limit);
    }
    if (plan.rk === ReadKind.Array) {
      const len = plan.underlying.length;
      if (this.kind_ === "reference" && len === null) {
        return readCString(this.prog_.memory, this.address_!, limit);
      }
      const bytes = bytesOf(this, plan);
      const end = bytes.indexOf(0);
      return bytes.slice(0, end < 0 ? bytes.length : end);
    }
    throw new TypeError("string_() requires an array or pointer type");
  }

  /** Formats the object in C syntax, as drgn's `format_()`. */
  format_(options?: FormatOptions): string {
    if (!objectFormatter) throw new Error("object formatter not loaded");
    return objectFormatter(this, options);
  }

  /** The object in C syntax, as drgn's `str()`. */
  toString(): string {
    return this.format_();
  }

  /** `+obj`, `obj == 3`: the scalar value; `${obj}`: the C syntax. */
  [Symbol.toPrimitive](hint: string): unknown {
    if (hint === "string") return this.toString();
    return this.value_();
  }

  [Symbol.for("Deno.customInspect")](): string {
    try {
      return this.toString();
    } catch (e) {
      return `<${this.type_.typeName()} object: ${e instanceof Error ? e.message : e}>`;
    }
  }

  /** Iterates the elements of an array object. */
  *[Symbol.iterator](): IterableIterator<TypedObject> {
    const plan = readPlan(this.type_);
    if (plan.rk !== ReadKind.Array) {
      throw new TypeError(`'${this.type_.typeName()}' is not iterable`);
    }
    const len = plan.underlying.length ?? 0;
    for (let i = 0; i < len; i++) yield this.subscript_(i);
  }
}

/** {@link TypedObject.value_} for the kinds other than integers and pointers. */
// deno-lint-ignore no-explicit-any
function otherValue(obj: TypedObject, plan: ReadPlan): any {
  switch (plan.rk) {
    case ReadKind.Bool:
      return (scalarOf(obj, plan) as bigint) !== 0n;
    case ReadKind.Float:
      return floatOf(obj, plan);
    case ReadKind.Complex: {
      const bytes = bytesOf(obj, plan);
      const half = plan.size / 2;
      return {
        real: decodeFloat(bytes, 0, half, plan.littleEndian),
        imag: decodeFloat(bytes, half, half, plan.littleEndian),
      };
    }
    case ReadKind.Compound: {
      const o: Record<string, unknown> = {};
      const v = obj.read_();
      // C++ base classes' members first (a derived member of the same name
      // hides the base's), then the type's own.
      for (const b of plan.underlying.core.bases) {
        // A virtual base is found from the object's address.
        if (b.bitOffset === null && obj.address_ === null) continue;
        Object.assign(o, baseSubobject(b.bitOffset === null ? obj : v, b).value_());
      }
      for (const m of plan.underlying.members ?? []) {
        if (m.name === null) {
          // Anonymous member: drgn merges its members into the parent.
          const inner = memberAccess(v, {
            name: "",
            type: m.type,
            bitOffset: m.bitOffset,
            bitFieldSize: m.bitFieldSize,
          }).value_();
          Object.assign(o, inner);
        } else {
          o[m.name] = v.member_(m.name).value_();
        }
      }
      return o;
    }
    case ReadKind.Array: {
      const len = plan.underlying.length;
      if (len === null) return [];
      const v = obj.read_();
      const out = new Array(len);
      for (let i = 0; i < len; i++) out[i] = v.subscript_(i).value_();
      return out;
    }
    case ReadKind.Function:
      throw new TypeError("cannot read object with function type");
    case ReadKind.Void:
      throw new TypeError("cannot read object with void type");
  }
}

/** Reads an integer, bool, enum or pointer as a bigint (two's complement per signedness). */
function scalarOf(obj: TypedObject, plan: ReadPlan): bigint {
  // The common case in a small function V8 inlines: 8 bytes in memory.
  if (
    plan.size === 8 && obj.kind_ === "reference" && obj.bitFieldSize_ === null &&
    obj.bitOffset_ === 0
  ) {
    obj.prog_.memory.readIntoOffset(obj["@base"]!, obj["@offset"], scratch, 0, 8);
    return plan.signed
      ? scratchView.getBigInt64(0, plan.littleEndian)
      : scratchView.getBigUint64(0, plan.littleEndian);
  }
  return scalarSlow(obj, plan);
}

function scalarSlow(obj: TypedObject, plan: ReadPlan): bigint {
  const kind = obj.kind_;
  if (kind === "value") {
    const v = obj["@value"];
    if (typeof v === "bigint") return v;
    if (typeof v === "boolean") return v ? 1n : 0n;
    if (typeof v === "number") return BigInt(v);
    throw new TypeError("object has no scalar value");
  }
  if (kind === "absent") throw new ObjectAbsentError();
  if (plan.size < 0) throw new TypeError(`cannot read object with incomplete type`);
  const bfs = obj.bitFieldSize_;
  if (bfs === null && obj.bitOffset_ === 0) {
    const size = plan.size;
    const mem = obj.prog_.memory;
    if (size <= 8) {
      mem.readIntoOffset(obj["@base"]!, obj["@offset"], scratch, 0, size);
      switch (size) {
        case 8:
          return plan.signed
            ? scratchView.getBigInt64(0, plan.littleEndian)
            : scratchView.getBigUint64(0, plan.littleEndian);
        case 4:
          return BigInt(
            plan.signed
              ? scratchView.getInt32(0, plan.littleEndian)
              : scratchView.getUint32(0, plan.littleEndian),
          );
        case 2:
          return BigInt(
            plan.signed
              ? scratchView.getInt16(0, plan.littleEndian)
              : scratchView.getUint16(0, plan.littleEndian),
          );
        case 1:
          return BigInt(plan.signed ? scratchView.getInt8(0) : scratch[0]!);
        default:
          return truncate(
            readUintBig(scratch, 0, size, plan.littleEndian),
            size * 8,
            plan.signed,
          );
      }
    }
    const bytes = mem.read(obj.address_!, size);
    return truncate(readUintBig(bytes, 0, size, plan.littleEndian), size * 8, plan.signed);
  }
  const bits = bfs ?? plan.size * 8;
  const bytes = readBytes(obj, plan.size);
  const raw = readBits(bytes, 0, obj.bitOffset_, bits, plan.littleEndian);
  return truncate(raw, bits, plan.signed);
}

/** {@link scalarOf} as a number, for integers of at most 4 bytes. */
function smallOf(obj: TypedObject, plan: ReadPlan): number {
  if (
    obj.kind_ === "reference" && obj.bitFieldSize_ === null && obj.bitOffset_ === 0 &&
    plan.size > 0
  ) {
    const size = plan.size;
    obj.prog_.memory.readIntoOffset(obj["@base"]!, obj["@offset"], scratch, 0, size);
    const le = plan.littleEndian;
    switch (size) {
      case 4:
        return plan.signed ? scratchView.getInt32(0, le) : scratchView.getUint32(0, le);
      case 2:
        return plan.signed ? scratchView.getInt16(0, le) : scratchView.getUint16(0, le);
      case 1:
        return plan.signed ? scratchView.getInt8(0) : scratch[0]!;
    }
  }
  return Number(scalarOf(obj, plan));
}

/** A float object's value. */
function floatOf(obj: TypedObject, plan: ReadPlan): number {
  if (obj.kind_ === "value") {
    const v = obj["@value"];
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    throw new TypeError("object has no float value");
  }
  const bytes = bytesOf(obj, plan);
  return decodeFloat(bytes, 0, plan.size, plan.littleEndian);
}

/** The object's bytes (value or reference). */
function bytesOf(obj: TypedObject, plan: ReadPlan): Uint8Array {
  if (obj.kind_ === "absent") throw new ObjectAbsentError();
  if (plan.size < 0) {
    throw new TypeError(`cannot read object with incomplete type`);
  }
  if (obj.kind_ === "value") {
    const v = obj["@value"];
    if (v instanceof Uint8Array) return v;
    return encodeScalar(obj, plan);
  }
  if (obj.bitOffset_ === 0 && obj.bitFieldSize_ === null) {
    return obj.prog_.memory.read(obj.address_!, plan.size);
  }
  const bits = obj.bitFieldSize_ ?? plan.size * 8;
  const raw = readBits(readBytes(obj, plan.size), 0, obj.bitOffset_, bits, plan.littleEndian);
  const out = new Uint8Array(plan.size);
  writeUintBig(out, 0, plan.size, raw, plan.littleEndian);
  return out;
}

/** Decodes string bytes as UTF-8 (invalid bytes become U+FFFD). */
function decodeString(b: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii && b.length < 256) return String.fromCharCode(...b);
  return decodeUtf8(b);
}

/** Reads a NUL-terminated string at `address` (at most `limit` bytes). */
export function readCString(mem: MemoryReader, address: bigint, limit = 1 << 20): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let a = address;
  while (total < limit) {
    // Read up to the end of the current 256-byte block so a string ending
    // just before unmapped memory still reads.
    const n = Math.min(256 - Number(a & 0xffn), limit - total);
    let buf: Uint8Array;
    try {
      buf = mem.read(a, n);
    } catch (e) {
      if (e instanceof FaultError && total > 0 && n > 1) {
        // Retry byte by byte near the boundary.
        buf = mem.read(a, 1);
      } else {
        throw e;
      }
    }
    const z = buf.indexOf(0);
    if (z >= 0) {
      chunks.push(buf.subarray(0, z));
      total += z;
      break;
    }
    chunks.push(buf);
    total += buf.length;
    a = BigInt.asUintN(64, a + BigInt(buf.length));
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function elementSize(t: Type): number {
  const p = readPlan(t);
  if (p.size < 0) {
    if (p.rk === ReadKind.Void || p.rk === ReadKind.Function) return 1; // GNU C extension
    throw new TypeError(`cannot get size of incomplete type '${t.typeName()}'`);
  }
  return p.size;
}

function encodeScalar(obj: TypedObject, plan: ReadPlan): Uint8Array {
  const out = new Uint8Array(plan.size);
  const v = obj.rawValue_();
  if (plan.rk === ReadKind.Float) {
    const dv = new DataView(out.buffer);
    const num = typeof v === "number" ? v : Number(v);
    if (plan.size === 4) dv.setFloat32(0, num, plan.littleEndian);
    else if (plan.size === 8) dv.setFloat64(0, num, plan.littleEndian);
    else throw new TypeError(`cannot encode ${plan.size}-byte float`);
    return out;
  }
  const big = typeof v === "bigint"
    ? v
    : typeof v === "boolean"
    ? (v ? 1n : 0n)
    : typeof v === "number"
    ? BigInt(Math.trunc(v))
    : 0n;
  writeUintBig(out, 0, plan.size, big, plan.littleEndian);
  return out;
}

// ---------------------------------------------------------------------------
// Member access and generated classes

/** A resolved member access: the member and the precomputed pieces of its address. */
interface MemberAccess extends MemberInfo {
  readonly byteOffsetNum: number;
  readonly bitRem: number;
}

function toAccess(info: MemberInfo): MemberAccess {
  return {
    ...info,
    byteOffsetNum: Math.floor(info.bitOffset / 8),
    bitRem: info.bitOffset & 7,
  };
}

function findMemberOrThrow(type: Type, name: string): MemberAccess {
  const u = underlyingType(type);
  if (!isCompoundKind(u.core.kind)) {
    throw new TypeError(`'${type.typeName()}' is not a structure, union, or class`);
  }
  const info = u.hasMember(name) ? u.member(name) : null;
  if (info === null) {
    throw new LookupMemberError(`'${type.typeName()}' has no member '${name}'`);
  }
  return toAccess(info);
}

/** Whether a struct/class type (or pointee) has a virtual base anywhere among its bases. */
function hasVirtualBases(type: Type, depth = 0): boolean {
  const u = underlyingType(type);
  if (!isCompoundKind(u.core.kind) || depth > 32) return false;
  for (const b of u.core.bases) if (b.isVirtual || hasVirtualBases(b.type, depth + 1)) return true;
  return false;
}

/**
 * The base subobject `b` of `obj` (a struct/class object): at its fixed
 * offset, or, for a virtual base, where the object's vtable says (which
 * needs the object's address).
 */
function baseSubobject(obj: TypedObject, b: TypeBase): TypedObject {
  if (b.bitOffset !== null) {
    return memberAccess(obj, {
      name: "",
      type: b.type,
      bitOffset: b.bitOffset,
      bitFieldSize: null,
    });
  }
  const address = obj.address_;
  const what = `virtual base class '${b.type.typeName()}' of '${obj.type_.typeName()}'`;
  if (b.locate === null) throw new TypeError(`the location of ${what} is unknown`);
  if (address === null) throw new TypeError(`${what}: only an object in memory has one`);
  const prog = obj.prog_;
  return newReference(prog, b.type, b.locate(address, (a, n) => prog.memory.read(a, n)));
}

/**
 * Member `name` of `obj` found in a virtual base (directly or through
 * other bases): the base found per object (see {@link baseSubobject}).
 */
function virtualBaseMember(obj: TypedObject, name: string): TypedObject {
  const search = (o: TypedObject, depth: number): TypedObject | null => {
    if (depth > 32) return null;
    for (const b of underlyingType(o.type_).core.bases) {
      if (!b.isVirtual && !hasVirtualBases(b.type)) continue;
      const base = baseSubobject(o, b);
      if (underlyingType(b.type).hasMember(name)) return base.member_(name);
      const r = search(base, depth + 1);
      if (r !== null) return r;
    }
    return null;
  };
  const found = search(obj, 0);
  if (found === null) {
    throw new LookupMemberError(`'${obj.type_.typeName()}' has no member '${name}'`);
  }
  return found;
}

/** Raised for a missing member (drgn raises `AttributeError`/`LookupError`). */
export class LookupMemberError extends TypeError {
  override readonly name = "LookupError";
}

function memberAccess(obj: TypedObject, info: MemberInfo | MemberAccess): TypedObject {
  return memberAccessFast(obj, "byteOffsetNum" in info ? info : toAccess(info));
}

function memberAccessFast(obj: TypedObject, acc: MemberAccess): TypedObject {
  const kind = obj.kind_;
  if (kind === "reference") {
    const bit = obj.bitOffset_ + acc.bitRem;
    const off = obj["@offset"] + acc.byteOffsetNum + (bit >> 3);
    if (off > OFFSET_LIMIT || off < -OFFSET_LIMIT) {
      return newReferenceAt(obj.prog_, acc.type, obj["@base"]!, off, bit & 7, acc.bitFieldSize);
    }
    const type = acc.type;
    const cls = (type.core.objectClass as ObjectClass | undefined) ?? objectClassFor(type);
    return new cls(
      obj.prog_,
      type,
      "reference",
      obj["@base"],
      off,
      bit & 7,
      acc.bitFieldSize,
      undefined,
    );
  }
  return memberOfValue(obj, acc);
}

/** {@link memberAccessFast} for absent and value objects. */
function memberOfValue(obj: TypedObject, acc: MemberAccess): TypedObject {
  if (obj.kind_ === "absent") {
    return newAbsent(obj.prog_, acc.type, acc.bitFieldSize);
  }
  const bytes = obj.rawValue_() as Uint8Array;
  const mplan = readPlan(acc.type);
  if (acc.bitFieldSize !== null || acc.bitRem !== 0) {
    const bits = acc.bitFieldSize ?? mplan.size * 8;
    const raw = readBits(bytes, 0, acc.bitOffset, bits, mplan.littleEndian);
    return newValue(obj.prog_, acc.type, truncate(raw, bits, mplan.signed), acc.bitFieldSize);
  }
  const off = acc.bitOffset >> 3;
  const size = mplan.size < 0 ? Math.max(0, bytes.length - off) : mplan.size;
  return valueFromBytes(obj.prog_, acc.type, bytes.subarray(off, off + size));
}

function derefMemberAccess(ptr: TypedObject, acc: MemberAccess): TypedObject {
  const plan = readPlan(ptr.type_);
  const base = ptrValue(ptr, plan);
  return newReferenceAt(ptr.prog_, acc.type, base, acc.byteOffsetNum, acc.bitRem, acc.bitFieldSize);
}

function ptrValue(ptr: TypedObject, plan: ReadPlan): bigint {
  if (ptr.kind_ === "value") return ptr.rawValue_() as bigint;
  if (ptr.kind_ === "absent") throw new ObjectAbsentError();
  const mem = ptr.prog_.memory;
  mem.readIntoOffset(ptr["@base"]!, ptr["@offset"], scratch, 0, plan.size);
  if (plan.size === 8) return scratchView.getBigUint64(0, plan.littleEndian);
  return readUintBig(scratch, 0, plan.size, plan.littleEndian);
}

/** Builds a value object of `type` from its bytes (decoding scalars). */
export function valueFromBytes(prog: ObjectProgram, type: Type, bytes: Uint8Array): TypedObject {
  const plan = readPlan(type);
  switch (plan.rk) {
    case ReadKind.Int:
    case ReadKind.Pointer:
    case ReadKind.Bool: {
      if (bytes.length < plan.size) throw new OutOfBoundsError("out of bounds of value");
      const raw = readUintBig(bytes, 0, plan.size, plan.littleEndian);
      return newValue(prog, type, truncate(raw, plan.size * 8, plan.signed), null);
    }
    case ReadKind.Float:
      return newValue(prog, type, decodeFloat(bytes, 0, plan.size, plan.littleEndian), null);
    default:
      return newValue(prog, type, bytes, null);
  }
}

/** Names that member getters must not shadow. */
const RESERVED = new Set<string>([
  "constructor",
  "__proto__",
  "then",
  "toJSON",
  "prog_",
  "type_",
  "kind_",
  "address_",
  "bitOffset_",
  "bitFieldSize_",
  ...Object.getOwnPropertyNames(Object.prototype),
]);

type ObjectClass = new (
  prog: ObjectProgram,
  type: Type,
  kind: ObjectKind,
  base: bigint | null,
  offset: number,
  bitOffset: number,
  bitFieldSize: number | null,
  value: Primitive | Uint8Array | undefined,
) => TypedObject;

/**
 * Collects every member name reachable as a property (anonymous members
 * flattened, then C++ base classes' members, as {@link Type.member} finds
 * them, and virtual bases', found per object by {@link virtualBaseMember}).
 */
function memberNames(core: TypeCore, out: Set<string>, depth = 0): void {
  const members = core.members;
  if (members === null || depth > 32) return;
  for (const m of members) {
    if (m.name) out.add(m.name);
    else {
      const u = underlyingType(m.type);
      if (isCompoundKind(u.core.kind)) memberNames(u.core, out, depth + 1);
    }
  }
  for (const b of core.bases) memberNames(underlyingType(b.type).core, out, depth + 1);
}

/**
 * A prototype for the objects of a structure, union or class type (or,
 * with `deref`, of pointers to one): inherits from `TypedObject.prototype`
 * and has a getter per member name. Made with its getters in one
 * `Object.create` (a property defined one at a time on an object already
 * used as a prototype costs V8 about 5 µs: 1.5 ms for `task_struct`).
 */
function memberPrototype(compound: Type, deref: boolean): object {
  const names = new Set<string>();
  memberNames(compound.core, names);
  const getters: PropertyDescriptorMap = {};
  for (const name of names) {
    if (RESERVED.has(name) || name in TypedObject.prototype) continue;
    let acc: MemberAccess | undefined;
    // A name found by no fixed offset is in a virtual base (see memberNames).
    const get = deref
      ? function (this: TypedObject): TypedObject {
        if (acc === undefined) {
          const info = findMember(compound, name);
          if (info === null) return virtualBaseMember(this.deref_(), name);
          acc = toAccess(info);
        }
        return derefMemberAccess(this, acc);
      }
      : function (this: TypedObject): TypedObject {
        if (acc === undefined) {
          const info = findMember(compound, name);
          if (info === null) return virtualBaseMember(this, name);
          acc = toAccess(info);
        }
        return memberAccessFast(this, acc);
      };
    getters[name] = { get, configurable: true, enumerable: false };
  }
  return Object.create(TypedObject.prototype, getters);
}

/**
 * A new class for the objects of one type: a base class with
 * {@link TypedObject}'s fields and constructor whose prototype inherits
 * from `proto` (default `TypedObject.prototype`, else a
 * {@link memberPrototype}) (V8 constructs a derived class's instances
 * several times slower, and cannot optimize them away).
 */
function newObjectClass(proto: object = TypedObject.prototype): ObjectClass {
  const cls = class {
    readonly prog_: ObjectProgram;
    readonly type_: Type;
    readonly kind_: ObjectKind;
    "@base": bigint | null;
    "@offset": number;
    readonly bitOffset_: number;
    readonly bitFieldSize_: number | null;
    "@value": Primitive | Uint8Array | undefined;
    constructor(
      prog: ObjectProgram,
      type: Type,
      kind: ObjectKind,
      base: bigint | null,
      offset: number,
      bitOffset: number,
      bitFieldSize: number | null,
      value: Primitive | Uint8Array | undefined,
    ) {
      this.prog_ = prog;
      this.type_ = type;
      this.kind_ = kind;
      this["@base"] = base;
      this["@offset"] = offset;
      this.bitOffset_ = bitOffset;
      this.bitFieldSize_ = bitFieldSize;
      this["@value"] = value;
    }
  };
  Object.setPrototypeOf(cls.prototype, proto);
  keepMapsAlive(cls as unknown as ObjectClass);
  return cls as unknown as ObjectClass;
}

// One placeholder instance per object class, alive as long as the class:
// V8 reaches the maps of a class's instances from the class only weakly,
// so once no instance is alive (objects made and dropped in a loop), a full
// GC frees them and deoptimizes all code that makes such objects (a 15 ms
// stall in the middle of a million-element walk).
const placeholders = new WeakMap<ObjectClass, TypedObject>();
function keepMapsAlive(cls: ObjectClass): void {
  placeholders.set(
    cls,
    new cls(
      null as unknown as ObjectProgram,
      null as unknown as Type,
      "absent",
      null,
      0,
      0,
      null,
      undefined,
    ),
  );
}

/** The generated class for objects of `type` (cached per underlying type). */
function objectClassFor(type: Type): ObjectClass {
  const core = type.core;
  const cached = core.objectClass as ObjectClass | undefined;
  if (cached !== undefined) return cached;
  const u = underlyingType(type);
  let cls: ObjectClass;
  if (u !== type && u.core !== core) {
    cls = objectClassFor(u);
  } else {
    const k = u.core.kind;
    if (isCompoundKind(k) && u.core.members !== null) {
      cls = newObjectClass(memberPrototype(u, false));
    } else if (k === "pointer") {
      const target = underlyingType(u.type);
      if (isCompoundKind(target.core.kind)) {
        // Pointers to the same struct share a class: cache on the struct.
        const tcore = target.core;
        const slot = tcore.slots.get("ptrObjectClass") as ObjectClass | undefined;
        if (slot !== undefined) cls = slot;
        else {
          cls = newObjectClass(
            tcore.members !== null ? memberPrototype(target, true) : TypedObject.prototype,
          );
          tcore.slots.set("ptrObjectClass", cls);
        }
      } else {
        cls = TypedObject;
      }
    } else {
      cls = TypedObject;
    }
  }
  core.objectClass = cls;
  return cls;
}

/** A reference object (in target memory). */
export function newReference(
  prog: ObjectProgram,
  type: Type,
  address: bigint,
  bitOffset = 0,
  bitFieldSize: number | null = null,
): TypedObject {
  const cls = (type.core.objectClass as ObjectClass | undefined) ?? objectClassFor(type);
  return new cls(prog, type, "reference", address, 0, bitOffset, bitFieldSize, undefined);
}

/** Bound on a reference object's numeric offset from its bigint base. */
const OFFSET_LIMIT = 2 ** 50;

/**
 * A reference object at `base + offset` (wrapping at 64 bits; `offset` a
 * safe integer). Offsets beyond ±2^50 are folded into a new base.
 */
function newReferenceAt(
  prog: ObjectProgram,
  type: Type,
  base: bigint,
  offset: number,
  bitOffset: number,
  bitFieldSize: number | null,
): TypedObject {
  if (offset > OFFSET_LIMIT || offset < -OFFSET_LIMIT) {
    base = BigInt.asUintN(64, base + BigInt(offset));
    offset = 0;
  }
  const cls = (type.core.objectClass as ObjectClass | undefined) ?? objectClassFor(type);
  return new cls(prog, type, "reference", base, offset, bitOffset, bitFieldSize, undefined);
}

/** A value object. Integers are normalized to the type's width and signedness. */
export function newValue(
  prog: ObjectProgram,
  type: Type,
  value: Primitive | Uint8Array,
  bitFieldSize: number | null = null,
): TypedObject {
  const cls = (type.core.objectClass as ObjectClass | undefined) ?? objectClassFor(type);
  return new cls(prog, type, "value", null, 0, 0, bitFieldSize, value);
}

/** An absent object (optimized out). */
export function newAbsent(
  prog: ObjectProgram,
  type: Type,
  bitFieldSize: number | null = null,
): TypedObject {
  const cls = (type.core.objectClass as ObjectClass | undefined) ?? objectClassFor(type);
  return new cls(prog, type, "absent", null, 0, 0, bitFieldSize, undefined);
}

// The catch-all at the end of every object's prototype chain: numeric
// properties become subscripts (`arr[3]`, `ptr[-1]`); everything else is an
// ordinary missing property.
const indexCatcher = new Proxy(Object.create(Object.prototype) as object, {
  get(target, prop, receiver) {
    if (typeof prop === "string" && prop.length > 0) {
      const c = prop.charCodeAt(0);
      if ((c >= 48 && c <= 57) || (c === 45 && prop.length > 1)) {
        const n = Number(prop);
        if (Number.isInteger(n)) return (receiver as TypedObject).subscript_(n);
      }
    }
    return Reflect.get(target, prop, receiver);
  },
});
Object.setPrototypeOf(TypedObject.prototype, indexCatcher);
keepMapsAlive(TypedObject);

// ---------------------------------------------------------------------------
// Object construction (drgn's `Object(prog, type, value=…, address=…)`)

/** How to build an object with {@link makeObject}. */
export interface ObjectInit {
  /** A value (number/bigint/boolean, bytes for compound types, or another object to convert). */
  value?: Primitive | Uint8Array | TypedObject | Record<string, unknown> | unknown[];
  /** An address: makes a reference object. */
  address?: bigint | number;
  /** Bit offset from `address` for reference objects. */
  bitOffset?: number;
  /** Bit-field size in bits. */
  bitFieldSize?: number | null;
  /** Makes an absent object. */
  absent?: boolean;
}

/**
 * Creates an object, as drgn's `Object(prog, type, value=…, address=…)`:
 * a reference if `address` is given, absent if `absent`, else a value.
 */
export function makeObject(
  prog: ObjectProgram,
  type: string | Type,
  init: ObjectInit = {},
): TypedObject {
  const t = prog.type(type);
  const bfs = init.bitFieldSize ?? null;
  if (init.address !== undefined) {
    const a = BigInt.asUintN(64, BigInt(init.address));
    const bo = init.bitOffset ?? 0;
    return newReference(prog, t, a + BigInt(bo >> 3), bo & 7, bfs);
  }
  if (init.absent || init.value === undefined) return newAbsent(prog, t, bfs);
  return objectFromValue(prog, t, init.value, bfs);
}

/** Converts a JavaScript value to a value object of `type` (C conversion rules). */
export function objectFromValue(
  prog: ObjectProgram,
  type: Type,
  value: unknown,
  bitFieldSize: number | null = null,
): TypedObject {
  const plan = readPlan(type);
  if (value instanceof TypedObject) return castObject(type, value);
  switch (plan.rk) {
    case ReadKind.Int:
    case ReadKind.Pointer: {
      const bits = bitFieldSize ?? plan.size * 8;
      let v: bigint;
      if (typeof value === "bigint") v = value;
      else if (typeof value === "number") {
        if (!Number.isFinite(value)) throw new TypeError(`cannot convert ${value} to integer`);
        v = BigInt(Math.trunc(value));
      } else if (typeof value === "boolean") v = value ? 1n : 0n;
      else throw new TypeError(`cannot convert ${typeof value} to '${type.typeName()}'`);
      return newValue(
        prog,
        type,
        truncate(v, bits, plan.signed && plan.rk === ReadKind.Int),
        bitFieldSize,
      );
    }
    case ReadKind.Bool: {
      const b = typeof value === "bigint" ? value !== 0n : Boolean(value);
      return newValue(prog, type, b ? 1n : 0n, bitFieldSize);
    }
    case ReadKind.Float: {
      const n = typeof value === "bigint" ? Number(value) : Number(value);
      return newValue(prog, type, plan.size === 4 ? Math.fround(n) : n, null);
    }
    case ReadKind.Compound:
    case ReadKind.Array:
    case ReadKind.Complex: {
      if (value instanceof Uint8Array) {
        if (plan.size >= 0 && value.length !== plan.size) {
          throw new TypeError(
            `value has ${value.length} bytes; '${type.typeName()}' has ${plan.size}`,
          );
        }
        return newValue(prog, type, value.slice(), null);
      }
      if (plan.size < 0) throw new TypeError(`cannot create value with incomplete type`);
      const bytes = new Uint8Array(plan.size);
      fillCompound(prog, type, bytes, 0, value);
      return newValue(prog, type, bytes, null);
    }
    default:
      throw new TypeError(`cannot create value of '${type.typeName()}'`);
  }
}

function fillCompound(
  prog: ObjectProgram,
  type: Type,
  bytes: Uint8Array,
  bitOffset: number,
  value: unknown,
  bitFieldSize: number | null = null,
): void {
  const plan = readPlan(type);
  const u = plan.underlying;
  switch (plan.rk) {
    case ReadKind.Compound: {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new TypeError(`value for '${type.typeName()}' must be an object of members`);
      }
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        const m = u.member(name);
        fillCompound(prog, m.type, bytes, bitOffset + m.bitOffset, v, m.bitFieldSize);
      }
      return;
    }
    case ReadKind.Array: {
      if (!Array.isArray(value)) {
        throw new TypeError(`value for '${type.typeName()}' must be an array`);
      }
      const elem = u.type;
      const es = readPlan(elem).size;
      const len = u.length ?? 0;
      if (value.length > len) throw new OutOfBoundsError(`too many items in array value`);
      value.forEach((v, i) => fillCompound(prog, elem, bytes, bitOffset + i * es * 8, v));
      return;
    }
    default: {
      const obj = value instanceof TypedObject
        ? castObject(type, value)
        : objectFromValue(prog, type, value);
      const bits = bitFieldSize ?? plan.size * 8;
      if (plan.rk === ReadKind.Float) {
        const enc = encodeScalar(obj, plan);
        bytes.set(enc, bitOffset >> 3);
        return;
      }
      const raw = obj.rawValue_();
      const big = typeof raw === "bigint"
        ? raw
        : typeof raw === "boolean"
        ? (raw ? 1n : 0n)
        : BigInt(raw as number);
      writeBits(bytes, 0, bitOffset, bits, big, plan.littleEndian);
    }
  }
}

/**
 * C cast of `obj` to `type`: scalars convert by value (truncating or
 * extending integers, converting floats), same-typed compounds pass through.
 */
export function castObject(type: Type, obj: TypedObject): TypedObject {
  const prog = obj.prog_;
  const to = readPlan(type);
  const from = readPlan(obj.type_);
  const scalar = (rk: ReadKind) =>
    rk === ReadKind.Int || rk === ReadKind.Pointer || rk === ReadKind.Bool || rk === ReadKind.Float;
  if (scalar(to.rk)) {
    let src: TypedObject = obj;
    if (from.rk === ReadKind.Array || from.rk === ReadKind.Function) {
      // Arrays and functions decay to pointers.
      if (obj.kind_ !== "reference") throw new TypeError("cannot convert value to pointer");
      src = newValue(prog, prog.pointerType(obj.type_), obj.address_!, null);
    } else if (!scalar(from.rk)) {
      throw new TypeError(`cannot convert '${obj.type_.typeName()}' to '${type.typeName()}'`);
    }
    if (src.absent_) throw new ObjectAbsentError();
    if (to.rk === ReadKind.Float) {
      const v = src.value_();
      return newValue(
        prog,
        type,
        typeof v === "boolean" ? (v ? 1 : 0) : to.size === 4 ? Math.fround(Number(v)) : Number(v),
        null,
      );
    }
    const sp = readPlan(src.type_);
    let big: bigint;
    if (sp.rk === ReadKind.Float) {
      const f = src.value_() as number;
      if (!Number.isFinite(f)) throw new TypeError(`cannot convert ${f} to integer`);
      big = BigInt(Math.trunc(f));
    } else {
      const v = src.value_();
      big = typeof v === "bigint"
        ? v
        : typeof v === "boolean"
        ? (v ? 1n : 0n)
        : BigInt(v as number);
    }
    if (to.rk === ReadKind.Bool) return newValue(prog, type, big !== 0n ? 1n : 0n, null);
    return newValue(
      prog,
      type,
      truncate(big, to.size * 8, to.signed && to.rk === ReadKind.Int),
      null,
    );
  }
  if (to.rk === ReadKind.Compound || to.rk === ReadKind.Array) {
    if (from.underlying.core !== to.underlying.core) {
      throw new TypeError(`cannot convert '${obj.type_.typeName()}' to '${type.typeName()}'`);
    }
    if (obj.kind_ === "reference") {
      return newReference(prog, type, obj.address_!, obj.bitOffset_, obj.bitFieldSize_);
    }
    if (obj.kind_ === "absent") return newAbsent(prog, type);
    return newValue(prog, type, obj.rawValue_() as Uint8Array, null);
  }
  if (to.rk === ReadKind.Void) return newAbsent(prog, type);
  throw new TypeError(`cannot convert to '${type.typeName()}'`);
}

/** Reinterprets the bytes of `obj` as `type` (drgn's `reinterpret()`). */
export function reinterpretObject(type: Type, obj: TypedObject): TypedObject {
  const prog = obj.prog_;
  if (obj.kind_ === "reference") {
    return newReference(prog, type, obj.address_!, obj.bitOffset_, null);
  }
  if (obj.kind_ === "absent") return newAbsent(prog, type);
  const bytes = obj.toBytes_();
  const plan = readPlan(type);
  if (plan.size > bytes.length) throw new OutOfBoundsError("out of bounds of value");
  return valueFromBytes(prog, type, plan.size >= 0 ? bytes.subarray(0, plan.size) : bytes);
}
