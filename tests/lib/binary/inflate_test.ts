import assert from "node:assert/strict";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { adler32, crc32 } from "../../../lib/binary/checksum.ts";
import {
  gunzip,
  inflateRaw,
  inflateRawResult,
  inflateZlib,
  inflateZlibScript,
  inflateZlibWasm,
} from "../../../lib/binary/inflate.ts";
import { SHF } from "../../../lib/elf/constants.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { DecodeError } from "../../../lib/errors.ts";
import { USER } from "../elf/_fixtures.ts";
import { concat } from "../../_elf_writer.ts";
import { debugInfoSlice, kdumpZlibPages, noise } from "./_inflate_data.ts";

// --- Data -------------------------------------------------------------------

/** Text-like bytes: words from a small vocabulary (many short matches, skewed literals). */
function words(n: number, seed: number): Uint8Array {
  const vocab = ["task", "struct", "page", "0x", "mm", " ", "->", "\n", "{", "}", "kernel", ";"];
  const r = noise(n, seed);
  let s = "";
  for (let i = 0; s.length < n; i++) {
    s += vocab[r[i % n]! % vocab.length] + (r[i % n]! & 1 ? "" : " ");
  }
  return new TextEncoder().encode(s.slice(0, n));
}

/** Runs of one byte and short repeating patterns: matches of distance 1 to 7, length 258. */
function runs(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let i = 0;
  for (let k = 0; i < n; k++) {
    const period = 1 + (k % 7);
    const len = 300 + ((k * 997) % 2000);
    for (let j = 0; j < len && i < n; j++, i++) b[i] = (k * 31 + (j % period) * 7) & 0xff;
  }
  return b;
}

const DATASETS: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["1 byte", new Uint8Array([0x5a])],
  ["4095 random", noise(4095, 1)],
  ["4096 words", words(4096, 2)],
  ["4096 zeros", new Uint8Array(4096)],
  ["65537 runs", runs(65537)],
  ["70000 words+random", new Uint8Array([...words(40000, 3), ...noise(30000, 4)])],
  ["300000 words", words(300000, 5)],
];

/** A copy of `src` with 1 to `maxFlips` bits flipped at pseudo-random places (deterministic per seed). */
function bitFlipper(seed: number): (src: Uint8Array, maxFlips: number) => Uint8Array {
  const r = noise(300000, seed);
  let k = 0;
  const next = () => r[k++ % r.length]!;
  return (src, maxFlips) => {
    const bad = new Uint8Array(src);
    const flips = 1 + (next() % maxFlips);
    for (let f = 0; f < flips; f++) {
      const at = ((next() << 8) | next()) % bad.length;
      bad[at]! ^= 1 << (next() & 7);
    }
    return bad;
  };
}

const STRATEGIES: [string, number][] = [
  ["default", zlib.constants.Z_DEFAULT_STRATEGY],
  ["filtered", zlib.constants.Z_FILTERED],
  ["huffman-only", zlib.constants.Z_HUFFMAN_ONLY],
  ["rle", zlib.constants.Z_RLE],
  ["fixed", zlib.constants.Z_FIXED],
];

function assertDecodeError(f: () => unknown, what: string, pattern?: RegExp): DecodeError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      throw new Error(`${what}: expected a DecodeError, got ${e}`, { cause: e });
    }
    if (pattern !== undefined) assert.match(e.message, pattern, what);
    return e;
  }
  throw new Error(`${what}: expected a DecodeError, but it decoded`);
}

// --- Against node:zlib ------------------------------------------------------

Deno.test("inflateRaw/inflateZlib/gunzip: every level and strategy of node:zlib", () => {
  let cases = 0;
  for (const [name, data] of DATASETS) {
    for (let level = 0; level <= 9; level++) {
      for (const [sname, strategy] of STRATEGIES) {
        const label = `${name}, level ${level}, ${sname}`;
        const opts = { level, strategy };
        const raw = zlib.deflateRawSync(data, opts);
        const out = new Uint8Array(data.length);
        assert.equal(inflateRaw(raw, out), data.length, label);
        assert.deepEqual(out, data, label);
        out.fill(0);
        assert.equal(inflateZlib(zlib.deflateSync(data, opts), out), data.length, label);
        assert.deepEqual(out, data, label);
        assert.deepEqual(gunzip(zlib.gzipSync(data, opts)), data, label);
        cases += 3;
      }
    }
  }
  assert.equal(cases, DATASETS.length * 10 * 5 * 3);
});

Deno.test("inflateRaw: small windows and memory levels (windowBits 9–15)", () => {
  const data = words(100000, 9);
  for (const windowBits of [9, 10, 12, 15]) {
    for (const memLevel of [1, 9]) {
      const raw = zlib.deflateRawSync(data, { windowBits, memLevel, level: 9 });
      const out = new Uint8Array(data.length);
      assert.equal(inflateRaw(raw, out), data.length);
      assert.deepEqual(out, data, `windowBits ${windowBits} memLevel ${memLevel}`);
    }
  }
});

Deno.test("inflateRaw: non-final stored blocks, then node:zlib's blocks, in one stream", () => {
  const data = new Uint8Array([...words(20000, 11), ...noise(5000, 12), ...runs(20000)]);
  // Stored blocks end on a byte boundary, so node:zlib's stream can follow them.
  const stored = (bytes: Uint8Array) => {
    const b = new Uint8Array(5 + bytes.length);
    b.set([
      0x00,
      bytes.length & 0xff,
      bytes.length >>> 8,
      ~bytes.length & 0xff,
      (~bytes.length >>> 8) & 0xff,
    ]);
    b.set(bytes, 5);
    return b;
  };
  for (const [sname, strategy] of STRATEGIES) {
    const tail = zlib.deflateRawSync(data.subarray(3000), { strategy });
    const src = concat(
      stored(data.subarray(0, 1000)),
      stored(new Uint8Array(0)),
      stored(data.subarray(1000, 3000)),
      tail,
    );
    const out = new Uint8Array(data.length);
    assert.deepEqual(
      inflateRawResult(src, out),
      { written: data.length, consumed: src.length },
      sname,
    );
    assert.deepEqual(out, data, sname);
  }
});

Deno.test("inflateRaw: matches that reach back across many dynamic blocks", () => {
  const data = words(2_000_000, 14);
  for (const level of [1, 9]) {
    const raw = zlib.deflateRawSync(data, { level });
    const out = new Uint8Array(data.length);
    assert.equal(inflateRaw(raw, out), data.length);
    assert.ok(Buffer.from(out.buffer).equals(data), `level ${level}`);
  }
});

Deno.test("inflateRawResult: says where the stream ends, before trailing bytes", () => {
  for (const [name, data] of DATASETS) {
    for (const level of [0, 1, 9]) {
      const raw = zlib.deflateRawSync(data, { level });
      const src = new Uint8Array(raw.length + 7).fill(0xa5);
      src.set(raw);
      const out = new Uint8Array(data.length);
      const r = inflateRawResult(src, out);
      assert.equal(r.written, data.length, name);
      assert.equal(r.consumed, raw.length, `${name} level ${level}`);
    }
  }
});

Deno.test("inflateRaw: a bigger buffer than needed returns the length written", () => {
  const data = words(5000, 13);
  const out = new Uint8Array(6000);
  assert.equal(inflateRaw(zlib.deflateRawSync(data), out), 5000);
  assert.deepEqual(out.subarray(0, 5000), data);
});

Deno.test("inflateRaw: output one byte too small is a DecodeError, in every block kind", () => {
  for (const [name, data] of DATASETS) {
    if (data.length === 0) continue;
    for (const level of [0, 1, 6]) {
      for (const [sname, strategy] of STRATEGIES) {
        const raw = zlib.deflateRawSync(data, { level, strategy });
        assertDecodeError(
          () => inflateRaw(raw, new Uint8Array(data.length - 1)),
          `${name} level ${level} ${sname}`,
          /output is larger than the \d+-byte buffer/,
        );
      }
    }
  }
});

// --- Real data ----------------------------------------------------------------

Deno.test("inflateZlib: every zlib page of the makedumpfile -c kdump fixture equals node:zlib", () => {
  const { pageSize, pages } = kdumpZlibPages();
  assert.equal(pageSize, 4096);
  assert.ok(pages.length > 10000, `${pages.length} zlib pages`);
  const mine = new Uint8Array(pageSize);
  for (let i = 0; i < pages.length; i++) {
    const page = pages[i]!;
    const ref = zlib.inflateSync(page, { maxOutputLength: pageSize, chunkSize: pageSize });
    assert.equal(inflateZlib(page, mine, `page ${i}`), pageSize);
    assert.equal(ref.length, pageSize);
    if (!ref.equals(mine)) assert.fail(`page ${i} differs from node:zlib`);
  }
});

Deno.test("inflateZlib: 4 MiB of the vmlinux's .debug_info, compressed at levels 1, 6, 9", async () => {
  const data = await debugInfoSlice(4 << 20);
  assert.equal(data.length, 4 << 20);
  const out = new Uint8Array(data.length);
  for (const level of [1, 6, 9]) {
    out.fill(0);
    assert.equal(inflateZlib(zlib.deflateSync(data, { level }), out), data.length);
    assert.ok(Buffer.from(out.buffer).equals(data), `level ${level}`);
  }
  assert.ok(Buffer.from(gunzip(zlib.gzipSync(data)).buffer).equals(data), "gzip");
});

Deno.test("inflateZlib: every SHF_COMPRESSED section of the gcc-gz fixture binaries", () => {
  let sections = 0;
  for (const prog of ["types", "datastructs", "threads", "big"]) {
    const path = join(USER, "out/bin/gcc-gz", prog);
    const elf = ElfFile.open(path);
    const bytes = Deno.readFileSync(path);
    try {
      for (const s of elf.sections) {
        if ((s.flags & SHF.COMPRESSED) === 0n) continue;
        // Elf64_Chdr: ch_type (1 = zlib), ch_reserved, ch_size, ch_addralign.
        const raw = bytes.subarray(s.offset, s.offset + s.size);
        const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        assert.equal(dv.getUint32(0, true), 1, `${prog} ${s.name} is zlib`);
        const size = Number(dv.getBigUint64(8, true));
        const body = raw.subarray(24);
        const out = new Uint8Array(size);
        assert.equal(inflateZlib(body, out, `${prog} ${s.name}`), size);
        assert.deepEqual(out, new Uint8Array(zlib.inflateSync(body)), `${prog} ${s.name}`);
        sections++;
      }
    } finally {
      elf.close();
    }
  }
  assert.ok(sections >= 20, `${sections} compressed sections`);
});

// --- gzip ---------------------------------------------------------------------

/** A gzip member with the given header flags and fields around `data`. */
function gzipMember(
  data: Uint8Array,
  opts: { extra?: Uint8Array; name?: string; comment?: string; hcrc?: boolean } = {},
): Uint8Array {
  const head: number[] = [0x1f, 0x8b, 8, 0, 0x78, 0x56, 0x34, 0x12, 0, 3];
  let flg = 0;
  if (opts.extra !== undefined) {
    flg |= 4;
    head.push(opts.extra.length & 0xff, opts.extra.length >>> 8, ...opts.extra);
  }
  if (opts.name !== undefined) {
    flg |= 8;
    head.push(...new TextEncoder().encode(opts.name), 0);
  }
  if (opts.comment !== undefined) {
    flg |= 16;
    head.push(...new TextEncoder().encode(opts.comment), 0);
  }
  if (opts.hcrc) flg |= 2;
  head[3] = flg;
  if (opts.hcrc) {
    const c = crc32(new Uint8Array(head)) & 0xffff;
    head.push(c & 0xff, c >>> 8);
  }
  const body = zlib.deflateRawSync(data);
  const out = new Uint8Array(head.length + body.length + 8);
  out.set(head);
  out.set(body, head.length);
  const t = new DataView(out.buffer, head.length + body.length);
  t.setUint32(0, crc32(data), true);
  t.setUint32(4, data.length, true);
  return out;
}

Deno.test("gunzip: FEXTRA, FNAME, FCOMMENT and FHCRC headers", () => {
  const data = words(10000, 21);
  const variants = [
    {},
    { extra: new Uint8Array([0x41, 0x70, 2, 0, 1, 2]) },
    { name: "config" },
    { comment: "a comment" },
    { hcrc: true },
    { extra: new Uint8Array(300).fill(7), name: "n", comment: "c", hcrc: true },
  ];
  for (const v of variants) {
    const gz = gzipMember(data, v);
    assert.deepEqual(gunzip(gz), data, JSON.stringify(Object.keys(v)));
    assert.deepEqual(new Uint8Array(zlib.gunzipSync(gz)), data, "node:zlib agrees");
  }
});

Deno.test("gunzip: concatenated members, and zero padding after the last", () => {
  const a = words(5000, 22);
  const b = noise(3000, 23);
  const c = new Uint8Array(0);
  const gz = concat(gzipMember(a), zlib.gzipSync(b), gzipMember(c, { name: "empty" }));
  const want = concat(a, b, c);
  assert.deepEqual(gunzip(gz), want);
  assert.deepEqual(new Uint8Array(zlib.gunzipSync(gz)), want, "node:zlib agrees");
  assert.deepEqual(gunzip(concat(gz, new Uint8Array(512))), want);
  // The last member's ISIZE (0) says nothing about the first two.
  const big = words(400000, 24);
  assert.deepEqual(gunzip(concat(zlib.gzipSync(big), gzipMember(c))), big);
});

Deno.test("gunzip: an ISIZE that lies is capped or grown past, then fails the check", () => {
  const data = words(200000, 25);
  const gz = zlib.gzipSync(data);
  const lie = (isize: number) => {
    const g = new Uint8Array(gz);
    new DataView(g.buffer, g.byteOffset).setUint32(g.length - 4, isize, true);
    return g;
  };
  for (const isize of [1, 1000, 0xffffffff]) {
    assertDecodeError(() => gunzip(lie(isize)), `isize ${isize}`, /trailer says \d+/);
  }
});

Deno.test("gunzip: output over maxOutput is a DecodeError", () => {
  const data = new Uint8Array(1 << 20);
  const gz = zlib.gzipSync(data);
  assert.equal(gunzip(gz, "zeros", 1 << 20).length, 1 << 20);
  assertDecodeError(
    () => gunzip(gz, "zeros", (1 << 20) - 1),
    "limit",
    /larger than the \d+-byte limit/,
  );
});

Deno.test("gunzip: bad headers, checksums, lengths and trailing garbage", () => {
  const data = words(3000, 26);
  const gz = gzipMember(data, { name: "x", hcrc: true });
  const patched = (at: number, value: number) => {
    const g = new Uint8Array(gz);
    g[at < 0 ? g.length + at : at] = value;
    return g;
  };
  assertDecodeError(() => gunzip(patched(0, 0x1e)), "magic", /not gzip data/);
  assertDecodeError(() => gunzip(patched(2, 7)), "method", /compression method 7/);
  assertDecodeError(() => gunzip(patched(3, gz[3]! | 0x20)), "reserved", /reserved gzip flag/);
  assertDecodeError(() => gunzip(patched(12, gz[12]! ^ 1)), "hcrc", /header CRC mismatch/);
  assertDecodeError(() => gunzip(patched(-8, gz.at(-8)! ^ 1)), "crc", /CRC-32 mismatch/);
  assertDecodeError(() => gunzip(patched(-4, gz.at(-4)! ^ 1)), "isize", /trailer says/);
  assertDecodeError(() => gunzip(concat(gz, new Uint8Array([0, 0, 9]))), "garbage", /trailing/);
  assertDecodeError(() => gunzip(new Uint8Array(0)), "empty", /inside a gzip header/);
  assertDecodeError(() => gunzip(gzipMember(data, { name: "x" }).subarray(0, 11)), "name", /name/);
});

// --- zlib wrapper ---------------------------------------------------------------

Deno.test("inflateZlib: bad headers, preset dictionaries and Adler-32 mismatches", () => {
  const data = words(3000, 31);
  const z = zlib.deflateSync(data);
  const out = new Uint8Array(data.length);
  const patched = (at: number, value: number) => {
    const g = new Uint8Array(z);
    g[at < 0 ? g.length + at : at] = value;
    return g;
  };
  assertDecodeError(() => inflateZlib(patched(0, 0x79), out), "method", /compression method 9/);
  assertDecodeError(() => inflateZlib(patched(0, 0x88), out), "window", /window size/);
  assertDecodeError(() => inflateZlib(patched(1, 0x9d), out), "fcheck", /FCHECK/);
  // 0x78 0xbb: FDICT set, FCHECK valid (0x78bb % 31 === 0).
  assert.equal((0x78 * 256 + 0xbb) % 31, 0);
  assertDecodeError(() => inflateZlib(patched(1, 0xbb), out), "fdict", /preset dictionary/);
  assertDecodeError(() => inflateZlib(patched(-1, z.at(-1)! ^ 1), out), "adler", /Adler-32/);
  assertDecodeError(() => inflateZlib(z.subarray(0, z.length - 2), out), "short", /truncated/);
  assertDecodeError(() => inflateZlib(new Uint8Array([0x78]), out), "header", /zlib header/);
  // Every header node:zlib writes (levels 0–9 set FLEVEL) is accepted.
  for (let level = 0; level <= 9; level++) {
    assert.equal(inflateZlib(zlib.deflateSync(data, { level }), out), data.length);
  }
});

// --- Crafted streams ------------------------------------------------------------

/** Writes a DEFLATE bit stream: fields LSB-first, Huffman codes MSB-first (RFC 1951 §3.1.1). */
class BitWriter {
  bytes: number[] = [];
  #acc = 0;
  #n = 0;
  bits(value: number, n: number): this {
    for (let i = 0; i < n; i++) this.#bit((value >>> i) & 1);
    return this;
  }
  code(code: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.#bit((code >>> i) & 1);
    return this;
  }
  /** A symbol of the fixed literal/length code (§3.2.6). */
  fixed(sym: number): this {
    if (sym < 144) return this.code(0x30 + sym, 8);
    if (sym < 256) return this.code(0x190 + sym - 144, 9);
    if (sym < 280) return this.code(sym - 256, 7);
    return this.code(0xc0 + sym - 280, 8);
  }
  done(): Uint8Array {
    if (this.#n > 0) this.bytes.push(this.#acc);
    this.#acc = 0;
    this.#n = 0;
    return new Uint8Array(this.bytes);
  }
  #bit(b: number): void {
    this.#acc |= b << this.#n;
    if (++this.#n === 8) {
      this.bytes.push(this.#acc);
      this.#acc = 0;
      this.#n = 0;
    }
  }
}

/** A final dynamic block header whose code-length code gives symbols 0 and `other` 1 bit each. */
function dynamicHeader(w: BitWriter, nlit: number, ndist: number, other: number): BitWriter {
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  w.bits(1, 1).bits(2, 2).bits(nlit - 257, 5).bits(ndist - 1, 5).bits(19 - 4, 4);
  for (const sym of order) w.bits(sym === 0 || sym === other ? 1 : 0, 3);
  return w;
}

Deno.test("inflateRaw: crafted streams (fixed, stored, dynamic) decode as the RFC says", () => {
  // "abc" then a match of length 6 at distance 3: "abcabcabc"; then end of block.
  const w = new BitWriter().bits(1, 1).bits(1, 2);
  for (const c of "abc") w.fixed(c.charCodeAt(0));
  w.fixed(260).code(2, 5).fixed(256); // length 6 (symbol 260), distance 3 (code 2)
  const out = new Uint8Array(9);
  assert.equal(inflateRaw(w.done(), out), 9);
  assert.equal(new TextDecoder().decode(out), "abcabcabc");
  // A stored block with LEN 0 then a final fixed block that is empty.
  const s = new Uint8Array([0x00, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00]);
  assert.deepEqual(inflateRawResult(s, new Uint8Array(0)), { written: 0, consumed: 7 });
  // The RFC's one-distance-code case: a single distance code of 1 bit.
  const d = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(15, 4);
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  // Code-length code: symbol 1 and symbol 8 and symbol 0 — lengths 2, 2, 1.
  for (const sym of order) d.bits(sym === 0 ? 1 : sym === 1 || sym === 8 ? 2 : 0, 3);
  // Canonical CL codes: 0 → "0", 1 → "10", 8 → "11".
  // Literal/length lengths: 'a' (97) and 256 at 1 bit, the rest 0; distance 0 at 1 bit.
  for (let i = 0; i < 257; i++) i === 97 || i === 256 ? d.code(2, 2) : d.code(0, 1);
  d.code(2, 2);
  // Literal/length code: 97 → "0", 256 → "1". Three 'a', then end of block.
  d.code(0, 1).code(0, 1).code(0, 1).code(1, 1);
  const three = new Uint8Array(3);
  assert.equal(inflateRaw(d.done(), three), 3);
  assert.equal(new TextDecoder().decode(three), "aaa");
});

Deno.test("inflateRaw: crafted bad streams are DecodeErrors naming the problem", () => {
  const out = new Uint8Array(100);
  const cases: [string, Uint8Array, RegExp][] = [
    ["block type 3", new Uint8Array([0x07, 0, 0, 0]), /invalid block type 3/],
    [
      "stored NLEN",
      new Uint8Array([0x01, 0x05, 0x00, 0x00, 0x00]),
      /does not match its complement/,
    ],
    ["stored short", new Uint8Array([0x01, 0x05, 0x00, 0xfa, 0xff, 1, 2]), /truncated/],
    [
      "distance too far",
      new BitWriter().bits(1, 1).bits(1, 2).fixed(97).fixed(257).code(1, 5).fixed(256).done(),
      /distance 2 is beyond the 1 bytes of output so far/,
    ],
    [
      "distance code 30",
      new BitWriter().bits(1, 1).bits(1, 2).fixed(97).fixed(257).code(30, 5).done(),
      /invalid distance code/,
    ],
    [
      "length symbol 286",
      new BitWriter().bits(1, 1).bits(1, 2).fixed(286).done(),
      /invalid literal\/length code/,
    ],
    [
      "HLIT 287",
      new BitWriter().bits(1, 1).bits(2, 2).bits(30, 5).bits(0, 5).bits(0, 4).done(),
      /287 literal\/length/,
    ],
    [
      "over-subscribed code-length code",
      (() => {
        const w = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(15, 4);
        for (let i = 0; i < 19; i++) w.bits(1, 3);
        return w.bits(0, 32).done();
      })(),
      /over-subscribed code-length code/,
    ],
    [
      "incomplete code-length code",
      (() => {
        const w = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4);
        w.bits(0, 3).bits(0, 3).bits(0, 3).bits(1, 3); // only symbol 0, 1 bit
        return w.bits(0, 32).done();
      })(),
      /incomplete code-length code/,
    ],
    [
      "repeat with no previous length",
      (() => {
        // CL code: symbols 16 and 0 at 1 bit ("0" = 0, "1" = 16).
        const w = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4);
        w.bits(1, 3).bits(0, 3).bits(0, 3).bits(1, 3);
        return w.code(1, 1).bits(0, 2).bits(0, 32).done();
      })(),
      /repeat \(16\) with no previous length/,
    ],
    [
      "no end-of-block code",
      (() => {
        // CL code: 0 → "0", 8 → "1". Literals 0–255 at 8 bits, 256 and the distance at 0.
        const w = dynamicHeader(new BitWriter(), 257, 1, 8);
        for (let i = 0; i < 256; i++) w.code(1, 1);
        return w.code(0, 1).code(0, 1).bits(0, 32).done();
      })(),
      /no end-of-block code/,
    ],
    [
      "over-subscribed literal/length code",
      (() => {
        // CL code: 0 → "0", 1 → "1". All 258 lengths 1.
        const w = dynamicHeader(new BitWriter(), 257, 1, 1);
        for (let i = 0; i < 258; i++) w.code(1, 1);
        return w.bits(0, 32).done();
      })(),
      /over-subscribed literal\/length code/,
    ],
    [
      "incomplete literal/length code",
      (() => {
        // CL code: 0 → "0", 8 → "1". Literals 0–253 and 256 at 8 bits (254, 255 missing).
        const w = dynamicHeader(new BitWriter(), 257, 1, 8);
        for (let i = 0; i < 257; i++) w.code(i === 254 || i === 255 ? 0 : 1, 1);
        return w.code(0, 1).bits(0, 32).done();
      })(),
      /incomplete literal\/length code/,
    ],
    [
      "code lengths past HLIT + HDIST",
      (() => {
        // CL code: 0 → "0", 18 → "1"; a run of 138 zeros at the end overflows.
        const w = dynamicHeader(new BitWriter(), 257, 1, 18);
        for (let i = 0; i < 200; i++) w.code(0, 1);
        return w.code(1, 1).bits(127, 7).bits(0, 32).done();
      })(),
      /runs past the 258 code lengths/,
    ],
  ];
  for (const [name, src, pattern] of cases) {
    const e = assertDecodeError(() => inflateRaw(src, out, "crafted"), name, pattern);
    assert.equal(e.section, "crafted", name);
    assert.ok(e.offset >= 0 && e.offset <= src.length, `${name}: offset ${e.offset}`);
  }
});

// --- Corrupt input --------------------------------------------------------------

Deno.test("inflateRaw/inflateZlib/gunzip: every truncation is a DecodeError", () => {
  const data = new Uint8Array([...words(3000, 41), ...runs(1000), ...noise(200, 42)]);
  let cases = 0;
  for (const [sname, strategy] of STRATEGIES) {
    for (const level of [0, 6]) {
      const z = zlib.deflateSync(data, { level, strategy });
      const out = new Uint8Array(data.length);
      for (let n = 0; n < z.length; n++) {
        assertDecodeError(() => inflateZlib(z.subarray(0, n), out), `${sname} zlib ${n}`);
        cases++;
      }
      const raw = z.subarray(2, z.length - 4);
      for (let n = 0; n < raw.length; n++) {
        const e = assertDecodeError(() => inflateRaw(raw.subarray(0, n), out), `raw ${n}`);
        assert.match(e.message, /truncated/, `${sname} level ${level} raw cut at ${n}`);
        cases++;
      }
    }
  }
  const gz = zlib.gzipSync(data);
  for (let n = 0; n < gz.length; n++) {
    assertDecodeError(() => gunzip(gz.subarray(0, n)), `gzip ${n}`);
    cases++;
  }
  assert.ok(cases > 10000, `${cases} truncations`);
});

Deno.test("inflateRaw/inflateZlib/gunzip: random bit flips decode or throw DecodeError", () => {
  const data = new Uint8Array([...words(2000, 51), ...runs(600)]);
  const streams = [
    zlib.deflateRawSync(data),
    zlib.deflateRawSync(data, { strategy: zlib.constants.Z_FIXED }),
    zlib.deflateRawSync(data, { level: 0 }),
  ];
  const out = new Uint8Array(data.length + 100);
  const flip = bitFlipper(52);
  let decoded = 0;
  let errors = 0;
  const tryDecode = (f: () => unknown) => {
    try {
      f();
      decoded++;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      errors++;
    }
  };
  for (const raw of streams) {
    for (let trial = 0; trial < 2000; trial++) {
      const bad = flip(raw, 4);
      tryDecode(() => inflateRaw(bad, out));
      const z = new Uint8Array(bad.length + 6);
      z.set([0x78, 0x9c]);
      z.set(bad, 2);
      tryDecode(() => inflateZlib(z, out));
    }
  }
  // Random garbage of every small size.
  for (let n = 0; n < 3000; n++) {
    const g = noise(n % 300, n + 1000);
    tryDecode(() => inflateRaw(g, out));
    tryDecode(() => gunzip(concat(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), g)));
  }
  assert.equal(decoded + errors, 3 * 2000 * 2 + 3000 * 2);
  assert.ok(errors > 0 && decoded > 0, `${decoded} decoded, ${errors} errors`);
});

// --- The WebAssembly decoder against the TypeScript one -----------------------

/** Both decoders on `src`: the TypeScript result (bytes or the error) and the WebAssembly one. */
function bothDecoders(
  src: Uint8Array,
  outLen: number,
): [Uint8Array | DecodeError, Uint8Array | -1] {
  let script: Uint8Array | DecodeError;
  const a = new Uint8Array(outLen);
  try {
    script = a.slice(0, inflateZlibScript(src, a));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    script = e;
  }
  const b = new Uint8Array(outLen);
  const n = inflateZlibWasm(src, b);
  return [script, n < 0 ? -1 : b.slice(0, n)];
}

Deno.test("inflateZlibWasm: the same output as the TypeScript decoder, every level and strategy", () => {
  for (const [name, data] of DATASETS) {
    for (const [sname, strategy] of STRATEGIES) {
      for (const level of [0, 1, 6, 9]) {
        const z = zlib.deflateSync(data, { level, strategy });
        const [script, wasm] = bothDecoders(z, data.length);
        const what = `${name}, ${sname}, level ${level}`;
        assert.ok(wasm !== -1, `${what}: the WebAssembly decoder refused it`);
        assert.deepEqual(wasm, data, what);
        assert.deepEqual(script, data, what);
        // One byte short of room: both refuse.
        if (data.length > 0) {
          const [s2, w2] = bothDecoders(z, data.length - 1);
          assert.ok(s2 instanceof DecodeError && w2 === -1, `${what}: output one byte too small`);
        }
      }
    }
  }
});

Deno.test("inflateZlibWasm: every zlib page of the makedumpfile -c kdump fixture", () => {
  const { pageSize, pages } = kdumpZlibPages();
  assert.ok(pages.length > 1000, `${pages.length} pages`);
  const out = new Uint8Array(pageSize);
  for (const [i, page] of pages.entries()) {
    const n = inflateZlibWasm(page, out);
    assert.equal(n, pageSize, `page ${i}`);
    assert.deepEqual(out, new Uint8Array(zlib.inflateSync(page)), `page ${i}`);
  }
});

Deno.test("inflateZlibWasm: accepts exactly what the TypeScript decoder accepts (bit flips, truncations)", () => {
  const data = new Uint8Array([...words(3000, 61), ...runs(1500), ...noise(500, 62)]);
  const page = kdumpZlibPages(40).pages.at(-1)!;
  const streams = [
    zlib.deflateSync(data),
    zlib.deflateSync(data, { strategy: zlib.constants.Z_FIXED }),
    zlib.deflateSync(data, { level: 0 }),
    zlib.deflateSync(data, { strategy: zlib.constants.Z_HUFFMAN_ONLY }),
    page,
  ];
  const flip = bitFlipper(63);
  let agreedOk = 0;
  let agreedBad = 0;
  const compare = (src: Uint8Array, what: string) => {
    const [script, wasm] = bothDecoders(src, data.length + 64);
    if (script instanceof DecodeError) {
      assert.equal(wasm, -1, `${what}: WebAssembly decoded what TypeScript rejects (${script})`);
      agreedBad++;
    } else {
      assert.ok(wasm !== -1, `${what}: WebAssembly rejected what TypeScript decodes`);
      assert.deepEqual(wasm, script, what);
      agreedOk++;
    }
  };
  for (const [s, z] of streams.entries()) {
    for (let trial = 0; trial < 1500; trial++) {
      const bad = flip(z, 3);
      // Where the damaged stream still decodes, give it the right Adler-32,
      // so that the decoders' own rules are what is compared.
      try {
        const tmp = new Uint8Array(data.length + 64);
        const { written, consumed } = inflateRawResult(bad.subarray(2), tmp);
        const at = 2 + consumed;
        if (at + 4 <= bad.length) {
          new DataView(bad.buffer).setUint32(at, adler32(tmp.subarray(0, written)));
        }
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
      compare(bad, `stream ${s}, trial ${trial}`);
    }
    for (let n = 0; n < z.length; n += 1 + (n >> 4)) {
      compare(z.subarray(0, n), `stream ${s} cut at ${n}`);
    }
  }
  assert.ok(agreedOk > 100 && agreedBad > 100, `${agreedOk} decoded, ${agreedBad} refused`);
});
