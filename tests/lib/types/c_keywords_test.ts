/**
 * `class` is a keyword of C++ only: in a C program's type names it is an
 * identifier, as drgn 0.0.22 reads it (the kernel's `struct class`, which
 * Wyvern once refused as a syntax error).
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import { LookupError } from "../../../lib/errors.ts";
import { Program } from "../../../lib/program/program.ts";
import { kernelDumpPath } from "../../_programs.ts";
import { vmlinux } from "../elf/_fixtures.ts";

Deno.test("type names: the kernel's struct class, as drgn", async () => {
  const prog = new Program();
  prog.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
  prog.loadDebugInfo([await vmlinux()], { default: false });
  const t = prog.type("struct class");
  assert.equal(String(t).split("\n")[0], "struct class {");
  assert.equal(t.isComplete(), true);
  assert.equal(String(prog.type("const struct class *")), "const struct class *");
  assert.ok(t.members!.some((m) => m.name === "dev_kobj"));
  // As drgn: in C, "class device" is one (unknown) name, not a tag.
  assert.throws(
    () => prog.type("class device"),
    (e: Error) => e instanceof LookupError && e.message === "could not find 'class device'",
  );
  assert.throws(
    () => prog.type("class"),
    (e: Error) => e instanceof LookupError && e.message === "could not find 'class'",
  );
});
