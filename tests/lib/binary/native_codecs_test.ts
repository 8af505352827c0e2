/**
 * The system's zlib and zstd through FFI (lib/binary/native_codecs.ts):
 * the same output as the package's own decoders, the same streams
 * accepted (corrupted streams included), typed errors, and the kdump
 * fixtures read the same with FFI on and off (`WYVERN_NO_FFI`).
 */

import assert from "node:assert/strict";
import { deflateSync, zstdCompressSync } from "node:zlib";
import { inflateZlib, inflateZlibScript } from "../../../lib/binary/inflate.ts";
import { crc32 } from "../../../lib/binary/checksum.ts";
import {
  crc32Native,
  hasNativeZlib,
  hasNativeZstd,
  inflateZlibNative,
  zstdDecompressNative,
} from "../../../lib/binary/native_codecs.ts";
import { DecodeError } from "../../../lib/errors.ts";
import { KDUMP_FIXTURE, reencodedKdump } from "../linux/dump/_fixtures.ts";
import { kernelPageSamples } from "../../_programs.ts";

/** A deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Payloads of the kinds pages hold: zeros, text, small integers, noise, a mix. */
function payloads(): Uint8Array[] {
  const r = rng(7);
  const text = new TextEncoder().encode(
    "struct task_struct *next = list_entry(p->tasks.next, struct task_struct, tasks);\n".repeat(60),
  );
  const ints = Uint8Array.from({ length: 4096 }, (_, i) => (i % 8 === 0 ? (i >> 3) & 0xff : 0));
  const noise = Uint8Array.from({ length: 4096 }, () => (r() * 256) | 0);
  const mixed = Uint8Array.from(
    { length: 70_000 },
    (_, i) => (i % 3000 < 1500 ? i & 7 : (r() * 256) | 0),
  );
  return [new Uint8Array(1), new Uint8Array(4096), text, ints, noise, mixed];
}

Deno.test("native zlib and zstd are in use (the tests run with FFI allowed, on Debian)", () => {
  assert.ok(hasNativeZlib(), "libz.so.1 through FFI");
  assert.ok(hasNativeZstd(), "libzstd.so.1 through FFI");
});

Deno.test("inflateZlibNative gives the TypeScript decoder's output at every level", () => {
  for (const p of payloads()) {
    for (const level of [0, 1, 6, 9]) {
      const z = new Uint8Array(deflateSync(p, { level }));
      const a = new Uint8Array(p.length);
      const b = new Uint8Array(p.length);
      assert.equal(inflateZlibNative(z, a), p.length);
      assert.equal(inflateZlibScript(z, b), p.length);
      assert.deepEqual(a, p);
      assert.deepEqual(b, p);
      // Bytes after the Adler-32 are ignored by both.
      const tail = new Uint8Array([...z, 1, 2, 3]);
      assert.equal(inflateZlibNative(tail, a), p.length);
      assert.equal(inflateZlibScript(tail, b), p.length);
      // Too small an output buffer: refused (the TypeScript decoder says why).
      if (p.length > 1) {
        assert.equal(inflateZlibNative(z, new Uint8Array(p.length - 1)), -1);
        assert.throws(() => inflateZlib(z, new Uint8Array(p.length - 1), "page"), DecodeError);
      }
    }
  }
  assert.equal(inflateZlibNative(new Uint8Array(0), new Uint8Array(4)), -1);
});

Deno.test("inflateZlibNative answers the same before and after it switches to the fast call", () => {
  // Over a thousand inflations (see FAST_INFLATE_AFTER): outputs, lengths
  // and refusals the same all the way.
  const cases = payloads().slice(1, 5).map((p) => ({ p, z: new Uint8Array(deflateSync(p)) }));
  const out = new Uint8Array(8192);
  for (let i = 0; i < 1200; i++) {
    const { p, z } = cases[i % cases.length]!;
    assert.equal(inflateZlibNative(z, out), p.length);
    assert.deepEqual(out.subarray(0, p.length), p);
    if (i % 97 === 0) {
      const bad = z.slice();
      bad[bad.length - 1]! ^= 1; // the Adler-32
      assert.equal(inflateZlibNative(bad, out), -1, `corrupted, call ${i}`);
      assert.equal(
        inflateZlibNative(z, new Uint8Array(p.length - 1)),
        -1,
        `short output, call ${i}`,
      );
    }
  }
});

Deno.test("inflateZlibNative accepts exactly the corrupted streams the TypeScript decoder accepts", () => {
  const r = rng(42);
  const sources = payloads().slice(2, 5).map((p) => ({ p, z: new Uint8Array(deflateSync(p)) }));
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 1500; i++) {
    const { p, z } = sources[i % sources.length]!;
    const bad = z.slice();
    const kind = i % 3;
    if (kind === 0) bad[(r() * bad.length) | 0]! ^= 1 << ((r() * 8) | 0);
    else if (kind === 1) bad[(r() * bad.length) | 0] = (r() * 256) | 0;
    const src = kind === 2 ? bad.subarray(0, (r() * bad.length) | 0) : bad;
    const a = new Uint8Array(p.length + 64);
    const b = new Uint8Array(p.length + 64);
    const n = inflateZlibNative(src, a);
    let m = -1;
    try {
      m = inflateZlibScript(src, b, "page");
    } catch (e) {
      assert.ok(e instanceof DecodeError, String(e));
    }
    assert.equal(n, m, `case ${i}: native ${n}, TypeScript ${m}`);
    if (n >= 0) {
      assert.deepEqual(a.subarray(0, n), b.subarray(0, n));
      accepted++;
    } else {
      refused++;
    }
  }
  // Flipped bits mostly break the stream or its Adler-32; some are in
  // stored bytes or unused header bits.
  assert.ok(refused > 1000 && accepted > 0, `${accepted} accepted, ${refused} refused`);
});

Deno.test("zstdDecompressNative decodes frames and gives typed errors", () => {
  for (const p of payloads()) {
    const z = new Uint8Array(zstdCompressSync(p));
    const out = new Uint8Array(p.length);
    assert.equal(zstdDecompressNative(z, out, "page"), p.length);
    assert.deepEqual(out, p);
    if (p.length > 1) {
      assert.equal(zstdDecompressNative(z, new Uint8Array(p.length - 1), "page"), -1);
    }
    // Two frames in a row decode as one output.
    const two = new Uint8Array([...z, ...z]);
    const out2 = new Uint8Array(2 * p.length);
    assert.equal(zstdDecompressNative(two, out2, "page"), 2 * p.length);
    assert.deepEqual(out2.subarray(p.length), p);
    // Truncated: zstd's reason, naming the data.
    assert.throws(
      () => zstdDecompressNative(z.subarray(0, z.length - 1), new Uint8Array(p.length), "page 7"),
      (e) => e instanceof DecodeError && e.section === "page 7" && /zstd: \w/.test(e.message),
    );
  }
  assert.throws(
    () => zstdDecompressNative(new Uint8Array(16).fill(0xab), new Uint8Array(64), "page"),
    (e) => e instanceof DecodeError && /zstd: /.test(e.message),
  );
});

Deno.test("the zlib and zstd kdump fixtures read the same with FFI on and off", async () => {
  const dumps = [KDUMP_FIXTURE, reencodedKdump("zstd")];
  // 64 bytes of every 97th page, in a fresh process each: WYVERN_NO_FFI is
  // read once per process.
  const head = {
    imports: {
      hasNativeZlib: "lib/binary/native_codecs.ts",
      hasNativeZstd: "lib/binary/native_codecs.ts",
    },
    expr: "[hasNativeZlib(), hasNativeZstd()]",
  };
  const native = await kernelPageSamples(dumps, 97, { WYVERN_NO_FFI: "0" }, head);
  const portable = await kernelPageSamples(dumps, 97, { WYVERN_NO_FFI: "1" }, head);
  assert.equal(native[0], "true,true");
  assert.equal(portable[0], "false,false");
  assert.deepEqual(native.slice(1), portable.slice(1));
  const half = (native.length - 1) / 2;
  // The two dumps hold the same pages.
  assert.deepEqual(native.slice(1, 1 + half), native.slice(1 + half));
  const data = native.slice(1).filter((s) => /^\d/.test(s) && /[1-9]/.test(s)).length;
  assert.ok(data > 200, `${data} pages with data`);
});

Deno.test("crc32Native: zlib's CRC-32, the same as checksum.ts's crc32 at any length and seed", () => {
  assert.ok(hasNativeZlib(), "the tests run with FFI allowed and zlib installed");
  const r = rng(11);
  const data = Uint8Array.from({ length: 9000 }, () => (r() * 256) | 0);
  for (const n of [0, 1, 3, 7, 8, 9, 63, 4096, 4099, 9000]) {
    for (const off of [0, 1, 5]) {
      const d = data.subarray(off, Math.min(data.length, off + n));
      for (const seed of [0, 1, 0xffffffff, 0x12345678]) {
        assert.equal(crc32Native(d, seed), crc32(d, seed), `${n} bytes at ${off}, seed ${seed}`);
      }
    }
  }
  assert.equal(crc32Native(new TextEncoder().encode("123456789"), 0), 0xcbf43926);
});
