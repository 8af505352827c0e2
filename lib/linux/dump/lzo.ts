/**
 * LZO1X decompression: the stream format that liblzo's `lzo1x_1_compress`
 * writes and `lzo1x_decompress_safe` reads (makedumpfile `-l` and QEMU
 * `kdump-lzo` pages). Written from the format description in the Linux
 * kernel's `Documentation/staging/lzo.rst`; the kernel-only LZO-RLE
 * extension (bitstream version 1, zram) is not accepted.
 *
 * Every read of the input and every write of the output is bounds-checked:
 * corrupt input throws a {@link DecodeError} naming the offset of the bad
 * instruction in the input, never writes outside `dst`, and cannot loop
 * forever (each step consumes input).
 *
 * @module
 */

import { DecodeError } from "../../errors.ts";

/**
 * Decompresses one LZO1X stream from `src` into `dst` and returns the number
 * of bytes written. The stream must end with the end-of-stream marker and
 * have no bytes after it.
 *
 * @param src The compressed bytes (exactly one stream).
 * @param dst Where the output goes; it bounds the output size.
 * @param section Names the data in error messages.
 * @returns The number of bytes written to `dst`.
 * @throws {DecodeError} On corrupt input or output larger than `dst`.
 *
 * @example
 * ```ts
 * import { lzo1xDecompress } from "./lzo.ts";
 * // "abcd" as one literal run, then the end-of-stream marker.
 * const src = new Uint8Array([21, 97, 98, 99, 100, 0x11, 0, 0]);
 * const dst = new Uint8Array(4);
 * lzo1xDecompress(src, dst); // 4
 * ```
 */
export function lzo1xDecompress(src: Uint8Array, dst: Uint8Array, section = "LZO1X data"): number {
  const inEnd = src.length;
  const outEnd = dst.length;
  let ip = 0;
  let op = 0;
  // Literals copied by the previous instruction: 0, 1–3, or 4 for a run of
  // four or more. It decides what an instruction byte below 16 means.
  let state = 0;

  const fail = (at: number, message: string): never => {
    throw new DecodeError(section, at, message);
  };
  // The variable-length extension of a length field: zero bytes add 255
  // each, the first non-zero byte ends it.
  const extra = (): number => {
    const start = ip;
    while (ip < inEnd && src[ip] === 0) ip++;
    if (ip >= inEnd) fail(start, "input ends inside a length");
    const zeros = ip - start;
    return zeros * 255 + src[ip++]!;
  };
  const literals = (n: number, at: number): void => {
    if (ip + n > inEnd) fail(at, `literal run of ${n} bytes overruns the input`);
    if (op + n > outEnd) fail(at, `output overrun (more than ${outEnd} bytes)`);
    if (n < 8) {
      for (let i = 0; i < n; i++) dst[op + i] = src[ip + i]!;
    } else {
      dst.set(src.subarray(ip, ip + n), op);
    }
    ip += n;
    op += n;
  };

  if (inEnd === 0) fail(0, "empty input");
  // The first byte may start with a literal run (there is no dictionary yet).
  if (src[0]! > 17) {
    const n = src[0]! - 17;
    ip = 1;
    literals(n, 0);
    state = n < 4 ? n : 4;
  }

  for (;;) {
    if (ip >= inEnd) fail(ip, "input ends without an end-of-stream marker");
    const at = ip;
    const t = src[ip++]!;
    let length: number;
    let distance: number;
    let next: number;
    if (t < 16) {
      if (state === 0) {
        // 0000LLLL: a run of 4 or more literals.
        const n = (t === 0 ? 15 + extra() : t) + 3;
        literals(n, at);
        state = 4;
        continue;
      }
      if (ip >= inEnd) fail(at, "input ends inside an instruction");
      const h = src[ip++]!;
      if (state === 4) {
        // 0000DDSS HHHHHHHH after a literal run: 3 bytes from 2..3 kB back.
        length = 3;
        distance = (h << 2) + (t >> 2) + 2049;
      } else {
        // 0000DDSS HHHHHHHH after 1–3 literals: 2 bytes from 1 kB back.
        length = 2;
        distance = (h << 2) + (t >> 2) + 1;
      }
      next = t & 3;
    } else if (t < 32) {
      // 0001HLLL + LE16: 16..48 kB back, or the end of the stream.
      length = (t & 7) === 0 ? 7 + extra() + 2 : (t & 7) + 2;
      if (ip + 2 > inEnd) fail(at, "input ends inside an instruction");
      const le = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      distance = 16384 + ((t & 8) << 11) + (le >> 2);
      next = le & 3;
      if (distance === 16384) {
        if (length !== 3) fail(at, "malformed end-of-stream marker");
        if (ip !== inEnd) fail(ip, `${inEnd - ip} bytes after the end-of-stream marker`);
        return op;
      }
    } else if (t < 64) {
      // 001LLLLL + LE16: up to 16 kB back.
      length = (t & 31) === 0 ? 31 + extra() + 2 : (t & 31) + 2;
      if (ip + 2 > inEnd) fail(at, "input ends inside an instruction");
      const le = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      distance = (le >> 2) + 1;
      next = le & 3;
    } else {
      // 01LDDDSS or 1LLDDDSS + 1 byte: 3–8 bytes from up to 2 kB back.
      if (ip >= inEnd) fail(at, "input ends inside an instruction");
      const h = src[ip++]!;
      length = t < 128 ? 3 + ((t >> 5) & 1) : 5 + ((t >> 5) & 3);
      distance = (h << 3) + ((t >> 2) & 7) + 1;
      next = t & 3;
    }

    if (distance > op) {
      fail(at, `match distance ${distance} reaches before the start of the output (${op} bytes)`);
    }
    if (op + length > outEnd) fail(at, `output overrun (more than ${outEnd} bytes)`);
    let from = op - distance;
    if (distance >= length && length >= 16) {
      dst.copyWithin(op, from, from + length);
      op += length;
    } else {
      // Overlapping copies repeat the last `distance` bytes.
      const end = op + length;
      while (op < end) dst[op++] = dst[from++]!;
    }
    if (next !== 0) literals(next, at);
    state = next;
  }
}
