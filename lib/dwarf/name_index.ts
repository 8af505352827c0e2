/**
 * The name index of one file: every global type, variable, function,
 * enumerator and namespace name (plus function-scope statics) mapped to its
 * DIEs. Built once per file by {@link buildNameIndex} (synchronously) or
 * `buildNameIndexParallel` (Web Workers), stored as typed-array columns
 * grouped into hash buckets, and serializable to one binary blob for the
 * on-disk cache.
 *
 * Names are never stored as strings: an entry keeps the offset of its name
 * in `.debug_str` (or `.debug_line_str`, or inline in the unit) and a hash
 * of the bytes; a lookup hashes the query's UTF-8 bytes and compares bytes.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import type { AbbrevTable } from "./abbrev.ts";
import {
  EntryBuffer,
  type EntryColumns,
  hashBytes,
  IndexKind,
  NAME_INLINE,
  NAME_LINE_STR,
  NAME_MASK,
  NAME_SHIFT,
  scanInfoChunked,
  scanUnits,
} from "./index_scan.ts";
import { type DwarfSections, ensureSection, fillSection, lazySectionReader } from "./sections.ts";
import type { DwarfUnit } from "./unit.ts";

export { IndexKind } from "./index_scan.ts";
export { FLAG_DECLARATION, FLAG_HAS_ADDRESS } from "./index_scan.ts";

/** Format version of {@link NameIndex.serialize}. */
export const INDEX_FORMAT_VERSION = 1;
const MAGIC = 0x58444e57; // "WNDX" little-endian

const encoder = new TextEncoder();
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const decoder = new TextDecoder();

/** Identifies the sections an index was built from (checked on deserialize). */
export interface IndexFingerprint {
  infoSize: number;
  abbrevSize: number;
  strSize: number;
  typesSize: number;
  unitCount: number;
}

/** A bitmask of {@link IndexKind}s: `1 << kind`. */
export function kindMask(...kinds: number[]): number {
  let m = 0;
  for (const k of kinds) m |= 1 << k;
  return m;
}

/** The hash-bucketed name index of one file. */
export class NameIndex {
  /** Number of entries. */
  readonly count: number;
  readonly die: Uint32Array;
  readonly unit: Uint32Array;
  readonly aux: Uint32Array;
  readonly nameOff: Uint32Array;
  readonly hash: Uint32Array;
  readonly kind: Uint8Array;
  readonly flags: Uint8Array;
  /**
   * Entries of bucket `b` are `bucketStart[b]`…`bucketStart[b + 1] - 1`; the
   * bucket count (a power of two) is `bucketStart.length - 1`.
   */
  readonly bucketStart: Uint32Array;
  readonly #mask: number;
  readonly #sections: DwarfSections;
  readonly #units: readonly DwarfUnit[];

  /** @internal Use {@link buildNameIndex}, {@link NameIndex.fromColumns} or {@link NameIndex.deserialize}. */
  constructor(
    sections: DwarfSections,
    units: readonly DwarfUnit[],
    cols: EntryColumns,
    bucketStart: Uint32Array,
  ) {
    this.#sections = sections;
    this.#units = units;
    this.count = cols.count;
    this.die = cols.die;
    this.unit = cols.unit;
    this.aux = cols.aux;
    this.nameOff = cols.nameOff;
    this.hash = cols.hash;
    this.kind = cols.kind;
    this.flags = cols.flags;
    this.bucketStart = bucketStart;
    this.#mask = bucketStart.length - 2;
  }

  /**
   * Groups scanned entries (in scan order) into hash buckets. Entries keep
   * their relative order within a bucket, so lookups see them in unit order.
   */
  static fromColumns(
    sections: DwarfSections,
    units: readonly DwarfUnit[],
    cols: EntryColumns,
  ): NameIndex {
    const n = cols.count;
    let nb = 1;
    while (nb < n) nb *= 2;
    const mask = nb - 1;
    const start = new Uint32Array(nb + 1);
    const hash = cols.hash;
    for (let i = 0; i < n; i++) start[(hash[i]! & mask) + 1]!++;
    for (let b = 0; b < nb; b++) start[b + 1]! += start[b]!;
    const fill = start.slice(0, nb);
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[fill[hash[i]! & mask]!++] = i;
    const p32 = (a: Uint32Array) => {
      const o = new Uint32Array(n);
      for (let j = 0; j < n; j++) o[j] = a[perm[j]!]!;
      return o;
    };
    const p8 = (a: Uint8Array) => {
      const o = new Uint8Array(n);
      for (let j = 0; j < n; j++) o[j] = a[perm[j]!]!;
      return o;
    };
    const sorted: EntryColumns = {
      count: n,
      die: p32(cols.die),
      unit: p32(cols.unit),
      aux: p32(cols.aux),
      nameOff: p32(cols.nameOff),
      hash: p32(cols.hash),
      kind: p8(cols.kind),
      flags: p8(cols.flags),
    };
    return new NameIndex(sections, units, sorted, start);
  }

  /** The unit list the entries' unit numbers refer to. */
  get units(): readonly DwarfUnit[] {
    return this.#units;
  }

  /** The bytes holding entry `i`'s name and the offset of the name in them. */
  #nameBytes(i: number): [Uint8Array, number] {
    const where = (this.flags[i]! & NAME_MASK) >> NAME_SHIFT;
    const s = this.#sections;
    if (where === NAME_INLINE) {
      const u = this.#units[this.unit[i]!]!;
      const d = u.section === "info" ? s.info : s.types!;
      // The section may be lazy (see `ensureSection`): the name is in the unit.
      ensureSection(d, this.nameOff[i]!, u.end);
      return [d, this.nameOff[i]!];
    }
    if (where === NAME_LINE_STR) return [s.lineStr!, this.nameOff[i]!];
    return [s.str!, this.nameOff[i]!];
  }

  /** Entry `i`'s name (materialized on demand). */
  nameOf(i: number): string {
    const [d, off] = this.#nameBytes(i);
    let end = d.indexOf(0, off);
    if (end < 0) end = d.length;
    return decoder.decode(d.subarray(off, end));
  }

  /**
   * Entries named `name` whose kind is in `mask` (see {@link kindMask}),
   * in unit order.
   */
  find(name: string, mask: number): number[] {
    return this.findBytes(encoder.encode(name), mask);
  }

  /** {@link find} with the name as UTF-8 bytes. */
  findBytes(q: Uint8Array, mask: number): number[] {
    const out: number[] = [];
    const h = hashBytes(q, 0, q.length);
    const b = h & this.#mask;
    const end = this.bucketStart[b + 1]!;
    for (let i = this.bucketStart[b]!; i < end; i++) {
      if (this.hash[i] !== h || ((1 << this.kind[i]!) & mask) === 0) continue;
      const [d, off] = this.#nameBytes(i);
      if (off + q.length >= d.length || d[off + q.length] !== 0) continue;
      let same = true;
      for (let k = 0; k < q.length; k++) {
        if (d[off + k] !== q[k]) {
          same = false;
          break;
        }
      }
      if (same) out.push(i);
    }
    return out;
  }

  /** Every entry whose kind is in `mask`, in bucket order. */
  *entries(mask: number): Generator<number> {
    for (let i = 0; i < this.count; i++) {
      if (((1 << this.kind[i]!) & mask) !== 0) yield i;
    }
  }

  /** Bytes used by the index's arrays. */
  get byteSize(): number {
    return this.count * (5 * 4 + 2) + this.bucketStart.byteLength;
  }

  /**
   * The index as one binary blob: a header (magic, format version,
   * fingerprint of the sections) and the columns. Little-endian.
   */
  serialize(): Uint8Array {
    const n = this.count;
    const nb = this.bucketStart.length;
    const fp = fingerprint(this.#sections, this.#units.length);
    const headerWords = 12;
    const size = headerWords * 4 + n * 4 * 5 + nb * 4 + align4(n) * 2;
    const out = new Uint8Array(size);
    const v = new DataView(out.buffer);
    const words = [
      MAGIC,
      INDEX_FORMAT_VERSION,
      n,
      nb,
      fp.infoSize,
      fp.abbrevSize,
      fp.strSize,
      fp.typesSize,
      fp.unitCount,
      0,
      0,
      0,
    ];
    words.forEach((w, i) => v.setUint32(i * 4, w, true));
    let p = headerWords * 4;
    const put32 = (a: Uint32Array) => {
      if (HOST_LE) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
      else for (let i = 0; i < a.length; i++) v.setUint32(p + i * 4, a[i]!, true);
      p += a.length * 4;
    };
    const put8 = (a: Uint8Array) => {
      out.set(a, p);
      p += align4(a.length);
    };
    put32(this.die);
    put32(this.unit);
    put32(this.aux);
    put32(this.nameOff);
    put32(this.hash);
    put8(this.kind);
    put8(this.flags);
    put32(this.bucketStart);
    return out;
  }

  /**
   * Reads an index written by {@link serialize} for the same sections.
   * Throws a {@link DecodeError} (section `"name index"`) if the blob is
   * truncated, of another format version, built from other sections, or
   * holds out-of-range values.
   */
  static deserialize(
    bytes: Uint8Array,
    sections: DwarfSections,
    units: readonly DwarfUnit[],
  ): NameIndex {
    const what = "name index";
    if (bytes.length < 48) throw new DecodeError(what, 0, "truncated header");
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const w = (i: number) => v.getUint32(i * 4, true);
    if (w(0) !== MAGIC) throw new DecodeError(what, 0, "bad magic");
    if (w(1) !== INDEX_FORMAT_VERSION) {
      throw new DecodeError(what, 4, `unsupported format version ${w(1)}`);
    }
    const n = w(2);
    const nb = w(3);
    const fp = fingerprint(sections, units.length);
    const got = [w(4), w(5), w(6), w(7), w(8)];
    const want = [fp.infoSize, fp.abbrevSize, fp.strSize, fp.typesSize, fp.unitCount];
    if (got.some((x, i) => x !== want[i])) {
      throw new DecodeError(what, 16, "index was built from different debug info");
    }
    if (nb < 2 || ((nb - 1) & (nb - 2)) !== 0) throw new DecodeError(what, 12, "bad bucket count");
    const size = 48 + n * 20 + nb * 4 + align4(n) * 2;
    if (bytes.length !== size) {
      throw new DecodeError(what, 0, `size ${bytes.length} does not match ${size}`);
    }
    let p = 48;
    const get32 = (count: number) => {
      let a: Uint32Array;
      if (HOST_LE && (bytes.byteOffset + p) % 4 === 0) {
        // A view, not a copy: the blob (a cache file read for this) is kept.
        a = new Uint32Array(bytes.buffer, bytes.byteOffset + p, count);
      } else if (HOST_LE) {
        a = new Uint32Array(bytes.slice(p, p + count * 4).buffer);
      } else {
        a = new Uint32Array(count);
        for (let i = 0; i < count; i++) a[i] = v.getUint32(p + i * 4, true);
      }
      p += count * 4;
      return a;
    };
    const get8 = (count: number) => {
      const a = bytes.subarray(p, p + count);
      p += align4(count);
      return a;
    };
    const cols: EntryColumns = {
      count: n,
      die: get32(n),
      unit: get32(n),
      aux: get32(n),
      nameOff: get32(n),
      hash: get32(n),
      kind: get8(n),
      flags: get8(n),
    };
    const bucketStart = get32(nb);
    // Validate ranges so that later lookups cannot index out of bounds.
    for (let b = 0; b + 1 < nb; b++) {
      if (bucketStart[b]! > bucketStart[b + 1]!) throw new DecodeError(what, 48, "bad buckets");
    }
    if (bucketStart[nb - 1] !== n || bucketStart[0] !== 0) {
      throw new DecodeError(what, 48, "bad buckets");
    }
    const maxName = [
      sections.str?.length ?? 0,
      sections.lineStr?.length ?? 0,
      Math.max(sections.info.length, sections.types?.length ?? 0),
    ];
    let maxUnit = 0;
    let maxDie = 0;
    let badKind = false;
    let badName = false;
    for (let i = 0; i < n; i++) {
      const u = cols.unit[i]!;
      if (u > maxUnit) maxUnit = u;
      const d = cols.die[i]!;
      if (d > maxDie) maxDie = d;
      const k = cols.kind[i]!;
      if (k < IndexKind.base || k > IndexKind.namespace) badKind = true;
      const where = (cols.flags[i]! & NAME_MASK) >> NAME_SHIFT;
      if (where > 2 || cols.nameOff[i]! >= maxName[where]!) badName = true;
    }
    if (n > 0 && maxUnit >= units.length) throw new DecodeError(what, 48, "bad unit number");
    if (n > 0 && maxDie >= maxName[2]!) throw new DecodeError(what, 48, "DIE offset out of bounds");
    if (badKind) throw new DecodeError(what, 48, "bad entry kind");
    if (badName) throw new DecodeError(what, 48, "name offset out of bounds");
    return new NameIndex(sections, units, cols, bucketStart);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function fingerprint(s: DwarfSections, unitCount: number): IndexFingerprint {
  return {
    infoSize: s.info.length,
    abbrevSize: s.abbrev.length,
    strSize: s.str?.length ?? 0,
    typesSize: s.types?.length ?? 0,
    unitCount,
  };
}

/** Options of the index build. */
export interface BuildOptions {
  littleEndian: boolean;
  /** Index function-scope statics (default true). */
  localStatics?: boolean;
  /** Index file-scope names (default true); false builds a statics-only index. */
  globals?: boolean;
  /** Abbreviation tables already parsed (shared with the DIE reader). */
  abbrevTables?: Map<number, AbbrevTable>;
}

/**
 * Builds the index on this thread. A lazy `.debug_info` (see `lazySection`)
 * is scanned a few units at a time and stays unread (peak memory does not
 * include the section), unless units refer to each other across chunks:
 * then it is read whole. The index is the same either way.
 */
export function buildNameIndex(
  sections: DwarfSections,
  units: readonly DwarfUnit[],
  opts: BuildOptions,
): NameIndex {
  const input = {
    info: sections.info,
    abbrev: sections.abbrev,
    str: sections.str,
    lineStr: sections.lineStr,
    strOffsets: sections.strOffsets,
    types: sections.types,
    line: sections.line,
    littleEndian: opts.littleEndian,
    localStatics: opts.localStatics ?? true,
    globals: opts.globals ?? true,
  };
  const out = new EntryBuffer(Math.max(1024, sections.info.length >>> 9));
  // A lazy .debug_info is scanned a chunk at a time, never held whole.
  const read = lazySectionReader(sections.info);
  if (read !== null) {
    fillSection(sections.types);
    if (scanInfoChunked(input, units, read, out, opts.abbrevTables)) {
      return NameIndex.fromColumns(sections, units, out.trimmed());
    }
  }
  // The whole-section scan (lazy sections are read whole here).
  fillSection(sections.info);
  fillSection(sections.types);
  scanUnits(input, units, 0, units.length, out, opts.abbrevTables);
  return NameIndex.fromColumns(sections, units, out.trimmed());
}
