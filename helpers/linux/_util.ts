// Shared plumbing for the Linux helpers: raw pointer reads for the hot
// loops, entry-pointer construction without re-parsing member designators,
// drgn-style pointer formatting for validation messages, and cycle
// detection (Brent's algorithm) so that no walk over target data can loop
// forever.

import { ValidationError } from "../../lib/errors.ts";
import { offsetOfBits } from "../../lib/object/operators.ts";
import {
  newValue,
  type ObjectProgram,
  ReadKind,
  readPlan,
  type TypedObject,
} from "../../lib/object/typed_object.ts";
import { type Type, underlyingType } from "../../lib/types/type.ts";

const scratch = new Uint8Array(8);
const view = new DataView(scratch.buffer);

/** Reads a target word (pointer-sized, `size` bytes) at `address`. */
export function readWord(prog: ObjectProgram, address: bigint, size = 8): bigint {
  prog.memory.readInto(address, scratch, 0, size);
  const le = prog.platform.littleEndian;
  return size === 8 ? view.getBigUint64(0, le) : BigInt(view.getUint32(0, le));
}

/**
 * `obj` as a pointer value: pointers are read, and a reference to a
 * structure (`prog.object("init_task").tasks`) becomes its address, so
 * helpers accept both `&head` and `head`.
 */
export function asPointer(obj: TypedObject, what: string): TypedObject {
  const plan = readPlan(obj.type_);
  if (plan.rk === ReadKind.Pointer) return obj.read_();
  if (plan.rk === ReadKind.Compound && obj.kind_ === "reference") return obj.addressOf_();
  throw new TypeError(`${what} must be a pointer, not '${obj.type_.typeName()}'`);
}

/** The address a pointer object holds. */
export function pointerValue(ptr: TypedObject): bigint {
  return ptr.value_() as bigint;
}

/** The type a pointer type points to. */
export function pointee(ptrType: Type): Type {
  return underlyingType(ptrType).type;
}

/** How to turn the address of a member into a pointer to its container (`container_of`). */
export interface Container {
  readonly prog: ObjectProgram;
  /** `type *`. */
  readonly pointerType: Type;
  /** Byte offset of the member in `type`. */
  readonly offset: bigint;
}

/** Precomputes `container_of(…, type, member)`. */
export function container(prog: ObjectProgram, type: string | Type, member: string): Container {
  const t = prog.type(type);
  const bits = offsetOfBits(t, member);
  if (bits % 8 !== 0) throw new TypeError("container_of() member is not byte-aligned");
  return { prog, pointerType: prog.pointerType(t), offset: BigInt(bits / 8) };
}

/** `container_of(address, type, member)` for a precomputed {@link Container}. */
export function containerAt(c: Container, memberAddress: bigint): TypedObject {
  return newValue(c.prog, c.pointerType, BigInt.asUintN(64, memberAddress - c.offset));
}

/** A pointer value object of `ptrType` holding `address`. */
export function pointerObject(prog: ObjectProgram, ptrType: Type, address: bigint): TypedObject {
  return newValue(prog, ptrType, address);
}

/** Byte offset of `member` in the (underlying) structure type `type`. */
export function memberOffset(type: Type, member: string): bigint {
  return BigInt(underlyingType(type).member(member).bitOffset >> 3);
}

/** drgn's `format_(dereference=False, symbolize=False)` of a pointer. */
export function formatPointer(obj: TypedObject, typeName = true): string {
  return obj.format_({ dereference: false, symbolize: false, typeName });
}

/** `0x…` of an address. */
export function hexAddress(address: bigint): string {
  return "0x" + address.toString(16);
}

/**
 * Brent's cycle detection over a sequence of addresses: {@link step}
 * returns true once an address repeats within a cycle. It costs one
 * comparison per step and finds a cycle within about twice its length
 * past the point where it starts.
 */
export class CycleDetector {
  #tortoise: bigint;
  #power = 1;
  #lam = 0;
  constructor(start: bigint) {
    this.#tortoise = start;
  }
  /** Feeds the next address; true if it closes a cycle. */
  step(address: bigint): boolean {
    if (address === this.#tortoise) return true;
    if (++this.#lam === this.#power) {
      this.#tortoise = address;
      this.#power *= 2;
      this.#lam = 0;
    }
    return false;
  }
}

/** Throws the error a walk reports when it finds a cycle. */
export function cycleError(what: string, start: TypedObject, at: bigint): ValidationError {
  return new ValidationError(
    `${what} ${formatPointer(start)} has a cycle that does not return to its head (at ${
      hexAddress(at)
    })`,
  );
}
