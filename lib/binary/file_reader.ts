/**
 * Random access to (possibly huge) files through positioned reads and a small
 * block cache, so a multi-GB dump is never loaded whole. Dump-format readers
 * take a {@link RandomAccessReader}, which a plain file, a byte array or a
 * reassembled makedumpfile flattened stream can each provide.
 *
 * @module
 */

import { TargetError } from "../errors.ts";
import { mapFile } from "./mmap.ts";

/** Positioned reads over a file-like byte source. */
export interface RandomAccessReader {
  /** A name for error messages (usually the path). */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * Returns `length` bytes at `offset`. The result may be a view into a
   * cache: callers must not modify it and must copy what they keep. Throws a
   * `TargetError` if the range extends past the end.
   */
  readAt(offset: number, length: number): Uint8Array;
  /**
   * Optional fast path: copies `length` bytes at `offset` into
   * `dest[destOffset…]` without an intermediate view.
   */
  readInto?(offset: number, dest: Uint8Array, destOffset: number, length: number): void;
  /** Releases the file handle (idempotent). */
  close(): void;
}

/** A {@link RandomAccessReader} over bytes already in memory. */
export class BytesReader implements RandomAccessReader {
  readonly path: string;
  readonly data: Uint8Array;
  constructor(data: Uint8Array, path = "<memory>") {
    this.data = data;
    this.path = path;
  }
  get size(): number {
    return this.data.length;
  }
  readAt(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    return this.data.subarray(offset, offset + length);
  }
  readInto(offset: number, dest: Uint8Array, destOffset: number, length: number): void {
    this.#check(offset, length);
    copyBytes(this.data, offset, dest, destOffset, length);
  }
  #check(offset: number, length: number): void {
    checkRange(this.path, this.data.length, offset, length);
  }
  close(): void {}
}

/**
 * Copies `length` bytes of `src` at `at` to `dest` at `destOffset`: a few
 * bytes (the common reads of scalars) by a loop, more by `set`.
 */
function copyBytes(
  src: Uint8Array,
  at: number,
  dest: Uint8Array,
  destOffset: number,
  length: number,
): void {
  if (length <= 16) {
    for (let i = 0; i < length; i++) dest[destOffset + i] = src[at + i]!;
  } else {
    dest.set(src.subarray(at, at + length), destOffset);
  }
}

/** Throws a `TargetError` naming `path` unless `[offset, offset + length)` is inside its `size` bytes. */
function checkRange(path: string, size: number, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new TargetError(
      path,
      `read of ${length} bytes at offset ${offset} is past the end of the file (${size} bytes); the file may be truncated`,
    );
  }
}

/** Block size of the file cache. */
const BLOCK_SHIFT = 16;
const BLOCK_SIZE = 1 << BLOCK_SHIFT;

/**
 * A file read with positioned reads, cached in 64 KiB blocks (least recently
 * used blocks are dropped past `maxCacheBytes`).
 */
export class FileReader implements RandomAccessReader {
  readonly path: string;
  readonly size: number;
  #file: Deno.FsFile | null;
  #blocks = new Map<number, Uint8Array>();
  #maxBlocks: number;
  #pos = -1;

  private constructor(path: string, file: Deno.FsFile, size: number, maxCacheBytes: number) {
    this.path = path;
    this.#file = file;
    this.size = size;
    this.#maxBlocks = Math.max(4, Math.floor(maxCacheBytes / BLOCK_SIZE));
  }

  /**
   * Opens `path` for reading. Throws a `TargetError` naming the path for a
   * missing file, a directory, or a permission problem.
   */
  static open(path: string, maxCacheBytes = 256 << 20): FileReader {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (e) {
      throw new TargetError(path, describeFsError(e));
    }
    if (info.isDirectory) throw new TargetError(path, "is a directory, not a file");
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      throw new TargetError(path, describeFsError(e));
    }
    return new FileReader(path, file, info.size, maxCacheBytes);
  }

  /** Reads `length` bytes at `offset` bypassing the cache (a fresh buffer). */
  readUncached(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readUncachedInto(offset, out);
    return out;
  }

  /**
   * Fills `out` with the bytes at `offset`, bypassing the cache. Throws a
   * `TargetError` if the range extends past the end or cannot be read.
   */
  readUncachedInto(offset: number, out: Uint8Array): void {
    this.#check(offset, out.length);
    this.#readFully(offset, out);
  }

  #check(offset: number, length: number): void {
    checkRange(this.path, this.size, offset, length);
  }

  #readFully(offset: number, out: Uint8Array): void {
    const f = this.#file;
    if (f === null) throw new TargetError(this.path, "file is closed");
    if (this.#pos !== offset) f.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < out.length) {
      const n = f.readSync(out.subarray(done));
      if (n === null || n === 0) {
        this.#pos = -1;
        throw new TargetError(this.path, `unexpected end of file at offset ${offset + done}`);
      }
      done += n;
    }
    this.#pos = offset + done;
  }

  #block(index: number): Uint8Array {
    const blocks = this.#blocks;
    const b = blocks.get(index);
    if (b !== undefined) return b;
    const start = index * BLOCK_SIZE;
    const len = Math.min(BLOCK_SIZE, this.size - start);
    const data = new Uint8Array(len);
    this.#readFully(start, data);
    if (blocks.size >= this.#maxBlocks) {
      // Drop the oldest inserted block (Map iterates in insertion order).
      const first = blocks.keys().next().value as number;
      blocks.delete(first);
      if (first === this.#last) {
        this.#last = -1;
        this.#lastBlock = null;
      }
    }
    blocks.set(index, data);
    return data;
  }

  readInto(offset: number, dest: Uint8Array, destOffset: number, length: number): void {
    const first = offset >>> 0 === offset
      ? (offset >>> BLOCK_SHIFT)
      : Math.floor(offset / BLOCK_SIZE);
    const inBlock = offset - first * BLOCK_SIZE;
    if (inBlock + length <= BLOCK_SIZE && offset + length <= this.size && offset >= 0) {
      const b = this.#last === first ? this.#lastBlock! : this.#blockFast(first);
      copyBytes(b, inBlock, dest, destOffset, length);
      return;
    }
    dest.set(this.readAt(offset, length), destOffset);
  }

  #last = -1;
  #lastBlock: Uint8Array | null = null;

  #blockFast(index: number): Uint8Array {
    const b = this.#block(index);
    this.#last = index;
    this.#lastBlock = b;
    return b;
  }

  readAt(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    if (length > BLOCK_SIZE * 4) {
      const out = new Uint8Array(length);
      this.#readFully(offset, out);
      return out;
    }
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    if (first === last || length === 0) {
      const b = this.#block(first);
      const o = offset - first * BLOCK_SIZE;
      return b.subarray(o, o + length);
    }
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = first; i <= last; i++) {
      const b = this.#block(i);
      const o = i === first ? offset - first * BLOCK_SIZE : 0;
      const n = Math.min(b.length - o, length - done);
      out.set(b.subarray(o, o + n), done);
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.#file !== null) {
      try {
        this.#file.close();
      } catch {
        // already closed
      }
      this.#file = null;
    }
    this.#blocks.clear();
    this.#last = -1;
    this.#lastBlock = null;
  }
}

/** Turns a Deno filesystem error into a short reason. */
export function describeFsError(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) {
    return "permission denied (run as a user that can read it, or grant --allow-read)";
  }
  if (e instanceof Deno.errors.IsADirectory) return "is a directory, not a file";
  return e instanceof Error ? e.message : String(e);
}

/**
 * Opens the file at `path` for random access: mapped when it can be (see
 * `mmap.ts`; reads are then views of the kernel's page cache: no read call,
 * no copy, no 64 KiB block read for each scattered 1 KiB of a dump), else
 * through a {@link FileReader}. Errors as {@link FileReader.open}.
 */
export function openFile(path: string): RandomAccessReader {
  // The map first: its `Deno.statSync` needs read permission for `path`
  // as opening does; a file it cannot map (missing, a directory, empty,
  // not permitted) goes to FileReader.open, which says why.
  const map = mapFile(path);
  if (map !== null) return new BytesReader(map.bytes, path);
  return FileReader.open(path);
}
