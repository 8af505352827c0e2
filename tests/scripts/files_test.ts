/**
 * scripts/files.ts PID on the fixture and sample kernel dumps, run through
 * the prelude and through the dist/mod.js runner: the same output as drgn's
 * print_files() (tests/data/helpers/gen_mm_slab_fs.py); usage errors.
 */

import assert from "node:assert/strict";
import { runDeno } from "../_programs.ts";
import { helperGolden } from "../helpers/linux/_mm_slab_fs.ts";
import { runBothWays, target } from "./_run.ts";

const SCRIPT = new URL("../../scripts/files.ts", import.meta.url).pathname;

async function deno(args: string[]) {
  return await runDeno(["run", "--allow-read", ...args]);
}

for (const [dump, golden] of [["mdf-c-d31.kdump", "kdump"], ["sample", "sample"]] as const) {
  Deno.test(`scripts/files.ts 1 on ${dump}: as drgn's print_files(), both ways`, async () => {
    const want = helperGolden(golden).scripts["files 1"];
    const { prelude, runner } = await runBothWays("files", dump, ["1"]);
    assert.equal(prelude.code, 0, prelude.stderr);
    assert.equal(prelude.stdout, want);
    assert.equal(runner.code, 0, runner.stderr);
    assert.equal(runner.stdout, want);
  });
}

Deno.test("scripts/files.ts: a task with a reserved descriptor, an unknown PID, bad usage", async () => {
  const [core, vml] = await target("mdf-c-d31.kdump");
  // nc (PID 105) is in accept(): fd 4 is reserved with no file yet, where
  // drgn's print_files() fails; the other descriptors are drgn's.
  const nc = helperGolden("kdump").tasks.find((t: { pid: number }) => t.pid === 105);
  const want = nc.files.filter((f: unknown[]) => f[2] !== "0x0")
    .map(([fd, path, file]: [number, string, string]) => `${fd} ${path} (struct file *)${file}\n`)
    .join("");
  const [ok, missing, usage] = await Promise.all([
    deno([SCRIPT, core, "-q", "-s", vml, "105"]),
    deno([SCRIPT, core, "-q", "-s", vml, "99999"]),
    deno([SCRIPT, core, "-q", "-s", vml, "x"]),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, want);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "files: no task with PID 99999\n");
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^usage: files\.ts/);
});
