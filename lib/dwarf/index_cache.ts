/**
 * The persistent DWARF index cache: a file's unit table and name index
 * (see `serializeUnits`, `NameIndex.serialize`) saved on disk so that the
 * next session opening the same file needs no pass over `.debug_info`.
 *
 * Entries are keyed by the file's GNU build ID, and each records the file's
 * size and modification time, the format versions it was made for, a
 * fingerprint of the debug content (each indexed section's size and the
 * checksums of its first and last 4 KiB, as stored in the file), and checksums of its own
 * contents. An entry is used when the format versions match and either the
 * size and modification time match, or, failing that, the content
 * fingerprint does (another copy of the same build, at another path or
 * with another mtime, shares the entry instead of rewriting it each time
 * the other copy is opened; a rewrite that keeps the build ID, such as
 * dwz or a stripped copy, changes section sizes). A cache file that does
 * not match, or is truncated or damaged, is ignored (and replaced by the
 * next write). Files are written to a temporary name and
 * renamed, so readers never see half a file. Writing failures (read-only
 * home, full disk, no permission) are silent: the cache is an optimization.
 *
 * Entries are read lazily ({@link openIndexCache}): opening one reads its
 * header and page checksums only; the parts' bytes are read a page at a
 * time when a reader asks for them ({@link IndexCacheEntry.ensure}), or
 * used in place from a map of the file (see `mapFile`), and every page is
 * checked against its checksum before use. A session that
 * looks up a few names reads a few pages of a multi-megabyte index.
 *
 * Location: `$WYVERN_CACHE_DIR`, else `$XDG_CACHE_HOME/wyvern`, else
 * `~/.cache/wyvern`. `WYVERN_NO_CACHE=1` disables reading and writing.
 *
 * @module
 */

import { decodeUtf8 } from "../binary/byte_reader.ts";
import { FileReader } from "../binary/file_reader.ts";
import { crc32 } from "../binary/checksum.ts";
import { mapFile } from "../binary/mmap.ts";
import { crc32Native } from "../binary/native_codecs.ts";
import { envFlag, wyvernCacheDir } from "../env.ts";
import { peekSection } from "./sections.ts";

/** Format version of cache files (bump when the layout or any part's meaning changes). */
export const CACHE_FORMAT_VERSION = 6;

const MAGIC = 0x43445957; // "WYDC" little-endian
const HEADER_WORDS = 12;

/** What a cache entry must match: the file it was built from. */
export interface IndexCacheKey {
  /** GNU build ID (hex). */
  buildId: string;
  /** File size in bytes. */
  size: number;
  /** Modification time (ms since the epoch), or 0 if unknown. */
  mtimeMs: number;
  /**
   * Versions of the serialized parts' formats and anything else the entry
   * depends on (e.g. index options); an entry with other values is ignored.
   */
  variant: number[];
  /**
   * Words identifying the debug content the entry was built from, computed
   * only when needed: an entry whose size or
   * mtime differ (another copy of the same build, or the file touched) is
   * used when these match. Without it, size and mtime must match.
   */
  content?: () => number[];
}

/**
 * The cache directory, or null if caching is disabled (`WYVERN_NO_CACHE`
 * set to anything but `""` or `"0"`) or no directory can be named.
 */
export function indexCacheDir(): string | null {
  return envFlag("WYVERN_NO_CACHE") ? null : wyvernCacheDir();
}

/** The key of the file at `path` with build ID `buildId`, or null if it cannot be stat'ed. */
export function indexCacheKey(
  path: string,
  buildId: string,
  variant: number[],
): IndexCacheKey | null {
  try {
    const st = Deno.statSync(path);
    if (!st.isFile) return null;
    return { buildId, size: st.size, mtimeMs: st.mtime?.getTime() ?? 0, variant };
  } catch {
    return null;
  }
}

/**
 * What a cache file holds: a file's index (`"index"`: unit table and name
 * index) or the member layouts its sessions saved (`"layouts"`, see
 * `layout_cache.ts`). Both are keyed, checked and written alike.
 */
export type CacheKind = "index" | "layouts";

function fileName(dir: string, key: IndexCacheKey, kind: CacheKind = "index"): string | null {
  if (!/^[0-9a-f]{2,128}$/.test(key.buildId)) return null;
  return `${dir}/dwarf-${kind}-${key.buildId}.bin`;
}

/** Bytes per checksummed page of an entry's body. */
const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;
/** Bytes read when an entry is opened (its header, table, and a small body). */
const FIRST_READ = 64 * 1024;

/**
 * The checksum of `d` continuing from `seed` (the checksum of the bytes
 * before it, 0 for none): its CRC-32, from the system's zlib when that is
 * in use (a page of 4 KiB in ~2 µs, where the first pages checked at a warm
 * start ran 20 µs in V8's interpreter), else from checksum.ts's `crc32`,
 * the same value. A CRC-32 catches every burst of 32 bits or fewer, so any
 * change confined to one 32-bit word (every single-byte or single-bit
 * error) always changes it; other damage goes unnoticed with probability
 * 2^-32.
 */
export function checksum(d: Uint8Array, seed = 0): number {
  const c = crc32Native(d, seed);
  return c >= 0 ? c : crc32(d, seed);
}

/**
 * The checksums of the first and last 4 KiB of section `d` (read from its
 * file, not filled, if it is lazy: see `peekSection`).
 */
export function edgeSums(d: Uint8Array): number[] {
  const n = Math.min(4096, d.length);
  return [checksum(peekSection(d, 0, n)), checksum(peekSection(d, d.length - n, d.length))];
}

const align8 = (n: number) => (n + 7) & ~7;
const encoder = new TextEncoder();

/** The header words of `key`: magic, format version, then the file's size and mtime (words 2–5). */
function keyWords(key: IndexCacheKey): number[] {
  return [
    MAGIC,
    CACHE_FORMAT_VERSION,
    key.size % 0x100000000,
    Math.floor(key.size / 0x100000000),
    key.mtimeMs % 0x100000000,
    Math.floor(key.mtimeMs / 0x100000000) >>> 0,
  ];
}

/** Checksum of the header (word 9, the checksum itself, left out) and the table. */
function tableChecksum(file: Uint8Array, tableEnd: number): number {
  const head = new Uint8Array(HEADER_WORDS * 4);
  head.set(file.subarray(0, head.length));
  head.fill(0, 36, 40);
  return checksum(file.subarray(head.length, tableEnd), checksum(head));
}

/**
 * Serializes `parts` into one cache file image for `key`. Layout (32-bit
 * little-endian words): a header of magic, format version, size (lo, hi),
 * mtime (lo, hi), variant count, part count, build ID length, checksum of
 * the header and table, body length, content word count; a table of the
 * variant words, the content words, the part lengths, the build ID bytes
 * (8-aligned) and one checksum per 4 KiB page of the body (8-aligned);
 * then the body: the parts, each 8-byte aligned.
 */
export function encodeCacheFile(key: IndexCacheKey, parts: readonly Uint8Array[]): Uint8Array {
  const id = encoder.encode(key.buildId);
  const content = key.content?.() ?? [];
  let bodyLength = 0;
  for (const p of parts) bodyLength += align8(p.length);
  const pages = Math.ceil(bodyLength / PAGE);
  const head = HEADER_WORDS * 4;
  const words = key.variant.length + content.length + parts.length;
  const pageSums = head + align8(words * 4 + id.length);
  const tableEnd = pageSums + align8(pages * 4);
  const out = new Uint8Array(tableEnd + bodyLength);
  const v = new DataView(out.buffer);
  let p = head;
  for (const x of key.variant) v.setUint32((p += 4) - 4, x >>> 0, true);
  for (const x of content) v.setUint32((p += 4) - 4, x >>> 0, true);
  for (const part of parts) v.setUint32((p += 4) - 4, part.length, true);
  out.set(id, p);
  p = tableEnd;
  for (const part of parts) {
    out.set(part, p);
    p += align8(part.length);
  }
  for (let i = 0; i < pages; i++) {
    const at = tableEnd + i * PAGE;
    v.setUint32(
      pageSums + i * 4,
      checksum(out.subarray(at, Math.min(at + PAGE, out.length))),
      true,
    );
  }
  const header = [
    ...keyWords(key),
    key.variant.length,
    parts.length,
    id.length,
    0,
    bodyLength,
    content.length,
  ];
  header.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  v.setUint32(36, tableChecksum(out, tableEnd), true);
  return out;
}

/** Reads `dest.length` bytes at `offset` of an entry's file; false if it cannot. */
type RangeReader = (offset: number, dest: Uint8Array) => boolean;

/**
 * An open cache entry: its parts, whose bytes become valid as
 * {@link ensure} reads and checks them.
 */
export class IndexCacheEntry {
  /** The parts (views into one body buffer; bytes valid only once ensured). */
  readonly parts: readonly Uint8Array[];
  readonly #body: Uint8Array;
  readonly #bodyOffset: number;
  readonly #sums: Uint32Array;
  /** Per page: 1 once read and checked. */
  readonly #ok: Uint8Array;
  #missing: number;
  #read: RangeReader | null;
  #close: () => void;
  #damaged = false;

  /** @internal Use {@link openIndexCache} or {@link decodeCacheFile}. */
  constructor(
    body: Uint8Array,
    bodyOffset: number,
    sums: Uint32Array,
    parts: Uint8Array[],
    read: RangeReader,
    close: () => void,
  ) {
    this.#body = body;
    this.#bodyOffset = bodyOffset;
    this.#sums = sums;
    this.#ok = new Uint8Array(sums.length);
    this.#missing = sums.length;
    this.parts = parts;
    this.#read = read;
    this.#close = close;
  }

  /** Whether a page failed its checksum or could not be read (the entry is then unusable). */
  get damaged(): boolean {
    return this.#damaged;
  }

  /**
   * Makes bytes `[start, end)` of part `part` valid (default: the whole
   * part): reads the pages holding them and checks each against its
   * checksum. Returns false if a page is damaged or cannot be read; the
   * entry is then {@link damaged} and every later call returns false.
   */
  ensure(part: number, start = 0, end?: number): boolean {
    if (this.#damaged) return false;
    const p = this.parts[part];
    if (p === undefined) return false;
    const stop = Math.min(end ?? p.length, p.length);
    if (start >= stop) return true;
    const base = p.byteOffset - this.#body.byteOffset;
    return this.#ensureBody(base + Math.max(0, start), base + stop);
  }

  /** Reads and checks every page (true if the whole entry is sound). */
  ensureAll(): boolean {
    return !this.#damaged && this.#ensureBody(0, this.#body.length);
  }

  #ensureBody(start: number, end: number): boolean {
    if (this.#missing === 0) return true;
    const ok = this.#ok;
    const last = (end - 1) >>> PAGE_SHIFT;
    for (let b = start >>> PAGE_SHIFT; b <= last;) {
      if (ok[b] === 1) {
        b++;
        continue;
      }
      let e = b;
      while (e <= last && ok[e] === 0) e++;
      const from = b * PAGE;
      const to = Math.min(this.#body.length, e * PAGE);
      const dest = this.#body.subarray(from, to);
      if (this.#read === null || !this.#read(this.#bodyOffset + from, dest)) return this.#fail();
      for (let k = b; k < e; k++) {
        const at = k * PAGE - from;
        if (checksum(dest.subarray(at, Math.min(at + PAGE, dest.length))) !== this.#sums[k]) {
          return this.#fail();
        }
        ok[k] = 1;
      }
      this.#missing -= e - b;
      b = e;
    }
    if (this.#missing === 0) this.close();
    return true;
  }

  #fail(): false {
    this.#damaged = true;
    this.close();
    return false;
  }

  /** Releases the file (pages not yet read can no longer be). */
  close(): void {
    const c = this.#close;
    this.#close = () => {};
    this.#read = null;
    c();
  }
}

/**
 * Parses the header and table of a cache file image for `key` whose first
 * `first.length` bytes are given (of `fileLength`), or returns null if it
 * is for another file or format, truncated, or damaged. `more` reads the
 * rest of the table when it is longer than `first`.
 */
function openImage(
  first: Uint8Array,
  fileLength: number,
  key: IndexCacheKey,
  read: RangeReader,
  close: () => void,
  mapped?: Uint8Array,
): IndexCacheEntry | null {
  const head = HEADER_WORDS * 4;
  if (first.length < head) return null;
  const v0 = new DataView(first.buffer, first.byteOffset, first.byteLength);
  const w = (i: number) => v0.getUint32(i * 4, true);
  const want = keyWords(key);
  if (w(0) !== want[0] || w(1) !== want[1]) return null;
  // The same file (size and mtime), or else the same content (below).
  let sameFile = true;
  for (let i = 2; i < want.length; i++) if (w(i) !== want[i]! >>> 0) sameFile = false;
  if (!sameFile && key.content === undefined) return null;
  const nVariant = w(6);
  const nParts = w(7);
  const idLen = w(8);
  const bodyLength = w(10);
  const nContent = w(11);
  if (nVariant !== key.variant.length || nParts > 64 || idLen > 256 || nContent > 256) return null;
  if (bodyLength % 8 !== 0) return null;
  const pages = Math.ceil(bodyLength / PAGE);
  const pageSums = head + align8((nVariant + nContent + nParts) * 4 + idLen);
  const tableEnd = pageSums + align8(pages * 4);
  if (tableEnd + bodyLength !== fileLength) return null;
  let table = first;
  if (table.length < tableEnd) {
    table = new Uint8Array(tableEnd);
    table.set(first);
    if (!read(first.length, table.subarray(first.length))) return null;
  }
  if (tableChecksum(table, tableEnd) !== w(9)) return null;
  const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
  let p = head;
  for (const x of key.variant) {
    if (v.getUint32(p, true) !== x >>> 0) return null;
    p += 4;
  }
  if (!sameFile) {
    const content = key.content!();
    if (content.length !== nContent) return null;
    for (const x of content) {
      if (v.getUint32(p, true) !== x >>> 0) return null;
      p += 4;
    }
  } else p += nContent * 4;
  const lengths: number[] = [];
  for (let i = 0; i < nParts; i++) {
    lengths.push(v.getUint32(p, true));
    p += 4;
  }
  if (decodeUtf8(table.subarray(p, p + idLen)) !== key.buildId) return null;
  const sums = new Uint32Array(pages);
  for (let i = 0; i < pages; i++) sums[i] = v.getUint32(pageSums + i * 4, true);
  // A mapped file is used in place (its pages are checked as they are used).
  const body = mapped !== undefined
    ? mapped.subarray(tableEnd, tableEnd + bodyLength)
    : new Uint8Array(bodyLength);
  const parts: Uint8Array[] = [];
  p = 0;
  for (const n of lengths) {
    if (p + n > bodyLength) return null;
    parts.push(body.subarray(p, p + n));
    p += align8(n);
  }
  if (p !== bodyLength) return null;
  return new IndexCacheEntry(body, tableEnd, sums, parts, read, close);
}

/**
 * The parts of a cache file image for `key` (8-byte aligned copies), or
 * null if it is for another file, another format, truncated or damaged.
 */
export function decodeCacheFile(file: Uint8Array, key: IndexCacheKey): Uint8Array[] | null {
  const read: RangeReader = (offset, dest) => {
    if (offset + dest.length > file.length) return false;
    dest.set(file.subarray(offset, offset + dest.length));
    return true;
  };
  const entry = openImage(file, file.length, key, read, () => {});
  if (entry === null || !entry.ensureAll()) return null;
  return [...entry.parts];
}

/**
 * Opens the cache entry for `key`: its header and table are read and
 * checked now, its parts on demand (see {@link IndexCacheEntry}). Null if
 * there is none, caching is disabled, or the entry does not match. Never
 * throws. The file stays open until every page is read or
 * {@link IndexCacheEntry.close}.
 */
export function openIndexCache(
  key: IndexCacheKey,
  dir = indexCacheDir(),
): IndexCacheEntry | null {
  if (dir === null) return null;
  const path = fileName(dir, key);
  if (path === null) return null;
  const map = mapFile(path);
  if (map !== null) {
    const m = map.bytes;
    return openImage(m, m.length, key, () => true, () => {}, m);
  }
  let file: FileReader | null = null;
  try {
    file = FileReader.open(path, 0);
    const f = file;
    const length = f.size;
    const read: RangeReader = (offset, dest) => {
      try {
        f.readUncachedInto(offset, dest);
        return true;
      } catch {
        return false;
      }
    };
    const first = new Uint8Array(Math.min(length, FIRST_READ));
    if (!read(0, first)) throw new Error("short read");
    const entry = openImage(first, length, key, read, () => f.close());
    if (entry === null) throw new Error("no entry");
    return entry;
  } catch {
    try {
      file?.close();
    } catch { /* closed */ }
    return null;
  }
}

/**
 * Reads the whole cache entry for `key` and checks it: its parts, or null
 * (see {@link openIndexCache}). Never throws.
 */
export function readIndexCache(key: IndexCacheKey, dir = indexCacheDir()): Uint8Array[] | null {
  const entry = openIndexCache(key, dir);
  if (entry === null) return null;
  const ok = entry.ensureAll();
  entry.close();
  return ok ? [...entry.parts] : null;
}

/**
 * The parts of the whole cache file of `kind` for `key`, read at once and
 * checked (for small files: the layouts), or null (none, caching disabled,
 * not matching, damaged). Never throws.
 */
export function readCacheFile(
  key: IndexCacheKey,
  kind: CacheKind,
  dir = indexCacheDir(),
): Uint8Array[] | null {
  if (dir === null) return null;
  const path = fileName(dir, key, kind);
  if (path === null) return null;
  try {
    return decodeCacheFile(Deno.readFileSync(path), key);
  } catch {
    return null;
  }
}

/**
 * Whether index cache entries can be written: a cache directory is known
 * and writing to it is permitted (Deno permissions; the file system may
 * still refuse, which {@link writeIndexCache} tolerates).
 */
export function indexCacheWritable(dir = indexCacheDir()): boolean {
  if (dir === null) return false;
  try {
    return Deno.permissions.querySync({ name: "write", path: dir }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Saves `parts` as the cache entry for `key` (temporary file + rename).
 * Returns whether it was written; failures are otherwise silent.
 */
export function writeIndexCache(
  key: IndexCacheKey,
  parts: readonly Uint8Array[],
  dir = indexCacheDir(),
  kind: CacheKind = "index",
): boolean {
  if (dir === null) return false;
  const path = fileName(dir, key, kind);
  if (path === null) return false;
  const tmp = `${path}.${Deno.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeFileSync(tmp, encodeCacheFile(key, parts), { mode: 0o644 });
    Deno.renameSync(tmp, path);
    return true;
  } catch {
    try {
      Deno.removeSync(tmp);
    } catch { /* never created */ }
    return false;
  }
}
