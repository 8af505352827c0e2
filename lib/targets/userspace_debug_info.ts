/**
 * Finding and loading the files of a userspace program's modules: the
 * executable, shared libraries and vdso, matched by build ID (never trusted
 * by path alone), with separate debug files from `/usr/lib/debug/.build-id`
 * and `.gnu_debuglink`. Read-only segments of the files are mapped under the
 * core's memory so `.rodata` and `.text` read as they would live.
 *
 * @module
 */

import { dirname, join } from "../path.ts";
import { ElfFile } from "../elf/elf_file.ts";
import { PT, SHT } from "../elf/constants.ts";
import { TargetError } from "../errors.ts";
import { type FaultSource, FileSource } from "../memory/memory_reader.ts";
import type { Program } from "../program/program.ts";
import { Module } from "../program/module.ts";
import { attachDebugInfo, attachSymbols } from "../program/debug_info.ts";
import { type CoreInfo, vdsoImage } from "./userspace_core.ts";
import { sysroot } from "../env.ts";

/** Directories searched for `.build-id/xx/yyyy.debug` files (under `$WYVERN_SYSROOT`). */
function debugDirs(): string[] {
  return [`${sysroot()}/usr/lib/debug`];
}

function tryOpen(path: string): ElfFile | null {
  try {
    const st = Deno.statSync(path);
    if (!st.isFile) return null;
    return ElfFile.open(path);
  } catch {
    return null;
  }
}

/** Whether an ELF file carries code and data (not an `--only-keep-debug` file). */
function hasLoadableData(elf: ElfFile): boolean {
  const text = elf.section(".text");
  if (text) return text.type !== SHT.NOBITS;
  return elf.segments.some((s) => s.type === PT.LOAD && s.filesz > 0) &&
    elf.sections.length === 0;
}

function hasDwarf(elf: ElfFile): boolean {
  const s = elf.section(".debug_info") ?? elf.section(".zdebug_info");
  return s !== undefined && s.type !== SHT.NOBITS && s.size > 0;
}

/** Candidate debug files for `elf` through its `.gnu_debuglink`. */
function debugLinkCandidates(elf: ElfFile): string[] {
  const link = elf.debugLink();
  if (!link) return [];
  const dir = dirname(elf.path);
  const out = [join(dir, link.name), join(dir, ".debug", link.name)];
  for (const d of debugDirs()) out.push(join(d, dir, link.name));
  return out;
}

function buildIdPaths(buildId: string): string[] {
  if (buildId.length < 4) return [];
  return debugDirs().map((d) =>
    join(d, ".build-id", buildId.slice(0, 2), buildId.slice(2) + ".debug")
  );
}

/** Maps a code file's loadable segments under the core's memory (lower priority). */
function mapFileSegments(prog: Program, m: Module, elf: ElfFile, faults: FaultSource | null): void {
  for (const seg of elf.segments) {
    if (seg.type !== PT.LOAD || seg.filesz === 0) continue;
    const start = seg.vaddr + m.bias;
    const end = start + BigInt(seg.filesz);
    prog.memory.virtual.addBelow(
      start,
      end,
      new FileSource(elf.reader, seg.offset, seg.filesz),
      (src) => src === faults,
    );
  }
}

/**
 * `prog.loadDebugInfo(paths, {default})` for userspace targets: files in
 * `paths` are matched to modules by build ID; with `default`, each module's
 * files are searched for in the standard places.
 */
export function loadUserspaceDebugInfo(
  prog: Program,
  paths: string[],
  opts: { default?: boolean; main?: boolean },
): void {
  const core = prog.targetData.get("core") as CoreInfo | undefined;
  const faults = core?.notSavedSource ?? null;
  // Files given explicitly, by build ID.
  const given = new Map<string, ElfFile[]>();
  const unmatched: ElfFile[] = [];
  for (const p of paths) {
    const elf = ElfFile.open(p);
    const id = elf.buildIdHex();
    if (id && prog.modules.some((m) => m.buildId === id)) {
      let l = given.get(id);
      if (!l) given.set(id, l = []);
      l.push(elf);
    } else {
      unmatched.push(elf);
    }
  }
  const wanted = (m: Module) =>
    (m.buildId !== null && given.has(m.buildId)) || opts.default === true ||
    (opts.main === true && m.kind === "main");
  for (const m of prog.modules) {
    if (!wanted(m) || (m.hasDebugInfo && m.hasSymtab)) continue;
    const candidates: ElfFile[] = [...(m.buildId ? given.get(m.buildId) ?? [] : [])];
    const search = opts.default === true || (opts.main === true && m.kind === "main");
    if (search) {
      if (m.kind === "vdso") {
        const img = vdsoImage(prog, m);
        if (img) candidates.push(img);
      }
      const ntPath = m.data.get("ntFilePath") as string | undefined;
      if (ntPath) {
        const f = tryOpen(ntPath);
        if (f && (m.buildId === null || f.buildIdHex() === m.buildId)) candidates.push(f);
      }
      if (m.buildId) {
        for (const p of buildIdPaths(m.buildId)) {
          const f = tryOpen(p);
          if (f && f.buildIdHex() === m.buildId) candidates.push(f);
        }
      }
    }
    for (const c of [...candidates]) {
      for (const p of debugLinkCandidates(c)) {
        if (candidates.some((x) => x.path === p)) continue;
        const f = tryOpen(p);
        if (f && (m.buildId === null || f.buildIdHex() === m.buildId || f.buildIdHex() === null)) {
          candidates.push(f);
        }
      }
    }
    const code = candidates.find(hasLoadableData) ?? null;
    const dwarf = candidates.find(hasDwarf) ?? null;
    const symFile = candidates.find((c) => c.section(".symtab") !== undefined) ?? code ??
      dwarf;
    if (code) {
      if (m.data.get("headersFromMemory") !== true) {
        // The bias guessed from NT_FILE: correct it with the file's first PT_LOAD.
        const loads = code.segments.filter((s) => s.type === PT.LOAD);
        if (loads.length) {
          const first = (m.data.get("mappings") as { start: bigint; fileOffset: bigint }[])
            ?.find((x) => x.fileOffset === 0n);
          if (first) m.bias = first.start - (loads[0]!.vaddr & ~0xfffn);
        }
      }
      m.path = code.path;
      mapFileSegments(prog, m, code, faults);
    }
    if (symFile && !m.hasSymtab) attachSymbols(m, symFile);
    if (dwarf && !m.hasDebugInfo) {
      m.debugPath = dwarf.path;
      attachDebugInfo(prog, m, dwarf);
    }
  }
  for (const elf of unmatched) {
    // A file that matches no mapped module: load its types and symbols at its
    // link-time addresses, and say so.
    const m = new Module(
      elf.path.slice(elf.path.lastIndexOf("/") + 1),
      "extra",
      0n,
      0n,
      0n,
      elf.buildIdHex(),
    );
    m.path = elf.path;
    prog.addModule(m);
    attachSymbols(m, elf);
    if (hasDwarf(elf)) {
      m.debugPath = elf.path;
      attachDebugInfo(prog, m, elf);
    }
    if (prog.modules.length > 1) {
      prog.warn(
        `${elf.path}: build ID ${
          elf.buildIdHex() ?? "(none)"
        } matches no module of the program; loaded at its link-time addresses`,
      );
    }
  }
  const missing = prog.modules.filter((m) => wanted(m) && !m.hasDebugInfo && m.kind !== "vdso");
  if (missing.length > 0 && (opts.default || paths.length > 0)) {
    prog.warn(
      `missing debug info for ${missing.map((m) => m.data.get("ntFilePath") ?? m.name).join(", ")}`,
    );
  }
}

export { TargetError };
