/**
 * DEFLATE decompression (RFC 1951) with the zlib (RFC 1950) and gzip
 * (RFC 1952) wrappers, in plain TypeScript: kdump pages compressed with
 * zlib's `compress2`, `SHF_COMPRESSED` ELF sections, gzip'd blobs. It
 * spares callers `node:zlib`, whose import costs Deno about 13 ms of
 * start-up (this module: about 1 ms). On 4 KiB kdump pages it is a little
 * faster than a `node:zlib` call (about 11 µs a page against 12); on
 * megabytes it runs at about 0.9 times libz's speed
 * (`scripts/bench_inflate.ts`). `inflateZlib` first tries the system's
 * zlib when Deno's FFI is granted (native_codecs.ts), then the same decoder
 * compiled to WebAssembly (below), which is fast from its first call: a
 * short session's hundred kdump pages decode in 2.3 ms instead of 7.4
 * (2.0 ms with the system's zlib, 0.4 of it loading it).
 *
 * Decoding goes straight into a caller-allocated buffer, whose length
 * bounds the output; bytes past the decoded length may be overwritten
 * (short matches are copied eight bytes at a time). Huffman codes decode through a table indexed by the
 * next 10 bits (8 for distances) whose entries carry the symbol already
 * resolved (literal byte, length or distance base and its extra-bit count,
 * end of block); the rare longer codes go through a second-level table
 * linked from the first. Input is read through a 32-bit bit buffer, kept in
 * local variables and refilled inline where a code is read (a helper
 * would have to keep it in memory, in the hottest loop). Nothing
 * is allocated per block or per symbol: the tables for dynamic blocks are
 * module scratch, rebuilt for each block, and decoding is not re-entrant
 * (nor does it need to be: it never yields).
 *
 * Every malformed input throws a {@link DecodeError} naming the data and
 * the input byte offset: bad block type, invalid Huffman code lengths,
 * invalid symbols, distances beyond the start of the output, output larger
 * than the buffer, truncated input, checksum mismatches. Every loop is
 * bounded by the input or the output length, so garbage never hangs.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { adler32, crc32 } from "./checksum.ts";
import { INFLATE_WASM } from "./inflate_wasm.ts";
import { inflateZlibNative } from "./native_codecs.ts";

// --- Table entries --------------------------------------------------------
//
// A decoding-table entry is one int32: bits 0–7 are the code length to
// consume (for a link, the first-level bits), bits 8–15 the kind and
// bits 16–31 the value.
//
//   kind 0x00         literal; value = the byte
//   kind 0x10 | x     length or distance; value = base, x = extra bits
//   kind 0x20         end of block
//   kind 0x40 | s     link; value = second-level table start, s = its index bits
//   kind 0x80         invalid code (lengths 286–287, distances 30–31, or an
//                     incomplete code's unused bit patterns)

const K_LENGTH = 0x1000;
const K_END = 0x2000;
const K_LINK = 0x4000;
const K_INVALID = 0x8000;

/** First-level index bits of the literal/length and distance tables. */
const LIT_ROOT = 10;
const DIST_ROOT = 8;
/** Longest Huffman code (RFC 1951 §3.2.7). */
const MAX_BITS = 15;

/** Base lengths of length symbols 257–285 and their extra bits (RFC 1951 §3.2.5). */
// deno-fmt-ignore
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
];
// deno-fmt-ignore
const LENGTH_EXTRA = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/** Base distances of distance symbols 0–29 and their extra bits (RFC 1951 §3.2.5). */
// deno-fmt-ignore
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
  2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
// deno-fmt-ignore
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
  13,
];

/** Order in which code-length code lengths are sent (RFC 1951 §3.2.7). */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Entry (without the code length) for each literal/length symbol 0–287. */
const LIT_SYMBOL = new Int32Array(288);
/** Entry (without the code length) for each distance symbol 0–31. */
const DIST_SYMBOL = new Int32Array(32);
/** Entry for each code-length symbol 0–18: the symbol as a "literal". */
const CLEN_SYMBOL = new Int32Array(19);
/** Bit reversal of a byte. */
const REVERSE8 = new Uint8Array(256);

for (let i = 0; i < 256; i++) LIT_SYMBOL[i] = i << 16;
LIT_SYMBOL[256] = K_END;
for (let i = 0; i < 29; i++) {
  LIT_SYMBOL[257 + i] = (LENGTH_BASE[i]! << 16) | K_LENGTH | (LENGTH_EXTRA[i]! << 8);
}
LIT_SYMBOL[286] = LIT_SYMBOL[287] = K_INVALID;
for (let i = 0; i < 30; i++) {
  DIST_SYMBOL[i] = (DIST_BASE[i]! << 16) | K_LENGTH | (DIST_EXTRA[i]! << 8);
}
DIST_SYMBOL[30] = DIST_SYMBOL[31] = K_INVALID;
for (let i = 0; i < 19; i++) CLEN_SYMBOL[i] = i << 16;
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) r |= ((i >>> b) & 1) << (7 - b);
  REVERSE8[i] = r;
}

// --- Table building -------------------------------------------------------

/**
 * Second-level space: a second-level table of s bits needs at least s + 1
 * codes under its prefix, so 288 literal/length codes fill at most 48
 * tables of 32 entries (1536) and 32 distance codes at most 4 of 128.
 */
const LIT_TABLE_SIZE = (1 << LIT_ROOT) + 1536;
const DIST_TABLE_SIZE = (1 << DIST_ROOT) + 512;

/** Tables of the current dynamic block (module scratch, rebuilt per block). */
const dynLit = new Int32Array(LIT_TABLE_SIZE);
const dynDist = new Int32Array(DIST_TABLE_SIZE);
const clenTable = new Int32Array(1 << 7);
/** Code lengths of a dynamic block: HLIT literal/length then HDIST distance lengths. */
const lengths = new Uint8Array(288 + 32);
const clenLengths = new Uint8Array(19);
/** Scratch for building: codes per length, symbols sorted by (length, symbol). */
const blCount = new Uint16Array(MAX_BITS + 1);
const nextIndex = new Uint16Array(MAX_BITS + 1);
const sorted = new Uint16Array(288);

/** What {@link buildTable} reports besides success. */
const BUILD_OK = 0;
const BUILD_OVERSUBSCRIBED = 1;
const BUILD_INCOMPLETE = 2;

/**
 * Fills `table` with the decoding table of the canonical Huffman code whose
 * code lengths are `lens[start … start + n)` (RFC 1951 §3.2.2): first-level
 * entries for `root` bits, second-level tables after them for longer codes.
 *
 * An over-subscribed code is an error. An incomplete code is an error too,
 * except (as zlib allows, and RFC 1951 §3.2.7 needs for one distance code)
 * a code whose only lengths are 1 when `allowSingle`, and the empty code;
 * their unused bit patterns decode as invalid.
 */
function buildTable(
  lens: Uint8Array,
  start: number,
  n: number,
  symbols: Int32Array,
  table: Int32Array,
  root: number,
  allowSingle: boolean,
): number {
  const count = blCount;
  count.fill(0);
  for (let i = 0; i < n; i++) count[lens[start + i]!]!++;
  count[0] = 0;
  let max = MAX_BITS;
  while (max > 0 && count[max] === 0) max--;
  const size = 1 << root;
  if (max === 0) {
    if (!allowSingle) return BUILD_INCOMPLETE;
    table.fill(K_INVALID, 0, size);
    return BUILD_OK;
  }
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - count[len]!;
    if (left < 0) return BUILD_OVERSUBSCRIBED;
  }
  if (left > 0) {
    if (!(allowSingle && max === 1)) return BUILD_INCOMPLETE;
    table.fill(K_INVALID, 0, size);
  }

  // Symbols sorted by code length, then by value: canonical code order.
  const next = nextIndex;
  next[1] = 0;
  for (let len = 1; len < MAX_BITS; len++) next[len + 1] = next[len]! + count[len]!;
  for (let i = 0; i < n; i++) {
    const len = lens[start + i]!;
    if (len !== 0) sorted[next[len]!++] = i;
  }

  let code = 0; // the canonical code, most significant bit first
  let k = 0; // index into sorted
  let len = 1;
  // Codes that fit the first level: replicate each over the root bits
  // that follow it. Codes go in LSB-first, hence the bit reversal.
  for (; len <= max && len <= root; len++) {
    for (let c = count[len]!; c > 0; c--) {
      const entry = symbols[sorted[k++]!]! | len;
      const rev = ((REVERSE8[code & 0xff]! << 8) | REVERSE8[code >>> 8]!) >>> (16 - len);
      for (let i = rev; i < size; i += 1 << len) table[i] = entry;
      code++;
    }
    code <<= 1;
  }
  if (len > max) return BUILD_OK;

  // Longer codes: a second-level table per distinct first-`root`-bit
  // prefix. Canonical codes with one prefix are consecutive, so a table is
  // opened when the prefix changes, sized for the codes still to come that
  // fill its subtree.
  const remaining = count; // consumed as codes are placed
  let prefix = -1;
  let subStart = size; // where the next second-level table goes
  let subBase = 0;
  let subBits = 0;
  for (; len <= max; len++) {
    while (remaining[len]! > 0) {
      const rev = ((REVERSE8[code & 0xff]! << 8) | REVERSE8[code >>> 8]!) >>> (16 - len);
      const p = rev & (size - 1);
      if (p !== prefix) {
        prefix = p;
        let bits = len - root;
        let room = (1 << bits) - remaining[len]!;
        while (room > 0 && bits + root < max) {
          bits++;
          room = (room << 1) - remaining[bits + root]!;
        }
        if (subStart + (1 << bits) > table.length) return BUILD_OVERSUBSCRIBED; // cannot happen
        subBase = subStart;
        subBits = bits;
        subStart += 1 << bits;
        table[p] = (subBase << 16) | K_LINK | (bits << 8) | root;
      }
      const entry = symbols[sorted[k++]!]! | len;
      const subSize = 1 << subBits;
      for (let i = rev >>> root; i < subSize; i += 1 << (len - root)) table[subBase + i] = entry;
      remaining[len]!--;
      code++;
    }
    code <<= 1;
  }
  return BUILD_OK;
}

/** The fixed literal/length and distance tables (RFC 1951 §3.2.6), built on first use. */
let fixedLit: Int32Array | undefined;
let fixedDist: Int32Array | undefined;

function buildFixed(): void {
  const lens = new Uint8Array(288);
  lens.fill(8, 0, 144);
  lens.fill(9, 144, 256);
  lens.fill(7, 256, 280);
  lens.fill(8, 280, 288);
  const lit = new Int32Array(LIT_TABLE_SIZE);
  buildTable(lens, 0, 288, LIT_SYMBOL, lit, LIT_ROOT, false);
  const dlens = new Uint8Array(32).fill(5);
  const dist = new Int32Array(DIST_TABLE_SIZE);
  buildTable(dlens, 0, 32, DIST_SYMBOL, dist, DIST_ROOT, false);
  fixedLit = lit;
  fixedDist = dist;
}

// --- The decoder ----------------------------------------------------------

/** Where the last {@link inflateAt} call stopped reading: one past the final block. */
let inputEnd = 0;
/** {@link inflateAt}'s result when the output does not fit and the caller can grow it. */
const OUTPUT_FULL = -1;

/**
 * The error for `message` at the symbol that ends `back` bits before the
 * decoder's position, or "truncated" if the input ran out before there.
 */
function streamError(
  what: string,
  srcStart: number,
  srcLen: number,
  pos: number,
  bitcnt: number,
  message: string,
  back = 0,
): DecodeError {
  const bitPos = pos * 8 - bitcnt;
  if (bitPos > srcLen * 8) {
    return new DecodeError(what, srcLen, "input ends inside the deflate stream (truncated)");
  }
  return new DecodeError(what, Math.max(srcStart, Math.floor((bitPos - back) / 8)), message);
}

/**
 * Decodes the raw DEFLATE stream at `src[srcStart …]` into `out[outStart …]`
 * and returns the output end; sets {@link inputEnd}. When the output does
 * not fit, throws, or returns {@link OUTPUT_FULL} if `growable`.
 */
function inflateAt(
  src: Uint8Array,
  srcStart: number,
  out: Uint8Array,
  outStart: number,
  what: string,
  growable: boolean,
): number {
  const srcLen = src.length;
  const outLen = out.length;
  // Input past the end reads as zero bytes (`pos` runs ahead of srcLen);
  // whether real input ran out is checked at each block end and error.
  let pos = srcStart;
  let bitbuf = 0;
  let bitcnt = 0;
  let o = outStart;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);

  let last = 0;
  do {
    // Block header: BFINAL, BTYPE (RFC 1951 §3.2.3).
    while (bitcnt < 24) {
      bitbuf |= (pos < srcLen ? src[pos]! : 0) << bitcnt;
      pos++;
      bitcnt += 8;
    }
    last = bitbuf & 1;
    const type = (bitbuf >>> 1) & 3;
    bitbuf = (bitbuf >>> 3) | 0;
    bitcnt -= 3;
    if (pos * 8 - bitcnt > srcLen * 8) throw streamError(what, srcStart, srcLen, pos, bitcnt, "");

    if (type === 0) {
      // Stored block (§3.2.4): skip to a byte boundary, LEN, NLEN, bytes.
      const drop = bitcnt & 7;
      bitbuf = (bitbuf >>> drop) | 0;
      bitcnt -= drop;
      pos -= bitcnt >>> 3; // give back the whole bytes in the buffer
      bitbuf = 0;
      bitcnt = 0;
      if (pos + 4 > srcLen) {
        throw new DecodeError(what, srcLen, "input ends inside a stored block header (truncated)");
      }
      const n = src[pos]! | (src[pos + 1]! << 8);
      const nn = src[pos + 2]! | (src[pos + 3]! << 8);
      if (n !== (~nn & 0xffff)) {
        throw new DecodeError(
          what,
          pos,
          `stored block length ${n} does not match its complement ${nn ^ 0xffff}`,
        );
      }
      pos += 4;
      if (pos + n > srcLen) {
        throw new DecodeError(
          what,
          srcLen,
          `input ends inside a ${n}-byte stored block (truncated)`,
        );
      }
      if (o + n > outLen) {
        if (growable) return OUTPUT_FULL;
        throw new DecodeError(
          what,
          pos,
          `output is larger than the ${outLen - outStart}-byte buffer`,
        );
      }
      if (n < 64) {
        for (let i = 0; i < n; i++) out[o + i] = src[pos + i]!;
      } else {
        out.set(src.subarray(pos, pos + n), o);
      }
      pos += n;
      o += n;
      continue;
    }

    let lit: Int32Array;
    let dist: Int32Array;
    if (type === 1) {
      if (fixedLit === undefined) buildFixed();
      lit = fixedLit!;
      dist = fixedDist!;
    } else if (type === 2) {
      // Dynamic block (§3.2.7): HLIT, HDIST, HCLEN, code-length code, lengths.
      const nlit = (bitbuf & 31) + 257;
      const ndist = ((bitbuf >>> 5) & 31) + 1;
      const nclen = ((bitbuf >>> 10) & 15) + 4;
      bitbuf = (bitbuf >>> 14) | 0;
      bitcnt -= 14;
      if (nlit > 286 || ndist > 30) {
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          `dynamic block declares ${nlit} literal/length and ${ndist} distance codes`,
          14,
        );
      }
      clenLengths.fill(0);
      for (let i = 0; i < nclen; i++) {
        if (bitcnt < 3) {
          while (bitcnt < 24) {
            bitbuf |= (pos < srcLen ? src[pos]! : 0) << bitcnt;
            pos++;
            bitcnt += 8;
          }
        }
        clenLengths[CLEN_ORDER[i]!] = bitbuf & 7;
        bitbuf = (bitbuf >>> 3) | 0;
        bitcnt -= 3;
      }
      const r = buildTable(clenLengths, 0, 19, CLEN_SYMBOL, clenTable, 7, false);
      if (r !== BUILD_OK) {
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          r === BUILD_INCOMPLETE
            ? "incomplete code-length code"
            : "over-subscribed code-length code",
        );
      }
      const total = nlit + ndist;
      for (let i = 0; i < total;) {
        if (bitcnt < 14) {
          if (pos + 4 <= srcLen) {
            bitbuf |= view.getInt32(pos, true) << bitcnt;
            pos += (31 - bitcnt) >>> 3;
            bitcnt |= 24;
          } else {
            while (bitcnt < 24) {
              bitbuf |= (pos < srcLen ? src[pos]! : 0) << bitcnt;
              pos++;
              bitcnt += 8;
            }
          }
        }
        const e = clenTable[bitbuf & 127]!;
        const n = e & 0xff;
        bitbuf = (bitbuf >>> n) | 0;
        bitcnt -= n;
        const sym = e >>> 16;
        if (sym < 16) {
          lengths[i++] = sym;
          continue;
        }
        let value = 0;
        let repeat: number;
        if (sym === 16) {
          if (i === 0) {
            throw streamError(
              what,
              srcStart,
              srcLen,
              pos,
              bitcnt,
              "code length repeat (16) with no previous length",
              n,
            );
          }
          value = lengths[i - 1]!;
          repeat = 3 + (bitbuf & 3);
          bitbuf = (bitbuf >>> 2) | 0;
          bitcnt -= 2;
        } else if (sym === 17) {
          repeat = 3 + (bitbuf & 7);
          bitbuf = (bitbuf >>> 3) | 0;
          bitcnt -= 3;
        } else {
          repeat = 11 + (bitbuf & 127);
          bitbuf = (bitbuf >>> 7) | 0;
          bitcnt -= 7;
        }
        if (i + repeat > total) {
          throw streamError(
            what,
            srcStart,
            srcLen,
            pos,
            bitcnt,
            `code length repeat runs past the ${total} code lengths`,
          );
        }
        for (const stop = i + repeat; i < stop; i++) lengths[i] = value;
      }
      if (pos * 8 - bitcnt > srcLen * 8) throw streamError(what, srcStart, srcLen, pos, bitcnt, "");
      if (lengths[256] === 0) {
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          "dynamic block has no end-of-block code",
        );
      }
      const rl = buildTable(lengths, 0, nlit, LIT_SYMBOL, dynLit, LIT_ROOT, true);
      if (rl !== BUILD_OK) {
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          `${rl === BUILD_INCOMPLETE ? "incomplete" : "over-subscribed"} literal/length code`,
        );
      }
      const rd = buildTable(lengths, nlit, ndist, DIST_SYMBOL, dynDist, DIST_ROOT, true);
      if (rd !== BUILD_OK) {
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          `${rd === BUILD_INCOMPLETE ? "incomplete" : "over-subscribed"} distance code`,
        );
      }
      lit = dynLit;
      dist = dynDist;
    } else {
      throw streamError(what, srcStart, srcLen, pos, bitcnt, "invalid block type 3", 3);
    }

    // Compressed data (§3.2.5): the hot loop.
    const litMask = (1 << LIT_ROOT) - 1;
    const distMask = (1 << DIST_ROOT) - 1;
    for (;;) {
      // Refill to at least 24 bits (a 15-bit code and 5 extra bits). Away
      // from the input's end, a branch-free load of the next four bytes:
      // bits already in the buffer are loaded again, to the same places.
      if (pos + 4 <= srcLen) {
        bitbuf |= view.getInt32(pos, true) << bitcnt;
        pos += (31 - bitcnt) >>> 3;
        bitcnt |= 24;
      } else if (bitcnt < 20) {
        while (bitcnt < 24) {
          bitbuf |= (pos < srcLen ? src[pos]! : 0) << bitcnt;
          pos++;
          bitcnt += 8;
        }
      }
      let e = lit[bitbuf & litMask]!;
      if (e & K_LINK) {
        e = lit[(e >>> 16) + ((bitbuf >>> LIT_ROOT) & ((1 << ((e >>> 8) & 15)) - 1))]!;
      }
      let n = e & 0xff;
      bitbuf = (bitbuf >>> n) | 0;
      bitcnt -= n;
      if ((e & 0xff00) === 0) {
        if (o >= outLen) {
          if (growable && pos * 8 - bitcnt <= srcLen * 8) return OUTPUT_FULL;
          throw streamError(
            what,
            srcStart,
            srcLen,
            pos,
            bitcnt,
            `output is larger than the ${outLen - outStart}-byte buffer`,
          );
        }
        out[o++] = e >>> 16;
        continue;
      }
      if ((e & K_LENGTH) === 0) {
        if (e & K_END) break;
        throw streamError(what, srcStart, srcLen, pos, bitcnt, "invalid literal/length code", n);
      }
      let length = e >>> 16;
      const lx = (e >>> 8) & 15;
      if (lx !== 0) {
        length += bitbuf & ((1 << lx) - 1);
        bitbuf = (bitbuf >>> lx) | 0;
        bitcnt -= lx;
      }
      if (bitcnt < 15) {
        if (pos + 4 <= srcLen) {
          bitbuf |= view.getInt32(pos, true) << bitcnt;
          pos += (31 - bitcnt) >>> 3;
          bitcnt |= 24;
        } else {
          while (bitcnt < 24) {
            bitbuf |= (pos < srcLen ? src[pos]! : 0) << bitcnt;
            pos++;
            bitcnt += 8;
          }
        }
      }
      e = dist[bitbuf & distMask]!;
      if (e & K_LINK) {
        e = dist[(e >>> 16) + ((bitbuf >>> DIST_ROOT) & ((1 << ((e >>> 8) & 15)) - 1))]!;
      }
      n = e & 0xff;
      bitbuf = (bitbuf >>> n) | 0;
      bitcnt -= n;
      if ((e & K_LENGTH) === 0) {
        throw streamError(what, srcStart, srcLen, pos, bitcnt, "invalid distance code", n);
      }
      let d = e >>> 16;
      const dx = (e >>> 8) & 15;
      if (dx !== 0) {
        if (bitcnt < dx) {
          if (pos + 4 <= srcLen) {
            bitbuf |= view.getInt32(pos, true) << bitcnt;
            pos += (31 - bitcnt) >>> 3;
            bitcnt |= 24;
          } else {
            while (bitcnt < 24) {
              bitbuf |= (pos < srcLen ? src[pos]! : 0) << bitcnt;
              pos++;
              bitcnt += 8;
            }
          }
        }
        d += bitbuf & ((1 << dx) - 1);
        bitbuf = (bitbuf >>> dx) | 0;
        bitcnt -= dx;
      }
      if (d > o - outStart) {
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          `distance ${d} is beyond the ${o - outStart} bytes of output so far`,
          n + dx,
        );
      }
      if (o + length > outLen) {
        if (growable && pos * 8 - bitcnt <= srcLen * 8) return OUTPUT_FULL;
        throw streamError(
          what,
          srcStart,
          srcLen,
          pos,
          bitcnt,
          `output is larger than the ${outLen - outStart}-byte buffer`,
        );
      }
      // The match: up to 8 bytes that do not overlap their source, eight
      // bytes at once (the extra bytes are overwritten later); a plain
      // copy when source and destination do not overlap; a fill for a run
      // of one byte; else byte by byte, which repeats the last d bytes, as
      // the format means.
      const from = o - d;
      if (d >= 8 && length <= 8 && o + 8 <= outLen) {
        out[o] = out[from]!;
        out[o + 1] = out[from + 1]!;
        out[o + 2] = out[from + 2]!;
        out[o + 3] = out[from + 3]!;
        out[o + 4] = out[from + 4]!;
        out[o + 5] = out[from + 5]!;
        out[o + 6] = out[from + 6]!;
        out[o + 7] = out[from + 7]!;
      } else if (d >= length) {
        if (length <= 32) {
          for (let i = 0; i < length; i++) out[o + i] = out[from + i]!;
        } else {
          out.copyWithin(o, from, from + length);
        }
      } else if (d === 1) {
        out.fill(out[from]!, o, o + length);
      } else {
        for (let i = 0; i < length; i++) out[o + i] = out[from + i]!;
      }
      o += length;
    }
    if (pos * 8 - bitcnt > srcLen * 8) throw streamError(what, srcStart, srcLen, pos, bitcnt, "");
  } while (last === 0);

  // Leave the input at the byte after the final block.
  pos -= bitcnt >>> 3;
  inputEnd = pos;
  return o;
}

// --- Public API -----------------------------------------------------------

/** What {@link inflateRawResult} returns. */
export interface InflateResult {
  /** Bytes written to the output buffer. */
  readonly written: number;
  /** Bytes of input the stream took, up to the byte holding its last bit. */
  readonly consumed: number;
}

/**
 * Decodes the raw DEFLATE stream (RFC 1951) at the start of `src` into
 * `out` and returns the number of bytes written. Bytes after the stream's
 * final block are ignored; {@link inflateRawResult} says where it ended.
 *
 * @param src The compressed data.
 * @param out Where the output goes; its length bounds the output size.
 * Bytes past the returned length may be overwritten.
 * @param what Names the data in error messages.
 * @returns The number of bytes written to `out`.
 * @throws {DecodeError} On malformed or truncated input, or output larger than `out`.
 *
 * @example
 * ```ts
 * import { inflateRaw } from "./inflate.ts";
 * // A fixed-Huffman block holding "a".
 * const out = new Uint8Array(1);
 * inflateRaw(new Uint8Array([0x4b, 0x04, 0x00]), out); // 1, out[0] === 0x61
 * ```
 */
export function inflateRaw(src: Uint8Array, out: Uint8Array, what = "deflate data"): number {
  return inflateAt(src, 0, out, 0, what, false);
}

/**
 * {@link inflateRaw} that also says how many input bytes the stream took,
 * for formats that put more data after it.
 *
 * @param src The compressed data (the stream starts at offset 0).
 * @param out Where the output goes; its length bounds the output size.
 * @param what Names the data in error messages.
 * @returns The bytes written and the bytes of input consumed.
 * @throws {DecodeError} On malformed or truncated input, or output larger than `out`.
 */
export function inflateRawResult(
  src: Uint8Array,
  out: Uint8Array,
  what = "deflate data",
): InflateResult {
  const written = inflateAt(src, 0, out, 0, what, false);
  return { written, consumed: inputEnd };
}

/**
 * Reads the zlib header (RFC 1950 §2.2) at the start of `src`: compression
 * method 8 (deflate) with a window of at most 32 KiB, a valid FCHECK, no
 * preset dictionary.
 */
function checkZlibHeader(src: Uint8Array, what: string): void {
  if (src.length < 2) throw new DecodeError(what, 0, "input ends inside the zlib header");
  const cmf = src[0]!;
  const flg = src[1]!;
  if ((cmf & 15) !== 8) {
    throw new DecodeError(what, 0, `unknown zlib compression method ${cmf & 15} (expected 8)`);
  }
  if (cmf >>> 4 > 7) {
    throw new DecodeError(what, 0, `zlib window size 2^${(cmf >>> 4) + 8} is over 32 KiB`);
  }
  if ((cmf * 256 + flg) % 31 !== 0) {
    throw new DecodeError(what, 1, "bad zlib header check bits (FCHECK)");
  }
  if (flg & 0x20) throw new DecodeError(what, 1, "zlib stream needs a preset dictionary");
}

/**
 * Decodes a zlib stream (RFC 1950: a two-byte header, raw DEFLATE data,
 * the Adler-32 of the output) into `out`, as zlib's `uncompress` reads
 * what `compress2` writes. Returns the number of bytes written.
 *
 * @param src The zlib stream. Bytes after its Adler-32 are ignored.
 * @param out Where the output goes; its length bounds the output size.
 * @param what Names the data in error messages.
 * @returns The number of bytes written to `out`.
 * @throws {DecodeError} On a bad header, a preset dictionary, malformed or
 * truncated data, output larger than `out`, or an Adler-32 mismatch.
 *
 * @example
 * ```ts
 * import { inflateZlib } from "./inflate.ts";
 * // zlib.deflateSync("a") from Node.
 * const src = new Uint8Array([0x78, 0x9c, 0x4b, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62]);
 * inflateZlib(src, new Uint8Array(1)); // 1
 * ```
 */
export function inflateZlib(src: Uint8Array, out: Uint8Array, what = "zlib data"): number {
  const native = inflateZlibNative(src, out);
  if (native >= 0) return native;
  if (src.length + out.length <= WASM_MAX_BYTES) {
    const n = inflateZlibWasm(src, out);
    if (n >= 0) return n;
  }
  return inflateZlibScript(src, out, what);
}

/**
 * {@link inflateZlib} with the TypeScript decoder alone (the WebAssembly
 * one is not tried): what it falls back to, and what the tests compare the
 * two decoders with.
 */
export function inflateZlibScript(src: Uint8Array, out: Uint8Array, what = "zlib data"): number {
  checkZlibHeader(src, what);
  const n = inflateAt(src, 2, out, 0, what, false);
  const at = inputEnd;
  if (at + 4 > src.length) {
    throw new DecodeError(what, src.length, "input ends inside the Adler-32 checksum (truncated)");
  }
  const want = ((src[at]! << 24) | (src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!) >>>
    0;
  const got = adler32(n === out.length ? out : out.subarray(0, n));
  if (got !== want) {
    throw new DecodeError(
      what,
      at,
      `Adler-32 mismatch: data has 0x${got.toString(16).padStart(8, "0")}, stream says 0x${
        want.toString(16).padStart(8, "0")
      }`,
    );
  }
  return n;
}

// --- The WebAssembly decoder ------------------------------------------------
//
// lib/binary/wasm/inflate.c is the decoder above in C, compiled to
// WebAssembly (scripts/build_wasm.sh): V8 compiles it to machine code when
// it is instantiated, so a short run (a task list reads about 100 kdump
// pages) does not spend its time in the interpreter waiting for the
// TypeScript decoder to be optimized: 4 KiB pages decode about 5 times
// faster on a cold start. It accepts exactly what the TypeScript decoder
// accepts and only says whether a stream decoded; on an error the
// TypeScript decoder runs again to say what is wrong and where.

/** Inputs and outputs up to this size together go through WebAssembly (its memory stays small). */
const WASM_MAX_BYTES = 4 << 20;

interface WasmInflater {
  readonly memory: WebAssembly.Memory;
  readonly inflate: (src: number, srcLen: number, out: number, outLen: number) => number;
  /** Where the buffers go. */
  readonly base: number;
}

/** The instance, made on first use; null if WebAssembly is unavailable. */
let wasmInflater: WasmInflater | null | undefined;

function instantiateWasm(): WasmInflater | null {
  try {
    const bin = Uint8Array.fromBase64(INFLATE_WASM);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bin), {});
    const e = instance.exports as {
      memory: WebAssembly.Memory;
      inflate_zlib: WasmInflater["inflate"];
      heap_base: () => number;
    };
    return { memory: e.memory, inflate: e.inflate_zlib, base: (e.heap_base() + 15) & ~15 };
  } catch {
    return null;
  }
}

/**
 * Decodes the zlib stream `src` into `out` with the WebAssembly decoder:
 * the output length, or -1 if the stream is malformed (by the rules of
 * {@link inflateZlib}), does not fit in `out`, or WebAssembly is
 * unavailable. Exported for tests.
 */
export function inflateZlibWasm(src: Uint8Array, out: Uint8Array): number {
  const w = wasmInflater === undefined ? (wasmInflater = instantiateWasm()) : wasmInflater;
  if (w === null) return -1;
  const outAt = w.base + ((src.length + 15) & ~15);
  const end = outAt + out.length;
  let buffer = w.memory.buffer;
  if (end > buffer.byteLength) {
    try {
      w.memory.grow(Math.ceil((end - buffer.byteLength) / 65536));
    } catch {
      return -1; // no memory for it: the TypeScript decoder does it
    }
    buffer = w.memory.buffer;
  }
  new Uint8Array(buffer, w.base, src.length).set(src);
  const n = w.inflate(w.base, src.length, outAt, out.length);
  if (n < 0) return -1;
  out.set(new Uint8Array(buffer, outAt, n));
  return n;
}

/** The most DEFLATE can expand: a 258-byte match per two bits, 1032:1. */
const MAX_RATIO = 1032;
/** {@link gunzip}'s default output limit. */
const GUNZIP_MAX_OUTPUT = 1 << 30;

/** gzip header flags (RFC 1952 §2.3.1). */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Returns the offset of the deflate data of the gzip member at `start`. */
function gzipHeader(src: Uint8Array, start: number, what: string): number {
  const n = src.length;
  if (start + 10 > n) throw new DecodeError(what, start, "input ends inside a gzip header");
  if (src[start] !== 0x1f || src[start + 1] !== 0x8b) {
    throw new DecodeError(what, start, "not gzip data (no 1f 8b magic)");
  }
  if (src[start + 2] !== 8) {
    throw new DecodeError(what, start + 2, `unknown gzip compression method ${src[start + 2]}`);
  }
  const flg = src[start + 3]!;
  if (flg & 0xe0) {
    throw new DecodeError(what, start + 3, `reserved gzip flag bits set (0x${flg.toString(16)})`);
  }
  let p = start + 10;
  if (flg & FEXTRA) {
    if (p + 2 > n) throw new DecodeError(what, p, "input ends inside the gzip extra field");
    p += 2 + (src[p]! | (src[p + 1]! << 8));
    if (p > n) throw new DecodeError(what, n, "input ends inside the gzip extra field");
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flg & flag) {
      const end = src.indexOf(0, p);
      if (end < 0) {
        throw new DecodeError(
          what,
          p,
          `input ends inside the gzip ${flag === FNAME ? "file name" : "comment"}`,
        );
      }
      p = end + 1;
    }
  }
  if (flg & FHCRC) {
    if (p + 2 > n) throw new DecodeError(what, p, "input ends inside the gzip header CRC");
    const want = src[p]! | (src[p + 1]! << 8);
    const got = crc32(src.subarray(start, p)) & 0xffff;
    if (got !== want) {
      throw new DecodeError(
        what,
        p,
        `gzip header CRC mismatch: header has 0x${got.toString(16)}, field says 0x${
          want.toString(16)
        }`,
      );
    }
    p += 2;
  }
  return p;
}

/**
 * Decodes gzip data (RFC 1952): one or more members, each a header, raw
 * DEFLATE data, the CRC-32 and the length (mod 2^32) of its output, all
 * checked. Members' outputs are concatenated, as gzip(1) does; zero bytes
 * after the last member (padding) are ignored, anything else is an error.
 *
 * The output buffer starts at the size the last member's ISIZE gives,
 * capped by what the input could expand to, and grows if members turn out
 * bigger; `maxOutput` bounds it.
 *
 * @param src The gzip data.
 * @param what Names the data in error messages.
 * @param maxOutput The most output to allow (default 1 GiB).
 * @returns The decompressed bytes.
 * @throws {DecodeError} On a bad header, malformed or truncated data, a CRC
 * or length mismatch, trailing garbage, or output over `maxOutput`.
 *
 * @example
 * ```ts
 * import { gunzip } from "./inflate.ts";
 * // zlib.gzipSync("a") from Node, with MTIME 0 and OS 3.
 * const gz = new Uint8Array([
 *   0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x04, 0x00,
 *   0x43, 0xbe, 0xb7, 0xe8, 1, 0, 0, 0,
 * ]);
 * gunzip(gz); // Uint8Array [0x61]
 * ```
 */
export function gunzip(
  src: Uint8Array,
  what = "gzip data",
  maxOutput: number = GUNZIP_MAX_OUTPUT,
): Uint8Array {
  const n = src.length;
  const bound = Math.min(maxOutput, n * MAX_RATIO);
  let cap = 0;
  if (n >= 18) {
    const isize = (src[n - 4]! | (src[n - 3]! << 8) | (src[n - 2]! << 16) | (src[n - 1]! << 24)) >>>
      0;
    cap = isize;
  }
  if (cap === 0) cap = 4 * n;
  cap = Math.max(0, Math.min(cap, bound));
  let out = new Uint8Array(cap);
  let o = 0;
  let p = 0;
  do {
    const body = gzipHeader(src, p, what);
    let end: number;
    for (;;) {
      end = inflateAt(src, body, out, o, what, true);
      if (end !== OUTPUT_FULL) break;
      if (out.length >= maxOutput) {
        throw new DecodeError(what, p, `output is larger than the ${maxOutput}-byte limit`);
      }
      const grown = new Uint8Array(Math.min(maxOutput, Math.max(2 * out.length, 65536)));
      grown.set(out.subarray(0, o));
      out = grown;
    }
    const t = inputEnd;
    if (t + 8 > n) {
      throw new DecodeError(what, n, "input ends inside the gzip trailer (truncated)");
    }
    const wantCrc = (src[t]! | (src[t + 1]! << 8) | (src[t + 2]! << 16) | (src[t + 3]! << 24)) >>>
      0;
    const wantSize =
      (src[t + 4]! | (src[t + 5]! << 8) | (src[t + 6]! << 16) | (src[t + 7]! << 24)) >>> 0;
    const gotCrc = crc32(out.subarray(o, end));
    if (gotCrc !== wantCrc) {
      throw new DecodeError(
        what,
        t,
        `CRC-32 mismatch: data has 0x${gotCrc.toString(16).padStart(8, "0")}, trailer says 0x${
          wantCrc.toString(16).padStart(8, "0")
        }`,
      );
    }
    if ((end - o) % 2 ** 32 !== wantSize) {
      throw new DecodeError(
        what,
        t + 4,
        `member decodes to ${end - o} bytes, trailer says ${wantSize} (mod 2^32)`,
      );
    }
    o = end;
    p = t + 8;
    // Another member, zero padding, or garbage.
    if (p < n && (src[p] !== 0x1f || (p + 1 < n && src[p + 1] !== 0x8b))) {
      for (let i = p; i < n; i++) {
        if (src[i] !== 0) throw new DecodeError(what, i, "trailing garbage after gzip data");
      }
      break;
    }
  } while (p < n);
  return o === out.length ? out : out.subarray(0, o);
}
