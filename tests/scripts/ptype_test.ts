/**
 * scripts/ptype.ts end to end, both ways users run it (the prelude with
 * `--allow-read` alone, and the `dist/mod.js` runner), on the kernel fixture dump
 * and on the sample dump: every type drgn 0.0.22 recorded prints exactly as
 * drgn printed it (SHA-256 of drgn's `str(type)`).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  KERNEL,
  kernelDumpPath,
  kernelReference,
  runDeno,
  sampleModule,
  sampleVmlinux,
} from "../_programs.ts";
import { vmlinux } from "../lib/elf/_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PTYPE = join(ROOT, "scripts/ptype.ts");

// deno-lint-ignore no-explicit-any
type Json = any;

async function run(args: string[]) {
  return await runDeno(args);
}

/** Splits ptype's output into the printed definitions (each ends with a `}` line). */
function definitions(stdout: string): string[] {
  return stdout.split(/(?<=\n\})\n/).map((s) => s.replace(/\n$/, "")).filter((s) => s !== "");
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function dumps(): Promise<[string, string, string[], Json][]> {
  return [
    [
      "kernel fixture",
      await kernelDumpPath("mdf-c-d31.kdump"),
      [
        "-s",
        await vmlinux(),
        "-s",
        join(KERNEL, "debug/loop.ko"),
        "-s",
        join(KERNEL, "debug/minix.ko"),
      ],
      kernelReference("mdf-c-d31.kdump"),
    ],
    [
      "sample",
      join(ROOT, "tests/data/sample/vmcore.mdf-c-d31.kdump"),
      ["-s", await sampleVmlinux(), "-s", await sampleModule()],
      JSON.parse(Deno.readTextFileSync(join(ROOT, "tests/data/sample/mdf-c-d31.kdump.json"))),
    ],
  ];
}

for (const [name, dump, syms, ref] of await dumps()) {
  const names = Object.keys(ref.types);
  const ways: [string, string[]][] = [
    ["prelude, --allow-read", ["run", "--allow-read", PTYPE, dump, ...syms, "-q", ...names]],
    ["dist/mod.js runner", [
      "run",
      "-A",
      join(ROOT, "dist/mod.js"),
      "-c",
      dump,
      ...syms,
      "-q",
      PTYPE,
      ...names,
    ]],
  ];
  for (const [way, args] of ways) {
    Deno.test(`ptype.ts (${way}) on the ${name} dump prints drgn's definitions`, async () => {
      const r = await run(args);
      assert.equal(r.code, 0, r.stderr);
      const defs = definitions(r.stdout);
      assert.equal(defs.length, names.length, r.stdout);
      names.forEach((t, i) => {
        assert.equal(sha(defs[i]!), ref.types[t].str_sha256, `${t}:\n${defs[i]}`);
        assert.equal(defs[i]!.split("\n").length, ref.types[t].str_lines, t);
      });
    });
  }
}

Deno.test("ptype.ts: an unknown name is reported on stderr with exit status 1", async () => {
  const dump = join(ROOT, "tests/data/sample/vmcore.mdf-c-d31.kdump");
  const r = await run([
    "run",
    "--allow-read",
    PTYPE,
    dump,
    "-s",
    await sampleVmlinux(),
    "-q",
    "struct no_such_thing",
    "struct list_head",
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no type or object named 'struct no_such_thing'/);
  assert.match(r.stdout, /^struct list_head \{/);
});
