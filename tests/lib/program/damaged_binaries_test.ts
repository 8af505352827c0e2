/**
 * Damaged debug files give typed errors, never others: copies of the user
 * fixtures' binaries with a few random bytes of one section changed
 * (DWARF, symbol tables, `.eh_frame`, build ID; a fixed PRNG, so the cases
 * are the same in every run) are loaded with their core, and every global
 * of the reference, every type, and every thread's stack trace with its
 * frames' locals are asked for. Each answer is a value or one of Wyvern's
 * typed errors (as drgn raises its own), never a `TypeError` or
 * `RangeError` from inside the debugger.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { USER, userCorePath, userReference } from "../../_programs.ts";
import { rng, TYPED_ERRORS } from "../../_damage.ts";

const SECTIONS = /^\.debug_|^\.(symtab|strtab|eh_frame|eh_frame_hdr|note\.gnu\.build-id)$/;

for (const variant of ["gcc-O0", "clang-O0", "gcc-dwarf4-O2"]) {
  Deno.test(`damaged ${variant} binaries: typed errors or answers, never others`, async () => {
    const dir = Deno.makeTempDirSync();
    const untyped: string[] = [];
    let typed = 0;
    try {
      for (let seed = 0; seed < 100; seed++) {
        const program = ["types", "datastructs", "threads"][seed % 3]!;
        const bin = join(USER, "out/bin", variant, program);
        const ref = userReference(variant, program, "gcore");
        const bytes = Deno.readFileSync(bin);
        const rnd = rng(seed + 1000 * variant.length);
        const secs = ElfFile.open(bin).sections.filter((s) => s.size > 0 && SECTIONS.test(s.name));
        const sec = secs[Math.floor(rnd() * secs.length)]!;
        for (let k = 1 + Math.floor(rnd() * 6); k > 0; k--) {
          const at = Number(sec.offset) + Math.floor(rnd() * Number(sec.size));
          bytes[at] = rnd() < 0.5 ? bytes[at]! ^ (1 << Math.floor(rnd() * 8)) : rnd() * 256;
        }
        const path = join(dir, `${program}-${seed}`);
        Deno.writeFileSync(path, bytes);
        const ask = (what: string, f: () => unknown) => {
          try {
            f();
          } catch (e) {
            const name = (e as Error)?.name;
            if (TYPED_ERRORS.has(name)) typed++;
            else {untyped.push(
                `${program} ${sec.name} seed ${seed} ${what}: ${(e as Error)?.stack}`,
              );}
          }
        };
        const prog = new Program();
        prog.warn = () => {};
        prog.setCoreDump(await userCorePath(variant, program, "gcore"));
        ask("load", () => prog.loadDebugInfo([path], { default: false }));
        for (const v of Object.keys(ref.variables ?? {})) ask(v, () => String(prog.object(v)));
        for (const t of Object.keys(ref.types ?? {})) ask(t, () => String(prog.type(t)));
        for (const thread of prog.threads()) {
          ask(`trace ${thread.tid}`, () => {
            const trace = prog.stackTrace(thread);
            String(trace);
            for (const f of trace) {
              for (const l of f.locals()) ask(`${thread.tid} ${l}`, () => String(f.get(l)));
            }
          });
        }
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
    assert.deepEqual(untyped, []);
    // The damage shows: some questions get typed errors.
    assert.ok(typed > 0);
  });
}
