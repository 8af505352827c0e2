/**
 * Loaded kernel modules (`struct module` on the `modules` list, from the
 * kernel's `include/linux/module.h`).
 *
 * @example List the loaded modules, newest first
 * ```ts
 * import { forEachModule } from "./module.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const names = [...forEachModule(prog)].map((m) => m.name.string_());
 * if (names.join() !== "minix,dummy,brd,loop,qemu_fw_cfg") throw new Error(names.join());
 * ```
 *
 * @module
 */

import type { Program } from "../../lib/program/program.ts";
import { NULL } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { listForEachEntry } from "./list.ts";

/** A memory region of a module: `[start, start + size)`. */
export interface ModuleRegion {
  /** The first address. */
  readonly start: bigint;
  /** The size in bytes. */
  readonly size: bigint;
}

/**
 * Iterates over the loaded modules in the order of the `modules` list
 * (the most recently loaded first, as `/proc/modules` lists them).
 *
 * @param prog the program (a kernel)
 * @returns an iterator of `struct module *`
 * @throws {ValidationError} if the list has a cycle
 *
 * @example
 * ```ts
 * import { forEachModule } from "./module.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachModule(prog)].length !== 5) throw new Error();
 * ```
 */
export function* forEachModule(prog: Program): Generator<TypedObject> {
  yield* listForEachEntry("struct module", prog.object("modules").addressOf_(), "list");
}

/**
 * The loaded module named `name` (`find_module()`), or a `NULL`
 * `struct module *`.
 *
 * @param prog the program (a kernel)
 * @param name the module name (`"loop"`)
 * @returns `struct module *`
 *
 * @example
 * ```ts
 * import { findModule } from "./module.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (findModule(prog, "loop").name.string_() !== "loop") throw new Error();
 * if (findModule(prog, "ext4").value_() !== 0n) throw new Error("ext4 is built in");
 * ```
 */
export function findModule(prog: Program, name: string): TypedObject {
  for (const mod of forEachModule(prog)) {
    if (mod.member_("name").string_() === name) return mod;
  }
  return NULL(prog, "struct module *");
}

/**
 * The memory regions of a module (text, data, init sections), as the
 * kernel lays them out: `mem[MOD_MEM_NUM_TYPES]` since Linux kernel commit
 * ac3b43283923 ("module: replace module_layout with module_memory") (in
 * v6.4); `core_layout`, `init_layout` and, where it exists, `data_layout`
 * before; `module_core`/`core_size` and `module_init`/`init_size` before
 * Linux kernel commit 7523e4dc5057 ("module: use a structure to
 * encapsulate layout.") (in v4.5). Empty regions are left out.
 *
 * @param mod `struct module *`
 * @returns the regions
 *
 * @example
 * ```ts
 * import { findModule, moduleAddressRegions } from "./module.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const [core] = moduleAddressRegions(findModule(prog, "minix"));
 * if (core!.size !== 49152n) throw new Error();
 * ```
 */
export function moduleAddressRegions(mod: TypedObject): ModuleRegion[] {
  const out: ModuleRegion[] = [];
  const add = (start: TypedObject, size: TypedObject) => {
    const s = BigInt(size.value_() as number | bigint);
    if (s !== 0n) out.push({ start: BigInt(start.value_() as bigint), size: s });
  };
  if (mod.hasMember_("mem")) {
    const mem = mod.member_("mem");
    for (let i = 0; i < (mem.type_.length ?? 0); i++) {
      const m = mem.subscript_(i);
      add(m.member_("base"), m.member_("size"));
    }
    return out;
  }
  if (mod.hasMember_("core_layout")) {
    for (const name of ["core_layout", "init_layout", "data_layout"]) {
      if (!mod.hasMember_(name)) continue;
      const l = mod.member_(name);
      add(l.member_("base"), l.member_("size"));
    }
    return out;
  }
  add(mod.member_("module_core"), mod.member_("core_size"));
  add(mod.member_("module_init"), mod.member_("init_size"));
  return out;
}

/**
 * The module whose memory contains `address` (`__module_address()`), or
 * a `NULL` `struct module *`.
 *
 * @param prog the program (a kernel)
 * @param address a kernel address
 * @returns `struct module *`
 *
 * @example
 * ```ts
 * import { addressToModule } from "./module.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const addr = prog.function("brd_submit_bio").address_!;
 * if (addressToModule(prog, addr).name.string_() !== "brd") throw new Error();
 * ```
 */
export function addressToModule(prog: Program, address: bigint | number): TypedObject {
  const a = BigInt(address);
  for (const mod of forEachModule(prog)) {
    for (const r of moduleAddressRegions(mod)) {
      if (a >= r.start && a - r.start < r.size) return mod;
    }
  }
  return NULL(prog, "struct module *");
}
