/**
 * helpers/common/format.ts against drgn 0.0.22's decode_flags(),
 * decode_enum_type_flags() and ASCII escapes (the "format" section of
 * tests/data/helpers/mm_slab_fs_goldens.json, enum types from the Debian
 * kernel's debug info).
 */

import assert from "node:assert/strict";
import {
  decodeEnumTypeFlags,
  decodeFlags,
  escapeAsciiCharacter,
  escapeAsciiString,
} from "../../../helpers/common/format.ts";
import { makeObject } from "../../../lib/object/typed_object.ts";
import { helperGolden, helperProgram } from "../linux/_mm_slab_fs.ts";

// deno-lint-ignore no-explicit-any
const g = (helperGolden as (d: any) => any)("format");

Deno.test("decodeFlags: bit numbers and masks as drgn", () => {
  for (const [v, want] of g.decodeFlags) assert.equal(decodeFlags(BigInt(v), g.flags), want, v);
  for (const [v, want] of g.decodeFlagsMasks) {
    assert.equal(decodeFlags(BigInt(v), g.masks, false), want, v);
  }
  assert.equal(decodeFlags(5, [["BOLD", 0], ["ITALIC", 1], ["UNDERLINE", 2]]), "BOLD|UNDERLINE");
  assert.throws(() => decodeFlags(1, [["X", -1]]), RangeError);
  assert.throws(() => decodeFlags(1.5, g.flags), TypeError);
});

Deno.test("decodeEnumTypeFlags: kernel enums as drgn, and integer objects", async () => {
  const prog = await helperProgram("kdump");
  for (
    const [name, e] of Object.entries(g.enums) as [
      string,
      { bitNumbers: boolean; cases: string[][] },
    ][]
  ) {
    const t = prog.type(name);
    for (const [v, want] of e.cases) {
      assert.equal(decodeEnumTypeFlags(BigInt(v!), t, e.bitNumbers), want, `${name} ${v}`);
    }
  }
  const flags = makeObject(prog, "unsigned long", { value: 0x10200n });
  assert.equal(decodeEnumTypeFlags(flags, prog.type("enum pageflags")), "PG_slab|PG_head");
  assert.throws(() => decodeEnumTypeFlags(1, prog.type("struct task_struct")), TypeError);
});

Deno.test("escapeAsciiString / escapeAsciiCharacter: every byte as drgn", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  assert.equal(escapeAsciiString(all), g.escapeAll);
  assert.equal(
    escapeAsciiString(all, {
      escapeSingleQuote: true,
      escapeDoubleQuote: true,
      escapeBackslash: true,
    }),
    g.escapeAllQuoted,
  );
  for (const [c, want] of g.escapeCharacters) {
    assert.equal(escapeAsciiCharacter(c, { escapeSingleQuote: true }), want, String(c));
  }
});
