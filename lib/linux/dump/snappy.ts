/**
 * Snappy decompression (the raw block format, as `snappy_uncompress` reads
 * it: makedumpfile `-p` and QEMU `kdump-snappy` pages). Written from the
 * format description in Snappy's `format_description.txt`.
 *
 * npm's `snappyjs` is used to make test data, but its decoder drops writes
 * past the output and does not check the decoded length, so corrupt pages
 * would read as silently wrong bytes. This decoder checks every read and
 * write and decodes straight into the caller's buffer.
 *
 * @module
 */

import { DecodeError } from "../../errors.ts";

/**
 * Decompresses one raw Snappy block from `src` into `dst` and returns the
 * decoded length (the length in the block's preamble, which must fit `dst`).
 *
 * @param src The compressed block.
 * @param dst Where the output goes; it bounds the output size.
 * @param section Names the data in error messages.
 * @returns The number of bytes written to `dst`.
 * @throws {DecodeError} On corrupt input or output larger than `dst`.
 *
 * @example
 * ```ts
 * import { snappyDecompress } from "./snappy.ts";
 * // Length 4, then a 4-byte literal "abcd".
 * const src = new Uint8Array([4, 3 << 2, 97, 98, 99, 100]);
 * snappyDecompress(src, new Uint8Array(4)); // 4
 * ```
 */
export function snappyDecompress(
  src: Uint8Array,
  dst: Uint8Array,
  section = "snappy data",
): number {
  const inEnd = src.length;
  const fail = (at: number, message: string): never => {
    throw new DecodeError(section, at, message);
  };

  // Preamble: the uncompressed length as a little-endian base-128 varint.
  let ip = 0;
  let total = 0;
  for (let shift = 0;; shift += 7) {
    if (ip >= inEnd) fail(ip, "input ends inside the length preamble");
    if (shift > 28) fail(ip, "length preamble is longer than 5 bytes");
    const c = src[ip++]!;
    total += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
  }
  if (total > dst.length) {
    fail(0, `uncompressed length ${total} exceeds the ${dst.length}-byte output`);
  }

  let op = 0;
  while (ip < inEnd) {
    const at = ip;
    const tag = src[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      // Literal: length-1 in the tag's upper 6 bits, or in 1–4 more bytes.
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (ip + bytes > inEnd) fail(at, "input ends inside a literal length");
        n = 0;
        for (let i = bytes - 1; i >= 0; i--) n = n * 256 + src[ip + i]!;
        ip += bytes;
      }
      n += 1;
      if (ip + n > inEnd) fail(at, `literal of ${n} bytes overruns the input`);
      if (op + n > total) fail(at, `output overrun (more than ${total} bytes)`);
      if (n < 8) {
        for (let i = 0; i < n; i++) dst[op + i] = src[ip + i]!;
      } else {
        dst.set(src.subarray(ip, ip + n), op);
      }
      ip += n;
      op += n;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      if (ip >= inEnd) fail(at, "input ends inside a copy");
      length = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip++]!;
    } else if (kind === 2) {
      if (ip + 2 > inEnd) fail(at, "input ends inside a copy");
      length = (tag >>> 2) + 1;
      offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > inEnd) fail(at, "input ends inside a copy");
      length = (tag >>> 2) + 1;
      offset = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16)) + src[ip + 3]! * 0x1000000;
      ip += 4;
    }
    if (offset === 0 || offset > op) {
      fail(at, `copy offset ${offset} reaches before the start of the output (${op} bytes)`);
    }
    if (op + length > total) fail(at, `output overrun (more than ${total} bytes)`);
    let from = op - offset;
    if (offset >= length && length >= 16) {
      dst.copyWithin(op, from, from + length);
      op += length;
    } else {
      const end = op + length;
      while (op < end) dst[op++] = dst[from++]!;
    }
  }
  if (op !== total) fail(inEnd, `decoded ${op} bytes, the preamble says ${total}`);
  return total;
}
