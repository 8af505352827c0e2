/**
 * A minimal view of a user-space core for the unwinding tests: memory from
 * the PT_LOADs, threads from NT_PRSTATUS, modules (executable, libc, ld.so)
 * from NT_FILE mapped to local files, each with its `.eh_frame` CFI.
 *
 * @module
 */

import { basename, join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { parseNtFile, parsePrstatus } from "../../../lib/elf/core_notes.ts";
import { CfiTable } from "../../../lib/dwarf/cfi.ts";
import { type DwarfRegisters, prstatusToDwarf } from "../../../lib/arch/x86_64.ts";
import { USER } from "../elf/_fixtures.ts";

/** A loaded module. */
export interface CoreModule {
  path: string;
  elf: ElfFile;
  bias: bigint;
  start: bigint;
  end: bigint;
  cfi: CfiTable;
}

/** A thread of the core. */
export interface CoreThread {
  tid: number;
  registers: DwarfRegisters;
}

/** The parts of a core the tests need. */
export interface UserCore {
  read(address: bigint, size: number): Uint8Array;
  threads: CoreThread[];
  modules: CoreModule[];
  module(pc: bigint): CoreModule | undefined;
  close(): void;
}

function localPath(path: string, variant: string): string {
  const b = basename(path);
  if (b.includes(".so")) return `/usr/lib/x86_64-linux-gnu/${b}`;
  return join(USER, "out/bin", variant, b);
}

/** Opens `out/core/<variant>/<name>` of the user fixtures. */
export function openUserCore(variant: string, name: string): UserCore {
  const core = ElfFile.open(join(USER, "out/core", variant, name));
  const loads = core.segments.filter((s) => s.type === 1 && s.filesz > 0)
    .sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
  const read = (address: bigint, size: number): Uint8Array => {
    let l = 0, u = loads.length;
    while (l < u) {
      const m = (l + u) >>> 1;
      if (loads[m]!.vaddr <= address) l = m + 1;
      else u = m;
    }
    const s = loads[l - 1];
    if (s === undefined || address + BigInt(size) > s.vaddr + BigInt(s.filesz)) {
      throw new Error(`address 0x${address.toString(16)} is not in the core`);
    }
    return core.reader.readAt(s.offset + Number(address - s.vaddr), size);
  };
  const threads: CoreThread[] = [];
  const modules: CoreModule[] = [];
  for (const n of core.notes()) {
    if (n.name === "CORE" && n.type === 1) {
      const p = parsePrstatus(n.desc, core.platform, n.offset);
      threads.push({ tid: p.pid, registers: prstatusToDwarf(p.registers) });
    }
    if (n.name === "CORE" && n.type === 0x46494c45) {
      const f = parseNtFile(n.desc, core.platform, n.offset);
      const seen = new Set<string>();
      for (const m of f.files) {
        if (seen.has(m.path) || m.fileOffset !== 0n) continue;
        seen.add(m.path);
        const elf = ElfFile.open(localPath(m.path, variant));
        const bias = m.start; // PIE and shared objects: first PT_LOAD at vaddr 0
        let end = m.end;
        for (const x of f.files) if (x.path === m.path && x.end > end) end = x.end;
        const eh = elf.section(".eh_frame")!;
        const hdr = elf.section(".eh_frame_hdr");
        const cfi = CfiTable.parseEhFrame(elf.sectionData(eh), {
          address: eh.addr + bias,
          hdr: hdr === undefined
            ? undefined
            : { data: elf.sectionData(hdr), address: hdr.addr + bias },
        });
        modules.push({ path: m.path, elf, bias, start: m.start, end, cfi });
      }
    }
  }
  return {
    read,
    threads,
    modules,
    module: (pc) => modules.find((m) => pc >= m.start && pc < m.end),
    close() {
      for (const m of modules) m.elf.close();
      core.close();
    },
  };
}
