/**
 * Objects the kernel target provides without (or beside) debug info:
 * `UTS_RELEASE`, `PAGE_SIZE`, `PAGE_SHIFT`, `PAGE_MASK`, `VMCOREINFO`,
 * `PAGE_OFFSET`, `vmemmap`, `THREAD_SIZE`, and `jiffies`, which on x86-64
 * is a linker alias of `jiffies_64` with no DWARF variable (drgn 0.0.22
 * raises KeyError for it; here it is the `volatile unsigned long` at the
 * `jiffies` symbol, as the kernel declares it).
 *
 * @module
 */

import { FindObjectFlags, type Program } from "../program/program.ts";
import { newReference, newValue, type TypedObject } from "../object/typed_object.ts";
import { makeType, Qualifiers } from "../types/type.ts";
import type { KernelInfo } from "./kernel.ts";

function info(prog: Program): KernelInfo {
  return prog.targetData.get("kernel") as KernelInfo;
}

/** A `char [n]` value holding `s` and its NUL. */
function charArray(prog: Program, s: string): TypedObject {
  const bytes = new TextEncoder().encode(s);
  const withNul = new Uint8Array(bytes.length + 1);
  withNul.set(bytes);
  const t = makeType.array(prog.primitiveType("char"), withNul.length);
  return newValue(prog, t, withNul);
}

/** Registers the kernel's built-in object finder (tried after the debug info). */
export function installKernelObjectFinder(prog: Program): void {
  prog.addObjectFinder((p: Program, name: string, flags: number) => {
    const k = info(p);
    const vi = k.vmcoreinfo;
    const constant = (flags & FindObjectFlags.CONSTANT) !== 0;
    const variable = (flags & FindObjectFlags.VARIABLE) !== 0;
    switch (name) {
      case "UTS_RELEASE":
        return constant ? charArray(p, vi.osrelease) : null;
      case "VMCOREINFO":
        return constant ? charArray(p, vi.raw.replace(/\0+$/, "")) : null;
      case "PAGE_SIZE":
        return constant ? newValue(p, p.primitiveType("unsigned long"), BigInt(vi.pageSize)) : null;
      case "PAGE_SHIFT":
        return constant ? newValue(p, p.primitiveType("int"), BigInt(vi.pageShift)) : null;
      case "PAGE_MASK":
        return constant
          ? newValue(
            p,
            p.primitiveType("unsigned long"),
            BigInt.asUintN(64, ~BigInt(vi.pageSize - 1)),
          )
          : null;
      case "THREAD_SIZE": {
        if (!constant) return null;
        // x86-64: PAGE_SIZE << THREAD_SIZE_ORDER (2, or 3 with KASAN).
        const kasan = p.tryObject("kasan_early_shadow_page", FindObjectFlags.VARIABLE) !== null;
        return newValue(
          p,
          p.primitiveType("unsigned long"),
          BigInt(vi.pageSize) << (kasan ? 3n : 2n),
        );
      }
      case "PAGE_OFFSET": {
        if (!constant) return null;
        const po = pageOffset(p);
        return po === null ? null : newValue(p, p.primitiveType("unsigned long"), po);
      }
      case "vmemmap": {
        if (!constant) return null;
        const base = p.tryObject("vmemmap_base", FindObjectFlags.VARIABLE);
        if (base === null) return null;
        const page = p.findTypeByKind("struct", "page");
        if (page === null) return null;
        return newValue(p, p.pointerType(page), base.value_() as bigint);
      }
      case "jiffies": {
        if (!variable || k === undefined) return null;
        let sym;
        try {
          sym = p.symbol("jiffies");
        } catch {
          return null;
        }
        const t = p.primitiveType("unsigned long").qualified(Qualifiers.VOLATILE);
        return newReference(p, t, sym.address);
      }
    }
    return null;
  }, "linux");
}

/** The direct map base (`page_offset_base` with KASLR), or null if unknown. */
export function pageOffset(prog: Program): bigint | null {
  const k = info(prog);
  if (k.pageOffset !== null) return k.pageOffset;
  const v = prog.tryObject("page_offset_base", FindObjectFlags.VARIABLE);
  if (v !== null) {
    try {
      k.pageOffset = v.value_() as bigint;
      return k.pageOffset;
    } catch {
      return null;
    }
  }
  return null;
}
