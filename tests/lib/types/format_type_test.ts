/**
 * Golden tests for C type names and definitions.
 *
 * tests/data/types/format_type_goldens.json was written by
 * tests/data/types/gen_format_goldens.py: it builds
 * each case with drgn 0.0.22's own type constructors and records drgn's
 * `type_name()` and `str()` (or the error drgn raised). Its `gdb_cases`
 * (function types returning function pointers, which drgn 0.0.22 prints
 * wrongly) record gdb 13's `whatis`/`ptype` of the same C declarations
 * compiled with gcc. Nothing here is typed in by hand.
 */

import assert from "node:assert/strict";
import {
  formatDeclaration,
  formatQualifiers,
  formatTypeDefinition,
  formatTypeName,
} from "../../../lib/types/format_type.ts";
import { makeType, Qualifiers, type Type, TypeMember } from "../../../lib/types/type.ts";
import { type TypeNode, TypeNotation } from "./_type_notation.ts";

interface Answer {
  value?: string;
  error?: string;
  message?: string;
}

interface GoldenCase {
  name: string;
  type: TypeNode;
  type_name: Answer;
  str: Answer;
}

interface GdbCase {
  name: string;
  type: TypeNode;
  gdb: string;
  gdb_command: string;
  drgn_type_name: Answer;
  drgn_str: Answer;
}

const goldens = JSON.parse(
  await Deno.readTextFile(new URL("../../data/types/format_type_goldens.json", import.meta.url)),
) as {
  drgn_version: string;
  defs: Record<string, TypeNode>;
  cases: GoldenCase[];
  gdb_cases: GdbCase[];
};

Deno.test("format goldens were produced by drgn 0.0.22", () => {
  assert.equal(goldens.drgn_version, "0.0.22");
  assert.ok(goldens.cases.length >= 100, `only ${goldens.cases.length} cases`);
});

Deno.test("formatTypeName() matches drgn's type_name() for every golden case", () => {
  const notation = new TypeNotation(goldens.defs);
  const failures: string[] = [];
  for (const c of goldens.cases) {
    const t = notation.build(c.type);
    assert.ok(c.type_name.value !== undefined, `${c.name}: drgn raised for type_name()`);
    const got = formatTypeName(t);
    if (got !== c.type_name.value) {
      failures.push(
        `${c.name}: got ${JSON.stringify(got)}, drgn ${JSON.stringify(c.type_name.value)}`,
      );
    }
    assert.equal(t.typeName(), got, "Type.typeName() goes through the formatter");
  }
  assert.deepEqual(failures, []);
});

Deno.test("formatTypeDefinition() matches drgn's str() for every golden case", () => {
  const notation = new TypeNotation(goldens.defs);
  const failures: string[] = [];
  let deviations = 0;
  for (const c of goldens.cases) {
    const t = notation.build(c.type);
    const got = formatTypeDefinition(t);
    assert.equal(t.toString(), got, "Type.toString() goes through the formatter");
    if (c.str.value !== undefined) {
      if (got !== c.str.value) {
        failures.push(
          `${c.name}:\n got ${JSON.stringify(got)}\ndrgn ${JSON.stringify(c.str.value)}`,
        );
      }
      continue;
    }
    // The one deliberate difference: drgn 0.0.22 raises for str() of a
    // function type; Wyvern prints the type name.
    assert.equal(c.str.error, "ValueError", c.name);
    assert.equal(c.str.message, "function type cannot be formatted", c.name);
    assert.equal(t.kind, "function", c.name);
    assert.equal(got, c.type_name.value, c.name);
    deviations++;
  }
  assert.deepEqual(failures, []);
  assert.ok(deviations > 0);
});

Deno.test("function types returning function pointers print as C (gdb), not as drgn 0.0.22", () => {
  const notation = new TypeNotation(goldens.defs);
  assert.ok(goldens.gdb_cases.length >= 5);
  for (const c of goldens.gdb_cases) {
    const t = notation.build(c.type);
    if (c.gdb_command.startsWith("ptype")) {
      assert.equal(formatTypeDefinition(t), c.gdb, c.name);
      assert.notEqual(c.drgn_str.value, c.gdb, `${c.name}: drgn agrees with gdb now`);
    } else {
      assert.equal(formatTypeName(t), c.gdb, c.name);
      assert.notEqual(c.drgn_type_name.value, c.gdb, `${c.name}: drgn agrees with gdb now`);
    }
  }
});

Deno.test("formatDeclaration() names members the way drgn's struct definitions do", () => {
  // Each member line of drgn's `str(struct members)` is the member's declaration.
  const notation = new TypeNotation(goldens.defs);
  const c = goldens.cases.find((x) => x.name === "struct members")!;
  const t = notation.build(c.type);
  const lines = c.str.value!.split("\n").slice(1, -1);
  const members = t.members!;
  assert.equal(lines.length, members.length);
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    assert.equal(
      formatDeclaration(m.type, m.name, { indent: 1, defineAnonymous: true }) + ";",
      lines[i],
    );
  }
  assert.equal(formatDeclaration(members[0]!.type, null), "const char *");
});

Deno.test("formatQualifiers() spells masks in drgn's order", () => {
  // Order as in drgn's `const volatile restrict _Atomic int` golden.
  const all = goldens.cases.find((x) => x.name === "all qualifiers")!.type_name.value!;
  assert.equal(formatQualifiers(15) + " int", all);
  assert.equal(formatQualifiers(0), "");
  assert.equal(formatQualifiers(Qualifiers.CONST | Qualifiers.VOLATILE), "const volatile");
});

Deno.test("signed enums print negative values however the bigint was stored", () => {
  const int = makeType.int("int", 4, true);
  const e = makeType.enum("s", int, [
    { name: "NEG_ONE", value: 0xffffffffffffffffn },
    { name: "ZERO", value: 0n },
  ]);
  // Same text as drgn's golden `enum signed` (NEG_ONE = -1).
  assert.equal(formatTypeDefinition(e), "enum s {\n\tNEG_ONE = -1,\n\tZERO = 0,\n}");
  const u = makeType.enum("u", makeType.int("unsigned long", 8, false), [
    { name: "MAX", value: -1n },
  ]);
  assert.equal(formatTypeDefinition(u), "enum u {\n\tMAX = 18446744073709551615,\n}");
});

Deno.test("an incomplete anonymous member prints as <anonymous> (drgn 0.0.22 raises)", () => {
  // drgn: "ValueError: cannot get definition of incomplete compound type".
  const int = makeType.int("int", 4, true);
  const s = makeType.struct("s", 8, [
    new TypeMember(int, "a", 0),
    new TypeMember(makeType.struct(null, null, null, "union"), "u", 32),
  ]);
  assert.equal(formatTypeDefinition(s), "struct s {\n\tint a;\n\tunion <anonymous> u;\n}");
});

Deno.test("type names are cached per qualified variant", () => {
  const int = makeType.int("int", 4, true);
  const p = makeType.pointer(int);
  assert.equal(formatTypeName(p), "int *");
  assert.equal(formatTypeName(p), "int *");
  assert.equal(formatTypeName(p.qualified(Qualifiers.CONST)), "int * const");
  assert.equal(formatTypeName(p.qualified(0)), "int *");
});

Deno.test("cyclic type graphs give a RangeError, not a hang", () => {
  // A corrupt DWARF pointer type that points to itself.
  const self: Type = makeType.pointer(() => self);
  assert.throws(() => formatTypeName(self), RangeError);
  const td: Type = makeType.typedef("loop_t", () => td);
  assert.throws(() => formatTypeDefinition(td), RangeError);
  // An anonymous struct that contains itself as an anonymous member.
  const anon: Type = makeType.struct(null, 4, () => [new TypeMember(() => anon, null, 0)]);
  assert.throws(() => formatTypeDefinition(makeType.typedef("a_t", anon)), RangeError);
});
