import assert from "node:assert/strict";
import { deflateSync, zstdCompressSync } from "node:zlib";
import { ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD, SHF, SHT } from "../../../lib/elf/constants.ts";
import { decompressChdr, decompressZdebug, isZdebug } from "../../../lib/elf/compression.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { buildElf, concat } from "../../_elf_writer.ts";
import { runDeno } from "../../_programs.ts";

const payload = new TextEncoder().encode("DWARF ".repeat(500));

function chdr(
  is64: boolean,
  le: boolean,
  type: number,
  size: number,
  body: Uint8Array,
): Uint8Array {
  const head = new Uint8Array(is64 ? 24 : 12);
  const v = new DataView(head.buffer);
  v.setUint32(0, type, le);
  if (is64) {
    v.setBigUint64(8, BigInt(size), le);
    v.setBigUint64(16, 1n, le);
  } else {
    v.setUint32(4, size, le);
    v.setUint32(8, 1, le);
  }
  return concat(head, body);
}

function zdebug(size: number, body: Uint8Array): Uint8Array {
  const head = new Uint8Array(12);
  head.set([0x5a, 0x4c, 0x49, 0x42]);
  new DataView(head.buffer).setBigUint64(4, BigInt(size), false);
  return concat(head, body);
}

const src = { what: "section .debug_info of x", fileOffset: 0x100 };

function expectDecode(fn: () => unknown, pattern: RegExp, offset?: number) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDecodeError(e), String(e));
    assert.equal(e.section, src.what);
    assert.match(e.message, pattern);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  });
}

Deno.test("decompressChdr() inflates zlib and zstd with Elf32 and Elf64 headers in both byte orders", () => {
  for (const is64 of [true, false]) {
    for (const le of [true, false]) {
      const z = chdr(is64, le, ELFCOMPRESS_ZLIB, payload.length, deflateSync(payload));
      assert.deepEqual(decompressChdr(z, is64, le, src), payload);
      const s = chdr(is64, le, ELFCOMPRESS_ZSTD, payload.length, zstdCompressSync(payload));
      assert.deepEqual(decompressChdr(s, is64, le, src), payload);
    }
  }
  assert.deepEqual(
    decompressChdr(chdr(true, true, 1, 0, new Uint8Array(0)), true, true, src),
    new Uint8Array(0),
  );
});

Deno.test("decompressZdebug() inflates GNU .zdebug sections", () => {
  const z = zdebug(payload.length, deflateSync(payload));
  assert.ok(isZdebug(z));
  assert.ok(!isZdebug(payload));
  assert.deepEqual(decompressZdebug(z, src), payload);
  expectDecode(() => decompressZdebug(payload, src), /missing "ZLIB" header/, 0x100);
});

Deno.test("decompression rejects bad types, sizes and data", () => {
  const body = deflateSync(payload);
  expectDecode(
    () => decompressChdr(chdr(true, true, 9, 10, body), true, true, src),
    /unsupported compression type ELFCOMPRESS_0x9/,
    0x100,
  );
  // Declared smaller than the data: stop at the declared size, and say so.
  expectDecode(
    () => decompressChdr(chdr(true, true, 1, 100, body), true, true, src),
    /more than the declared 100 bytes/,
    0x118,
  );
  // Declared larger than the data.
  expectDecode(
    () => decompressChdr(chdr(true, true, 1, payload.length + 1, body), true, true, src),
    /inflates to 3000 bytes, not the declared 3001/,
  );
  // Implausibly large: rejected before inflating.
  expectDecode(
    () => decompressChdr(chdr(true, true, 1, 2 ** 40, body), true, true, src),
    /implausible/,
  );
  expectDecode(
    () => decompressChdr(chdr(false, true, 2, 1000, body), false, true, src),
    /corrupt zstd data/,
  );
  expectDecode(
    () => decompressChdr(chdr(true, true, 1, 1000, new Uint8Array([1, 2, 3])), true, true, src),
    /corrupt zlib data/,
  );
  expectDecode(() => decompressChdr(new Uint8Array(10), true, true, src), /unexpected end of data/);
  expectDecode(
    () => decompressZdebug(zdebug(payload.length, body.subarray(0, 20)), src),
    /corrupt zlib data|inflates to/,
  );
  // ch_size beyond 2^53.
  const huge = chdr(true, true, 1, 0, body);
  new DataView(huge.buffer).setBigUint64(8, 1n << 60n, true);
  expectDecode(() => decompressChdr(huge, true, true, src), /too large/, 0x108);
});

Deno.test("ElfFile decompresses an ELF32 SHF_COMPRESSED section", () => {
  const img = buildElf({
    is64: false,
    sections: [{
      name: ".debug_str",
      type: SHT.PROGBITS,
      flags: SHF.COMPRESSED | SHF.MERGE | SHF.STRINGS,
      data: chdr(false, true, 1, payload.length, deflateSync(payload)),
      addralign: 4,
    }],
  });
  const elf = ElfFile.fromBytes(img.bytes);
  assert.deepEqual(elf.sectionData(".debug_str"), payload);
});

/** The zstd cases: what decompressChdr gives (a length or the error message) for each. */
const ZSTD_CASES = `
  const body = zstdCompressSync(payload);
  const cases = [payload.length, 100, payload.length + 1].map((size) => chdr(true, true, 2, size, body));
  cases.push(chdr(true, true, 2, payload.length, body.subarray(0, body.length - 3)));
  const out = cases.map((c) => {
    try {
      return String(decompressChdr(c, true, true, src).length);
    } catch (e) {
      return e.message;
    }
  });`;

Deno.test("zstd sections: the same answers from the system's libzstd and from node:zlib", async () => {
  const results = (out: string[]) => {
    assert.equal(out[0], String(payload.length));
    assert.match(out[1]!, /more than the declared 100 bytes/);
    assert.match(out[2]!, /zstd data inflates to 3000 bytes, not the declared 3001/);
    // Truncated: an error either way (node:zlib returns what it decoded, short).
    assert.match(out[3]!, /corrupt zstd data|zstd data inflates to \d+ bytes, not the declared/);
  };
  // In this process: libzstd through FFI.
  const native = new Function(
    "zstdCompressSync",
    "payload",
    "chdr",
    "decompressChdr",
    "src",
    ZSTD_CASES + "return out;",
  )(zstdCompressSync, payload, chdr, decompressChdr, src) as string[];
  results(native);
  assert.match(native[3]!, /corrupt zstd data \(.*zstd: \w/);
  // Without FFI (a fresh process: WYVERN_NO_FFI is read once): node:zlib.
  const mod = new URL("../../../lib/elf/compression.ts", import.meta.url).href;
  const script = `
    import { zstdCompressSync } from "node:zlib";
    import { decompressChdr } from ${JSON.stringify(mod)};
    const payload = new TextEncoder().encode("DWARF ".repeat(500));
    const src = ${JSON.stringify(src)};
    ${chdr.toString()}
    function concat(a, b) { const r = new Uint8Array(a.length + b.length); r.set(a); r.set(b, a.length); return r; }
    ${ZSTD_CASES}
    console.log(JSON.stringify(out));`;
  const r = await runDeno(["eval", script], { WYVERN_NO_FFI: "1" });
  assert.equal(r.code, 0, r.stderr);
  const portable = JSON.parse(r.stdout) as string[];
  results(portable);
  assert.deepEqual(portable.slice(0, 3), native.slice(0, 3));
});
