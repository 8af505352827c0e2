/**
 * The DWARF factory: turns a module's ELF file into the type and object
 * lookups the program's finders call (see `debug_info.ts`). Sections are
 * gathered here (decompressed, and relocated for kernel modules by their
 * load addresses), so the DWARF layer only ever sees bytes.
 *
 * @module
 */

import { ET, SHF, SHT } from "../elf/constants.ts";
import { DW_AT } from "../dwarf/constants.ts";
import type { DieRef } from "../dwarf/die.ts";
import { filenameMatches } from "../path.ts";
import { unitLineTable } from "./frame_info.ts";
import { type DebugAltLink, ElfFile, type ElfSection } from "../elf/elf_file.ts";
import { relocatedSectionData } from "../elf/relocations.ts";
import { DwarfInfo, type ObjectLookupKind } from "../dwarf/dwarf_info.ts";
import type { DwarfObject } from "../dwarf/object_reader.ts";
import {
  checksum,
  indexCacheDir,
  type IndexCacheKey,
  indexCacheKey,
  indexCacheWritable,
  openIndexCache,
  readCacheFile,
  writeIndexCache,
} from "../dwarf/index_cache.ts";
import { LayoutStore } from "../dwarf/layout_cache.ts";
import { INDEX_FORMAT_VERSION, type NameIndex } from "../dwarf/name_index.ts";
import { envFlag, sysroot } from "../env.ts";
import { mergeSupplementary } from "../dwarf/dwz.ts";
import {
  DWARF_SECTION_NAMES,
  type DwarfSections,
  lazySection,
  mappedSection,
} from "../dwarf/sections.ts";
import { FileReader } from "../binary/file_reader.ts";
import { type FileMapping, mapFile } from "../binary/mmap.ts";
import { openUnitTable, serializeUnits, UNIT_TABLE_VERSION } from "../dwarf/unit.ts";
import { DecodeError, TargetError } from "../errors.ts";
import type { Program } from "./program.ts";
import { FindObjectFlags } from "./program.ts";
import type { DebugInfoSource, Module, ObjectDescriptor } from "./module.ts";
import { completeTypeElsewhere, setDwarfFactory } from "./debug_info.ts";

/**
 * Sections the DWARF readers read through `ensureSection`, so they may be
 * given as lazy sections (see `lazySection`): the big per-unit ones.
 */
const LAZY_SECTIONS: ReadonlySet<keyof DwarfSections> = new Set(
  [
    "info",
    "types",
    "abbrev",
    "str",
    "lineStr",
    "line",
    "loclists",
    "loc",
    "rnglists",
    "ranges",
  ] as const,
);

/**
 * Reads `[offset, offset + dest.length)` of the file at `path` into `dest`.
 * The file is opened now, so that a file replaced later (a rebuild renamed
 * over it) is not mixed with the one whose headers were read.
 */
function fileRangeReader(path: string): (offset: number, dest: Uint8Array) => void {
  const fail = (e: unknown): never => {
    throw new TargetError(path, `cannot read debug info: ${e instanceof Error ? e.message : e}`);
  };
  let file: FileReader | null = null;
  try {
    file = FileReader.open(path, 0);
  } catch (e) {
    fail(e);
  }
  const f = file!;
  return (offset, dest) => {
    try {
      f.readUncachedInto(offset, dest);
    } catch (e) {
      fail(e);
    }
  };
}

/**
 * The DWARF sections of `elf`, relocated for `ET_REL` files with
 * `sectionAddress`. With `lazy`, the big per-unit sections that need no
 * decompression are read on demand (only the units a session touches are
 * read; a relocated file's sections are relocated on first use). With
 * `map` (default: `lazy`), the uncompressed sections of a file that needs
 * no relocation are used in place from a read-only map of the file when
 * that is allowed (see `mapFile`), and read on demand otherwise.
 */
export function dwarfSectionsOf(
  elf: ElfFile,
  sectionAddress?: (shndx: number) => bigint,
  lazy = false,
  map = lazy,
): DwarfSections | null {
  const out: Partial<Record<keyof DwarfSections, Uint8Array>> = {};
  let read: ((offset: number, dest: Uint8Array) => void) | null = null;
  const canBeLazy = (sec: ElfSection) =>
    lazy && (sec.flags & SHF.COMPRESSED) === 0n && !sec.name.startsWith(".zdebug") &&
    sec.offset + sec.size <= elf.fileSize;
  // Sections used in place from a map of the file, where that is allowed.
  let mapping: FileMapping | null | undefined;
  for (const [key, name] of Object.entries(DWARF_SECTION_NAMES)) {
    const sec = elf.section(name);
    if (!sec || sec.type === SHT.NOBITS) continue;
    const k = key as keyof DwarfSections;
    if (map && canBeLazy(sec) && elf.type !== ET.REL) {
      if (mapping === undefined) mapping = mapFile(elf.path);
      if (mapping !== null && mapping.bytes.length === elf.fileSize) {
        const m = mapping;
        const base = sec.offset;
        read ??= fileRangeReader(elf.path);
        const r = read;
        out[k] = mappedSection(
          m.bytes.subarray(base, base + sec.size),
          { path: elf.path, offset: base },
          (start, end) => m.release(base + start, end - start),
          (offset, dest) => r(base + offset, dest),
        );
        continue;
      }
    }
    if (LAZY_SECTIONS.has(k) && canBeLazy(sec) && elf.type === ET.REL) {
      // Relocated as a whole, on first use (a module's DWARF is often never read).
      let whole: Uint8Array | null = null;
      out[k] = lazySection(sec.size, (offset, dest) => {
        whole ??= relocatedSectionData(elf, sec, sectionAddress);
        dest.set(whole.subarray(offset, offset + dest.length));
      });
      continue;
    }
    const packed = lazy && LAZY_SECTIONS.has(k) && sec.offset + sec.size <= elf.fileSize
      ? elf.compressedSectionSize(sec)
      : null;
    if (packed !== null) {
      // Compressed (as distributions ship debug files): decompressed whole,
      // and relocated for ET_REL, on first use (libc's DWARF, 11 MB, costs
      // 40 ms to inflate; a session that never reads it does not pay).
      let whole: Uint8Array | null = null;
      out[k] = lazySection(packed, (offset, dest) => {
        whole ??= elf.type === ET.REL
          ? relocatedSectionData(elf, sec, sectionAddress)
          : elf.sectionData(sec);
        if (whole.length !== packed) {
          throw new DecodeError(
            `section ${sec.name} of ${elf.path}`,
            sec.offset,
            `decompressed to ${whole.length} bytes, not ${packed}`,
          );
        }
        dest.set(whole.subarray(offset, offset + dest.length));
      });
      continue;
    }
    if (LAZY_SECTIONS.has(k) && canBeLazy(sec)) {
      read ??= fileRangeReader(elf.path);
      const r = read;
      const base = sec.offset;
      out[k] = lazySection(sec.size, (offset, dest) => r(base + offset, dest));
      continue;
    }
    out[k] = elf.type === ET.REL
      ? relocatedSectionData(elf, sec, sectionAddress)
      : elf.sectionData(sec);
  }
  if (!out.info || !out.abbrev || out.info.length === 0) return null;
  return out as DwarfSections;
}

/** Versions an index cache entry depends on. */
const CACHE_VARIANT = [INDEX_FORMAT_VERSION, UNIT_TABLE_VERSION];

/**
 * A word identifying where `elf`'s sections are loaded (relocated files:
 * their relocated debug info, hence their index, depends on it).
 */
function placementWord(elf: ElfFile, sectionAddress: (shndx: number) => bigint): number {
  let text = "";
  for (let i = 0; i < elf.sections.length; i++) text += sectionAddress(i).toString(16) + ",";
  return checksum(new TextEncoder().encode(text));
}

/**
 * The saved member layouts of the file cached under `key` (see
 * `layout_cache.ts`), or undefined if caching is off. Layouts saved by
 * earlier sessions are used; this session's are saved where its index is
 * cached (`state.cached`: found, or written by it), not by sessions that
 * index on demand and save nothing. The store is kept until the script
 * ends (its `unload` listener): it holds the key's words and the cache
 * directory only, not the file (the key's content fingerprint, which reads
 * the file, is left out: a copy of the file elsewhere makes its own).
 */
function layoutStore(key: IndexCacheKey, state: { cached: boolean }): LayoutStore | undefined {
  const dir = indexCacheDir();
  if (dir === null) return undefined;
  const k: IndexCacheKey = {
    buildId: key.buildId,
    size: key.size,
    mtimeMs: key.mtimeMs,
    variant: key.variant,
  };
  return new LayoutStore(
    () => readCacheFile(k, "layouts", dir)?.[0] ?? null,
    (blob) => writeIndexCache(k, [blob], dir, "layouts"),
    () => state.cached && indexCacheWritable(dir),
  );
}

/**
 * Opens `elf`'s DWARF with its name index: from the on-disk index cache
 * when it holds an entry for this very file (see `index_cache.ts`), else
 * built as lookups need it (see `DwarfInfo.indexOnDemand`; whole with
 * `WYVERN_FULL_INDEX=1`) and saved to the cache once whole. Files without
 * a build ID are always indexed afresh; relocated (`ET_REL`) files are
 * cached per placement.
 */
export function openDwarf(
  elf: ElfFile,
  options: {
    bias: bigint;
    sectionAddress?: (shndx: number) => bigint;
    warn?: (message: string) => void;
  },
): DwarfInfo | null {
  const buildId = elf.buildIdHex();
  const variant = [...CACHE_VARIANT];
  if (elf.type === ET.REL) {
    variant.push(options.sectionAddress ? placementWord(elf, options.sectionAddress) : 0);
  }
  const link = elf.gnuDebugAltLink();
  const alt = link === null ? null : openSupplementary(elf, link, options.warn);
  // An entry made with the supplementary file merged in is not one made without.
  if (link !== null) variant.push(alt === null ? 1 : 2);
  const key: IndexCacheKey | null = buildId === null
    ? null
    : indexCacheKey(elf.path, buildId, variant);
  let sections = dwarfSectionsOf(elf, options.sectionAddress, key !== null);
  if (sections === null) return null;
  if (alt !== null) {
    try {
      const altSections = dwarfSectionsOf(alt, undefined, false);
      if (altSections !== null) {
        sections = mergeSupplementary(sections, altSections, elf.littleEndian);
      }
    } catch (e) {
      options.warn?.(
        `${elf.path}: cannot use its DWZ supplementary file ${alt.path}: ${
          e instanceof Error ? e.message : e
        }`,
      );
    } finally {
      alt.close(); // what was merged is a copy
    }
  }
  if (key !== null) key.content = () => contentWords(elf);
  const layoutState = { cached: false };
  const layouts = key === null ? undefined : layoutStore(key, layoutState);
  const base = { littleEndian: elf.littleEndian, bias: options.bias, name: elf.path, layouts };
  if (key !== null) {
    // The unit table and the index are read as lookups reach their pages.
    const entry = openIndexCache(key);
    if (entry !== null && entry.parts.length === 2) {
      try {
        const units = openUnitTable(
          entry.parts[0]!,
          {
            info: sections.info.length,
            types: sections.types?.length ?? 0,
            abbrev: sections.abbrev.length,
          },
          (start, end) => entry.ensure(0, start, end),
        );
        const dwarf = new DwarfInfo(sections, { ...base, units });
        dwarf.openIndex(
          { bytes: entry.parts[1]!, ensure: (start, end) => entry.ensure(1, start, end) },
          // Damaged after all: replace the entry with the rebuilt index.
          (fresh) => writeIndexCache(key, [serializeUnits(dwarf.units), fresh.serialize()]),
        );
        layoutState.cached = true;
        return dwarf;
      } catch {
        // A cache entry that does not fit these sections: build afresh.
      }
    }
    entry?.close();
  }
  const dwarf = new DwarfInfo(sections, base);
  const save = (index: NameIndex) => {
    if (key !== null && writeIndexCache(key, [serializeUnits(dwarf.units), index.serialize()])) {
      layoutState.cached = true;
    }
  };
  if (envFlag("WYVERN_FULL_INDEX")) {
    // Indexing scans a lazy .debug_info a chunk at a time (see `buildNameIndex`).
    save(dwarf.buildIndex());
  } else {
    // Units are indexed as lookups need them; the full index, once a lookup
    // needs it, is saved. (Where it cannot be saved, nothing completes it
    // early: see `DwarfInfo.indexOnDemand`.)
    dwarf.indexOnDemand(key !== null && indexCacheWritable() ? save : undefined);
  }
  return dwarf;
}

/**
 * The DWZ supplementary file `link` names for `elf` (see lib/dwarf/dwz.ts):
 * its path as given (relative to `elf`'s directory), under the sysroot,
 * or by build ID under `/usr/lib/debug/.build-id`; it must carry the build
 * ID the link records. Null (with a warning) if none does.
 */
function openSupplementary(
  elf: ElfFile,
  link: DebugAltLink,
  warn?: (message: string) => void,
): ElfFile | null {
  const want = Array.from(link.buildId, (b) => b.toString(16).padStart(2, "0")).join("");
  const dir = elf.path.slice(0, elf.path.lastIndexOf("/") + 1) || "./";
  const root = sysroot();
  const candidates = link.name.startsWith("/") ? [root + link.name, link.name] : [dir + link.name];
  if (want.length > 2) {
    candidates.push(`${root}/usr/lib/debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}.debug`);
  }
  let mismatch: string | null = null;
  for (const path of new Set(candidates)) {
    let alt: ElfFile;
    try {
      if (!Deno.statSync(path).isFile) continue;
      alt = ElfFile.open(path);
    } catch {
      continue;
    }
    const id = alt.buildIdHex();
    if (want === "" || id === want) return alt;
    mismatch = `${path} has build ID ${id}, not ${want}`;
    alt.close();
  }
  warn?.(
    `${elf.path}: DWZ supplementary file ${link.name} not found${
      mismatch === null ? "" : ` (${mismatch})`
    }: types and names defined there are missing`,
  );
  return null;
}

/** The sections an index cache entry depends on (what the unit table and the index scan read). */
const INDEXED_SECTIONS = [
  "info",
  "abbrev",
  "str",
  "lineStr",
  "strOffsets",
  "types",
  "line",
] as const;

/**
 * The cache key's content words: per indexed section, its size in the file
 * and the checksums of the first and last 4 KiB of its bytes there (as
 * stored: a compressed section is not inflated, an ET_REL one not
 * relocated, so that checking them costs two small reads).
 */
function contentWords(elf: ElfFile): number[] {
  const out: number[] = [];
  for (const k of INDEXED_SECTIONS) {
    const sec = elf.section(DWARF_SECTION_NAMES[k]);
    if (sec === undefined || sec.type === SHT.NOBITS || sec.offset + sec.size > elf.fileSize) {
      out.push(0, 0, 0);
      continue;
    }
    const n = Math.min(4096, sec.size);
    out.push(
      sec.size,
      checksum(elf.reader.readAt(sec.offset, n)),
      checksum(elf.reader.readAt(sec.offset + sec.size - n, n)),
    );
  }
  return out;
}

function kindsOf(flags: number): ObjectLookupKind[] {
  const k: ObjectLookupKind[] = [];
  if (flags & FindObjectFlags.VARIABLE) k.push("variable");
  if (flags & FindObjectFlags.FUNCTION) k.push("function");
  if (flags & FindObjectFlags.CONSTANT) k.push("constant");
  return k;
}

/**
 * The file a DIE is declared in: its `DW_AT_decl_file` entry of its unit's
 * line table (directory and name joined as libdw does), found on the DIE
 * or on the one its `DW_AT_specification` / `DW_AT_abstract_origin` names;
 * null if none can be read.
 */
export function declFileOf(dwarf: DwarfInfo, ref: DieRef): string | null {
  try {
    const die = dwarf.reader.withAttr(dwarf.reader.die(ref), DW_AT.decl_file);
    const index = die?.udata(DW_AT.decl_file) ?? null;
    if (die === null || index === null) return null;
    return unitLineTable(dwarf, die.unit)?.files[index]?.path ?? null;
  } catch {
    // Unreadable DWARF: no file.
    return null;
  }
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

  indexAll(): void {
    this.dwarf.buildIndex();
  }

  findType(
    kind: "struct" | "union" | "class" | "enum" | "typedef" | "base",
    name: string,
    filename?: string,
  ): ReturnType<DebugInfoSource["findType"]> {
    return this.dwarf.findType(name, kind, this.#inFile(filename));
  }

  /**
   * A filter of DIEs by the file they are declared in (`DW_AT_decl_file`,
   * through `DW_AT_specification` / `DW_AT_abstract_origin` as libdw's
   * `dwarf_decl_file`), as drgn's `filename` arguments; none for no name.
   */
  #inFile(filename: string | undefined): ((ref: DieRef) => boolean) | undefined {
    if (filename === undefined || filename === "") return undefined;
    return (ref) => filenameMatches(declFileOf(this.dwarf, ref), filename);
  }

  findObject(name: string, flags: number, filename?: string): ObjectDescriptor | null {
    const kinds = kindsOf(flags);
    if (kinds.length === 0) return null;
    const usable = (o: DwarfObject) =>
      !(o.kind === "variable" && o.isDeclaration && o.constValue === undefined);
    const accept = this.#inFile(filename);
    // The best match alone first (while indexing on demand, it can be found
    // without indexing further), then past declarations.
    let found = this.dwarf.findObjects(name, kinds, 1, accept);
    if (found.length === 1 && !usable(found[0]!)) {
      found = this.dwarf.findObjects(name, kinds, 4, accept);
    }
    for (const o of found) {
      if (!usable(o)) continue;
      const rel = this.#relocate;
      if (rel !== null && (o.kind === "variable" || o.kind === "function") && o.address !== null) {
        return { ...o, address: rel(o.address) };
      }
      return o;
    }
    return null;
  }
}

setDwarfFactory((prog: Program, module: Module, elf: ElfFile) => {
  const sectionAddress = module.data.get("sectionAddress") as
    | ((shndx: number) => bigint)
    | undefined;
  const relocate = (module.data.get("relocate") as ((a: bigint) => bigint) | undefined) ?? null;
  const dwarf = openDwarf(elf, {
    bias: relocate !== null ? 0n : module.bias,
    sectionAddress,
    warn: (message) => prog.warn(message),
  });
  if (dwarf === null) return null;
  dwarf.externalTypes = (kind, name) => completeTypeElsewhere(prog, module, kind, name);
  module.data.set("dwarf", dwarf);
  module.data.set("elf", elf);
  return new DwarfSource(dwarf, relocate);
});
