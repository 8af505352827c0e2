/**
 * Unit headers and DIE attribute decoding for every form, on DWARF built in
 * memory; each expected value is the one the test wrote.
 */

import assert from "node:assert/strict";
import { parseAbbrevTable } from "../../../lib/dwarf/abbrev.ts";
import { DW_AT, DW_FORM, DW_LANG, DW_TAG, DW_UT, dwName } from "../../../lib/dwarf/constants.ts";
import { DieReader } from "../../../lib/dwarf/die.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { parseUnitHeaders } from "../../../lib/dwarf/unit.ts";
import { ref, type UnitSpec, writeDwarf } from "../../_dwarf_writer.ts";

const A = DW_AT;
const F = DW_FORM;
const T = DW_TAG;

Deno.test("dwName() names spec constants and unknown values", () => {
  assert.equal(dwName("DW_TAG", 0x24), "DW_TAG_base_type");
  assert.equal(dwName("DW_FORM", 0x0e), "DW_FORM_strp");
  assert.equal(dwName("DW_OP", 0x31), "DW_OP_lit1");
  assert.equal(dwName("DW_OP", 0x75), "DW_OP_breg5");
  assert.equal(dwName("DW_AT", 0x3fff), "DW_AT_0x3fff");
  assert.equal(dwName("DW_LANG", 0x1d), "DW_LANG_C11");
});

Deno.test("parseUnitHeaders() reads DWARF 2-5, 32- and 64-bit, every unit type", () => {
  const units: UnitSpec[] = [
    { version: 2, addressSize: 4, root: { tag: T.compile_unit } },
    { version: 3, root: { tag: T.compile_unit } },
    { version: 4, is64: true, root: { tag: T.compile_unit } },
    { version: 5, root: { tag: T.compile_unit } },
    { version: 5, unitType: DW_UT.partial, root: { tag: T.partial_unit } },
    { version: 5, unitType: DW_UT.skeleton, root: { tag: T.skeleton_unit } },
    {
      version: 5,
      unitType: DW_UT.type,
      is64: true,
      typeSignature: 0xabcdefn,
      root: { tag: T.type_unit, children: [{ tag: T.base_type, id: "t" }] },
      typeId: "t",
    },
  ];
  const w = writeDwarf({ units });
  const hs = parseUnitHeaders(w.info, "info", true);
  assert.deepEqual(hs.map((h) => [h.version, h.is64, h.addressSize, h.unitType]), [
    [2, false, 4, DW_UT.compile],
    [3, false, 8, DW_UT.compile],
    [4, true, 8, DW_UT.compile],
    [5, false, 8, DW_UT.compile],
    [5, false, 8, DW_UT.partial],
    [5, false, 8, DW_UT.skeleton],
    [5, true, 8, DW_UT.type],
  ]);
  assert.equal(hs[5]!.dwoId, 0x1234n);
  assert.equal(hs[6]!.typeSignature, 0xabcdefn);
  assert.equal(hs[6]!.typeOffset, w.offsets.get("t"));
  for (let i = 1; i < hs.length; i++) assert.equal(hs[i]!.offset, hs[i - 1]!.end);
  // Big-endian headers.
  const be = writeDwarf({ units: units.slice(0, 4), littleEndian: false });
  assert.deepEqual(parseUnitHeaders(be.info, "info", false).map((h) => h.version), [2, 3, 4, 5]);
});

Deno.test("Die decodes every attribute form", () => {
  const w = writeDwarf({
    units: [{
      root: {
        tag: T.compile_unit,
        attrs: [
          [A.language, F.data2, DW_LANG.C99],
          [A.str_offsets_base, F.sec_offset, "str_offsets_base"],
          [A.addr_base, F.sec_offset, "addr_base"],
          [A.name, F.line_strp, "file.c"],
          [A.comp_dir, F.strx, "/src"],
        ],
        children: [{
          tag: T.variable,
          id: "v",
          attrs: [
            [A.name, F.strx1, 0], // patched below: strx1 needs an existing index
            [A.decl_file, F.implicit_const, 3],
            [A.decl_line, F.udata, 300],
            [A.decl_column, F.sdata, -5],
            [A.low_pc, F.addrx, 0xffffffff81000000n],
            [A.high_pc, F.data16, new Uint8Array(16).fill(1)],
            [A.type, F.ref_udata, ref("v")],
            [A.sibling, F.ref_addr, ref("v")],
            [A.external, F.flag, 1],
            [A.declaration, F.flag_present, true],
            [A.byte_size, F.indirect, [F.data2, 0x1234]],
            [A.location, F.exprloc, Uint8Array.of(1, 2, 3)],
            [A.const_value, F.block1, Uint8Array.of(9, 8)],
            [A.producer, F.strp, "gcc"],
          ],
        }],
      },
    }],
  });
  const r = new DieReader(w, true);
  const root = r.unitDie(r.units[0]!);
  assert.equal(root.string(A.name), "file.c");
  assert.equal(root.string(A.comp_dir), "/src");
  assert.equal(r.unitInfo(r.units[0]!).language, DW_LANG.C99);
  const v = r.die(w.offsets.get("v")!);
  assert.equal(v.tag, T.variable);
  assert.equal(v.string(A.name), "/src"); // strx1 index 0 is the first strx string
  assert.equal(v.udata(A.decl_file), 3);
  assert.equal(v.udata(A.decl_line), 300);
  assert.equal(v.udata(A.decl_column), -5);
  assert.equal(v.address(A.low_pc), 0xffffffff81000000n);
  assert.equal(v.constant(A.high_pc)!.value, 0x01010101010101010101010101010101n);
  assert.equal(v.ref(A.type), w.offsets.get("v"));
  assert.equal(v.ref(A.sibling), w.offsets.get("v"));
  assert.equal(v.flag(A.external), true);
  assert.equal(v.flag(A.declaration), true);
  assert.equal(v.flag(A.artificial), false);
  assert.equal(v.udata(A.byte_size), 0x1234);
  assert.equal(v.formOf(A.byte_size), F.data2);
  assert.deepEqual([...v.block(A.location)!], [1, 2, 3]);
  assert.deepEqual([...v.block(A.const_value)!], [9, 8]);
  assert.equal(v.string(A.producer), "gcc");
  assert.equal(v.string(A.linkage_name), null);
  assert.equal(v.has(A.bit_size), false);
  // Wrong class for the form.
  assert.throws(() => v.string(A.decl_line), /expected a string, got DW_FORM_udata/);
});

Deno.test("DWARF 2 sizes DW_FORM_ref_addr like an address", () => {
  const units: UnitSpec[] = [{
    version: 2,
    addressSize: 4,
    root: {
      tag: T.compile_unit,
      children: [
        {
          tag: T.base_type,
          id: "i",
          attrs: [[A.name, F.string, "int"], [A.byte_size, F.data1, 4], [A.encoding, F.data1, 5]],
        },
        { tag: T.typedef, attrs: [[A.name, F.string, "myint"], [A.type, F.ref_addr, ref("i")]] },
      ],
    },
  }, {
    version: 3,
    root: {
      tag: T.compile_unit,
      children: [{
        tag: T.typedef,
        attrs: [[A.name, F.string, "other"], [A.type, F.ref_addr, ref("i")]],
      }],
    },
  }];
  const d = new DwarfInfo(writeDwarf({ units }), { littleEndian: true });
  assert.equal(d.findType("myint")!.type.name, "int");
  assert.equal(d.findType("other")!.type.name, "int", "cross-unit reference");
});

Deno.test("partial units pulled in by DW_TAG_imported_unit are indexed", () => {
  const units: UnitSpec[] = [
    {
      unitType: DW_UT.partial,
      root: {
        tag: T.partial_unit,
        id: "pu",
        children: [{
          tag: T.structure_type,
          attrs: [[A.name, F.string, "shared"], [A.byte_size, F.data1, 8]],
        }],
      },
    },
    {
      root: {
        tag: T.compile_unit,
        children: [{ tag: T.imported_unit, attrs: [[A.import, F.ref_addr, ref("pu")]] }],
      },
    },
  ];
  const d = new DwarfInfo(writeDwarf({ units }), { littleEndian: true });
  assert.equal(d.findType("struct shared")!.size, 8);
});

Deno.test("parseAbbrevTable() reads codes, children flags and implicit constants", () => {
  const w = writeDwarf({
    units: [{
      root: {
        tag: T.compile_unit,
        children: [{
          tag: T.member,
          attrs: [[A.decl_file, F.implicit_const, -3], [A.name, F.string, "x"]],
        }],
      },
    }],
  });
  const t = parseAbbrevTable(w.abbrev, 0);
  assert.equal(t.count, 2);
  assert.equal(t.tag[0], T.compile_unit);
  assert.equal(t.hasChildren[0], 1);
  assert.equal(t.indexOf(2), 1);
  assert.equal(t.indexOf(3), -1);
  assert.equal(t.attrForm[t.attrStart[1]!], F.implicit_const);
  assert.equal(t.implicitConst(t.attrStart[1]!), -3n);
});
