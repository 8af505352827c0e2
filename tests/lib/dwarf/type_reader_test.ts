/**
 * DIE → Type conversion on DWARF built in memory: every type tag, bit
 * fields in all three encodings, arrays, enums, functions, qualifiers,
 * declarations resolved across units, type units, cycles.
 */

import assert from "node:assert/strict";
import {
  DW_AT,
  DW_ATE,
  DW_FORM,
  DW_LANG,
  DW_OP,
  DW_TAG,
  DW_UT,
} from "../../../lib/dwarf/constants.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { formatTypeName } from "../../../lib/types/format_type.ts";
import { Qualifiers, sizeOf, type Type } from "../../../lib/types/type.ts";
import { type DieSpec, ref, type UnitSpec, writeDwarf } from "../../_dwarf_writer.ts";

const A = DW_AT;
const F = DW_FORM;
const T = DW_TAG;

const int: DieSpec = {
  tag: T.base_type,
  id: "int",
  attrs: [[A.name, F.string, "int"], [A.byte_size, F.data1, 4], [
    A.encoding,
    F.data1,
    DW_ATE.signed,
  ]],
};
const uint: DieSpec = {
  tag: T.base_type,
  id: "uint",
  attrs: [
    [A.name, F.strp, "unsigned int"],
    [A.byte_size, F.data1, 4],
    [A.encoding, F.data1, DW_ATE.unsigned],
  ],
};

function cu(
  children: DieSpec[],
  extra: Partial<UnitSpec> = {},
  lang: number = DW_LANG.C11,
): UnitSpec {
  return {
    root: {
      tag: T.compile_unit,
      attrs: [[A.language, F.data1, lang], [A.name, F.string, "test.c"]],
      children,
    },
    ...extra,
  };
}

function open(units: UnitSpec[], littleEndian = true): DwarfInfo {
  const w = writeDwarf({ units, littleEndian });
  return new DwarfInfo(w, { littleEndian, name: "test" });
}

function member(
  name: string | null,
  type: string,
  attrs: [number, number, number][] = [],
): DieSpec {
  return {
    tag: T.member,
    attrs: [
      ...(name === null ? [] : [[A.name, F.string, name] as [number, number, string]]),
      [A.type, F.ref4, ref(type)],
      ...attrs,
    ],
  };
}

Deno.test("typeReader() canonicalizes base type names as drgn does", () => {
  const d = open([cu([
    {
      tag: T.base_type,
      attrs: [[A.name, F.string, "long unsigned int"], [A.byte_size, F.data1, 8], [
        A.encoding,
        F.data1,
        DW_ATE.unsigned,
      ]],
      id: "lu",
    },
    {
      tag: T.base_type,
      attrs: [[A.name, F.string, "short int"], [A.byte_size, F.data1, 2], [
        A.encoding,
        F.data1,
        DW_ATE.signed,
      ]],
    },
    {
      tag: T.base_type,
      attrs: [[A.name, F.string, "char"], [A.byte_size, F.data1, 1], [
        A.encoding,
        F.data1,
        DW_ATE.unsigned_char,
      ]],
    },
    {
      // Signedness disagrees with the spelling: keep the DWARF name.
      tag: T.base_type,
      attrs: [[A.name, F.string, "long int"], [A.byte_size, F.data1, 8], [
        A.encoding,
        F.data1,
        DW_ATE.unsigned,
      ]],
    },
    {
      tag: T.base_type,
      attrs: [[A.name, F.string, "__int128 unsigned"], [A.byte_size, F.data1, 16], [
        A.encoding,
        F.data1,
        DW_ATE.unsigned,
      ]],
    },
    {
      tag: T.base_type,
      attrs: [[A.name, F.string, "_Bool"], [A.byte_size, F.data1, 1], [
        A.encoding,
        F.data1,
        DW_ATE.boolean,
      ]],
    },
    {
      tag: T.base_type,
      attrs: [[A.name, F.string, "complex double"], [A.byte_size, F.data1, 16], [
        A.encoding,
        F.data1,
        DW_ATE.complex_float,
      ]],
    },
    {
      tag: T.base_type,
      attrs: [
        [A.name, F.string, "be32"],
        [A.byte_size, F.data1, 4],
        [A.encoding, F.data1, DW_ATE.signed],
        [A.endianity, F.data1, 1],
      ],
    },
  ])]);
  const lu = d.findType("unsigned long", "base")!;
  assert.equal(lu.name, "unsigned long");
  assert.equal(lu.size, 8);
  assert.equal(lu.isSigned, false);
  assert.equal(d.findType("long unsigned int")!.name, "unsigned long");
  assert.equal(d.findType("short")!.name, "short");
  const ch = d.findType("char")!;
  assert.equal(ch.name, "char");
  assert.equal(ch.isSigned, false);
  assert.equal(d.findType("long int", "base")!.name, "long int");
  assert.equal(d.findType("__int128 unsigned", "base")!.name, "__int128 unsigned");
  assert.equal(d.findType("_Bool")!.kind, "bool");
  const c = d.findType("complex double", "base")!;
  assert.equal(c.kind, "complex");
  assert.equal(c.type.kind, "float");
  assert.equal(c.type.name, "double");
  assert.equal(c.type.size, 8);
  assert.equal(d.findType("be32", "base")!.littleEndian, false);
});

Deno.test("typeReader() reads pointers, qualifiers, typedefs and void", () => {
  const d = open([cu([
    int,
    { tag: T.const_type, id: "cint", attrs: [[A.type, F.ref4, ref("int")]] },
    { tag: T.volatile_type, id: "cvint", attrs: [[A.type, F.ref4, ref("cint")]] },
    {
      tag: T.pointer_type,
      id: "p",
      attrs: [[A.byte_size, F.data1, 8], [A.type, F.ref4, ref("cvint")]],
    },
    { tag: T.restrict_type, id: "rp", attrs: [[A.type, F.ref4, ref("p")]] },
    { tag: T.const_type, id: "cvoid" },
    { tag: T.pointer_type, id: "pcv", attrs: [[A.type, F.ref4, ref("cvoid")]] },
    { tag: T.atomic_type, id: "aint", attrs: [[A.type, F.ref4, ref("int")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "rp_t"], [A.type, F.ref4, ref("rp")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "pcv_t"], [A.type, F.ref4, ref("pcv")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "aint_t"], [A.type, F.ref4, ref("aint")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "void_t"]] },
  ])]);
  const rp = d.findType("rp_t")!.type;
  assert.equal(rp.kind, "pointer");
  assert.equal(rp.qualifiers, Qualifiers.RESTRICT);
  assert.equal(rp.type.qualifiers, Qualifiers.CONST | Qualifiers.VOLATILE);
  assert.equal(rp.type.kind, "int");
  assert.equal(formatTypeName(rp), "const volatile int * restrict");
  const pcv = d.findType("pcv_t")!.type;
  assert.equal(pcv.size, 8); // address size when DW_AT_byte_size is absent
  assert.equal(pcv.type.kind, "void");
  assert.equal(pcv.type.qualifiers, Qualifiers.CONST);
  assert.equal(d.findType("aint_t")!.type.qualifiers, Qualifiers.ATOMIC);
  assert.equal(d.findType("void_t")!.type.kind, "void");
});

Deno.test("typeReader() reads struct layouts: member locations and all bit-field encodings", () => {
  const memberBits = (name: string, attrs: [number, number, number][]): DieSpec =>
    member(name, "uint", attrs);
  const units = (): UnitSpec[] => [cu([
    uint,
    int,
    {
      tag: T.structure_type,
      attrs: [[A.name, F.string, "s"], [A.byte_size, F.data1, 16]],
      children: [
        member("a", "int", [[A.data_member_location, F.data1, 0]]),
        // DWARF 4+: data_bit_offset.
        memberBits("b", [[A.bit_size, F.data1, 3], [A.data_bit_offset, F.data1, 37]]),
        // DWARF 2/3: bit_offset counts from the MSB of a byte_size storage unit.
        memberBits("c", [
          [A.byte_size, F.data1, 4],
          [A.bit_size, F.data1, 5],
          [A.bit_offset, F.data1, 20],
          [A.data_member_location, F.data1, 8],
        ]),
        // DWARF 2/3 without byte_size: the type's size is the storage unit.
        memberBits("d", [
          [A.bit_size, F.data1, 1],
          [A.bit_offset, F.data1, 31],
          [A.data_member_location, F.data1, 12],
        ]),
      ],
    },
    {
      tag: T.structure_type,
      attrs: [[A.name, F.string, "v2"], [A.byte_size, F.data1, 24]],
      children: [
        {
          // DWARF 2: location as an expression.
          tag: T.member,
          attrs: [
            [A.name, F.string, "x"],
            [A.type, F.ref4, ref("int")],
            [A.data_member_location, F.block1, Uint8Array.of(DW_OP.plus_uconst, 20)],
          ],
        },
        member(null, "int", [[A.data_member_location, F.data1, 4]]),
      ],
    },
  ])];
  for (const le of [true, false]) {
    const d = open(units(), le);
    const s = d.findType("struct s")!;
    const m = s.members!;
    assert.deepEqual(m.map((x) => [x.name, x.bitOffset, x.bitFieldSize]), [
      ["a", 0, null],
      ["b", 37, 3],
      ["c", le ? 64 + 32 - 20 - 5 : 64 + 20, 5],
      ["d", le ? 96 + 32 - 31 - 1 : 96 + 31, 1],
    ]);
    const v2 = d.findType("v2", "struct")!;
    assert.equal(v2.members![0]!.bitOffset, 160);
    assert.equal(v2.members![1]!.name, null);
    assert.equal(v2.member("x").bitOffset, 160);
  }
});

Deno.test("typeReader() reads arrays: multi-dimensional, flexible, zero-length", () => {
  const arr = (id: string, subs: [number, number, number | bigint][][]): DieSpec => ({
    tag: T.array_type,
    id,
    attrs: [[A.type, F.ref4, ref("int")]],
    children: subs.map((attrs) => ({ tag: T.subrange_type, attrs })),
  });
  const d = open([cu([
    int,
    arr("a2x3", [[[A.upper_bound, F.data1, 1]], [[A.count, F.data1, 3]]]),
    arr("flex", [[]]),
    arr("none", []),
    arr("zla_count", [[[A.count, F.data1, 0]]]),
    arr("zla_sdata", [[[A.upper_bound, F.sdata, -1]]]),
    arr("zla_data8", [[[A.upper_bound, F.data8, 0xffffffffffffffffn]]]),
    arr("u255", [[[A.upper_bound, F.data1, 255]]]),
    arr("lb", [[[A.lower_bound, F.data1, 1], [A.upper_bound, F.data1, 4]]]),
    ...["a2x3", "flex", "none", "zla_count", "zla_sdata", "zla_data8", "u255", "lb"].map((id) => ({
      tag: T.typedef,
      attrs: [[A.name, F.string, `t_${id}`], [A.type, F.ref4, ref(id)]] as [
        number,
        number,
        string | { ref: string },
      ][],
    })),
  ])]);
  const t = (id: string): Type => d.findType(`t_${id}`)!.type;
  assert.equal(formatTypeName(t("a2x3")), "int [2][3]");
  assert.equal(sizeOf(t("a2x3")), 24);
  assert.equal(t("a2x3").type.length, 3);
  assert.equal(t("flex").length, null);
  assert.equal(t("none").length, null);
  assert.equal(t("zla_count").length, 0);
  assert.equal(t("zla_sdata").length, 0);
  assert.equal(t("zla_data8").length, 0);
  assert.equal(t("u255").length, 256);
  assert.equal(t("lb").length, 4);
});

Deno.test("typeReader() reads enums: compatible type, sign handling, GCC < 5 fallback", () => {
  const d = open([cu([
    {
      tag: T.base_type,
      id: "schar",
      attrs: [[A.name, F.string, "signed char"], [A.byte_size, F.data1, 1], [
        A.encoding,
        F.data1,
        DW_ATE.signed_char,
      ]],
    },
    {
      tag: T.base_type,
      id: "ulong",
      attrs: [[A.name, F.string, "long unsigned int"], [A.byte_size, F.data1, 8], [
        A.encoding,
        F.data1,
        DW_ATE.unsigned,
      ]],
    },
    {
      tag: T.enumeration_type,
      attrs: [[A.name, F.string, "small"], [A.byte_size, F.data1, 1], [
        A.type,
        F.ref4,
        ref("schar"),
      ]],
      children: [
        { tag: T.enumerator, attrs: [[A.name, F.string, "NEG"], [A.const_value, F.sdata, -100]] },
        // data forms are unsigned; a signed enum reads them as 64-bit values.
        { tag: T.enumerator, attrs: [[A.name, F.string, "BIG"], [A.const_value, F.data1, 200]] },
      ],
    },
    {
      tag: T.enumeration_type,
      attrs: [[A.name, F.string, "big"], [A.byte_size, F.data1, 8], [A.type, F.ref4, ref("ulong")]],
      children: [
        {
          tag: T.enumerator,
          attrs: [[A.name, F.string, "MAX"], [A.const_value, F.data8, 0xffffffffffffffffn]],
        },
      ],
    },
    {
      // No DW_AT_type (GCC before 5.1): signed because a value is negative.
      tag: T.enumeration_type,
      attrs: [[A.name, F.string, "old"], [A.byte_size, F.data1, 4]],
      children: [
        { tag: T.enumerator, attrs: [[A.name, F.string, "OLD_NEG"], [A.const_value, F.sdata, -1]] },
      ],
    },
    {
      tag: T.enumeration_type,
      attrs: [[A.name, F.string, "fwd"], [A.declaration, F.flag_present, true]],
    },
  ])]);
  const small = d.findType("enum small")!;
  assert.equal(small.size, 1);
  assert.deepEqual(small.enumerators!.map((e) => [e.name, e.value]), [["NEG", -100n], [
    "BIG",
    200n,
  ]]);
  assert.equal(formatTypeName(small.type), "signed char");
  const big = d.findType("big", "enum")!;
  assert.equal(big.enumerators![0]!.value, 0xffffffffffffffffn);
  assert.equal(formatTypeName(big.type), "unsigned long");
  const old = d.findType("enum old")!;
  assert.equal(old.type.name, "<unknown>");
  assert.equal(old.type.isSigned, true);
  assert.equal(old.type.size, 4);
  const fwd = d.findType("enum fwd")!;
  assert.equal(fwd.isComplete(), false);
  assert.equal(fwd.enumerators, null);
  const c = d.findObject("NEG", "constant")!;
  assert.equal(c.kind, "constant");
  assert.equal(c.kind === "constant" && c.value, -100n);
  assert.equal(formatTypeName(c.type), "enum small");
});

Deno.test("typeReader() reads function types: parameters, variadic, unprototyped", () => {
  const d = open([cu([
    int,
    {
      tag: T.subroutine_type,
      id: "f1",
      attrs: [[A.prototyped, F.flag_present, true], [A.type, F.ref4, ref("int")]],
      children: [
        { tag: T.formal_parameter, attrs: [[A.type, F.ref4, ref("int")]] },
        { tag: T.unspecified_parameters },
      ],
    },
    { tag: T.subroutine_type, id: "f2", attrs: [[A.prototyped, F.flag_present, true]] },
    { tag: T.subroutine_type, id: "knr", attrs: [[A.type, F.ref4, ref("int")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "f1_t"], [A.type, F.ref4, ref("f1")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "f2_t"], [A.type, F.ref4, ref("f2")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "knr_t"], [A.type, F.ref4, ref("knr")]] },
    {
      tag: T.subprogram,
      attrs: [
        [A.name, F.string, "add"],
        [A.prototyped, F.flag_present, true],
        [A.type, F.ref4, ref("int")],
        [A.low_pc, F.addr, 0x1000],
        [A.high_pc, F.data4, 0x20],
      ],
      children: [
        { tag: T.formal_parameter, attrs: [[A.name, F.string, "a"], [A.type, F.ref4, ref("int")]] },
        { tag: T.formal_parameter, attrs: [[A.name, F.string, "b"], [A.type, F.ref4, ref("int")]] },
        { tag: T.variable, attrs: [[A.name, F.string, "local"], [A.type, F.ref4, ref("int")]] },
      ],
    },
  ])]);
  assert.equal(formatTypeName(d.findType("f1_t")!.type), "int (int, ...)");
  assert.equal(formatTypeName(d.findType("f2_t")!.type), "void (void)");
  const knr = d.findType("knr_t")!.type;
  assert.equal(knr.isVariadic, true);
  assert.equal(formatTypeName(knr), "int ()");
  const add = d.findObject("add", "function")!;
  assert.equal(add.kind, "function");
  assert.equal(formatTypeName(add.type), "int (int a, int b)");
  assert.equal(add.kind === "function" && add.address, 0x1000n);
});

Deno.test("typeReader() resolves declarations to definitions in other units", () => {
  const d = open([
    cu([
      {
        tag: T.structure_type,
        id: "decl",
        attrs: [[A.name, F.string, "node"], [A.declaration, F.flag_present, true]],
      },
      {
        tag: T.pointer_type,
        id: "pdecl",
        attrs: [[A.byte_size, F.data1, 8], [A.type, F.ref4, ref("decl")]],
      },
      { tag: T.typedef, attrs: [[A.name, F.string, "node_ptr"], [A.type, F.ref4, ref("pdecl")]] },
      {
        tag: T.structure_type,
        attrs: [[A.name, F.string, "lonely"], [A.declaration, F.flag_present, true]],
      },
    ]),
    cu([
      int,
      {
        tag: T.structure_type,
        id: "def",
        attrs: [[A.name, F.string, "node"], [A.byte_size, F.data1, 16]],
        children: [
          member("value", "int", [[A.data_member_location, F.data1, 0]]),
          member("next", "pnode", [[A.data_member_location, F.data1, 8]]),
        ],
      },
      {
        tag: T.pointer_type,
        id: "pnode",
        attrs: [[A.byte_size, F.data1, 8], [A.type, F.ref4, ref("def")]],
      },
    ]),
  ]);
  // The declaration comes first in the file, the definition is returned
  // first; the declaration resolves to it, so it is the only type.
  const all = d.findTypes("node", "struct");
  assert.equal(all.length, 1);
  assert.equal(all[0]!.isComplete(), true);
  const p = d.findType("node_ptr")!.type;
  assert.equal(p.type.isComplete(), true);
  assert.equal(p.type.size, 16);
  // Self-reference through a pointer (a cycle through a struct) terminates.
  const next = p.type.member("next").type;
  assert.equal(next.type, p.type.member("next").type.type);
  assert.equal(next.type.member("next").type.type.size, 16);
  // A declaration with no definition stays incomplete.
  assert.equal(d.findType("struct lonely")!.isComplete(), false);
});

Deno.test("typeReader() follows DW_FORM_ref_sig8 into type units (DWARF 4 .debug_types and DWARF 5)", () => {
  for (const v5 of [false, true]) {
    const sig = 0x1122334455667788n;
    const typeUnit: UnitSpec = {
      version: v5 ? 5 : 4,
      unitType: v5 ? DW_UT.type : undefined,
      inTypes: !v5,
      typeSignature: sig,
      typeId: "tu_struct",
      root: {
        tag: T.type_unit,
        attrs: [[A.language, F.data1, DW_LANG.C11]],
        children: [
          int,
          {
            tag: T.structure_type,
            id: "tu_struct",
            attrs: [[A.name, F.string, "tstruct"], [A.byte_size, F.data1, 4]],
            children: [member("f", "int", [[A.data_member_location, F.data1, 0]])],
          },
        ],
      },
    };
    const d = open([
      cu([
        {
          tag: T.pointer_type,
          id: "p",
          attrs: [[A.byte_size, F.data1, 8], [A.type, F.ref_sig8, sig]],
        },
        { tag: T.typedef, attrs: [[A.name, F.string, "tp"], [A.type, F.ref4, ref("p")]] },
      ], { version: v5 ? 5 : 4 }),
      typeUnit,
    ]);
    const t = d.findType("tp")!.type.type;
    assert.equal(t.kind, "struct");
    assert.equal(t.member("f").type.name, "int");
    assert.equal(d.findType("struct tstruct")!.size, 4, "type units are indexed");
  }
});

Deno.test("typeReader() rejects cycles that do not pass through a tagged type", () => {
  const d = open([cu([
    { tag: T.typedef, id: "a", attrs: [[A.name, F.string, "A"], [A.type, F.ref4, ref("b")]] },
    { tag: T.typedef, id: "b", attrs: [[A.name, F.string, "B"], [A.type, F.ref4, ref("a")]] },
    { tag: T.pointer_type, id: "p", attrs: [[A.type, F.ref4, ref("p")]] },
    { tag: T.typedef, attrs: [[A.name, F.string, "P"], [A.type, F.ref4, ref("p")]] },
  ])]);
  for (const name of ["A", "P"]) {
    assert.throws(() => d.findType(name), (e: unknown) => {
      assert.ok(isDecodeError(e));
      assert.equal(e.section, ".debug_info");
      assert.match(e.message, /cycle in type graph/);
      return true;
    });
  }
});

Deno.test("DwarfInfo finds variables by DW_AT_specification and statics in functions", () => {
  const d = open([cu([
    int,
    {
      tag: T.variable,
      id: "decl",
      attrs: [
        [A.name, F.string, "counter"],
        [A.type, F.ref4, ref("int")],
        [A.external, F.flag_present, true],
        [A.declaration, F.flag_present, true],
      ],
    },
    {
      tag: T.variable,
      attrs: [
        [A.specification, F.ref4, ref("decl")],
        [A.location, F.exprloc, Uint8Array.of(DW_OP.addr, 0x40, 0x30, 0, 0, 0, 0, 0, 0)],
      ],
    },
    {
      tag: T.variable,
      attrs: [
        [A.name, F.string, "tls"],
        [A.type, F.ref4, ref("int")],
        [
          A.location,
          F.exprloc,
          Uint8Array.of(DW_OP.const8u, 8, 0, 0, 0, 0, 0, 0, 0, DW_OP.form_tls_address),
        ],
      ],
    },
    {
      tag: T.variable,
      attrs: [[A.name, F.string, "konst"], [A.type, F.ref4, ref("int")], [
        A.const_value,
        F.sdata,
        -7,
      ]],
    },
    {
      tag: T.subprogram,
      attrs: [[A.name, F.string, "fn"], [A.low_pc, F.addr, 0x2000], [A.high_pc, F.data4, 0x10]],
      children: [{
        tag: T.lexical_block,
        children: [{
          tag: T.variable,
          attrs: [
            [A.name, F.string, "hidden"],
            [A.type, F.ref4, ref("int")],
            [A.location, F.exprloc, Uint8Array.of(DW_OP.addr, 0x50, 0x30, 0, 0, 0, 0, 0, 0)],
          ],
        }, {
          tag: T.variable,
          attrs: [
            [A.name, F.string, "on_stack"],
            [A.type, F.ref4, ref("int")],
            [A.location, F.exprloc, Uint8Array.of(DW_OP.fbreg, 0x70)],
          ],
        }],
      }],
    },
  ])]);
  const c = d.findObject("counter", "variable");
  assert.ok(c !== null && c.kind === "variable");
  assert.equal(c.address, 0x3040n);
  assert.equal(c.type.name, "int");
  assert.equal(c.isDeclaration, false);
  const tls = d.findObject("tls");
  assert.ok(tls !== null && tls.kind === "variable");
  assert.equal(tls.address, null);
  assert.deepEqual([...tls.locationExpr!], [
    DW_OP.const8u,
    8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    DW_OP.form_tls_address,
  ]);
  const k = d.findObject("konst");
  assert.ok(k !== null && k.kind === "variable");
  assert.equal(k.constValue, -7n);
  const h = d.findObject("hidden", "variable");
  assert.ok(h !== null && h.kind === "variable");
  assert.equal(h.isLocalStatic, true);
  assert.equal(h.address, 0x3050n);
  assert.equal(d.findObject("on_stack"), null, "stack locals are not indexed");
  assert.deepEqual([...d.names("localVariable")], ["hidden"]);
});
