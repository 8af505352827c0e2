import assert from "node:assert/strict";
// Pinned inline: deno.json has no import map entry for it (yet).
import SnappyJS from "snappyjs";
import { DecodeError } from "../../../../lib/errors.ts";
import { snappyDecompress } from "../../../../lib/linux/dump/snappy.ts";
import { bytesEqual } from "./_compare.ts";

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

/** Test inputs: random, runs, repeated text, zeros, mixtures, sizes around the literal-length steps. */
function inputs(): Uint8Array[] {
  const r = rng(5);
  const out: Uint8Array[] = [];
  for (const n of [0, 1, 59, 60, 61, 255, 256, 257, 4096, 65535, 65536, 70000, 300000]) {
    out.push(Uint8Array.from({ length: n }, () => r() & 0xff));
    out.push(new Uint8Array(n));
    out.push(
      Uint8Array.from({ length: n }, (_, i) => "struct task_struct *"[i % 20]!.charCodeAt(0)),
    );
    out.push(Uint8Array.from({ length: n }, (_, i) => (i & 1024 ? r() & 3 : i & 0xff)));
  }
  return out;
}

Deno.test("snappyDecompress() decodes what snappyjs compresses", () => {
  for (const data of inputs()) {
    const compressed = SnappyJS.compress(data);
    const dst = new Uint8Array(data.length);
    assert.equal(snappyDecompress(compressed, dst), data.length);
    assert.ok(bytesEqual(dst, data), `length ${data.length}`);
  }
});

Deno.test("snappyDecompress() decodes every element kind", () => {
  // Preamble 11; literal "abc"; copy-1 (len 4, offset 3); copy-2 (len 2, offset 1); copy-4 (len 2, offset 5).
  const src = new Uint8Array([
    11,
    2 << 2,
    97,
    98,
    99,
    1 | (0 << 2),
    3,
    2 | (1 << 2),
    1,
    0,
    3 | (1 << 2),
    5,
    0,
    0,
    0,
  ]);
  const dst = new Uint8Array(11);
  assert.equal(snappyDecompress(src, dst), 11);
  assert.equal(new TextDecoder().decode(dst), "abcabcaaabc");
  // A literal whose length is in 2 extra bytes (tag 61 << 2): 300 bytes.
  const lit = new Uint8Array(3 + 2 + 300);
  lit.set([0xac, 0x02, 61 << 2, 299 & 0xff, 299 >> 8]);
  lit.fill(7, 5);
  const out = new Uint8Array(300);
  assert.equal(snappyDecompress(lit, out), 300);
  assert.ok(out.every((b) => b === 7));
});

Deno.test("snappyDecompress() rejects corrupt blocks with DecodeError", () => {
  const cases: [string, number[], number, RegExp][] = [
    ["empty", [], 0, /preamble/],
    ["too long", [20, 19 << 2, ...new Array(20).fill(1)], 0, /exceeds the 16-byte output/],
    ["copy before start", [4, 1 | (0 << 2), 1], 1, /before the start/],
    ["zero offset", [5, 0, 97, 1, 0], 3, /before the start/],
    ["literal past input", [4, 3 << 2, 97], 1, /overruns the input/],
    ["short output", [4, 0, 97], 3, /decoded 1 bytes, the preamble says 4/],
    ["output overrun", [2, 2 << 2, 97, 98, 99], 1, /output overrun/],
    ["cut copy", [4, 0, 97, 2 | (2 << 2), 1], 3, /inside a copy/],
    ["long preamble", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 5, /longer than 5 bytes/],
  ];
  for (const [what, src, offset, message] of cases) {
    assert.throws(
      () => snappyDecompress(new Uint8Array(src), new Uint8Array(16)),
      (e: unknown) => e instanceof DecodeError && e.offset === offset && message.test(e.message),
      what,
    );
  }
});

Deno.test("snappyDecompress() never fails other than with DecodeError on mutated input", () => {
  const r = rng(9);
  const page = Uint8Array.from({ length: 4096 }, (_, i) => (i % 700 < 350 ? i & 0x3f : r() & 0xff));
  const seed = SnappyJS.compress(page);
  const dst = new Uint8Array(4096);
  for (let n = 0; n < seed.length; n += 7) {
    assert.throws(() => snappyDecompress(seed.subarray(0, n), dst), DecodeError);
  }
  for (let i = 0; i < 5000; i++) {
    const m = seed.slice();
    for (let j = 0, k = 1 + (r() % 3); j < k; j++) m[r() % m.length] = r() & 0xff;
    try {
      assert.ok(snappyDecompress(m, dst) <= dst.length);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }
});
