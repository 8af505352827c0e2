/**
 * The name index: contents on a real fixture, deduplication of repeated
 * type definitions, the serialized form, and the parallel build (which
 * must give exactly the single-threaded index, with only --allow-read).
 */

import assert from "node:assert/strict";
import { DW_AT, DW_FORM, DW_TAG } from "../../../lib/dwarf/constants.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { lineFileKeys } from "../../../lib/dwarf/line_header.ts";
import { IndexKind, NameIndex } from "../../../lib/dwarf/name_index.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { type Attr, type DieSpec, type UnitSpec, writeDwarf } from "../../_dwarf_writer.ts";
import { exists, FIXTURES, readElfSections } from "./_sections.ts";

const A = DW_AT;
const F = DW_FORM;
const T = DW_TAG;
const TYPES = `${FIXTURES}/user/out/bin/gcc-O0/types`;
const REF = `${FIXTURES}/user/reference/gcc-O0/types.gcore.json`;

function sameIndex(a: NameIndex, b: NameIndex): void {
  assert.equal(a.count, b.count);
  for (
    const k of ["die", "unit", "aux", "nameOff", "hash", "kind", "flags", "bucketStart"] as const
  ) {
    assert.deepEqual(a[k], b[k], k);
  }
}

Deno.test({
  name: "NameIndex holds every function and defined variable of a fixture",
  ignore: !exists(TYPES),
  fn() {
    const { sections, littleEndian } = readElfSections(TYPES);
    const d = new DwarfInfo(dwarfSectionsFromMap(sections), { littleEndian });
    const ref = JSON.parse(Deno.readTextFileSync(REF));
    const fns = new Set(d.names("function"));
    for (const f of Object.keys(ref.functions)) assert.ok(fns.has(f), f);
    const vars = new Set(d.names("variable"));
    for (
      const [v, r] of Object.entries(
        ref.variables as Record<string, { dwarf_declaration_only: boolean }>,
      )
    ) {
      assert.equal(vars.has(v), !r.dwarf_declaration_only, v);
    }
    assert.deepEqual(new Set(d.names("localVariable")), new Set(["calls", "last_caller"]));
    assert.ok(new Set(d.names("constant")).has("BLUE"));
    // Lookups compare bytes: a name that hashes into the same bucket but differs is not found.
    assert.equal(d.findObject("BLUEX"), null);
    assert.equal(d.findObject("BLUE", ["variable", "function"]), null);
    assert.equal(d.findObject("BLUE", ["variable", "constant"])?.kind, "constant");
    assert.equal(d.findType("struct poin"), null);
  },
});

Deno.test({
  name: "NameIndex serialize() and deserialize() round-trip",
  ignore: !exists(TYPES),
  fn() {
    const { sections, littleEndian } = readElfSections(TYPES);
    const s = dwarfSectionsFromMap(sections);
    const d = new DwarfInfo(s, { littleEndian });
    const bytes = d.serializeIndex();
    const back = NameIndex.deserialize(bytes, s, d.reader.units);
    sameIndex(back, d.index);
    assert.deepEqual(back.serialize(), bytes);
    // A DwarfInfo loaded from the cache answers the same.
    return DwarfInfo.load(s, { littleEndian, index: bytes }).then((d2) => {
      assert.equal(d2.findType("struct point")!.size, 8);
      const v = d2.findObject("g_int");
      assert.ok(v !== null && v.kind === "variable");
      assert.equal(v.address, 0x4068n);
    });
  },
});

/** A DWARF 4 line table header naming one file `inc/a.h`. */
function lineTable(): Uint8Array {
  const body = [
    4,
    0, // version
    0,
    0,
    0,
    0, // header_length (patched)
    1,
    1,
    1,
    0xfb,
    14,
    1, // min_inst, max_ops, default_is_stmt, line_base, line_range, opcode_base
    ...new TextEncoder().encode("inc\0"),
    0, // include_directories
    ...new TextEncoder().encode("a.h\0"),
    1,
    0,
    0,
    0, // file_names
  ];
  const headerLength = body.length - 6;
  body[2] = headerLength;
  return Uint8Array.from([body.length, 0, 0, 0, ...body]);
}

/**
 * Unit `n` (`u<n>.c`, its line table at offset 0) defining a 512-byte
 * `struct <name>` (id `<name><n>`, declared in file 1 at `declLine`, with a
 * member `x`) followed by `more`.
 */
function unitWithStruct(n: number, name: string, declLine: Attr, more: DieSpec[]): UnitSpec {
  return {
    version: 4,
    root: {
      tag: T.compile_unit,
      attrs: [[A.stmt_list, F.sec_offset, 0], [A.name, F.string, `u${n}.c`]],
      children: [
        {
          tag: T.structure_type,
          id: `${name}${n}`,
          attrs: [
            [A.name, F.strp, name],
            [A.byte_size, F.data2, 512],
            [A.decl_file, F.data1, 1],
            declLine,
          ],
          children: [{
            tag: T.member,
            attrs: [[A.name, F.strp, "x"], [A.data_member_location, F.data1, 0]],
          }],
        },
        ...more,
      ],
    },
  };
}

Deno.test("NameIndex keeps one entry per type definition repeated across units", () => {
  const line = lineTable();
  const keys = lineFileKeys({ line }, 0, true);
  assert.equal(keys.length, 2);
  assert.notEqual(keys[1], 0);
  const unit = (n: number, line: number): UnitSpec =>
    unitWithStruct(n, "shared", [A.decl_line, F.data1, line], [
      {
        tag: T.enumeration_type,
        attrs: [[A.byte_size, F.data1, 4], [A.decl_file, F.data1, 1], [A.decl_line, F.data1, 40]],
        children: [{
          tag: T.enumerator,
          attrs: [[A.name, F.strp, "ANON_A"], [A.const_value, F.data1, n]],
        }],
      },
      {
        tag: T.variable,
        attrs: [[A.name, F.strp, "per_unit"], [
          A.location,
          F.exprloc,
          Uint8Array.of(3, n, 0, 0, 0, 0, 0, 0, 0),
        ]],
      },
    ] as DieSpec[]);
  // Units 0 and 1 repeat `struct shared` from a.h:10; unit 2 has another one at a.h:20.
  const w = writeDwarf({ units: [unit(0, 10), unit(1, 10), unit(2, 20)] });
  const d = new DwarfInfo({ ...w, line }, { littleEndian: true });
  const structs = [...d.index.find("shared", 1 << IndexKind.struct)].map((i) => d.index.unit[i]);
  assert.deepEqual(structs, [0, 2]);
  // Enumerators of a repeated (anonymous) enum are indexed once; the value is the first unit's.
  const consts = d.findObjects("ANON_A", "constant");
  assert.equal(consts.length, 1);
  assert.equal(consts[0]!.kind === "constant" && consts[0]!.value, 0n);
  // Variables are never merged.
  assert.equal(d.findObjects("per_unit", "variable").length, 3);
  // The repeated definition (a big one: see SHARED_MIN_SIZE) is one Type,
  // whichever unit's copy is read; the other definition (another line) is
  // another.
  const typeIn = (dw: DwarfInfo, n: number) => dw.types.typeFromDie(w.offsets.get(`shared${n}`)!);
  const [t0, t1, t2] = [typeIn(d, 1), typeIn(d, 0), typeIn(d, 2)];
  assert.equal(t0, t1);
  assert.notEqual(t0, t2);
  assert.equal(d.findType("shared", "struct"), t0);
  assert.equal(t0.members?.[0]?.name, "x");
  // Without line tables, nothing merges across units.
  const d2 = new DwarfInfo(w, { littleEndian: true });
  assert.equal(d2.findTypes("shared", "struct").length, 3);
  assert.notEqual(typeIn(d2, 0), typeIn(d2, 1));
});

Deno.test("parallel index equals the single-threaded index", async () => {
  // Many units so that every worker gets some.
  const units: UnitSpec[] = [];
  for (let i = 0; i < 40; i++) {
    units.push({
      root: {
        tag: T.compile_unit,
        children: [
          {
            tag: T.base_type,
            attrs: [[A.name, F.strp, "int"], [A.byte_size, F.data1, 4], [A.encoding, F.data1, 5]],
          },
          {
            tag: T.structure_type,
            attrs: [[A.name, F.strp, `s${i % 7}`], [A.byte_size, F.data1, i]],
          },
          { tag: T.subprogram, attrs: [[A.name, F.strp, `f${i}`], [A.low_pc, F.addr, 0x1000 + i]] },
        ],
      },
    });
  }
  const w = writeDwarf({ units });
  const serial = await DwarfInfo.load(w, { littleEndian: true, parallel: false });
  for (const workers of [1, 2, 3]) {
    const par = await DwarfInfo.load(w, { littleEndian: true, parallel: true, workers });
    sameIndex(par.index, serial.index);
  }
  assert.equal(serial.findObject("f39")!.kind, "function");
  // A DecodeError in a worker's range comes back as a DecodeError.
  const info = w.info.slice();
  const at = serial.units[1]!.dieOffset + 1; // the first child of unit 1 (the root has no attributes)
  info[at] = 0x7e;
  await assert.rejects(
    DwarfInfo.load({ ...w, info }, { littleEndian: true, parallel: true, workers: 2 }),
    (e: unknown) => {
      assert.ok(isDecodeError(e), String(e));
      assert.equal(e.section, ".debug_info");
      assert.equal(e.offset, at);
      assert.match(e.message, /unknown abbreviation code 126/);
      return true;
    },
  );
});

Deno.test({
  name: "parallel index works with only --allow-read and reports DecodeErrors from workers",
  ignore: !exists(TYPES),
  async fn() {
    const script = new URL("./_parallel_probe.ts", import.meta.url).pathname;
    const deno = Deno.execPath();
    const out = await new Deno.Command(deno, {
      args: ["run", "--allow-read", "--no-lock", script, TYPES],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, text);
    assert.match(text, /same=true/);
    assert.match(text, /DecodeError \.debug_info 0x[0-9a-f]+: .*unknown abbreviation code 127/);
  },
});

Deno.test("a repeated definition whose declaring line cannot be read is read as it is, not shared", () => {
  const line = lineTable();
  // decl_line as an expression: the index keys both copies alike (no line),
  // but reading the line as a number fails.
  const unit = (n: number) =>
    unitWithStruct(n, "odd", [A.decl_line, F.exprloc, Uint8Array.of(0x30)], []);
  const w = writeDwarf({ units: [unit(0), unit(1)] });
  const d = new DwarfInfo({ ...w, line }, { littleEndian: true });
  assert.equal(d.index.find("odd", 1 << IndexKind.struct).length, 1);
  const t1 = d.types.typeFromDie(w.offsets.get("odd1")!);
  assert.equal(t1.members?.[0]?.name, "x");
  assert.notEqual(t1, d.types.typeFromDie(w.offsets.get("odd0")!));
});
