/**
 * The DWARF call frame information of a module, for the unwinder: the
 * `.debug_frame` of its debug file or code file (tried first, as drgn does),
 * then the `.eh_frame` of its code file, indexed through `.eh_frame_hdr`.
 * A module whose file was not found (the vdso, a library that is not on
 * this machine) gets its `.eh_frame` from the image in target memory, found
 * through the `PT_GNU_EH_FRAME` program header.
 *
 * Separate debug files (`objcopy --only-keep-debug`, Debian's `-dbg`
 * packages) carry `.eh_frame` as `SHT_NOBITS`: the code file's copy is used.
 * Kernel modules are relocatable files: their `.debug_frame` is relocated
 * with the section addresses the kernel recorded.
 *
 * Tables are built on first use and kept in `module.data` (`"cfi"`).
 *
 * @module
 */

import { type CfiRow, CfiTable } from "../dwarf/cfi.ts";
import { ET, PT, SHT } from "../elf/constants.ts";
import { ElfFile } from "../elf/elf_file.ts";
import { relocatedSectionData } from "../elf/relocations.ts";
import { DecodeError, FaultError, TargetError } from "../errors.ts";
import type { Module } from "./module.ts";
import type { Program } from "./program.ts";

/** One CFI section of a module. */
export interface CfiSource {
  /** The section's table. */
  readonly table: CfiTable;
  /** Subtracted from a run-time PC to get a PC of the table (the module's load bias). */
  readonly pcOffset: bigint;
  /** Where it came from, for messages (`"/lib/libc.so.6 .eh_frame"`). */
  readonly name: string;
}

/** A row found for a PC, with the source it came from. */
export interface ModuleCfiRow {
  readonly row: CfiRow;
  readonly source: CfiSource;
}

/** `PT_GNU_EH_FRAME`: the segment of `.eh_frame_hdr`. */
const PT_GNU_EH_FRAME = 0x6474e550;
/** Largest `.eh_frame` read from target memory. */
const MAX_MEMORY_EH_FRAME = 64 << 20;

/** The CFI sections of a module. */
export class ModuleCfi {
  /** In lookup order: `.debug_frame` first, then `.eh_frame`. */
  readonly sources: readonly CfiSource[];
  /** Problems met while loading (malformed sections), for messages. */
  readonly warnings: readonly string[];

  constructor(sources: CfiSource[], warnings: string[] = []) {
    this.sources = sources;
    this.warnings = warnings;
  }

  /** The unwind row at run-time address `pc`, or null if no section covers it. */
  rowForPc(pc: bigint): ModuleCfiRow | null {
    for (const source of this.sources) {
      const p = pc - source.pcOffset;
      if (p < 0n) continue;
      const row = source.table.rowForPc(p);
      if (row !== null) return { row, source };
    }
    return null;
  }
}

function usable(elf: ElfFile, name: string) {
  const s = elf.section(name);
  return s !== undefined && s.type !== SHT.NOBITS && s.size > 0 ? s : null;
}

function ehFrameOf(elf: ElfFile, pcOffset: bigint, label: string): CfiSource | null {
  const eh = usable(elf, ".eh_frame");
  if (eh === null) return null;
  const hdr = usable(elf, ".eh_frame_hdr");
  const got = elf.section(".got");
  const table = CfiTable.parseEhFrame(elf.sectionData(eh), {
    address: eh.addr,
    hdr: hdr === null ? undefined : { data: elf.sectionData(hdr), address: hdr.addr },
    textAddress: elf.section(".text")?.addr,
    dataAddress: got?.addr,
    addressSize: elf.is64 ? 8 : 4,
    littleEndian: elf.littleEndian,
    section: `${label} .eh_frame`,
  });
  return { table, pcOffset, name: `${label} .eh_frame` };
}

function debugFrameOf(
  elf: ElfFile,
  pcOffset: bigint,
  label: string,
  sectionAddress: ((shndx: number) => bigint) | undefined,
): CfiSource | null {
  const sec = usable(elf, ".debug_frame");
  if (sec === null) return null;
  const data = elf.type === ET.REL
    ? relocatedSectionData(elf, sec, sectionAddress)
    : elf.sectionData(sec);
  const table = CfiTable.parseDebugFrame(data, {
    addressSize: elf.is64 ? 8 : 4,
    littleEndian: elf.littleEndian,
    section: `${label} .debug_frame`,
  });
  return { table, pcOffset, name: `${label} .debug_frame` };
}

/**
 * Reads a module's `.eh_frame` from target memory: the program headers at
 * the module's start, `PT_GNU_EH_FRAME` for `.eh_frame_hdr`, whose
 * `eh_frame_ptr` gives `.eh_frame`, read up to the end of its `PT_LOAD`.
 */
export function ehFrameFromMemory(prog: Program, m: Module): CfiSource | null {
  const read = (a: bigint, n: number) => prog.read(a, n);
  let head: Uint8Array;
  try {
    head = read(m.start, 64);
  } catch (e) {
    if (e instanceof FaultError) return null;
    throw e;
  }
  if (head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return null;
  if (head[4] !== 2 || head[5] !== 1) return null; // ELF64 little-endian only
  const dv = new DataView(head.buffer, head.byteOffset, 64);
  const phoff = dv.getBigUint64(32, true);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phnum === 0 || phnum > 256 || phentsize < 56) return null;
  let ph: Uint8Array;
  try {
    ph = read(m.start + phoff, phentsize * phnum);
  } catch (e) {
    if (e instanceof FaultError) return null;
    throw e;
  }
  const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
  let hdrVaddr: bigint | null = null, hdrSize = 0;
  const loads: { vaddr: bigint; memsz: bigint }[] = [];
  let minLoad: bigint | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    const type = pv.getUint32(o, true);
    const vaddr = pv.getBigUint64(o + 16, true);
    const memsz = pv.getBigUint64(o + 40, true);
    if (type === PT.LOAD) {
      loads.push({ vaddr, memsz });
      if (minLoad === null || vaddr < minLoad) minLoad = vaddr;
    } else if (type === PT_GNU_EH_FRAME && memsz < 1n << 24n) {
      hdrVaddr = vaddr;
      hdrSize = Number(memsz);
    }
  }
  if (hdrVaddr === null || minLoad === null) return null;
  const bias = m.start - (minLoad & ~0xfffn);
  try {
    const hdrAddr = hdrVaddr + bias;
    const hdr = read(hdrAddr, hdrSize);
    // eh_frame_hdr: version, eh_frame_ptr_enc, fde_count_enc, table_enc, eh_frame_ptr.
    if (hdr[0] !== 1 || hdr.length < 8) return null;
    const enc = hdr[1]!;
    const hv = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
    let ehAddr: bigint;
    if (enc === 0x1b) ehAddr = hdrAddr + 4n + BigInt(hv.getInt32(4, true)); // pcrel|sdata4
    else if (enc === 0x03) ehAddr = BigInt(hv.getUint32(4, true)) + bias; // udata4
    else if (enc === 0x04 && hdr.length >= 12) ehAddr = hv.getBigUint64(4, true) + bias;
    else return null;
    const seg = loads.find((l) => ehAddr - bias >= l.vaddr && ehAddr - bias < l.vaddr + l.memsz);
    if (seg === undefined) return null;
    const size = Number(seg.vaddr + seg.memsz - (ehAddr - bias));
    const data = read(ehAddr, Math.min(size, MAX_MEMORY_EH_FRAME));
    const table = CfiTable.parseEhFrame(data, {
      address: ehAddr,
      hdr: { data: hdr, address: hdrAddr },
      section: `${m.name} .eh_frame (memory)`,
    });
    return { table, pcOffset: 0n, name: `${m.name} .eh_frame (memory)` };
  } catch (e) {
    if (e instanceof FaultError || e instanceof DecodeError) return null;
    throw e;
  }
}

/**
 * The CFI of module `m` (built once and cached in `m.data`). Sections that
 * fail to parse are skipped with a warning in {@link ModuleCfi.warnings}.
 */
export function moduleCfi(prog: Program, m: Module): ModuleCfi {
  const cached = m.data.get("cfi") as ModuleCfi | undefined;
  if (cached !== undefined) return cached;
  const sources: CfiSource[] = [];
  const warnings: string[] = [];
  const debugElf = m.data.get("elf") as ElfFile | undefined;
  let codeElf = m.data.get("codeElf") as ElfFile | undefined;
  if (codeElf === undefined && m.path !== null) {
    if (debugElf !== undefined && debugElf.path === m.path) codeElf = debugElf;
    else {
      try {
        codeElf = ElfFile.open(m.path);
      } catch (e) {
        if (!(e instanceof TargetError || e instanceof DecodeError || e instanceof Error)) throw e;
        warnings.push(`${m.path}: ${(e as Error).message}`);
      }
    }
    if (codeElf !== undefined) m.data.set("codeElf", codeElf);
  }
  const sectionAddress = m.data.get("sectionAddress") as ((shndx: number) => bigint) | undefined;
  const attempt = (f: () => CfiSource | null) => {
    try {
      const s = f();
      if (s !== null) sources.push(s);
    } catch (e) {
      if (e instanceof DecodeError) warnings.push(e.message);
      else throw e;
    }
  };
  // .debug_frame: from the debug file, else the code file.
  const dfFile = debugElf !== undefined && usable(debugElf, ".debug_frame") !== null
    ? debugElf
    : codeElf;
  if (dfFile !== undefined) {
    attempt(() => debugFrameOf(dfFile, m.bias, dfFile.path, sectionAddress));
  }
  // .eh_frame: from the code file, else the debug file if it has a real copy, else memory.
  const ehFile = codeElf !== undefined && usable(codeElf, ".eh_frame") !== null
    ? codeElf
    : debugElf !== undefined && usable(debugElf, ".eh_frame") !== null
    ? debugElf
    : undefined;
  if (ehFile !== undefined) {
    if (ehFile.type !== ET.REL) attempt(() => ehFrameOf(ehFile, m.bias, ehFile.path));
  } else if (m.start < m.end) {
    attempt(() => ehFrameFromMemory(prog, m));
  }
  const cfi = new ModuleCfi(sources, warnings);
  m.data.set("cfi", cfi);
  return cfi;
}
