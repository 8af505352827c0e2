/**
 * The DWARF sections a {@link DwarfInfo} reads, as raw bytes. The ELF layer
 * gathers them (decompressing and relocating where needed); DWARF code never
 * sees the ELF file.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";

/** Section bytes by role. Only `info` and `abbrev` are required. */
export interface DwarfSections {
  /** `.debug_info` */
  info: Uint8Array;
  /** `.debug_abbrev` */
  abbrev: Uint8Array;
  /** `.debug_str` */
  str?: Uint8Array;
  /** `.debug_line_str` (DWARF 5) */
  lineStr?: Uint8Array;
  /** `.debug_str_offsets` (DWARF 5, or GNU split DWARF) */
  strOffsets?: Uint8Array;
  /** `.debug_addr` (DWARF 5, or GNU split DWARF) */
  addr?: Uint8Array;
  /** `.debug_rnglists` (DWARF 5) */
  rnglists?: Uint8Array;
  /** `.debug_ranges` (DWARF 2–4) */
  ranges?: Uint8Array;
  /** `.debug_loclists` (DWARF 5) */
  loclists?: Uint8Array;
  /** `.debug_loc` (DWARF 2–4) */
  loc?: Uint8Array;
  /** `.debug_types` (DWARF 4 type units) */
  types?: Uint8Array;
  /** `.debug_line` */
  line?: Uint8Array;
  /** `.debug_aranges` */
  aranges?: Uint8Array;
}

/** ELF section names of each {@link DwarfSections} field. */
export const DWARF_SECTION_NAMES: Readonly<Record<keyof DwarfSections, string>> = {
  info: ".debug_info",
  abbrev: ".debug_abbrev",
  str: ".debug_str",
  lineStr: ".debug_line_str",
  strOffsets: ".debug_str_offsets",
  addr: ".debug_addr",
  rnglists: ".debug_rnglists",
  ranges: ".debug_ranges",
  loclists: ".debug_loclists",
  loc: ".debug_loc",
  types: ".debug_types",
  line: ".debug_line",
  aranges: ".debug_aranges",
};

/** Largest section the index supports (offsets are stored as 32-bit values). */
export const MAX_SECTION_SIZE = 0xffffffff;

/**
 * Builds a {@link DwarfSections} from a map keyed by ELF section name
 * (`".debug_info"` …). Throws a {@link DecodeError} if `.debug_info` or
 * `.debug_abbrev` is missing or a section is too large to index.
 */
export function dwarfSectionsFromMap(
  sections: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
): DwarfSections {
  const get = (name: string): Uint8Array | undefined =>
    sections instanceof Map ? sections.get(name) : (sections as Record<string, Uint8Array>)[name];
  const out: Partial<DwarfSections> = {};
  for (const [key, name] of Object.entries(DWARF_SECTION_NAMES)) {
    const data = get(name);
    if (data !== undefined) (out as Record<string, Uint8Array>)[key] = data;
  }
  return checkSections(out);
}

/** Checks that the required sections are present and every section is indexable. */
export function checkSections(s: Partial<DwarfSections>): DwarfSections {
  if (s.info === undefined) throw new DecodeError(".debug_info", 0, "section is missing");
  if (s.abbrev === undefined) throw new DecodeError(".debug_abbrev", 0, "section is missing");
  for (const [key, name] of Object.entries(DWARF_SECTION_NAMES)) {
    const data = (s as Record<string, Uint8Array | undefined>)[key];
    if (data !== undefined && data.length > MAX_SECTION_SIZE) {
      throw new DecodeError(name, 0, `section is too large (${data.length} bytes)`);
    }
  }
  return s as DwarfSections;
}
