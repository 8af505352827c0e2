import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { adler32, crc32 } from "../../../lib/binary/checksum.ts";
import { noise } from "./_inflate_data.ts";

const encoder = new TextEncoder();

/** Adler-32 straight from RFC 1950 §9: one reduction per byte. */
function adlerReference(bytes: Uint8Array, init = 1): number {
  let a = init & 0xffff;
  let b = init >>> 16;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const SIZES = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 63, 64, 255, 256, 257, 1000, 4095, 4096, 4097];
const BIG = noise(1 << 20, 7);

Deno.test("crc32: check values of the CRC-32 catalogue and RFC 1952", () => {
  assert.equal(crc32(encoder.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(encoder.encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

Deno.test("crc32: equals node:zlib's on every size and alignment", () => {
  let cases = 0;
  for (const n of [...SIZES, 65536, 100003, (1 << 20) - 8]) {
    for (const offset of [0, 1, 2, 3, 5]) {
      const v = BIG.subarray(offset, offset + n);
      assert.equal(crc32(v), zlib.crc32(v), `size ${n} offset ${offset}`);
      assert.equal(crc32(v, 0xdeadbeef), zlib.crc32(v, 0xdeadbeef), `size ${n} with init`);
      cases += 2;
    }
  }
  assert.equal(cases, 220);
});

Deno.test("crc32: continues from a previous value", () => {
  const whole = crc32(BIG.subarray(0, 100000));
  for (const cut of [0, 1, 7, 4096, 99999, 100000]) {
    assert.equal(
      crc32(BIG.subarray(cut, 100000), crc32(BIG.subarray(0, cut))),
      whole,
      `cut ${cut}`,
    );
  }
});

Deno.test("adler32: check values (RFC 1950, Wikipedia)", () => {
  assert.equal(adler32(new Uint8Array(0)), 1);
  assert.equal(adler32(encoder.encode("Wikipedia")), 0x11e60398);
  assert.equal(adler32(encoder.encode("a")), 0x00620062);
});

Deno.test("adler32: equals the per-byte definition on every size, alignment and start value", () => {
  let cases = 0;
  for (const n of [...SIZES, 1023, 1024, 2047, 2048, 2049, 65536, 100003]) {
    for (const offset of [0, 1, 2, 3]) {
      for (const init of [1, 0, 0x12345678, 0xfff0fff0]) {
        const v = BIG.subarray(offset, offset + n);
        assert.equal(adler32(v, init), adlerReference(v, init), `size ${n} offset ${offset}`);
        cases++;
      }
    }
  }
  assert.equal(cases, 416);
});

Deno.test("adler32: sums stay exact on all-0xff input (largest sums)", () => {
  for (const n of [5552, 5553, 65536, 1 << 20]) {
    const ff = new Uint8Array(n).fill(0xff);
    assert.equal(adler32(ff), adlerReference(ff), `size ${n}`);
    assert.equal(adler32(ff, 0xfff0fff0), adlerReference(ff, 0xfff0fff0), `size ${n} with init`);
  }
});

Deno.test("adler32: equals the checksum node:zlib writes in zlib streams", () => {
  for (const n of [0, 1, 4096, 70000, 1 << 20]) {
    const data = BIG.subarray(3, 3 + n);
    const z = zlib.deflateSync(data, { level: 1 });
    const trailer = new DataView(z.buffer, z.byteOffset + z.length - 4, 4).getUint32(0);
    assert.equal(adler32(data), trailer, `size ${n}`);
  }
});

Deno.test("adler32: continues from a previous value", () => {
  const whole = adler32(BIG.subarray(0, 100000));
  for (const cut of [0, 1, 255, 4096, 99999, 100000]) {
    assert.equal(
      adler32(BIG.subarray(cut, 100000), adler32(BIG.subarray(0, cut))),
      whole,
      `cut ${cut}`,
    );
  }
});
