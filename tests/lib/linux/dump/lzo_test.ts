import assert from "node:assert/strict";
import { DecodeError, isDecodeError } from "../../../../lib/errors.ts";
import { lzo1xDecompress } from "../../../../lib/linux/dump/lzo.ts";
import { lzoCompress, lzoLiterals } from "./_kdump_writer.ts";
import { bytesEqual } from "./_compare.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const EOS = [0x11, 0, 0];

function decode(src: number[] | Uint8Array, size = 65536): Uint8Array {
  const dst = new Uint8Array(size);
  const n = lzo1xDecompress(src instanceof Uint8Array ? src : new Uint8Array(src), dst);
  return dst.slice(0, n);
}

/** A deterministic byte generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

Deno.test("lzo1xDecompress() decodes literal-only streams of every run encoding", () => {
  const r = rng(7);
  for (const n of [0, 1, 2, 3, 4, 5, 17, 237, 238, 239, 240, 255, 273, 274, 529, 4096, 70000]) {
    const data = Uint8Array.from({ length: n }, () => r() & 0xff);
    const out = decode(lzoLiterals(data), 70000);
    assert.ok(bytesEqual(out, data), `length ${n}`);
  }
});

Deno.test("lzo1xDecompress() decodes each match instruction", () => {
  // 01LDDDSS HHHHHHHH (M2): length 3 + L, distance (H << 3) + D + 1.
  assert.deepEqual(decode([21, ...enc("abcd"), 0x6c, 0x00, ...EOS]), enc("abcdabcd"));
  // 1LLDDDSS (M2, long): length 5 + L; with S = 2 trailing literals.
  assert.deepEqual(
    decode([21, ...enc("abcd"), 0b101_011_10, 0x00, ...enc("XY"), ...EOS]),
    enc("abcdabcdabXY"),
  );
  // 001LLLLL + LE16 (M3): length L + 2, distance (LE16 >> 2) + 1; overlapping copy.
  assert.deepEqual(decode([18, ...enc("a"), 0x28, 0x00, 0x00, ...EOS]), enc("a".repeat(11)));
  // 001 with the length extension: 31 + 255 + 3 + 2.
  assert.deepEqual(
    decode([18, ...enc("z"), 0x20, 0x00, 0x03, 0x00, 0x00, ...EOS], 1000),
    enc("z".repeat(1 + 31 + 255 + 3 + 2)),
  );
  // 0000DDSS HHHHHHHH after 1–3 literals: 2 bytes from distance (H << 2) + D + 1, then S literals.
  assert.deepEqual(decode([19, ...enc("ab"), 0x05, 0x00, ...enc("c"), ...EOS]), enc("ababc"));
  // 0000DDSS HHHHHHHH after a long literal run: 3 bytes from (H << 2) + D + 2049.
  const r = rng(3);
  const run = Uint8Array.from({ length: 2100 }, () => r() & 0xff);
  // Instruction 0 at state 0: 15 + 255 * 8 + 42 + 3 = 2100 literals.
  const m1 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 42, ...run, 0b0000_01_00, 0x01, ...EOS];
  const want1 = new Uint8Array(2103);
  want1.set(run);
  const d1 = (1 << 2) + 1 + 2049;
  want1.set(run.subarray(2100 - d1, 2100 - d1 + 3), 2100);
  assert.deepEqual(decode(m1), want1);
  // 0001HLLL + LE16 (M4): distance 16384 + (H << 14) + (LE16 >> 2).
  const big = Uint8Array.from({ length: 40000 }, () => r() & 0xff);
  const lit = lzoLiterals(big).subarray(0, -3);
  const m4 = [...lit, 0x18 | 2, 0x08, 0x00, ...EOS]; // H = 1, L = 2: length 4, distance 32770
  const want4 = new Uint8Array(40004);
  want4.set(big);
  want4.set(big.subarray(40000 - 32770, 40000 - 32770 + 4), 40000);
  assert.deepEqual(decode(m4), want4);
});

Deno.test("lzo1xDecompress() decodes the test compressor's matches", () => {
  const r = rng(13);
  for (const n of [0, 1, 4, 100, 4096, 20000, 65536]) {
    const data = Uint8Array.from(
      { length: n },
      (_, i) => (i % 1000 < 600 ? "kernel page "[i % 12]!.charCodeAt(0) : r() & 0xff),
    );
    const c = lzoCompress(data);
    if (n >= 4096) assert.ok(c.length < n / 2, `${c.length} of ${n}`);
    assert.ok(bytesEqual(decode(c, 65536), data), `length ${n}`);
  }
  assert.ok(bytesEqual(decode(lzoCompress(new Uint8Array(4096)), 4096), new Uint8Array(4096)));
});

Deno.test("lzo1xDecompress() rejects corrupt streams with DecodeError at the bad instruction", () => {
  const cases: [string, number[], number, RegExp][] = [
    ["empty", [], 0, /empty input/],
    ["no end marker", [21, ...enc("abcd")], 5, /without an end-of-stream/],
    ["trailing bytes", [21, ...enc("abcd"), ...EOS, 0], 8, /after the end-of-stream/],
    ["distance before start", [18, ...enc("a"), 0x6c, 0x00, ...EOS], 2, /before the start/],
    ["literal overrun", [30, ...enc("abc")], 0, /overruns the input/],
    ["bad end marker", [21, ...enc("abcd"), 0x12, 0, 0], 5, /malformed end-of-stream/],
    ["cut inside a length", [18, ...enc("a"), 0x20, 0, 0], 3, /inside a length/],
    ["cut inside an instruction", [18, ...enc("a"), 0x28, 0x00], 2, /inside an instruction/],
  ];
  for (const [what, src, offset, message] of cases) {
    assert.throws(
      () => decode(src),
      (e: unknown) => e instanceof DecodeError && e.offset === offset && message.test(e.message),
      what,
    );
  }
  // Output larger than the destination.
  assert.throws(
    () => decode([18, ...enc("a"), 0x28, 0x00, 0x00, ...EOS], 8),
    (e: unknown) => isDecodeError(e) && /output overrun/.test(e.message),
  );
});

Deno.test("lzo1xDecompress() never fails other than with DecodeError on mutated input", () => {
  const r = rng(11);
  const seeds: Uint8Array[] = [
    new Uint8Array([21, ...enc("abcd"), 0b101_011_10, 0x00, ...enc("XY"), ...EOS]),
    new Uint8Array([19, ...enc("ab"), 0x05, 0x00, ...enc("c"), 0x28, 0x00, 0x00, ...EOS]),
    lzoLiterals(Uint8Array.from({ length: 600 }, () => r() & 0xff)),
    lzoCompress(Uint8Array.from({ length: 3000 }, (_, i) => (i % 97 < 50 ? i & 7 : r() & 0xff))),
  ];
  const dst = new Uint8Array(4096);
  let errors = 0;
  for (const seed of seeds) {
    // Every truncation.
    for (let n = 0; n < seed.length; n++) {
      assert.throws(() => lzo1xDecompress(seed.subarray(0, n), dst), DecodeError);
    }
    // Random byte changes.
    for (let i = 0; i < 3000; i++) {
      const m = seed.slice();
      const k = 1 + (r() % 3);
      for (let j = 0; j < k; j++) m[r() % m.length] = r() & 0xff;
      try {
        const n = lzo1xDecompress(m, dst);
        assert.ok(n <= dst.length);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        errors++;
      }
    }
  }
  assert.ok(errors > 0);
});
