/**
 * DWARF expression evaluator (DWARF 5 §2.5 stack operations and §2.6
 * location descriptions, with the GNU extensions gcc emits): a stack
 * machine over the bytes of a `DW_AT_location`, `DW_AT_frame_base`,
 * location-list entry or CFI expression. Everything the expression needs
 * from the target (registers, memory, the frame base, the CFA, `.debug_addr`,
 * TLS, entry values, called DIEs, base types) comes through an
 * {@link ExprContext} of callbacks, so this module knows nothing of
 * programs or ELF files.
 *
 * The result is a location ({@link ExprLocation}): memory, a register, an
 * implicit value or pointer, a computed value (`DW_OP_stack_value`),
 * nothing (optimized out), or a composite of pieces.
 *
 * Evaluation is bounded: at most {@link ExprContext.maxSteps} operations
 * (default 100,000; `DW_OP_skip`/`DW_OP_bra` loops end there), a stack of at
 * most {@link ExprContext.maxStack} entries (default 1,024) and 8 nested
 * `DW_OP_call*`/`DW_OP_entry_value` levels. Malformed bytes give a
 * {@link DecodeError} naming the section and the offset of the operation
 * (of its operand, for a truncated operand);
 * a register or entry value the context cannot supply gives an
 * {@link ObjectAbsentError}.
 *
 * @module
 */

import { ByteReader } from "../binary/byte_reader.ts";
import { DecodeError, ObjectAbsentError } from "../errors.ts";
import { DW_OP, dwName } from "./constants.ts";

/** A base type, as {@link ExprContext.baseType} describes it for the typed operations. */
export interface ExprBaseType {
  /** `DW_AT_byte_size` (1 … 8 for the types supported here; 16 is truncated). */
  readonly byteSize: number;
  /** `DW_AT_encoding` (`DW_ATE_*`: 0x04 float, 0x05/0x06 signed, 0x07/0x08 unsigned, …). */
  readonly encoding: number;
}

/** What an expression may ask of its surroundings. Every member is optional. */
export interface ExprContext {
  /** Size of an address and of the generic type (default 8). */
  readonly addressSize?: 4 | 8;
  /** Byte order of target memory and of multi-byte operands (default true). */
  readonly littleEndian?: boolean;
  /** Size of a `.debug_info` reference for `DW_OP_call_ref`/`implicit_pointer` (default 4). */
  readonly offsetSize?: 4 | 8;
  /** Added to the operands of `DW_OP_addr` and the results of `DW_OP_addrx` (a module's load bias). */
  readonly bias?: bigint;
  /** Section name for errors (default `"DWARF expression"`). */
  readonly section?: string;
  /** Offset of the expression's first byte in {@link section}, for errors. */
  readonly baseOffset?: number;
  /** Values pushed before the first operation (bottom first), e.g. the CFA for CFI rules. */
  readonly initialStack?: readonly bigint[];
  /** Operation budget (default 100,000). */
  readonly maxSteps?: number;
  /** Stack depth limit (default 1,024). */
  readonly maxStack?: number;
  /** The value of DWARF register `regno`, or undefined when it is not known. */
  register?(regno: number): bigint | undefined;
  /** Reads `size` bytes of target memory (throws `FaultError`). */
  readMemory?(address: bigint, size: number): Uint8Array;
  /** The frame base (`DW_AT_frame_base` of the enclosing function), for `DW_OP_fbreg`. */
  frameBase?(): bigint;
  /** The canonical frame address, for `DW_OP_call_frame_cfa`. */
  cfa?(): bigint;
  /** The object address, for `DW_OP_push_object_address`. */
  objectAddress?(): bigint;
  /** Entry `index` of the unit's `.debug_addr` table (`DW_OP_addrx`, `DW_OP_constx`). */
  debugAddr?(index: number): bigint;
  /** The address of offset `offset` in this module's TLS block for the current thread. */
  tlsAddress?(offset: bigint): bigint;
  /**
   * The value `expression` had on entry to the current function
   * (`DW_OP_entry_value`): usually a single `DW_OP_regN`, see
   * {@link entryValueRegister}. Undefined when it cannot be recovered.
   */
  entryValue?(expression: Uint8Array): bigint | undefined;
  /**
   * The location expression of the DIE at `offset` for `DW_OP_call2/4`
   * (`unitRelative`, an offset in the current unit) or `DW_OP_call_ref`
   * (a `.debug_info` offset); null if the DIE has no location (a no-op).
   */
  call?(offset: number, unitRelative: boolean): Uint8Array | null;
  /** The base type at unit-relative offset `offset`, for the typed operations. */
  baseType?(offset: number): ExprBaseType;
}

/** A location that is not made of pieces. */
export type ExprSimpleLocation =
  /** The object is in memory at `address`. */
  | { readonly kind: "memory"; readonly address: bigint }
  /** The object is in DWARF register `register`. */
  | { readonly kind: "register"; readonly register: number }
  /** The object's value was computed (`DW_OP_stack_value`); `type` is a base-type offset or 0 (generic). */
  | { readonly kind: "value"; readonly value: bigint; readonly type: number }
  /** The object's bytes are given (`DW_OP_implicit_value`). */
  | { readonly kind: "implicit"; readonly bytes: Uint8Array }
  /** The object is a pointer to the DIE at `.debug_info` offset `die`, plus `offset` (`DW_OP_implicit_pointer`). */
  | { readonly kind: "implicit_pointer"; readonly die: number; readonly offset: bigint }
  /** The object has no location (optimized out). */
  | { readonly kind: "absent" };

/** One piece of a composite location. */
export interface ExprPiece {
  /** Where this piece is. */
  readonly location: ExprSimpleLocation;
  /** Size of the piece in bits. */
  readonly bitSize: number;
  /** Bit offset within the location (`DW_OP_bit_piece`; 0 for `DW_OP_piece`). */
  readonly bitOffset: number;
}

/** The result of evaluating a location description. */
export type ExprLocation =
  | ExprSimpleLocation
  /** The object is assembled from pieces, in order of increasing object offset. */
  | { readonly kind: "composite"; readonly pieces: readonly ExprPiece[] };

const ABSENT: ExprSimpleLocation = Object.freeze({ kind: "absent" });

const ATE_FLOAT = 0x04;
const ATE_SIGNED = 0x05;
const ATE_SIGNED_CHAR = 0x06;

/** Internal description of a stack entry's type. */
interface TypeInfo {
  bits: number;
  signed: boolean;
  float: boolean;
}

const MAX_CALL_DEPTH = 8;

/**
 * If `expression` is a single `DW_OP_regN`/`DW_OP_regx` (what gcc puts in
 * `DW_OP_entry_value`), the register number; otherwise undefined.
 */
export function entryValueRegister(expression: Uint8Array): number | undefined {
  const op = expression[0];
  if (op === undefined) return undefined;
  if (op >= DW_OP.reg0 && op <= DW_OP.reg31 && expression.length === 1) return op - DW_OP.reg0;
  if (op === DW_OP.regx) {
    let r = 0;
    let mul = 1;
    for (let i = 1; i < expression.length && i < 6; i++) {
      const b = expression[i]!;
      r += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return i === expression.length - 1 ? r : undefined;
    }
  }
  return undefined;
}

class Machine {
  readonly ctx: ExprContext;
  readonly addressSize: number;
  readonly genericBits: bigint;
  readonly genericMask: bigint;
  readonly le: boolean;
  readonly section: string;
  readonly maxStack: number;
  stack: bigint[] = [];
  types: number[] = [];
  steps = 0;
  readonly maxSteps: number;
  readonly typeCache = new Map<number, TypeInfo>();

  constructor(ctx: ExprContext) {
    this.ctx = ctx;
    this.addressSize = ctx.addressSize ?? 8;
    this.genericBits = BigInt(this.addressSize * 8);
    this.genericMask = (1n << this.genericBits) - 1n;
    this.le = ctx.littleEndian ?? true;
    this.section = ctx.section ?? "DWARF expression";
    this.maxStack = ctx.maxStack ?? 1024;
    this.maxSteps = ctx.maxSteps ?? 100_000;
    for (const v of ctx.initialStack ?? []) {
      this.stack.push(v & this.genericMask);
      this.types.push(0);
    }
  }

  typeInfo(r: ByteReader, offset: number): TypeInfo {
    if (offset === 0) return { bits: this.addressSize * 8, signed: false, float: false };
    let t = this.typeCache.get(offset);
    if (t !== undefined) return t;
    if (this.ctx.baseType === undefined) {
      r.error(`base type at unit offset 0x${offset.toString(16)} needed but no type callback`);
    }
    const bt = this.ctx.baseType(offset);
    const size = bt.byteSize;
    if (!(size >= 1 && size <= 16)) r.error(`unsupported base type size ${size}`);
    t = {
      bits: Math.min(size, 8) * 8,
      signed: bt.encoding === ATE_SIGNED || bt.encoding === ATE_SIGNED_CHAR,
      float: bt.encoding === ATE_FLOAT,
    };
    if (t.float && size !== 4 && size !== 8) r.error(`unsupported floating-point size ${size}`);
    this.typeCache.set(offset, t);
    return t;
  }

  push(r: ByteReader, value: bigint, type = 0, bits?: number): void {
    if (this.stack.length >= this.maxStack) r.error("DWARF expression stack overflow");
    this.stack.push(bits === undefined ? value & this.genericMask : BigInt.asUintN(bits, value));
    this.types.push(type);
  }

  pop(r: ByteReader, op: number): bigint {
    if (this.stack.length === 0) r.error(`${dwName("DW_OP", op)} pops an empty stack`);
    this.types.pop();
    return this.stack.pop()!;
  }

  need(r: ByteReader, op: number, n: number): void {
    if (this.stack.length < n) {
      r.error(`${dwName("DW_OP", op)} needs ${n} stack entries, has ${this.stack.length}`);
    }
  }

  read(r: ByteReader, address: bigint, size: number): bigint {
    if (this.ctx.readMemory === undefined) r.error("memory read needed but no memory callback");
    const b = this.ctx.readMemory(address, size);
    let v = 0n;
    if (this.le) { for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0); }
    else for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[i] ?? 0);
    return v;
  }

  register(regno: number): bigint {
    const v = this.ctx.register?.(regno);
    if (v === undefined) throw new ObjectAbsentError(`register ${regno} is not known`);
    return v;
  }
}

function toSigned(v: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, v);
}

function toFloat(v: bigint, bits: number): number {
  const dv = new DataView(new ArrayBuffer(8));
  if (bits === 32) {
    dv.setUint32(0, Number(v & 0xffffffffn));
    return dv.getFloat32(0);
  }
  dv.setBigUint64(0, BigInt.asUintN(64, v));
  return dv.getFloat64(0);
}

function fromFloat(x: number, bits: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  if (bits === 32) {
    dv.setFloat32(0, x);
    return BigInt(dv.getUint32(0));
  }
  dv.setFloat64(0, x);
  return dv.getBigUint64(0);
}

/**
 * Evaluates a location description. An empty expression is `absent`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateLocation } from "./expr.ts";
 * // DW_OP_breg7 (rsp) +8
 * const loc = evaluateLocation(new Uint8Array([0x77, 0x08]), { register: () => 0x1000n });
 * assert.deepEqual(loc, { kind: "memory", address: 0x1008n });
 * ```
 */
export function evaluateLocation(expression: Uint8Array, ctx: ExprContext = {}): ExprLocation {
  const m = new Machine(ctx);
  return run(m, expression, ctx.baseOffset ?? 0, 0, true);
}

/**
 * Evaluates an expression for its value: the top of the stack (a memory
 * location's address), a register location's register value, or a
 * `DW_OP_stack_value`. Used for CFI expressions (push the CFA first via
 * {@link ExprContext.initialStack}), `DW_AT_frame_base` and
 * `DW_AT_data_member_location`. Throws a {@link DecodeError} for a result
 * that has no single value (pieces, implicit values, nothing).
 */
export function evaluateValue(expression: Uint8Array, ctx: ExprContext = {}): bigint {
  const m = new Machine(ctx);
  const loc = run(m, expression, ctx.baseOffset ?? 0, 0, true);
  switch (loc.kind) {
    case "memory":
      return loc.address;
    case "value":
      return loc.value;
    case "register":
      return m.register(loc.register);
    default:
      throw new DecodeError(
        m.section,
        ctx.baseOffset ?? 0,
        `expression gives a ${loc.kind} location, not a value`,
      );
  }
}

function run(
  m: Machine,
  expression: Uint8Array,
  baseOffset: number,
  depth: number,
  top: boolean,
): ExprLocation {
  const ctx = m.ctx;
  const r: ByteReader = new ByteReader(expression, m.le, m.section, 0, baseOffset);
  const pieces: ExprPiece[] = [];
  // A location set by DW_OP_regN, implicit_value, stack_value or
  // implicit_pointer, waiting for a piece operation or the end.
  let pending: ExprSimpleLocation | null = null;
  const len = expression.length;
  const as = m.addressSize;
  const gbits = as * 8;

  while (r.pos < len) {
    if (++m.steps > m.maxSteps) {
      r.error(`DWARF expression exceeds ${m.maxSteps} operations (loop?)`, r.pos);
    }
    const opPos = r.pos;
    const op = r.u8();
    r.prev = opPos;
    if (pending !== null && op !== DW_OP.piece && op !== DW_OP.bit_piece && op !== DW_OP.nop) {
      r.error(`${dwName("DW_OP", op)} after a location operation that must end the expression`);
    }
    if (op >= DW_OP.lit0 && op <= DW_OP.lit31) {
      m.push(r, BigInt(op - DW_OP.lit0));
      continue;
    }
    if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
      pending = { kind: "register", register: op - DW_OP.reg0 };
      continue;
    }
    if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
      const off = r.sleb128Big();
      r.prev = opPos;
      m.push(r, m.register(op - DW_OP.breg0) + off);
      continue;
    }
    switch (op) {
      case DW_OP.addr:
        m.push(r, r.addr(as) + (ctx.bias ?? 0n));
        break;
      case DW_OP.deref: {
        const a = m.pop(r, op);
        m.push(r, m.read(r, a, as));
        break;
      }
      case DW_OP.const1u:
        m.push(r, BigInt(r.u8()));
        break;
      case DW_OP.const1s:
        m.push(r, BigInt(r.s8()));
        break;
      case DW_OP.const2u:
        m.push(r, BigInt(r.u16()));
        break;
      case DW_OP.const2s:
        m.push(r, BigInt(r.s16()));
        break;
      case DW_OP.const4u:
        m.push(r, BigInt(r.u32()));
        break;
      case DW_OP.const4s:
        m.push(r, BigInt(r.s32()));
        break;
      case DW_OP.const8u:
        m.push(r, r.u64());
        break;
      case DW_OP.const8s:
        m.push(r, r.s64());
        break;
      case DW_OP.constu:
        m.push(r, r.uleb128Big());
        break;
      case DW_OP.consts:
        m.push(r, r.sleb128Big());
        break;
      case DW_OP.dup: {
        m.need(r, op, 1);
        m.push(r, m.stack[m.stack.length - 1]!, m.types[m.types.length - 1]!, 64);
        break;
      }
      case DW_OP.drop:
        m.pop(r, op);
        break;
      case DW_OP.over: {
        m.need(r, op, 2);
        m.push(r, m.stack[m.stack.length - 2]!, m.types[m.types.length - 2]!, 64);
        break;
      }
      case DW_OP.pick: {
        const i = r.u8();
        r.prev = opPos;
        m.need(r, op, i + 1);
        m.push(r, m.stack[m.stack.length - 1 - i]!, m.types[m.types.length - 1 - i]!, 64);
        break;
      }
      case DW_OP.swap: {
        m.need(r, op, 2);
        const s = m.stack, t = m.types, n = s.length;
        [s[n - 1], s[n - 2]] = [s[n - 2]!, s[n - 1]!];
        [t[n - 1], t[n - 2]] = [t[n - 2]!, t[n - 1]!];
        break;
      }
      case DW_OP.rot: {
        m.need(r, op, 3);
        const s = m.stack, t = m.types, n = s.length;
        // (a b c) with c on top becomes (c a b).
        const sc = s[n - 1]!, tc = t[n - 1]!;
        s[n - 1] = s[n - 2]!;
        t[n - 1] = t[n - 2]!;
        s[n - 2] = s[n - 3]!;
        t[n - 2] = t[n - 3]!;
        s[n - 3] = sc;
        t[n - 3] = tc;
        break;
      }
      case DW_OP.xderef:
      case DW_OP.xderef_size:
      case DW_OP.xderef_type:
        r.error(`${dwName("DW_OP", op)} (multiple address spaces) is not supported`);
        break;
      case DW_OP.abs:
      case DW_OP.neg:
      case DW_OP.not: {
        m.need(r, op, 1);
        const ty = m.typeInfo(r, m.types[m.types.length - 1]!);
        const tyOff = m.types[m.types.length - 1]!;
        const v = m.pop(r, op);
        let out: bigint;
        if (ty.float && op !== DW_OP.not) {
          const x = toFloat(v, ty.bits);
          out = fromFloat(op === DW_OP.abs ? Math.abs(x) : -x, ty.bits);
        } else if (op === DW_OP.not) {
          out = ~v;
        } else if (op === DW_OP.neg) {
          out = -v;
        } else {
          // DW_OP_abs: the generic type is treated as signed.
          const sv = ty.signed || tyOff === 0 ? toSigned(v, ty.bits) : v;
          out = sv < 0n ? -sv : sv;
        }
        m.push(r, out, tyOff, ty.bits);
        break;
      }
      case DW_OP.and:
      case DW_OP.div:
      case DW_OP.minus:
      case DW_OP.mod:
      case DW_OP.mul:
      case DW_OP.or:
      case DW_OP.plus:
      case DW_OP.shl:
      case DW_OP.shr:
      case DW_OP.shra:
      case DW_OP.xor:
      case DW_OP.eq:
      case DW_OP.ge:
      case DW_OP.gt:
      case DW_OP.le:
      case DW_OP.lt:
      case DW_OP.ne:
        binary(m, r, op);
        break;
      case DW_OP.plus_uconst: {
        const c = r.uleb128Big();
        r.prev = opPos;
        m.need(r, op, 1);
        const tyOff = m.types[m.types.length - 1]!;
        const ty = m.typeInfo(r, tyOff);
        m.push(r, m.pop(r, op) + c, tyOff, ty.bits);
        break;
      }
      case DW_OP.skip:
      case DW_OP.bra: {
        const delta = r.s16();
        r.prev = opPos;
        if (op === DW_OP.bra && m.pop(r, op) === 0n) break;
        const target = r.pos + delta;
        if (target < 0 || target > len) {
          r.error(`${dwName("DW_OP", op)} target ${target} is outside the expression`);
        }
        r.pos = target;
        break;
      }
      case DW_OP.regx: {
        const reg = r.uleb128();
        pending = { kind: "register", register: reg };
        break;
      }
      case DW_OP.fbreg: {
        const off = r.sleb128Big();
        r.prev = opPos;
        if (ctx.frameBase === undefined) r.error("DW_OP_fbreg needs a frame base");
        m.push(r, ctx.frameBase() + off);
        break;
      }
      case DW_OP.bregx: {
        const reg = r.uleb128();
        const off = r.sleb128Big();
        r.prev = opPos;
        m.push(r, m.register(reg) + off);
        break;
      }
      case DW_OP.piece:
      case DW_OP.bit_piece: {
        const size = r.uleb128();
        const offset = op === DW_OP.bit_piece ? r.uleb128() : 0;
        r.prev = opPos;
        const bitSize = op === DW_OP.piece ? size * 8 : size;
        let location: ExprSimpleLocation;
        if (pending !== null) location = pending;
        else if (m.stack.length > 0) location = { kind: "memory", address: m.pop(r, op) };
        else location = ABSENT;
        pieces.push({ location, bitSize, bitOffset: offset });
        pending = null;
        break;
      }
      case DW_OP.deref_size: {
        const size = r.u8();
        r.prev = opPos;
        if (size < 1 || size > as) r.error(`DW_OP_deref_size of ${size} bytes`);
        const a = m.pop(r, op);
        m.push(r, m.read(r, a, size));
        break;
      }
      case DW_OP.nop:
        break;
      case DW_OP.push_object_address:
        if (ctx.objectAddress === undefined) r.error("DW_OP_push_object_address needs an object");
        m.push(r, ctx.objectAddress());
        break;
      case DW_OP.call2:
      case DW_OP.call4:
      case DW_OP.call_ref: {
        const target = op === DW_OP.call2
          ? r.u16()
          : op === DW_OP.call4
          ? r.u32()
          : r.offset((ctx.offsetSize ?? 4) === 8);
        r.prev = opPos;
        if (ctx.call === undefined) r.error(`${dwName("DW_OP", op)} is not supported here`);
        if (depth >= MAX_CALL_DEPTH) r.error(`${dwName("DW_OP", op)} nested too deeply`);
        const sub = ctx.call(target, op !== DW_OP.call_ref);
        if (sub !== null) {
          const res = run(m, sub, 0, depth + 1, false);
          if (res.kind !== "absent") {
            r.error(`${dwName("DW_OP", op)}: the called expression is not a plain computation`);
          }
        }
        break;
      }
      case DW_OP.form_tls_address:
      case DW_OP.GNU_push_tls_address: {
        const off = m.pop(r, op);
        if (ctx.tlsAddress === undefined) r.error(`${dwName("DW_OP", op)} needs a thread`);
        m.push(r, ctx.tlsAddress(off));
        break;
      }
      case DW_OP.call_frame_cfa:
        if (ctx.cfa === undefined) r.error("DW_OP_call_frame_cfa needs the CFA");
        m.push(r, ctx.cfa());
        break;
      case DW_OP.implicit_value: {
        const n = r.uleb128();
        const bytes = r.bytes(n);
        pending = { kind: "implicit", bytes };
        break;
      }
      case DW_OP.stack_value: {
        m.need(r, op, 1);
        const type = m.types[m.types.length - 1]!;
        pending = { kind: "value", value: m.pop(r, op), type };
        break;
      }
      case DW_OP.implicit_pointer:
      case DW_OP.GNU_implicit_pointer: {
        const die = r.offset((ctx.offsetSize ?? 4) === 8);
        const off = r.sleb128Big();
        pending = { kind: "implicit_pointer", die, offset: off };
        break;
      }
      case DW_OP.addrx:
      case DW_OP.GNU_addr_index:
      case DW_OP.constx:
      case DW_OP.GNU_const_index: {
        const index = r.uleb128();
        r.prev = opPos;
        if (ctx.debugAddr === undefined) r.error(`${dwName("DW_OP", op)} needs .debug_addr`);
        const v = ctx.debugAddr(index);
        const isAddr = op === DW_OP.addrx || op === DW_OP.GNU_addr_index;
        m.push(r, isAddr ? v + (ctx.bias ?? 0n) : v);
        break;
      }
      case DW_OP.entry_value:
      case DW_OP.GNU_entry_value: {
        const n = r.uleb128();
        const block = r.bytes(n);
        r.prev = opPos;
        if (depth >= MAX_CALL_DEPTH) r.error("DW_OP_entry_value nested too deeply");
        const v = ctx.entryValue?.(block);
        if (v === undefined) throw new ObjectAbsentError("entry value is not known");
        m.push(r, v);
        break;
      }
      case DW_OP.const_type:
      case DW_OP.GNU_const_type: {
        const tyOff = r.uleb128();
        const n = r.u8();
        const bytes = r.bytes(n);
        r.prev = opPos;
        const ty = m.typeInfo(r, tyOff);
        let v = 0n;
        if (m.le) { for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!); }
        else for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(bytes[i]!);
        m.push(r, v, tyOff, ty.bits);
        break;
      }
      case DW_OP.regval_type:
      case DW_OP.GNU_regval_type: {
        const reg = r.uleb128();
        const tyOff = r.uleb128();
        r.prev = opPos;
        const ty = m.typeInfo(r, tyOff);
        m.push(r, m.register(reg), tyOff, ty.bits);
        break;
      }
      case DW_OP.deref_type:
      case DW_OP.GNU_deref_type: {
        const size = r.u8();
        const tyOff = r.uleb128();
        r.prev = opPos;
        if (size < 1 || size > 16) r.error(`${dwName("DW_OP", op)} of ${size} bytes`);
        const ty = m.typeInfo(r, tyOff);
        const a = m.pop(r, op);
        m.push(r, m.read(r, a, Math.min(size, 8)), tyOff, ty.bits);
        break;
      }
      case DW_OP.convert:
      case DW_OP.GNU_convert:
      case DW_OP.reinterpret:
      case DW_OP.GNU_reinterpret: {
        const tyOff = r.uleb128();
        r.prev = opPos;
        m.need(r, op, 1);
        const fromOff = m.types[m.types.length - 1]!;
        const from = m.typeInfo(r, fromOff);
        const to = m.typeInfo(r, tyOff);
        let v = m.pop(r, op);
        const isConvert = op === DW_OP.convert || op === DW_OP.GNU_convert;
        if (isConvert) {
          if (from.float && to.float) v = fromFloat(toFloat(v, from.bits), to.bits);
          else if (from.float) {
            const x = Math.trunc(toFloat(v, from.bits));
            v = Number.isFinite(x) ? BigInt(x) : 0n;
          } else {
            const iv = from.signed ? toSigned(v, from.bits) : v;
            if (to.float) v = fromFloat(Number(iv), to.bits);
            else v = iv;
          }
        } else if (from.bits !== to.bits) {
          r.error(`${dwName("DW_OP", op)} between types of different sizes`);
        }
        m.push(r, v, tyOff, to.bits);
        break;
      }
      case DW_OP.GNU_uninit:
        break;
      case DW_OP.GNU_parameter_ref:
      case DW_OP.GNU_variable_value:
      case DW_OP.GNU_encoded_addr:
        r.error(`${dwName("DW_OP", op)} is not supported`);
        break;
      default:
        r.error(`unknown DWARF expression opcode 0x${op.toString(16)}`);
    }
  }

  if (!top) {
    if (pending !== null || pieces.length > 0) {
      r.error("a called expression gave a location", 0);
    }
    return ABSENT;
  }
  if (pieces.length > 0) {
    if (pending !== null) r.error("location operation after the last piece", len);
    return { kind: "composite", pieces };
  }
  if (pending !== null) return pending;
  if (m.stack.length === 0) {
    if (len === 0) return ABSENT;
    r.error("DWARF expression leaves an empty stack", 0);
  }
  const ty = m.types[m.types.length - 1]!;
  const v = m.stack[m.stack.length - 1]!;
  if (ty !== 0) {
    // A typed value at the end is the value itself (DWARF 5 §2.6.1.1.3).
    return { kind: "value", value: v, type: ty };
  }
  return { kind: "memory", address: v & ((1n << BigInt(gbits)) - 1n) };
}

function binary(m: Machine, r: ByteReader, op: number): void {
  m.need(r, op, 2);
  const tb = m.types[m.types.length - 1]!;
  const ta = m.types[m.types.length - 2]!;
  if (ta !== tb) {
    // Mixing a typed value with a generic one is allowed only for shifts' counts.
    const isShift = op === DW_OP.shl || op === DW_OP.shr || op === DW_OP.shra;
    if (!isShift) r.error(`${dwName("DW_OP", op)} on operands of different types`);
  }
  const ty = m.typeInfo(r, ta);
  const b = m.pop(r, op);
  const a = m.pop(r, op);
  const bits = ty.bits;
  // The generic type is signed for division, abs and comparisons (DWARF 5
  // §2.5.1.4); gdb and gcc treat DW_OP_mod of generic values as unsigned.
  const signedCompare = ty.signed || ta === 0;
  let out: bigint;
  let resultType = ta;
  if (ty.float) {
    const x = toFloat(a, bits);
    const y = toFloat(b, bits);
    let f: number | boolean;
    switch (op) {
      case DW_OP.plus:
        f = x + y;
        break;
      case DW_OP.minus:
        f = x - y;
        break;
      case DW_OP.mul:
        f = x * y;
        break;
      case DW_OP.div:
        f = x / y;
        break;
      case DW_OP.eq:
        f = x === y;
        break;
      case DW_OP.ne:
        f = x !== y;
        break;
      case DW_OP.lt:
        f = x < y;
        break;
      case DW_OP.le:
        f = x <= y;
        break;
      case DW_OP.gt:
        f = x > y;
        break;
      case DW_OP.ge:
        f = x >= y;
        break;
      default:
        return r.error(`${dwName("DW_OP", op)} on a floating-point value`);
    }
    if (typeof f === "boolean") m.push(r, f ? 1n : 0n);
    else m.push(r, fromFloat(f, bits), ta, bits);
    return;
  }
  switch (op) {
    case DW_OP.plus:
      out = a + b;
      break;
    case DW_OP.minus:
      out = a - b;
      break;
    case DW_OP.mul:
      out = a * b;
      break;
    case DW_OP.and:
      out = a & b;
      break;
    case DW_OP.or:
      out = a | b;
      break;
    case DW_OP.xor:
      out = a ^ b;
      break;
    case DW_OP.div: {
      if (b === 0n) r.error("DW_OP_div by zero");
      out = signedCompare ? toSigned(a, bits) / toSigned(b, bits) : a / b;
      break;
    }
    case DW_OP.mod: {
      if (b === 0n) r.error("DW_OP_mod by zero");
      out = ty.signed ? toSigned(a, bits) % toSigned(b, bits) : a % b;
      break;
    }
    case DW_OP.shl:
      out = b >= BigInt(bits) ? 0n : a << b;
      break;
    case DW_OP.shr:
      out = b >= BigInt(bits) ? 0n : a >> b;
      break;
    case DW_OP.shra: {
      const sa = toSigned(a, bits);
      out = sa >> (b >= BigInt(bits) ? BigInt(bits - 1) : b);
      break;
    }
    default: {
      const x = signedCompare ? toSigned(a, bits) : a;
      const y = signedCompare ? toSigned(b, bits) : b;
      let c: boolean;
      switch (op) {
        case DW_OP.eq:
          c = x === y;
          break;
        case DW_OP.ne:
          c = x !== y;
          break;
        case DW_OP.lt:
          c = x < y;
          break;
        case DW_OP.le:
          c = x <= y;
          break;
        case DW_OP.gt:
          c = x > y;
          break;
        default:
          c = x >= y;
      }
      out = c ? 1n : 0n;
      resultType = 0;
    }
  }
  if (resultType === 0) m.push(r, out);
  else m.push(r, out, resultType, bits);
}
