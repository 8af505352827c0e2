/**
 * The kdump-compressed ("diskdump") format that makedumpfile writes by
 * default and QEMU writes for `dump-guest-memory -z`/`-l`/`-s` (formats
 * `kdump-zlib`, `kdump-lzo`, `kdump-snappy`). Layout, in blocks of
 * `block_size` (the target's page size):
 *
 * ```
 * block 0                    disk_dump_header   signature "KDUMP   ", utsname, sizes
 * block 1                    kdump_sub_header   phys_base, dump_level, VMCOREINFO, notes
 * 1 + sub_hdr_size           1st bitmap         pfns that exist (valid)
 *   + bitmap_blocks / 2      2nd bitmap         pfns that were dumped (dumpable)
 * 1 + sub_hdr_size
 *   + bitmap_blocks          page_desc[]        one per dumpable pfn, in pfn order
 * then                       page data          each page raw or compressed
 * ```
 *
 * A pfn's descriptor index is its rank among dumpable pfns; a per-chunk
 * popcount table makes that O(1). Decompressed pages sit in a small LRU
 * cache. The header is in the target's byte order and C layout (32- or
 * 64-bit), both of which are detected.
 *
 * References: makedumpfile's `diskdump_mod.h` and `IMPLEMENTATION`, QEMU's
 * `dump/dump.c` (its writer leaves most of utsname empty, always writes
 * `header_version` 6 and `dump_level` 1, and shares one descriptor among
 * all zero pages).
 *
 * @module
 */

import { decodeLatin1, decodeUtf8, HOST_LITTLE_ENDIAN } from "../../binary/byte_reader.ts";
import { inflateZlib } from "../../binary/inflate.ts";
import { zstdDecompressNative } from "../../binary/native_codecs.ts";
import { nodeZlib } from "../../binary/node_zlib.ts";
import { DecodeError, FaultError, hex, TargetError } from "../../errors.ts";
import type { RandomAccessReader } from "../../binary/file_reader.ts";
import type { MemoryReader, MemorySource } from "../../memory/memory_reader.ts";
import { lzo1xDecompress } from "./lzo.ts";
import { snappyDecompress } from "./snappy.ts";
import { DISK_DUMP_SIGNATURE, KDUMP_SIGNATURE } from "./detect.ts";

/** Flags of `disk_dump_header.status` and `page_desc.flags` (makedumpfile's `diskdump_mod.h`). */
export const DUMP_DH = Object.freeze(
  {
    /** Pages compressed with zlib (`compress2`). */
    COMPRESSED_ZLIB: 0x1,
    /** Pages compressed with LZO1X-1. */
    COMPRESSED_LZO: 0x2,
    /** Pages compressed with snappy. */
    COMPRESSED_SNAPPY: 0x4,
    /** The dump was not finished (header status only). */
    COMPRESSED_INCOMPLETE: 0x8,
    /** vmemmap pages were excluded (header status only). */
    EXCLUDED_VMEMMAP: 0x10,
    /** Pages compressed with zstd. */
    COMPRESSED_ZSTD: 0x20,
  } as const,
);

const COMPRESSION_MASK = DUMP_DH.COMPRESSED_ZLIB | DUMP_DH.COMPRESSED_LZO |
  DUMP_DH.COMPRESSED_SNAPPY | DUMP_DH.COMPRESSED_ZSTD;

/** `struct new_utsname` from the dump header (empty strings where the writer left them empty). */
export interface Utsname {
  /** `Linux`. */
  readonly sysname: string;
  /** The host name. */
  readonly nodename: string;
  /** The kernel release (`UTS_RELEASE`), e.g. `6.1.0-56-amd64`. QEMU leaves it empty. */
  readonly release: string;
  /** The build string (`#1 SMP PREEMPT_DYNAMIC Debian …`). */
  readonly version: string;
  /** The architecture (`x86_64`); the only field QEMU fills. */
  readonly machine: string;
  /** The NIS domain name (`(none)`). */
  readonly domainname: string;
}

/** `struct kdump_sub_header`, with the fields its `header_version` has (others are null). */
export interface KdumpSubHeader {
  /** `phys_base`, read as signed (x86-64 KASLR makes it negative). */
  readonly physBase: bigint;
  /** makedumpfile's `-d` level (bit mask of excluded page kinds); QEMU writes 1. */
  readonly dumpLevel: number;
  /** Non-zero for one file of a `makedumpfile --split` set (version 2+). */
  readonly split: number | null;
  /** First pfn of this file of a split set (`start_pfn`, or `start_pfn_64` from version 6). */
  readonly startPfn: number | null;
  /** End pfn (exclusive) of this file of a split set. */
  readonly endPfn: number | null;
  /** File offset of the VMCOREINFO text (version 3+). */
  readonly offsetVmcoreinfo: number | null;
  /** Size of the VMCOREINFO text. */
  readonly sizeVmcoreinfo: number | null;
  /** File offset of the ELF note area (version 4+). */
  readonly offsetNote: number | null;
  /** Size of the ELF note area. */
  readonly sizeNote: number | null;
  /** File offset of makedumpfile's erase information (version 5+). */
  readonly offsetEraseinfo: number | null;
  /** Size of the erase information. */
  readonly sizeEraseinfo: number | null;
  /** `max_mapnr_64` (version 6+). */
  readonly maxMapnr64: number | null;
}

/** One ELF note from the sub header's note area. */
export interface DumpNote {
  /** Note name without its terminating NUL (`"CORE"`, `"VMCOREINFO"`, `"QEMU"`). */
  readonly name: string;
  /** `n_type` (`NT_PRSTATUS` = 1 for `"CORE"`). */
  readonly type: number;
  /** The descriptor bytes. */
  readonly desc: Uint8Array;
}

/** A page descriptor (`struct page_desc`). */
export interface PageDescriptor {
  /** File offset of the page data. */
  readonly offset: number;
  /** Size of the page data in the file. */
  readonly size: number;
  /** `DUMP_DH.COMPRESSED_*` flags; 0 for a page stored raw. */
  readonly flags: number;
  /** `page_flags` (the `struct page` flags; makedumpfile and QEMU write 0). */
  readonly pageFlags: bigint;
}

/** Options for {@link DiskDump.open}. */
export interface DiskDumpOptions {
  /** Bytes of decompressed pages to keep (default 8 MiB). */
  readonly cacheBytes?: number;
}

const PAGE_DESC_SIZE = 24;
const UTS_LEN = 65;
const UTSNAME_OFFSET = 12;
/** Upper bounds for metadata blobs, so a corrupt size cannot cause a giant allocation. */
const MAX_VMCOREINFO = 16 << 20;
const MAX_NOTES = 64 << 20;
const TWO32 = 2 ** 32;
/** Page buffers of the page cache made at a time. */
const SLAB_PAGES = 32;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** Field offsets of the C layouts of `disk_dump_header`. */
interface HeaderLayout {
  readonly wordSize: 4 | 8;
  /** `timestamp` (`struct timeval`). */
  readonly timestamp: number;
  /** `status`; the following u32 fields come one after another. */
  readonly status: number;
  readonly tasks: number;
}
const HEADER_64: HeaderLayout = { wordSize: 8, timestamp: 408, status: 424, tasks: 464 };
const HEADER_32: HeaderLayout = { wordSize: 4, timestamp: 404, status: 412, tasks: 452 };

/** Field offsets of the C layouts of `kdump_sub_header` (-1: absent). */
interface SubLayout {
  readonly wordSize: 4 | 8;
  readonly physBase: number;
  readonly dumpLevel: number;
  readonly split: number;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly offsetVmcoreinfo: number;
  readonly sizeVmcoreinfo: number;
  readonly offsetNote: number;
  readonly sizeNote: number;
  readonly offsetEraseinfo: number;
  readonly sizeEraseinfo: number;
  readonly startPfn64: number;
  readonly endPfn64: number;
  readonly maxMapnr64: number;
  readonly size: number;
}
const SUB_64: SubLayout = {
  wordSize: 8,
  physBase: 0,
  dumpLevel: 8,
  split: 12,
  startPfn: 16,
  endPfn: 24,
  offsetVmcoreinfo: 32,
  sizeVmcoreinfo: 40,
  offsetNote: 48,
  sizeNote: 56,
  offsetEraseinfo: 64,
  sizeEraseinfo: 72,
  startPfn64: 80,
  endPfn64: 88,
  maxMapnr64: 96,
  size: 104,
};
/** 32-bit targets that align 64-bit values to 4 bytes (i386). */
const SUB_32_PACKED: SubLayout = {
  wordSize: 4,
  physBase: 0,
  dumpLevel: 4,
  split: 8,
  startPfn: 12,
  endPfn: 16,
  offsetVmcoreinfo: 20,
  sizeVmcoreinfo: 28,
  offsetNote: 32,
  sizeNote: 40,
  offsetEraseinfo: 44,
  sizeEraseinfo: 52,
  startPfn64: 56,
  endPfn64: 64,
  maxMapnr64: 72,
  size: 80,
};
/** 32-bit targets that align 64-bit values to 8 bytes (32-bit Arm). */
const SUB_32_PADDED: SubLayout = {
  wordSize: 4,
  physBase: 0,
  dumpLevel: 4,
  split: 8,
  startPfn: 12,
  endPfn: 16,
  offsetVmcoreinfo: 24,
  sizeVmcoreinfo: 32,
  offsetNote: 40,
  sizeNote: 48,
  offsetEraseinfo: 56,
  sizeEraseinfo: 64,
  startPfn64: 72,
  endPfn64: 80,
  maxMapnr64: 88,
  size: 96,
};

const MACHINES_64 = new Set([
  "x86_64",
  "aarch64",
  "arm64",
  "ppc64",
  "ppc64le",
  "s390x",
  "mips64",
  "riscv64",
  "sparc64",
  "ia64",
  "alpha",
  "loongarch64",
]);
const MACHINES_32 = /^(i[3-6]86|x86|arm.*|ppc|powerpc|s390|mips|mipsel|riscv32|sh.*|m68k|sparc)$/;

/** The u32 at `at` of `b` in the given byte order. */
function u32(b: Uint8Array, at: number, le: boolean): number {
  return le
    ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
    : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function cstring(b: Uint8Array, at: number, max: number): string {
  let end = at;
  while (end < at + max && b[end] !== 0) end++;
  return decodeLatin1(b.subarray(at, end));
}

/** Reads with a typed error naming the structure instead of the reader's generic one. */
function readRegion(
  reader: RandomAccessReader,
  section: string,
  offset: number,
  length: number,
  what: string,
): Uint8Array {
  if (offset < 0 || offset + length > reader.size) {
    throw new DecodeError(
      section,
      offset,
      `${what} (${length} bytes at ${
        hex(offset)
      }) runs past the end of the file (${reader.size} bytes); the file may be truncated`,
    );
  }
  return reader.readAt(offset, length);
}

/**
 * A kdump-compressed dump: its headers, notes and VMCOREINFO, and its
 * physical memory. Open with {@link DiskDump.open}.
 */
export class DiskDump {
  /** The file (possibly a reassembled flattened stream). */
  readonly reader: RandomAccessReader;
  /** `"KDUMP   "` (makedumpfile, QEMU) or `"DISKDUMP"` (the original diskdump). */
  readonly signature: string;
  /** `header_version` (makedumpfile and QEMU write 6). */
  readonly headerVersion: number;
  /** Byte order of the target (and of every header field). */
  readonly littleEndian: boolean;
  /** Size of the target's `long` (the header layout used). */
  readonly wordSize: 4 | 8;
  /** `utsname` from the header. */
  readonly utsname: Utsname;
  /** `timestamp` (`struct timeval`); zero from QEMU. */
  readonly timestamp: { readonly seconds: bigint; readonly microseconds: bigint };
  /** `status`: `DUMP_DH` flags naming the compression(s) used. */
  readonly status: number;
  /** `block_size`: the page size. */
  readonly pageSize: number;
  /** log2 of {@link pageSize}. */
  readonly pageShift: number;
  /** `sub_hdr_size`: blocks of sub header, VMCOREINFO and notes. */
  readonly subHeaderBlocks: number;
  /** `bitmap_blocks`: blocks of both bitmaps together. */
  readonly bitmapBlocks: number;
  /** `total_ram_blocks` (0 from makedumpfile and QEMU). */
  readonly totalRamBlocks: number;
  /** `device_blocks` (0 from makedumpfile and QEMU). */
  readonly deviceBlocks: number;
  /** `written_blocks` (0 from makedumpfile and QEMU). */
  readonly writtenBlocks: number;
  /** `current_cpu`: the CPU that took the dump. */
  readonly currentCpu: number;
  /** `nr_cpus`. */
  readonly nrCpus: number;
  /** `tasks[]` (`struct task_struct *` per CPU), when the header block holds them. */
  readonly tasks: readonly bigint[];
  /** The sub header, or null (`DISKDUMP` files and `header_version` 0). */
  readonly subHeader: KdumpSubHeader | null;
  /** `phys_base` from the sub header (signed), or null. */
  readonly physBase: bigint | null;
  /** `dump_level` from the sub header, or null. */
  readonly dumpLevel: number | null;
  /**
   * Number of page frames the dump describes (`max_mapnr`, or
   * `max_mapnr_64` from header version 6): pfns `0 … maxPfn - 1`.
   */
  readonly maxPfn: number;
  /** Number of dumpable pages (page descriptors). */
  readonly dumpablePages: number;
  /** The raw VMCOREINFO text (from the sub header, else from the VMCOREINFO note), or null. */
  readonly vmcoreinfo: string | null;
  /** ELF notes from the sub header's note area (NT_PRSTATUS per CPU, VMCOREINFO, …). */
  readonly notes: readonly DumpNote[];
  /** makedumpfile's erase information (`--config`), or null. */
  readonly eraseinfo: string | null;
  /** File offset of `page_desc[0]`. */
  readonly descriptorOffset: number;

  #bits: Uint32Array;
  #ranks: Uint32Array | Float64Array;
  #validBitmapOffset: number;
  #validBits: Uint32Array | null = null;
  #singleBitmap: boolean;
  /** Where `max_mapnr_64` is in a 32-bit sub header (its layout is detected). */
  #sub32MaxMapnr = SUB_32_PACKED.maxMapnr64;
  #bigShift: bigint;
  #bigMask: bigint;
  // Page cache: fixed slots replaced in CLOCK order (a hit only sets a
  // reference bit), and a map from pfn to slot.
  #slotOf = new Map<number, number>();
  #slotPfn: number[] = [];
  #slotData: Uint8Array[] = [];
  /** Slots handed out so far (`#slotData` grows a slab ahead). */
  #slotsUsed = 0;
  #slotRef: Uint8Array;
  #cachePages: number;
  #hand = 0;
  #lastPfn = -1;
  #lastPage: Uint8Array = new Uint8Array(0);

  private constructor(reader: RandomAccessReader, options: DiskDumpOptions) {
    this.reader = reader;
    const path = reader.path;
    const hs = `${path}: disk_dump_header`;
    if (reader.size < 8) throw new TargetError(path, "not a kdump-compressed file (too short)");
    const sig = decodeLatin1(reader.readAt(0, 8));
    if (sig !== KDUMP_SIGNATURE && sig !== DISK_DUMP_SIGNATURE) {
      throw new TargetError(
        path,
        `not a kdump-compressed file (signature ${JSON.stringify(sig)}, expected "KDUMP   ")`,
      );
    }
    this.signature = sig;
    if (reader.size < HEADER_64.tasks) {
      throw new DecodeError(
        hs,
        reader.size,
        `file is ${reader.size} bytes, too short for the header; the file may be truncated`,
      );
    }
    const head = reader.readAt(0, Math.min(reader.size, 4096)).slice();
    const hv = new DataView(head.buffer);

    // Byte order and layout: the first combination whose version and sizes
    // make sense, trying the header's byte order (header_version is small)
    // and the machine's word size first.
    const machine = cstring(head, UTSNAME_OFFSET + 4 * UTS_LEN, UTS_LEN);
    const leFirst = hv.getUint32(8, true) < 0x10000 || hv.getUint32(8, false) >= 0x10000;
    const layouts = MACHINES_32.test(machine) && !MACHINES_64.has(machine)
      ? [HEADER_32, HEADER_64]
      : [HEADER_64, HEADER_32];
    const candidates: [boolean, HeaderLayout][] = [];
    for (const le of leFirst ? [true, false] : [false, true]) {
      for (const l of layouts) candidates.push([le, l]);
    }
    const plausible = ([le, l]: [boolean, HeaderLayout]) => {
      const bs = hv.getUint32(l.status + 4, le);
      const bitmapBlocks = hv.getUint32(l.status + 12, le);
      const maxMapnr = hv.getUint32(l.status + 16, le);
      const version = hv.getInt32(8, le);
      return version >= 0 && version < 1000 && bs >= 512 && bs <= 1 << 20 &&
        (bs & (bs - 1)) === 0 && hv.getInt32(l.status + 8, le) >= 0 &&
        bitmapBlocks * bs * 8 >= maxMapnr;
    };
    const chosen = candidates.find(plausible);
    if (chosen === undefined) {
      const [le, l] = candidates[0]!;
      throw new DecodeError(
        hs,
        l.status + 4,
        `no plausible header layout (block_size ${hv.getUint32(l.status + 4, le)}, bitmap_blocks ${
          hv.getUint32(l.status + 12, le)
        }, max_mapnr ${hv.getUint32(l.status + 16, le)})`,
      );
    }
    const [le, layout] = chosen;
    this.littleEndian = le;
    this.wordSize = layout.wordSize;
    this.headerVersion = hv.getInt32(8, le);
    const u = (i: number) => cstring(head, UTSNAME_OFFSET + i * UTS_LEN, UTS_LEN);
    this.utsname = Object.freeze({
      sysname: u(0),
      nodename: u(1),
      release: u(2),
      version: u(3),
      machine: u(4),
      domainname: u(5),
    });
    this.timestamp = layout.wordSize === 8
      ? {
        seconds: hv.getBigInt64(layout.timestamp, le),
        microseconds: hv.getBigInt64(layout.timestamp + 8, le),
      }
      : {
        seconds: BigInt(hv.getInt32(layout.timestamp, le)),
        microseconds: BigInt(hv.getInt32(layout.timestamp + 4, le)),
      };
    const s = layout.status;
    this.status = hv.getUint32(s, le);
    this.pageSize = hv.getUint32(s + 4, le);
    this.pageShift = 31 - Math.clz32(this.pageSize);
    this.subHeaderBlocks = hv.getInt32(s + 8, le);
    this.bitmapBlocks = hv.getUint32(s + 12, le);
    let maxPfn = hv.getUint32(s + 16, le);
    this.totalRamBlocks = hv.getUint32(s + 20, le);
    this.deviceBlocks = hv.getUint32(s + 24, le);
    this.writtenBlocks = hv.getUint32(s + 28, le);
    this.currentCpu = hv.getUint32(s + 32, le);
    this.nrCpus = hv.getInt32(s + 36, le);
    const tasks: bigint[] = [];
    const ws = layout.wordSize;
    if (
      this.nrCpus > 0 && layout.tasks + this.nrCpus * ws <= Math.min(head.length, this.pageSize)
    ) {
      for (let i = 0; i < this.nrCpus; i++) {
        const at = layout.tasks + i * ws;
        tasks.push(ws === 8 ? hv.getBigUint64(at, le) : BigInt(hv.getUint32(at, le)));
      }
    }
    this.tasks = tasks;
    this.#bigShift = BigInt(this.pageShift);
    this.#bigMask = BigInt(this.pageSize - 1);

    // The sub header (kdump only; DISKDUMP's is an arch-specific register dump).
    let sub: KdumpSubHeader | null = null;
    let maxPfnSection = hs;
    let maxPfnAt = s + 16;
    if (sig === KDUMP_SIGNATURE && this.headerVersion >= 1) {
      sub = this.#readSubHeader(layout.wordSize);
      if (sub.maxMapnr64 !== null && sub.maxMapnr64 !== 0) {
        maxPfn = sub.maxMapnr64;
        maxPfnSection = `${path}: kdump_sub_header`;
        maxPfnAt = this.pageSize +
          (layout.wordSize === 8 ? SUB_64.maxMapnr64 : this.#sub32MaxMapnr);
      }
    }
    this.subHeader = sub;
    this.physBase = sub?.physBase ?? null;
    this.dumpLevel = sub?.dumpLevel ?? null;
    this.maxPfn = maxPfn;

    // Bitmaps: two halves (valid, dumpable), or one for old single-bitmap files.
    const bitmapOffset = (1 + this.subHeaderBlocks) * this.pageSize;
    const bitmapBytes = this.bitmapBlocks * this.pageSize;
    let dumpableOffset: number;
    if (maxPfn <= (bitmapBytes / 2) * 8) {
      dumpableOffset = bitmapOffset + bitmapBytes / 2;
      this.#singleBitmap = false;
    } else if (maxPfn <= bitmapBytes * 8) {
      dumpableOffset = bitmapOffset;
      this.#singleBitmap = true;
    } else {
      throw new DecodeError(
        maxPfnSection,
        maxPfnAt,
        `max_mapnr ${maxPfn} is more than the ${bitmapBytes / 2 * 8}-bit bitmap can describe`,
      );
    }
    this.#validBitmapOffset = bitmapOffset;
    const words = Math.ceil(maxPfn / 32);
    const bitmap = readRegion(
      reader,
      `${path}: kdump bitmap`,
      dumpableOffset,
      Math.ceil(maxPfn / 8),
      "the dumpable-page bitmap",
    );
    this.#bits = bitsFrom(bitmap, words, maxPfn);
    if (sub !== null && sub.split !== null && sub.split !== 0 && sub.startPfn !== null) {
      clearOutside(this.#bits, sub.startPfn, sub.endPfn ?? maxPfn);
    }
    this.#ranks = rankTable(this.#bits);
    this.dumpablePages = this.#rankOf(maxPfn);
    this.descriptorOffset = (1 + this.subHeaderBlocks + this.bitmapBlocks) * this.pageSize;

    // Notes, VMCOREINFO, erase info.
    const notes: DumpNote[] = [];
    let vmcoreinfo: string | null = null;
    let eraseinfo: string | null = null;
    if (sub !== null) {
      if (sub.sizeVmcoreinfo !== null && sub.sizeVmcoreinfo > 0 && sub.offsetVmcoreinfo !== null) {
        vmcoreinfo = textBlob(
          reader,
          `${path}: kdump VMCOREINFO`,
          sub.offsetVmcoreinfo,
          sub.sizeVmcoreinfo,
          MAX_VMCOREINFO,
        );
      }
      if (sub.sizeNote !== null && sub.sizeNote > 0 && sub.offsetNote !== null) {
        const ns = `${path}: kdump notes`;
        if (sub.sizeNote > MAX_NOTES) {
          throw new DecodeError(
            ns,
            sub.offsetNote,
            `note area of ${sub.sizeNote} bytes is too big`,
          );
        }
        const data = readRegion(reader, ns, sub.offsetNote, sub.sizeNote, "the note area").slice();
        parseNotes(data, le, ns, sub.offsetNote, notes);
      }
      if (sub.sizeEraseinfo !== null && sub.sizeEraseinfo > 0 && sub.offsetEraseinfo !== null) {
        eraseinfo = textBlob(
          reader,
          `${path}: kdump eraseinfo`,
          sub.offsetEraseinfo,
          sub.sizeEraseinfo,
          MAX_VMCOREINFO,
        );
      }
    }
    if (vmcoreinfo === null) {
      const note = notes.find((n) => n.name === "VMCOREINFO");
      if (note !== undefined) vmcoreinfo = decodeUtf8(note.desc).replace(/\0+$/, "");
    }
    this.notes = notes;
    this.vmcoreinfo = vmcoreinfo;
    this.eraseinfo = eraseinfo;

    const cacheBytes = options.cacheBytes ?? 8 << 20;
    this.#cachePages = Math.max(1, Math.floor(cacheBytes / this.pageSize));
    this.#slotRef = new Uint8Array(this.#cachePages);
  }

  /**
   * Parses the headers and the dumpable-page bitmap of a kdump-compressed
   * file. Page data is read on demand.
   *
   * @param reader The file (use a `FlattenedReader` for a flattened stream).
   * @param options Cache size.
   * @throws {TargetError} If the file is not a kdump-compressed file.
   * @throws {DecodeError} For a truncated or inconsistent header, sub
   *   header, bitmap or note area.
   */
  static open(reader: RandomAccessReader, options: DiskDumpOptions = {}): DiskDump {
    return new DiskDump(reader, options);
  }

  #readSubHeader(wordSize: 4 | 8): KdumpSubHeader {
    const reader = this.reader;
    const section = `${reader.path}: kdump_sub_header`;
    const base = this.pageSize;
    const version = this.headerVersion;
    const le = this.littleEndian;
    let layout = wordSize === 8 ? SUB_64 : SUB_32_PACKED;
    // Only the fields of this header version need to be there.
    const needed = (l: SubLayout) =>
      version >= 6
        ? l.size
        : version >= 5
        ? l.sizeEraseinfo + wordSize
        : version >= 4
        ? l.sizeNote + wordSize
        : version >= 3
        ? l.sizeVmcoreinfo + wordSize
        : version >= 2
        ? l.endPfn + wordSize
        : l.dumpLevel + 4;
    const read = (l: SubLayout) => {
      const n = needed(l);
      return new DataView(readRegion(reader, section, base, n, "kdump_sub_header").slice().buffer);
    };
    let v = read(layout);
    const word = (at: number) =>
      wordSize === 8 ? v.getBigUint64(at, le) : BigInt(v.getUint32(at, le));
    const num = (at: number, what: string, size = wordSize): number => {
      const x = size === 8 ? v.getBigUint64(at, le) : BigInt(v.getUint32(at, le));
      if (x > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new DecodeError(section, base + at, `${what} ${x} is out of range`);
      }
      return Number(x);
    };
    if (wordSize === 4 && version >= 3) {
      // i386 packs 64-bit fields at 4-byte alignment, 32-bit Arm pads them:
      // the packed reading is right if its VMCOREINFO offset is sane.
      const off = v.getBigUint64(layout.offsetVmcoreinfo, le);
      const size = BigInt(v.getUint32(layout.sizeVmcoreinfo, le));
      const payload = BigInt((1 + this.subHeaderBlocks) * this.pageSize);
      if (!((off === 0n && size === 0n) || (off > this.pageSize && off + size <= payload))) {
        layout = SUB_32_PADDED;
        v = read(layout);
        this.#sub32MaxMapnr = layout.maxMapnr64;
      }
    }
    const physBase = BigInt.asIntN(wordSize * 8, word(layout.physBase));
    const dumpLevel = v.getInt32(layout.dumpLevel, le);
    const has = (min: number) => version >= min;
    let split: number | null = null;
    let startPfn: number | null = null;
    let endPfn: number | null = null;
    if (has(2)) {
      split = v.getInt32(layout.split, le);
      if (split !== 0) {
        startPfn = num(layout.startPfn, "start_pfn");
        endPfn = num(layout.endPfn, "end_pfn");
      }
    }
    let maxMapnr64: number | null = null;
    if (has(6)) {
      maxMapnr64 = num(layout.maxMapnr64, "max_mapnr_64", 8);
      if (split !== null && split !== 0) {
        startPfn = num(layout.startPfn64, "start_pfn_64", 8);
        endPfn = num(layout.endPfn64, "end_pfn_64", 8);
      }
    }
    return {
      physBase,
      dumpLevel,
      split,
      startPfn,
      endPfn,
      offsetVmcoreinfo: has(3) ? num(layout.offsetVmcoreinfo, "offset_vmcoreinfo", 8) : null,
      sizeVmcoreinfo: has(3) ? num(layout.sizeVmcoreinfo, "size_vmcoreinfo") : null,
      offsetNote: has(4) ? num(layout.offsetNote, "offset_note", 8) : null,
      sizeNote: has(4) ? num(layout.sizeNote, "size_note") : null,
      offsetEraseinfo: has(5) ? num(layout.offsetEraseinfo, "offset_eraseinfo", 8) : null,
      sizeEraseinfo: has(5) ? num(layout.sizeEraseinfo, "size_eraseinfo") : null,
      maxMapnr64,
    };
  }

  /** Number of dumpable pfns below `pfn` (`0 <= pfn <= maxPfn`). */
  #rankOf(pfn: number): number {
    const bits = this.#bits;
    const w = Math.floor(pfn / 32);
    const chunk = w >>> 3;
    let r = this.#ranks[chunk] ?? 0;
    for (let i = chunk << 3; i < w; i++) r += popcount32(bits[i]!);
    const b = pfn & 31;
    if (b !== 0) r += popcount32(bits[w]! & ((1 << b) - 1));
    return r;
  }

  /** Whether page frame `pfn` was saved in the dump. */
  isDumpable(pfn: number): boolean {
    if (!(pfn >= 0 && pfn < this.maxPfn)) return false;
    return ((this.#bits[Math.floor(pfn / 32)]! >>> (pfn & 31)) & 1) === 1;
  }

  /**
   * Whether page frame `pfn` exists in the machine (the 1st bitmap; read
   * on first use). For single-bitmap files this is {@link isDumpable}.
   */
  isValid(pfn: number): boolean {
    if (this.#singleBitmap) return this.isDumpable(pfn);
    if (!(pfn >= 0 && pfn < this.maxPfn)) return false;
    if (this.#validBits === null) {
      const bitmap = readRegion(
        this.reader,
        `${this.reader.path}: kdump bitmap`,
        this.#validBitmapOffset,
        Math.ceil(this.maxPfn / 8),
        "the valid-page bitmap",
      );
      this.#validBits = bitsFrom(bitmap, Math.ceil(this.maxPfn / 32), this.maxPfn);
    }
    return ((this.#validBits[Math.floor(pfn / 32)]! >>> (pfn & 31)) & 1) === 1;
  }

  /**
   * Runs of dumpable pages as physical address ranges `[start, end)`, in
   * address order (what to map as physical memory segments).
   */
  ranges(): Array<{ start: bigint; end: bigint }> {
    const out: Array<{ start: bigint; end: bigint }> = [];
    const bits = this.#bits;
    const shift = this.#bigShift;
    let runStart = -1;
    const close = (end: number) => {
      out.push({ start: BigInt(runStart) << shift, end: BigInt(end) << shift });
      runStart = -1;
    };
    for (let w = 0; w < bits.length; w++) {
      const x = bits[w]!;
      const base = w * 32;
      if (x === 0) {
        if (runStart >= 0) close(base);
      } else if (x === 0xffffffff) {
        if (runStart < 0) runStart = base;
      } else {
        for (let b = 0; b < 32; b++) {
          if ((x >>> b) & 1) {
            if (runStart < 0) runStart = base + b;
          } else if (runStart >= 0) {
            close(base + b);
          }
        }
      }
    }
    if (runStart >= 0) close(Math.min(bits.length * 32, this.maxPfn));
    return out;
  }

  /**
   * The page descriptor of `pfn`, or null if the pfn is not dumpable.
   * Throws a {@link FaultError} if the descriptor cannot be read.
   */
  pageDescriptor(pfn: number): PageDescriptor | null {
    if (!this.isDumpable(pfn)) return null;
    const address = BigInt(pfn) << this.#bigShift;
    const d = this.#descriptor(pfn, address);
    const le = this.littleEndian;
    return {
      offset: this.#descOffset(d, address),
      size: u32(d, 8, le),
      flags: u32(d, 12, le),
      pageFlags: (BigInt(u32(d, le ? 20 : 16, le)) << 32n) | BigInt(u32(d, le ? 16 : 20, le)),
    };
  }

  #descriptor(pfn: number, address: bigint): Uint8Array {
    const at = this.descriptorOffset + this.#rankOf(pfn) * PAGE_DESC_SIZE;
    try {
      return this.reader.readAt(at, PAGE_DESC_SIZE);
    } catch (e) {
      throw this.#fault(
        address,
        `page descriptor at file offset ${hex(at)} is past the end of the file (truncated dump?)`,
        e,
      );
    }
  }

  #descOffset(d: Uint8Array, address: bigint): number {
    const le = this.littleEndian;
    const lo = u32(d, le ? 0 : 4, le);
    const hi = u32(d, le ? 4 : 0, le);
    if (hi > 0x1fffff) {
      throw this.#fault(address, `page descriptor has a bad data offset ${hex(hi * TWO32 + lo)}`);
    }
    return hi * TWO32 + lo;
  }

  #fault(address: bigint, reason: string, cause?: unknown): FaultError {
    const e = new FaultError(`could not read memory from kdump: ${reason}`, address, true);
    if (cause !== undefined) e.cause = cause;
    return e;
  }

  /** Decompresses page `pfn` into `out` (exactly `pageSize` bytes). */
  #load(pfn: number, address: bigint, out: Uint8Array): void {
    if (!(pfn < this.maxPfn)) {
      throw this.#fault(address, `address is beyond the end of the dump (${this.maxPfn} pages)`);
    }
    if (((this.#bits[Math.floor(pfn / 32)]! >>> (pfn & 31)) & 1) === 0) {
      throw this.#fault(address, "excluded page");
    }
    const d = this.#descriptor(pfn, address);
    const le = this.littleEndian;
    const offset = this.#descOffset(d, address);
    const size = u32(d, 8, le);
    const flags = u32(d, 12, le);
    const pageSize = this.pageSize;
    if (size === 0) throw this.#fault(address, "page data missing (incomplete dump?)");
    const compression = flags & COMPRESSION_MASK;
    if (compression === 0 && size !== pageSize) {
      throw this.#fault(address, `raw page data at file offset ${hex(offset)} is ${size} bytes`);
    }
    if (size > 2 * pageSize + 4096) {
      throw this.#fault(
        address,
        `page data at file offset ${
          hex(offset)
        } is ${size} bytes, too big for a ${pageSize}-byte page`,
      );
    }
    let data: Uint8Array;
    try {
      data = this.reader.readAt(offset, size);
    } catch (e) {
      throw this.#fault(
        address,
        `page data at file offset ${hex(offset)} (${size} bytes) is past the end of the file`,
        e,
      );
    }
    if (compression === 0) {
      out.set(data);
      return;
    }
    const section = `${this.reader.path}: page data of pfn ${hex(pfn)} at file offset ${
      hex(offset)
    }`;
    let n: number;
    try {
      n = decompressPage(compression, data, out, section);
    } catch (e) {
      const what = e instanceof Error ? e.message : String(e);
      throw this.#fault(address, `corrupt page data at file offset ${hex(offset)}: ${what}`, e);
    }
    if (n !== pageSize) {
      throw this.#fault(
        address,
        `page data at file offset ${hex(offset)} decompressed to ${n} bytes, not ${pageSize}`,
      );
    }
  }

  /** The cached page `pfn` (a cache buffer: copy out of it, never keep it). */
  #page(pfn: number, pageOffset: number): Uint8Array {
    if (pfn === this.#lastPfn) return this.#lastPage;
    let slot = this.#slotOf.get(pfn);
    if (slot === undefined) {
      slot = this.#victim();
      const page = this.#slotData[slot]!;
      this.#lastPfn = -1;
      const address = (BigInt(pfn) << this.#bigShift) + BigInt(pageOffset);
      this.#load(pfn, address, page);
      this.#slotPfn[slot] = pfn;
      this.#slotOf.set(pfn, slot);
    }
    this.#slotRef[slot] = 1;
    const page = this.#slotData[slot]!;
    this.#lastPfn = pfn;
    this.#lastPage = page;
    return page;
  }

  /**
   * A free slot: a new one while the cache grows (buffers made
   * {@link SLAB_PAGES} at a time: one allocation instead of 32), else the
   * next unreferenced one.
   */
  #victim(): number {
    const data = this.#slotData;
    if (this.#slotsUsed < this.#cachePages) {
      if (this.#slotsUsed === data.length) {
        const size = this.pageSize;
        const n = Math.min(SLAB_PAGES, this.#cachePages - data.length);
        const slab = new Uint8Array(n * size);
        for (let i = 0; i < n; i++) {
          data.push(slab.subarray(i * size, (i + 1) * size));
          this.#slotPfn.push(-1);
        }
      }
      return this.#slotsUsed++;
    }
    const ref = this.#slotRef;
    const n = data.length;
    let h = this.#hand;
    while (ref[h] === 1) {
      ref[h] = 0;
      h = h + 1 === n ? 0 : h + 1;
    }
    this.#hand = h + 1 === n ? 0 : h + 1;
    const old = this.#slotPfn[h]!;
    if (old >= 0) this.#slotOf.delete(old);
    this.#slotPfn[h] = -1;
    return h;
  }

  /**
   * Copies `length` bytes of physical memory at `paddr` into
   * `dest[destOffset…]`, across pages.
   *
   * @throws {FaultError} (physical, with the first unreadable address) for
   *   an excluded page, a pfn past `maxPfn`, or page data that is missing
   *   or corrupt in the file (the underlying error is the `cause`).
   */
  readPhysical(paddr: bigint, dest: Uint8Array, destOffset: number, length: number): void {
    if (
      !Number.isInteger(length) || length < 0 || !Number.isInteger(destOffset) ||
      destOffset < 0 || destOffset + length > dest.length
    ) {
      throw new RangeError(`invalid read of ${length} bytes into a ${dest.length}-byte buffer`);
    }
    if (paddr < 0n) throw new RangeError(`negative physical address ${paddr}`);
    if (length === 0) return;
    const pageSize = this.pageSize;
    let pfn: number;
    let off: number;
    if (paddr <= MAX_SAFE_BIG) {
      // One BigInt conversion instead of two BigInt operations.
      const a = Number(paddr);
      off = a % pageSize;
      pfn = (a - off) / pageSize;
    } else {
      pfn = Number(paddr >> this.#bigShift);
      off = Number(paddr & this.#bigMask);
    }
    let done = 0;
    while (done < length) {
      const n = Math.min(pageSize - off, length - done);
      const page = this.#page(pfn, off);
      const at = destOffset + done;
      if (n <= 8) {
        for (let i = 0; i < n; i++) dest[at + i] = page[off + i]!;
      } else {
        dest.set(n === pageSize ? page : page.subarray(off, off + n), at);
      }
      done += n;
      pfn++;
      off = 0;
    }
  }

  /** Reads `length` bytes of physical memory at `paddr` into a new array. */
  read(paddr: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readPhysical(paddr, out, 0, length);
    return out;
  }

  /**
   * A memory source reading this dump's physical memory: the byte at
   * segment offset `o` is physical address `base + o`.
   */
  memorySource(base = 0n): MemorySource {
    return new DiskDumpSource(this, base);
  }

  /**
   * Maps the dump's memory into `memory`'s physical address space: one
   * segment over all pfns `0 … maxPfn - 1`, so that reading an excluded page
   * gives this reader's "excluded page" fault rather than "not mapped".
   */
  addToMemory(memory: MemoryReader): void {
    memory.physical.add(0n, BigInt(this.maxPfn) << this.#bigShift, this.memorySource(0n), 0n);
  }

  /** Drops cached pages (the file stays open). */
  clearCache(): void {
    this.#slotOf.clear();
    this.#slotPfn.fill(-1);
    this.#slotRef.fill(0);
    this.#lastPfn = -1;
  }

  /** Closes the file. */
  close(): void {
    this.clearCache();
    this.reader.close();
  }
}

/** A {@link MemorySource} over a {@link DiskDump}'s physical memory. */
export class DiskDumpSource implements MemorySource {
  readonly dump: DiskDump;
  /** Physical address of segment offset 0. */
  readonly base: bigint;
  constructor(dump: DiskDump, base = 0n) {
    this.dump = dump;
    this.base = base;
  }
  readInto(
    offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
    physical: boolean,
  ): void {
    const paddr = this.base + offset;
    try {
      this.dump.readPhysical(paddr, dest, destOffset, length);
    } catch (e) {
      // Report the fault at the caller's address (virtual if mapped so).
      if (e instanceof FaultError && (e.address !== address || e.physical !== physical)) {
        const at = address + (e.address - paddr);
        const msg = e.message.slice(0, e.message.lastIndexOf(": "));
        const f = new FaultError(msg, at, physical);
        f.cause = e.cause;
        throw f;
      }
      throw e;
    }
  }
}

/** Copies bitmap bytes into 32-bit words (bit `pfn & 31` of word `pfn >> 5`), clearing bits ≥ `maxPfn`. */
function bitsFrom(bytes: Uint8Array, words: number, maxPfn: number): Uint32Array {
  const bits = new Uint32Array(words);
  const asBytes = new Uint8Array(bits.buffer);
  asBytes.set(bytes.subarray(0, Math.min(bytes.length, asBytes.length)));
  if (!HOST_LITTLE_ENDIAN) {
    const v = new DataView(bits.buffer);
    for (let i = 0; i < words; i++) bits[i] = v.getUint32(i * 4, true);
  }
  if (maxPfn & 31) bits[words - 1]! &= (1 << (maxPfn & 31)) - 1;
  return bits;
}

function clearOutside(bits: Uint32Array, start: number, end: number): void {
  for (let w = 0; w < bits.length; w++) {
    const lo = w * 32;
    const hi = lo + 32;
    if (hi <= start || lo >= end) {
      bits[w] = 0;
      continue;
    }
    let mask = 0xffffffff;
    if (lo < start) mask &= ~((1 << (start - lo)) - 1) | 0;
    if (hi > end) mask &= (1 << (end - lo)) - 1;
    bits[w]! &= mask;
  }
}

/**
 * Ranks at the start of each 8-word (256-pfn) chunk (and the total after
 * the last). @internal Exported for tests.
 */
export function rankTable(bits: Uint32Array): Uint32Array | Float64Array {
  const n = bits.length;
  const chunks = Math.ceil(n / 8) + 1;
  // Ranks are at most the number of bits: 32-bit entries unless that reaches 2^32.
  const ranks = n * 32 < TWO32 ? new Uint32Array(chunks) : new Float64Array(chunks);
  // One pass, four words a turn with popcount32 written out: it runs once
  // per dump, before V8 has compiled it, and a loop of a turn per word (or
  // calling popcount32) runs long enough (2,048 words for 256 MiB) that V8
  // compiles it on the spot (on-stack replacement): 0.6-0.9 ms instead of
  // 0.2.
  let r = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if ((i & 7) === 0) ranks[i >>> 3] = r;
    let a = bits[i]!, b = bits[i + 1]!, c = bits[i + 2]!, d = bits[i + 3]!;
    a -= (a >>> 1) & 0x55555555, b -= (b >>> 1) & 0x55555555;
    c -= (c >>> 1) & 0x55555555, d -= (d >>> 1) & 0x55555555;
    a = (a & 0x33333333) + ((a >>> 2) & 0x33333333);
    b = (b & 0x33333333) + ((b >>> 2) & 0x33333333);
    c = (c & 0x33333333) + ((c >>> 2) & 0x33333333);
    d = (d & 0x33333333) + ((d >>> 2) & 0x33333333);
    // Each byte of a + b + c + d is at most 4 * 8: no carry between bytes.
    a = ((a + (a >>> 4)) & 0x0f0f0f0f) + ((b + (b >>> 4)) & 0x0f0f0f0f) +
      ((c + (c >>> 4)) & 0x0f0f0f0f) + ((d + (d >>> 4)) & 0x0f0f0f0f);
    r += Math.imul(a, 0x01010101) >>> 24;
  }
  if (i < n && (i & 7) === 0) ranks[i >>> 3] = r;
  for (; i < n; i++) r += popcount32(bits[i]!);
  for (let c = Math.ceil(n / 8); c < chunks; c++) ranks[c] = r;
  return ranks;
}

function textBlob(
  reader: RandomAccessReader,
  section: string,
  offset: number,
  size: number,
  max: number,
): string {
  if (size > max) throw new DecodeError(section, offset, `${size} bytes is too big`);
  const bytes = readRegion(reader, section, offset, size, "the data");
  return decodeUtf8(bytes).replace(/\0+$/, "");
}

/** Parses ELF notes (`Elf64_Nhdr`/`Elf32_Nhdr`: three 4-byte words, 4-byte padding). */
function parseNotes(
  data: Uint8Array,
  le: boolean,
  section: string,
  base: number,
  out: DumpNote[],
): void {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  while (pos < data.length) {
    if (pos + 12 > data.length) {
      if (data.subarray(pos).every((b) => b === 0)) return; // zero padding
      throw new DecodeError(section, base + pos, "note area ends inside a note header");
    }
    const namesz = v.getUint32(pos, le);
    const descsz = v.getUint32(pos + 4, le);
    const type = v.getUint32(pos + 8, le);
    const nameAt = pos + 12;
    const descAt = nameAt + ((namesz + 3) & ~3);
    const end = descAt + ((descsz + 3) & ~3);
    if (namesz > data.length || descsz > data.length || descAt + descsz > data.length) {
      throw new DecodeError(
        section,
        base + pos,
        `note (namesz ${namesz}, descsz ${descsz}) runs past the end of the note area`,
      );
    }
    if (namesz === 0 && descsz === 0 && type === 0) {
      pos += 12;
      continue;
    }
    let nameEnd = nameAt + namesz;
    while (nameEnd > nameAt && data[nameEnd - 1] === 0) nameEnd--;
    out.push({
      name: decodeLatin1(data.subarray(nameAt, nameEnd)),
      type,
      desc: data.subarray(descAt, descAt + descsz),
    });
    pos = Math.min(end, data.length);
  }
}

/**
 * Decompresses one page into `out` and returns the decompressed length.
 * zlib goes through the system's zlib or this package's decoder
 * (inflate.ts), LZO and snappy through this package's decoders, zstd
 * through the system's libzstd or `node:zlib` (loaded on the first zstd
 * page).
 */
function decompressPage(
  flags: number,
  data: Uint8Array,
  out: Uint8Array,
  section: string,
): number {
  if (flags & DUMP_DH.COMPRESSED_ZLIB) return inflateZlib(data, out, section);
  if (flags & DUMP_DH.COMPRESSED_LZO) return lzo1xDecompress(data, out, section);
  if (flags & DUMP_DH.COMPRESSED_SNAPPY) return snappyDecompress(data, out, section);
  // DUMP_DH.COMPRESSED_ZSTD: the system's libzstd through FFI if granted,
  // else node:zlib's (4x faster than npm's fzstd on 4 KiB pages, but ~10 ms
  // to import). Both check their input.
  const native = zstdDecompressNative(data, out, section);
  if (native !== null) {
    if (native < 0) {
      throw new DecodeError(section, 0, `zstd data decompresses to more than ${out.length} bytes`);
    }
    return native;
  }
  const zstd = nodeZlib()?.zstdDecompressSync;
  if (typeof zstd !== "function") {
    throw new DecodeError(section, 0, "zstd pages need a runtime whose node:zlib has zstd");
  }
  const r = zstd(data, { maxOutputLength: out.length, chunkSize: out.length });
  if (r.length > out.length) {
    throw new DecodeError(section, 0, `zstd data decompresses to more than ${out.length} bytes`);
  }
  out.set(r);
  return r.length;
}
