/**
 * An ELF file (ELF32 or ELF64, either byte order) read through a
 * {@link RandomAccessReader}: only the headers are read up front; section
 * data is read (and decompressed) on demand and cached, so a 290 MiB vmlinux
 * or a multi-GB vmcore is never read whole.
 *
 * @module
 */

import { BytesReader, openFile, type RandomAccessReader } from "../binary/file_reader.ts";
import { ByteReader, cstringAt, HOST_LITTLE_ENDIAN } from "../binary/byte_reader.ts";
import { DecodeError, hex, LookupError, TargetError } from "../errors.ts";
import { archFromElfMachine, Platform } from "../platform.ts";
import { ET, NT, PN_XNUM, PT, SHF, SHN, SHT } from "./constants.ts";
import { decompressChdr, decompressZdebug, isZdebug } from "./compression.ts";
import { type ElfNote, parseNotes } from "./notes.ts";
import {
  type ElfSymbol,
  type ElfSymbolColumns,
  parseSymbolTable,
  readSymbolColumns,
  type SymbolTableInput,
} from "./symbols.ts";

/** A section header. */
export interface ElfSection {
  /** Index in the section header table. */
  readonly index: number;
  /** The name from the section header string table (`""` for index 0). */
  readonly name: string;
  /** `sh_type` (`SHT_*`). */
  readonly type: number;
  /** `sh_flags` (`SHF_*`, bigints). */
  readonly flags: bigint;
  /** `sh_addr`. */
  readonly addr: bigint;
  /** `sh_offset`: file offset of the data. */
  readonly offset: number;
  /** `sh_size`: size in the file (compressed size for compressed sections). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info`. */
  readonly info: number;
  /** `sh_addralign`. */
  readonly addralign: number;
  /** `sh_entsize`. */
  readonly entsize: number;
}

/**
 * A program header. Addresses are bigints; offsets and sizes are numbers
 * (values of 2^53 and above, which no real file has, are rounded to the
 * nearest double and are then always past the end of the file).
 */
export interface ElfSegment {
  /** Index in the program header table. */
  readonly index: number;
  /** `p_type` (`PT_*`). */
  readonly type: number;
  /** `p_flags` (`PF_*`). */
  readonly flags: number;
  /** `p_offset`. */
  readonly offset: number;
  /** `p_vaddr`. */
  readonly vaddr: bigint;
  /** `p_paddr`. */
  readonly paddr: bigint;
  /** `p_filesz`. */
  readonly filesz: number;
  /** `p_memsz`. */
  readonly memsz: number;
  /** `p_align`. */
  readonly align: number;
}

/** `.gnu_debuglink` contents. */
export interface DebugLink {
  /** File name of the separate debug file. */
  readonly name: string;
  /** CRC-32 of the debug file. */
  readonly crc: number;
}

/** `.gnu_debugaltlink` contents (the DWZ supplementary file). */
export interface DebugAltLink {
  /** Path of the supplementary debug file. */
  readonly name: string;
  /** Its build ID. */
  readonly buildId: Uint8Array;
}

/** Which symbol table {@link ElfFile.symbols} reads. */
export type SymbolTableKind = "symtab" | "dynsym";

const EMPTY = new Uint8Array(0);

/**
 * An ELF file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ElfFile } from "./elf_file.ts";
 * const elf = ElfFile.open("/bin/true");
 * assert.equal(elf.platform.arch, "X86_64");
 * assert.ok(elf.section(".text") !== undefined);
 * assert.ok(elf.symbols("dynsym").length > 0);
 * elf.close();
 * ```
 */
export class ElfFile {
  /** Where the bytes come from (kept open until {@link close}). */
  readonly reader: RandomAccessReader;
  /** The path or name, for messages. */
  readonly path: string;
  /** ELFCLASS64 (true) or ELFCLASS32. */
  readonly is64: boolean;
  /** ELFDATA2LSB (true) or ELFDATA2MSB. */
  readonly littleEndian: boolean;
  /** `e_ident[EI_OSABI]`. */
  readonly osabi: number;
  /** `e_ident[EI_ABIVERSION]`. */
  readonly abiVersion: number;
  /** `e_type` (`ET_*`). */
  readonly type: number;
  /** `e_machine` (`EM_*`). */
  readonly machine: number;
  /** `e_entry`. */
  readonly entry: bigint;
  /** `e_flags`. */
  readonly flags: number;
  /** `e_phoff`. */
  readonly phoff: number;
  /** `e_shoff`. */
  readonly shoff: number;
  /** The section string table index (after `SHN_XINDEX` resolution; 0 if none). */
  readonly shstrndx: number;
  /** Section headers, index 0 (the null section) included; empty if there are none. */
  readonly sections: readonly ElfSection[];
  /** Program headers (with `PN_XNUM` resolved). */
  readonly segments: readonly ElfSegment[];
  /**
   * Problems that did not stop parsing, e.g. the unreadable section headers
   * of a truncated core dump (which are then ignored).
   */
  readonly warnings: string[] = [];

  #byName = new Map<string, ElfSection>();
  #data = new Map<number, Uint8Array>();
  #symbols = new Map<SymbolTableKind, ElfSymbol[]>();
  #notes: ElfNote[] | undefined;
  #platform: Platform | undefined;

  private constructor(reader: RandomAccessReader) {
    this.reader = reader;
    this.path = reader.path;
    const path = reader.path;
    const size = reader.size;
    if (size < 16) {
      throw new TargetError(path, `not an ELF file: only ${size} bytes long`);
    }
    const ident = reader.readAt(0, 16);
    if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
      const magic = Array.from(ident.subarray(0, 4), (b) => b.toString(16).padStart(2, "0"));
      throw new TargetError(path, `not an ELF file: bad magic ${magic.join(" ")}`);
    }
    const cls = ident[4]!;
    if (cls !== 1 && cls !== 2) {
      throw new TargetError(
        path,
        `unsupported ELF class ${cls} (expected 1 for ELF32 or 2 for ELF64)`,
      );
    }
    const data = ident[5]!;
    if (data !== 1 && data !== 2) {
      throw new TargetError(
        path,
        `unsupported ELF data encoding ${data} (expected 1 for little or 2 for big endian)`,
      );
    }
    if (ident[6] !== 1) {
      throw new TargetError(path, `unsupported ELF version ${ident[6]}`);
    }
    const is64 = cls === 2;
    const le = data === 1;
    this.is64 = is64;
    this.littleEndian = le;
    this.osabi = ident[7]!;
    this.abiVersion = ident[8]!;

    const ehsize = is64 ? 64 : 52;
    if (size < ehsize) {
      throw new DecodeError(
        `ELF header of ${path}`,
        0,
        `file is ${size} bytes long, shorter than the ${ehsize}-byte ELF${
          is64 ? 64 : 32
        } header; the file may be truncated`,
      );
    }
    const h = new ByteReader(reader.readAt(0, ehsize), le, `ELF header of ${path}`, 16);
    this.type = h.u16();
    this.machine = h.u16();
    h.u32(); // e_version
    let phoff: number, shoff: number;
    if (is64) {
      this.entry = h.u64();
      // Offsets past 2^53 cannot be in any file: clamp them so that the
      // "past the end of the file" checks report them exactly enough.
      phoff = Math.min(Number(h.u64()), Number.MAX_SAFE_INTEGER);
      shoff = Math.min(Number(h.u64()), Number.MAX_SAFE_INTEGER);
    } else {
      this.entry = BigInt(h.u32());
      phoff = h.u32();
      shoff = h.u32();
    }
    this.flags = h.u32();
    h.u16(); // e_ehsize: not checked (QEMU's dump-guest-memory writes a wrong one)
    const phentsize = h.u16();
    let phnum = h.u16();
    const shentsize = h.u16();
    const shnum = h.u16();
    let shstrndx = h.u16();
    this.phoff = phoff;
    this.shoff = shoff;

    let sections: ElfSection[] = [];
    try {
      [sections, shstrndx, phnum] = this.#parseSectionTable(shnum, shentsize, shstrndx, phnum);
    } catch (e) {
      // A truncated core dump loses its section headers (gdb writes them
      // last) but nothing a debugger needs, unless the program header count
      // is in section 0.
      if (!(e instanceof DecodeError) || this.type !== ET.CORE || phnum === PN_XNUM) throw e;
      this.warnings.push(`ignoring the section headers: ${e.message}`);
      sections = [];
      shstrndx = 0;
    }
    this.shstrndx = shstrndx;
    this.sections = sections;
    for (const s of sections) {
      if (s.index !== 0 && !this.#byName.has(s.name)) this.#byName.set(s.name, s);
    }
    // GNU .zdebug_* sections are also found under their .debug_* names.
    for (const s of sections) {
      if (s.name.startsWith(".zdebug")) {
        const alias = ".debug" + s.name.slice(".zdebug".length);
        if (!this.#byName.has(alias)) this.#byName.set(alias, s);
      }
    }

    const phdrSize = is64 ? 56 : 32;
    if (phoff !== 0 && phnum !== 0) {
      if (phentsize < phdrSize) {
        throw new DecodeError(
          `ELF header of ${path}`,
          is64 ? 54 : 42,
          `e_phentsize ${phentsize} is smaller than a program header (${phdrSize} bytes)`,
        );
      }
      if (phoff > size || phnum > (size - phoff) / phentsize) {
        throw new DecodeError(
          `program headers of ${path}`,
          phoff,
          `${phnum} program headers of ${phentsize} bytes at ${
            hex(phoff)
          } extend past the end of the file (${size} bytes); the file may be truncated`,
        );
      }
      this.segments = readSegments(
        reader.readAt(phoff, phnum * phentsize),
        phnum,
        phentsize,
        is64,
        le,
      );
    } else {
      this.segments = [];
    }
  }

  /** Opens and parses the ELF file at `path` (headers only; mapped when it can be: see `openFile`). */
  static open(path: string): ElfFile {
    return ElfFile.fromReader(openFile(path));
  }

  /** Parses an ELF image held in memory; `name` is used in messages. */
  static fromBytes(bytes: Uint8Array, name = "<memory>"): ElfFile {
    return ElfFile.fromReader(new BytesReader(bytes, name));
  }

  /** Parses the ELF file `reader` provides. The reader is closed if parsing fails. */
  static fromReader(reader: RandomAccessReader): ElfFile {
    try {
      return new ElfFile(reader);
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** Size of the file in bytes. */
  get fileSize(): number {
    return this.reader.size;
  }

  /** The platform (architecture, word size, byte order) from the ELF header. */
  get platform(): Platform {
    return this.#platform ??= new Platform(
      archFromElfMachine(this.machine, this.is64),
      this.is64 ? 8 : 4,
      this.littleEndian,
    );
  }

  /**
   * The first section named `name`, or undefined. `.debug_*` names also find
   * GNU `.zdebug_*` sections (whose {@link sectionData} is decompressed).
   */
  section(name: string): ElfSection | undefined {
    return this.#byName.get(name);
  }

  /** Sections of type `type` (`SHT_*`), in index order. */
  sectionsOfType(type: number): ElfSection[] {
    return this.sections.filter((s) => s.type === type);
  }

  /**
   * The contents of a section, decompressed if it is `SHF_COMPRESSED` or a
   * GNU `.zdebug_*` section, and cached. `SHT_NOBITS` and `SHT_NULL` sections
   * have no contents in the file and give an empty array (their size is in
   * `section.size`). The result may be shared: do not modify it.
   *
   * Throws a {@link LookupError} if there is no section called `name`, and a
   * {@link DecodeError} if the data lies past the end of the file or does not
   * decompress.
   */
  sectionData(nameOrSection: string | ElfSection): Uint8Array {
    const s = typeof nameOrSection === "string" ? this.section(nameOrSection) : nameOrSection;
    if (s === undefined) {
      throw new LookupError(
        `${this.path} has no section ${nameOrSection}`,
        "section",
        `${nameOrSection}`,
      );
    }
    const cached = this.#data.get(s.index);
    if (cached !== undefined) return cached;
    let data: Uint8Array;
    if (s.type === SHT.NOBITS || s.type === SHT.NULL) {
      data = EMPTY;
    } else {
      const raw = this.#readRange(s.offset, s.size, `section ${s.name} of ${this.path}`);
      const what = `section ${s.name} of ${this.path}`;
      if ((s.flags & SHF.COMPRESSED) !== 0n) {
        data = decompressChdr(raw, this.is64, this.littleEndian, { what, fileOffset: s.offset });
      } else if (s.name.startsWith(".zdebug") && isZdebug(raw)) {
        data = decompressZdebug(raw, { what, fileOffset: s.offset });
      } else {
        data = raw;
      }
    }
    this.#data.set(s.index, data);
    return data;
  }

  /**
   * The size of a compressed section's contents (`SHF_COMPRESSED`'s
   * `ch_size`, or a GNU `.zdebug_*` section's), read from its header without
   * decompressing it; null if the section is not compressed or its header
   * cannot be read (then {@link sectionData} says what is wrong).
   */
  compressedSectionSize(s: ElfSection): number | null {
    const chdr = (s.flags & SHF.COMPRESSED) !== 0n;
    if (!chdr && !s.name.startsWith(".zdebug")) return null;
    const n = chdr ? (this.is64 ? 24 : 12) : 12;
    if (s.size < n || s.offset + n > this.reader.size) return null;
    const head = this.reader.readAt(s.offset, n);
    const v = new DataView(head.buffer, head.byteOffset, n);
    let size: number;
    if (chdr) {
      size = this.is64
        ? Number(v.getBigUint64(8, this.littleEndian))
        : v.getUint32(4, this.littleEndian);
    } else {
      if (!isZdebug(head)) return null;
      size = Number(v.getBigUint64(4, false));
    }
    return Number.isSafeInteger(size) ? size : null;
  }

  /**
   * Bytes `[start, start + length)` of a section's contents (clamped to the
   * section), read from the file without reading the rest of the section
   * (compressed sections are decompressed whole and cached, as
   * {@link sectionData}). Throws as {@link sectionData}.
   */
  sectionRange(s: ElfSection, start: number, length: number): Uint8Array {
    const cached = this.#data.get(s.index);
    const compressed = (s.flags & SHF.COMPRESSED) !== 0n || s.name.startsWith(".zdebug");
    if (cached !== undefined || compressed || s.type === SHT.NOBITS || s.type === SHT.NULL) {
      return this.sectionData(s).subarray(start, start + length);
    }
    const from = Math.min(Math.max(0, start), s.size);
    const n = Math.min(length, s.size - from);
    return this.#readRange(s.offset + from, n, `section ${s.name} of ${this.path}`);
  }

  /** The bytes of a segment in the file (`p_filesz` bytes at `p_offset`); not cached. */
  segmentData(segment: ElfSegment): Uint8Array {
    return this.#readRange(
      segment.offset,
      segment.filesz,
      `segment ${segment.index} of ${this.path}`,
    );
  }

  /**
   * The symbols of `.symtab` (`which = "symtab"`) or `.dynsym` (`"dynsym"`);
   * by default `.symtab`, or `.dynsym` if there is no `.symtab`. The reserved
   * null symbol (index 0) is left out. Empty if there is no such table.
   * Cached; do not modify the result.
   */
  symbols(which?: SymbolTableKind): readonly ElfSymbol[] {
    const kind: SymbolTableKind = which ??
      (this.sections.some((s) => s.type === SHT.SYMTAB) ? "symtab" : "dynsym");
    let syms = this.#symbols.get(kind);
    if (syms === undefined) {
      syms = this.#readSymbols(kind === "symtab" ? SHT.SYMTAB : SHT.DYNSYM);
      this.#symbols.set(kind, syms);
    }
    return syms;
  }

  /**
   * The notes: from the `PT_NOTE` segments for core files and files without
   * `SHT_NOTE` sections, else from the `SHT_NOTE` sections. Offsets are file
   * offsets. Cached.
   */
  notes(): readonly ElfNote[] {
    if (this.#notes !== undefined) return this.#notes;
    const notes: ElfNote[] = [];
    const noteSections = this.sections.filter((s) => s.type === SHT.NOTE);
    if (this.type === ET.CORE || noteSections.length === 0) {
      for (const seg of this.segments) {
        if (seg.type !== PT.NOTE) continue;
        notes.push(...parseNotes(this.segmentData(seg), {
          littleEndian: this.littleEndian,
          align: seg.align,
          what: `PT_NOTE segment ${seg.index} of ${this.path}`,
          baseOffset: seg.offset,
        }));
      }
    } else {
      for (const s of noteSections) {
        notes.push(...parseNotes(this.sectionData(s), {
          littleEndian: this.littleEndian,
          align: s.addralign,
          what: `section ${s.name} of ${this.path}`,
          baseOffset: s.offset,
        }));
      }
    }
    this.#notes = notes;
    return notes;
  }

  /** The GNU build ID (`NT_GNU_BUILD_ID` note), or null if there is none. */
  buildId(): Uint8Array | null {
    for (const n of this.notes()) {
      if (n.type === NT.GNU_BUILD_ID && n.name === "GNU") return n.desc.slice();
    }
    return null;
  }

  /** The build ID as lowercase hex, or null. */
  buildIdHex(): string | null {
    const id = this.buildId();
    if (id === null) return null;
    let s = "";
    for (const b of id) s += b.toString(16).padStart(2, "0");
    return s;
  }

  /** The `.gnu_debuglink` section (separate debug file name and CRC), or null. */
  debugLink(): DebugLink | null {
    const s = this.section(".gnu_debuglink");
    if (s === undefined || s.type === SHT.NOBITS) return null;
    const r = new ByteReader(
      this.sectionData(s),
      this.littleEndian,
      `section ${s.name} of ${this.path}`,
      0,
      s.offset,
    );
    const name = r.cstring();
    r.seek(Math.min(r.data.length, (r.pos + 3) & ~3));
    const crc = r.u32();
    return { name, crc };
  }

  /** The `.gnu_debugaltlink` section (DWZ supplementary file and build ID), or null. */
  gnuDebugAltLink(): DebugAltLink | null {
    const s = this.section(".gnu_debugaltlink");
    if (s === undefined || s.type === SHT.NOBITS) return null;
    const r = new ByteReader(
      this.sectionData(s),
      this.littleEndian,
      `section ${s.name} of ${this.path}`,
      0,
      s.offset,
    );
    const name = r.cstring();
    return { name, buildId: r.data.slice(r.pos) };
  }

  /** Closes the underlying file. Cached section data stays usable. */
  close(): void {
    this.reader.close();
  }

  /** Closes the file at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Reads `[offset, offset + length)` of the file, or throws a DecodeError naming `what`. */
  #readRange(offset: number, length: number, what: string): Uint8Array {
    if (length === 0) return EMPTY;
    const size = this.reader.size;
    if (offset > size || length > size - offset) {
      throw new DecodeError(
        what,
        offset,
        `${length} bytes at ${
          hex(offset)
        } extend past the end of the file (${size} bytes); the file may be truncated`,
      );
    }
    return this.reader.readAt(offset, length);
  }

  /**
   * Reads the section header table, resolving extended numbering (section
   * header 0 holds the real section count, string table index and program
   * header count). Returns the sections and the resolved `e_shstrndx` and
   * `e_phnum`.
   */
  #parseSectionTable(
    shnum: number,
    shentsize: number,
    shstrndx: number,
    phnum: number,
  ): [ElfSection[], number, number] {
    const path = this.path;
    const size = this.reader.size;
    const shoff = this.shoff;
    const is64 = this.is64;
    if (shoff === 0) return [[], 0, phnum];
    const shdrSize = is64 ? 64 : 40;
    if (shentsize < shdrSize) {
      throw new DecodeError(
        `ELF header of ${path}`,
        is64 ? 58 : 46,
        `e_shentsize ${shentsize} is smaller than a section header (${shdrSize} bytes)`,
      );
    }
    if (shoff > size - shdrSize) {
      throw new DecodeError(
        `section headers of ${path}`,
        shoff,
        `section header table at ${
          hex(shoff)
        } is past the end of the file (${size} bytes); the file may be truncated`,
      );
    }
    const b0 = this.reader.readAt(shoff, shdrSize);
    const s0 = this.#sectionHeader(new DataView(b0.buffer, b0.byteOffset, shdrSize), 0, 0, "");
    // e_shnum 0 with section 0's sh_size 0 means there are no sections.
    if (shnum === 0) shnum = s0.size;
    if (phnum === PN_XNUM) phnum = s0.info;
    if (shstrndx === SHN.XINDEX) shstrndx = s0.link;
    const table = () => {
      const sections = this.#sectionTable(shnum, shentsize, shstrndx);
      return [sections, sections.length === 0 ? 0 : shstrndx, phnum] as [
        ElfSection[],
        number,
        number,
      ];
    };
    if (this.type !== ET.CORE) return table();
    // A core dump needs no section but section 0 (for a program header count
    // over 65534): a truncated one keeps its segments.
    try {
      return table();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.warnings.push(`ignoring the section headers: ${e.message}`);
      return [[], 0, phnum];
    }
  }

  /** The sections, once section 0 has resolved `shnum` and `shstrndx` (see {@link #parseSectionTable}). */
  #sectionTable(shnum: number, shentsize: number, shstrndx: number): ElfSection[] {
    const size = this.reader.size;
    const shoff = this.shoff;
    if (shnum > (size - shoff) / shentsize) {
      throw new DecodeError(
        `section headers of ${this.path}`,
        shoff,
        `${shnum} section headers of ${shentsize} bytes extend past the end of the file (${size} bytes); the file may be truncated`,
      );
    }
    if (shnum === 0) return [];
    if (shstrndx >= shnum) {
      throw new DecodeError(
        `ELF header of ${this.path}`,
        this.is64 ? 62 : 50,
        `section name string table index ${shstrndx} is out of range (${shnum} sections)`,
      );
    }
    return this.#readSections(shoff, shnum, shentsize, shstrndx);
  }

  #sectionHeader(v: DataView, p: number, index: number, name: string): ElfSection {
    const le = this.littleEndian;
    if (this.is64) {
      return {
        index,
        name,
        type: v.getUint32(p + 4, le),
        flags: v.getBigUint64(p + 8, le),
        addr: v.getBigUint64(p + 16, le),
        offset: u64At(v, p + 24, le),
        size: u64At(v, p + 32, le),
        link: v.getUint32(p + 40, le),
        info: v.getUint32(p + 44, le),
        addralign: u64At(v, p + 48, le),
        entsize: u64At(v, p + 56, le),
      };
    }
    return {
      index,
      name,
      type: v.getUint32(p + 4, le),
      flags: BigInt(v.getUint32(p + 8, le)),
      addr: BigInt(v.getUint32(p + 12, le)),
      offset: v.getUint32(p + 16, le),
      size: v.getUint32(p + 20, le),
      link: v.getUint32(p + 24, le),
      info: v.getUint32(p + 28, le),
      addralign: v.getUint32(p + 32, le),
      entsize: v.getUint32(p + 36, le),
    };
  }

  #readSections(shoff: number, shnum: number, shentsize: number, shstrndx: number): ElfSection[] {
    const buf = this.reader.readAt(shoff, shnum * shentsize);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const le = this.littleEndian;
    const out: ElfSection[] = new Array(shnum);
    if (shstrndx === SHN.UNDEF) {
      for (let i = 0; i < shnum; i++) out[i] = this.#sectionHeader(v, i * shentsize, i, "");
      return out;
    }
    const strSec = this.#sectionHeader(v, shstrndx * shentsize, shstrndx, "");
    const what = `section name string table of ${this.path}`;
    const strtab = strSec.type === SHT.NOBITS
      ? EMPTY
      : this.#readRange(strSec.offset, strSec.size, what);
    for (let i = 0; i < shnum; i++) {
      const nameOff = v.getUint32(i * shentsize, le);
      let name = "";
      if (nameOff !== 0 || strtab.length !== 0) {
        if (nameOff >= strtab.length) {
          throw new DecodeError(
            `section headers of ${this.path}`,
            shoff + i * shentsize,
            `name offset ${nameOff} of section ${i} is past the end of the section name string table (${strtab.length} bytes)`,
          );
        }
        name = cstringAt(strtab, nameOff, what);
      }
      out[i] = this.#sectionHeader(v, i * shentsize, i, name);
    }
    return out;
  }

  /**
   * The entries of the symbol table as columns (see `readSymbolColumns`):
   * for a big table whose entries are read as numbers and whose names are
   * decoded only for the symbols asked for. Not cached.
   */
  symbolColumns(which: SymbolTableKind): ElfSymbolColumns | null {
    const input = this.#symbolInput(which === "symtab" ? SHT.SYMTAB : SHT.DYNSYM);
    return input === null ? null : readSymbolColumns(input);
  }

  #readSymbols(type: number): ElfSymbol[] {
    const input = this.#symbolInput(type);
    return input === null ? [] : parseSymbolTable(input);
  }

  #symbolInput(type: number): SymbolTableInput | null {
    const sec = this.sections.find((s) => s.type === type);
    if (sec === undefined || sec.size === 0) return null;
    const what = `symbol table ${sec.name} of ${this.path}`;
    if (sec.link === 0 || sec.link >= this.sections.length) {
      throw new DecodeError(
        what,
        sec.offset,
        `linked string table index ${sec.link} is out of range (${this.sections.length} sections)`,
      );
    }
    const strSec = this.sections[sec.link]!;
    const shndxSec = this.sections.find((s) => s.type === SHT.SYMTAB_SHNDX && s.link === sec.index);
    return {
      data: this.sectionData(sec),
      strtab: this.sectionData(strSec),
      is64: this.is64,
      littleEndian: this.littleEndian,
      entsize: sec.entsize,
      sectionNames: this.sections.map((s) => s.name),
      shndxTable: shndxSec === undefined ? undefined : this.sectionData(shndxSec),
      what,
      strtabWhat: `string table ${strSec.name} of ${this.path}`,
      fileOffset: sec.offset,
    };
  }
}

const TWO32 = 0x100000000;

/** Decodes `phnum` program headers from `buf` (already bounds-checked). */
function readSegments(
  buf: Uint8Array,
  phnum: number,
  phentsize: number,
  is64: boolean,
  le: boolean,
): ElfSegment[] {
  const out: ElfSegment[] = new Array(phnum);
  if (is64 && le === HOST_LITTLE_ENDIAN && phentsize % 8 === 0 && buf.byteOffset % 8 === 0) {
    // Fast path (a vmcore can have 65,000+ program headers): typed-array reads.
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
    const u64 = new BigUint64Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 3);
    const w = phentsize >>> 2;
    const lo = le ? 0 : 1;
    const hi = le ? 1 : 0;
    for (let i = 0; i < phnum; i++) {
      const p = i * w;
      const q = p >>> 1;
      out[i] = {
        index: i,
        type: u32[p]!,
        flags: u32[p + 1]!,
        offset: u32[p + 2 + hi]! * TWO32 + u32[p + 2 + lo]!,
        vaddr: u64[q + 2]!,
        paddr: u64[q + 3]!,
        filesz: u32[p + 8 + hi]! * TWO32 + u32[p + 8 + lo]!,
        memsz: u32[p + 10 + hi]! * TWO32 + u32[p + 10 + lo]!,
        align: u32[p + 12 + hi]! * TWO32 + u32[p + 12 + lo]!,
      };
    }
    return out;
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < phnum; i++) {
    const p = i * phentsize;
    out[i] = is64
      ? {
        index: i,
        type: v.getUint32(p, le),
        flags: v.getUint32(p + 4, le),
        offset: u64At(v, p + 8, le),
        vaddr: v.getBigUint64(p + 16, le),
        paddr: v.getBigUint64(p + 24, le),
        filesz: u64At(v, p + 32, le),
        memsz: u64At(v, p + 40, le),
        align: u64At(v, p + 48, le),
      }
      : {
        index: i,
        type: v.getUint32(p, le),
        flags: v.getUint32(p + 24, le),
        offset: v.getUint32(p + 4, le),
        vaddr: BigInt(v.getUint32(p + 8, le)),
        paddr: BigInt(v.getUint32(p + 12, le)),
        filesz: v.getUint32(p + 16, le),
        memsz: v.getUint32(p + 20, le),
        align: v.getUint32(p + 28, le),
      };
  }
  return out;
}

/** A 64-bit field as a number (exact below 2^53, else rounded). */
function u64At(v: DataView, p: number, le: boolean): number {
  const lo = v.getUint32(le ? p : p + 4, le);
  const hi = v.getUint32(le ? p + 4 : p, le);
  return hi * 0x100000000 + lo;
}
