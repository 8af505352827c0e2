/**
 * The DWARF sections a {@link DwarfInfo} reads, as raw bytes. The ELF layer
 * gathers them (decompressing and relocating where needed); DWARF code never
 * sees the ELF file.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { cstringAt } from "../binary/byte_reader.ts";

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

/**
 * Reads section bytes `[offset, offset + dest.length)` into `dest` (from the
 * file, for a {@link lazySection}). Throws if they cannot be read.
 */
export type SectionReader = (offset: number, dest: Uint8Array) => void;

/** Fill granularity of a lazy section: 64 KiB blocks. */
const LAZY_BLOCK_SHIFT = 16;
const LAZY_BLOCK = 1 << LAZY_BLOCK_SHIFT;

interface LazyState {
  readonly read: SectionReader;
  /** 1 per block already read. */
  readonly filled: Uint8Array;
  /** Blocks not read yet. */
  missing: number;
}

const lazyStates = new WeakMap<Uint8Array, LazyState>();

/**
 * A section of `size` bytes whose contents are read on demand: a zeroed
 * array (whose untouched pages are never resident) filled in 64 KiB blocks
 * by `read` when a reader calls {@link ensureSection} for a range. Every
 * DWARF reader of `.debug_info`, `.debug_types`, `.debug_line`,
 * `.debug_loclists`, `.debug_loc`, `.debug_rnglists` and `.debug_ranges`
 * ensures the bytes it reads, so such sections may be lazy; the other
 * sections must be given whole.
 */
export function lazySection(size: number, read: SectionReader): Uint8Array {
  const d = new Uint8Array(size);
  const blocks = Math.ceil(size / LAZY_BLOCK);
  if (blocks > 0) lazyStates.set(d, { read, filled: new Uint8Array(blocks), missing: blocks });
  return d;
}

/** Where a mapped section is in its file. */
export interface SectionOrigin {
  path: string;
  /** File offset of the section's first byte. */
  offset: number;
}

interface MappedState {
  release: (start: number, end: number) => void;
  origin: SectionOrigin;
  /** Reads bytes of the section from its file (for {@link peekSection}), if given. */
  read: SectionReader | null;
}

/** Sections that are views of a file mapping (see `mapFile`). */
const mappedStates = new WeakMap<Uint8Array, MappedState>();

/**
 * Marks `view` (a section's bytes in a read-only map of the file
 * `origin.path`) as mapped: `release(start, end)` drops the mapping's pages
 * of section bytes `[start, end)` from memory (they stay readable); `read`,
 * if given, reads section bytes from the file, for small scattered reads
 * ({@link peekSection}) that would otherwise fault in the pages around each.
 * Returns `view`.
 */
export function mappedSection(
  view: Uint8Array,
  origin: SectionOrigin,
  release: (start: number, end: number) => void,
  read?: SectionReader,
): Uint8Array {
  mappedStates.set(view, { release, origin, read: read ?? null });
  return view;
}

/**
 * The releaser of a {@link mappedSection} (for a single pass over a big
 * section, to keep it from all being resident at once), or null.
 */
export function sectionReleaser(
  d: Uint8Array | undefined,
): ((start: number, end: number) => void) | null {
  return d === undefined ? null : mappedStates.get(d)?.release ?? null;
}

/** The file and offset of a {@link mappedSection}, or null (so that another thread can map it too). */
export function sectionOrigin(d: Uint8Array | undefined): SectionOrigin | null {
  return d === undefined ? null : mappedStates.get(d)?.origin ?? null;
}

/**
 * Whether {@link peekSection} reads `d` from its file instead of touching
 * it: a {@link lazySection} not read whole, or a {@link mappedSection} with
 * a reader.
 */
export function peeksFromFile(d: Uint8Array): boolean {
  return lazyStates.has(d) || (mappedStates.get(d)?.read ?? null) !== null;
}

/** Whether `d` is a {@link lazySection} not yet read whole. */
export function isLazySection(d: Uint8Array | undefined): boolean {
  return d !== undefined && lazyStates.has(d);
}

/**
 * The reader of a {@link lazySection} (to read parts of it into other
 * buffers without filling it), or null for plain bytes or a section
 * already read whole.
 */
export function lazySectionReader(d: Uint8Array): SectionReader | null {
  return lazyStates.get(d)?.read ?? null;
}

/**
 * Makes bytes `[start, end)` of `d` valid (reads them if `d` is a
 * {@link lazySection}; clamped to the section). Returns an offset up to
 * which bytes from `start` on are known to be valid (at least `end`, or the
 * section size), so that a cursor can skip further calls until it passes it.
 */
export function ensureSection(d: Uint8Array, start: number, end: number): number {
  const st = lazyStates.get(d);
  if (st === undefined) return d.length;
  const size = d.length;
  if (end > size) end = size;
  if (start < 0) start = 0;
  if (start >= end) return end;
  const filled = st.filled;
  const first = start >>> LAZY_BLOCK_SHIFT;
  const last = (end - 1) >>> LAZY_BLOCK_SHIFT;
  for (let b = first; b <= last;) {
    if (filled[b] === 1) {
      b++;
      continue;
    }
    let e = b;
    while (e <= last && filled[e] === 0) e++;
    const from = b * LAZY_BLOCK;
    const to = Math.min(size, e * LAZY_BLOCK);
    st.read(from, d.subarray(from, to));
    filled.fill(1, b, e);
    st.missing -= e - b;
    b = e;
  }
  if (st.missing === 0) {
    lazyStates.delete(d);
    return size;
  }
  // Extend the valid run a little past `end` for cursors.
  let b = last + 1;
  const stop = Math.min(filled.length, last + 16);
  while (b < stop && filled[b] === 1) b++;
  return Math.min(size, b * LAZY_BLOCK);
}

/**
 * Makes the NUL-terminated string at `start` of `d` valid (reads it if `d`
 * is a {@link lazySection}); stops at the end of the section.
 */
export function ensureCString(d: Uint8Array, start: number): void {
  if (!lazyStates.has(d)) return;
  let from = start;
  while (from < d.length) {
    const valid = ensureSection(d, from, from + 256);
    const nul = d.subarray(from, valid).indexOf(0);
    if (nul >= 0 || valid >= d.length) return;
    from = valid;
  }
}

/**
 * The NUL-terminated string at `offset` of section `d` (named `name` in
 * errors), read first if `d` is a {@link lazySection}.
 */
export function sectionCString(d: Uint8Array, offset: number, name: string): string {
  ensureCString(d, offset);
  return cstringAt(d, offset, name);
}

/** Reads a {@link lazySection} whole (no-op for plain bytes). */
export function fillSection(d: Uint8Array | undefined): void {
  if (d !== undefined) ensureSection(d, 0, d.length);
}

/**
 * Bytes `[start, end)` of `d` without filling a lazy section or touching a
 * mapped one that has a reader (a fresh copy read from the file; a view
 * otherwise). For small header reads that should not make whole blocks or
 * the pages around them resident.
 */
export function peekSection(d: Uint8Array, start: number, end: number): Uint8Array {
  const st = lazyStates.get(d);
  if (end > d.length) end = d.length;
  if (start > end) start = end;
  if (st === undefined) {
    const read = mappedStates.get(d)?.read ?? null;
    if (read === null) return d.subarray(start, end);
    const out = new Uint8Array(end - start);
    read(start, out);
    return out;
  }
  const first = start >>> LAZY_BLOCK_SHIFT;
  const last = end > start ? (end - 1) >>> LAZY_BLOCK_SHIFT : first;
  let all = true;
  for (let b = first; b <= last; b++) if (st.filled[b] !== 1) all = false;
  if (all) return d.subarray(start, end);
  const out = new Uint8Array(end - start);
  st.read(start, out);
  return out;
}
