/**
 * Loading a kernel's debug info: the vmlinux (found by release in the
 * standard places or given with `-s`, and refused with a warning when its
 * build ID or release does not match the dump), relocated by the KASLR
 * offset; then the loaded modules, found by name and relocated by the
 * section addresses the kernel recorded for each.
 *
 * @module
 */

import { ElfFile, type ElfSection } from "../elf/elf_file.ts";
import { PT, SHF, SHT } from "../elf/constants.ts";
import { mapFile } from "../binary/mmap.ts";
import { DecodeError, TargetError } from "../errors.ts";
import type { Program } from "../program/program.ts";
import { Module } from "../program/module.ts";
import { type RawSymbol, symbolColumnsOf, SymbolTable } from "../program/symbol.ts";
import { HI32, LO32 } from "../binary/byte_reader.ts";
import { attachDebugInfo, ensureFinders } from "../program/debug_info.ts";
import type { KernelInfo } from "./kernel.ts";
import {
  checkVmlinux,
  findVmlinux,
  isKernelModuleFile,
  kernelModuleName,
  moduleDirs,
  peekKernelModule,
  vmlinuxCandidates,
} from "./find_vmlinux.ts";
import { dirname } from "../path.ts";
import { forEachLoadedModule, type LoadedModule } from "./kernel_modules.ts";

/** Whether `elf` has DWARF to load (`.debug_info`, or GNU's `.zdebug_info`). */
function hasDwarfSections(elf: ElfFile): boolean {
  const s = elf.section(".debug_info") ?? elf.section(".zdebug_info");
  return s !== undefined && s.size > 0 && s.type !== SHT.NOBITS;
}

/** The kernel's per-CPU section: its symbols are offsets, not relocated by KASLR. */

/** A kernel module file given to load: opened, or its path (see {@link peekKernelModule}). */
type ModuleFile = ElfFile | string;

function openElf(path: string): ElfFile | null {
  try {
    return ElfFile.open(path);
  } catch {
    return null;
  }
}

/**
 * Relocates a vmlinux address by the KASLR offset: addresses in the kernel
 * image move; per-CPU offsets (below the kernel half) do not.
 */
export function kernelAddressRelocator(offset: bigint): (addr: bigint) => bigint {
  return (addr) => (addr >= 0xffff800000000000n ? BigInt.asUintN(64, addr + offset) : addr);
}

/**
 * The link-time values of the global symbols `names` in `elf`'s `.symtab`,
 * found by a raw scan of the table's global part (no symbol objects: the
 * full table is built lazily; only the globals and their names are read).
 */
function rawGlobalSymbolValues(elf: ElfFile, names: readonly string[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const sec = elf.section(".symtab");
  if (sec === undefined || !elf.is64 || sec.entsize !== 24) return out;
  const strSec = elf.sections[sec.link];
  if (strSec === undefined) return out;
  // The file's map when there is one (the DWARF sections use it too), else reads.
  const map = mapFile(elf.path);
  const whole = map !== null && map.bytes.length === elf.fileSize ? map.bytes : null;
  const range = (s: ElfSection, start: number, length: number) =>
    whole !== null && (s.flags & SHF.COMPRESSED) === 0n && s.offset + s.size <= whole.length
      ? whole.subarray(s.offset + start, s.offset + Math.min(s.size, start + length))
      : elf.sectionRange(s, start, length);
  // sh_info: index of the first non-local symbol.
  const first = Math.max(1, Math.min(sec.info, Math.floor(sec.size / 24)));
  const tab = range(sec, first * 24, sec.size - first * 24);
  const v = new DataView(tab.buffer, tab.byteOffset, tab.byteLength);
  const le = elf.littleEndian;
  // The globals' names: one read of the string table range they span.
  let lo = strSec.size;
  let hi = 0;
  for (let p = 0; p + 24 <= tab.length; p += 24) {
    const nameOff = v.getUint32(p, le);
    if (nameOff < lo) lo = nameOff;
    if (nameOff > hi) hi = nameOff;
  }
  if (lo > hi) return out;
  const longest = Math.max(...names.map((n) => n.length)) + 1;
  const str = range(strSec, lo, hi - lo + longest);
  const want = names.map((n) => new TextEncoder().encode(n + "\0"));
  const firstByte = new Uint8Array(256);
  for (const w of want) firstByte[w[0]!] = 1;
  for (let p = 0; p + 24 <= tab.length; p += 24) {
    const at = v.getUint32(p, le) - lo;
    if (at >= str.length || firstByte[str[at]!] === 0) continue;
    for (let k = 0; k < want.length; k++) {
      const w = want[k]!;
      let same = at + w.length <= str.length;
      for (let i = 0; same && i < w.length; i++) same = str[at + i] === w[i];
      if (same && !out.has(names[k]!)) out.set(names[k]!, v.getBigUint64(p + 8, le));
    }
  }
  return out;
}

const SHN_ABS = 0xfff1;

/** The vmlinux symbol table relocated by the KASLR offset. */
function vmlinuxSymbolTable(elf: ElfFile, offset: bigint): SymbolTable {
  // Allocated sections at their (KASLR-shifted) addresses, as elfutils
  // sees drgn's vmlinux: a sizeless symbol covers only its own section.
  const sections = elf.sections.map((sec) =>
    (sec.flags & SHF.ALLOC) !== 0n ? [sec.addr, sec.addr + BigInt(sec.size)] as const : undefined
  );
  const raw = elf.symbolColumns("symtab");
  if (raw === null) return new SymbolTable([], offset, sections);
  // Kernel-image addresses move by the offset; per-CPU offsets and
  // absolute symbols keep their link-time values (as elfutils: SHN_ABS ones
  // such as init_per_cpu__* are not relocated; __per_cpu_load and
  // __init_begin, kernel addresses in .data..percpu, are). As 32-bit
  // halves: no bigint per symbol.
  const n = raw.length;
  const address = new BigUint64Array(n);
  const to = new Uint32Array(address.buffer);
  const from = new Uint32Array(raw.value.buffer, raw.value.byteOffset, 2 * n);
  const off = BigInt.asUintN(64, offset);
  const offLo = Number(off & 0xffffffffn);
  const offHi = Number(off >> 32n);
  for (let i = 0; i < n; i++) {
    let lo = from[2 * i + LO32]!;
    let hi = from[2 * i + HI32]!;
    if (hi >= 0xffff8000 && raw.shndx[i] !== SHN_ABS) {
      lo += offLo;
      hi += offHi;
      if (lo > 0xffffffff) {
        lo -= 0x100000000;
        hi++;
      }
      hi >>>= 0;
    }
    to[2 * i + LO32] = lo;
    to[2 * i + HI32] = hi;
  }
  return new SymbolTable(symbolColumnsOf(raw, address), offset, sections);
}

/**
 * Makes `m[key]` be `make()`, built on first use (and replaced by
 * assignments): vmlinux's address range needs a scan of its ~130,000
 * symbols, and listing tasks does not need it.
 */
function lazyProperty<K extends "start" | "end">(
  m: Module,
  key: K,
  make: () => Module[K],
): void {
  let value: Module[K] | undefined;
  let made = false;
  Object.defineProperty(m, key, {
    configurable: true,
    enumerable: true,
    get: () => {
      if (!made) {
        value = make();
        made = true;
      }
      return value;
    },
    set: (v: Module[K]) => {
      value = v;
      made = true;
    },
  });
}

/** The vmlinux's address range at link time: `[min(_text, _stext), _end)`. */
function vmlinuxRange(elf: ElfFile): [bigint, bigint] {
  const marks = rawGlobalSymbolValues(elf, ["_text", "_stext", "_end"]);
  let lo = 0xffffffffffffffffn;
  for (const n of ["_text", "_stext"]) {
    const x = marks.get(n);
    if (x !== undefined && x >= 0xffff800000000000n && x < lo) lo = x;
  }
  let hi = marks.get("_end") ?? 0n;
  if (hi < 0xffff800000000000n) hi = 0n;
  if (lo === 0xffffffffffffffffn) lo = 0xffffffff80000000n;
  if (hi === 0n) hi = 0xffffffffc0000000n;
  return [lo, hi];
}

/**
 * The link-time range of the vmlinux's kernel-half `PT_LOAD` segments (the
 * per-CPU one, linked at 0, left out): where elfutils, hence drgn, finds its
 * symbols (the init scratch area after `_end` included); null without such
 * segments.
 */
function vmlinuxLoadRange(elf: ElfFile): [bigint, bigint] | null {
  let lo = 0xffffffffffffffffn;
  let hi = 0n;
  for (const seg of elf.segments) {
    if (seg.type !== PT.LOAD || seg.vaddr < 0xffff800000000000n) continue;
    const align = BigInt(seg.align > 1 ? seg.align : 1);
    const start = seg.vaddr - seg.vaddr % align;
    if (start < lo) lo = start;
    if (seg.vaddr + BigInt(seg.memsz) > hi) hi = seg.vaddr + BigInt(seg.memsz);
  }
  return hi > lo ? [lo, hi] : null;
}

function attachVmlinux(prog: Program, k: KernelInfo, elf: ElfFile): Module {
  const offset = k.vmcoreinfo.kaslrOffset;
  const m = new Module("kernel", "linux_kernel", 0n, 0n, offset, elf.buildIdHex());
  let range: [bigint, bigint] | null = null;
  const linkRange = () => (range ??= vmlinuxRange(elf));
  lazyProperty(m, "start", () => linkRange()[0] + offset);
  lazyProperty(m, "end", () => linkRange()[1] + offset);
  m.path = elf.path;
  m.debugPath = elf.path;
  m.data.set("relocate", kernelAddressRelocator(offset));
  m.deferSymtab(() => vmlinuxSymbolTable(elf, offset));
  let symbolRange: [bigint, bigint] | null = null;
  m.data.set("symbolRange", (): [bigint, bigint] => {
    if (symbolRange === null) {
      const r = vmlinuxLoadRange(elf) ?? linkRange();
      symbolRange = [r[0] + offset, r[1] + offset];
    }
    return symbolRange;
  });
  prog.addModule(m);
  ensureFinders(prog);
  attachDebugInfo(prog, m, elf);
  return m;
}

/** `prog.loadDebugInfo()` for kernel targets. */
export function loadKernelDebugInfo(
  prog: Program,
  paths: string[],
  opts: { default?: boolean; main?: boolean },
): void {
  const k = prog.targetData.get("kernel") as KernelInfo;
  const vi = k.vmcoreinfo;
  // Module files are opened when the modules are listed (see
  // deferKernelModules); the others now.
  const moduleFiles: ModuleFile[] = [];
  const others: ElfFile[] = [];
  for (const p of paths) {
    if (peekKernelModule(p) === true) {
      moduleFiles.push(p);
      continue;
    }
    const elf = ElfFile.open(p);
    if (isKernelModuleFile(elf)) moduleFiles.push(elf);
    else others.push(elf);
  }
  let kernel = prog.loadedModules.find((m) => m.kind === "linux_kernel") ?? null;
  if (kernel === null) {
    for (const elf of others) {
      const check = checkVmlinux(elf, vi.buildId, vi.osrelease);
      if (check.ok) {
        kernel = attachVmlinux(prog, k, elf);
        break;
      }
      prog.warn(`${elf.path}: not loaded: ${check.reason}`);
    }
  }
  if (kernel === null && (opts.default || opts.main)) {
    const path = findVmlinux(vi.osrelease);
    if (path !== null) {
      const elf = openElf(path);
      if (elf) {
        const check = checkVmlinux(elf, vi.buildId, vi.osrelease);
        if (check.ok) kernel = attachVmlinux(prog, k, elf);
        else prog.warn(`${path}: not loaded: ${check.reason}`);
      }
    }
    if (kernel === null) {
      prog.warn(
        `missing debug info for the kernel ${vi.osrelease}: no matching vmlinux found (looked in ${
          [...new Set(vmlinuxCandidates(vi.osrelease).map(dirname))].join(", ")
        }); give it with -s`,
      );
    }
  }
  if (kernel === null) {
    if (moduleFiles.length > 0) {
      prog.warn("kernel module debug info needs the vmlinux: give it with -s too");
    }
    return;
  }
  deferKernelModules(prog, k, moduleFiles, opts.default === true);
}

/**
 * Lists the kernel's loaded modules and loads their debug info (the files
 * given, and with `searchDefault` those found in the standard places) when
 * the program first needs its modules (see `Program.deferModuleLoad`): a
 * session that never leaves vmlinux never walks the module list. Files
 * given by several calls before then are loaded by one walk.
 */
function deferKernelModules(
  prog: Program,
  k: KernelInfo,
  files: ModuleFile[],
  searchDefault: boolean,
): void {
  const key = "pendingKernelModules";
  const pending = prog.targetData.get(key) as
    | { files: ModuleFile[]; searchDefault: boolean }
    | undefined;
  if (pending !== undefined) {
    pending.files.push(...files);
    pending.searchDefault ||= searchDefault;
    return;
  }
  const p = { files: [...files], searchDefault };
  prog.targetData.set(key, p);
  prog.deferModuleLoad(() => {
    prog.targetData.delete(key);
    loadKernelModules(prog, k, p.files, p.searchDefault);
  });
}

/** Section addresses of a loaded module, by section name. */
function sectionAddressFn(elf: ElfFile, lm: LoadedModule): (shndx: number) => bigint {
  return (shndx: number) => {
    const sec = elf.sections[shndx];
    if (!sec) return 0n;
    return lm.sections.get(sec.name) ?? 0n;
  };
}

function findModuleFile(name: string, release: string, cache: Map<string, string>): string | null {
  if (cache.size === 0) {
    for (const dir of moduleDirs(release)) indexKoFiles(dir, cache, 0);
  }
  return cache.get(name) ?? null;
}

function indexKoFiles(dir: string, out: Map<string, string>, depth: number): void {
  if (depth > 8) return;
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) indexKoFiles(p, out, depth + 1);
    else if (e.name.endsWith(".ko") || e.name.endsWith(".ko.debug")) {
      const n = e.name.replace(/\.ko(\.debug)?$/, "").replace(/-/g, "_");
      if (!out.has(n)) out.set(n, p);
    }
  }
}

/** Loads debug info for the kernel's loaded modules. */
export function loadKernelModules(
  prog: Program,
  k: KernelInfo,
  given: ModuleFile[],
  searchDefault: boolean,
): void {
  const files: ElfFile[] = [];
  for (const f of given) {
    if (typeof f !== "string") {
      files.push(f);
      continue;
    }
    try {
      files.push(ElfFile.open(f));
    } catch (e) {
      // (It was an ELF kernel module when it was given.)
      if (!(e instanceof TargetError || e instanceof DecodeError)) throw e;
      prog.warn(`${f}: not loaded: ${e.message}`);
    }
  }
  let loaded: LoadedModule[];
  try {
    loaded = [...forEachLoadedModule(prog)];
  } catch (e) {
    if (files.length > 0 || searchDefault) {
      prog.warn(
        `cannot list loaded kernel modules: ${e instanceof Error ? e.message : e}`,
      );
    }
    return;
  }
  const byName = new Map(files.map((f) => [kernelModuleName(f), f]));
  const cache = new Map<string, string>();
  const missing: string[] = [];
  for (const lm of loaded) {
    // A module listed by an earlier call gets the debug info given now.
    const known = prog.modules.find((m) => m.kind === "linux_kernel_module" && m.name === lm.name);
    if (known?.hasDebugInfo) continue;
    let elf = byName.get(lm.name) ?? null;
    if (elf === null && searchDefault) {
      const p = findModuleFile(lm.name, k.vmcoreinfo.osrelease, cache);
      if (p) elf = openElf(p);
    }
    if (known !== undefined && elf === null) continue; // reported by the earlier call
    const m = known ??
      new Module(lm.name, "linux_kernel_module", lm.start, lm.end, 0n, lm.buildId);
    if (known === undefined) {
      m.data.set("sections", lm.sections);
      prog.addModule(m);
    }
    if (elf === null) {
      missing.push(lm.name);
      continue;
    }
    const id = elf.buildIdHex();
    if (lm.buildId !== null && id !== null && id !== lm.buildId) {
      prog.warn(
        `${elf.path}: not loaded: build ID ${id} does not match module ${lm.name}'s ${lm.buildId}`,
      );
      missing.push(lm.name);
      continue;
    }
    m.path = elf.path;
    m.debugPath = elf.path;
    const addr = sectionAddressFn(elf, lm);
    m.data.set("sectionAddress", addr);
    // Symbols: section-relative values plus the section's load address
    // (built on first use).
    const file = elf;
    m.deferSymtab(() => {
      const raw: RawSymbol[] = [];
      for (const s of file.symbols("symtab")) {
        if (s.shndx === 0 || s.shndx >= 0xff00) continue;
        const base = addr(s.shndx);
        if (base === 0n && !lm.sections.has(file.sections[s.shndx]?.name ?? "")) continue;
        raw.push({ ...s, value: base + s.value });
      }
      // The loaded allocated sections, at their load addresses.
      const sections = file.sections.map((sec) => {
        if ((sec.flags & SHF.ALLOC) === 0n || !lm.sections.has(sec.name)) return undefined;
        const start = lm.sections.get(sec.name)!;
        return [start, start + BigInt(sec.size)] as const;
      });
      return new SymbolTable(raw, 0n, sections);
    });
    // The DWARF is opened when first needed (a lookup vmlinux cannot
    // answer, a frame in the module): listing 98 modules takes a third less.
    m.data.set("elf", elf);
    if (hasDwarfSections(elf)) {
      m.deferDebugInfo(() => {
        try {
          attachDebugInfo(prog, m, elf);
        } catch (e) {
          if (e instanceof TargetError) prog.warn(e.message);
          else throw e;
        }
      });
    }
  }
  if (missing.length > 0) {
    prog.warn(`missing debug info for kernel modules: ${missing.join(", ")}`);
  }
}
