/**
 * Runs a script from scripts/ both ways users do (through the prelude,
 * `deno run --allow-read scripts/X.ts VMCORE -s VMLINUX`, and through the runner,
 * `deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/X.ts`: the scripts
 * import the bundle, dist/prelude.js) on the kernel
 * dumps, and reads the drgn equivalent's output written by
 * tests/data/helpers/gen_kernel_helpers.py.
 */

import { join } from "node:path";
import { KERNEL, runDeno, sampleVmlinux } from "../_programs.ts";
import { vmlinux } from "../lib/elf/_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The dumps the script tests run on: the fixture kdump, the 5-level-paging one, the sample kernel's. */
export const SCRIPT_DUMPS = ["mdf-c-d31.kdump", "la57.kdump", "sample"] as const;

/** A dump and its vmlinux. */
export async function target(dump: (typeof SCRIPT_DUMPS)[number]): Promise<[string, string]> {
  if (dump === "sample") {
    return [join(ROOT, "tests/data/sample/vmcore.mdf-c-d31.kdump"), await sampleVmlinux()];
  }
  if (dump === "la57.kdump") {
    return [join(ROOT, "tests/data/kernel/la57-128m/vmcore.mdf-c-d31.kdump"), await vmlinux()];
  }
  return [join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump"), await vmlinux()];
}

/** What a run printed. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function deno(perms: string, args: string[]): Promise<Run> {
  return await runDeno(["run", perms, ...args]);
}

/** Runs `scripts/<name>.ts` on a dump through the prelude and through dist/mod.js. */
export async function runBothWays(
  name: string,
  dump: (typeof SCRIPT_DUMPS)[number],
  args: string[] = [],
): Promise<{ prelude: Run; runner: Run }> {
  const script = join(ROOT, "scripts", `${name}.ts`);
  const [core, vml] = await target(dump);
  const [prelude, runner] = await Promise.all([
    // A dump needs read permission alone.
    deno("--allow-read", [script, core, "-q", "-s", vml, ...args]),
    deno("-A", [join(ROOT, "dist/mod.js"), "-q", "-c", core, "-s", vml, script, ...args]),
  ]);
  return { prelude, runner };
}

/** The drgn equivalent's output of a script on a dump. */
export function scriptGolden(name: string, dump: string): string {
  const g = JSON.parse(
    Deno.readTextFileSync(new URL("../data/helpers/scripts_goldens.json", import.meta.url)),
  );
  return g.dumps[dump][name];
}
