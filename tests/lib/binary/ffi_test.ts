/**
 * Results declared in registers (lib/binary/ffi.ts `inRegister`): libc
 * functions declared with one-member struct results return what C returns
 * (negative ints, 64-bit values, pointers and null), and a library opened
 * that way runs the calls mmap.ts and native_codecs.ts make.
 */

import assert from "node:assert/strict";
import {
  inRegister,
  openNativeLibrary,
  resultI32,
  resultPointer,
  resultU64,
} from "../../../lib/binary/ffi.ts";

const LIBC = {
  getpid: { parameters: [], result: inRegister("i32") },
  atoi: { parameters: ["buffer"], result: inRegister("i32") },
  atoll: { parameters: ["buffer"], result: inRegister("i64") },
  strlen: { parameters: ["buffer"], result: inRegister("usize") },
  strchr: { parameters: ["buffer", "i32"], result: inRegister("pointer") },
  abs: { parameters: ["i32"], result: inRegister("u32") },
} as const;

const cstr = (s: string) => new TextEncoder().encode(s + "\0");

Deno.test("inRegister: libc's results read as C returns them", () => {
  const c = openNativeLibrary(["libc.so.6"], LIBC);
  assert.ok(c !== null, "the tests run with FFI allowed on Linux");
  assert.equal(resultI32(c.getpid()), Deno.pid);
  for (const v of [0, 1, -1, -42, 2147483647, -2147483648, 0x12345678]) {
    assert.equal(resultI32(c.atoi(cstr(String(v)))), v, `atoi(${v})`);
  }
  for (const v of [0n, -1n, 1n << 40n, -(1n << 62n), 0x7fffffffffffffffn]) {
    assert.equal(BigInt.asIntN(64, resultU64(c.atoll(cstr(String(v))))), v, `atoll(${v})`);
  }
  assert.equal(resultU64(c.strlen(cstr("x".repeat(1000)))), 1000n);
  // abs() as an unsigned 32-bit result: the same bits, read as signed.
  assert.equal(resultI32(c.abs(-7)), 7);
  const buf = cstr("hello, world");
  const at = resultPointer(c.strchr(buf, "w".charCodeAt(0)));
  assert.ok(at !== null);
  assert.equal(
    Deno.UnsafePointer.value(at),
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)) + 7n,
  );
  assert.equal(resultPointer(c.strchr(buf, "z".charCodeAt(0))), null, "not found: NULL");
});
