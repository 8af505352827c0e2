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

import { decodeUtf8, HOST_LITTLE_ENDIAN } from "../binary/byte_reader.ts";
import { DecodeError } from "../errors.ts";
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
  type ScanInput,
  scanUnits,
} from "./index_scan.ts";
import {
  type DwarfSections,
  ensureCString,
  ensureSection,
  fillSection,
  lazySectionReader,
} from "./sections.ts";
import type { DwarfUnit, Units } from "./unit.ts";
import { scanShared } from "./index_shared.ts";

export { IndexKind } from "./index_scan.ts";
export { FLAG_DECLARATION, FLAG_HAS_ADDRESS } from "./index_scan.ts";

/** Format version of {@link NameIndex.serialize}. */
export const INDEX_FORMAT_VERSION = 1;
const MAGIC = 0x58444e57; // "WNDX" little-endian

const encoder = new TextEncoder();

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

/**
 * A serialized index read lazily (from the on-disk cache): `bytes` has the
 * blob's full length, but only ranges made valid by `ensure` hold data.
 */
export interface LazyIndexBlob {
  readonly bytes: Uint8Array;
  /** Makes `[start, end)` valid; false if it cannot be read or is damaged. */
  ensure(start: number, end: number): boolean;
}

/** Entries validated together when a lazily read index is used. */
const CHECK_CHUNK_SHIFT = 8;

interface LazyState {
  blob: LazyIndexBlob;
  /** Byte offsets of the columns in the blob: die, unit, aux, nameOff, hash, kind, flags, buckets. */
  at: number[];
  /** Per chunk of entries: 1 once read and validated. */
  checked: Uint8Array;
  /** Builds the index afresh (when the blob turns out damaged). */
  rebuild: () => NameIndex;
}

/**
 * The entry columns lookups read: of a {@link NameIndex}, or of an index
 * still being built (`ProgressiveIndex`).
 */
export interface IndexView {
  /** The unit list the entries' unit numbers refer to. */
  readonly units: Units;
  readonly die: Uint32Array;
  readonly unit: Uint32Array;
  readonly aux: Uint32Array;
  readonly kind: Uint8Array;
  readonly flags: Uint8Array;
}

/** The hash-bucketed name index of one file. */
export class NameIndex implements IndexView {
  #cols: EntryColumns;
  #bucketStart: Uint32Array;
  #mask: number;
  readonly #sections: DwarfSections;
  readonly #units: Units;
  /** Set while the index is read lazily from a blob. */
  #lazy: LazyState | null = null;
  /** The serialized index, when the columns are views of it. */
  #blob: Uint8Array | null = null;

  /** @internal Use {@link buildNameIndex}, {@link NameIndex.fromColumns} or {@link NameIndex.deserialize}. */
  constructor(
    sections: DwarfSections,
    units: Units,
    cols: EntryColumns,
    bucketStart: Uint32Array,
  ) {
    this.#sections = sections;
    this.#units = units;
    this.#cols = cols;
    this.#bucketStart = bucketStart;
    this.#mask = bucketStart.length - 2;
  }

  /** Number of entries. */
  get count(): number {
    return this.#cols.count;
  }
  /**
   * The entries' columns. Entry numbers come from {@link find} or
   * {@link entries}; only those entries' values are guaranteed loaded.
   */
  get die(): Uint32Array {
    return this.#cols.die;
  }
  get unit(): Uint32Array {
    return this.#cols.unit;
  }
  get aux(): Uint32Array {
    return this.#cols.aux;
  }
  get nameOff(): Uint32Array {
    return this.#cols.nameOff;
  }
  get hash(): Uint32Array {
    return this.#cols.hash;
  }
  get kind(): Uint8Array {
    return this.#cols.kind;
  }
  get flags(): Uint8Array {
    return this.#cols.flags;
  }
  /**
   * Entries of bucket `b` are `bucketStart[b]`…`bucketStart[b + 1] - 1`; the
   * bucket count (a power of two) is `bucketStart.length - 1`.
   */
  get bucketStart(): Uint32Array {
    this.#ensureAll();
    return this.#bucketStart;
  }

  /**
   * Groups scanned entries (in scan order) into hash buckets. Entries keep
   * their relative order within a bucket, so lookups see them in unit order.
   */
  static fromColumns(
    sections: DwarfSections,
    units: Units,
    cols: EntryColumns,
  ): NameIndex {
    const n = cols.count;
    let nb = 1;
    while (nb < n) nb *= 2;
    const mask = nb - 1;
    // Built straight into the serialized layout (see `serialize`): the
    // columns are views of one blob, which is then the serialized index.
    const blob = new Uint8Array(serializedSize(n, nb + 1));
    const layout = { n, nb: nb + 1, at: columnOffsets(n) };
    writeHeader(blob, n, nb + 1, fingerprint(sections, units.length));
    const { cols: sorted, bucketStart: start } = columnsAt(blob, layout);
    const hash = cols.hash;
    for (let i = 0; i < n; i++) start[(hash[i]! & mask) + 1]!++;
    for (let b = 0; b < nb; b++) start[b + 1]! += start[b]!;
    const fill = start.slice(0, nb);
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[fill[hash[i]! & mask]!++] = i;
    const p32 = (a: Uint32Array, o: Uint32Array) => {
      for (let j = 0; j < n; j++) o[j] = a[perm[j]!]!;
    };
    const p8 = (a: Uint8Array, o: Uint8Array) => {
      for (let j = 0; j < n; j++) o[j] = a[perm[j]!]!;
    };
    p32(cols.die, sorted.die);
    p32(cols.unit, sorted.unit);
    p32(cols.aux, sorted.aux);
    p32(cols.nameOff, sorted.nameOff);
    p32(cols.hash, sorted.hash);
    p8(cols.kind, sorted.kind);
    p8(cols.flags, sorted.flags);
    const index = new NameIndex(sections, units, sorted, start);
    if (HOST_LITTLE_ENDIAN) index.#blob = blob;
    return index;
  }

  /** The unit list the entries' unit numbers refer to. */
  get units(): Units {
    return this.#units;
  }

  /** The bytes holding entry `i`'s name and the offset of the name in them. */
  #nameBytes(i: number): [Uint8Array, number] {
    return entryNameBytes(this.#sections, this.#units, this.#cols, i);
  }

  /** Entry `i`'s name (materialized on demand). */
  nameOf(i: number): string {
    const [d, off] = this.#nameBytes(i);
    let end = d.indexOf(0, off);
    if (end < 0) end = d.length;
    return decodeUtf8(d.subarray(off, end));
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
    let b = h & this.#mask;
    if (this.#lazy !== null) {
      this.#ensureBucket(b);
      b = h & this.#mask; // (a rebuilt index has the same buckets, but be sure)
    }
    const c = this.#cols;
    const end = this.#bucketStart[b + 1]!;
    for (let i = this.#bucketStart[b]!; i < end; i++) {
      if (c.hash[i] !== h || ((1 << c.kind[i]!) & mask) === 0) continue;
      const [d, off] = this.#nameBytes(i);
      if (nameEquals(d, off, q)) out.push(i);
    }
    return out;
  }

  /** Every entry whose kind is in `mask`, in bucket order. */
  *entries(mask: number): Generator<number> {
    this.#ensureAll();
    const kind = this.#cols.kind;
    for (let i = 0; i < this.count; i++) {
      if (((1 << kind[i]!) & mask) !== 0) yield i;
    }
  }

  /** Bytes used by the index's arrays. */
  get byteSize(): number {
    return this.count * (5 * 4 + 2) + this.#bucketStart.byteLength;
  }

  /**
   * The index as one binary blob: a header (magic, format version,
   * fingerprint of the sections) and the columns. Little-endian.
   */
  serialize(): Uint8Array {
    this.#ensureAll();
    // Built by fromColumns (and not replaced since): the columns' own blob.
    if (this.#blob !== null && this.#cols.die.buffer === this.#blob.buffer) return this.#blob;
    const c = this.#cols;
    const n = this.count;
    const nb = this.#bucketStart.length;
    const out = new Uint8Array(serializedSize(n, nb));
    const v = new DataView(out.buffer);
    writeHeader(out, n, nb, fingerprint(this.#sections, this.#units.length));
    let p = HEADER_BYTES;
    const put32 = (a: Uint32Array) => {
      if (HOST_LITTLE_ENDIAN) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
      else for (let i = 0; i < a.length; i++) v.setUint32(p + i * 4, a[i]!, true);
      p += a.length * 4;
    };
    const put8 = (a: Uint8Array) => {
      out.set(a, p);
      p += align4(a.length);
    };
    put32(c.die);
    put32(c.unit);
    put32(c.aux);
    put32(c.nameOff);
    put32(c.hash);
    put8(c.kind);
    put8(c.flags);
    put32(this.#bucketStart);
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
    units: Units,
  ): NameIndex {
    const layout = readLayout(bytes, sections, units);
    const cols = columnsAt(HOST_LITTLE_ENDIAN ? alignedCopy(bytes) : bytes, layout);
    const index = new NameIndex(sections, units, cols.cols, cols.bucketStart);
    checkBuckets(cols.bucketStart, 0, cols.bucketStart.length - 1, layout.n);
    index.#check(0, layout.n);
    return index;
  }

  /**
   * Opens an index written by {@link serialize} that is read as it is used
   * (see {@link LazyIndexBlob}): the header is checked now (a
   * {@link DecodeError} as {@link deserialize}), entries when a lookup
   * reaches them. If the blob turns out damaged or unreadable later, the
   * index is rebuilt with `rebuild` (an index of the same sections, whose
   * entry numbers are the same) and lookups go on with it.
   */
  static open(
    blob: LazyIndexBlob,
    sections: DwarfSections,
    units: Units,
    rebuild: () => NameIndex,
  ): NameIndex {
    const what = "name index";
    if (!HOST_LITTLE_ENDIAN) return NameIndex.deserialize(readAll(blob), sections, units);
    if (!blob.ensure(0, HEADER_BYTES)) throw new DecodeError(what, 0, "unreadable header");
    const layout = readLayout(blob.bytes, sections, units);
    if (blob.bytes.byteOffset % 4 !== 0) {
      return NameIndex.deserialize(readAll(blob), sections, units);
    }
    const { cols, bucketStart } = columnsAt(blob.bytes, layout);
    const index = new NameIndex(sections, units, cols, bucketStart);
    index.#lazy = {
      blob,
      at: layout.at,
      checked: new Uint8Array((layout.n >>> CHECK_CHUNK_SHIFT) + 1),
      rebuild,
    };
    return index;
  }

  /** Loads and checks buckets `b` and `b + 1` and the entries of bucket `b`. */
  #ensureBucket(b: number): void {
    const lz = this.#lazy!;
    const at = lz.at[7]! + b * 4;
    if (!lz.blob.ensure(at, at + 8)) return this.#rebuild();
    try {
      checkBuckets(this.#bucketStart, b, b + 1, this.count);
    } catch {
      return this.#rebuild();
    }
    this.#ensureEntries(this.#bucketStart[b]!, this.#bucketStart[b + 1]!);
  }

  /** Loads and checks entries `[lo, hi)` of a lazily read index. */
  #ensureEntries(lo: number, hi: number): void {
    const lz = this.#lazy;
    if (lz === null || lo >= hi) return;
    const first = lo >>> CHECK_CHUNK_SHIFT;
    const last = (hi - 1) >>> CHECK_CHUNK_SHIFT;
    for (let k = first; k <= last; k++) {
      if (lz.checked[k] === 1) continue;
      const a = k << CHECK_CHUNK_SHIFT;
      const e = Math.min(this.count, a + (1 << CHECK_CHUNK_SHIFT));
      const widths = [4, 4, 4, 4, 4, 1, 1];
      for (let c = 0; c < widths.length; c++) {
        const base = lz.at[c]!;
        if (!lz.blob.ensure(base + a * widths[c]!, base + e * widths[c]!)) return this.#rebuild();
      }
      try {
        this.#check(a, e);
      } catch {
        return this.#rebuild();
      }
      lz.checked[k] = 1;
    }
  }

  /** Loads and checks everything of a lazily read index. */
  #ensureAll(): void {
    const lz = this.#lazy;
    if (lz === null) return;
    const nb = this.#bucketStart.length;
    if (!lz.blob.ensure(lz.at[7]!, lz.at[7]! + nb * 4)) return this.#rebuild();
    try {
      checkBuckets(this.#bucketStart, 0, nb - 1, this.count);
    } catch {
      return this.#rebuild();
    }
    this.#ensureEntries(0, this.count);
    if (this.#lazy !== null) this.#lazy = null;
  }

  /** Replaces a damaged lazily read index by a fresh one. */
  #rebuild(): void {
    const lz = this.#lazy!;
    this.#lazy = null;
    const fresh = lz.rebuild();
    this.#cols = fresh.#cols;
    this.#bucketStart = fresh.#bucketStart;
    this.#mask = this.#bucketStart.length - 2;
  }

  /** Validates entries `[lo, hi)` (values later lookups index with); throws a {@link DecodeError}. */
  #check(lo: number, hi: number): void {
    const what = "name index";
    const c = this.#cols;
    const s = this.#sections;
    const maxName = [
      s.str?.length ?? 0,
      s.lineStr?.length ?? 0,
      Math.max(s.info.length, s.types?.length ?? 0),
    ];
    let maxUnit = 0;
    let maxDie = 0;
    let badKind = false;
    let badName = false;
    for (let i = lo; i < hi; i++) {
      const u = c.unit[i]!;
      if (u > maxUnit) maxUnit = u;
      const d = c.die[i]!;
      if (d > maxDie) maxDie = d;
      const k = c.kind[i]!;
      if (k < IndexKind.base || k > IndexKind.namespace) badKind = true;
      const where = (c.flags[i]! & NAME_MASK) >> NAME_SHIFT;
      if (where > 2 || c.nameOff[i]! >= maxName[where]!) badName = true;
    }
    if (hi > lo && maxUnit >= this.#units.length) {
      throw new DecodeError(what, HEADER_BYTES, "bad unit number");
    }
    if (hi > lo && maxDie >= maxName[2]!) {
      throw new DecodeError(what, HEADER_BYTES, "DIE offset out of bounds");
    }
    if (badKind) throw new DecodeError(what, HEADER_BYTES, "bad entry kind");
    if (badName) throw new DecodeError(what, HEADER_BYTES, "name offset out of bounds");
  }
}

const HEADER_BYTES = 48;

/** Bytes of a serialized index of `n` entries and `nb` bucket bounds. */
function serializedSize(n: number, nb: number): number {
  return HEADER_BYTES + n * 20 + nb * 4 + align4(n) * 2;
}

/** Byte offsets of the columns of a serialized index of `n` entries (see {@link LazyState.at}). */
function columnOffsets(n: number): number[] {
  const at: number[] = [];
  let p = HEADER_BYTES;
  for (let c = 0; c < 5; c++, p += n * 4) at.push(p);
  for (let c = 0; c < 2; c++, p += align4(n)) at.push(p);
  at.push(p);
  return at;
}

/** Writes the header of a serialized index (little-endian words). */
function writeHeader(out: Uint8Array, n: number, nb: number, fp: IndexFingerprint): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const words = [MAGIC, INDEX_FORMAT_VERSION, n, nb, fp.infoSize, fp.abbrevSize, fp.strSize];
  words.push(fp.typesSize, fp.unitCount, 0, 0, 0);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
}

interface IndexLayout {
  n: number;
  nb: number;
  /** Byte offsets of the columns (see {@link LazyState.at}). */
  at: number[];
}

/** Checks a serialized index's header against the sections; its column layout. */
function readLayout(
  bytes: Uint8Array,
  sections: DwarfSections,
  units: Units,
): IndexLayout {
  const what = "name index";
  if (bytes.length < HEADER_BYTES) throw new DecodeError(what, 0, "truncated header");
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
  const size = serializedSize(n, nb);
  if (bytes.length !== size) {
    throw new DecodeError(what, 0, `size ${bytes.length} does not match ${size}`);
  }
  return { n, nb, at: columnOffsets(n) };
}

/** The columns of a serialized index (views when `bytes` is 4-aligned and the host little-endian). */
function columnsAt(
  bytes: Uint8Array,
  layout: IndexLayout,
): { cols: EntryColumns; bucketStart: Uint32Array } {
  const { n, nb, at } = layout;
  const get32 = (p: number, count: number) => {
    if (HOST_LITTLE_ENDIAN) return new Uint32Array(bytes.buffer, bytes.byteOffset + p, count);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const a = new Uint32Array(count);
    for (let i = 0; i < count; i++) a[i] = v.getUint32(p + i * 4, true);
    return a;
  };
  return {
    cols: {
      count: n,
      die: get32(at[0]!, n),
      unit: get32(at[1]!, n),
      aux: get32(at[2]!, n),
      nameOff: get32(at[3]!, n),
      hash: get32(at[4]!, n),
      kind: bytes.subarray(at[5]!, at[5]! + n),
      flags: bytes.subarray(at[6]!, at[6]! + n),
    },
    bucketStart: get32(at[7]!, nb),
  };
}

/** `bytes`, or a copy of it when it is not 4-byte aligned. */
function alignedCopy(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
}

function readAll(blob: LazyIndexBlob): Uint8Array {
  if (!blob.ensure(0, blob.bytes.length)) {
    throw new DecodeError("name index", 0, "unreadable or damaged");
  }
  return blob.bytes;
}

/** Checks bucket bounds `b0`…`b1` (inclusive) of a serialized index; throws a {@link DecodeError}. */
function checkBuckets(start: Uint32Array, b0: number, b1: number, n: number): void {
  const what = "name index";
  const last = start.length - 1;
  for (let b = b0; b < b1; b++) {
    if (start[b]! > start[b + 1]!) throw new DecodeError(what, HEADER_BYTES, "bad buckets");
  }
  if (start[b1]! > n) throw new DecodeError(what, HEADER_BYTES, "bad buckets");
  if (b0 === 0 && start[0] !== 0) throw new DecodeError(what, HEADER_BYTES, "bad buckets");
  if (b1 === last && start[last] !== n) throw new DecodeError(what, HEADER_BYTES, "bad buckets");
}

/**
 * The bytes holding the name of entry `i` of `cols` (an index of
 * `sections` over `units`) and the name's offset in them (read first if
 * the section is lazy).
 */
export function entryNameBytes(
  s: DwarfSections,
  units: Units,
  c: EntryColumns,
  i: number,
): [Uint8Array, number] {
  const where = (c.flags[i]! & NAME_MASK) >> NAME_SHIFT;
  const off = c.nameOff[i]!;
  if (where === NAME_INLINE) {
    const u = units.at(c.unit[i]!)!;
    const d = u.section === "info" ? s.info : s.types!;
    // The section may be lazy (see `ensureSection`): the name is in the unit.
    ensureSection(d, off, u.end);
    return [d, off];
  }
  const d = where === NAME_LINE_STR ? s.lineStr! : s.str!;
  ensureCString(d, off);
  return [d, off];
}

/** Whether the NUL-terminated name at `off` of `d` is `q` (UTF-8 bytes). */
export function nameEquals(d: Uint8Array, off: number, q: Uint8Array): boolean {
  if (off + q.length >= d.length || d[off + q.length] !== 0) return false;
  for (let k = 0; k < q.length; k++) if (d[off + k] !== q[k]) return false;
  return true;
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
  /** Threads to scan big mapped sections with (default: see `indexThreads`; 1: this one only). */
  threads?: number;
  /** Index function-scope statics (default true). */
  localStatics?: boolean;
  /** Index file-scope names (default true); false builds a statics-only index. */
  globals?: boolean;
}

/** What the scan of `sections` reads, with the build's options. */
export function scanInputOf(sections: DwarfSections, opts: BuildOptions): ScanInput {
  return {
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
  const input = scanInputOf(sections, opts);
  const out = new EntryBuffer(Math.max(1024, sections.info.length >>> 9));
  // A lazy .debug_info is scanned a chunk at a time, never held whole.
  const read = lazySectionReader(sections.info);
  if (read !== null) {
    fillSection(sections.types);
    if (scanInfoChunked(input, units, read, out)) {
      return NameIndex.fromColumns(sections, units, out);
    }
  }
  // The whole-section scan (lazy sections are read whole here), on two
  // threads when the sections are mapped from a file.
  fillSection(sections.info);
  fillSection(sections.types);
  const cols = scanShared(sections, units, input, opts.threads);
  if (cols !== null) return NameIndex.fromColumns(sections, units, cols);
  scanUnits(input, units, 0, units.length, out);
  return NameIndex.fromColumns(sections, units, out);
}
