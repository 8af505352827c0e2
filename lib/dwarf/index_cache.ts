/**
 * The persistent DWARF index cache: a file's unit table and name index
 * (see `serializeUnits`, `NameIndex.serialize`) saved on disk so that the
 * next session opening the same file needs no pass over `.debug_info`.
 *
 * Entries are keyed by the file's GNU build ID, and each records the file's
 * size and modification time, the section fingerprint and format versions
 * it was made for, and a checksum of its contents; a cache file that does
 * not match in every respect, or is truncated or damaged, is ignored (and
 * replaced by the next write). Files are written to a temporary name and
 * renamed, so readers never see half a file. Writing failures (read-only
 * home, full disk, no permission) are silent: the cache is an optimization.
 *
 * Location: `$WYVERN_CACHE_DIR`, else `$XDG_CACHE_HOME/wyvern`, else
 * `~/.cache/wyvern`. `WYVERN_NO_CACHE=1` disables reading and writing.
 *
 * @module
 */

import { crc32 } from "node:zlib";

/** Format version of cache files (bump when the layout or any part's meaning changes). */
export const CACHE_FORMAT_VERSION = 2;

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
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: treat as unset
  }
}

/**
 * The cache directory, or null if caching is disabled (`WYVERN_NO_CACHE`
 * set to anything but `""` or `"0"`) or no directory can be named.
 */
export function indexCacheDir(): string | null {
  const off = env("WYVERN_NO_CACHE");
  if (off !== undefined && off !== "" && off !== "0") return null;
  const dir = env("WYVERN_CACHE_DIR");
  if (dir) return dir;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/wyvern`;
  const home = env("HOME");
  if (home) return `${home}/.cache/wyvern`;
  return null;
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

function fileName(dir: string, key: IndexCacheKey): string | null {
  if (!/^[0-9a-f]{2,128}$/.test(key.buildId)) return null;
  return `${dir}/dwarf-index-${key.buildId}.bin`;
}

/** CRC-32 of `d` (zlib's, native: well under a millisecond for the vmlinux index). */
export function checksum(d: Uint8Array): number {
  return crc32(d) >>> 0;
}

const align8 = (n: number) => (n + 7) & ~7;
const encoder = new TextEncoder();

/** The header words that identify `key` (written and compared). */
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

/**
 * Serializes `parts` into one cache file image for `key`. Layout (32-bit
 * little-endian words): magic, format version, size (lo, hi), mtime (lo,
 * hi), variant count, part count, build ID length, checksum of the rest,
 * 2 reserved; then the variant words, the part lengths, the build ID
 * bytes, and the parts, each 8-byte aligned.
 */
export function encodeCacheFile(key: IndexCacheKey, parts: readonly Uint8Array[]): Uint8Array {
  const id = encoder.encode(key.buildId);
  let body = align8((key.variant.length + parts.length) * 4 + id.length);
  for (const p of parts) body += align8(p.length);
  const head = HEADER_WORDS * 4;
  const out = new Uint8Array(head + body);
  const v = new DataView(out.buffer);
  let p = head;
  for (const x of key.variant) v.setUint32((p += 4) - 4, x >>> 0, true);
  for (const part of parts) v.setUint32((p += 4) - 4, part.length, true);
  out.set(id, p);
  p = head + align8((key.variant.length + parts.length) * 4 + id.length);
  for (const part of parts) {
    out.set(part, p);
    p += align8(part.length);
  }
  const words = [
    ...keyWords(key),
    key.variant.length,
    parts.length,
    id.length,
    checksum(out.subarray(head)),
    0,
    0,
  ];
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

/**
 * The parts of a cache file image for `key` (views into `file`, 8-byte
 * aligned), or null if it is for another file, another format, truncated
 * or damaged.
 */
export function decodeCacheFile(file: Uint8Array, key: IndexCacheKey): Uint8Array[] | null {
  const head = HEADER_WORDS * 4;
  if (file.length < head || file.byteOffset % 8 !== 0) return null;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const w = (i: number) => v.getUint32(i * 4, true);
  const want = keyWords(key);
  for (let i = 0; i < want.length; i++) if (w(i) !== want[i]! >>> 0) return null;
  const nVariant = w(6);
  const nParts = w(7);
  const idLen = w(8);
  if (nVariant !== key.variant.length || nParts > 64 || idLen > 256) return null;
  if (w(10) !== 0 || w(11) !== 0) return null;
  const table = align8((nVariant + nParts) * 4 + idLen);
  if (head + table > file.length) return null;
  if (checksum(file.subarray(head)) !== w(9)) return null;
  let p = head;
  for (const x of key.variant) {
    if (v.getUint32(p, true) !== x >>> 0) return null;
    p += 4;
  }
  const lengths: number[] = [];
  for (let i = 0; i < nParts; i++) {
    lengths.push(v.getUint32(p, true));
    p += 4;
  }
  const id = new TextDecoder().decode(file.subarray(p, p + idLen));
  if (id !== key.buildId) return null;
  p = head + table;
  const parts: Uint8Array[] = [];
  for (const n of lengths) {
    if (p + n > file.length) return null;
    parts.push(file.subarray(p, p + n));
    p += align8(n);
  }
  if (p !== file.length) return null;
  return parts;
}

/**
 * Reads the cache entry for `key`: its parts, or null if there is none,
 * caching is disabled, or the entry does not match (see
 * {@link decodeCacheFile}). Never throws.
 */
export function readIndexCache(key: IndexCacheKey, dir = indexCacheDir()): Uint8Array[] | null {
  if (dir === null) return null;
  const path = fileName(dir, key);
  if (path === null) return null;
  try {
    return decodeCacheFile(Deno.readFileSync(path), key);
  } catch {
    return null;
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
): boolean {
  if (dir === null) return false;
  const path = fileName(dir, key);
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
