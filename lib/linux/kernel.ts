/**
 * Linux kernel targets: crash dumps in every format (ELF from kdump,
 * makedumpfile or QEMU, with or without virtual addresses; compressed
 * kdump; flattened streams) and the running kernel through /proc/kcore.
 *
 * Physical memory comes from the dump; kernel virtual addresses the dump
 * does not map directly are translated through the kernel's page tables
 * (root from VMCOREINFO, found through the kernel text mapping and
 * `phys_base`), so dumps with physical addresses only (QEMU's ELF,
 * `makedumpfile -E`) read like any other — drgn 0.0.22 fails on those
 * with "recursive address translation".
 *
 * @module
 */

import { decodeUtf8 } from "../binary/byte_reader.ts";
import { FileReader, type RandomAccessReader } from "../binary/file_reader.ts";
import { ElfFile } from "../elf/elf_file.ts";
import { NT, PT } from "../elf/constants.ts";
import { parseNotes } from "../elf/notes.ts";
import { parsePrstatus, type Prstatus } from "../elf/core_notes.ts";
import { FaultError, TargetError } from "../errors.ts";
import { FaultSource, FileSource, type MemorySource, ZeroSource } from "../memory/memory_reader.ts";
import type { Program } from "../program/program.ts";
import { X86_64 } from "../platform.ts";
import { DiskDump } from "./dump/diskdump.ts";
import { X86PageTable } from "./page_table.ts";
import { VmcoreInfo } from "./vmcoreinfo.ts";
import { installKernelObjectFinder } from "./kernel_objects.ts";
import { loadKernelDebugInfo } from "./kernel_debug_info.ts";
import { installKernelThreads } from "./kernel_stack.ts";

/** x86-64 `__START_KERNEL_map`: where the kernel image is mapped. */
export const START_KERNEL_MAP = 0xffffffff80000000n;

/** What the kernel target knows, as `prog.targetData.get("kernel")`. */
export interface KernelInfo {
  readonly vmcoreinfo: VmcoreInfo;
  /** The dump format (`kdump`, `elf`, `kcore`). */
  readonly format: string;
  /** Per-CPU NT_PRSTATUS notes, in note order (CPU order for QEMU and kdump). */
  readonly prstatus: readonly Prstatus[];
  /** The kernel page table (null if it could not be located). */
  pageTable: X86PageTable | null;
  /** The direct map base (`page_offset_base`), once known. */
  pageOffset: bigint | null;
  /** Whether the target is the running kernel. */
  readonly live: boolean;
  /** The dump file's reader (closed with the program). */
  readonly reader: RandomAccessReader;
}

/** The kernel target info of `prog`, or throws if `prog` is not a kernel. */
export function kernelInfo(prog: Program): KernelInfo {
  const k = prog.targetData.get("kernel") as KernelInfo | undefined;
  if (!k) throw new TypeError("not a Linux kernel program");
  return k;
}

/** Reads kernel virtual addresses no segment maps by walking the page tables. */
class KernelVirtualSource implements MemorySource {
  readonly #prog: Program;
  readonly #info: KernelInfo;
  constructor(prog: Program, info: KernelInfo) {
    this.#prog = prog;
    this.#info = info;
  }
  readInto(
    _offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
  ): void {
    const pt = this.#info.pageTable;
    if (pt === null) throw new FaultError("no page table to translate address", address);
    let done = 0;
    let a = address;
    while (done < length) {
      const t = pt.translate(a);
      if (t === null) throw new FaultError("address not mapped", a);
      const inPage = t.pageSize - (t.paddr & (t.pageSize - 1n));
      const n = Math.min(length - done, Number(inPage));
      try {
        this.#prog.memory.readInto(t.paddr, dest, destOffset + done, n, true);
      } catch (e) {
        if (e instanceof FaultError) {
          throw new FaultError(
            `${e.message.replace(/: 0x[0-9a-f]+$/, "")} (virtual address ${hex(a)}, physical)`,
            e.address,
            true,
          );
        }
        throw e;
      }
      done += n;
      a += BigInt(n);
    }
  }
}

function hex(v: bigint): string {
  return "0x" + v.toString(16);
}

/** A virtual range mapped linearly onto physical memory (direct map, kernel text). */
export class PhysicalAliasSource implements MemorySource {
  readonly #prog: Program;
  readonly physStart: bigint;
  constructor(prog: Program, physStart: bigint) {
    this.#prog = prog;
    this.physStart = physStart;
  }
  readInto(offset: bigint, dest: Uint8Array, destOffset: number, length: number): void {
    this.#prog.memory.readInto(this.physStart + offset, dest, destOffset, length, true);
  }
}

/** The first kernel-half virtual address of a 5- or 4-level address space. */
function kernelHalfStart(l5: boolean): bigint {
  return l5 ? 0xff00000000000000n : 0xffff800000000000n;
}

function readNotesVmcoreinfo(elf: ElfFile): { vmcoreinfo: string | null; prstatus: Prstatus[] } {
  let vmcoreinfo: string | null = null;
  const prstatus: Prstatus[] = [];
  for (const n of elf.notes()) {
    if (n.name === "VMCOREINFO") {
      vmcoreinfo = decodeUtf8(n.desc);
    } else if (n.name === "CORE" && n.type === NT.PRSTATUS) {
      prstatus.push(parsePrstatus(n.desc, elf.platform, n.offset));
    }
  }
  return { vmcoreinfo, prstatus };
}

/** Common setup once physical memory and VMCOREINFO are known. */
function finishKernel(
  prog: Program,
  info: KernelInfo,
): void {
  const vi = info.vmcoreinfo;
  prog.setFlags({ isLinuxKernel: true, isLive: info.live });
  prog.targetData.set("kernel", info);
  // The page table: swapper_pg_dir is in the kernel image, whose physical
  // address is its offset from __START_KERNEL_map plus phys_base.
  if (vi.swapperPgDir !== null && vi.physBase !== null) {
    const root = BigInt.asUintN(64, vi.swapperPgDir - START_KERNEL_MAP + vi.physBase);
    info.pageTable = new X86PageTable(root, vi.pgtableL5Enabled ? 5 : 4, (paddr) => {
      return prog.memory.read(paddr, 4096, true);
    });
  }
  // Kernel virtual addresses no segment maps go through the page tables.
  const start = kernelHalfStart(vi.pgtableL5Enabled);
  prog.memory.virtual.addBelow(start, 1n << 64n, new KernelVirtualSource(prog, info));
  prog.memory.unmappedMessage = "could not find memory segment";
  installKernelObjectFinder(prog);
  prog.targetData.set("loadDebugInfo", loadKernelDebugInfo);
  installKernelThreads(prog);
}

/**
 * Opens a kernel crash dump: `format` is what content detection found
 * (`kdump` or `elf`, after reassembling flattened streams).
 */
export function openKernelDump(
  prog: Program,
  reader: RandomAccessReader,
  format: "kdump" | "elf",
  elf?: ElfFile,
  givenVmcoreinfo?: string,
): void {
  prog.setPlatform(X86_64);
  if (format === "kdump") {
    const dump = DiskDump.open(reader);
    const vmcoreinfo = givenVmcoreinfo ?? dump.vmcoreinfo;
    if (vmcoreinfo === null) {
      throw new TargetError(
        reader.path,
        "kdump file has no VMCOREINFO: cannot tell the kernel release, page tables or " +
          "KASLR offset (give it with the vmcoreinfo option)",
      );
    }
    dump.addToMemory(prog.memory);
    const prstatus: Prstatus[] = [];
    for (const n of dump.notes) {
      if (n.name === "CORE" && n.type === NT.PRSTATUS) {
        prstatus.push(parsePrstatus(n.desc, X86_64));
      }
    }
    const vi = new VmcoreInfo(vmcoreinfo, reader.path);
    const info: KernelInfo = {
      vmcoreinfo: vi,
      format: "kdump",
      prstatus,
      pageTable: null,
      pageOffset: null,
      live: false,
      reader,
    };
    prog.targetDescription = `kernel crash dump ${reader.path} (kdump, ${vi.osrelease})`;
    finishKernel(prog, info);
    return;
  }
  const e = elf ?? ElfFile.fromReader(reader);
  prog.setPlatform(e.platform);
  const notes = readNotesVmcoreinfo(e);
  const vmcoreinfo = givenVmcoreinfo ?? notes.vmcoreinfo;
  const prstatus = notes.prstatus;
  if (vmcoreinfo === null) {
    throw new TargetError(reader.path, "ELF vmcore has no VMCOREINFO note");
  }
  const vi = new VmcoreInfo(vmcoreinfo, reader.path);
  addElfSegments(prog, e, reader, false);
  const info: KernelInfo = {
    vmcoreinfo: vi,
    format: "elf",
    prstatus,
    pageTable: null,
    pageOffset: null,
    live: false,
    reader,
  };
  prog.targetDescription = `kernel crash dump ${reader.path} (ELF, ${vi.osrelease})`;
  finishKernel(prog, info);
}

/**
 * Maps an ELF vmcore's PT_LOADs: physical ranges from `p_paddr` (valid with
 * VMCOREINFO), virtual ranges from `p_vaddr` when it is a kernel address
 * distinct from the physical one. Bytes past `p_filesz` read as zeros.
 */
function addElfSegments(
  prog: Program,
  elf: ElfFile,
  reader: RandomAccessReader,
  live: boolean,
): void {
  let truncated = false;
  const kernelHalf = 0xff00000000000000n;
  const phys: { start: bigint; end: bigint; source: MemorySource }[] = [];
  const virt: { start: bigint; end: bigint; source: MemorySource }[] = [];
  const zero = new ZeroSource();
  const lost = new FaultSource("not in the dump, whose file is truncated");
  for (const seg of elf.segments) {
    if (seg.type !== PT.LOAD || seg.memsz === 0) continue;
    // [0, inFile) is in the file; [inFile, filesz) was cut off with the
    // end of the file (a fault, never zeros); [filesz, memsz) is zeros
    // (ELF's rule, which makedumpfile -E uses for excluded pages).
    const filesz = Math.min(seg.filesz, seg.memsz);
    let inFile = filesz;
    if (seg.offset + filesz > reader.size) {
      truncated = true;
      inFile = Math.max(0, Math.min(filesz, reader.size - seg.offset));
    }
    const data = inFile > 0 ? new FileSource(reader, seg.offset, inFile) : null;
    const iEnd = BigInt(inFile);
    const fEnd = BigInt(filesz);
    const mEnd = BigInt(seg.memsz);
    const physValid = seg.paddr !== 0xffffffffffffffffn && !(live && seg.paddr === 0n);
    const add = (list: typeof phys, base: bigint) => {
      if (data) list.push({ start: base, end: base + iEnd, source: data });
      if (fEnd > iEnd) list.push({ start: base + iEnd, end: base + fEnd, source: lost });
      if (mEnd > fEnd) list.push({ start: base + fEnd, end: base + mEnd, source: zero });
    };
    if (physValid) add(phys, seg.paddr);
    if (seg.vaddr >= kernelHalf && seg.vaddr !== seg.paddr) add(virt, seg.vaddr);
  }
  prog.memory.physical.addMany(phys);
  prog.memory.virtual.addMany(virt);
  if (truncated) {
    prog.warn(
      `${reader.path}: the dump is truncated; memory past the end of the file cannot be read`,
    );
  }
}

/**
 * Opens the running kernel through /proc/kcore (`path` is for tests: any
 * file laid out like /proc/kcore, read without caching as live memory).
 */
export function openLiveKernel(
  prog: Program,
  path = "/proc/kcore",
  givenVmcoreinfo?: string,
  sysVmcoreinfo = "/sys/kernel/vmcoreinfo",
): void {
  let reader: FileReader;
  try {
    reader = FileReader.open(path, 0);
  } catch (e) {
    throw new TargetError(
      path,
      `cannot open the running kernel's memory (${
        e instanceof Error ? e.message.replace(`${path}: `, "") : e
      }); run as root with --allow-all, or give a vmcore with -c`,
    );
  }
  let elf: ElfFile;
  try {
    elf = ElfFile.fromReader(new LiveFileReader(path));
  } catch (e) {
    reader.close();
    throw new TargetError(path, `cannot read it: ${e instanceof Error ? e.message : e}`);
  }
  reader.close();
  prog.setPlatform(elf.platform);
  addElfSegments(prog, elf, elf.reader, true);
  const vmcoreinfo = givenVmcoreinfo ?? readNotesVmcoreinfo(elf).vmcoreinfo ??
    vmcoreinfoFromSys(prog, path, sysVmcoreinfo);
  const vi = new VmcoreInfo(vmcoreinfo, path);
  const info: KernelInfo = {
    vmcoreinfo: vi,
    format: "kcore",
    prstatus: [],
    pageTable: null,
    pageOffset: null,
    live: true,
    reader: elf.reader,
  };
  prog.targetDescription = `running kernel (${vi.osrelease})`;
  finishKernel(prog, info);
}

/**
 * VMCOREINFO of a running kernel whose /proc/kcore has no note (Linux
 * 4.11–4.18): /sys/kernel/vmcoreinfo gives the note's physical address and
 * size (`"%lx %x"`), and /proc/kcore's segments carry physical addresses
 * since Linux 4.11.
 */
function vmcoreinfoFromSys(prog: Program, kcore: string, sysPath: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(sysPath);
  } catch (e) {
    throw new TargetError(
      kcore,
      `no VMCOREINFO note, and ${sysPath} is not readable (${
        e instanceof Error ? e.message : e
      }); give VMCOREINFO with the vmcoreinfo option or use a vmcore`,
    );
  }
  const m = /^\s*([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s*$/.exec(text);
  if (m === null) throw new TargetError(sysPath, `unexpected contents '${text.trim()}'`);
  const address = BigInt(`0x${m[1]}`);
  const size = parseInt(m[2]!, 16);
  if (size < 12 || size > 1 << 20) throw new TargetError(sysPath, `absurd note size ${size}`);
  let data: Uint8Array;
  try {
    data = prog.read(address, size, true);
  } catch (e) {
    if (!(e instanceof FaultError)) throw e;
    // Linux before 4.11 leaves /proc/kcore's p_paddr 0: find the direct
    // map's base by where the note is, then derive physical addresses.
    const found = findNoteThroughDirectMap(prog, address, size);
    if (found === null) {
      throw new TargetError(
        kcore,
        `cannot read the VMCOREINFO note at physical ${hex(address)} named by ${sysPath}: ` +
          "no segment has that physical address, and no direct-map base finds it",
      );
    }
    addDirectMapPhysical(prog, found.pageOffset);
    data = found.data;
  }
  const note = parseNotes(data, { littleEndian: prog.platform.littleEndian, what: sysPath })
    .find((n) => n.name === "VMCOREINFO");
  if (note === undefined) {
    throw new TargetError(sysPath, `no VMCOREINFO note at physical ${hex(address)}`);
  }
  return decodeUtf8(note.desc);
}

/** Whether `data` holds an ELF note named VMCOREINFO. */
function isVmcoreinfoNote(data: Uint8Array, littleEndian: boolean): boolean {
  try {
    return parseNotes(data, { littleEndian }).some((n) => n.name === "VMCOREINFO");
  } catch {
    return false;
  }
}

/**
 * Looks for the VMCOREINFO note at physical `address` through the kernel's
 * direct map, trying the fixed bases (4- and 5-level paging) and every
 * 1 GiB-aligned base below a kernel-half segment (KASLR randomizes
 * page_offset_base in 1 GiB steps). A base counts only if the note is there.
 */
function findNoteThroughDirectMap(
  prog: Program,
  address: bigint,
  size: number,
): { pageOffset: bigint; data: Uint8Array } | null {
  const GiB = 1n << 30n;
  const candidates = new Set<bigint>([0xffff880000000000n, 0xff11000000000000n]);
  for (const seg of prog.memory.virtual.segments) {
    if (seg.start >= 0xff00000000000000n) candidates.add(seg.start - (seg.start % GiB));
  }
  for (const base of candidates) {
    let data: Uint8Array;
    try {
      data = prog.read(base + address, size);
    } catch {
      continue;
    }
    if (isVmcoreinfoNote(data, prog.platform.littleEndian)) return { pageOffset: base, data };
  }
  return null;
}

/** Maps physical memory through the direct map at `pageOffset` (its 64 TiB, or 32 PiB with LA57). */
function addDirectMapPhysical(prog: Program, pageOffset: bigint): void {
  const span = pageOffset < 0xffff800000000000n ? 1n << 55n : 1n << 46n;
  const phys = [];
  for (const seg of prog.memory.virtual.segments) {
    if (seg.start >= pageOffset && seg.end <= pageOffset + span) {
      phys.push({
        start: seg.start - pageOffset,
        end: seg.end - pageOffset,
        source: seg.source,
        origin: seg.origin - pageOffset,
      });
    }
  }
  prog.memory.physical.addMany(phys);
}

/**
 * Positioned reads of a live file (/proc/kcore) with no cache: the memory
 * behind it changes while we read.
 */
class LiveFileReader implements RandomAccessReader {
  readonly path: string;
  readonly size: number = Number.MAX_SAFE_INTEGER;
  #file: Deno.FsFile;
  constructor(path: string) {
    this.path = path;
    this.#file = Deno.openSync(path, { read: true });
  }
  readAt(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < length) {
      const n = this.#file.readSync(out.subarray(done));
      if (n === null || n === 0) {
        throw new TargetError(this.path, `short read at offset ${offset + done}`);
      }
      done += n;
    }
    return out;
  }
  close(): void {
    try {
      this.#file.close();
    } catch {
      // closed
    }
  }
}
