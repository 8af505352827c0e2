/**
 * The system's zlib and zstd libraries through Deno's FFI (see ffi.ts: only
 * when FFI is granted), for compressed dump pages and debug sections.
 *
 * - zlib (`libz.so.1`, `uncompress`): about 13 µs a 4 KiB kdump page
 *   against the WebAssembly decoder's 20, and nothing to compile (loading
 *   it costs ~0.4 ms, about what instantiating the WebAssembly costs). It
 *   accepts only what inflate.ts accepts (header, data and Adler-32
 *   checked, bytes after the stream ignored); when it refuses a stream,
 *   inflate.ts decodes it again to say what is wrong and where.
 * - zstd (`libzstd.so.1`, `ZSTD_decompress`): without it, zstd pages need
 *   `node:zlib`, whose import costs ~10 ms of start-up.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { HOST_LITTLE_ENDIAN } from "./byte_reader.ts";
import { inRegister, openNativeLibrary, resultI32, resultPointer, resultU64 } from "./ffi.ts";

// (Results in registers, see inRegister: opening a library costs less.)
const ZLIB_SYMBOLS = {
  // int uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)
  uncompress: { parameters: ["buffer", "buffer", "buffer", "usize"], result: inRegister("i32") },
  // uLong crc32(uLong crc, const Bytef *buf, uInt len)
  crc32: { parameters: ["u64", "buffer", "u32"], result: inRegister("u64") },
} as const;

const ZSTD_SYMBOLS = {
  // size_t ZSTD_decompress(void *dst, size_t dstCapacity, const void *src, size_t compressedSize)
  ZSTD_decompress: {
    parameters: ["buffer", "usize", "buffer", "usize"],
    result: inRegister("usize"),
  },
  ZSTD_isError: { parameters: ["usize"], result: inRegister("u32") },
  ZSTD_getErrorName: { parameters: ["usize"], result: inRegister("pointer") },
  ZSTD_getErrorCode: { parameters: ["usize"], result: inRegister("i32") },
} as const;

/**
 * `uncompress` again with a plain result, for sessions that inflate many
 * pages: Deno compiles it into a fast call (~0.5 ms once), which then
 * costs ~0.7 µs less a call than the register-result one.
 */
const ZLIB_FAST_SYMBOLS = {
  uncompress: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "i32" },
} as const;
/** Inflations after which {@link inflateZlibNative} switches to the fast call. */
const FAST_INFLATE_AFTER = 1000;

type Zlib = Deno.DynamicLibrary<typeof ZLIB_SYMBOLS>["symbols"];
type ZlibFast = Deno.DynamicLibrary<typeof ZLIB_FAST_SYMBOLS>["symbols"];
type Zstd = Deno.DynamicLibrary<typeof ZSTD_SYMBOLS>["symbols"];

let zlib: Zlib | null | undefined;
let zlibFast: ZlibFast | null | undefined;
let inflations = 0;
let zstd: Zstd | null | undefined;
/** `uncompress`'s in/out length argument (a 64-bit `uLong`, as on every 64-bit Linux: low word, high word 0). */
const destLen = new Uint32Array(2);
const Z_OK = 0;
/** `ZSTD_error_dstSize_tooSmall` (zstd_errors.h, stable since zstd 1.3). */
const ZSTD_ERROR_DST_SIZE_TOO_SMALL = 70;

/**
 * Whether the system's zlib is in use: FFI granted, `libz.so.1` present,
 * and a little-endian host ({@link destLen} is written as two 32-bit words).
 */
export function hasNativeZlib(): boolean {
  zlib ??= HOST_LITTLE_ENDIAN ? openNativeLibrary(["libz.so.1", "libz.so"], ZLIB_SYMBOLS) : null;
  return zlib !== null;
}

/** Whether the system's zstd is in use (FFI granted and `libzstd.so.1` present). */
export function hasNativeZstd(): boolean {
  return (zstd ??= openNativeLibrary(["libzstd.so.1", "libzstd.so"], ZSTD_SYMBOLS)) !== null;
}

/**
 * Decodes the zlib stream `src` into `out` with the system's zlib: the
 * output length, or -1 if there is no native zlib (see
 * {@link hasNativeZlib}) or it refuses the stream (malformed, truncated,
 * larger than `out`, or an Adler-32 mismatch).
 */
export function inflateZlibNative(src: Uint8Array, out: Uint8Array): number {
  if (!hasNativeZlib() || src.length === 0) return -1;
  destLen[0] = out.length;
  destLen[1] = 0;
  if (inflations < FAST_INFLATE_AFTER) inflations++;
  else zlibFast ??= openNativeLibrary(["libz.so.1", "libz.so"], ZLIB_FAST_SYMBOLS);
  const n = BigInt(src.length);
  const r = zlibFast
    ? zlibFast.uncompress(out, destLen, src, n)
    : resultI32(zlib!.uncompress(out, destLen, src, n));
  return r === Z_OK ? destLen[0]! : -1;
}

/**
 * zlib's CRC-32 of `bytes` continuing from `init` (the same value as
 * checksum.ts's `crc32(bytes, init)`), or -1 without the system's zlib
 * (see {@link hasNativeZlib}).
 */
export function crc32Native(bytes: Uint8Array, init: number): number {
  if (!hasNativeZlib() || bytes.length > 0x7fffffff) return -1;
  // (zlib answers 0, its initial value, for a null buffer, which Deno
  // passes for an empty one; the CRC of nothing more is `init`.)
  if (bytes.length === 0) return init >>> 0;
  // A CRC fills the low 32 bits of the uLong (read first: a little-endian host).
  return resultI32(zlib!.crc32(BigInt(init), bytes, bytes.length)) >>> 0;
}

/**
 * Decodes the zstd frames in `src` into `out` with the system's zstd: the
 * output length; -1 if the output would be larger than `out`; null if
 * there is no native zstd (see {@link hasNativeZstd}).
 *
 * @throws {DecodeError} (naming `what`) with zstd's reason when the data is
 *   malformed, truncated or fails its checksum.
 */
export function zstdDecompressNative(
  src: Uint8Array,
  out: Uint8Array,
  what: string,
): number | null {
  if (!hasNativeZstd()) return null;
  const z = zstd!;
  const r = resultU64(z.ZSTD_decompress(out, BigInt(out.length), src, BigInt(src.length)));
  if (resultI32(z.ZSTD_isError(r)) === 0) return Number(r);
  if (resultI32(z.ZSTD_getErrorCode(r)) === ZSTD_ERROR_DST_SIZE_TOO_SMALL) return -1;
  const name = resultPointer(z.ZSTD_getErrorName(r));
  const reason = name === null ? "error" : Deno.UnsafePointerView.getCString(name);
  throw new DecodeError(what, 0, `zstd: ${reason}`);
}
