/**
 * Objects and types of kernel modules, as drgn 0.0.22 gives them with the
 * module debug files loaded (tests/data/kernel/modules/gen_module_goldens.py):
 * every global variable the fixture's 5 modules define, formatted (a
 * module's declaration of a kernel type, such as minix's `struct
 * kmem_cache`, is the vmlinux definition: drgn resolves declarations over
 * all modules), and every struct and union they define, by name.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { FaultError } from "../../../lib/errors.ts";
import { kernelProgram } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const GOLDENS: Json = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../data/kernel/modules/module_goldens.json", import.meta.url),
  ),
);
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

Deno.test("kernel modules: every global variable they define, formatted as drgn", async () => {
  const prog = await kernelProgram();
  const bad: string[] = [];
  let formatted = 0;
  for (const [name, want] of Object.entries(GOLDENS.variables as Record<string, Json>)) {
    let got: Json;
    try {
      got = { str_sha256: sha(String(prog.variable(name))) };
      formatted++;
    } catch (e) {
      // drgn's FaultError texts differ (libkdumpfile's); the kind is what counts.
      got = { error: e instanceof FaultError ? "FaultError" : (e as Error).name };
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(name);
  }
  assert.deepEqual(bad, []);
  assert.ok(formatted > 80, `${formatted}`);
  // The declaration in minix.ko is resolved to vmlinux's struct kmem_cache.
  const cachep = prog.variable("minix_inode_cachep");
  assert.equal(cachep.type_.type!.isComplete(), true);
  assert.match(String(cachep), /^\*\(struct kmem_cache \*\)0x[0-9a-f]+ = \{\n\t\.cpu_slab = /);
});

Deno.test("kernel modules: every struct and union they define, by name, as drgn", async () => {
  const prog = await kernelProgram();
  const bad: string[] = [];
  for (const [name, want] of Object.entries(GOLDENS.types as Record<string, string>)) {
    if (sha(String(prog.type(name))) !== want) bad.push(name);
  }
  assert.deepEqual(bad, []);
  assert.ok(Object.keys(GOLDENS.types).length > 500);
});
