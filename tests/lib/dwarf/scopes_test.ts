/**
 * PC lookups for stack traces: the unit, function and inlined scopes at a
 * return address, checked against drgn's stack traces in the fixture
 * references, and location lists (DWARF 4 .debug_loc, DWARF 5
 * .debug_loclists) of optimized code.
 */

import assert from "node:assert/strict";
import { DW_AT, DW_TAG } from "../../../lib/dwarf/constants.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { locationList } from "../../../lib/dwarf/loclists.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { exists, FIXTURES, readElfSections } from "./_sections.ts";

const BIAS = 0x555555554000n;

for (const variant of ["gcc-O0", "gcc-dwarf4-O2", "clang-O0"]) {
  const bin = `${FIXTURES}/user/out/bin/${variant}/threads`;
  const refPath = `${FIXTURES}/user/reference/${variant}/threads.gcore.json`;
  Deno.test({
    name: `scopesAt() names the functions of drgn's stack frames (${variant}/threads)`,
    ignore: !exists(bin) || !exists(refPath),
    fn() {
      const { sections, littleEndian } = readElfSections(bin);
      const d = new DwarfInfo(dwarfSectionsFromMap(sections), { littleEndian, bias: BIAS });
      const ref = JSON.parse(Deno.readTextFileSync(refPath));
      let checked = 0;
      for (const st of ref.stack_traces) {
        for (const f of st.frames) {
          if (typeof f.pc !== "string" || f.name === null) continue;
          const pc = BigInt(f.pc);
          if (pc < BIAS || pc >= BIAS + 0x100000n) continue; // libc frames
          // Return addresses point after the call: look up pc - 1 (drgn does too).
          const lookup = pc - BIAS - (f.interrupted ? 0n : 1n);
          const scopes = d.scopesAt(lookup);
          assert.ok(scopes.length > 0, `no scope at ${f.pc}`);
          assert.equal(scopes[0]!.tag, DW_TAG.subprogram);
          // drgn lists inlined frames innermost first; the outermost frame of
          // a pc is the (non-inline) function.
          if (!f.is_inline) assert.equal(d.nameOf(scopes[0]!), f.name, f.pc);
          assert.ok(d.unitForPc(lookup) !== null);
          checked++;
        }
      }
      assert.ok(checked >= 15, `only ${checked} frames checked`);
      assert.equal(d.scopesAt(0n).length, 0);
    },
  });
}

Deno.test({
  name: "locationList() decodes .debug_loc (DWARF 4) and .debug_loclists (DWARF 5)",
  ignore: !exists(`${FIXTURES}/user/out/bin/gcc-dwarf4-O2/threads`),
  fn() {
    for (const variant of ["gcc-dwarf4-O2", "gcc-O0"]) {
      const { sections, littleEndian } = readElfSections(
        `${FIXTURES}/user/out/bin/${variant}/threads`,
      );
      const d = new DwarfInfo(dwarfSectionsFromMap(sections), { littleEndian });
      let lists = 0;
      let exprs = 0;
      for (const u of d.units) {
        const visit = (die: ReturnType<typeof d.reader.unitDie>, depth: number) => {
          for (const c of d.reader.children(die)) {
            if (c.tag === DW_TAG.formal_parameter || c.tag === DW_TAG.variable) {
              const l = locationList(c);
              if (l === null) continue;
              for (const e of l) assert.ok(e.end > e.start && e.expr.length > 0);
              if (l.length > 1 || (l.length === 1 && l[0]!.end !== 0xffffffffffffffffn)) lists++;
              else exprs++;
            }
            if (c.hasChildren && depth < 8) visit(c, depth + 1);
          }
        };
        visit(d.reader.unitDie(u), 0);
      }
      if (variant === "gcc-dwarf4-O2") {
        assert.ok(lists > 5, `${variant}: ${lists} location lists`);
      } else {
        assert.ok(exprs > 5, `${variant}: ${exprs} single expressions`);
      }
      // The frame base of a function is an expression.
      const f = d.findObject("recurse", "function");
      assert.ok(f !== null && f.kind === "function");
      assert.ok(d.reader.die(f.die).has(DW_AT.frame_base));
    }
  },
});
