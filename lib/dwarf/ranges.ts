/**
 * Address ranges of DIEs: `DW_AT_low_pc`/`DW_AT_high_pc`, `DW_AT_ranges`
 * through `.debug_rnglists` (DWARF 5) or `.debug_ranges` (DWARF 2–4), and
 * the `.debug_aranges` table that maps addresses to units.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { DW_AT, DW_FORM, DW_RLE, dwName } from "./constants.ts";
import type { Die, DieReader, UnitInfo } from "./die.ts";
import { ensureSection } from "./sections.ts";

/** A half-open address range `[start, end)` (unbiased). */
export type AddressRange = readonly [start: bigint, end: bigint];

/** Bounds-checked reads over a section for list decoding. */
class ListCursor {
  readonly d: Uint8Array;
  readonly v: DataView;
  readonly le: boolean;
  readonly name: string;
  pos: number;
  /** Bytes below this offset are read (the section may be lazy: see `ensureSection`). */
  valid: number;
  constructor(d: Uint8Array, pos: number, le: boolean, name: string) {
    this.d = d;
    this.v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    this.le = le;
    this.name = name;
    if (pos < 0 || pos >= d.length) throw new DecodeError(name, pos, "list offset out of bounds");
    this.pos = pos;
    this.valid = pos;
  }
  need(n: number): number {
    const p = this.pos;
    if (p + n > this.d.length) throw new DecodeError(this.name, p, "truncated list");
    if (p + n > this.valid) this.valid = ensureSection(this.d, p, p + n + 256);
    this.pos = p + n;
    return p;
  }
  u8(): number {
    return this.d[this.need(1)]!;
  }
  addr(size: number): bigint {
    const p = this.need(size);
    if (size === 8) return this.v.getBigUint64(p, this.le);
    if (size === 4) return BigInt(this.v.getUint32(p, this.le));
    return BigInt(this.v.getUint16(p, this.le));
  }
  uleb(): number {
    const start = this.pos;
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.d.length) throw new DecodeError(this.name, start, "unterminated LEB128");
      if (this.pos >= this.valid) this.valid = ensureSection(this.d, this.pos, this.pos + 256);
      const b = this.d[this.pos++]!;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
      if (mul > 2 ** 53) throw new DecodeError(this.name, start, "LEB128 value too large");
    }
    return v;
  }
}

/** Maximum entries read from one list (guards against cycles in corrupt data). */
const MAX_ENTRIES = 1 << 20;

/**
 * Reads the DWARF 5 range list at `offset` of `.debug_rnglists` for a unit.
 * `base` is the initial base address (the unit's `DW_AT_low_pc`).
 */
export function readRnglist(reader: DieReader, info: UnitInfo, offset: number): AddressRange[] {
  const data = reader.sections.rnglists;
  const name = ".debug_rnglists";
  if (data === undefined) throw new DecodeError(name, offset, "section is missing");
  const c = new ListCursor(data, offset, reader.littleEndian, name);
  const size = info.unit.addressSize;
  let base = info.lowPc;
  const out: AddressRange[] = [];
  const mask = size === 8 ? 0xffffffffffffffffn : size === 4 ? 0xffffffffn : 0xffffn;
  for (let n = 0; n < MAX_ENTRIES; n++) {
    const at = c.pos;
    const kind = c.u8();
    switch (kind) {
      case DW_RLE.end_of_list:
        return out;
      case DW_RLE.base_addressx:
        base = reader.addrx(info, c.uleb());
        break;
      case DW_RLE.startx_endx: {
        const s = reader.addrx(info, c.uleb());
        const e = reader.addrx(info, c.uleb());
        if (e > s) out.push([s, e]);
        break;
      }
      case DW_RLE.startx_length: {
        const s = reader.addrx(info, c.uleb());
        const len = BigInt(c.uleb());
        if (len > 0n) out.push([s, (s + len) & mask]);
        break;
      }
      case DW_RLE.offset_pair: {
        const s = BigInt(c.uleb());
        const e = BigInt(c.uleb());
        if (e > s) out.push([(base + s) & mask, (base + e) & mask]);
        break;
      }
      case DW_RLE.base_address:
        base = c.addr(size);
        break;
      case DW_RLE.start_end: {
        const s = c.addr(size);
        const e = c.addr(size);
        if (e > s) out.push([s, e]);
        break;
      }
      case DW_RLE.start_length: {
        const s = c.addr(size);
        const len = BigInt(c.uleb());
        if (len > 0n) out.push([s, (s + len) & mask]);
        break;
      }
      default:
        throw new DecodeError(name, at, `unknown range list entry ${dwName("DW_RLE", kind)}`);
    }
  }
  throw new DecodeError(name, offset, "range list does not terminate");
}

/** Reads the DWARF 2–4 range list at `offset` of `.debug_ranges`. */
export function readRangesV4(reader: DieReader, info: UnitInfo, offset: number): AddressRange[] {
  const data = reader.sections.ranges;
  const name = ".debug_ranges";
  if (data === undefined) throw new DecodeError(name, offset, "section is missing");
  const c = new ListCursor(data, offset, reader.littleEndian, name);
  const size = info.unit.addressSize;
  const max = size === 8 ? 0xffffffffffffffffn : size === 4 ? 0xffffffffn : 0xffffn;
  let base = info.lowPc;
  const out: AddressRange[] = [];
  for (let n = 0; n < MAX_ENTRIES; n++) {
    const s = c.addr(size);
    const e = c.addr(size);
    if (s === 0n && e === 0n) return out;
    if (s === max) {
      base = e;
      continue;
    }
    if (e > s) out.push([(base + s) & max, (base + e) & max]);
  }
  throw new DecodeError(name, offset, "range list does not terminate");
}

/**
 * The address ranges of a DIE (`DW_AT_low_pc` + `DW_AT_high_pc`, or
 * `DW_AT_ranges`), unbiased and in list order; empty if it has neither.
 */
export function dieRanges(die: Die): AddressRange[] {
  const reader = die.reader;
  if (die.has(DW_AT.ranges)) {
    const off = die.secOffset(DW_AT.ranges)!;
    // DW_FORM_rnglistx offsets are already absolute; DW_FORM_sec_offset too.
    return die.unit.version >= 5
      ? readRnglist(reader, die.info, off)
      : readRangesV4(reader, die.info, off);
  }
  const lo = die.address(DW_AT.low_pc);
  if (lo === null) return [];
  const form = die.formOf(DW_AT.high_pc);
  if (form < 0) return [[lo, lo + 1n]];
  let hi: bigint;
  if (
    form === DW_FORM.addr || form === DW_FORM.addrx || form === DW_FORM.addrx1 ||
    form === DW_FORM.addrx2 || form === DW_FORM.addrx3 || form === DW_FORM.addrx4 ||
    form === DW_FORM.GNU_addr_index
  ) {
    hi = die.address(DW_AT.high_pc)!;
  } else {
    hi = lo + die.constant(DW_AT.high_pc)!.value;
  }
  return hi > lo ? [[lo, hi]] : [];
}

/** `.debug_aranges`: sorted address ranges with the `.debug_info` offset of their unit. */
export class ArangeTable {
  readonly start: BigUint64Array;
  readonly end: BigUint64Array;
  readonly unitOffset: Float64Array;

  constructor(start: BigUint64Array, end: BigUint64Array, unitOffset: Float64Array) {
    this.start = start;
    this.end = end;
    this.unitOffset = unitOffset;
  }

  /** The `.debug_info` offset of the unit covering `address`, or -1. */
  lookup(address: bigint): number {
    let lo = 0;
    let hi = this.start.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.start[mid]! <= address) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best < 0 || address >= this.end[best]!) return -1;
    return this.unitOffset[best]!;
  }
}

/** Parses `.debug_aranges` (versions 2 and 3 of the table header). */
export function parseAranges(data: Uint8Array, littleEndian: boolean): ArangeTable {
  const name = ".debug_aranges";
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const rows: { s: bigint; e: bigint; u: number }[] = [];
  let pos = 0;
  while (pos + 4 <= data.length) {
    const start = pos;
    let len = v.getUint32(pos, littleEndian);
    pos += 4;
    let is64 = false;
    if (len === 0xffffffff) {
      if (pos + 8 > data.length) throw new DecodeError(name, start, "truncated header");
      len = Number(v.getBigUint64(pos, littleEndian));
      pos += 8;
      is64 = true;
    }
    const end = pos + len;
    if (end > data.length || len < 8) throw new DecodeError(name, start, "bad set length");
    const version = v.getUint16(pos, littleEndian);
    if (version !== 2 && version !== 3) {
      throw new DecodeError(name, start, `unsupported version ${version}`);
    }
    pos += 2;
    const unitOffset = is64
      ? Number(v.getBigUint64(pos, littleEndian))
      : v.getUint32(pos, littleEndian);
    pos += is64 ? 8 : 4;
    if (pos + 2 > end) throw new DecodeError(name, start, "truncated header");
    const addrSize = data[pos]!;
    const segSize = data[pos + 1]!;
    pos += 2;
    if (addrSize !== 4 && addrSize !== 8) {
      throw new DecodeError(name, start, `unsupported address size ${addrSize}`);
    }
    const tuple = 2 * addrSize + segSize;
    // Tuples start at a multiple of the tuple size from the set start.
    const rel = pos - start;
    pos = start + Math.ceil(rel / tuple) * tuple;
    const rd = (p: number) =>
      addrSize === 8 ? v.getBigUint64(p, littleEndian) : BigInt(v.getUint32(p, littleEndian));
    while (pos + tuple <= end) {
      const a = rd(pos + segSize);
      const l = rd(pos + segSize + addrSize);
      pos += tuple;
      if (a === 0n && l === 0n) break;
      if (l > 0n) rows.push({ s: a, e: a + l, u: unitOffset });
    }
    pos = end;
  }
  rows.sort((x, y) => (x.s < y.s ? -1 : x.s > y.s ? 1 : 0));
  const n = rows.length;
  const s = new BigUint64Array(n);
  const e = new BigUint64Array(n);
  const u = new Float64Array(n);
  rows.forEach((r, i) => {
    s[i] = r.s;
    e[i] = r.e;
    u[i] = r.u;
  });
  return new ArangeTable(s, e, u);
}
