/**
 * DWZ supplementary files (`dwz -m`): the types and datastructs fixtures'
 * sources built as the fixtures' gcc-O0 variant, then compressed together
 * by dwz, which moves their shared DIEs and strings to a common file named
 * by `.gnu_debugaltlink`. Read through it, the types program gives every
 * type, type-name query and variable type drgn 0.0.22 gives for the gcc-O0
 * build (its reference JSON), but for `g_fp_returning_fp`, whose type name
 * drgn 0.0.22 prints wrongly (see lib/types/format_type.ts), and the
 * variables only declared there (libc's `stdout`: no core, so no libc). Without the common file: a
 * warning naming it, typed errors, no crash.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { mergeSupplementary } from "../../../lib/dwarf/dwz.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { Program } from "../../../lib/program/program.ts";
import { Platform } from "../../../lib/platform.ts";
import { USER } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  assert.ok(out.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/** The two programs built and dwz'd in a new directory (the common file named relatively). */
async function build(): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-dwz-" });
  for (const p of ["types", "datastructs"]) {
    await run("gcc", ["-g", "-O0", "-o", p, join(USER, `src/${p}.c`)], dir);
  }
  await run("dwz", ["-m", "common.debug", "types", "datastructs"], dir);
  return dir;
}

function compare(prog: Program, ref: Json): { n: number; bad: string[] } {
  const bad: string[] = [];
  let n = 0;
  const check = (what: string, got: () => string, want: unknown) => {
    if (typeof want !== "string") return;
    let g: string;
    try {
      g = got();
    } catch (e) {
      g = `${(e as Error).name}: ${(e as Error).message}`;
    }
    if (g !== want) bad.push(`${what}: ${JSON.stringify(g)}, drgn ${JSON.stringify(want)}`);
    n++;
  };
  for (
    const [name, r] of [...Object.entries(ref.types), ...Object.entries(ref.type_name_queries)]
  ) {
    check(name, () => String(prog.type(name)), (r as Json).str);
  }
  for (const [name, r] of Object.entries(ref.variables)) {
    if ((r as Json).dwarf_declaration_only || name === "g_fp_returning_fp") continue;
    check(name, () => prog.object(name).type_.typeName(), (r as Json).type);
  }
  return { n, bad };
}

Deno.test("DWZ: types and variables through the supplementary file, as drgn", async () => {
  const ref: Json = JSON.parse(
    Deno.readTextFileSync(join(USER, "reference/gcc-O0/types.gcore.json")),
  );
  const dir = await build();
  try {
    const elf = ElfFile.open(join(dir, "types"));
    const link = elf.gnuDebugAltLink();
    elf.close();
    assert.equal(link?.name, "common.debug");
    const prog = new Program(new Platform("X86_64", 8, true));
    prog.loadDebugInfo([join(dir, "types")], { default: false });
    assert.deepEqual(prog.warnings, []);
    const { n, bad } = compare(prog, ref);
    assert.ok(n > 250, `${n} compared`);
    assert.deepEqual(bad, []);
    // The other program shares the common file.
    const ds = new Program(new Platform("X86_64", 8, true));
    ds.loadDebugInfo([join(dir, "datastructs")], { default: false });
    assert.equal(String(ds.type("struct list_head")).split("\n")[0], "struct list_head {");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("DWZ: a missing supplementary file is a warning naming it, then typed errors", async () => {
  const dir = await build();
  try {
    Deno.removeSync(join(dir, "common.debug"));
    const prog = new Program(new Platform("X86_64", 8, true));
    prog.loadDebugInfo([join(dir, "types")], { default: false });
    assert.ok(
      prog.warnings.some((w) => w.includes("DWZ supplementary file common.debug not found")),
      prog.warnings.join("\n"),
    );
    // What dwz moved out is missing or unreadable, with a typed error.
    let typed = 0;
    for (const name of ["struct point", "g_point", "g_int", "g_color"]) {
      try {
        const x = name.startsWith("g_") ? prog.object(name).type_ : prog.type(name);
        String(x);
      } catch (e) {
        assert.ok(["LookupError", "DecodeError"].includes((e as Error).name), String(e));
        typed++;
      }
    }
    assert.ok(typed > 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("DWZ: merging writes to copies only, never to the main file's sections", async () => {
  const dir = await build();
  try {
    const elf = ElfFile.open(join(dir, "types"));
    const info = elf.sectionData(".debug_info");
    const abbrev = elf.sectionData(".debug_abbrev");
    const before = [info.slice(), abbrev.slice()];
    // Even with nothing to append (an empty supplementary .debug_info).
    const merged = mergeSupplementary(
      { info, abbrev },
      { info: new Uint8Array(0), abbrev: new Uint8Array(0) },
      true,
    );
    assert.deepEqual([info, abbrev], before);
    assert.notEqual(merged.info, info);
    assert.notEqual(merged.abbrev, abbrev);
    assert.notDeepEqual(merged.abbrev, abbrev); // the GNU_ref_alt / GNU_strp_alt codes rewritten
    elf.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
