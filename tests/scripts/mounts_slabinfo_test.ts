/**
 * scripts/mounts.ts and scripts/slabinfo.ts on the fixture and sample kernel
 * dumps, run through the prelude and through the dist/mod.js runner: the same
 * output as their drgn equivalents in tests/data/helpers/gen_mm_slab_fs.py.
 */

import assert from "node:assert/strict";
import { runBothWays, SCRIPT_DUMPS } from "./_run.ts";
import { type HelperDump, helperGolden } from "../helpers/linux/_mm_slab_fs.ts";

const GOLDEN: Record<(typeof SCRIPT_DUMPS)[number], HelperDump> = {
  "mdf-c-d31.kdump": "kdump",
  "la57.kdump": "la57",
  sample: "sample",
};

for (const script of ["mounts", "slabinfo"]) {
  for (const dump of SCRIPT_DUMPS) {
    Deno.test(`scripts/${script}.ts on ${dump}: as the drgn equivalent, both ways`, async () => {
      const want = helperGolden(GOLDEN[dump]).scripts[script];
      const { prelude, runner } = await runBothWays(script, dump);
      assert.equal(prelude.code, 0, prelude.stderr);
      assert.equal(prelude.stdout, want);
      assert.equal(runner.code, 0, runner.stderr);
      assert.equal(runner.stdout, want);
    });
  }
}
