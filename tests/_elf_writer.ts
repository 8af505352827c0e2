/**
 * Builds ELF images in memory for unit tests (sections, segments, notes,
 * symbol tables, relocations), in either class and byte order, with
 * extended numbering on request. Tests corrupt the result with {@link patch}
 * using the offsets {@link buildElf} reports.
 *
 * @module
 */

/** A section to write. Index 0 (the null section) and `.shstrtab` are added. */
export interface SectionSpec {
  readonly name: string;
  readonly type: number;
  readonly flags?: bigint;
  readonly addr?: bigint;
  /** Contents (omit for `SHT_NOBITS`). */
  readonly data?: Uint8Array;
  /** `sh_size` when there is no data (`SHT_NOBITS`), or an override. */
  readonly size?: number;
  /** `sh_link`: an index, or the name of a section. */
  readonly link?: number | string;
  /** `sh_info`: an index, or the name of a section. */
  readonly info?: number | string;
  readonly addralign?: number;
  readonly entsize?: number;
}

/** A segment to write. Its data goes after the sections' data. */
export interface SegmentSpec {
  readonly type: number;
  readonly flags?: number;
  readonly vaddr?: bigint;
  readonly paddr?: bigint;
  readonly data?: Uint8Array;
  /** `p_offset` override (e.g. to point at a section's data). */
  readonly offset?: number;
  /** `p_filesz` override (default: data length). */
  readonly filesz?: number;
  /** `p_memsz` (default: `p_filesz`). */
  readonly memsz?: number;
  readonly align?: number;
}

/** What {@link buildElf} writes. */
export interface ElfSpec {
  readonly is64?: boolean;
  readonly littleEndian?: boolean;
  readonly type?: number;
  readonly machine?: number;
  readonly entry?: bigint;
  readonly sections?: readonly SectionSpec[];
  readonly segments?: readonly SegmentSpec[];
  /** Write no section headers at all (`e_shoff` 0). */
  readonly noSectionHeaders?: boolean;
  /** Put the program header count in section 0's `sh_info` (`e_phnum = PN_XNUM`). */
  readonly extendedPhnum?: boolean;
  /** Put the section count in section 0's `sh_size` (`e_shnum = 0`). */
  readonly extendedShnum?: boolean;
  /** Put the string table index in section 0's `sh_link` (`e_shstrndx = SHN_XINDEX`). */
  readonly extendedShstrndx?: boolean;
}

/** The image and where things are in it. */
export interface BuiltElf {
  readonly bytes: Uint8Array;
  readonly phoff: number;
  readonly shoff: number;
  /** File offset of each section's data, by section index (0 and `.shstrtab` included). */
  readonly sectionOffsets: readonly number[];
  /** File offset of each section header, by index. */
  readonly sectionHeaderOffsets: readonly number[];
  /** File offset of each segment's data. */
  readonly segmentOffsets: readonly number[];
  /** File offset of each program header. */
  readonly programHeaderOffsets: readonly number[];
  /** Index of `.shstrtab`. */
  readonly shstrndx: number;
}

const enc = new TextEncoder();

function align(n: number, a: number): number {
  return a <= 1 ? n : Math.ceil(n / a) * a;
}

/** Builds an ELF image. Defaults: ELF64, little-endian, `ET_EXEC`, `EM_X86_64`. */
export function buildElf(spec: ElfSpec): BuiltElf {
  const is64 = spec.is64 ?? true;
  const le = spec.littleEndian ?? true;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const segs = spec.segments ?? [];
  const withSections = !spec.noSectionHeaders;

  // Section list: null, the given sections, .shstrtab.
  const names = [""];
  const userSecs = spec.sections ?? [];
  for (const s of userSecs) names.push(s.name);
  names.push(".shstrtab");
  const strParts: number[] = [];
  const shstr: number[] = [0];
  for (const n of names) {
    if (n === "") {
      strParts.push(0);
      continue;
    }
    strParts.push(shstr.length);
    shstr.push(...enc.encode(n), 0);
  }
  const shstrtab = new Uint8Array(shstr);
  const allSecs: SectionSpec[] = [
    { name: "", type: 0 },
    ...userSecs,
    { name: ".shstrtab", type: 3, data: shstrtab },
  ];
  const shstrndx = allSecs.length - 1;
  const indexOf = (v: number | string | undefined): number => {
    if (v === undefined) return 0;
    if (typeof v === "number") return v;
    const i = allSecs.findIndex((s) => s.name === v);
    if (i < 0) throw new Error(`no section ${v}`);
    return i;
  };

  let pos = ehsize;
  const phoff = segs.length > 0 ? pos : 0;
  pos += segs.length * phentsize;
  const sectionOffsets: number[] = [];
  for (const s of allSecs) {
    pos = align(pos, Math.max(1, s.addralign ?? 1));
    sectionOffsets.push(s.data === undefined ? (s.type === 0 ? 0 : pos) : pos);
    pos += s.data?.length ?? 0;
  }
  const segmentOffsets: number[] = [];
  for (const g of segs) {
    pos = align(pos, 8);
    segmentOffsets.push(g.offset ?? pos);
    pos += g.data?.length ?? 0;
  }
  pos = align(pos, 8);
  const shoff = withSections ? pos : 0;
  if (withSections) pos += allSecs.length * shentsize;

  const bytes = new Uint8Array(pos);
  const v = new DataView(bytes.buffer);
  const u16 = (o: number, x: number) => v.setUint16(o, x, le);
  const u32 = (o: number, x: number) => v.setUint32(o, x >>> 0, le);
  const word = (o: number, x: bigint | number): number => {
    if (is64) {
      v.setBigUint64(o, BigInt.asUintN(64, BigInt(x)), le);
      return o + 8;
    }
    v.setUint32(o, Number(BigInt.asUintN(32, BigInt(x))), le);
    return o + 4;
  };

  // ELF header.
  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]);
  u16(16, spec.type ?? 2);
  u16(18, spec.machine ?? 62);
  u32(20, 1);
  let o = word(24, spec.entry ?? 0n);
  o = word(o, phoff);
  o = word(o, shoff);
  u32(o, 0); // e_flags
  u16(o + 4, ehsize);
  u16(o + 6, phentsize);
  u16(o + 8, spec.extendedPhnum ? 0xffff : segs.length);
  u16(o + 10, shentsize);
  u16(o + 12, !withSections ? 0 : spec.extendedShnum ? 0 : allSecs.length);
  u16(o + 14, !withSections ? 0 : spec.extendedShstrndx ? 0xffff : shstrndx);

  // Program headers and segment data.
  const programHeaderOffsets: number[] = [];
  segs.forEach((g, i) => {
    const p = phoff + i * phentsize;
    programHeaderOffsets.push(p);
    const off = segmentOffsets[i]!;
    if (g.data !== undefined && g.offset === undefined) bytes.set(g.data, off);
    const filesz = g.filesz ?? g.data?.length ?? 0;
    const memsz = g.memsz ?? filesz;
    if (is64) {
      u32(p, g.type);
      u32(p + 4, g.flags ?? 4);
      word(p + 8, off);
      word(p + 16, g.vaddr ?? 0n);
      word(p + 24, g.paddr ?? 0n);
      word(p + 32, filesz);
      word(p + 40, memsz);
      word(p + 48, g.align ?? 4);
    } else {
      u32(p, g.type);
      u32(p + 4, off);
      u32(p + 8, Number(g.vaddr ?? 0n));
      u32(p + 12, Number(g.paddr ?? 0n));
      u32(p + 16, filesz);
      u32(p + 20, memsz);
      u32(p + 24, g.flags ?? 4);
      u32(p + 28, g.align ?? 4);
    }
  });

  // Section data and headers.
  const sectionHeaderOffsets: number[] = [];
  allSecs.forEach((s, i) => {
    if (s.data !== undefined) bytes.set(s.data, sectionOffsets[i]!);
    if (!withSections) return;
    const p = shoff + i * shentsize;
    sectionHeaderOffsets.push(p);
    let size = s.size ?? s.data?.length ?? 0;
    let link = indexOf(s.link);
    let info = indexOf(s.info);
    if (i === 0) {
      if (spec.extendedShnum) size = allSecs.length;
      if (spec.extendedShstrndx) link = shstrndx;
      if (spec.extendedPhnum) info = segs.length;
    }
    u32(p, strParts[i]!);
    u32(p + 4, s.type);
    let q = word(p + 8, s.flags ?? 0n);
    q = word(q, s.addr ?? 0n);
    q = word(q, sectionOffsets[i]!);
    q = word(q, size);
    u32(q, link);
    u32(q + 4, info);
    q = word(q + 8, s.addralign ?? (i === 0 ? 0 : 1));
    word(q, s.entsize ?? 0);
  });

  return {
    bytes,
    phoff,
    shoff,
    sectionOffsets,
    sectionHeaderOffsets,
    segmentOffsets,
    programHeaderOffsets,
    shstrndx,
  };
}

/** Writes an unsigned integer of `width` bytes at `offset` (to corrupt an image). */
export function patch(
  bytes: Uint8Array,
  offset: number,
  value: number | bigint,
  width: 1 | 2 | 4 | 8,
  littleEndian = true,
): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (width) {
    case 1:
      v.setUint8(offset, Number(value));
      break;
    case 2:
      v.setUint16(offset, Number(value), littleEndian);
      break;
    case 4:
      v.setUint32(offset, Number(value), littleEndian);
      break;
    case 8:
      v.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), littleEndian);
      break;
  }
}

/** One note record (`namesz`, `descsz`, `type`, padded name, padded descriptor). */
export function buildNote(
  name: string,
  type: number,
  desc: Uint8Array,
  options: { littleEndian?: boolean; align?: 4 | 8 } = {},
): Uint8Array {
  const le = options.littleEndian ?? true;
  const a = options.align ?? 4;
  const nameBytes = name === "" ? new Uint8Array(0) : enc.encode(name + "\0");
  const descOff = align(12 + nameBytes.length, a);
  const total = align(descOff + desc.length, a);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, nameBytes.length, le);
  v.setUint32(4, desc.length, le);
  v.setUint32(8, type, le);
  out.set(nameBytes, 12);
  out.set(desc, descOff);
  return out;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A symbol for {@link buildSymtab}. */
export interface SymbolSpec {
  readonly name: string;
  readonly value?: bigint;
  readonly size?: bigint;
  readonly type?: number;
  readonly binding?: number;
  readonly visibility?: number;
  readonly shndx?: number;
}

/** A symbol table (null symbol first) and its string table. */
export function buildSymtab(
  symbols: readonly SymbolSpec[],
  options: { is64?: boolean; littleEndian?: boolean } = {},
): { symtab: Uint8Array; strtab: Uint8Array } {
  const is64 = options.is64 ?? true;
  const le = options.littleEndian ?? true;
  const entsize = is64 ? 24 : 16;
  const str: number[] = [0];
  const symtab = new Uint8Array((symbols.length + 1) * entsize);
  const v = new DataView(symtab.buffer);
  symbols.forEach((s, k) => {
    const p = (k + 1) * entsize;
    let nameOff = 0;
    if (s.name !== "") {
      nameOff = str.length;
      str.push(...enc.encode(s.name), 0);
    }
    const info = ((s.binding ?? 1) << 4) | (s.type ?? 0);
    if (is64) {
      v.setUint32(p, nameOff, le);
      v.setUint8(p + 4, info);
      v.setUint8(p + 5, s.visibility ?? 0);
      v.setUint16(p + 6, s.shndx ?? 0, le);
      v.setBigUint64(p + 8, s.value ?? 0n, le);
      v.setBigUint64(p + 16, s.size ?? 0n, le);
    } else {
      v.setUint32(p, nameOff, le);
      v.setUint32(p + 4, Number(s.value ?? 0n), le);
      v.setUint32(p + 8, Number(s.size ?? 0n), le);
      v.setUint8(p + 12, info);
      v.setUint8(p + 13, s.visibility ?? 0);
      v.setUint16(p + 14, s.shndx ?? 0, le);
    }
  });
  return { symtab, strtab: new Uint8Array(str) };
}

/** An `Elf64_Rela` entry for {@link buildRela}. */
export interface RelaSpec {
  readonly offset: number;
  readonly type: number;
  readonly sym: number;
  readonly addend?: bigint;
}

/** An `SHT_RELA` section body (ELF64). */
export function buildRela(entries: readonly RelaSpec[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(entries.length * 24);
  const v = new DataView(out.buffer);
  entries.forEach((e, i) => {
    const p = i * 24;
    v.setBigUint64(p, BigInt(e.offset), littleEndian);
    v.setBigUint64(p + 8, (BigInt(e.sym) << 32n) | BigInt(e.type), littleEndian);
    v.setBigInt64(p + 16, e.addend ?? 0n, littleEndian);
  });
  return out;
}
