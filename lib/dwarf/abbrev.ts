/**
 * Abbreviation tables (`.debug_abbrev`, DWARF 5 §7.5.3): per code, the tag,
 * whether the DIE has children, and its attribute specifications. Stored as
 * flat typed arrays so the indexer's inner loop touches no objects.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import type { Arena } from "./arena.ts";
import { DW_FORM } from "./constants.ts";

const EMPTY_F64 = new Float64Array(0);

const SECTION = ".debug_abbrev";

/** One parsed abbreviation table. Abbreviations are numbered 0…count-1 in table order. */
export class AbbrevTable {
  /** Offset of the table in `.debug_abbrev`. */
  readonly offset: number;
  /** Number of abbreviations. */
  readonly count: number;
  /** Tag of each abbreviation. */
  readonly tag: Uint16Array;
  /** 1 if DIEs of the abbreviation have children. */
  readonly hasChildren: Uint8Array;
  /** Attribute specs of abbreviation `i` are `attrStart[i]`…`attrStart[i + 1] - 1`. */
  readonly attrStart: Uint32Array;
  /** Attribute name of each spec. */
  readonly attrName: Uint16Array;
  /** Form of each spec. */
  readonly attrForm: Uint16Array;
  /** Values of the `DW_FORM_implicit_const` specs by spec index (NaN: see `#bigConst`). */
  readonly #implicitConst: Float64Array;
  readonly #bigConst: Map<number, bigint> | null;
  /** Abbreviation index + 1 by code, for codes below its length (0 = no such code). */
  readonly byCode: Int32Array;
  /** Codes too large for `byCode`. */
  readonly #sparse: Map<number, number> | null;
  /** Per-unit-shape caches (skip plans) owned by other modules. */
  readonly plans: Map<number, unknown> = new Map();

  constructor(
    offset: number,
    tag: Uint16Array,
    hasChildren: Uint8Array,
    attrStart: Uint32Array,
    attrName: Uint16Array,
    attrForm: Uint16Array,
    implicitConst: Float64Array,
    bigConst: Map<number, bigint> | null,
    byCode: Int32Array,
    sparse: Map<number, number> | null,
  ) {
    this.offset = offset;
    this.count = tag.length;
    this.tag = tag;
    this.hasChildren = hasChildren;
    this.attrStart = attrStart;
    this.attrName = attrName;
    this.attrForm = attrForm;
    this.#implicitConst = implicitConst;
    this.#bigConst = bigConst;
    this.byCode = byCode;
    this.#sparse = sparse;
  }

  /** The value of spec `i` if its form is `DW_FORM_implicit_const`, else 0n. */
  implicitConst(i: number): bigint {
    return implicitConstOf(this.#implicitConst, this.#bigConst, i);
  }

  /** {@link implicitConst} as a number (NaN if it does not fit). */
  implicitConstNumber(i: number): number {
    return implicitConstNumberOf(this.#implicitConst, this.#bigConst, i);
  }

  /** The abbreviation index for `code`, or -1 if the table has no such code. */
  indexOf(code: number): number {
    if (code < this.byCode.length) return this.byCode[code]! - 1;
    return this.#sparse?.get(code) ?? -1;
  }
}

/**
 * Decodes the SLEB128 implicit constant in `data[start, end)` into
 * `values[k]`; a value wider than 49 bits is stored as NaN and returned
 * exactly (64-bit), else null is returned.
 */
export function implicitConstAt(
  data: Uint8Array,
  start: number,
  end: number,
  values: Float64Array,
  k: number,
): bigint | null {
  if (end - start <= 7) {
    let value = 0;
    let mul = 1;
    for (let q = start; q < end; q++) {
      value += (data[q]! & 0x7f) * mul;
      mul *= 128;
    }
    if (data[end - 1]! & 0x40) value -= mul;
    values[k] = value;
    return null;
  }
  let big = 0n;
  let shift = 0n;
  for (let q = start; q < end; q++) {
    big |= BigInt(data[q]! & 0x7f) << shift;
    shift += 7n;
  }
  if (data[end - 1]! & 0x40) big -= 1n << shift;
  values[k] = NaN;
  return BigInt.asIntN(64, big);
}

/** Value `i` of implicit constants stored by {@link implicitConstAt}. */
export function implicitConstOf(
  values: Float64Array,
  bigs: Map<number, bigint> | null,
  i: number,
): bigint {
  const v = values[i] ?? 0;
  return v === v ? BigInt(v) : bigs?.get(i) ?? 0n;
}

/** {@link implicitConstOf} as a number (NaN if it does not fit). */
export function implicitConstNumberOf(
  values: Float64Array,
  bigs: Map<number, bigint> | null,
  i: number,
): number {
  const v = values[i] ?? 0;
  return v === v ? v : Number(bigs?.get(i) ?? 0n);
}

/**
 * Parses the abbreviation table at `offset` of `.debug_abbrev`. Throws a
 * {@link DecodeError} naming `.debug_abbrev` and the offset of the bad entry.
 */
export function parseAbbrevTable(
  data: Uint8Array,
  offset: number,
  arena?: Arena,
): AbbrevTable {
  if (offset < 0 || offset >= data.length) {
    throw new DecodeError(SECTION, offset, "abbreviation table offset out of bounds");
  }
  // Pass 1: validate and count (no allocation).
  const end = data.length;
  let pos = offset;
  let nAbbrev = 0;
  let nSpec = 0;
  let nImplicit = 0;
  let maxCode = 0;
  for (;;) {
    const entryStart = pos;
    let code = 0;
    let mul = 1;
    let b: number;
    do {
      if (pos >= end) throw new DecodeError(SECTION, entryStart, "unterminated abbreviation table");
      b = data[pos++]!;
      code += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (code === 0) break;
    if (code > Number.MAX_SAFE_INTEGER) {
      throw new DecodeError(SECTION, entryStart, "abbreviation code too large");
    }
    if (code > maxCode) maxCode = code;
    let tag = 0;
    mul = 1;
    do {
      if (pos >= end) throw new DecodeError(SECTION, entryStart, "truncated abbreviation");
      b = data[pos++]!;
      tag += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (tag > 0xffff || tag === 0) {
      throw new DecodeError(SECTION, entryStart, `invalid tag 0x${tag.toString(16)}`);
    }
    if (pos >= end) throw new DecodeError(SECTION, pos, "truncated abbreviation");
    const ch = data[pos++]!;
    if (ch > 1) throw new DecodeError(SECTION, pos - 1, `invalid DW_CHILDREN value ${ch}`);
    nAbbrev++;
    for (;;) {
      const specStart = pos;
      let name = 0;
      mul = 1;
      do {
        if (pos >= end) throw new DecodeError(SECTION, specStart, "truncated attribute spec");
        b = data[pos++]!;
        name += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      let form = 0;
      mul = 1;
      do {
        if (pos >= end) throw new DecodeError(SECTION, specStart, "truncated attribute spec");
        b = data[pos++]!;
        form += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      if (name === 0 && form === 0) break;
      if (name === 0 || name > 0xffff) {
        throw new DecodeError(SECTION, specStart, `invalid attribute name 0x${name.toString(16)}`);
      }
      if (form > 0xffff || form === 0) {
        throw new DecodeError(SECTION, specStart, `invalid form 0x${form.toString(16)}`);
      }
      if (form === DW_FORM.implicit_const) {
        const c = pos;
        do {
          if (pos >= end) throw new DecodeError(SECTION, c, "unterminated LEB128");
          b = data[pos++]!;
        } while (b & 0x80);
        if (pos - c > 10) throw new DecodeError(SECTION, c, "LEB128 value too large");
        nImplicit++;
      }
      nSpec++;
    }
  }

  // Pass 2: fill typed arrays.
  const tag = arena ? arena.u16(nAbbrev) : new Uint16Array(nAbbrev);
  const hasChildren = arena ? arena.u8(nAbbrev) : new Uint8Array(nAbbrev);
  const attrStart = arena ? arena.u32(nAbbrev + 1) : new Uint32Array(nAbbrev + 1);
  const attrName = arena ? arena.u16(nSpec) : new Uint16Array(nSpec);
  const attrForm = arena ? arena.u16(nSpec) : new Uint16Array(nSpec);
  const implicitConst = nImplicit === 0
    ? EMPTY_F64
    : arena
    ? arena.f64(nSpec)
    : new Float64Array(nSpec);
  let bigConst: Map<number, bigint> | null = null;
  const denseLimit = Math.min(maxCode, nAbbrev * 4 + 1024);
  const byCode = arena ? arena.i32(denseLimit + 1) : new Int32Array(denseLimit + 1);
  let sparse: Map<number, number> | null = null;
  pos = offset;
  let k = 0;
  for (let a = 0; a < nAbbrev; a++) {
    let code = 0;
    let mul = 1;
    let b: number;
    do {
      b = data[pos++]!;
      code += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    let t = 0;
    mul = 1;
    do {
      b = data[pos++]!;
      t += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    tag[a] = t;
    hasChildren[a] = data[pos++]!;
    attrStart[a] = k;
    if (code <= denseLimit) {
      if (byCode[code] === 0) byCode[code] = a + 1;
    } else {
      sparse ??= new Map();
      if (!sparse.has(code)) sparse.set(code, a);
    }
    for (;;) {
      let name = 0;
      mul = 1;
      do {
        b = data[pos++]!;
        name += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      let form = 0;
      mul = 1;
      do {
        b = data[pos++]!;
        form += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      if (name === 0 && form === 0) break;
      attrName[k] = name;
      attrForm[k] = form;
      if (form === DW_FORM.implicit_const) {
        const c = pos;
        do b = data[pos++]!; while (b & 0x80);
        const big = implicitConstAt(data, c, pos, implicitConst, k);
        if (big !== null) (bigConst ??= new Map()).set(k, big);
      }
      k++;
    }
  }
  attrStart[nAbbrev] = k;
  return new AbbrevTable(
    offset,
    tag,
    hasChildren,
    attrStart,
    attrName,
    attrForm,
    implicitConst,
    bigConst,
    byCode,
    sparse,
  );
}

/** An abbreviation code for an error message (a garbage ULEB128 can exceed 2^53). */
export function abbrevCodeText(code: number): string {
  return Number.isSafeInteger(code) ? String(code) : "(too large: corrupt data?)";
}
