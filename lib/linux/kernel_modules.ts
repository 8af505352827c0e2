/**
 * The kernel's loaded modules, read from the `modules` list: name, address
 * range, section addresses (for relocating the module's debug info) and
 * build ID (from the module's notes).
 *
 * @module
 */

import { FaultError } from "../errors.ts";
import type { Program } from "../program/program.ts";
import type { TypedObject } from "../object/typed_object.ts";
import { containerOf } from "../object/operators.ts";
import { findBuildIdNote } from "../targets/userspace_core.ts";

/** A module as the kernel recorded it. */
export interface LoadedModule {
  readonly name: string;
  /** `struct module *`. */
  readonly object: TypedObject;
  /** Start and end of its core (text and data) memory. */
  readonly start: bigint;
  readonly end: bigint;
  /** Section name → load address (from `sect_attrs`). */
  readonly sections: Map<string, bigint>;
  /** Build ID (from `notes_attrs`), or null. */
  readonly buildId: string | null;
}

/** Iterates `struct list_head` entries of `head` as `type *` containers. */
function* listEntries(head: TypedObject, type: string, member: string): Generator<TypedObject> {
  const first = head.member_("next");
  let pos = first;
  const headAddr = head.address_!;
  for (let i = 0; i < 100000; i++) {
    const a = pos.value_() as bigint;
    if (a === headAddr || a === 0n) return;
    yield containerOf(pos, type, member);
    pos = pos.member_("next");
  }
}

/** Start and end of a module's memory (before and after Linux 6.4's `mem[]`). */
function moduleRange(mod: TypedObject): [bigint, bigint] {
  if (mod.hasMember_("core_layout")) {
    const base = mod.member_("core_layout").member_("base").value_() as bigint;
    const size = BigInt(mod.member_("core_layout").member_("size").value_() as number);
    return [base, base + size];
  }
  // Linux kernel commit ac3b43283923 ("module: replace module_layout with module_memory") (in v6.4).
  const mem = mod.member_("mem");
  let lo = 0xffffffffffffffffn;
  let hi = 0n;
  const n = mem.type_.length ?? 0;
  for (let i = 0; i < n; i++) {
    const base = mem.subscript_(i).member_("base").value_() as bigint;
    const size = BigInt(mem.subscript_(i).member_("size").value_() as number);
    if (size === 0n) continue;
    if (base < lo) lo = base;
    if (base + size > hi) hi = base + size;
  }
  return lo <= hi ? [lo, hi] : [0n, 0n];
}

function sectionAddresses(mod: TypedObject): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if (!mod.hasMember_("sect_attrs")) return out;
  const sa = mod.member_("sect_attrs");
  if (sa.value_() === 0n) return out;
  const n = sa.member_("nsections").value_() as number;
  const attrs = sa.member_("attrs");
  for (let i = 0; i < n && i < 4096; i++) {
    const a = attrs.subscript_(i);
    // Linux kernel commit ed66f991bb19 ("module: Refactor section attr into bin attribute") (in v5.8).
    const nameObj = a.hasMember_("battr")
      ? a.member_("battr").member_("attr").member_("name")
      : a.member_("name");
    try {
      out.set(nameObj.string_(), a.member_("address").value_() as bigint);
    } catch (e) {
      if (!(e instanceof FaultError)) throw e;
    }
  }
  return out;
}

function buildId(prog: Program, mod: TypedObject): string | null {
  if (!mod.hasMember_("notes_attrs")) return null;
  try {
    const na = mod.member_("notes_attrs");
    if (na.value_() === 0n) return null;
    const n = na.member_("notes").value_() as number;
    const attrs = na.member_("attrs");
    for (let i = 0; i < n && i < 64; i++) {
      const a = attrs.subscript_(i);
      const priv = a.member_("private").value_() as bigint;
      const size = Number(a.member_("size").value_());
      if (priv === 0n || size <= 0 || size > 4096) continue;
      const id = findBuildIdNote(prog.read(priv, size), prog.platform.littleEndian);
      if (id) return id;
    }
  } catch (e) {
    if (!(e instanceof FaultError)) throw e;
  }
  return null;
}

/** Iterates the kernel's loaded modules (`struct module` on the `modules` list). */
export function* forEachLoadedModule(prog: Program): Generator<LoadedModule> {
  const head = prog.variable("modules");
  for (const mod of listEntries(head, "struct module", "list")) {
    const [start, end] = moduleRange(mod);
    yield {
      name: mod.member_("name").string_(),
      object: mod,
      start,
      end,
      sections: sectionAddresses(mod),
      buildId: buildId(prog, mod),
    };
  }
}
