/**
 * Read-only memory maps of files (`mmap(2)` through Deno's FFI), so that
 * big debug sections are used in place: no copy, and only the pages a
 * session touches are read (by the kernel, from its page cache).
 *
 * Needs Deno's FFI permission (`--allow-ffi` or `-A`); without it, or with
 * `WYVERN_NO_MMAP=1` (or `WYVERN_NO_FFI=1`: see ffi.ts), or on a platform
 * without libc's `mmap`,
 * {@link mapFile} returns null and callers read the file instead. Maps
 * are private (the debugger never writes to its files: a stray write to a
 * view would change only this process's copy) and live as long as the
 * process: views of them stay valid. A file truncated
 * by someone else while mapped makes reads of the lost pages fault, as in
 * any debugger that maps its files.
 *
 * @module
 */

import { envFlag } from "../env.ts";
import { inRegister, openNativeLibrary, resultI32, resultPointer, resultU64 } from "./ffi.ts";

// (Results in registers, see inRegister: a session maps a few files.)
const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: inRegister("i32") },
  close: { parameters: ["i32"], result: inRegister("i32") },
  lseek: { parameters: ["i32", "i64", "i32"], result: inRegister("i64") },
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: inRegister("pointer"),
  },
  madvise: { parameters: ["pointer", "usize", "i32"], result: inRegister("i32") },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const SEEK_END = 2;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_PRIVATE = 2;
const MADV_DONTNEED = 4;
const PAGE = 4096;

let libc: Libc | null | undefined;

/** libc through FFI, or null when FFI is not allowed (never prompts) or unavailable. */
function openLibc(): Libc | null {
  if (libc === undefined) {
    libc = envFlag("WYVERN_NO_MMAP") ? null : openNativeLibrary(["libc.so.6"], SYMBOLS);
  }
  return libc;
}

/** A file mapped read-only. */
export interface FileMapping {
  /** The whole file. */
  readonly bytes: Uint8Array;
  /**
   * Drops the pages of `[offset, offset + length)` from this process's
   * memory (they are read again if touched): for one pass over a big
   * section, so that peak memory does not include all of it.
   */
  release(offset: number, length: number): void;
}

/** Maps made so far, by path, with the identity of the file they map. */
const maps = new Map<string, { id: string; map: FileMapping }>();

/** What identifies the file at `path` now (device, inode, size, modification time), or null. */
function identity(path: string): string | null {
  try {
    const st = Deno.statSync(path);
    if (!st.isFile) return null;
    return `${st.dev}:${st.ino}:${st.size}:${st.mtime?.getTime() ?? 0}`;
  } catch {
    return null;
  }
}

/**
 * Maps the file at `path` read-only, or returns null if it cannot (see the
 * module doc). The same file (same device, inode, size and modification
 * time) is mapped once per process.
 */
export function mapFile(path: string): FileMapping | null {
  const c = openLibc();
  if (c === null) return null;
  const id = identity(path);
  if (id === null) return null;
  const hit = maps.get(path);
  if (hit !== undefined && hit.id === id) return hit.map;
  const map = mapNew(c, path);
  // (Had the file been replaced while it was mapped, the next call's
  // identity would differ from `id` and map it again.)
  if (map !== null) maps.set(path, { id, map });
  return map;
}

function mapNew(c: Libc, path: string): FileMapping | null {
  const fd = resultI32(c.open(new TextEncoder().encode(path + "\0"), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return null;
  try {
    const size = Number(BigInt.asIntN(64, resultU64(c.lseek(fd, 0n, SEEK_END))));
    if (!(size > 0) || size > Number.MAX_SAFE_INTEGER) return null;
    // Private: a write to a view (none is meant to happen) changes this
    // process's copy of the page, never the file, and never faults.
    const p = resultPointer(
      c.mmap(null, BigInt(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0n),
    );
    // MAP_FAILED is (void *)-1.
    if (p === null || Deno.UnsafePointer.value(p) === 0xffffffffffffffffn) return null;
    const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, size));
    const base = Deno.UnsafePointer.value(p);
    return {
      bytes,
      release(offset: number, length: number): void {
        // Whole pages inside the range only.
        const from = Math.ceil(Math.max(0, offset) / PAGE) * PAGE;
        const to = Math.floor(Math.min(size, offset + length) / PAGE) * PAGE;
        if (to <= from) return;
        c.madvise(Deno.UnsafePointer.create(base + BigInt(from)), BigInt(to - from), MADV_DONTNEED);
      },
    };
  } catch {
    return null;
  } finally {
    c.close(fd);
  }
}
