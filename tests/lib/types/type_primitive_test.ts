/**
 * drgn's `Type.primitive` and `Type.byteorder` (as `primitive` and
 * `byteorder`), `Platform.registers`, and drgn's enums as values
 * (`TypeKind.STRUCT === "struct"` …): compared with drgn 0.0.22's
 * answers for the same type names in the user fixture `types` (gcc and
 * clang builds) and the kernel fixture's vmlinux
 * (tests/data/types/gen_primitive_goldens.py makes the JSON).
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { Architecture, hostPlatform, Platform } from "../../../lib/platform.ts";
import { SymbolBinding, SymbolKind } from "../../../lib/program/symbol.ts";
import { kernelDumpPath, USER } from "../../_programs.ts";
import { vmlinux } from "../elf/_fixtures.ts";
import { Language, PrimitiveType, type Type, TypeKind } from "../../../lib/types/type.ts";

type Golden = Record<string, { kind: string; primitive: string | null; byteorder: string | null }>;
const GOLDENS: Record<string, Golden> = JSON.parse(
  Deno.readTextFileSync(new URL("../../data/types/primitive_goldens.json", import.meta.url)),
);

function check(prog: Program, golden: Golden, where: string): number {
  let n = 0;
  for (const [name, want] of Object.entries(golden)) {
    if (want === null) continue; // drgn finds no such type in this program
    const t: Type = prog.type(name);
    assert.equal(t.kind, want.kind, `${where}: kind of ${name}`);
    assert.equal(t.primitive, want.primitive, `${where}: primitive of ${name}`);
    if (want.byteorder === null) {
      assert.throws(() => t.byteorder, TypeError, `${where}: byteorder of ${name}`);
    } else {
      assert.equal(t.byteorder, want.byteorder, `${where}: byteorder of ${name}`);
    }
    n++;
  }
  return n;
}

for (const variant of ["gcc-O0", "clang-O0"]) {
  Deno.test(`Type.primitive and byteorder on the ${variant} types fixture, as drgn`, () => {
    const prog = new Program(new Platform("X86_64", 8, true));
    prog.loadDebugInfo([`${USER}/out/bin/${variant}/types`], { default: false });
    assert.ok(check(prog, GOLDENS[variant]!, variant) >= 30);
  });
}

Deno.test("Type.primitive and byteorder on the kernel fixture's vmlinux, as drgn", async () => {
  const prog = new Program();
  prog.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
  prog.loadDebugInfo([await vmlinux()], { default: false });
  assert.ok(check(prog, GOLDENS["kernel"]!, "kernel") >= 30);
});

Deno.test("Type.primitive follows drgn's rules for made types", () => {
  const prog = new Program();
  // The name decides (a specifier list of the type's kind and sign), not the size.
  assert.equal(prog.intType("unsigned int", 4, false).primitive, "C_UNSIGNED_INT");
  assert.equal(prog.intType("unsigned int", 4, true).primitive, null);
  assert.equal(prog.intType("char", 1, false).primitive, "C_CHAR");
  assert.equal(prog.intType("u32", 4, false).primitive, null);
  assert.equal(prog.floatType("int", 4).primitive, null);
  assert.equal(prog.floatType("long double", 16).primitive, "C_LONG_DOUBLE");
  assert.equal(prog.boolType("_Bool", 1).primitive, "C_BOOL");
  assert.equal(prog.voidType().primitive, "C_VOID");
  const int = prog.intType("int", 4, true);
  assert.equal(prog.typedefType("size_t", int).primitive, "C_SIZE_T");
  assert.equal(prog.typedefType("ptrdiff_t", int).primitive, "C_PTRDIFF_T");
  assert.equal(prog.typedefType("ssize_t", int).primitive, null);
  assert.equal(prog.structType("x", 0, []).primitive, null);
  assert.equal(prog.pointerType(prog.voidType(), { byteorder: "big" }).byteorder, "big");
  assert.throws(
    () => prog.structType("x", 0, []).byteorder,
    /struct type does not have a byte order/,
  );
});

Deno.test("Platform.registers lists drgn 0.0.22's registers", () => {
  const names = (arch: ConstructorParameters<typeof Platform>[0]) =>
    new Platform(arch, 8, true).registers.map((r) => r.names.join("/"));
  assert.deepEqual(
    names("X86_64"),
    "rax rdx rcx rbx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags es cs ss ds fs gs fs.base gs.base"
      .split(" "),
  );
  const a64 = names("AARCH64");
  assert.equal(a64.length, 33);
  assert.deepEqual(a64.slice(28), ["x28", "x29/fp", "x30/lr", "sp", "pstate"]);
  assert.equal(names("PPC64").length, 41);
  assert.equal(names("S390X").length, 34);
  assert.deepEqual(names("I386"), []);
  assert.equal(
    new Platform("X86_64", 8, true).registers,
    new Platform("X86_64", 8, true).registers,
  );
});

Deno.test("drgn's enums as values: TypeKind, PrimitiveType, SymbolBinding, SymbolKind, Architecture, Language", () => {
  const enums = (GOLDENS as unknown as { enums: Record<string, string[] | Record<string, string>> })
    .enums;
  const mine: Record<string, Record<string, string>> = {
    TypeKind,
    PrimitiveType,
    SymbolBinding,
    SymbolKind,
    Architecture,
  };
  for (const [name, members] of Object.entries(mine)) {
    const want = [...(enums[name] as string[])].sort();
    // Wyvern reads C's _Complex, which drgn 0.0.22 has no kind for.
    const got = Object.keys(members).filter((k) => !(name === "TypeKind" && k === "COMPLEX"))
      .sort();
    assert.deepEqual(got, want, name);
  }
  // Their values are what the API returns.
  const prog = new Program(new Platform("X86_64", 8, true));
  prog.loadDebugInfo([`${USER}/out/bin/gcc-O0/types`], { default: false });
  assert.equal(prog.type("struct point").kind, TypeKind.STRUCT);
  assert.equal(prog.type("unsigned long").primitive, PrimitiveType.C_UNSIGNED_LONG);
  assert.equal(prog.symbol("main").binding, SymbolBinding.GLOBAL);
  assert.equal(prog.symbol("main").kind, SymbolKind.FUNC);
  assert.equal(prog.platform.arch, Architecture.X86_64);
  assert.equal(prog.language, Language.C);
  assert.deepEqual(Object.keys(Language), Object.keys(enums.Language as Record<string, string>));
  assert.equal(hostPlatform.arch, Deno.build.arch === "x86_64" ? "X86_64" : hostPlatform.arch);
  assert.equal(hostPlatform.wordSize, 8);
});
