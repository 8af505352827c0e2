/**
 * Malformed DWARF: every corruption must give a DecodeError that names the
 * section and the offset of the bad value, never a generic TypeError, a
 * hang or a silent wrong answer.
 */

import assert from "node:assert/strict";
import { parseAbbrevTable } from "../../../lib/dwarf/abbrev.ts";
import { DW_AT, DW_FORM, DW_TAG } from "../../../lib/dwarf/constants.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { NameIndex } from "../../../lib/dwarf/name_index.ts";
import { lineFileKeys } from "../../../lib/dwarf/line_header.ts";
import { DecodeError, isDecodeError } from "../../../lib/errors.ts";
import { type DieSpec, ref, writeDwarf, type WrittenDwarf } from "../../_dwarf_writer.ts";

const A = DW_AT;
const F = DW_FORM;
const T = DW_TAG;

const int: DieSpec = {
  tag: T.base_type,
  id: "int",
  attrs: [[A.name, F.strp, "int"], [A.byte_size, F.data1, 4], [A.encoding, F.data1, 5]],
};

function sample(): WrittenDwarf {
  return writeDwarf({
    units: [{
      root: {
        tag: T.compile_unit,
        attrs: [[A.name, F.string, "a.c"]],
        children: [
          int,
          {
            tag: T.structure_type,
            id: "s",
            attrs: [[A.name, F.strp, "s"], [A.byte_size, F.data1, 4], [
              A.sibling,
              F.ref4,
              ref("after"),
            ]],
            children: [{
              tag: T.member,
              attrs: [[A.name, F.string, "m"], [A.type, F.ref4, ref("int")]],
            }],
          },
          {
            tag: T.variable,
            id: "after",
            attrs: [
              [A.name, F.strp, "var"],
              [A.type, F.ref4, ref("int")],
              [A.location, F.exprloc, Uint8Array.of(3, 0, 0x10, 0, 0, 0, 0, 0, 0)],
            ],
          },
        ],
      },
    }],
  });
}

/** Asserts that `fn` throws a DecodeError for `section` at `offset` (if given) matching `msg`. */
function assertDecodeError(fn: () => unknown, section: string, msg: RegExp, offset?: number): void {
  assert.throws(fn, (e: unknown) => {
    if (!isDecodeError(e)) throw e;
    assert.equal(e.section, section, e.message);
    if (offset !== undefined) assert.equal(e.offset, offset, e.message);
    assert.match(e.message, msg);
    return true;
  });
}

function index(w: WrittenDwarf): () => unknown {
  return () => new DwarfInfo(w, { littleEndian: true }).buildIndex();
}

Deno.test("the sample is well-formed", () => {
  const d = new DwarfInfo(sample(), { littleEndian: true });
  assert.equal(d.findType("struct s")!.size, 4);
  assert.equal(d.findObject("var")?.kind, "variable");
});

Deno.test("malformed: unit length past the end of .debug_info", () => {
  const w = sample();
  const info = w.info.slice(0, w.info.length - 3);
  // Unit headers are read when first needed (not by the constructor).
  const d = new DwarfInfo({ ...w, info }, { littleEndian: true });
  assertDecodeError(
    () => d.units,
    ".debug_info",
    /runs past the end/,
    0,
  );
});

Deno.test("malformed: unsupported version and reserved unit length", () => {
  const w = sample();
  const info = w.info.slice();
  info[4] = 9;
  assertDecodeError(
    () => new DwarfInfo({ ...w, info }, { littleEndian: true }).units,
    ".debug_info",
    /version 9/,
    0,
  );
  const info2 = w.info.slice();
  info2.set([0xf0, 0xff, 0xff, 0xff], 0);
  assertDecodeError(
    () => new DwarfInfo({ ...w, info: info2 }, { littleEndian: true }).findType("int"),
    ".debug_info",
    /reserved/,
    0,
  );
});

Deno.test("malformed: unknown abbreviation code", () => {
  const w = sample();
  const info = w.info.slice();
  const at = w.offsets.get("after")!;
  info[at] = 0x7f;
  assertDecodeError(index({ ...w, info }), ".debug_info", /unknown abbreviation code 127/, at);
  // A garbage code beyond 2^53 is named as such, not printed as a float.
  const huge = w.info.slice();
  huge.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], at);
  assertDecodeError(
    index({ ...w, info: huge }),
    ".debug_info",
    /unknown abbreviation code \(too large: corrupt data\?\)$/,
    at,
  );
});

Deno.test("malformed: indexing on demand gives the error at each lookup that scans the damage", () => {
  const w = sample();
  const info = w.info.slice();
  const at = w.offsets.get("after")!;
  info[at] = 0x7f;
  const d = new DwarfInfo({ ...w, info }, { littleEndian: true });
  d.indexOnDemand();
  for (let i = 0; i < 2; i++) {
    assertDecodeError(
      () => d.findType("s", "struct"),
      ".debug_info",
      /unknown abbreviation code 127/,
      at,
    );
    assertDecodeError(() => d.buildIndex(), ".debug_info", /unknown abbreviation code 127/, at);
  }
  assert.equal(d.hasIndex, false);
});

Deno.test("malformed: unknown form in the abbreviation table", () => {
  const w = sample();
  const abbrev = w.abbrev.slice();
  // The base type's DW_AT_byte_size form (data1 = 0x0b) becomes 0x7e.
  const t = parseAbbrevTable(w.abbrev, 0);
  let pos = -1;
  for (let i = 0; i < abbrev.length - 1; i++) {
    if (abbrev[i] === A.byte_size && abbrev[i + 1] === F.data1) {
      pos = i + 1;
      break;
    }
  }
  assert.ok(pos > 0 && t.count > 0);
  abbrev[pos] = 0x7e;
  assertDecodeError(
    index({ ...w, abbrev }),
    ".debug_info",
    /unknown form DW_FORM_0x7e for DW_AT_byte_size/,
  );
});

Deno.test("malformed: truncated abbreviation table", () => {
  const w = sample();
  const abbrev = w.abbrev.slice(0, 5);
  assertDecodeError(index({ ...w, abbrev }), ".debug_abbrev", /truncated|unterminated/);
  assertDecodeError(
    () => parseAbbrevTable(w.abbrev, w.abbrev.length + 10),
    ".debug_abbrev",
    /out of bounds/,
  );
});

Deno.test("malformed: DW_AT_sibling pointing backwards does not loop", () => {
  const w = sample();
  const info = w.info.slice();
  const s = w.offsets.get("s")!;
  // The sibling ref4 is the last attribute of the struct DIE: code(1) strp(4) data1(1).
  const sibAt = s + 1 + 4 + 1;
  info.set([0, 0, 0, 0], sibAt);
  assertDecodeError(index({ ...w, info }), ".debug_info", /DW_AT_sibling/, s);
});

Deno.test("malformed: string offset out of bounds of .debug_str", () => {
  const w = sample();
  const info = w.info.slice();
  const s = w.offsets.get("s")!;
  info.set([0xff, 0xff, 0xff, 0x0f], s + 1);
  assertDecodeError(index({ ...w, info }), ".debug_info", /\.debug_str/, s + 1);
  // The reader reports the string section when decoding the attribute.
  const d = new DwarfInfo({ ...w, info }, { littleEndian: true });
  assertDecodeError(() => d.reader.die(s).string(A.name), ".debug_str", /out of bounds/);
});

Deno.test("malformed: exprloc length runs past the unit", () => {
  const w = sample();
  const info = w.info.slice();
  const v = w.offsets.get("after")!;
  // code(1) strp(4) ref4(4), then the exprloc length.
  info.set([0xff, 0xff, 0x03], v + 9);
  assertDecodeError(index({ ...w, info }), ".debug_info", /past the end/, v);
  const d = new DwarfInfo({ ...w, info }, { littleEndian: true });
  assertDecodeError(
    () => d.reader.die(v),
    ".debug_info",
    /DW_AT_location runs past the end of the unit/,
    v + 9,
  );
});

Deno.test("malformed: fixed-size attributes run past the unit", () => {
  // A unit whose last DIE has only fixed-size attributes (read through a
  // layout shared by the unit's DIEs of its abbreviation), cut inside them.
  const w = writeDwarf({
    units: [{ root: { tag: T.compile_unit, attrs: [[A.name, F.string, "a.c"]], children: [int] } }],
  });
  const o = w.offsets.get("int")!;
  const whole = new DwarfInfo(w, { littleEndian: true }).reader.die(o);
  assert.equal(whole.name, "int");
  assert.equal(whole.udata(A.encoding), 5);
  // Cut 4 bytes: the null entry ending the children and the last 3 bytes of the DIE.
  const info = w.info.slice(0, w.info.length - 4);
  const v = new DataView(info.buffer);
  v.setUint32(0, v.getUint32(0, true) - 4, true);
  const d = new DwarfInfo({ ...w, info }, { littleEndian: true });
  // code(1), then strp(4) past the new end.
  assertDecodeError(
    () => d.reader.die(o),
    ".debug_info",
    /DW_AT_name runs past the end of the unit/,
    o + 1,
  );
});

Deno.test("malformed: unterminated LEB128 at the end of a unit", () => {
  const w = writeDwarf({
    units: [{
      root: {
        tag: T.compile_unit,
        children: [{ tag: T.variable, id: "v", attrs: [[A.decl_line, F.udata, 5]] }],
      },
    }],
  });
  const info = w.info.slice();
  const v = w.offsets.get("v")!;
  info[v + 1] = 0x85; // continuation bit on the unit's last attribute byte
  info[v + 2] = 0x80; // ... and on the null entry after it
  assertDecodeError(index({ ...w, info }), ".debug_info", /past the end/);
});

Deno.test("malformed: absurd array length and reference outside the unit", () => {
  const w = writeDwarf({
    units: [{
      root: {
        tag: T.compile_unit,
        children: [
          int,
          {
            tag: T.array_type,
            id: "arr",
            attrs: [[A.type, F.ref4, ref("int")]],
            children: [{ tag: T.subrange_type, id: "sub", attrs: [[A.count, F.data8, 1n << 62n]] }],
          },
          { tag: T.typedef, attrs: [[A.name, F.string, "big"], [A.type, F.ref4, ref("arr")]] },
          {
            tag: T.typedef,
            id: "bad",
            attrs: [[A.name, F.string, "dangling"], [A.type, F.ref4, 0x7fffff]],
          },
        ],
      },
    }],
  });
  const d = new DwarfInfo(w, { littleEndian: true });
  assertDecodeError(
    () => d.findType("big"),
    ".debug_info",
    /array length too large/,
    w.offsets.get("sub"),
  );
  assertDecodeError(() => d.findType("dangling"), ".debug_info", /reference outside the unit/);
});

Deno.test("malformed: absurdly deep type chains fail cleanly and leave the reader usable", () => {
  const chain: DieSpec[] = [int];
  for (let i = 0; i < 2500; i++) {
    chain.push({
      tag: T.pointer_type,
      id: `p${i}`,
      attrs: [[A.type, F.ref4, ref(i === 0 ? "int" : `p${i - 1}`)]],
    });
  }
  chain.push({
    tag: T.typedef,
    attrs: [[A.name, F.string, "deep"], [A.type, F.ref4, ref("p2499")]],
  });
  chain.push({
    tag: T.typedef,
    attrs: [[A.name, F.string, "shallow"], [A.type, F.ref4, ref("p10")]],
  });
  const w = writeDwarf({ units: [{ root: { tag: T.compile_unit, children: chain } }] });
  const d = new DwarfInfo(w, { littleEndian: true });
  assertDecodeError(() => d.findType("deep"), ".debug_info", /type nesting too deep/);
  assert.equal(d.findType("shallow")!.type.kind, "pointer");
});

Deno.test("malformed: line table header", () => {
  assertDecodeError(
    () => lineFileKeys({ line: Uint8Array.of(10, 0, 0, 0, 5, 0) }, 0, true),
    ".debug_line",
    /past the end/,
    0,
  );
  assertDecodeError(
    () => lineFileKeys({ line: Uint8Array.of(2, 0, 0, 0, 9, 0) }, 0, true),
    ".debug_line",
    /version 9/,
    0,
  );
});

Deno.test("malformed: serialized index (truncated, wrong sections, bad values)", () => {
  const w = sample();
  const d = new DwarfInfo(w, { littleEndian: true });
  const bytes = d.serializeIndex();
  const units = d.reader.units;
  // Round trip.
  const back = NameIndex.deserialize(bytes, w, units);
  assert.equal(back.count, d.index.count);
  assertDecodeError(
    () => NameIndex.deserialize(bytes.slice(0, 40), w, units),
    "name index",
    /truncated/,
    0,
  );
  assertDecodeError(
    () => NameIndex.deserialize(bytes.slice(0, bytes.length - 4), w, units),
    "name index",
    /size/,
  );
  const wrongVersion = bytes.slice();
  wrongVersion[4] = 99;
  assertDecodeError(
    () => NameIndex.deserialize(wrongVersion, w, units),
    "name index",
    /version 99/,
    4,
  );
  const other = { ...w, str: new Uint8Array(w.str.length + 1) };
  assertDecodeError(
    () => NameIndex.deserialize(bytes, other, units),
    "name index",
    /different debug info/,
  );
  // A unit number out of range (entries start at 48: die column, then unit column).
  const badUnit = bytes.slice();
  const n = new DataView(bytes.buffer).getUint32(8, true);
  new DataView(badUnit.buffer).setUint32(48 + n * 4, 1000, true);
  assertDecodeError(() => NameIndex.deserialize(badUnit, w, units), "name index", /unit/);
  assert.ok(new DecodeError("x", 1, "y") instanceof Error);
});
