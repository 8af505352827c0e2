/**
 * lib/runtime/global_types.ts declares exactly the globals the prelude and
 * the CLI install, so scripts type-check against what they get at run time.
 */

import assert from "node:assert/strict";
import { runDeno } from "../../_programs.ts";
import { globalTypesSource, globalValuesSource } from "../../../scripts/gen_global_types.ts";
import { installGlobals } from "../../../lib/runtime/globals.ts";
import { allExports } from "../../../lib/runtime/global_values.ts";
import { Program } from "../../../lib/program/program.ts";
import * as api from "../../../lib/runtime/api.ts";
import * as helpers from "../../../helpers/mod.ts";

Deno.test("global_types.ts and global_values.ts are up to date (run scripts/gen_global_types.ts)", () => {
  for (
    const [file, text] of <[string, string][]> [
      ["global_types.ts", globalTypesSource()],
      ["global_values.ts", globalValuesSource()],
    ]
  ) {
    const path = new URL(`../../../lib/runtime/${file}`, import.meta.url);
    assert.equal(Deno.readTextFileSync(path), text, file);
  }
});

Deno.test("`wyvern` holds every export of the API and the helpers, the helper's on a clash", () => {
  const all = allExports();
  const expected: Record<string, unknown> = { ...api, ...helpers };
  assert.deepEqual(Object.keys(all).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) assert.equal(all[k], v, k);
  assert.notEqual(allExports(), all, "a new object each time");
});

Deno.test("every declared global is installed; JavaScript's own globals are left alone", () => {
  const declared = [...globalTypesSource().matchAll(/^ {2}var (\w+):/gm)].map((m) => m[1]!);
  const jsSymbol = globalThis.Symbol;
  const g = globalThis as Record<string, unknown>;
  installGlobals(new Program());
  for (const name of declared) assert.notEqual(g[name], undefined, name);
  assert.ok(declared.includes("forEachTask") && declared.includes("Program"));
  // drgn's Symbol class is wyvern.Symbol; the global Symbol stays JavaScript's.
  assert.equal(globalThis.Symbol, jsSymbol);
  assert.ok(!declared.includes("Symbol"));
  assert.equal(typeof (g.wyvern as Record<string, unknown>).Symbol, "function");
});

async function check(body: string): Promise<{ code: number; stderr: string }> {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/script.ts`;
  const prelude = new URL("../../../lib/runtime/prelude.ts", import.meta.url).href;
  Deno.writeTextFileSync(path, `import ${JSON.stringify(prelude)};\n${body}\n`);
  const out = await runDeno(["check", path]);
  Deno.removeSync(dir, { recursive: true });
  return out;
}

Deno.test("a script that imports the prelude type-checks its helper calls", async () => {
  const good = await check(
    "for (const t of forEachTask(prog)) console.log(t.pid.value_(), t.comm.string_());\n" +
      "const c: string = cpumaskToCpulist(prog.object('__cpu_online_mask'));\n" +
      "console.log(c, sizeof(prog.type('int')), wyvern.Symbol);",
  );
  assert.equal(good.code, 0, good.stderr);
  const bad = await check("forEachTask(42);");
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /forEachTask|42/);
});
