/**
 * Userspace core dumps (the kernel's and gdb's `gcore`): PT_LOAD segments
 * become memory, NT_PRSTATUS notes become threads, and NT_FILE plus the
 * in-memory ELF headers of each mapped file become modules (with their load
 * bias and build ID), so debug info can be found by build ID.
 *
 * Memory a core does not hold (read-only file mappings: `.text`, `.rodata`)
 * is read from the modules' ELF files once they are found: drgn 0.0.22 cannot
 * read string literals from cores; Wyvern can.
 *
 * @module
 */

import type { RandomAccessReader } from "../binary/file_reader.ts";
import { ElfFile } from "../elf/elf_file.ts";
import { NT, PT } from "../elf/constants.ts";
import {
  type AuxvEntry,
  parseAuxv,
  parseNtFile,
  parsePrpsinfo,
  parsePrstatus,
  parseSiginfo,
  type Prstatus,
} from "../elf/core_notes.ts";
import { FaultError, hex, LookupError, TargetError } from "../errors.ts";
import { FaultSource, FileSource } from "../memory/memory_reader.ts";
import type { Program } from "../program/program.ts";
import { Module } from "../program/module.ts";
import { Thread } from "../program/thread.ts";
import { loadUserspaceDebugInfo } from "./userspace_debug_info.ts";
import { userspaceStackTrace } from "../program/stack_trace.ts";

/** `AT_*` auxiliary vector types used here. */
const AT_PHDR = 3;
const AT_ENTRY = 9;
const AT_SYSINFO_EHDR = 33;

/** What the core's notes say, kept on the program as `targetData.get("core")`. */
export interface CoreInfo {
  readonly path: string;
  readonly elf: ElfFile;
  readonly prstatus: readonly Prstatus[];
  readonly pid: number | null;
  readonly comm: string | null;
  readonly auxv: readonly AuxvEntry[];
  /** The message for bytes a PT_LOAD does not hold. */
  readonly notSavedSource: FaultSource;
}

/** Opens a userspace ELF core on `prog`. */
export function openUserspaceCore(prog: Program, reader: RandomAccessReader, elf: ElfFile): void {
  const platform = elf.platform;
  prog.setPlatform(platform);
  // Memory: each PT_LOAD's saved bytes; the unsaved tail faults (kernel cores
  // write read-only file mappings with p_filesz 0).
  const notSaved = new FaultSource("memory not saved in core dump");
  let truncated = false;
  for (const seg of elf.segments) {
    if (seg.type !== PT.LOAD || seg.memsz === 0) continue;
    const start = seg.vaddr;
    let filesz = Math.min(seg.filesz, seg.memsz);
    if (seg.offset + filesz > reader.size) {
      truncated = true;
      filesz = Math.max(0, reader.size - seg.offset);
    }
    if (filesz > 0) {
      prog.memory.addSegment(start, BigInt(filesz), new FileSource(reader, seg.offset, filesz));
    }
    if (seg.memsz > filesz) {
      prog.memory.addSegment(start + BigInt(filesz), BigInt(seg.memsz - filesz), notSaved);
    }
  }
  if (truncated) {
    prog.warn(
      `${elf.path}: core dump is truncated (${reader.size} bytes); memory past the end reads as a fault`,
    );
  }
  // Notes.
  const prstatus: Prstatus[] = [];
  let pid: number | null = null;
  let comm: string | null = null;
  let auxv: AuxvEntry[] = [];
  let files: ReturnType<typeof parseNtFile> | null = null;
  let siginfo: ReturnType<typeof parseSiginfo> | null = null;
  for (const n of elf.notes()) {
    if (n.name !== "CORE" && n.name !== "LINUX") continue;
    switch (n.type) {
      case NT.PRSTATUS:
        if (n.name === "CORE") prstatus.push(parsePrstatus(n.desc, platform, n.offset));
        break;
      case NT.PRPSINFO: {
        const p = parsePrpsinfo(n.desc, platform, n.offset);
        pid = p.pid;
        comm = p.fname;
        break;
      }
      case NT.AUXV:
        auxv = parseAuxv(n.desc, platform, n.offset);
        break;
      case NT.FILE:
        files = parseNtFile(n.desc, platform, n.offset);
        break;
      case NT.SIGINFO:
        siginfo = parseSiginfo(n.desc, platform, n.offset);
        break;
    }
  }
  if (prstatus.length === 0) {
    throw new TargetError(elf.path, "core dump has no NT_PRSTATUS notes (no threads)");
  }
  pid ??= prstatus[0]!.pid;
  const core: CoreInfo = {
    path: elf.path,
    elf,
    prstatus,
    pid,
    comm,
    auxv,
    notSavedSource: notSaved,
  };
  prog.targetData.set("core", core);
  prog.targetData.set("siginfo", siginfo);
  prog.targetDescription = `core dump ${elf.path}`;

  // Threads, in note order; the main thread is the one whose TID is the PID.
  const threads = prstatus.map((p, i) =>
    new Thread(prog, p.pid, i === 0 || p.pid === pid ? comm : null, p.registers, null, {
      prstatus: p,
    })
  );
  const byTid = new Map(threads.map((t) => [t.tid, t]));
  prog.threadProvider = {
    threads: () => threads,
    thread(tid: number) {
      const t = byTid.get(tid);
      if (!t) throw new LookupError(`thread with TID ${tid} not found`, "thread", String(tid));
      return t;
    },
    mainThread: () => byTid.get(pid!) ?? threads[0]!,
    crashedThread: () => threads[0]!,
  };

  // Modules from NT_FILE, the auxiliary vector and the ELF headers in memory.
  discoverModules(prog, files?.files ?? [], auxv);
  prog.targetData.set("loadDebugInfo", loadUserspaceDebugInfo);
  prog.stackTraceProvider = userspaceStackTrace;
}

interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly fileOffset: bigint;
}

/** Reads an ELF image's headers from target memory: build ID and link-time base. */
export function elfHeadersFromMemory(
  prog: Program,
  base: bigint,
): { buildId: string | null; minVaddr: bigint; maxVaddr: bigint; phdrs: PhdrInfo[] } | null {
  let head: Uint8Array;
  try {
    head = prog.read(base, 64);
  } catch (e) {
    if (e instanceof FaultError) return null;
    throw e;
  }
  if (head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return null;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const phoff = is64 ? Number(dv.getBigUint64(32, le)) : dv.getUint32(28, le);
  const phentsize = dv.getUint16(is64 ? 54 : 42, le);
  const phnum = dv.getUint16(is64 ? 56 : 44, le);
  if (phnum === 0 || phnum > 512 || phentsize < (is64 ? 56 : 32)) return null;
  let ph: Uint8Array;
  try {
    ph = prog.read(base + BigInt(phoff), phentsize * phnum);
  } catch (e) {
    if (e instanceof FaultError) return null;
    throw e;
  }
  const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
  const phdrs: PhdrInfo[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    const type = pv.getUint32(o, le);
    if (is64) {
      phdrs.push({
        type,
        offset: pv.getBigUint64(o + 8, le),
        vaddr: pv.getBigUint64(o + 16, le),
        filesz: pv.getBigUint64(o + 32, le),
        memsz: pv.getBigUint64(o + 40, le),
      });
    } else {
      phdrs.push({
        type,
        offset: BigInt(pv.getUint32(o + 4, le)),
        vaddr: BigInt(pv.getUint32(o + 8, le)),
        filesz: BigInt(pv.getUint32(o + 16, le)),
        memsz: BigInt(pv.getUint32(o + 20, le)),
      });
    }
  }
  const loads = phdrs.filter((p) => p.type === PT.LOAD);
  if (loads.length === 0) return null;
  let minVaddr = loads[0]!.vaddr;
  let maxVaddr = 0n;
  for (const l of loads) {
    if (l.vaddr < minVaddr) minVaddr = l.vaddr;
    if (l.vaddr + l.memsz > maxVaddr) maxVaddr = l.vaddr + l.memsz;
  }
  // The build ID: a PT_NOTE in the first loaded page, usually.
  let buildId: string | null = null;
  const bias = base - (minVaddr & ~0xfffn);
  for (const p of phdrs) {
    if (p.type !== PT.NOTE || p.filesz > 0x10000n) continue;
    try {
      const notes = prog.read(p.vaddr + bias, Number(p.filesz));
      buildId = findBuildIdNote(notes, le);
      if (buildId) break;
    } catch (e) {
      if (!(e instanceof FaultError)) throw e;
    }
  }
  return { buildId, minVaddr, maxVaddr, phdrs };
}

/** A program header read from memory. */
export interface PhdrInfo {
  readonly type: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
}

/** Finds an NT_GNU_BUILD_ID ("GNU", type 3) in raw note bytes. */
export function findBuildIdNote(data: Uint8Array, le: boolean): string | null {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  while (o + 12 <= data.length) {
    const namesz = dv.getUint32(o, le);
    const descsz = dv.getUint32(o + 4, le);
    const type = dv.getUint32(o + 8, le);
    const nameOff = o + 12;
    const descOff = nameOff + ((namesz + 3) & ~3);
    const next = descOff + ((descsz + 3) & ~3);
    if (next > data.length || namesz > 0x1000 || descsz > 0x10000) break;
    if (
      type === 3 && namesz === 4 && data[nameOff] === 0x47 && data[nameOff + 1] === 0x4e &&
      data[nameOff + 2] === 0x55
    ) {
      return [...data.subarray(descOff, descOff + descsz)]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
    }
    o = next;
  }
  return null;
}

/** Creates modules from file mappings (NT_FILE or /proc/PID/maps) and the auxiliary vector. */
export function discoverModules(
  prog: Program,
  files: readonly { start: bigint; end: bigint; fileOffset: bigint; path: string }[],
  auxv: readonly AuxvEntry[],
): void {
  const entry = auxv.find((a) => a.type === AT_ENTRY)?.value ?? null;
  const atPhdr = auxv.find((a) => a.type === AT_PHDR)?.value ?? null;
  const byPath = new Map<string, Mapping[]>();
  for (const f of files) {
    let l = byPath.get(f.path);
    if (!l) byPath.set(f.path, l = []);
    l.push({ start: f.start, end: f.end, fileOffset: f.fileOffset });
  }
  for (const [path, maps] of byPath) {
    const first = maps.find((m) => m.fileOffset === 0n) ?? null;
    if (first === null) continue;
    const hdr = elfHeadersFromMemory(prog, first.start);
    let start = maps[0]!.start;
    let end = maps[0]!.end;
    for (const m of maps) {
      if (m.start < start) start = m.start;
      if (m.end > end) end = m.end;
    }
    // Without readable headers, assume the first mapping is the first PT_LOAD
    // at link address 0 (PIE and shared objects); corrected when the file is found.
    const bias = hdr ? first.start - (hdr.minVaddr & ~0xfffn) : first.start;
    // .bss past the last file mapping is anonymous memory: still the module's.
    if (hdr && hdr.maxVaddr + bias > end) end = hdr.maxVaddr + bias;
    const isMain = (entry !== null && entry >= start && entry < end) ||
      (atPhdr !== null && atPhdr >= start && atPhdr < end);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const m = new Module(
      name,
      isMain ? "main" : "shared_library",
      start,
      end,
      bias,
      hdr?.buildId ?? null,
    );
    m.data.set("ntFilePath", path);
    m.data.set("mappings", maps);
    m.data.set("headersFromMemory", hdr !== null);
    prog.addModule(m);
  }
  // The vdso is not in NT_FILE: its image is in memory at AT_SYSINFO_EHDR.
  const vdso = auxv.find((a) => a.type === AT_SYSINFO_EHDR)?.value;
  if (vdso !== undefined && vdso !== 0n) {
    const hdr = elfHeadersFromMemory(prog, vdso);
    if (hdr) {
      const bias = vdso - (hdr.minVaddr & ~0xfffn);
      const m = new Module("[vdso]", "vdso", vdso, hdr.maxVaddr + bias, bias, hdr.buildId);
      prog.addModule(m);
    }
  }
}

/** Reads the vdso's ELF image from memory (its section headers are at the end). */
export function vdsoImage(prog: Program, m: Module): ElfFile | null {
  try {
    const head = prog.read(m.start, 64);
    const dv = new DataView(head.buffer);
    const shoff = Number(dv.getBigUint64(40, true));
    const shentsize = dv.getUint16(58, true);
    const shnum = dv.getUint16(60, true);
    const size = shoff + shentsize * shnum;
    if (size <= 0 || size > 1 << 20) return null;
    return ElfFile.fromBytes(prog.read(m.start, size), "[vdso]");
  } catch (e) {
    if (e instanceof FaultError || e instanceof TargetError) return null;
    throw e;
  }
}

export { hex };
