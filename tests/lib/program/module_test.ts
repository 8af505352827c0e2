/**
 * Deferred module data (lib/program/module.ts): a symbol table or debug
 * info put off with `deferSymtab` / `deferDebugInfo` is built once, on the
 * first read, and counts as present before; an assignment replaces it. On
 * a real core, every module has its symbol table, and lookups use them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Module, moduleDwarf } from "../../../lib/program/module.ts";
import { Program } from "../../../lib/program/program.ts";
import { SymbolTable } from "../../../lib/program/symbol.ts";
import { USER } from "../elf/_fixtures.ts";

Deno.test("Module.deferSymtab: built on the first read, once; present before; replaced by assignment", () => {
  const m = new Module("m", "main", 0x1000n, 0x2000n, 0n);
  assert.equal(m.hasSymtab, false);
  let built = 0;
  m.deferSymtab(() => {
    built++;
    return new SymbolTable([], 0n);
  });
  assert.equal(m.hasSymtab, true);
  assert.equal(built, 0);
  const t = m.symtab;
  assert.ok(t instanceof SymbolTable);
  assert.equal(m.symtab, t);
  assert.equal(built, 1);
  // An assignment wins over a pending table.
  m.deferSymtab(() => {
    built++;
    return new SymbolTable([], 0n);
  });
  const other = new SymbolTable([], 0n);
  m.symtab = other;
  assert.equal(m.symtab, other);
  assert.equal(built, 1);
});

Deno.test("Module.deferDebugInfo: loaded on the first read of debugInfo or the DWARF, once", () => {
  const m = new Module("m", "main", 0x1000n, 0x2000n, 0n);
  assert.equal(m.hasDebugInfo, false);
  let loads = 0;
  m.deferDebugInfo(() => {
    loads++;
    m.data.set("dwarf", "the DWARF");
  });
  assert.equal(m.hasDebugInfo, true);
  assert.equal(loads, 0);
  assert.equal(moduleDwarf<string>(m), "the DWARF");
  assert.equal(m.debugInfo, null); // the loader set no source
  assert.equal(loads, 1);
});

Deno.test("a user-space core: its modules have their (deferred) symbol tables, which lookups use", () => {
  const p = new Program();
  p.setCoreDump(join(USER, "out/core/gcc-O0/types.gcore"));
  p.loadDebugInfo([join(USER, "out/bin/gcc-O0/types")], { default: true });
  const withSyms = p.modules.filter((m) => m.hasSymtab);
  assert.ok(withSyms.length >= 2, withSyms.map((m) => m.name).join());
  // A symbol of the program answers; it comes from the program's table.
  const s = p.symbol("main");
  const main = p.modules.find((m) => m.kind === "main")!;
  assert.ok(s.address >= main.start && s.address < main.end);
  assert.ok(main.symtab!.byName("main").length >= 1);
});
