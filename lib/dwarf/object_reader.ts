/**
 * DIE → object descriptors: what the Program needs to build a variable,
 * function or enumerator constant (type, address, location expression,
 * constant value). Addresses include the file's load bias.
 *
 * @module
 */

import type { Type } from "../types/type.ts";
import { DW_AT, DW_FORM, DW_OP } from "./constants.ts";
import type { Die, DieReader, DieRef } from "./die.ts";
import { dieRanges } from "./ranges.ts";
import type { TypeReader } from "./type_reader.ts";
import type { DwarfUnit } from "./unit.ts";

/** A variable found in DWARF. */
export interface DwarfVariable {
  readonly kind: "variable";
  readonly name: string;
  readonly type: Type;
  /** Static address (`DW_OP_addr`/`DW_OP_addrx` plus the bias), or null. */
  readonly address: bigint | null;
  /**
   * The location expression when it is not a plain address (TLS:
   * `DW_OP_form_tls_address`, `DW_OP_GNU_push_tls_address`; anything else
   * the Program evaluates). Absent for plain addresses.
   */
  readonly locationExpr?: Uint8Array;
  /** Offset of a location list (`.debug_loclists`/`.debug_loc`) when the location is one. */
  readonly locationList?: number;
  /** `DW_AT_const_value`: an integer, or the bytes of a block/string form. */
  readonly constValue?: bigint | Uint8Array;
  /** True if only a declaration was found (no location, no value). */
  readonly isDeclaration: boolean;
  /** True for a function-scope static. */
  readonly isLocalStatic: boolean;
  /** The variable's DIE. */
  readonly die: DieRef;
  /** The unit of the DIE (address size, DWARF version, for evaluating `locationExpr`). */
  readonly unit: DwarfUnit;
}

/** A function found in DWARF. */
export interface DwarfFunction {
  readonly kind: "function";
  readonly name: string;
  /** The function type. */
  readonly type: Type;
  /** Entry address (`DW_AT_low_pc`, or the start of the first range, plus the bias), or null. */
  readonly address: bigint | null;
  readonly die: DieRef;
}

/** An enumerator found in DWARF. */
export interface DwarfConstant {
  readonly kind: "constant";
  readonly name: string;
  /** The enum type the enumerator belongs to. */
  readonly type: Type;
  readonly value: bigint;
  readonly die: DieRef;
}

/** Any object descriptor. */
export type DwarfObject = DwarfVariable | DwarfFunction | DwarfConstant;

/** Builds object descriptors from DIEs. */
export class ObjectReader {
  readonly #reader: DieReader;
  readonly #types: TypeReader;
  readonly #bias: bigint;

  constructor(reader: DieReader, types: TypeReader, bias: bigint) {
    this.#reader = reader;
    this.#types = types;
    this.#bias = bias;
  }

  /** Follows `DW_AT_specification` / `DW_AT_abstract_origin` to the DIE that has `at`. */
  #withAttr(die: Die, at: number): Die | null {
    let d = die;
    for (let hop = 0; hop < 8; hop++) {
      if (d.has(at)) return d;
      const next = d.ref(DW_AT.specification) ?? d.ref(DW_AT.abstract_origin);
      if (next === null) return null;
      d = this.#reader.die(next);
    }
    return null;
  }

  /** A variable descriptor for the `DW_TAG_variable` at `ref`. */
  variable(ref: DieRef, name: string, isLocalStatic = false): DwarfVariable {
    const die = this.#reader.die(ref);
    const typeDie = this.#withAttr(die, DW_AT.type);
    const type = typeDie === null
      ? this.#types.void()
      : this.#types.typeFromDie(typeDie.ref(DW_AT.type)!);
    let address: bigint | null = null;
    let locationExpr: Uint8Array | undefined;
    let locationList: number | undefined;
    let constValue: bigint | Uint8Array | undefined;
    const form = die.formOf(DW_AT.location);
    if (form === DW_FORM.sec_offset || form === DW_FORM.loclistx) {
      locationList = die.secOffset(DW_AT.location)!;
    } else if (form === DW_FORM.data4 || form === DW_FORM.data8) {
      locationList = die.udata(DW_AT.location)!; // DWARF 2–3 location list pointer.
    } else if (form >= 0) {
      const expr = die.block(DW_AT.location)!;
      const a = staticAddress(die, expr);
      if (a !== null) address = a + this.#bias;
      else if (expr.length > 0) locationExpr = expr;
    }
    const cvDie = this.#withAttr(die, DW_AT.const_value);
    if (cvDie !== null) constValue = constValueOf(cvDie);
    const isDeclaration = die.flag(DW_AT.declaration);
    const v: DwarfVariable = {
      kind: "variable",
      name,
      type,
      address,
      isDeclaration,
      isLocalStatic,
      die: ref,
      unit: die.unit,
    };
    const extra: {
      locationExpr?: Uint8Array;
      locationList?: number;
      constValue?: bigint | Uint8Array;
    } = {};
    if (locationExpr !== undefined) extra.locationExpr = locationExpr;
    if (locationList !== undefined) extra.locationList = locationList;
    if (constValue !== undefined) extra.constValue = constValue;
    return { ...v, ...extra };
  }

  /** A function descriptor for the `DW_TAG_subprogram` at `ref`. */
  function(ref: DieRef, name: string): DwarfFunction {
    const die = this.#reader.die(ref);
    const type = this.#types.typeFromDie(ref);
    let address: bigint | null = null;
    const entry = die.has(DW_AT.entry_pc) ? die.address(DW_AT.entry_pc) : null;
    if (entry !== null) {
      address = entry;
    } else {
      const ranges = dieRanges(die);
      if (ranges.length > 0) address = ranges[0]![0];
    }
    return {
      kind: "function",
      name,
      type,
      address: address === null ? null : address + this.#bias,
      die: ref,
    };
  }

  /** A constant descriptor for the `DW_TAG_enumerator` at `ref` of the enum at `enumRef`. */
  enumerator(ref: DieRef, enumRef: DieRef, name: string): DwarfConstant {
    const type = this.#types.typeFromDie(enumRef);
    const e = type.core.enumerators?.find((x) => x.name === name);
    let value: bigint;
    if (e !== undefined) {
      value = e.value;
    } else {
      // The enum resolved to another definition without this enumerator:
      // read the value from the DIE.
      const c = this.#reader.die(ref).constant(DW_AT.const_value);
      value = c === null ? 0n : c.value;
    }
    return { kind: "constant", name, type, value, die: ref };
  }
}

/** The address of a location expression that is exactly `DW_OP_addr`/`DW_OP_addrx`, else null. */
export function staticAddress(die: Die, expr: Uint8Array): bigint | null {
  if (expr.length === 0) return null;
  const op = expr[0]!;
  const size = die.unit.addressSize;
  if (op === DW_OP.addr && expr.length === 1 + size) {
    const v = new DataView(expr.buffer, expr.byteOffset, expr.byteLength);
    const le = die.reader.littleEndian;
    return size === 8
      ? v.getBigUint64(1, le)
      : BigInt(size === 4 ? v.getUint32(1, le) : v.getUint16(1, le));
  }
  if (op === DW_OP.addrx || op === DW_OP.GNU_addr_index) {
    let idx = 0;
    let mul = 1;
    let p = 1;
    for (;;) {
      if (p >= expr.length) return null;
      const b = expr[p++]!;
      idx += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    if (p !== expr.length) return null;
    return die.reader.addrx(die.info, idx);
  }
  return null;
}

/**
 * A `DW_AT_const_value`: the bytes of a block or string form (strings with
 * their NUL), else the constant.
 */
export function constValueOf(die: Die): bigint | Uint8Array {
  const form = die.formOf(DW_AT.const_value);
  switch (form) {
    case DW_FORM.block1:
    case DW_FORM.block2:
    case DW_FORM.block4:
    case DW_FORM.block:
    case DW_FORM.exprloc:
      return die.block(DW_AT.const_value)!;
    case DW_FORM.string:
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.strx:
    case DW_FORM.strx1:
    case DW_FORM.strx2:
    case DW_FORM.strx3:
    case DW_FORM.strx4:
      return new TextEncoder().encode(die.string(DW_AT.const_value)! + "\0");
    default: {
      const c = die.constant(DW_AT.const_value)!;
      return c.value;
    }
  }
}
