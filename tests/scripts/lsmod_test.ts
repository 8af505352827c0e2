/**
 * scripts/lsmod.ts on the fixture, 5-level-paging and sample kernel dumps, run through the
 * prelude and through the dist/mod.js runner: the same output as the drgn
 * equivalent in tests/data/helpers/gen_kernel_helpers.py.
 */

import assert from "node:assert/strict";
import { runBothWays, SCRIPT_DUMPS, scriptGolden } from "./_run.ts";

for (const dump of SCRIPT_DUMPS) {
  Deno.test(`scripts/lsmod.ts on ${dump}: as the drgn equivalent, both ways`, async () => {
    const want = scriptGolden("lsmod", dump);
    const { prelude, runner } = await runBothWays("lsmod", dump);
    assert.equal(prelude.code, 0, prelude.stderr);
    assert.equal(prelude.stdout, want);
    assert.equal(runner.code, 0, runner.stderr);
    assert.equal(runner.stdout, want);
  });
}
