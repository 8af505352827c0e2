/**
 * dist/ (scripts/bundle.ts): it is what the sources make now, it exports
 * what mod.ts exports, and a script on it gives the kernel fixture's task
 * list as drgn 0.0.22 recorded it, through its prelude and through its
 * runner; mixing it with the sources' runner is a clear error.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { kernelDumpPath, kernelReference, runDeno } from "./_programs.ts";
import { vmlinux } from "./lib/elf/_fixtures.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("dist/ is what scripts/bundle.ts makes from the sources now", async () => {
  const r = await runDeno(["run", "-A", join(ROOT, "scripts/bundle.ts"), "--check"]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /dist\/ is up to date \(\d+ files\)/);
  // ASCII only (esbuild's charset "ascii" escapes the rest): a single
  // non-ASCII character makes the whole chunk a two-byte string for V8
  // (decoded from UTF-8 at every start, twice the memory).
  for (const e of Deno.readDirSync(join(ROOT, "dist"))) {
    const bytes = Deno.readFileSync(join(ROOT, "dist", e.name));
    const at = bytes.findIndex((b) => b > 0x7f);
    assert.equal(at, -1, `dist/${e.name}: a non-ASCII byte at offset ${at}`);
  }
});

Deno.test("dist/mod.js exports what mod.ts exports", async () => {
  const bundled = await import("../dist/mod.js");
  const sources = await import("../mod.ts");
  assert.deepEqual(Object.keys(bundled).sort(), Object.keys(sources).sort());
  assert.ok(Object.keys(bundled).length > 100);
  assert.equal(typeof bundled.forEachTask, "function");
  assert.notEqual(bundled.Program, sources.Program, "two copies, as the runner check assumes");
});

const SCRIPT = `
import { forEachTask } from "./dist/prelude.js";
const rows = [];
for (const t of forEachTask(prog)) rows.push([t.pid.value_(), t.comm.string_()]);
console.log(JSON.stringify(rows));
`;

Deno.test("dist/: a script's task list through dist/prelude.js and dist/mod.js, as drgn's", async () => {
  const dir = Deno.makeTempDirSync({ dir: ROOT, prefix: ".bundle-test-" });
  try {
    const script = join(dir, "tasks.ts");
    Deno.writeTextFileSync(script, SCRIPT.replace("./dist/", "../dist/"));
    const core = await kernelDumpPath("mdf-c-d31.kdump");
    const vml = await vmlinux();
    const ref = (kernelReference("mdf-c-d31.kdump").tasks as { pid: number; comm: string }[])
      .map((t) => [t.pid, t.comm]);
    const [prelude, runner, mixed] = await Promise.all([
      runDeno(["run", "--allow-read", script, core, "-q", "-s", vml]),
      runDeno(["run", "-A", join(ROOT, "dist/mod.js"), "-q", "-c", core, "-s", vml, script]),
      runDeno(["run", "-A", join(ROOT, "mod.ts"), "-q", "-c", core, "-s", vml, script]),
    ]);
    for (const [how, r] of [["prelude", prelude], ["runner", runner]] as const) {
      assert.equal(r.code, 0, `${how}: ${r.stderr}`);
      const rows = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as [number, string][];
      const byPid = (a: [number, string], b: [number, string]) => a[0] - b[0];
      assert.deepEqual(rows.sort(byPid), [...ref].sort(byPid as never), how);
    }
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /different copy of Wyvern.*dist\/mod\.js/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
