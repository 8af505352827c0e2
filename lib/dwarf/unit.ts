/**
 * Unit headers of `.debug_info` (DWARF 2–5, 32- and 64-bit formats, every
 * `DW_UT_*` unit type) and `.debug_types` (DWARF 4 type units).
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { DW_UT } from "./constants.ts";

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
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const units: DwarfUnit[] = [];
  let pos = 0;
  const need = (at: number, n: number): void => {
    if (at + n > data.length) {
      throw new DecodeError(name, at, `truncated unit header (need ${n} bytes)`);
    }
  };
  const u16 = (at: number): number => (need(at, 2), view.getUint16(at, littleEndian));
  const u32 = (at: number): number => (need(at, 4), view.getUint32(at, littleEndian));
  const u64n = (at: number): number => {
    need(at, 8);
    const lo = view.getUint32(at + (littleEndian ? 0 : 4), littleEndian);
    const hi = view.getUint32(at + (littleEndian ? 4 : 0), littleEndian);
    if (hi > 0x1fffff) throw new DecodeError(name, at, "64-bit offset too large");
    return hi * 0x100000000 + lo;
  };
  const u64 = (at: number): bigint => (need(at, 8), view.getBigUint64(at, littleEndian));
  const u8 = (at: number): number => (need(at, 1), data[at]!);

  while (pos < data.length) {
    const start = pos;
    // Padding between units (some linkers align them): skip zero bytes.
    if (data.length - pos < 4) {
      if (data.subarray(pos).every((b) => b === 0)) break;
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
