/**
 * openFile (lib/binary/file_reader.ts): a dump is mapped when FFI is
 * allowed and read through a FileReader otherwise, with the same bytes and
 * the same errors either way; the kernel dump fixture reads the same
 * through both.
 */

import assert from "node:assert/strict";
import { BytesReader, FileReader, openFile } from "../../../lib/binary/file_reader.ts";
import { TargetError } from "../../../lib/errors.ts";
import { kernelDumpPath, kernelPageSamples, runDeno } from "../../_programs.ts";

function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
}

Deno.test("openFile: mapped (FFI allowed) with the file's bytes and a FileReader's errors", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/f.bin`;
    const data = bytes(200_000);
    Deno.writeFileSync(path, data);
    const mapped = openFile(path);
    assert.ok(mapped instanceof BytesReader, "the tests run with FFI allowed");
    const read = FileReader.open(path);
    try {
      assert.equal(mapped.size, read.size);
      for (const [offset, length] of [[0, 1], [65530, 12], [123_457, 3000], [199_990, 10]]) {
        assert.deepEqual(mapped.readAt(offset!, length!), read.readAt(offset!, length!));
        const a = new Uint8Array(length! + 2);
        const b = new Uint8Array(length! + 2);
        mapped.readInto!(offset!, a, 1, length!);
        read.readInto(offset!, b, 1, length!);
        assert.deepEqual(a, b);
      }
      // Past the end: the same TargetError naming the file from both.
      for (const r of [mapped, read]) {
        assert.throws(
          () => r.readAt(199_995, 10),
          (e) =>
            e instanceof TargetError && e.message.includes(path) && /past the end/.test(e.message),
        );
        assert.throws(() => r.readInto!(-1, new Uint8Array(4), 0, 4), TargetError);
      }
    } finally {
      read.close();
    }
    // An empty file is not mapped (mmap cannot); a missing one is a TargetError.
    Deno.writeFileSync(`${dir}/empty`, new Uint8Array(0));
    assert.ok(openFile(`${dir}/empty`) instanceof FileReader);
    assert.throws(
      () => openFile(`${dir}/missing`),
      (e) => e instanceof TargetError && /no such file/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openFile: FFI allowed does not map a file that --allow-read does not cover", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const inside = `${dir}/inside.bin`;
    Deno.writeFileSync(inside, bytes(5000));
    const outside = Deno.makeTempFileSync();
    Deno.writeFileSync(outside, bytes(5000));
    const script = `${dir}/open.ts`;
    const lib = new URL("../../../lib/binary/file_reader.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      script,
      `import { openFile } from ${JSON.stringify(lib)};
for (const p of Deno.args) {
  try {
    const r = openFile(p);
    console.log(r.constructor.name, r.size);
  } catch (e) {
    console.log((e as Error).name, (e as Error).message);
  }
}`,
    );
    const run = await runDeno([
      "run",
      "--allow-ffi",
      `--allow-read=${dir}`,
      script,
      inside,
      outside,
    ]);
    Deno.removeSync(outside);
    const [a, b] = run.stdout.trim().split("\n");
    assert.equal(a, "BytesReader 5000", run.stderr);
    assert.match(b!, /^TargetError .*Requires read access/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openFile: the kernel dump reads the same mapped and through a FileReader", async () => {
  const dump = await kernelDumpPath("mdf-c-d31.kdump");
  // 64 bytes of every 61st page (the page data of each is compressed;
  // excluded pages fault), in a fresh process each: WYVERN_NO_MMAP is read
  // once per process.
  const head = {
    imports: { openFile: "lib/binary/file_reader.ts" },
    expr: `openFile(${JSON.stringify(dump)}).constructor.name`,
  };
  const mapped = await kernelPageSamples([dump], 61, { WYVERN_NO_MMAP: "0" }, head);
  const read = await kernelPageSamples([dump], 61, { WYVERN_NO_MMAP: "1" }, head);
  assert.equal(mapped[0], "BytesReader");
  assert.equal(read[0], "FileReader");
  assert.deepEqual(mapped.slice(1), read.slice(1));
  const data = mapped.slice(1).filter((s) => /^\d/.test(s) && /[1-9]/.test(s)).length;
  const faults = mapped.slice(1).filter((s) => s.startsWith("FaultError")).length;
  assert.ok(data > 100 && faults > 100, `${data} pages with data, ${faults} excluded`);
});
