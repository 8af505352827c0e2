/**
 * Tests of the C type-name parser against drgn 0.0.22 and gdb 13.
 *
 * tests/data/types/parser_goldens.json was written by
 * tests/data/types/gen_parser_goldens.py from the
 * `types` fixture program of every variant: the base types (readelf), the
 * named types (as drgn builds them), drgn's answer to `prog.type(q)` for
 * ~330 queries, and gdb's `whatis q` for the function types drgn 0.0.22
 * cannot parse. The lookup below serves exactly those types, so a query
 * resolves against the same type graph drgn saw. The type_name_queries of
 * the fixture reference JSON are checked too.
 */

import assert from "node:assert/strict";
import { isLookupError, LookupError } from "../../../lib/errors.ts";
import { Platform } from "../../../lib/platform.ts";
import "../../../lib/types/format_type.ts";
import {
  canonicalBaseTypeName,
  parseTypeName,
  type TypeLookup,
  type TypeLookupKind,
  TypeNameSyntaxError,
} from "../../../lib/types/type_parser.ts";
import { makeType, Qualifiers, sizeOf, type Type } from "../../../lib/types/type.ts";
import { type TypeNode, TypeNotation } from "./_type_notation.ts";

interface Answer<T> {
  value?: T;
  error?: string;
  message?: string;
}

interface BaseType {
  name: string;
  size: number;
  encoding: number;
}

interface Variant {
  binary: string;
  base: BaseType[];
  named: Record<string, TypeNode>;
  defs: Record<string, TypeNode>;
  answers: Record<string, Answer<{ type_name: string; str: Answer<string> }>>;
  gdb: Record<string, Answer<string>>;
}

interface DefaultAnswer {
  type_name: string;
  str: string;
  kind: string;
  sizeof: number | null;
  is_signed: boolean | null;
}

const goldens = JSON.parse(
  await Deno.readTextFile(new URL("../../data/types/parser_goldens.json", import.meta.url)),
) as {
  drgn_version: string;
  gdb_version: string;
  queries: string[];
  variants: Record<string, Variant>;
  defaults: Record<string, Record<string, Answer<DefaultAnswer>>>;
  filename_errors: Record<string, Answer<string>>;
  base_names: {
    kind: "int" | "bool" | "float";
    name: string;
    signed: boolean;
    drgn_name: string;
  }[];
};

const FIXTURES = Deno.env.get("WYVERN_USER_FIXTURES") ?? "/work/shared/fixtures/user";

const DW_ATE = { boolean: 2, complex_float: 3, float: 4, signed: 5, signed_char: 6 } as const;

/** A base type as a DWARF reader following drgn builds it: canonical name, kind by encoding. */
function baseType(b: BaseType): Type {
  switch (b.encoding) {
    case DW_ATE.boolean:
      return makeType.bool(canonicalBaseTypeName("bool", b.name), b.size);
    case DW_ATE.float:
      return makeType.float(canonicalBaseTypeName("float", b.name), b.size);
    case DW_ATE.complex_float: {
      const half = b.size / 2;
      const realName = half === 4 ? "float" : half === 8 ? "double" : "long double";
      return makeType.complex(b.name, b.size, makeType.float(realName, half));
    }
    default: {
      const signed = b.encoding === DW_ATE.signed || b.encoding === DW_ATE.signed_char;
      return makeType.int(canonicalBaseTypeName("int", b.name, signed), b.size, signed);
    }
  }
}

interface GoldenProgram {
  lookup: TypeLookup;
  /** Base types by DWARF name. */
  base: Map<string, Type>;
  /** Every lookup made, for the tests that check which spellings were tried. */
  asked: string[];
}

function goldenProgram(v: Variant): GoldenProgram {
  const notation = new TypeNotation(v.defs);
  const base = new Map<string, Type>();
  for (const b of v.base) base.set(b.name, baseType(b));
  const named = new Map<string, Type>();
  const asked: string[] = [];
  const lookup = (kind: TypeLookupKind, name: string): Type | null => {
    asked.push(`${kind} ${name}`);
    if (kind === "base") return base.get(name) ?? null;
    const key = kind === "typedef" ? name : `${kind} ${name}`;
    const node = v.named[key];
    if (node === undefined) return null;
    let t = named.get(key);
    if (t === undefined) {
      t = notation.build(node);
      named.set(key, t);
    }
    return t;
  };
  return { lookup, base, asked };
}

type Outcome = { type_name: string; str: string; type: Type } | { error: string; message: string };

/** An outcome without the type object, for messages. */
function show(o: Outcome): string {
  return JSON.stringify("type" in o ? { type_name: o.type_name, str: o.str } : o);
}

function run(query: string, lookup: TypeLookup, options = {}): Outcome {
  try {
    const type = parseTypeName(query, lookup, options);
    return { type_name: type.typeName(), str: type.toString(), type };
  } catch (e) {
    if (e instanceof TypeNameSyntaxError) return { error: "SyntaxError", message: e.message };
    if (isLookupError(e)) return { error: "LookupError", message: e.message };
    if (e instanceof RangeError) return { error: "ValueError", message: e.message };
    throw e;
  }
}

/**
 * Where Wyvern answers differently from drgn 0.0.22 on purpose, with what
 * it answers instead.
 */
const DRGN_DEVIATIONS: Record<string, { error: string; message: string }> = {
  // C has no octal digit 9; drgn reads `[09]` as 9.
  "int [09]": { error: "SyntaxError", message: "invalid number" },
  // `,` is a C token (parameter lists); drgn's lexer has no comma.
  "int, int": { error: "SyntaxError", message: "expected abstract declarator" },
};

/** Parameters of array and function type are adjusted to pointers (C11 6.7.6.3), unlike gdb. */
const ADJUSTED: Record<string, string> = {
  "int (*)(int [])": "int (*)(int *)",
  "int (*)(int [4])": "int (*)(int *)",
  "int (*)(void (int))": "int (*)(void (*)(int))",
};

/** Queries gdb accepts but C forbids (functions returning arrays or functions, arrays of functions). */
const NOT_C: Record<string, string> = {
  "int ()[3]": "function cannot return array type",
  "int ()()": "function cannot return function type",
  "int [3](int)": "declared as array of functions",
  "int (*)(int)(int)": "function cannot return function type",
  "int (*[2])(int)[3]": "function cannot return array type",
};

/** Queries with parameter names (gdb cannot parse them): the name is kept and printed. */
const NAMED_PARAMETERS: Record<string, (string | null)[]> = {
  "int (*)(int a, char *b)": ["a", "b"],
  "int (*)(int (*cb)(int), void *)": ["cb", null],
  "void (int sig, void *ctx)": ["sig", "ctx"],
};

Deno.test("parser goldens were produced by drgn 0.0.22 and gdb", () => {
  assert.equal(goldens.drgn_version, "0.0.22");
  assert.match(goldens.gdb_version, /GNU gdb/);
  assert.deepEqual(Object.keys(goldens.variants).sort(), [
    "clang-O0",
    "gcc-O0",
    "gcc-dwarf4-O2",
    "gcc-gz",
    "gcc-split",
  ]);
});

for (const [variant, v] of Object.entries(goldens.variants)) {
  Deno.test(`parseTypeName() agrees with drgn 0.0.22 on every query it answers (${variant})`, () => {
    const { lookup } = goldenProgram(v);
    const failures: string[] = [];
    let compared = 0;
    for (const q of goldens.queries) {
      const drgn = v.answers[q]!;
      if (drgn.message === "function pointer types are not implemented") continue;
      if (q.includes("__int128") || q.includes("omplex")) continue; // drgn cannot; see below
      const got = run(q, lookup);
      let want: unknown;
      if (q in DRGN_DEVIATIONS) {
        want = DRGN_DEVIATIONS[q];
      } else if (drgn.value !== undefined) {
        want = { type_name: drgn.value.type_name, str: drgn.value.str.value };
      } else {
        want = { error: drgn.error, message: drgn.message };
      }
      const gotPlain = "error" in got ? got : { type_name: got.type_name, str: got.str };
      compared++;
      if (JSON.stringify(gotPlain) !== JSON.stringify(want)) {
        failures.push(
          `${JSON.stringify(q)}: got ${JSON.stringify(gotPlain)}, want ${JSON.stringify(want)}`,
        );
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(compared >= 220, `only ${compared} queries compared`);
  });

  Deno.test(`parseTypeName() reads function types as gdb does (${variant})`, () => {
    const { lookup } = goldenProgram(v);
    let compared = 0;
    for (const q of goldens.queries) {
      if (v.answers[q]!.message !== "function pointer types are not implemented") continue;
      const got = run(q, lookup);
      const gdb = v.gdb[q]!;
      if (q in NOT_C) {
        assert.deepEqual(got, { error: "SyntaxError", message: NOT_C[q] }, q);
      } else if (q in NAMED_PARAMETERS) {
        assert.ok("type" in got, `${q}: ${show(got)}`);
        assert.equal(got.type_name, q);
        const fn = got.type.kind === "pointer" ? got.type.type : got.type;
        assert.deepEqual(fn.parameters.map((p) => p.name), NAMED_PARAMETERS[q]);
      } else if (q in ADJUSTED) {
        assert.ok("type" in got, q);
        assert.equal(got.type_name, v.gdb[ADJUSTED[q]!]!.value, q);
      } else if (gdb.value !== undefined) {
        assert.ok("type" in got, `${q}: ${show(got)}`);
        assert.equal(got.type_name, gdb.value, q);
        assert.equal(got.str, gdb.value, q);
      } else {
        assert.equal((got as { error?: string }).error, "SyntaxError", `${q}: gdb: ${gdb.error}`);
      }
      compared++;
    }
    assert.ok(compared >= 50, `only ${compared} function queries`);
  });

  Deno.test(`parseTypeName() finds __int128 and complex types by any spelling (${variant})`, () => {
    const { lookup, base } = goldenProgram(v);
    // The DWARF base type with this encoding and size (names differ: gcc
    // `__int128 unsigned`, clang `unsigned __int128`).
    const dwarf = (encoding: number, size: number): Type | undefined => {
      const b = v.base.find((x) => x.encoding === encoding && x.size === size);
      return b === undefined ? undefined : base.get(b.name);
    };
    const int128 = dwarf(DW_ATE.signed, 16)!;
    const uint128 = dwarf(7, /* DW_ATE_unsigned */ 16)!;
    assert.ok(int128 !== undefined && uint128 !== undefined);
    for (const q of ["__int128", "signed __int128", "__int128 signed"]) {
      assert.equal(parseTypeName(q, lookup), int128, q);
    }
    for (const q of ["unsigned __int128", "__int128 unsigned"]) {
      assert.equal(parseTypeName(q, lookup), uint128, q);
    }
    assert.equal(parseTypeName("__int128 *", lookup).type, int128);
    const arr = parseTypeName("unsigned __int128 [2]", lookup);
    assert.equal(arr.type, uint128);
    assert.equal(sizeOf(arr), 32);

    for (
      const [q, size, real] of [
        ["complex double", 16, "double"],
        ["double complex", 16, "double"],
        ["double _Complex", 16, "double"],
        ["_Complex double", 16, "double"],
        ["complex float", 8, "float"],
        ["float _Complex", 8, "float"],
        ["_Complex float", 8, "float"],
      ] as const
    ) {
      const t = parseTypeName(q, lookup);
      assert.equal(t.kind, "complex", q);
      assert.equal(t.size, size, q);
      assert.equal(t.type.name, real, q);
      const fromDwarf = dwarf(DW_ATE.complex_float, size);
      // clang names both complex types `complex`, so only one of them is
      // reachable by name; the other gets a default type of the same shape.
      if (fromDwarf !== undefined && fromDwarf.core.size === size) assert.equal(t, fromDwarf, q);
    }
    assert.equal(parseTypeName("complex double *", lookup).type.kind, "complex");
  });
}

Deno.test("parseTypeName() answers the fixture references' type_name_queries", async () => {
  const counts: string[] = [];
  for (const [variant, v] of Object.entries(goldens.variants)) {
    const ref = JSON.parse(
      await Deno.readTextFile(`${FIXTURES}/reference/${variant}/types.gcore.json`),
    ) as {
      type_name_queries: Record<
        string,
        { type_name?: string; str?: string; error?: string; message?: string; sizeof?: unknown }
      >;
    };
    const { lookup } = goldenProgram(v);
    let same = 0;
    let better = 0;
    for (const [q, want] of Object.entries(ref.type_name_queries)) {
      const got = run(q, lookup);
      if (want.message === "function pointer types are not implemented") {
        assert.ok("type" in got, q);
        assert.equal(got.type_name, v.gdb[q]!.value, q);
        better++;
      } else if (want.error !== undefined) {
        assert.deepEqual(got, { error: want.error, message: want.message }, q);
        same++;
      } else {
        assert.ok("type" in got, `${q}: ${show(got)}`);
        assert.equal(got.type_name, want.type_name, q);
        assert.equal(got.str, want.str, q);
        if (typeof want.sizeof === "number") assert.equal(sizeOf(got.type), want.sizeof, q);
        same++;
      }
    }
    counts.push(`${variant}: ${same} as drgn, ${better} better`);
    assert.ok(same + better >= 45, variant);
  }
});

Deno.test("parseTypeName() without debug info gives drgn's default base types", () => {
  const none: TypeLookup = () => null;
  const platforms: Record<string, Platform> = {
    "x86-64": new Platform("X86_64", 8, true),
    i386: new Platform("I386", 4, true),
  };
  for (const [name, platform] of Object.entries(platforms)) {
    for (const [q, want] of Object.entries(goldens.defaults[name]!)) {
      const got = run(q, none, { platform });
      if (want.value === undefined) {
        assert.deepEqual(got, { error: want.error, message: want.message }, `${name} ${q}`);
        continue;
      }
      assert.ok("type" in got, `${name} ${q}`);
      const w = want.value;
      assert.equal(got.type_name, w.type_name, `${name} ${q}`);
      assert.equal(got.str, w.str, `${name} ${q}`);
      assert.equal(got.type.kind, w.kind, `${name} ${q}`);
      if (w.sizeof !== null) assert.equal(sizeOf(got.type), w.sizeof, `${name} ${q}`);
      if (w.is_signed !== null) assert.equal(got.type.isSigned, w.is_signed, `${name} ${q}`);
    }
  }
  // Defaults are shared: the same object each time, so derived types are cached.
  assert.equal(parseTypeName("int", none), parseTypeName("int", none));
  assert.equal(parseTypeName("int *", none), parseTypeName("int *", none));
});

Deno.test("a lookup restricted to a file names it in the error, as drgn does", () => {
  const { lookup } = goldenProgram(goldens.variants["gcc-O0"]!);
  for (const [q, want] of Object.entries(goldens.filename_errors)) {
    const got = run(q, lookup, { filename: "types.c" });
    if (want.value !== undefined) {
      assert.ok("type" in got);
      assert.equal(got.type_name, want.value);
    } else {
      assert.deepEqual(got, { error: want.error, message: want.message }, q);
    }
  }
});

Deno.test("canonicalBaseTypeName() names base types as drgn's type constructors do", () => {
  for (const b of goldens.base_names) {
    assert.equal(canonicalBaseTypeName(b.kind, b.name, b.signed), b.drgn_name, JSON.stringify(b));
  }
});

Deno.test("canonicalBaseTypeName() gives drgn's names for every fixture base type", async () => {
  for (const [variant, v] of Object.entries(goldens.variants)) {
    const ref = JSON.parse(
      await Deno.readTextFile(`${FIXTURES}/reference/${variant}/types.gcore.json`),
    ) as {
      types: Record<string, { name?: string; kind?: string; error?: string }>;
      variables: Record<string, { type?: string }>;
    };
    let checked = 0;
    for (const b of v.base) {
      const t = baseType(b);
      const entry = ref.types[b.name];
      if (entry?.name !== undefined && entry.kind !== "TYPEDEF") {
        assert.equal(t.name, entry.name, `${variant} ${b.name}`);
        checked++;
      }
    }
    // drgn cannot look up the 128-bit types by name; their variables show the names it gives.
    const int128 = v.base.find((b) => b.encoding === DW_ATE.signed && b.size === 16)!;
    const uint128 = v.base.find((b) => b.encoding === 7 && b.size === 16)!;
    assert.equal(baseType(int128).name, ref.variables.g_int128!.type, variant);
    assert.equal(baseType(uint128).name, ref.variables.g_uint128!.type, variant);
    assert.ok(checked >= 14, `${variant}: ${checked}`);
  }
});

Deno.test("base types are found under the compiler's spelling", () => {
  const gcc = goldenProgram(goldens.variants["gcc-O0"]!);
  const t = parseTypeName("unsigned long", gcc.lookup);
  assert.equal(t, gcc.base.get("long unsigned int"));
  assert.equal(t.name, "unsigned long");
  // The canonical spelling is tried first, then gcc's.
  assert.deepEqual(gcc.asked, ["base unsigned long", "base long unsigned int"]);
  const clang = goldenProgram(goldens.variants["clang-O0"]!);
  assert.equal(parseTypeName("long unsigned int", clang.lookup), clang.base.get("unsigned long"));
  assert.deepEqual(clang.asked, ["base unsigned long"]);
  // A base type that is no C keyword (clang's array index type) is found by name.
  assert.equal(
    parseTypeName("__ARRAY_SIZE_TYPE__", clang.lookup),
    clang.base.get("__ARRAY_SIZE_TYPE__"),
  );
  // `char` never stands in for `signed char`, nor a signed type for an unsigned one.
  const only: TypeLookup = (kind, name) =>
    kind === "base" && name === "char" ? makeType.int("char", 1, false) : null;
  assert.equal(parseTypeName("signed char", only).name, "signed char");
  const wrongSign: TypeLookup = (kind, name) =>
    kind === "base" && name === "unsigned int" ? makeType.int("unsigned int", 4, true) : null;
  assert.equal(parseTypeName("unsigned int", wrongSign).isSigned, false);
});

Deno.test("derived types are cached per target", () => {
  const { lookup } = goldenProgram(goldens.variants["gcc-O0"]!);
  const p1 = parseTypeName("struct point *", lookup);
  const p2 = parseTypeName("struct point*", lookup);
  assert.equal(p1, p2);
  const pc = parseTypeName("struct point * const", lookup);
  assert.equal(pc.core, p1.core);
  assert.equal(pc.qualifiers, Qualifiers.CONST);
  assert.notEqual(parseTypeName("const struct point *", lookup), p1);
  assert.equal(parseTypeName("int [4]", lookup), parseTypeName("int[4]", lookup));
  assert.notEqual(parseTypeName("int [4]", lookup), parseTypeName("int [5]", lookup));
  assert.equal(parseTypeName("int *", lookup, { wordSize: 4 }).size, 4);
  assert.notEqual(parseTypeName("int *", lookup, { wordSize: 4 }), parseTypeName("int *", lookup));
});

Deno.test("parseTypeName() takes the lookup in an options object, and a pointer hook", () => {
  const { lookup } = goldenProgram(goldens.variants["gcc-O0"]!);
  const a = parseTypeName("struct point * const *", { lookup });
  assert.equal(a, parseTypeName("struct point * const *", lookup));
  const made: string[] = [];
  const pointerType = (target: Type, q = 0) => {
    made.push(`${target.typeName()}/${q}`);
    return makeType.pointer(target, 4).qualified(q);
  };
  const b = parseTypeName("struct point * const *", { lookup, pointerType });
  assert.deepEqual(made, ["struct point/1", "struct point * const/0"]);
  assert.equal(b.typeName(), "struct point * const *");
  assert.equal(b.size, 4);
  assert.equal(b.type.qualifiers, Qualifiers.CONST);
});

Deno.test("errors carry what was parsed and where", () => {
  const { lookup } = goldenProgram(goldens.variants["gcc-O0"]!);
  const caught = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    assert.fail("no error");
  };
  const err = caught(() => parseTypeName("int [4", lookup));
  assert.ok(err instanceof TypeNameSyntaxError);
  assert.ok(err instanceof SyntaxError);
  assert.equal(err.name, "SyntaxError");
  assert.equal(err.message, "expected ']'");
  assert.equal(err.text, "int [4");
  assert.equal(err.position, 6);
  assert.equal((caught(() => parseTypeName("int @", lookup)) as TypeNameSyntaxError).position, 4);
  try {
    parseTypeName("struct nope *", lookup);
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof LookupError);
    assert.equal(e.kind, "type");
    assert.equal(e.key, "struct nope *");
  }
  // A lookup that throws LookupError itself counts as "not found".
  const throwing: TypeLookup = (kind, name) => {
    throw new LookupError(`could not find '${kind} ${name}'`);
  };
  assert.throws(() => parseTypeName("struct x", throwing), {
    message: "could not find 'struct x'",
  });
  // Other errors from the lookup (corrupt debug info) pass through.
  const broken: TypeLookup = () => {
    throw new TypeError("boom");
  };
  assert.throws(() => parseTypeName("struct x", broken), { message: "boom" });
});

Deno.test("gcc keyword spellings, integer suffixes and C++ bool", () => {
  const { lookup } = goldenProgram(goldens.variants["gcc-O0"]!);
  // Compared with drgn's names of the standard spellings.
  const same = (a: string, b: string) =>
    assert.equal(parseTypeName(a, lookup).typeName(), parseTypeName(b, lookup).typeName(), a);
  same("__const int", "const int");
  same("int * __restrict", "int * restrict");
  same("__volatile__ char", "volatile char");
  same("__signed__ char", "signed char");
  same("int [4u]", "int [4]");
  same("int [0x10UL]", "int [16]");
  same("int [4LL]", "int [4]");
  assert.throws(() => parseTypeName("int [4uu]", lookup), { message: "invalid number" });
  assert.throws(() => parseTypeName("int [9007199254740992]", lookup), RangeError);
  assert.equal(parseTypeName("int [9007199254740991]", lookup).length, 9007199254740991);
  // `bool` is a keyword in C++ only; in C it is a typedef name (the kernel's).
  const cpp = parseTypeName("bool", () => null, { language: "C++" });
  assert.equal(cpp.kind, "bool");
  assert.equal(cpp.name, "bool");
  assert.throws(() => parseTypeName("bool", () => null), { message: "could not find 'bool'" });
  // A qualified name is one name in C++ (`struct app::Config`); C has no `::`.
  const seen: string[] = [];
  const record: TypeLookup = (kind, name) => {
    seen.push(`${kind} ${name}`);
    return makeType.int("int", 4, true);
  };
  parseTypeName("struct app::inner::Config *", record, { language: "C++" });
  parseTypeName("app::size_type", record, { language: "C++" });
  parseTypeName("const struct app::Box<std::pair<int, long> >::node *", record, {
    language: "C++",
  });
  assert.deepEqual(seen, [
    "struct app::inner::Config",
    "typedef app::size_type",
    "struct app::Box<std::pair<int, long> >::node",
  ]);
  assert.throws(
    () => parseTypeName("struct Box<int", record, { language: "C++" }),
    TypeNameSyntaxError,
  );
  assert.throws(() => parseTypeName("struct app::Config", record), TypeNameSyntaxError);
  assert.throws(
    () => parseTypeName("struct app::", record, { language: "C++" }),
    TypeNameSyntaxError,
  );
  // `complex` alone is a name like any other.
  const complexTypedef = makeType.typedef("complex", makeType.int("int", 4, true));
  const withComplex: TypeLookup = (kind, name) =>
    kind === "typedef" && name === "complex" ? complexTypedef : null;
  assert.equal(parseTypeName("complex", withComplex), complexTypedef);
  assert.equal(parseTypeName("complex *", withComplex).type, complexTypedef);
  assert.throws(() => parseTypeName("long _Complex", () => null), TypeNameSyntaxError);
  assert.equal(parseTypeName("_Complex long double", () => null).size, 32);
});

Deno.test("parseTypeName() is fast", () => {
  const { lookup } = goldenProgram(goldens.variants["gcc-O0"]!);
  const queries = ["struct point *", "unsigned long", "const char *[4]", "int (*)(int, char *)"];
  for (const q of queries) parseTypeName(q, lookup);
  const n = 20000;
  const start = performance.now();
  for (let i = 0; i < n; i++) parseTypeName(queries[i & 3]!, lookup);
  const perParse = (performance.now() - start) / n * 1000;
  console.log(`parseTypeName: ${perParse.toFixed(2)} µs per name`);
  assert.ok(perParse < 50, `${perParse} µs per parse`);
});
