/**
 * Lookups restricted to a file (drgn's `filename` argument of
 * `prog.object()`, `variable()`, `function()`, `constant()` and `type()`):
 * the definition's `DW_AT_decl_file` must match it as drgn's
 * `filename_matches()` decides. Compared with drgn 0.0.22's answers
 * (tests/data/kernel/filename/gen_filename_lookups.py) on the kernel
 * fixture (statics defined in several files told apart by their file:
 * `dev_attr_stat` of block/genhd.c or of partitions/core.c) and the user
 * fixture types.gcore, error messages included; and `filenameMatches()`
 * itself.
 */

import assert from "node:assert/strict";
import { FindObjectFlags, type Program } from "../../../lib/program/program.ts";
import { filenameMatches } from "../../../lib/path.ts";
import { kernelProgram, userProgram } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const ANSWERS: Json = JSON.parse(
  Deno.readTextFileSync(new URL("../../data/kernel/filename/answers.json", import.meta.url)),
);

function ours(prog: Program, name: string, filename: string, kind: string): Json {
  try {
    if (kind === "type") return { type: String(prog.type(name, filename)).split("\n")[0] };
    const o = kind === "object"
      ? prog.object(name, FindObjectFlags.ANY, filename)
      : kind === "variable"
      ? prog.variable(name, filename)
      : kind === "function"
      ? prog.function(name, filename)
      : prog.constant(name, filename);
    const address = o.address_ === null ? null : `0x${o.address_.toString(16)}`;
    return { object: String(o).split("\n")[0], address };
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

function check(prog: Program, rows: [string, string, string, Json][], what: string): void {
  const bad: string[] = [];
  for (const [name, filename, kind, want] of rows) {
    const got = ours(prog, name, filename, kind);
    // drgn 0.0.22 cannot read string literals from a userspace core (they
    // are in the binary, not the core): it prints the pointer alone.
    if (got.object !== undefined && want.object !== undefined && got.object !== want.object) {
      if (got.object.startsWith(want.object + ' = "')) got.object = want.object;
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      bad.push(
        `${kind} ${name} in ${JSON.stringify(filename)}: ${JSON.stringify(got)}, drgn ${
          JSON.stringify(want)
        }`,
      );
    }
  }
  assert.deepEqual(bad, [], `${what}: ${bad.length} of ${rows.length} differ`);
}

Deno.test("filenameMatches() answers as drgn's filename_matches()", () => {
  for (
    const [h, n, want] of ANSWERS.filename_matches as [string | null, string | null, boolean][]
  ) {
    assert.equal(filenameMatches(h, n), want, `${h} ${n}`);
  }
});

Deno.test("lookups restricted to a file on the kernel fixture, as drgn", async () => {
  const rows = ANSWERS.kernel;
  assert.ok(rows.length > 100);
  // Statics of one name in several files: each file gives its own.
  const stat = rows.filter((r: Json) => r[0] === "dev_attr_stat" && r[3].address);
  assert.ok(new Set(stat.map((r: Json) => r[3].address)).size > 1);
  check(await kernelProgram(), rows, "kernel");
});

Deno.test("lookups restricted to a file on a userspace core, as drgn", async () => {
  check(await userProgram("gcc-O0", "types"), ANSWERS.user, "user");
});
