/**
 * C++ qualified names (`app::inner::counter`, `Counter::count`), as drgn
 * 0.0.22 finds them by name: tests/data/cxx/namespaces.cpp built with g++
 * and clang++; each name's address and type as gdb gives them on the same
 * binary, whether the definition is inside its namespace or outside it
 * (`int app::outside = 7;`, a DW_AT_specification); a bare name is the
 * global of that name, not a namespace member's. Type names too, with
 * template arguments in either compiler's spelling (which drgn cannot
 * parse).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { templateKey } from "../../../lib/dwarf/dwarf_info.ts";

const SOURCE = new URL("../../data/cxx/namespaces.cpp", import.meta.url).pathname;

function run(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

const VARIABLES = [
  "app::g_config",
  "app::counter",
  "app::inner::counter",
  "app::inner::g_deep",
  "app::outside",
  "Counter::count",
  "(anonymous namespace)::hidden",
  "counter",
];
const FUNCTIONS = ["app::defined_outside", "app::inner::helper"];

for (const compiler of ["g++", "clang++"]) {
  Deno.test(`C++ (${compiler}): qualified names find what gdb finds`, () => {
    const dir = Deno.makeTempDirSync({ prefix: "wyvern-cxx-" });
    try {
      const bin = join(dir, "namespaces");
      run(compiler, ["-g", "-O0", "-o", bin, SOURCE]);
      const gdb = run("gdb", [
        "-batch",
        "-nx",
        ...VARIABLES.map((v) => ["-ex", `print &${v.startsWith("(") ? `'${v}'` : v}`]).flat(),
        ...FUNCTIONS.flatMap((f) => ["-ex", `print ${f}`]),
        bin,
      ]);
      const want = [...gdb.matchAll(/^\$\d+ = .*(0x[0-9a-f]+) </gm)].map((m) => BigInt(m[1]!));
      assert.equal(want.length, VARIABLES.length + FUNCTIONS.length, gdb);

      const prog = new Program();
      prog.loadDebugInfo([bin], { default: false });
      const got = [...VARIABLES, ...FUNCTIONS].map((n) => prog.object(n).address_);
      assert.deepEqual(got, want);
      assert.equal(prog.variable("app::g_config").type_.tag, "Config");
      assert.equal(String(prog.function("app::inner::helper").type_.type), "int");
      // Only the whole scope matches.
      for (const n of ["inner::counter", "app::nothing", "other::counter"]) {
        assert.throws(() => prog.object(n), /could not find/, n);
      }
      // Type names too (drgn 0.0.22 cannot parse them): the type gdb has there.
      const sizes = run("gdb", [
        "-batch",
        "-nx",
        "-ex",
        "print sizeof(app::Config)",
        "-ex",
        "print sizeof(app::inner::Deep)",
        bin,
      ]);
      assert.deepEqual(
        [prog.type("struct app::Config").size, prog.type("struct app::inner::Deep *").type.size],
        [...sizes.matchAll(/^\$\d+ = (\d+)$/gm)].map((m) => Number(m[1])),
      );
      assert.equal(prog.type("struct app::Config"), prog.variable("app::g_config").type_);
      assert.throws(() => prog.type("struct inner::Deep"), /could not find/);
      // Templates, whatever the spelling of their arguments.
      const templates: [string, string, string][] = [
        ["struct app::Box<short>", "app::box_short", "app::Box<short>"],
        ["struct app::Box<short int>", "app::box_short", "app::Box<short>"],
        ["struct app::Box<unsigned long>", "app::box_ulong", "app::Box<unsigned long>"],
        ["struct app::Box<long unsigned int>", "app::box_ulong", "app::Box<unsigned long>"],
        ["struct app::Box<app::Config>", "app::box_config", "app::Box<app::Config>"],
        ["struct Pair<int, app::Box<char>>", "pair_box", "Pair<int, app::Box<char> >"],
        ["struct Arr<5>", "arr5", "Arr<5>"],
      ];
      const gdbSizes = run("gdb", [
        "-batch",
        "-nx",
        ...templates.flatMap(([, , t]) => ["-ex", `print sizeof(${t})`]),
        bin,
      ]);
      assert.deepEqual(
        templates.map(([t]) => prog.type(t).size),
        [...gdbSizes.matchAll(/^\$\d+ = (\d+)$/gm)].map((m) => Number(m[1])),
      );
      for (const [t, v] of templates) assert.equal(prog.type(t), prog.variable(v).type_, t);
      // A class's name is a type name in C++ (no `struct` needed).
      for (const [t] of templates) {
        assert.equal(prog.type(t.replace(/^struct /, "")), prog.type(t), t);
      }
      assert.equal(prog.type("Counter *").type, prog.type("struct Counter"));
      assert.throws(() => prog.type("struct app::Box<int>"), /could not find/);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("templateKey() spells template arguments one way", () => {
  const same = (a: string, b: string) =>
    assert.equal(templateKey(a), templateKey(b), `${a} ~ ${b}`);
  same("Box<short int>", "Box<short>");
  same("Box<long unsigned int>", "Box< unsigned long >");
  same("Pair<int, app::Box<char> >", "Pair<int,app::Box<char>>");
  same("Box<char *>", "Box<char*>");
  same("Box<unsigned>", "Box<unsigned int>");
  assert.notEqual(templateKey("Box<short>"), templateKey("Box<int>"));
  assert.notEqual(templateKey("Box<long>"), templateKey("Box<unsigned long>"));
  assert.equal(templateKey("Arr<5>"), "Arr<5>");
});
