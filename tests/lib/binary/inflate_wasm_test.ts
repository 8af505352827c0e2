/**
 * lib/binary/inflate_wasm.ts is what scripts/build_wasm.sh makes from
 * lib/binary/wasm/inflate.c (clang and wasm-ld, which .ci/run installs).
 * That the WebAssembly decoder agrees with the TypeScript one is in
 * inflate_test.ts.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../../", import.meta.url).pathname;

function have(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "inflate_wasm.ts is what scripts/build_wasm.sh makes from inflate.c",
  ignore: !(have("clang") && have("wasm-ld")),
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const out = `${dir}/inflate_wasm.ts`;
      const r = new Deno.Command("sh", { args: [`${ROOT}scripts/build_wasm.sh`, out] })
        .outputSync();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      assert.equal(
        Deno.readTextFileSync(out),
        Deno.readTextFileSync(`${ROOT}lib/binary/inflate_wasm.ts`),
        "lib/binary/inflate_wasm.ts is stale: run scripts/build_wasm.sh",
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
