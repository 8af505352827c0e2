/**
 * The DWARF factory: turns a module's ELF file into the type and object
 * lookups the program's finders call (see `debug_info.ts`). Sections are
 * gathered here (decompressed, and relocated for kernel modules by their
 * load addresses), so the DWARF layer only ever sees bytes.
 *
 * @module
 */

import { ET, SHT } from "../elf/constants.ts";
import type { ElfFile } from "../elf/elf_file.ts";
import { relocatedSectionData } from "../elf/relocations.ts";
import { DwarfInfo, type ObjectLookupKind } from "../dwarf/dwarf_info.ts";
import { DWARF_SECTION_NAMES, type DwarfSections } from "../dwarf/sections.ts";
import type { Program } from "./program.ts";
import { FindObjectFlags } from "./program.ts";
import type { DebugInfoSource, Module, ObjectDescriptor } from "./module.ts";
import { setDwarfFactory } from "./debug_info.ts";

/** The DWARF sections of `elf`, relocated for `ET_REL` files with `sectionAddress`. */
export function dwarfSectionsOf(
  elf: ElfFile,
  sectionAddress?: (shndx: number) => bigint,
): DwarfSections | null {
  const out: Partial<Record<keyof DwarfSections, Uint8Array>> = {};
  for (const [key, name] of Object.entries(DWARF_SECTION_NAMES)) {
    const sec = elf.section(name);
    if (!sec || sec.type === SHT.NOBITS) continue;
    out[key as keyof DwarfSections] = elf.type === ET.REL
      ? relocatedSectionData(elf, sec, sectionAddress)
      : elf.sectionData(sec);
  }
  if (!out.info || !out.abbrev || out.info.length === 0) return null;
  return out as DwarfSections;
}

function kindsOf(flags: number): ObjectLookupKind[] {
  const k: ObjectLookupKind[] = [];
  if (flags & FindObjectFlags.VARIABLE) k.push("variable");
  if (flags & FindObjectFlags.FUNCTION) k.push("function");
  if (flags & FindObjectFlags.CONSTANT) k.push("constant");
  return k;
}

/** A module's DWARF as a {@link DebugInfoSource}. */
export class DwarfSource implements DebugInfoSource {
  readonly dwarf: DwarfInfo;
  readonly #relocate: ((a: bigint) => bigint) | null;

  constructor(dwarf: DwarfInfo, relocate: ((a: bigint) => bigint) | null) {
    this.dwarf = dwarf;
    this.#relocate = relocate;
  }

  get mainLanguage(): "C" | "C++" | null {
    return this.dwarf.language;
  }

  findType(
    kind: "struct" | "union" | "class" | "enum" | "typedef" | "base",
    name: string,
  ): ReturnType<DebugInfoSource["findType"]> {
    return this.dwarf.findType(name, kind);
  }

  findObject(name: string, flags: number): ObjectDescriptor | null {
    const kinds = kindsOf(flags);
    if (kinds.length === 0) return null;
    for (const o of this.dwarf.findObjects(name, kinds, 4)) {
      if (o.kind === "variable" && o.isDeclaration && o.constValue === undefined) continue;
      const rel = this.#relocate;
      if (rel !== null && (o.kind === "variable" || o.kind === "function") && o.address !== null) {
        return { ...o, address: rel(o.address) };
      }
      return o;
    }
    return null;
  }
}

setDwarfFactory((_prog: Program, module: Module, elf: ElfFile) => {
  const sectionAddress = module.data.get("sectionAddress") as
    | ((shndx: number) => bigint)
    | undefined;
  const sections = dwarfSectionsOf(elf, sectionAddress);
  if (sections === null) return null;
  const relocate = (module.data.get("relocate") as ((a: bigint) => bigint) | undefined) ?? null;
  const dwarf = new DwarfInfo(sections, {
    littleEndian: elf.littleEndian,
    bias: relocate !== null ? 0n : module.bias,
    name: elf.path,
  });
  dwarf.buildIndex();
  module.data.set("dwarf", dwarf);
  module.data.set("elf", elf);
  return new DwarfSource(dwarf, relocate);
});
