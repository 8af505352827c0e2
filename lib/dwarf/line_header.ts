/**
 * The file table of a line-number program header (`.debug_line`, DWARF 2–5):
 * enough to identify the file a `DW_AT_decl_file` index names. The indexer
 * uses it to recognize the same type definition repeated in many units
 * (every unit that includes a header repeats its types).
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { DW_FORM } from "./constants.ts";
import { ensureSection } from "./sections.ts";

const SECTION = ".debug_line";

/** `DW_LNCT_*` content types of DWARF 5 entry formats. */
export const DW_LNCT = {
  path: 0x1,
  directory_index: 0x2,
  timestamp: 0x3,
  size: 0x4,
  MD5: 0x5,
} as const;

/** Sections a file table may point into. */
export interface LineSections {
  line: Uint8Array;
  lineStr?: Uint8Array | undefined;
  str?: Uint8Array | undefined;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashRange(d: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ d[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Identity keys of the files of the line program at `offset`: entry `i` is a
 * 32-bit key of file `i`'s directory and name (equal paths written the same
 * way give equal keys in every unit; 0 for unused slots). DWARF 5 numbers
 * files from 0, earlier versions from 1. Throws a {@link DecodeError} for a
 * malformed header.
 */
export function lineFileKeys(
  s: LineSections,
  offset: number,
  littleEndian: boolean,
): Uint32Array {
  const d = s.line;
  if (offset < 0 || offset >= d.length) {
    throw new DecodeError(SECTION, offset, "line program offset out of bounds");
  }
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  // The section may be lazy: the fixed fields first, the header below.
  ensureSection(d, offset, offset + 64);
  let p = offset;
  const need = (n: number) => {
    if (p + n > end) throw new DecodeError(SECTION, p, "truncated line program header");
  };
  let end = d.length;
  const u8 = () => (need(1), d[p++]!);
  const u16 = () => (need(2), p += 2, v.getUint16(p - 2, littleEndian));
  const u32 = () => (need(4), p += 4, v.getUint32(p - 4, littleEndian));
  const u64n = () => {
    need(8);
    const lo = v.getUint32(p + (littleEndian ? 0 : 4), littleEndian);
    const hi = v.getUint32(p + (littleEndian ? 4 : 0), littleEndian);
    p += 8;
    if (hi > 0x1fffff) throw new DecodeError(SECTION, p - 8, "64-bit value too large");
    return hi * 0x100000000 + lo;
  };
  const uleb = () => {
    const start = p;
    let r = 0;
    let mul = 1;
    for (;;) {
      need(1);
      const b = d[p++]!;
      r += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return r;
      mul *= 128;
      if (mul > 2 ** 49) throw new DecodeError(SECTION, start, "LEB128 value too large");
    }
  };
  const cstr = () => {
    const start = p;
    const z = d.indexOf(0, p);
    if (z < 0 || z >= end) throw new DecodeError(SECTION, p, "unterminated string");
    p = z + 1;
    return hashRange(d, start, z) | 1;
  };

  let length = u32();
  let is64 = false;
  if (length === 0xffffffff) {
    length = u64n();
    is64 = true;
  } else if (length >= 0xfffffff0) {
    throw new DecodeError(SECTION, offset, "reserved unit length");
  }
  if (p + length > d.length) {
    throw new DecodeError(SECTION, offset, "line program runs past the end");
  }
  end = p + length;
  const version = u16();
  if (version < 2 || version > 5) {
    throw new DecodeError(SECTION, offset, `unsupported line table version ${version}`);
  }
  if (version >= 5) {
    u8(); // address_size
    u8(); // segment_selector_size
  }
  const headerLength = is64 ? u64n() : u32();
  const programStart = p + headerLength;
  if (programStart > end) {
    throw new DecodeError(SECTION, offset, "header length runs past the unit");
  }
  ensureSection(d, offset, programStart);
  u8(); // minimum_instruction_length
  if (version >= 4) u8(); // maximum_operations_per_instruction
  u8(); // default_is_stmt
  u8(); // line_base
  u8(); // line_range
  const opcodeBase = u8();
  need(Math.max(0, opcodeBase - 1));
  p += Math.max(0, opcodeBase - 1);
  end = programStart;

  if (version < 5) {
    const dirs: number[] = [0];
    while (d[p] !== 0) {
      need(1);
      dirs.push(cstr());
    }
    p++;
    const files: number[] = [0];
    while (p < end && d[p] !== 0) {
      const name = cstr();
      const dir = uleb();
      uleb();
      uleb();
      files.push(mix(dirs[dir] ?? dir, name));
    }
    return Uint32Array.from(files);
  }

  const strRef = (form: number): number => {
    switch (form) {
      case DW_FORM.string:
        return cstr();
      case DW_FORM.line_strp: {
        const off = is64 ? u64n() : u32();
        if (s.lineStr === undefined || off >= s.lineStr.length) {
          throw new DecodeError(SECTION, p - (is64 ? 8 : 4), "bad .debug_line_str offset");
        }
        return mix(0x4c53, off); // linker-merged: equal strings share an offset
      }
      case DW_FORM.strp: {
        const off = is64 ? u64n() : u32();
        return mix(0x5354, off);
      }
      default:
        throw new DecodeError(SECTION, p, `unsupported path form 0x${form.toString(16)}`);
    }
  };
  const skipForm = (form: number): number => {
    switch (form) {
      case DW_FORM.udata:
        return uleb();
      case DW_FORM.data1:
        return u8();
      case DW_FORM.data2:
        return u16();
      case DW_FORM.data4:
        return u32();
      case DW_FORM.data8:
        need(8);
        p += 8;
        return 0;
      case DW_FORM.data16:
        need(16);
        p += 16;
        return 0;
      case DW_FORM.block: {
        const n = uleb();
        need(n);
        p += n;
        return 0;
      }
      case DW_FORM.string:
      case DW_FORM.line_strp:
      case DW_FORM.strp:
        return strRef(form);
      default:
        throw new DecodeError(SECTION, p, `unsupported entry form 0x${form.toString(16)}`);
    }
  };
  const readFormats = (): number[] => {
    const n = u8();
    const f: number[] = [];
    for (let i = 0; i < n; i++) f.push(uleb(), uleb());
    return f;
  };
  const dirFormats = readFormats();
  const nDirs = uleb();
  if (nDirs > end - p) throw new DecodeError(SECTION, p, "too many directories");
  const dirs = new Uint32Array(nDirs);
  for (let i = 0; i < nDirs; i++) {
    for (let k = 0; k < dirFormats.length; k += 2) {
      const value = skipForm(dirFormats[k + 1]!);
      if (dirFormats[k] === DW_LNCT.path) dirs[i] = value;
    }
  }
  const fileFormats = readFormats();
  const nFiles = uleb();
  if (nFiles > end - p + 1) throw new DecodeError(SECTION, p, "too many files");
  const files = new Uint32Array(nFiles);
  for (let i = 0; i < nFiles; i++) {
    let name = 0;
    let dir = 0;
    for (let k = 0; k < fileFormats.length; k += 2) {
      const ct = fileFormats[k]!;
      const form = fileFormats[k + 1]!;
      if (ct === DW_LNCT.path) name = strRef(form);
      else if (ct === DW_LNCT.directory_index) dir = skipForm(form);
      else skipForm(form);
    }
    files[i] = mix(dirs[dir] ?? dir, name) || 1;
  }
  return files;
}
