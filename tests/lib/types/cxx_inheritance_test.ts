/**
 * C++ base classes (drgn 0.0.22 reads none: its objects of a derived class
 * show only the class's own members, osandov/drgn#84): the program of
 * tests/data/cxx/inheritance.cpp, built with g++ and clang++, run and read
 * live. Members of base classes are members of the derived object, at the
 * offsets gdb gives; objects print their base subobjects first, as gdb
 * does (`<Base> = {…}`); type definitions show the base clause.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";
import { formatTypeDefinition } from "../../../lib/types/format_type.ts";

const SOURCE = new URL("../../data/cxx/inheritance.cpp", import.meta.url).pathname;
const COMPILERS = ["g++", "clang++"] as const;

function run(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** Builds the program, starts it, and opens it once it is ready. */
async function withProgram(
  compiler: string,
  body: (prog: Program, bin: string) => void,
): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-cxx-" });
  const bin = join(dir, "inheritance");
  run(compiler, ["-g", "-O0", "-o", bin, SOURCE]);
  const child = new Deno.Command(bin, { stdout: "piped", stdin: "null" }).spawn();
  try {
    const reader = child.stdout.getReader();
    let seen = "";
    while (!seen.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the program exited before it was ready");
      seen += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const prog = new Program();
    prog.setPid(child.pid);
    prog.loadDebugInfo([bin], { default: false });
    body(prog, bin);
  } finally {
    child.kill();
    await child.status;
    await child.stdout.cancel().catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
}

/** gdb's offset of `member` in `type`, in bytes. */
function gdbOffsets(bin: string, queries: [string, string][]): number[] {
  const out = run("gdb", [
    "-batch",
    "-nx",
    ...queries.flatMap(([t, m]) => ["-ex", `print (long)&((${t} *)0)->${m}`]),
    bin,
  ]);
  return [...out.matchAll(/^\$\d+ = (\d+)$/gm)].map((m) => Number(m[1]));
}

const num = (o: TypedObject) => Number(o.value_());

for (const compiler of COMPILERS) {
  Deno.test(`C++ (${compiler}): base classes' members are the object's, at gdb's offsets`, async () => {
    await withProgram(compiler, (prog, bin) => {
      const d = prog.object("g_derived");
      assert.deepEqual([d.x, d.y, d.s, d.z].map(num), [1, 2, 3, 4]);
      const g = prog.object("g_grand");
      assert.deepEqual([g.x, g.y, g.s, g.z].map(num), [10, 20, 30, 40]);
      assert.equal(num(g.c), 99);
      // Through a pointer too.
      assert.equal(num(g.addressOf_().s), 30);
      // A derived member hides the base's of the same name.
      assert.equal(num(prog.object("g_hide").x), 6);
      assert.equal(num(prog.object("g_hide").y), 7);
      assert.equal(num(prog.object("g_box").x), 15);
      assert.equal(num(prog.object("g_box").t), 16);
      assert.equal(num(prog.object("g_with_empty").e), 8);
      assert.deepEqual(
        JSON.parse(JSON.stringify(g.value_(), (_k, v) => typeof v === "bigint" ? Number(v) : v)),
        { x: 10, y: 20, s: 30, z: 40, c: 99 },
      );

      const queries: [string, string][] = [
        ["Grand", "s"],
        ["Grand", "c"],
        ["Grand", "y"],
        ["Derived", "z"],
        ["Hide", "y"],
        ["WithEmpty", "e"],
        ["Prot", "q"],
        ["Impl", "w"],
      ];
      const ours = queries.map(([t, m]) => {
        const type = prog.type(`${t === "Impl" ? "class" : "struct"} ${t}`);
        return type.member(m).bitOffset / 8;
      });
      assert.deepEqual(ours, gdbOffsets(bin, queries));
    });
  });

  Deno.test(`C++ (${compiler}): objects and definitions show their base classes`, async () => {
    await withProgram(compiler, (prog) => {
      assert.equal(
        String(prog.object("g_derived")),
        [
          "(struct Derived){",
          "\t<Base> = (struct Base){",
          "\t\t.x = (int)1,",
          "\t\t.y = (long)2,",
          "\t},",
          "\t<Other> = (struct Other){",
          "\t\t.s = (short)3,",
          "\t},",
          "\t.z = (int)4,",
          "}",
        ].join("\n"),
      );
      assert.match(
        String(prog.object("g_hide")),
        /<Base> = \(struct Base\)\{\n\t\t\.x = \(int\)5,/,
      );
      assert.equal(
        formatTypeDefinition(prog.type("struct Derived")),
        "struct Derived : public Base, public Other {\n\tint z;\n}",
      );
      assert.match(formatTypeDefinition(prog.type("class Priv")), /^class Priv : private Base \{/);
      assert.match(
        formatTypeDefinition(prog.type("struct Prot")),
        /^struct Prot : protected Other \{/,
      );
      assert.match(
        formatTypeDefinition(prog.type("struct VD")),
        /^struct VD : public virtual VA \{/,
      );

      const grand = prog.type("struct Grand");
      assert.deepEqual(grand.bases.map((b) => [b.type.tag, b.bitOffset, b.isVirtual]), [
        ["Derived", 0, false],
      ]);
      // `members` are the class's own; the C types of C units have no bases.
      assert.deepEqual(grand.members!.map((m) => m.name), ["c"]);
      // A virtual base's place depends on the object (its vtable says):
      // no fixed offset, so no static member; objects in memory find it.
      const vd = prog.type("struct VD");
      assert.deepEqual(vd.bases.map((b) => [b.type.tag, b.bitOffset, b.isVirtual]), [
        ["VA", null, true],
      ]);
      assert.throws(() => vd.member("a"), /no member 'a'/);
      const gvd = prog.object("g_vd");
      assert.deepEqual([gvd.a, gvd.d, gvd.member_("a"), gvd.addressOf_().a].map(num), [
        13,
        14,
        13,
        13,
      ]);
      assert.match(
        String(gvd),
        /^\(struct VD\)\{\n\t<VA> = \(struct VA\)\{\n\t\t\.a = \(int\)13,\n\t\},/,
      );
      const gve = prog.object("g_ve");
      assert.deepEqual([gve.a, gve.d, gve.e].map(num), [17, 18, 19]);
      const value = gvd.value_() as Record<string, unknown>;
      assert.deepEqual([value.a, value.d], [13, 14]);
      // A value (a copy, not in memory) has no vtable to follow.
      assert.throws(() => gvd.read_().a, /virtual base class 'struct VA' of 'struct VD'/);
    });
  });
}
