/**
 * Types made by a script (drgn's `prog.int_type()` … as `prog.intType()` …),
 * `prog.cache`, and objects from bytes (`Object.from_bytes_()` as
 * `TypedObject.fromBytes_()`). The expected strings and values are what
 * drgn 0.0.22 gives for the same calls on an x86-64 program.
 */

import assert from "node:assert/strict";
import "../../../lib/object/format_object.ts";
import "../../../lib/types/format_type.ts";
import { Program } from "../../../lib/program/program.ts";
import { TypedObject } from "../../../lib/object/typed_object.ts";
import { Qualifiers, TypeEnumerator, TypeMember, TypeParameter } from "../../../lib/types/type.ts";

Deno.test("prog.intType() and the other type constructors format as drgn's", () => {
  const prog = new Program();
  const int = prog.intType("int", 4, true);
  const u8 = prog.intType("u8", 1, false);
  const point = prog.structType("point", 8, [
    new TypeMember(int, "x", 0),
    new TypeMember(int, "y", 32),
  ]);
  assert.equal(String(point), "struct point {\n\tint x;\n\tint y;\n}");
  assert.equal(
    String(prog.unionType("u", 4, [new TypeMember(int, "a"), new TypeMember(u8, "b")])),
    "union u {\n\tint a;\n\tu8 b;\n}",
  );
  assert.equal(String(prog.structType("opaque")), "struct opaque");
  assert.equal(prog.structType("opaque").isComplete(), false);
  const color = prog.enumType("color", prog.intType("unsigned int", 4, false), [
    new TypeEnumerator("RED", 0n),
    new TypeEnumerator("GREEN", 7n),
  ]);
  assert.equal(String(color), "enum color {\n\tRED = 0,\n\tGREEN = 7,\n}");
  assert.equal(color.size, 4);
  assert.equal(String(prog.typedefType("point_t", point)), "typedef struct point point_t");
  const fn = prog.functionType(
    int,
    [new TypeParameter(int, "a"), new TypeParameter(prog.pointerType(point), "p")],
    true,
  );
  assert.equal(String(prog.pointerType(fn)), "int (*)(int a, struct point *p, ...)");
  assert.equal(String(prog.intType("int", 4, true, { qualifiers: Qualifiers.CONST })), "const int");
  assert.equal(String(prog.boolType("_Bool", 1)), "_Bool");
  assert.equal(String(prog.floatType("double", 8)), "double");
  assert.equal(String(prog.voidType()), "void");
  assert.equal(prog.intType("be", 4, true, { byteorder: "big" }).littleEndian, false);
  // drgn's ValueErrors.
  assert.throws(() => prog.structType("bad", 8), /incomplete struct type must not have a size/);
  assert.throws(
    () => prog.structType("bad", null, []),
    /struct type with members must have a size/,
  );
  assert.throws(() => prog.intType("x", 0, true), RangeError);
  assert.throws(() => prog.intType("x", 4, true, { byteorder: "middle" as never }), RangeError);
  assert.throws(() => prog.enumType("e", int), RangeError);
});

Deno.test("prog.cache keeps what scripts put there", () => {
  const prog = new Program();
  prog.cache.set("k", 42);
  assert.equal(prog.cache.get("k"), 42);
  assert.equal(new Program().cache.has("k"), false);
});

Deno.test("TypedObject.fromBytes_(): values, bit fields and byte orders, as drgn", () => {
  const prog = new Program();
  const int = prog.intType("int", 4, true);
  const uint = prog.intType("unsigned int", 4, false);
  const b = (...x: number[]) => new Uint8Array(x);
  assert.equal(TypedObject.fromBytes_(prog, int, b(1, 0, 0, 0x80)).value_(), -2147483647);
  const bits = { bitOffset: 4, bitFieldSize: 8 };
  assert.equal(TypedObject.fromBytes_(prog, uint, b(0xff, 0x0f, 0, 0), bits).value_(), 255);
  assert.equal(TypedObject.fromBytes_(prog, int, b(0xff, 0x0f, 0, 0), bits).value_(), -1);
  const point = prog.structType("point", 8, [
    new TypeMember(int, "x", 0),
    new TypeMember(int, "y", 32),
  ]);
  assert.equal(
    String(TypedObject.fromBytes_(prog, point, b(1, 0, 0, 0, 2, 0, 0, 0))),
    "(struct point){\n\t.x = (int)1,\n\t.y = (int)2,\n}",
  );
  const be = prog.intType("be", 4, true, { byteorder: "big" });
  assert.equal(TypedObject.fromBytes_(prog, be, b(0, 0, 1, 2)).value_(), 258);
  const ube = prog.intType("unsigned int", 4, false, { byteorder: "big" });
  assert.equal(TypedObject.fromBytes_(prog, ube, b(0xf0, 0xff, 0, 0), bits).value_(), 15);
  assert.throws(() => TypedObject.fromBytes_(prog, int, b(1, 2)), /out of bounds/);
  assert.throws(() => TypedObject.fromBytes_(prog, point, b(0), bits), TypeError);
});
