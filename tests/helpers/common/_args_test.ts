/**
 * helpers/common/_args.ts: the `(prog, value)` / `(object)` argument forms
 * the helpers share, on the fixture kernel's program and objects.
 */

import assert from "node:assert/strict";
import { progAndValue, toBigInt, wordValue } from "../../../helpers/common/_args.ts";
import { makeObject } from "../../../lib/object/typed_object.ts";
import { helperProgram } from "../linux/_mm_slab_fs.ts";

Deno.test("progAndValue / toBigInt: both call forms, unsigned 64-bit values, caller mistakes", async () => {
  const prog = await helperProgram("kdump");
  const ptr = prog.object("init_task").addressOf_();
  assert.deepEqual(progAndValue(ptr, undefined), [prog, ptr.value_()]);
  assert.deepEqual(progAndValue(prog, 0x1000), [prog, 0x1000n]);
  assert.deepEqual(progAndValue(prog, -1n), [prog, 0xffffffffffffffffn]);
  assert.equal(toBigInt(makeObject(prog, "int", { value: -2 })), 0xfffffffffffffffen);
  assert.equal(toBigInt(makeObject(prog, "_Bool", { value: true })), 1n);
  assert.throws(() => progAndValue(prog, undefined), TypeError);
  assert.throws(() => progAndValue(ptr, 1), TypeError);
  assert.throws(() => toBigInt(1.5), TypeError);
  assert.throws(() => toBigInt(prog.object("init_task")), TypeError);
});

Deno.test("wordValue: little- and big-endian words, short trailing words", () => {
  const b = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(wordValue(b, true), 0x0807060504030201n);
  assert.equal(wordValue(b, false), 0x0102030405060708n);
  assert.equal(wordValue(b.subarray(0, 3), true), 0x030201n);
});
