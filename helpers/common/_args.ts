// Argument handling shared by helpers that take drgn's two call forms:
// `helper(prog, 0x1234n)` or `helper(obj)`, where `obj` is an integer or
// pointer object that also gives the program.

import type { Program } from "../../lib/program/program.ts";
import { TypedObject } from "../../lib/object/typed_object.ts";

/** An integer argument: a JavaScript number or bigint, or an integer/pointer object. */
export type IntegerLike = bigint | number | TypedObject;

/** The integer value of `x` as an unsigned 64-bit bigint (objects: their value). */
export function toBigInt(x: IntegerLike): bigint {
  if (typeof x === "bigint") return BigInt.asUintN(64, x);
  if (typeof x === "number") {
    if (!Number.isInteger(x)) throw new TypeError(`${x} is not an integer`);
    return BigInt.asUintN(64, BigInt(x));
  }
  const v = x.value_();
  if (typeof v === "bigint") return BigInt.asUintN(64, v);
  if (typeof v === "number" && Number.isInteger(v)) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === "boolean") return v ? 1n : 0n;
  throw new TypeError(`'${x.type_.typeName()}' is not an integer or pointer`);
}

/**
 * Resolves `(prog, value)` or `(obj)`: the program and the integer value.
 * Throws TypeError when a program comes without a value.
 */
export function progAndValue(
  progOrObj: Program | TypedObject,
  value: IntegerLike | undefined,
  what = "address",
): [Program, bigint] {
  if (progOrObj instanceof TypedObject) {
    if (value !== undefined) throw new TypeError(`expected (prog, ${what}) or (object)`);
    return [progOrObj.prog_ as Program, toBigInt(progOrObj)];
  }
  if (value === undefined) throw new TypeError(`missing ${what}`);
  return [progOrObj, toBigInt(value)];
}

/** The program an object belongs to. */
export function progOf(obj: TypedObject): Program {
  return obj.prog_ as Program;
}

/** An unsigned integer from up to 8 bytes (a short trailing word uses the bytes it has). */
export function wordValue(bytes: Uint8Array, littleEndian: boolean): bigint {
  let v = 0n;
  if (littleEndian) {
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  } else {
    for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]!);
  }
  return v;
}
