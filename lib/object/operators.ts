/**
 * C operator semantics for typed objects: integer promotions, the usual
 * arithmetic conversions, pointer arithmetic and comparisons, as drgn
 * implements Python's operators on `drgn.Object`. JavaScript has no operator
 * overloading, so they are methods with drgn's trailing underscore
 * (`a.add_(1)`, `p.sub_(q)`, `x.lt_(y)`), plus the free functions `cast`,
 * `reinterpret`, `containerOf`, `NULL`, `sizeof`, `offsetof`.
 *
 * @module
 */

import { ObjectAbsentError } from "../errors.ts";
import { sizeOf, type Type, underlyingType } from "../types/type.ts";
import {
  castObject,
  newReference,
  newValue,
  type ObjectProgram,
  ReadKind,
  readPlan,
  reinterpretObject,
  TypedObject,
} from "./typed_object.ts";
import { truncate } from "./scalar.ts";

/** An operand: an object or a JavaScript number/bigint/boolean literal. */
export type Operand = TypedObject | number | bigint | boolean;

declare module "./typed_object.ts" {
  interface TypedObject {
    /** `this + other` (pointer arithmetic scales by the pointee size). */
    add_(other: Operand): TypedObject;
    /** `this - other` (pointer − pointer gives a `ptrdiff_t` element count). */
    sub_(other: Operand): TypedObject;
    /** `this * other`. */
    mul_(other: Operand): TypedObject;
    /** `this / other` (C division: truncates toward zero for integers). */
    div_(other: Operand): TypedObject;
    /** `this % other`. */
    mod_(other: Operand): TypedObject;
    /** `this << other`. */
    lshift_(other: Operand): TypedObject;
    /** `this >> other`. */
    rshift_(other: Operand): TypedObject;
    /** `this & other`. */
    and_(other: Operand): TypedObject;
    /** `this | other`. */
    or_(other: Operand): TypedObject;
    /** `this ^ other`. */
    xor_(other: Operand): TypedObject;
    /** `-this`. */
    neg_(): TypedObject;
    /** `+this` (integer promotion). */
    pos_(): TypedObject;
    /** `~this`. */
    not_(): TypedObject;
    /** `this == other`. */
    eq_(other: Operand): boolean;
    /** `this != other`. */
    ne_(other: Operand): boolean;
    /** `this < other`. */
    lt_(other: Operand): boolean;
    /** `this <= other`. */
    le_(other: Operand): boolean;
    /** `this > other`. */
    gt_(other: Operand): boolean;
    /** `this >= other`. */
    ge_(other: Operand): boolean;
  }
}

const INT_LIMIT = 2n ** 31n;
const LONG_LIMIT = 2n ** 63n;

/** Converts a literal operand to an object (`int`, `long`, `unsigned long`, `double`, `_Bool`). */
function toObject(prog: ObjectProgram, x: Operand): TypedObject {
  if (x instanceof TypedObject) return x;
  if (typeof x === "boolean") return newValue(prog, prog.primitiveType("int"), x ? 1n : 0n);
  if (typeof x === "number" && !Number.isInteger(x)) {
    return newValue(prog, prog.primitiveType("double"), x);
  }
  const v = BigInt(x);
  if (v >= -INT_LIMIT && v < INT_LIMIT) return newValue(prog, prog.primitiveType("int"), v);
  if (v >= -LONG_LIMIT && v < LONG_LIMIT) return newValue(prog, prog.primitiveType("long"), v);
  return newValue(prog, prog.primitiveType("unsigned long"), BigInt.asUintN(64, v));
}

/** Integer conversion rank by size, with bool lowest. */
function rank(t: Type): number {
  const u = underlyingType(t);
  const plan = readPlan(u);
  if (u.core.kind === "bool") return 0;
  return plan.size * 2 + 1;
}

/** C integer promotion of an integer object's type. */
function promote(prog: ObjectProgram, obj: TypedObject): Type {
  const plan = readPlan(obj.type_);
  if (plan.rk === ReadKind.Float) return obj.type_;
  const intType = prog.primitiveType("int");
  const intSize = readPlan(intType).size;
  const bfs = obj.bitFieldSize_;
  if (bfs !== null) {
    if (bfs < intSize * 8 || (bfs === intSize * 8 && plan.signed)) return intType;
    if (bfs === intSize * 8) return prog.primitiveType("unsigned int");
  }
  if (plan.size < intSize || plan.underlying.core.kind === "bool") return intType;
  if (plan.size === intSize && plan.underlying.core.kind !== "int") {
    // An enum or other same-size type: its compatible int type.
    return plan.signed ? intType : prog.primitiveType("unsigned int");
  }
  return obj.type_;
}

function isUnsigned(t: Type): boolean {
  return !readPlan(t).signed;
}

/** The usual arithmetic conversions: the common type of two arithmetic operands. */
function commonType(prog: ObjectProgram, a: TypedObject, b: TypedObject): Type {
  const pa = readPlan(a.type_);
  const pb = readPlan(b.type_);
  if (pa.rk === ReadKind.Float || pb.rk === ReadKind.Float) {
    if (pa.rk === ReadKind.Float && pb.rk === ReadKind.Float) {
      return pa.size >= pb.size ? a.type_ : b.type_;
    }
    return pa.rk === ReadKind.Float ? a.type_ : b.type_;
  }
  const ta = promote(prog, a);
  const tb = promote(prog, b);
  if (underlyingType(ta).core === underlyingType(tb).core) return ta;
  const ua = isUnsigned(ta);
  const ub = isUnsigned(tb);
  const ra = rank(ta);
  const rb = rank(tb);
  if (ua === ub) return ra >= rb ? ta : tb;
  const [uns, sig] = ua ? [ta, tb] : [tb, ta];
  const ru = rank(uns);
  const rs = rank(sig);
  if (ru >= rs) return uns;
  // The signed type is wider, so it can represent every unsigned value.
  return sig;
}

function scalarValue(obj: TypedObject): bigint | number {
  if (obj.absent_) throw new ObjectAbsentError();
  const v = obj.value_();
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "number") {
    return readPlan(obj.type_).rk === ReadKind.Float ? v : BigInt(v);
  }
  if (typeof v === "bigint") return v;
  throw new TypeError(`invalid operand of type '${obj.type_.typeName()}'`);
}

function checkArith(obj: TypedObject, op: string): void {
  const rk = readPlan(obj.type_).rk;
  if (rk !== ReadKind.Int && rk !== ReadKind.Bool && rk !== ReadKind.Float) {
    throw new TypeError(`invalid operand to ${op} ('${obj.type_.typeName()}')`);
  }
}

function makeResult(prog: ObjectProgram, type: Type, v: bigint | number): TypedObject {
  const plan = readPlan(type);
  if (plan.rk === ReadKind.Float) return newValue(prog, type, Number(v));
  const big = typeof v === "number" ? BigInt(Math.trunc(v)) : v;
  return newValue(prog, type, truncate(big, plan.size * 8, plan.signed));
}

/** Pointer value of a pointer, or address of an array reference (decay). */
function pointerBase(obj: TypedObject): { addr: bigint; elem: Type; ptrType: Type } | null {
  const plan = readPlan(obj.type_);
  if (plan.rk === ReadKind.Pointer) {
    return { addr: obj.value_() as bigint, elem: plan.underlying.type, ptrType: obj.type_ };
  }
  if (plan.rk === ReadKind.Array && obj.kind_ === "reference") {
    const elem = plan.underlying.type;
    return { addr: obj.address_!, elem, ptrType: obj.prog_.pointerType(elem) };
  }
  return null;
}

function elemSize(t: Type): bigint {
  const u = underlyingType(t);
  if (u.core.kind === "void" || u.core.kind === "function") return 1n;
  return BigInt(sizeOf(t));
}

function arith(
  a: TypedObject,
  bIn: Operand,
  op: string,
  fInt: (x: bigint, y: bigint) => bigint,
  fFloat: ((x: number, y: number) => number) | null,
): TypedObject {
  const prog = a.prog_;
  const b = toObject(prog, bIn);
  checkArith(a, op);
  checkArith(b, op);
  const t = commonType(prog, a, b);
  const x = scalarValue(a);
  const y = scalarValue(b);
  if (readPlan(t).rk === ReadKind.Float) {
    if (fFloat === null) throw new TypeError(`invalid operands to ${op} (floating point)`);
    return makeResult(prog, t, fFloat(Number(x), Number(y)));
  }
  return makeResult(prog, t, fInt(BigInt(x), BigInt(y)));
}

const P = TypedObject.prototype;

P.add_ = function (this: TypedObject, other: Operand): TypedObject {
  const prog = this.prog_;
  const o = toObject(prog, other);
  const pa = pointerBase(this);
  const pb = pointerBase(o);
  if (pa && !pb) {
    const n = BigInt(scalarValue(o) as bigint);
    return newValue(prog, pa.ptrType, BigInt.asUintN(64, pa.addr + n * elemSize(pa.elem)));
  }
  if (pb && !pa) {
    const n = BigInt(scalarValue(this) as bigint);
    return newValue(prog, pb.ptrType, BigInt.asUintN(64, pb.addr + n * elemSize(pb.elem)));
  }
  if (pa && pb) throw new TypeError("invalid operands to binary + (two pointers)");
  return arith(this, o, "binary +", (x, y) => x + y, (x, y) => x + y);
};

P.sub_ = function (this: TypedObject, other: Operand): TypedObject {
  const prog = this.prog_;
  const o = toObject(prog, other);
  const pa = pointerBase(this);
  const pb = pointerBase(o);
  if (pa && pb) {
    const size = elemSize(pa.elem);
    const diff = BigInt.asIntN(64, pa.addr - pb.addr) / size;
    return newValue(prog, prog.primitiveType("ptrdiff_t"), diff);
  }
  if (pa) {
    const n = BigInt(scalarValue(o) as bigint);
    return newValue(prog, pa.ptrType, BigInt.asUintN(64, pa.addr - n * elemSize(pa.elem)));
  }
  if (pb) throw new TypeError("invalid operands to binary - (integer minus pointer)");
  return arith(this, o, "binary -", (x, y) => x - y, (x, y) => x - y);
};

P.mul_ = function (this: TypedObject, o: Operand): TypedObject {
  return arith(this, o, "binary *", (x, y) => x * y, (x, y) => x * y);
};

P.div_ = function (this: TypedObject, o: Operand): TypedObject {
  return arith(this, o, "binary /", (x, y) => {
    if (y === 0n) throw new RangeError("division by zero");
    return x / y;
  }, (x, y) => x / y);
};

P.mod_ = function (this: TypedObject, o: Operand): TypedObject {
  return arith(this, o, "binary %", (x, y) => {
    if (y === 0n) throw new RangeError("modulo by zero");
    return x % y;
  }, null);
};

function shift(a: TypedObject, bIn: Operand, left: boolean): TypedObject {
  const prog = a.prog_;
  const b = toObject(prog, bIn);
  for (const x of [a, b]) {
    const rk = readPlan(x.type_).rk;
    if (rk !== ReadKind.Int && rk !== ReadKind.Bool) {
      throw new TypeError(`invalid operand to ${left ? "<<" : ">>"} ('${x.type_.typeName()}')`);
    }
  }
  const t = promote(prog, a);
  const x = BigInt(scalarValue(a));
  const n = BigInt(scalarValue(b));
  if (n < 0n) throw new RangeError("negative shift count");
  const plan = readPlan(t);
  const v = truncate(x, plan.size * 8, plan.signed);
  return makeResult(prog, t, left ? v << n : v >> n);
}

P.lshift_ = function (this: TypedObject, o: Operand): TypedObject {
  return shift(this, o, true);
};
P.rshift_ = function (this: TypedObject, o: Operand): TypedObject {
  return shift(this, o, false);
};

function bitwise(a: TypedObject, b: Operand, op: string, f: (x: bigint, y: bigint) => bigint) {
  return arith(a, b, op, f, null);
}
P.and_ = function (this: TypedObject, o: Operand): TypedObject {
  return bitwise(this, o, "binary &", (x, y) => x & y);
};
P.or_ = function (this: TypedObject, o: Operand): TypedObject {
  return bitwise(this, o, "binary |", (x, y) => x | y);
};
P.xor_ = function (this: TypedObject, o: Operand): TypedObject {
  return bitwise(this, o, "binary ^", (x, y) => x ^ y);
};

P.neg_ = function (this: TypedObject): TypedObject {
  checkArith(this, "unary -");
  const t = promote(this.prog_, this);
  const v = scalarValue(this);
  return makeResult(this.prog_, t, typeof v === "number" ? -v : -v);
};
P.pos_ = function (this: TypedObject): TypedObject {
  checkArith(this, "unary +");
  const t = promote(this.prog_, this);
  return makeResult(this.prog_, t, scalarValue(this));
};
P.not_ = function (this: TypedObject): TypedObject {
  const rk = readPlan(this.type_).rk;
  if (rk !== ReadKind.Int && rk !== ReadKind.Bool) {
    throw new TypeError(`invalid operand to unary ~ ('${this.type_.typeName()}')`);
  }
  const t = promote(this.prog_, this);
  return makeResult(this.prog_, t, ~BigInt(scalarValue(this)));
};

/** Compares two operands with C semantics; returns -1, 0 or 1 (NaN: null). */
function compare(a: TypedObject, bIn: Operand): number | null {
  const prog = a.prog_;
  const b = toObject(prog, bIn);
  const pa = pointerBase(a);
  const pb = pointerBase(b);
  if (pa || pb) {
    const x = pa ? pa.addr : BigInt.asUintN(64, BigInt(scalarValue(a)));
    const y = pb ? pb.addr : BigInt.asUintN(64, BigInt(scalarValue(b)));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  checkArith(a, "comparison");
  checkArith(b, "comparison");
  const t = commonType(prog, a, b);
  const plan = readPlan(t);
  let x = scalarValue(a);
  let y = scalarValue(b);
  if (plan.rk === ReadKind.Float) {
    const fx = Number(x);
    const fy = Number(y);
    if (Number.isNaN(fx) || Number.isNaN(fy)) return null;
    return fx < fy ? -1 : fx > fy ? 1 : 0;
  }
  x = truncate(BigInt(x), plan.size * 8, plan.signed);
  y = truncate(BigInt(y), plan.size * 8, plan.signed);
  return x < y ? -1 : x > y ? 1 : 0;
}

P.eq_ = function (this: TypedObject, o: Operand): boolean {
  return compare(this, o) === 0;
};
P.ne_ = function (this: TypedObject, o: Operand): boolean {
  return compare(this, o) !== 0;
};
P.lt_ = function (this: TypedObject, o: Operand): boolean {
  const c = compare(this, o);
  return c !== null && c < 0;
};
P.le_ = function (this: TypedObject, o: Operand): boolean {
  const c = compare(this, o);
  return c !== null && c <= 0;
};
P.gt_ = function (this: TypedObject, o: Operand): boolean {
  const c = compare(this, o);
  return c !== null && c > 0;
};
P.ge_ = function (this: TypedObject, o: Operand): boolean {
  const c = compare(this, o);
  return c !== null && c >= 0;
};

// ---------------------------------------------------------------------------
// Free functions (drgn's module-level helpers)

/** `(type)obj`: C cast. `type` may be a name (`"unsigned long"`) or a Type. */
export function cast(type: string | Type, obj: TypedObject): TypedObject {
  return castObject(obj.prog_.type(type), obj);
}

/** Reinterprets `obj`'s memory or bytes as `type`. */
export function reinterpret(type: string | Type, obj: TypedObject): TypedObject {
  return reinterpretObject(obj.prog_.type(type), obj);
}

/**
 * `container_of(ptr, type, member)`: the `type *` whose `member` `ptr`
 * points to. `member` may be a designator (`a.b[2].c`).
 */
export function containerOf(ptr: TypedObject, type: string | Type, member: string): TypedObject {
  const prog = ptr.prog_;
  const t = prog.type(type);
  const plan = readPlan(ptr.type_);
  if (plan.rk !== ReadKind.Pointer) {
    throw new TypeError(`container_of() argument must be a pointer, not '${ptr.type_.typeName()}'`);
  }
  const off = offsetOfBits(t, member);
  if (off % 8 !== 0) throw new TypeError("container_of() member is not byte-aligned");
  const addr = BigInt.asUintN(64, (ptr.value_() as bigint) - BigInt(off / 8));
  return newValue(prog, prog.pointerType(t), addr);
}

/** A null pointer (or zero) of `type`, as drgn's `NULL(prog, type)`. */
export function NULL(prog: ObjectProgram, type: string | Type): TypedObject {
  const t = prog.type(type);
  return newValue(prog, t, 0n);
}

/** `sizeof(type)` or `sizeof(obj)`. */
export function sizeof(x: Type | TypedObject): number {
  if (x instanceof TypedObject) {
    if (x.bitFieldSize_ !== null) throw new TypeError("cannot get size of bit field");
    return sizeOf(x.type_);
  }
  return sizeOf(x);
}

/** `offsetof(type, member)` in bytes; `member` may be a designator (`a.b[3].c`). */
export function offsetof(type: Type, member: string): number {
  const bits = offsetOfBits(type, member);
  if (bits % 8 !== 0) throw new TypeError("member is not byte-aligned");
  return bits / 8;
}

/** Bit offset of a member designator (`a.b[3].c`) in `type`. */
export function offsetOfBits(type: Type, designator: string): number {
  const re = /\s*(?:([A-Za-z_$][A-Za-z0-9_$]*)|\[\s*(-?\d+|0x[0-9a-fA-F]+)\s*\]|(\.))\s*/y;
  let t = type;
  let bits = 0;
  let expectName = true;
  let pos = 0;
  while (pos < designator.length) {
    re.lastIndex = pos;
    const m = re.exec(designator);
    if (m === null || m[0].length === 0) {
      throw new SyntaxError(`invalid member designator '${designator}'`);
    }
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      if (!expectName) throw new SyntaxError(`invalid member designator '${designator}'`);
      const info = t.member(m[1]);
      bits += info.bitOffset;
      t = info.type;
      expectName = false;
    } else if (m[2] !== undefined) {
      if (expectName) throw new SyntaxError(`invalid member designator '${designator}'`);
      const u = underlyingType(t);
      if (u.core.kind !== "array") {
        throw new TypeError(`'${t.typeName()}' is not an array`);
      }
      const idx = Number(m[2]);
      bits += idx * sizeOf(u.type) * 8;
      t = u.type;
    } else {
      if (expectName) throw new SyntaxError(`invalid member designator '${designator}'`);
      expectName = true;
    }
  }
  if (expectName) throw new SyntaxError(`invalid member designator '${designator}'`);
  return bits;
}

/** A reference object of `type` at `address` (drgn's `Object(prog, type, address=…)`). */
export function objectAt(prog: ObjectProgram, type: string | Type, address: bigint): TypedObject {
  return newReference(prog, prog.type(type), address);
}
