/**
 * File maps (lib/binary/mmap.ts): the bytes are the file's, one map per
 * file and process, a file replaced at the same path gets a new map (the
 * old one keeps the old bytes), release() leaves the bytes readable, and
 * WYVERN_NO_MMAP=1 or a missing file gives null.
 */

import assert from "node:assert/strict";
import { mapFile } from "../../../lib/binary/mmap.ts";

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed + (i >> 12)) & 0xff);
}

Deno.test("mapFile: the file's bytes, mapped once per file, a new map for a replaced file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/f.bin`;
    const first = bytes(3 * 4096 + 123, 1);
    Deno.writeFileSync(path, first);
    const a = mapFile(path);
    assert.ok(a !== null, "the tests run with FFI allowed");
    assert.deepEqual(a.bytes, first);
    assert.equal(mapFile(path), a, "the same file is mapped once");
    // release() drops pages from memory; they read back the same.
    a.release(0, a.bytes.length);
    assert.deepEqual(a.bytes, first);
    // Replaced the way the index cache replaces its files (write + rename).
    const second = bytes(5000, 2);
    Deno.writeFileSync(`${path}.tmp`, second);
    Deno.renameSync(`${path}.tmp`, path);
    const b = mapFile(path);
    assert.ok(b !== null && b !== a);
    assert.deepEqual(b.bytes, second);
    assert.deepEqual(a.bytes, first, "the old map still holds the old file");
    assert.equal(mapFile(`${dir}/missing`), null);
    assert.equal(mapFile(dir), null, "a directory");
    Deno.writeFileSync(`${dir}/empty`, new Uint8Array(0));
    assert.equal(mapFile(`${dir}/empty`), null, "an empty file");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("mapFile: WYVERN_NO_MMAP=1 turns maps off", () => {
  const url = new URL("../../../lib/binary/mmap.ts", import.meta.url).href;
  const run = (env: Record<string, string>) => {
    const out = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { mapFile } from ${JSON.stringify(url)};
         console.log(mapFile(Deno.execPath()) === null ? "null" : "mapped");`,
      ],
      env,
      stdout: "piped",
    }).outputSync();
    return new TextDecoder().decode(out.stdout).trim();
  };
  assert.equal(run({ WYVERN_NO_MMAP: "0" }), "mapped");
  assert.equal(run({ WYVERN_NO_MMAP: "1" }), "null");
});
