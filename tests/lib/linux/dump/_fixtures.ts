/**
 * The kernel dump fixtures for the dump-format tests, and the variants made
 * from them once into the cache directory (`${WYVERN_CACHE:-/var/cache/wyvern-fixtures}`):
 *
 * - `vmcore.mdf-E-d31.elf`: the `makedumpfile -E` ELF, decompressed.
 * - `dump/vmcore.mdf-l-d31.kdump`: `makedumpfile -l -d 31` of it (LZO pages).
 * - `dump/vmcore.mdf-F-c-d31.flat`: `makedumpfile -F -c -d 31` (flattened kdump).
 * - `dump/vmcore.mdf-F-E-d31.flat`: `makedumpfile -F -E -d 31` (flattened ELF).
 * - `dump/vmcore.mdf-c-d31.{snappy,zstd}.v1.kdump`: the zlib kdump fixture with
 *   every page re-encoded (see `_kdump_writer.ts`).
 * - `dump/vmcore.qemu-zlib.v1.{flat,kdump}`: a kdump written the way QEMU's
 *   `dump-guest-memory -z` writes one, from the ELF's memory.
 *
 * Files are written to a temporary name and renamed, so concurrent test
 * runs never see half a file. Bump the `.vN` of a generated name when its
 * generator changes.
 *
 * @module
 */

import { dirname, join } from "node:path";
import {
  type Codec,
  flatten,
  type KdumpLayout,
  reencodeKdump,
  writeKdump,
  type WriteRecord,
} from "./_kdump_writer.ts";

export const CACHE_DIR = Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";
export const KERNEL_FIXTURES = Deno.env.get("WYVERN_FIXTURES") !== undefined
  ? join(Deno.env.get("WYVERN_FIXTURES")!, "kernel")
  : new URL("../../../../../shared/fixtures/kernel/", import.meta.url).pathname;
export const VMCORE_DIR = join(KERNEL_FIXTURES, "vmcores/kaslr-256m");
/** The zlib kdump fixture (`makedumpfile -c -d 31`). */
export const KDUMP_FIXTURE = join(VMCORE_DIR, "vmcore.mdf-c-d31.kdump");
/** drgn's answers on the zlib kdump fixture. */
export const KDUMP_REFERENCE = join(KERNEL_FIXTURES, "reference/kaslr-256m/mdf-c-d31.kdump.json");

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Returns the cached file `name`, making it with `make(tmpPath)` if absent. */
export function cached(name: string, make: (tmp: string) => void): string {
  const path = join(CACHE_DIR, name);
  if (exists(path)) return path;
  Deno.mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    make(tmp);
    Deno.renameSync(tmp, path);
  } finally {
    try {
      Deno.removeSync(tmp);
    } catch {
      // renamed
    }
  }
  return path;
}

function run(cmd: string, args: string[], stdoutTo?: string): void {
  const out = new Deno.Command(cmd, {
    args,
    stdout: stdoutTo === undefined ? "null" : "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  if (stdoutTo !== undefined) Deno.writeFileSync(stdoutTo, out.stdout);
}

let makedumpfileFound: boolean | undefined;
/** Whether makedumpfile is installed (CI installs it; tests needing it are skipped otherwise). */
export function hasMakedumpfile(): boolean {
  if (makedumpfileFound === undefined) {
    try {
      makedumpfileFound = new Deno.Command("makedumpfile", { args: ["-v"], stdout: "null" })
        .outputSync().success;
    } catch {
      makedumpfileFound = false;
    }
  }
  return makedumpfileFound;
}

/** The `makedumpfile -E` ELF fixture, decompressed into the cache once. */
export function elfFixture(): string {
  return cached("vmcore.mdf-E-d31.elf", (tmp) => {
    run("zstd", ["-d", "-q", "-f", "-o", tmp, join(VMCORE_DIR, "vmcore.mdf-E-d31.elf.zst")]);
  });
}

/** `makedumpfile -l -d 31` of the ELF fixture (LZO pages). */
export function lzoKdump(): string {
  return cached("dump/vmcore.mdf-l-d31.kdump", (tmp) => {
    run("makedumpfile", ["-l", "-d", "31", elfFixture(), tmp]);
  });
}

/** `makedumpfile -F -c -d 31` of the ELF fixture (flattened zlib kdump). */
export function flatKdump(): string {
  return cached("dump/vmcore.mdf-F-c-d31.flat", (tmp) => {
    run("makedumpfile", ["-F", "-c", "-d", "31", elfFixture()], tmp);
  });
}

/** `makedumpfile -F -E -d 31` of the ELF fixture (flattened ELF). */
export function flatElf(): string {
  return cached("dump/vmcore.mdf-F-E-d31.flat", (tmp) => {
    run("makedumpfile", ["-F", "-E", "-d", "31", elfFixture()], tmp);
  });
}

/** The zlib kdump fixture with every page re-encoded with `codec`. */
export function reencodedKdump(codec: Codec): string {
  return cached(`dump/vmcore.mdf-c-d31.${codec}.v1.kdump`, (tmp) => {
    Deno.writeFileSync(tmp, reencodeKdump(Deno.readFileSync(KDUMP_FIXTURE), codec));
  });
}

/** A PT_LOAD of an ELF core. */
export interface LoadSegment {
  offset: number;
  paddr: number;
  filesz: number;
  memsz: number;
}

/**
 * Physical memory of an ELF64 little-endian core, from its PT_LOADs
 * (`p_paddr`, `p_offset`, `p_filesz`, `p_memsz`), parsed here without
 * lib/elf. Bytes past `p_filesz` up to `p_memsz` read as zeros.
 */
export class ElfImage {
  readonly bytes: Uint8Array;
  readonly loads: LoadSegment[] = [];
  readonly notes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (v.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) {
      throw new Error("not an ELF64 little-endian file");
    }
    const phoff = Number(v.getBigUint64(32, true));
    const shoff = Number(v.getBigUint64(40, true));
    let phnum = v.getUint16(56, true);
    if (phnum === 0xffff) phnum = v.getUint32(shoff + 44, true); // PN_XNUM: section 0's sh_info
    let notes: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < phnum; i++) {
      const b = phoff + i * 56;
      const type = v.getUint32(b, true);
      const offset = Number(v.getBigUint64(b + 8, true));
      const paddr = Number(v.getBigUint64(b + 24, true));
      const filesz = Number(v.getBigUint64(b + 32, true));
      const memsz = Number(v.getBigUint64(b + 40, true));
      if (type === 1) this.loads.push({ offset, paddr, filesz, memsz });
      if (type === 4) notes = bytes.subarray(offset, offset + filesz);
    }
    this.loads.sort((a, b) => a.paddr - b.paddr);
    this.notes = notes;
  }

  #find(addr: number): LoadSegment | undefined {
    let lo = 0;
    let hi = this.loads.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.loads[mid]!;
      if (s.paddr + s.memsz <= addr) lo = mid + 1;
      else hi = mid;
    }
    const s = this.loads[lo];
    return s !== undefined && s.paddr <= addr ? s : undefined;
  }

  /** Whether the page at `pfn` lies in some PT_LOAD's `p_memsz`. */
  hasPage(pfn: number, pageSize = 4096): boolean {
    return this.#find(pfn * pageSize) !== undefined;
  }

  /** Whether the page at `pfn` is stored in the file (within `p_filesz`). */
  inFile(pfn: number, pageSize = 4096): boolean {
    const a = pfn * pageSize;
    const s = this.#find(a);
    return s !== undefined && a + pageSize <= s.paddr + s.filesz;
  }

  /** The page at `pfn` (zeros past `p_filesz`), or null outside every PT_LOAD. */
  page(pfn: number, pageSize = 4096): Uint8Array | null {
    const a = pfn * pageSize;
    const s = this.#find(a);
    if (s === undefined) return null;
    const rel = a - s.paddr;
    if (rel + pageSize <= s.filesz) {
      return this.bytes.subarray(s.offset + rel, s.offset + rel + pageSize);
    }
    const out = new Uint8Array(pageSize);
    if (rel < s.filesz) out.set(this.bytes.subarray(s.offset + rel, s.offset + s.filesz));
    return out;
  }
}

let elfImage: ElfImage | undefined;
/** The ELF fixture's memory (read once per process). */
export function elfImageFixture(): ElfImage {
  elfImage ??= new ElfImage(Deno.readFileSync(elfFixture()));
  return elfImage;
}

/** Splits records into pieces of at most `chunk` bytes (QEMU writes 4–16 KiB at a time). */
function chunked(records: readonly WriteRecord[], chunk: number): WriteRecord[] {
  const out: WriteRecord[] = [];
  for (const r of records) {
    for (let o = 0; o < r.data.length; o += chunk) {
      out.push({ offset: r.offset + o, data: r.data.subarray(o, o + chunk) });
    }
  }
  return out;
}

/**
 * A kdump as QEMU's `dump-guest-memory -z` writes it from the ELF's memory:
 * header version 6 with only `utsname.machine` set, dump level 1 (every
 * page of every RAM block, valid = dumpable), one shared zero page, zlib
 * level 1 with raw fallback, the ELF notes in the sub header with
 * `offset_vmcoreinfo` pointing into the VMCOREINFO note.
 */
export function qemuStyleKdump(image: ElfImage): KdumpLayout {
  const last = image.loads[image.loads.length - 1]!;
  const maxPfn = Math.ceil((last.paddr + last.memsz) / 4096);
  const vmci = new TextDecoder().decode(image.notes);
  const m = /NUMBER\(phys_base\)=(-?\d+)/.exec(vmci);
  return writeKdump({
    maxPfn,
    page: (pfn) => image.page(pfn),
    codec: "zlib",
    utsname: { machine: "x86_64" },
    dumpLevel: 1,
    physBase: m !== null ? BigInt(m[1]!) : 0n,
    nrCpus: 2,
    notes: image.notes,
    vmcoreinfoInNotes: true,
    shareZeroPages: true,
  });
}

/** The QEMU-style kdump, flattened (as QEMU < 8.2 writes it) and plain. */
export function qemuStyleFiles(): { flat: string; plain: string } {
  let layout: KdumpLayout | undefined;
  const get = () => layout ??= qemuStyleKdump(elfImageFixture());
  const plain = cached("dump/vmcore.qemu-zlib.v1.kdump", (tmp) => {
    Deno.writeFileSync(tmp, get().bytes);
  });
  const flat = cached("dump/vmcore.qemu-zlib.v1.flat", (tmp) => {
    Deno.writeFileSync(tmp, flatten(chunked(get().records, 16384)));
  });
  return { flat, plain };
}
