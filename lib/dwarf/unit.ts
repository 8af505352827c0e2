/**
 * Unit headers of `.debug_info` (DWARF 2–5, 32- and 64-bit formats, every
 * `DW_UT_*` unit type) and `.debug_types` (DWARF 4 type units).
 *
 * @module
 */

import { HOST_LITTLE_ENDIAN } from "../binary/byte_reader.ts";
import { DecodeError } from "../errors.ts";
import { DW_UT } from "./constants.ts";
import { peekSection, peeksFromFile, sectionReleaser } from "./sections.ts";

/** Longest unit header (64-bit DWARF type unit). */
const MAX_HEADER = 40;
/** Bytes of a mapped section walked between releases of its pages. */
const RELEASE_BYTES = 4 << 20;

/** Which section a unit lives in. */
export type UnitSection = "info" | "types";

/** A unit header and the layout facts every DIE of the unit depends on. */
export interface DwarfUnit {
  /** Position in the file's unit list (`.debug_info` units first, then `.debug_types`). */
  readonly index: number;
  /** The section holding the unit. */
  readonly section: UnitSection;
  /** Offset of the unit header in its section. */
  readonly offset: number;
  /** Offset of the first DIE (the unit DIE). */
  readonly dieOffset: number;
  /** Offset just past the unit. */
  readonly end: number;
  /** DWARF version (2–5). */
  readonly version: number;
  /**
   * Unit type: a `DW_UT` value. DWARF 2–4 `.debug_info` units are
   * `DW_UT.compile`; `.debug_types` units are `DW_UT.type`.
   */
  readonly unitType: number;
  /** True for the 64-bit DWARF format. */
  readonly is64: boolean;
  /** 4 or 8: the size of section offsets in this unit. */
  readonly offsetSize: number;
  /** Size of a target address. */
  readonly addressSize: number;
  /** Offset of the unit's abbreviation table in `.debug_abbrev`. */
  readonly abbrevOffset: number;
  /** Type signature (type units), else 0n. */
  readonly typeSignature: bigint;
  /** Section offset of the type DIE (type units), else 0. */
  readonly typeOffset: number;
  /** DWO id (skeleton and split compile units), else 0n. */
  readonly dwoId: bigint;
}

/** Section name for messages. */
export function unitSectionName(section: UnitSection): string {
  return section === "info" ? ".debug_info" : ".debug_types";
}

/**
 * Parses every unit header of a section. `firstIndex` numbers the units.
 * Throws a {@link DecodeError} naming the section and the offset of the bad
 * header (truncated unit, unsupported version, bad address size).
 */
export function parseUnitHeaders(
  data: Uint8Array,
  section: UnitSection,
  littleEndian: boolean,
  firstIndex = 0,
): DwarfUnit[] {
  const name = unitSectionName(section);
  // A lazily read or mapped section: read each header alone from the file
  // (reading the unit table must not make the whole section resident, nor
  // fault in the pages around every header).
  const lazy = peeksFromFile(data);
  let buf = data;
  let base = 0;
  let view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const units: DwarfUnit[] = [];
  let pos = 0;
  const need = (at: number, n: number): void => {
    if (at + n > data.length) {
      throw new DecodeError(name, at, `truncated unit header (need ${n} bytes)`);
    }
  };
  const u16 = (at: number): number => (need(at, 2), view.getUint16(at - base, littleEndian));
  const u32 = (at: number): number => (need(at, 4), view.getUint32(at - base, littleEndian));
  const u64n = (at: number): number => {
    need(at, 8);
    const lo = view.getUint32(at - base + (littleEndian ? 0 : 4), littleEndian);
    const hi = view.getUint32(at - base + (littleEndian ? 4 : 0), littleEndian);
    if (hi > 0x1fffff) throw new DecodeError(name, at, "64-bit offset too large");
    return hi * 0x100000000 + lo;
  };
  const u64 = (at: number): bigint => (need(at, 8), view.getBigUint64(at - base, littleEndian));
  const u8 = (at: number): number => (need(at, 1), buf[at - base]!);

  // A mapped section read in place: touching each header maps the pages
  // around it too (the kernel's fault-around); they are dropped as the walk
  // goes on.
  const release = lazy ? null : sectionReleaser(data);
  let released = 0;
  while (pos < data.length) {
    const start = pos;
    if (release !== null && pos - released >= RELEASE_BYTES) {
      release(released, pos);
      released = pos;
    }
    if (lazy) {
      buf = peekSection(data, pos, pos + MAX_HEADER);
      base = pos;
      view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    // Padding between units (some linkers align them): skip zero bytes.
    if (data.length - pos < 4) {
      if (buf.subarray(pos - base).every((b) => b === 0)) break;
    }
    let length = u32(pos);
    let is64 = false;
    let p = pos + 4;
    if (length === 0xffffffff) {
      length = u64n(p);
      p += 8;
      is64 = true;
    } else if (length >= 0xfffffff0) {
      throw new DecodeError(name, start, `reserved unit length 0x${length.toString(16)}`);
    }
    const end = p + length;
    if (end > data.length) {
      throw new DecodeError(
        name,
        start,
        `unit length 0x${length.toString(16)} runs past the end of the section`,
      );
    }
    const offsetSize = is64 ? 8 : 4;
    const off = (at: number): number => (is64 ? u64n(at) : u32(at));
    const version = u16(p);
    p += 2;
    if (version < 2 || version > 5) {
      throw new DecodeError(name, start, `unsupported DWARF version ${version}`);
    }
    let unitType: number = section === "types" ? DW_UT.type : DW_UT.compile;
    let addressSize: number;
    let abbrevOffset: number;
    let typeSignature = 0n;
    let typeOffset = 0;
    let dwoId = 0n;
    if (version === 5) {
      if (section === "types") {
        throw new DecodeError(name, start, "DWARF 5 unit in .debug_types");
      }
      unitType = u8(p);
      addressSize = u8(p + 1);
      abbrevOffset = off(p + 2);
      p += 2 + offsetSize;
      switch (unitType) {
        case DW_UT.compile:
        case DW_UT.partial:
          break;
        case DW_UT.skeleton:
        case DW_UT.split_compile:
          dwoId = u64(p);
          p += 8;
          break;
        case DW_UT.type:
        case DW_UT.split_type:
          typeSignature = u64(p);
          typeOffset = off(p + 8);
          p += 8 + offsetSize;
          break;
        default:
          throw new DecodeError(name, start + (is64 ? 14 : 6), `unknown unit type ${unitType}`);
      }
    } else {
      abbrevOffset = off(p);
      addressSize = u8(p + offsetSize);
      p += offsetSize + 1;
      if (section === "types") {
        typeSignature = u64(p);
        typeOffset = off(p + 8);
        p += 8 + offsetSize;
      }
    }
    if (addressSize !== 4 && addressSize !== 8 && addressSize !== 2) {
      throw new DecodeError(name, start, `unsupported address size ${addressSize}`);
    }
    if (p > end) throw new DecodeError(name, start, "unit header is longer than the unit");
    if (typeOffset !== 0) {
      typeOffset += start;
      if (typeOffset < p || typeOffset >= end) {
        throw new DecodeError(name, start, "type offset outside the unit");
      }
    }
    units.push({
      index: firstIndex + units.length,
      section,
      offset: start,
      dieOffset: p,
      end,
      version,
      unitType,
      is64,
      offsetSize,
      addressSize,
      abbrevOffset,
      typeSignature,
      typeOffset,
      dwoId,
    });
    pos = end;
  }
  if (release !== null) release(released, data.length);
  return units;
}

/**
 * Finds the unit containing section offset `offset` (binary search over
 * `units[from..to)`, which must be in section order). Returns -1 if none does.
 */
export function findUnitIndex(
  units: readonly DwarfUnit[],
  offset: number,
  from = 0,
  to = units.length,
): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const u = units[mid]!;
    if (offset < u.offset) hi = mid - 1;
    else if (offset >= u.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Format version of {@link serializeUnits}. */
export const UNIT_TABLE_VERSION = 1;

/** 32-bit words per unit in {@link serializeUnits}. */
const UNIT_WORDS = 15;

/**
 * A unit table as bytes (little-endian 32-bit words), for the on-disk
 * index cache: a warm start then needs no pass over the unit headers.
 */
export function serializeUnits(units: readonly DwarfUnit[]): Uint8Array {
  const out = new Uint8Array(units.length * UNIT_WORDS * 4);
  const v = new DataView(out.buffer);
  let p = 0;
  const put = (x: number) => {
    v.setUint32(p, x, true);
    p += 4;
  };
  for (const u of units) {
    put(u.section === "info" ? 0 : 1);
    put(u.offset);
    put(u.dieOffset);
    put(u.end);
    put(u.version);
    put(u.unitType);
    put(u.is64 ? 1 : 0);
    put(u.addressSize);
    put(u.abbrevOffset);
    put(Number(u.typeSignature & 0xffffffffn));
    put(Number(u.typeSignature >> 32n));
    put(u.typeOffset);
    put(Number(u.dwoId & 0xffffffffn));
    put(Number(u.dwoId >> 32n));
    put(0);
  }
  return out;
}

/** `bytes` (a multiple of 4 long) as little-endian 32-bit words. */
function littleEndianWords(bytes: Uint8Array): Uint32Array {
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  const out = new Uint32Array(bytes.length / 4);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = v.getUint32(i * 4, true);
  return out;
}

type UnitSizes = { info: number; types: number; abbrev: number };

const TABLE = "unit table";
const ROW_BYTES = UNIT_WORDS * 4;

/**
 * Unit `i` of a serialized table (its words at `p` of `w`), checked against
 * the section sizes and against the unit before it (`prevSection`,
 * `prevEnd`: section 0 and end 0 for the first): a {@link DecodeError}
 * (section `"unit table"`) for any value a reader could not rely on.
 */
function unitFromRow(
  w: Uint32Array,
  p: number,
  i: number,
  prevSection: number,
  prevEnd: number,
  sizes: UnitSizes,
): DwarfUnit {
  const sec = w[p]!;
  const offset = w[p + 1]!;
  const dieOffset = w[p + 2]!;
  const end = w[p + 3]!;
  const version = w[p + 4]!;
  const unitType = w[p + 5]!;
  const is64 = w[p + 6]!;
  const addressSize = w[p + 7]!;
  const abbrevOffset = w[p + 8]!;
  const sigLo = w[p + 9]!;
  const sigHi = w[p + 10]!;
  const typeOffset = w[p + 11]!;
  const dwoLo = w[p + 12]!;
  const dwoHi = w[p + 13]!;
  const pad = w[p + 14]!;
  let why: string | null = null;
  if (sec > 1 || sec < prevSection) why = "bad section";
  else {
    if (sec !== prevSection) prevEnd = 0;
    const size = sec === 0 ? sizes.info : sizes.types;
    if (offset < prevEnd || dieOffset <= offset || dieOffset > end || end > size) {
      why = "bounds out of order or outside the section";
    } else if (version < 2 || version > 5) why = "bad version";
    else if (is64 > 1 || pad !== 0) why = "bad flags";
    else if (addressSize !== 2 && addressSize !== 4 && addressSize !== 8) {
      why = "bad address size";
    } else if (abbrevOffset >= sizes.abbrev) why = "abbreviation offset outside .debug_abbrev";
    else if (typeOffset !== 0 && (typeOffset < dieOffset || typeOffset >= end)) {
      why = "type offset outside the unit";
    } else if (dieOffset - offset > MAX_HEADER) why = "header too long";
  }
  if (why !== null) throw new DecodeError(TABLE, p * 4, `unit ${i}: ${why}`);
  return {
    index: i,
    section: sec === 0 ? "info" : "types",
    offset,
    dieOffset,
    end,
    version,
    unitType,
    is64: is64 === 1,
    offsetSize: is64 === 1 ? 8 : 4,
    addressSize,
    abbrevOffset,
    typeSignature: sigHi === 0 && sigLo === 0 ? 0n : (BigInt(sigHi) << 32n) | BigInt(sigLo),
    typeOffset,
    dwoId: dwoHi === 0 && dwoLo === 0 ? 0n : (BigInt(dwoHi) << 32n) | BigInt(dwoLo),
  };
}

/**
 * Reads a unit table written by {@link serializeUnits}, checking it against
 * the section sizes: every value a reader relies on (bounds, order,
 * versions, sizes) is validated, so a damaged table gives a
 * {@link DecodeError} (section `"unit table"`), never units outside the
 * sections.
 */
export function deserializeUnits(bytes: Uint8Array, sizes: UnitSizes): DwarfUnit[] {
  if (bytes.length % ROW_BYTES !== 0) throw new DecodeError(TABLE, 0, "bad size");
  const n = bytes.length / ROW_BYTES;
  // Little-endian words, read through a word view (a copy when the table is
  // not 4-byte aligned in its buffer, or on a big-endian host).
  const w = littleEndianWords(bytes);
  const units: DwarfUnit[] = new Array(n);
  let prevSection = 0;
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    const u = unitFromRow(w, i * UNIT_WORDS, i, prevSection, prevEnd, sizes);
    units[i] = u;
    prevSection = u.section === "info" ? 0 : 1;
    prevEnd = u.end;
  }
  return units;
}

/**
 * The units of a file by number: an array, or a {@link LazyUnits} (whose
 * `at` throws a {@link DecodeError} for a damaged row).
 */
export interface Units {
  readonly length: number;
  at(i: number): DwarfUnit | undefined;
}

/**
 * A unit table written by {@link serializeUnits} (from the index cache),
 * read as it is used: unit `i` is made (and checked as
 * {@link deserializeUnits} checks it, against the unit before it) when
 * first asked for, after `ensure` has made the table's pages holding it
 * valid (the cache's page checksums). A warm start that reads a few
 * hundred DIEs reads a few pages of a kernel's 2,352 rows (140 KB), not
 * all of them. Methods throw a {@link DecodeError} for a damaged or
 * unreadable row. Made by {@link openUnitTable}.
 */
export class LazyUnits implements Units {
  readonly length: number;
  readonly #w: Uint32Array;
  readonly #sizes: UnitSizes;
  readonly #ensure: (start: number, end: number) => boolean;
  readonly #bytes: number;
  /** Per 4 KiB of the table: 1 once ensured. */
  readonly #ok: Uint8Array;
  readonly #units: (DwarfUnit | undefined)[];
  #infoCount = -1;
  #all: DwarfUnit[] | null = null;

  /** @internal Use {@link openUnitTable}. */
  constructor(
    words: Uint32Array,
    sizes: UnitSizes,
    ensure: (start: number, end: number) => boolean,
  ) {
    this.#w = words;
    this.#bytes = words.length * 4;
    this.length = words.length / UNIT_WORDS;
    this.#sizes = sizes;
    this.#ensure = ensure;
    this.#ok = new Uint8Array((this.#bytes >>> 12) + 1);
    this.#units = new Array(this.length);
  }

  /** The word index of row `i`, its bytes made valid first. */
  #row(i: number): number {
    const start = i * ROW_BYTES;
    const first = start >>> 12;
    const last = (start + ROW_BYTES - 1) >>> 12;
    if (this.#ok[first] === 0 || this.#ok[last] === 0) {
      // Whole 4 KiB pieces, so that a piece marked valid is all valid.
      if (!this.#ensure(first << 12, Math.min(this.#bytes, (last + 1) << 12))) {
        throw new DecodeError(TABLE, start, `unit ${i}: unreadable or damaged`);
      }
      this.#ok[first] = 1;
      this.#ok[last] = 1;
    }
    return i * UNIT_WORDS;
  }

  /** Unit `i` (undefined past the end). */
  at(i: number): DwarfUnit | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    const hit = this.#units[i];
    if (hit !== undefined) return hit;
    const p = this.#row(i);
    let prevSection = 0;
    let prevEnd = 0;
    if (i > 0) {
      const q = this.#row(i - 1);
      prevSection = this.#w[q]!;
      prevEnd = this.#w[q + 3]!;
    }
    const u = unitFromRow(this.#w, p, i, prevSection, prevEnd, this.#sizes);
    this.#units[i] = u;
    return u;
  }

  /**
   * The number of the unit in `[from, to)` (units of one section, in
   * order) whose bytes hold section offset `offset`, or -1.
   */
  find(offset: number, from: number, to: number): number {
    const w = this.#w;
    let lo = from;
    let hi = to - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.#row(mid);
      if (offset < w[p + 1]!) hi = mid - 1;
      else if (offset >= w[p + 3]!) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Number of `.debug_info` units (they come first). */
  get infoCount(): number {
    if (this.#infoCount < 0) {
      // Without a .debug_types section every unit is a .debug_info unit.
      let lo = 0;
      let hi = this.length;
      if (this.#sizes.types > 0) {
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.#w[this.#row(mid)] === 0) lo = mid + 1;
          else hi = mid;
        }
      } else lo = hi;
      this.#infoCount = lo;
    }
    return this.#infoCount;
  }

  /** Every unit (all rows read and checked). */
  all(): DwarfUnit[] {
    if (this.#all === null) {
      const out: DwarfUnit[] = new Array(this.length);
      for (let i = 0; i < this.length; i++) out[i] = this.at(i)!;
      this.#all = out;
    }
    return this.#all;
  }
}

/**
 * A unit table written by {@link serializeUnits}, read lazily where it can
 * be used in place (a {@link LazyUnits}: 4-byte aligned, little-endian
 * host), else whole (all of it ensured, then {@link deserializeUnits}).
 * `ensure(start, end)` makes bytes `[start, end)` of `bytes` valid, false
 * if they cannot be. Throws a {@link DecodeError} for a table of a bad size
 * or, read whole, a damaged one.
 */
export function openUnitTable(
  bytes: Uint8Array,
  sizes: UnitSizes,
  ensure: (start: number, end: number) => boolean,
): LazyUnits | DwarfUnit[] {
  if (bytes.length % ROW_BYTES !== 0) throw new DecodeError(TABLE, 0, "bad size");
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new LazyUnits(
      new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4),
      sizes,
      ensure,
    );
  }
  if (!ensure(0, bytes.length)) throw new DecodeError(TABLE, 0, "unreadable or damaged");
  return deserializeUnits(bytes, sizes);
}
