/**
 * A minimal program for unit tests of the object layer: memory from byte
 * arrays, types given directly, primitive types synthesized.
 */

import { BytesSource, MemoryReader } from "../lib/memory/memory_reader.ts";
import { X86_64 } from "../lib/platform.ts";
import { makeType, type Type } from "../lib/types/type.ts";
import type { ObjectProgram } from "../lib/object/typed_object.ts";

const PRIM: Record<string, [string, number, boolean]> = {
  "int": ["int", 4, true],
  "unsigned int": ["int", 4, false],
  "long": ["int", 8, true],
  "unsigned long": ["int", 8, false],
  "char": ["int", 1, true],
  "ptrdiff_t": ["int", 8, true],
  "_Bool": ["bool", 1, false],
  "double": ["float", 8, true],
  "float": ["float", 4, true],
};

/** A mock program: named types, memory segments, x86-64. */
export class MockProgram implements ObjectProgram {
  readonly platform = X86_64;
  readonly memory = new MemoryReader();
  readonly types = new Map<string, Type>();
  #prims = new Map<string, Type>();

  /** Maps `bytes` at `address`. */
  map(address: bigint, bytes: Uint8Array): void {
    this.memory.addSegment(address, BigInt(bytes.length), new BytesSource(bytes));
  }

  type(name: string | Type): Type {
    if (typeof name !== "string") return name;
    const t = this.types.get(name) ?? this.#prim(name);
    if (!t) throw new Error(`mock: no type ${name}`);
    return t;
  }

  #prim(name: string): Type | undefined {
    const p = PRIM[name];
    if (!p) return undefined;
    let t = this.#prims.get(name);
    if (!t) {
      const [k, size, signed] = p;
      t = k === "bool"
        ? makeType.bool(name, size)
        : k === "float"
        ? makeType.float(name, size)
        : makeType.int(name, size, signed);
      this.#prims.set(name, t);
    }
    return t;
  }

  pointerType(target: Type): Type {
    let p = target.core.slots.get("mockptr") as Type | undefined;
    if (!p) {
      p = makeType.pointer(target, 8);
      target.core.slots.set("mockptr", p);
    }
    return p;
  }

  primitiveType(name: string): Type {
    return this.type(name);
  }
}
