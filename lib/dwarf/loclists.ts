/**
 * Location lists: `.debug_loclists` (DWARF 5) and `.debug_loc` (DWARF 2–4,
 * including the GNU split-DWARF-less form gcc writes for `-gdwarf-4`).
 * Decoding only: the expressions are evaluated elsewhere.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { DW_AT, DW_FORM, DW_LLE, dwName } from "./constants.ts";
import type { Die, UnitInfo } from "./die.ts";
import { ensureSection } from "./sections.ts";

/** One entry of a location list: where `[start, end)` (unbiased) the location is `expr`. */
export interface LocationListEntry {
  readonly start: bigint;
  readonly end: bigint;
  /** The DWARF expression (a view of the section bytes). */
  readonly expr: Uint8Array;
}

/** A location list's default location (`DW_LLE_default_location`) is reported with start 0, end 2^64-1. */
const ALL = 0xffffffffffffffffn;
const MAX_ENTRIES = 1 << 20;

interface Cursor {
  d: Uint8Array;
  v: DataView;
  pos: number;
  name: string;
  le: boolean;
  /** Bytes below this offset are read (the section may be lazy: see `ensureSection`). */
  valid: number;
}

function need(c: Cursor, n: number): number {
  const p = c.pos;
  if (p + n > c.d.length) throw new DecodeError(c.name, p, "truncated location list");
  if (p + n > c.valid) c.valid = ensureSection(c.d, p, p + n + 256);
  c.pos = p + n;
  return p;
}

function uleb(c: Cursor): number {
  const start = c.pos;
  let v = 0;
  let mul = 1;
  for (;;) {
    if (c.pos >= c.d.length) throw new DecodeError(c.name, start, "unterminated LEB128");
    if (c.pos >= c.valid) c.valid = ensureSection(c.d, c.pos, c.pos + 256);
    const b = c.d[c.pos++]!;
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return v;
    mul *= 128;
    if (mul > 2 ** 53) throw new DecodeError(c.name, start, "LEB128 value too large");
  }
}

function addr(c: Cursor, size: number): bigint {
  const p = need(c, size);
  if (size === 8) return c.v.getBigUint64(p, c.le);
  if (size === 4) return BigInt(c.v.getUint32(p, c.le));
  return BigInt(c.v.getUint16(p, c.le));
}

function bytes(c: Cursor, n: number): Uint8Array {
  const p = need(c, n);
  return c.d.subarray(p, p + n);
}

/** Reads the DWARF 5 location list at `offset` of `.debug_loclists`. */
export function readLoclist(info: UnitInfo, offset: number, die: Die): LocationListEntry[] {
  const reader = die.reader;
  const d = reader.sections.loclists;
  const name = ".debug_loclists";
  if (d === undefined) throw new DecodeError(name, offset, "section is missing");
  if (offset < 0 || offset >= d.length) throw new DecodeError(name, offset, "offset out of bounds");
  const c: Cursor = {
    d,
    v: new DataView(d.buffer, d.byteOffset, d.byteLength),
    pos: offset,
    name,
    le: reader.littleEndian,
    valid: offset,
  };
  const size = info.unit.addressSize;
  const mask = size === 8 ? ALL : size === 4 ? 0xffffffffn : 0xffffn;
  let base = info.lowPc;
  const out: LocationListEntry[] = [];
  for (let n = 0; n < MAX_ENTRIES; n++) {
    const at = c.pos;
    const kind = c.d[need(c, 1)]!;
    let s: bigint;
    let e: bigint;
    switch (kind) {
      case DW_LLE.end_of_list:
        return out;
      case DW_LLE.base_addressx:
        base = reader.addrx(info, uleb(c));
        continue;
      case DW_LLE.base_address:
        base = addr(c, size);
        continue;
      case DW_LLE.startx_endx:
        s = reader.addrx(info, uleb(c));
        e = reader.addrx(info, uleb(c));
        break;
      case DW_LLE.startx_length:
        s = reader.addrx(info, uleb(c));
        e = (s + BigInt(uleb(c))) & mask;
        break;
      case DW_LLE.offset_pair:
        s = (base + BigInt(uleb(c))) & mask;
        e = (base + BigInt(uleb(c))) & mask;
        break;
      case DW_LLE.default_location:
        s = 0n;
        e = ALL;
        break;
      case DW_LLE.start_end:
        s = addr(c, size);
        e = addr(c, size);
        break;
      case DW_LLE.start_length:
        s = addr(c, size);
        e = (s + BigInt(uleb(c))) & mask;
        break;
      default:
        throw new DecodeError(name, at, `unknown location list entry ${dwName("DW_LLE", kind)}`);
    }
    const expr = bytes(c, uleb(c));
    if (e > s) out.push({ start: s, end: e, expr });
  }
  throw new DecodeError(name, offset, "location list does not terminate");
}

/** Reads the DWARF 2–4 location list at `offset` of `.debug_loc`. */
export function readLocV4(info: UnitInfo, offset: number, die: Die): LocationListEntry[] {
  const reader = die.reader;
  const d = reader.sections.loc;
  const name = ".debug_loc";
  if (d === undefined) throw new DecodeError(name, offset, "section is missing");
  if (offset < 0 || offset >= d.length) throw new DecodeError(name, offset, "offset out of bounds");
  const c: Cursor = {
    d,
    v: new DataView(d.buffer, d.byteOffset, d.byteLength),
    pos: offset,
    name,
    le: reader.littleEndian,
    valid: offset,
  };
  const size = info.unit.addressSize;
  const max = size === 8 ? ALL : size === 4 ? 0xffffffffn : 0xffffn;
  let base = info.lowPc;
  const out: LocationListEntry[] = [];
  for (let n = 0; n < MAX_ENTRIES; n++) {
    const s = addr(c, size);
    const e = addr(c, size);
    if (s === 0n && e === 0n) return out;
    if (s === max) {
      base = e;
      continue;
    }
    const expr = bytes(c, c.v.getUint16(need(c, 2), c.le));
    if (e > s) out.push({ start: (base + s) & max, end: (base + e) & max, expr });
  }
  throw new DecodeError(name, offset, "location list does not terminate");
}

/**
 * The location of a DIE's attribute `at` (default `DW_AT_location`) as a
 * list: a single expression gives one entry covering every address; a
 * location list is decoded; null if the attribute is absent.
 */
export function locationList(die: Die, at: number = DW_AT.location): LocationListEntry[] | null {
  const form = die.formOf(at);
  if (form < 0) return null;
  if (
    form === DW_FORM.sec_offset || form === DW_FORM.loclistx ||
    (die.unit.version <= 3 && (form === DW_FORM.data4 || form === DW_FORM.data8))
  ) {
    const off = die.secOffset(at)!;
    return die.unit.version >= 5 ? readLoclist(die.info, off, die) : readLocV4(die.info, off, die);
  }
  return [{ start: 0n, end: ALL, expr: die.block(at)! }];
}
