/**
 * The two checksums of the zlib family: CRC-32 (ISO 3309 / ITU-T V.42, the
 * one gzip, PNG and zlib's `crc32()` compute, RFC 1952 §8) and Adler-32
 * (RFC 1950 §9). Both run in plain TypeScript so callers do not need
 * `node:zlib`, whose import costs Deno about 13 ms of start-up.
 *
 * Both take the previous value as `init`, as zlib's `crc32(crc, buf, len)`
 * and `adler32(adler, buf, len)` do, so a checksum can be computed over
 * pieces: `crc32(b, crc32(a))` equals `crc32(a ++ b)`.
 *
 * @module
 */

import { HOST_LITTLE_ENDIAN } from "./byte_reader.ts";

/** The reflected CRC-32 polynomial (x^32 + x^26 + … + 1, bit-reversed). */
const CRC32_POLY = 0xedb88320;

/**
 * Slicing-by-8 tables: table k (at `k * 256`) is the CRC of a byte followed
 * by k zero bytes, so eight input bytes fold into the CRC with eight
 * look-ups and no per-bit work. Built on first use (about 10 µs).
 */
let crcTables: Int32Array | undefined;

function makeCrcTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32_POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * The CRC-32 of `bytes` (zlib's and gzip's), continuing from `init`, the
 * CRC of the data before `bytes` (0 for none).
 *
 * @param bytes The data.
 * @param init The CRC of the preceding data, or 0.
 * @returns The CRC as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { crc32 } from "./checksum.ts";
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array, init = 0): number {
  const t = crcTables ??= makeCrcTables();
  let crc = ~init;
  const n = bytes.length;
  let i = 0;
  for (const end8 = n - 7; i < end8; i += 8) {
    const lo = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) |
      (bytes[i + 3]! << 24));
    const hi = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) |
      (bytes[i + 7]! << 24);
    crc = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!;
  }
  for (; i < n; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]!) & 0xff]!;
  return ~crc >>> 0;
}

/** Adler-32's modulus: the largest prime below 2^16. */
const ADLER_BASE = 65521;

/**
 * Bytes summed between reductions in the byte-at-a-time loop. zlib's NMAX
 * (5552) keeps the sums below 2^32; 3800 keeps them below 2^31, so they
 * stay small integers in V8.
 */
const ADLER_CHUNK = 3800;

/** 64-byte blocks summed between reductions in the word loop (sums stay below 2^31). */
const ADLER_BLOCKS = 32;

/**
 * The Adler-32 of `bytes` (RFC 1950 §9), continuing from `init`, the
 * checksum of the data before `bytes` (1 for none).
 *
 * @param bytes The data.
 * @param init The checksum of the preceding data, or 1.
 * @returns The checksum as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { adler32 } from "./checksum.ts";
 * adler32(new TextEncoder().encode("Wikipedia")); // 0x11e60398
 * ```
 */
export function adler32(bytes: Uint8Array, init = 1): number {
  let a = init & 0xffff;
  let b = (init >>> 16) & 0xffff;
  const n = bytes.length;
  let i = 0;
  // (The word loop reads bytes through a Uint32Array.)
  if (HOST_LITTLE_ENDIAN && n >= 256) {
    // Aligned 32-bit words, two 16-bit lanes each: even bytes (0, 2) and
    // odd bytes (1, 3). Over a block of 16 words, s sums each lane and t
    // sums the running s, so t weighs word k by 16 - k; the sums stay
    // below 2^16 per lane. Per block of N = 64 bytes x[0 … 63]:
    //   a' = a + Σ x[j],  b' = b + N·a + Σ (N - j)·x[j]
    // and with j = 4k + l, N - j = 4(16 - k) - l.
    while (((bytes.byteOffset + i) & 3) !== 0) {
      a += bytes[i++]!;
      b += a;
    }
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
    const blocks = words.length >>> 4;
    let k = 0;
    for (let blk = 0; blk < blocks;) {
      for (const stop = Math.min(blocks, blk + ADLER_BLOCKS); blk < stop; blk++) {
        let se = 0;
        let so = 0;
        let te = 0;
        let to = 0;
        for (const end = k + 16; k < end; k++) {
          const w = words[k]!;
          se += w & 0x00ff00ff;
          so += (w >>> 8) & 0x00ff00ff;
          te += se;
          to += so;
        }
        const s0 = se & 0xffff;
        const s1 = so & 0xffff;
        const s2 = se >>> 16;
        const s3 = so >>> 16;
        const t = (te & 0xffff) + (te >>> 16) + (to & 0xffff) + (to >>> 16);
        b += 64 * a + 4 * t - (s1 + 2 * s2 + 3 * s3);
        a += s0 + s1 + s2 + s3;
      }
      a %= ADLER_BASE;
      b %= ADLER_BASE;
    }
    i += k * 4;
  }
  while (i < n) {
    const end = Math.min(n, i + ADLER_CHUNK);
    for (const end4 = end - 3; i < end4; i += 4) {
      a += bytes[i]!;
      b += a;
      a += bytes[i + 1]!;
      b += a;
      a += bytes[i + 2]!;
      b += a;
      a += bytes[i + 3]!;
      b += a;
    }
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return ((b << 16) | a) >>> 0;
}
