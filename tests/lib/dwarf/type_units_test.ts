/**
 * DWARF 4 type units (`gcc -gdwarf-4 -fdebug-types-section`): the types
 * fixture's source built that way gives every type, type-name query and
 * variable type drgn 0.0.22 gives for the gcc-dwarf4-O2 build of the same
 * source (its reference JSON; DWARF 4 has no `_Atomic`), but for
 * `g_fp_returning_fp`, whose type name drgn 0.0.22 prints wrongly (see
 * lib/types/format_type.ts), and the variables only declared here (libc's
 * `stdout`: no core, so no libc). gcc leaves stubs in `.debug_info` that carry only
 * `DW_AT_signature` (e.g. `g_flex`'s `struct flex *`, `g_color`'s enum):
 * they stand for the type unit's definition.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { Platform } from "../../../lib/platform.ts";
import { USER } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function build(flags: string[]): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-tu-" });
  const bin = join(dir, "types");
  const out = await new Deno.Command("gcc", {
    args: [...flags, "-o", bin, join(USER, "src/types.c")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return bin;
}

Deno.test("type units: types, queries and variable types as drgn gives them", async () => {
  const ref: Json = JSON.parse(
    Deno.readTextFileSync(join(USER, "reference/gcc-dwarf4-O2/types.gcore.json")),
  );
  const bin = await build(["-gdwarf-4", "-fdebug-types-section", "-O0"]);
  try {
    const prog = new Program(new Platform("X86_64", 8, true));
    prog.loadDebugInfo([bin], { default: false });
    const bad: string[] = [];
    let n = 0;
    for (
      const [name, r] of [...Object.entries(ref.types), ...Object.entries(ref.type_name_queries)]
    ) {
      const want = (r as Json).str;
      if (typeof want !== "string") continue;
      let got: string;
      try {
        got = String(prog.type(name));
      } catch (e) {
        got = `${(e as Error).name}: ${(e as Error).message}`;
      }
      if (got !== want) bad.push(`${name}: ${JSON.stringify(got)}, drgn ${JSON.stringify(want)}`);
      n++;
    }
    for (const [name, r] of Object.entries(ref.variables)) {
      const want = (r as Json).type;
      if (typeof want !== "string" || (r as Json).dwarf_declaration_only) continue;
      if (name === "g_fp_returning_fp") continue;
      let got: string;
      try {
        got = prog.object(name).type_.typeName();
      } catch (e) {
        got = `${(e as Error).name}: ${(e as Error).message}`;
      }
      if (got !== want) bad.push(`${name}: ${JSON.stringify(got)}, drgn ${JSON.stringify(want)}`);
      n++;
    }
    assert.ok(n > 250, `${n} compared`);
    assert.deepEqual(bad, []);
  } finally {
    Deno.removeSync(join(bin, ".."), { recursive: true });
  }
});
