/**
 * Writers of kdump-compressed files and makedumpfile flattened streams for
 * tests: a general writer for synthetic dumps (any header layout, byte
 * order, compression, split range, QEMU's quirks), a re-encoder that
 * rewrites a real kdump's pages with another compression (as makedumpfile
 * `-p`/`-z` would have written them), and a flattener.
 *
 * Compressors: zlib and zstd from `node:zlib` (Deno bundles libz and
 * libzstd; `zstdCompressSync` at level 1, as makedumpfile uses), snappy from
 * `npm:snappyjs`, LZO1X from {@link lzoCompress} here (a small greedy
 * compressor); real liblzo pages come from Debian's makedumpfile `-l`.
 *
 * @module
 */

import * as zlib from "node:zlib";
// Pinned inline: deno.json has no import map entry for it (yet).
import SnappyJS from "snappyjs";

export type Codec = "zlib" | "lzo" | "snappy" | "zstd" | "raw";

export const CODEC_FLAG: Record<Codec, number> = {
  zlib: 0x1,
  lzo: 0x2,
  snappy: 0x4,
  zstd: 0x20,
  raw: 0,
};
const COMPRESSION_MASK = 0x1 | 0x2 | 0x4 | 0x20;

/** A valid LZO1X stream that stores `data` as literal runs (no matches). */
export function lzoLiterals(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  const n = data.length;
  if (n === 0) return new Uint8Array([0x11, 0, 0]);
  if (n <= 238) {
    // First-byte literal run: 17 + n (n = 1..3 is a short run with state n).
    out.push(17 + n);
  } else {
    // Instruction 0000LLLL at state 0: length 3 + (L ?: 15 + 255 * zeros + last).
    let rest = n - 18;
    out.push(0);
    while (rest > 255) {
      out.push(0);
      rest -= 255;
    }
    out.push(rest); // 1..255: a zero here would read as another 255-step
  }
  const bytes = new Uint8Array(out.length + n + 3);
  bytes.set(out);
  bytes.set(data, out.length);
  bytes.set([0x11, 0, 0], out.length + n);
  return bytes;
}

/** Appends a length beyond an instruction's bit field: zero bytes of 255 each, then 1..255. */
function pushExtra(out: number[], v: number): void {
  while (v > 255) {
    out.push(0);
    v -= 255;
  }
  out.push(v);
}

/**
 * A small greedy LZO1X compressor (literal runs and `001LLLLL` matches up
 * to 16 KiB back) whose output liblzo's decompressor accepts.
 */
export function lzoCompress(data: Uint8Array): Uint8Array {
  const n = data.length;
  const out: number[] = [];
  const table = new Int32Array(1 << 14).fill(-1);
  const hash = (
    i: number,
  ) => (Math.imul(
    data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24),
    0x9e3779b1,
  ) >>> 18);
  let lit = 0; // start of pending literals
  let lastS = -1; // where the previous match's S bits are, or -1 at the start
  const flushLiterals = (end: number) => {
    const k = end - lit;
    if (k === 0) return;
    if (lastS < 0 && out.length === 0 && k <= 238) {
      out.push(17 + k);
    } else if (lastS >= 0 && k <= 3) {
      out[lastS]! |= k;
    } else {
      if (k - 3 <= 15) out.push(k - 3);
      else {
        out.push(0);
        pushExtra(out, k - 18);
      }
    }
    for (let i = lit; i < end; i++) out.push(data[i]!);
  };
  let i = 0;
  while (i + 4 <= n) {
    const h = hash(i);
    const cand = table[h]!;
    table[h] = i;
    if (
      cand >= 0 && i - cand <= 16384 && i > 0 &&
      data[cand] === data[i] && data[cand + 1] === data[i + 1] &&
      data[cand + 2] === data[i + 2] && data[cand + 3] === data[i + 3]
    ) {
      let len = 4;
      while (i + len < n && data[cand + len] === data[i + len]) len++;
      if (lit === i && lastS < 0 && out.length === 0) {
        i++;
        continue;
      }
      flushLiterals(i);
      const d = i - cand - 1;
      if (len <= 33) out.push(0x20 | (len - 2));
      else {
        out.push(0x20);
        pushExtra(out, len - 33);
      }
      lastS = out.length;
      out.push((d << 2) & 0xff, (d >> 6) & 0xff);
      i += len;
      lit = i;
      continue;
    }
    i++;
  }
  flushLiterals(n);
  out.push(0x11, 0, 0);
  return new Uint8Array(out);
}

/** Compresses one page with `codec` (null: store raw because it did not shrink). */
export function compressPage(codec: Codec, page: Uint8Array): Uint8Array | null {
  let c: Uint8Array;
  switch (codec) {
    case "zlib":
      c = new Uint8Array(zlib.deflateSync(page, { level: 1 }));
      break;
    case "zstd":
      c = new Uint8Array(
        zlib.zstdCompressSync(page, {
          params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 },
        }),
      );
      break;
    case "snappy":
      c = SnappyJS.compress(page);
      break;
    case "lzo":
      c = lzoCompress(page);
      break;
    case "raw":
      return null;
  }
  return c.length < page.length ? c : null;
}

/** A write of `data` at `offset`, in the order a writer made it. */
export interface WriteRecord {
  offset: number;
  data: Uint8Array;
}

/** Lays records out as a plain file (later records win). */
export function assemble(records: readonly WriteRecord[]): Uint8Array {
  let size = 0;
  for (const r of records) size = Math.max(size, r.offset + r.data.length);
  const out = new Uint8Array(size);
  for (const r of records) out.set(r.data, r.offset);
  return out;
}

/** Writes records as a makedumpfile flattened stream. */
export function flatten(
  records: readonly WriteRecord[],
  header: { type?: bigint; version?: bigint; end?: boolean } = {},
): Uint8Array {
  let size = 4096 + (header.end === false ? 0 : 16);
  for (const r of records) size += 16 + r.data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode("makedumpfile"));
  v.setBigInt64(16, header.type ?? 1n, false);
  v.setBigInt64(24, header.version ?? 1n, false);
  let pos = 4096;
  for (const r of records) {
    v.setBigInt64(pos, BigInt(r.offset), false);
    v.setBigInt64(pos + 8, BigInt(r.data.length), false);
    out.set(r.data, pos + 16);
    pos += 16 + r.data.length;
  }
  if (header.end !== false) {
    v.setBigInt64(pos, -1n, false);
    v.setBigInt64(pos + 8, -1n, false);
  }
  return out;
}

/** What {@link writeKdump} makes. */
export interface KdumpSpec {
  pageSize?: number;
  maxPfn: number;
  /** Content of each dumpable pfn (`pageSize` bytes), null if excluded. */
  page: (pfn: number) => Uint8Array | null;
  codec?: Codec;
  signature?: string;
  headerVersion?: number;
  wordSize?: 4 | 8;
  littleEndian?: boolean;
  /** 32-bit sub header layout (i386 packs 64-bit fields, 32-bit Arm pads them). */
  sub32?: "packed" | "padded";
  utsname?: Partial<
    {
      sysname: string;
      nodename: string;
      release: string;
      version: string;
      machine: string;
      domainname: string;
    }
  >;
  physBase?: bigint;
  dumpLevel?: number;
  nrCpus?: number;
  /** The raw note area. */
  notes?: Uint8Array;
  /** VMCOREINFO text stored apart from the notes (makedumpfile from /proc/vmcore). */
  vmcoreinfo?: string;
  /** Point offset_vmcoreinfo into the VMCOREINFO note of `notes` (QEMU, makedumpfile from ELF). */
  vmcoreinfoInNotes?: boolean;
  /** One shared descriptor for all zero pages, data written first (QEMU). */
  shareZeroPages?: boolean;
  split?: { start: number; end: number };
  /** Extra status flags. */
  status?: number;
  /** Bytes appended to the header block's `tasks[]`, if any. */
  tasks?: bigint[];
  /** Number of bitmap blocks to declare (default: what maxPfn needs). */
  bitmapBlocks?: number;
  /** Write one bitmap (the original diskdump layout) instead of valid + dumpable. */
  singleBitmap?: boolean;
}

/** Offsets of the written structures, for tests that corrupt them. */
export interface KdumpLayout {
  bytes: Uint8Array;
  records: WriteRecord[];
  bitmapOffset: number;
  descOffset: number;
  dataOffset: number;
  /** File offset of each dumpable pfn's page data. */
  dataOf: Map<number, { offset: number; size: number; flags: number }>;
}

const SUB64 = {
  size: 104,
  physBase: 0,
  dumpLevel: 8,
  split: 12,
  startPfn: 16,
  endPfn: 24,
  offV: 32,
  sizeV: 40,
  offN: 48,
  sizeN: 56,
  offE: 64,
  sizeE: 72,
  start64: 80,
  end64: 88,
  max64: 96,
};
const SUB32P = {
  size: 80,
  physBase: 0,
  dumpLevel: 4,
  split: 8,
  startPfn: 12,
  endPfn: 16,
  offV: 20,
  sizeV: 28,
  offN: 32,
  sizeN: 40,
  offE: 44,
  sizeE: 52,
  start64: 56,
  end64: 64,
  max64: 72,
};
const SUB32A = {
  size: 96,
  physBase: 0,
  dumpLevel: 4,
  split: 8,
  startPfn: 12,
  endPfn: 16,
  offV: 24,
  sizeV: 32,
  offN: 40,
  sizeN: 48,
  offE: 56,
  sizeE: 64,
  start64: 72,
  end64: 80,
  max64: 88,
};

/** Offset of the VMCOREINFO note's descriptor in a note area, or -1. */
export function findNoteDesc(
  notes: Uint8Array,
  name: string,
  le = true,
): { offset: number; size: number } {
  const v = new DataView(notes.buffer, notes.byteOffset, notes.byteLength);
  let pos = 0;
  while (pos + 12 <= notes.length) {
    const namesz = v.getUint32(pos, le);
    const descsz = v.getUint32(pos + 4, le);
    const nm = new TextDecoder().decode(notes.subarray(pos + 12, pos + 12 + namesz)).replace(
      /\0+$/,
      "",
    );
    const descAt = pos + 12 + ((namesz + 3) & ~3);
    if (nm === name) return { offset: descAt, size: descsz };
    pos = descAt + ((descsz + 3) & ~3);
  }
  return { offset: -1, size: 0 };
}

/** Builds a kdump-compressed file. */
export function writeKdump(spec: KdumpSpec): KdumpLayout {
  const bs = spec.pageSize ?? 4096;
  const le = spec.littleEndian ?? true;
  const ws = spec.wordSize ?? 8;
  const version = spec.headerVersion ?? 6;
  const codec = spec.codec ?? "zlib";
  const sub = ws === 8 ? SUB64 : spec.sub32 === "padded" ? SUB32A : SUB32P;
  const records: WriteRecord[] = [];
  const enc = new TextEncoder();

  // Header.
  const header = new Uint8Array(bs);
  const hv = new DataView(header.buffer);
  header.set(enc.encode(spec.signature ?? "KDUMP   "));
  hv.setInt32(8, version, le);
  const uts = spec.utsname ?? {
    sysname: "Linux",
    nodename: "test",
    release: "6.1.0-test",
    version: "#1",
    machine: ws === 8 ? "x86_64" : "i686",
    domainname: "(none)",
  };
  const fields = ["sysname", "nodename", "release", "version", "machine", "domainname"] as const;
  fields.forEach((f, i) => header.set(enc.encode(uts[f] ?? ""), 12 + i * 65));
  const s = ws === 8 ? 424 : 412;
  const bitmapBytesNeeded = Math.ceil(Math.ceil(spec.maxPfn / 8) / bs) * bs;
  const bitmapBlocks = spec.bitmapBlocks ??
    (bitmapBytesNeeded / bs) * (spec.singleBitmap ? 1 : 2);
  const notes = spec.notes ?? new Uint8Array(0);
  const vmci = spec.vmcoreinfo !== undefined ? enc.encode(spec.vmcoreinfo) : new Uint8Array(0);
  const subBytes = sub.size + vmci.length + notes.length;
  const subBlocks = Math.max(1, Math.ceil(subBytes / bs));
  const status = (spec.status ?? 0) | CODEC_FLAG[codec];
  hv.setUint32(s, status, le);
  hv.setInt32(s + 4, bs, le);
  hv.setInt32(s + 8, subBlocks, le);
  hv.setUint32(s + 12, bitmapBlocks, le);
  hv.setUint32(s + 16, Math.min(spec.maxPfn, 0xffffffff), le);
  hv.setInt32(s + 36, spec.nrCpus ?? 1, le);
  (spec.tasks ?? []).forEach((t, i) => {
    const at = s + 40 + i * ws;
    if (ws === 8) hv.setBigUint64(at, t, le);
    else hv.setUint32(at, Number(t), le);
  });
  records.push({ offset: 0, data: header.subarray(0, s + 40 + (spec.tasks?.length ?? 0) * ws) });

  // Sub header, VMCOREINFO, notes.
  const subArea = new Uint8Array(subBlocks * bs);
  const sv = new DataView(subArea.buffer);
  const word = (at: number, x: bigint) => {
    if (ws === 8) sv.setBigUint64(at, BigInt.asUintN(64, x), le);
    else sv.setUint32(at, Number(BigInt.asUintN(32, x)), le);
  };
  word(sub.physBase, spec.physBase ?? 0n);
  sv.setInt32(sub.dumpLevel, spec.dumpLevel ?? 31, le);
  if (spec.split) {
    sv.setInt32(sub.split, 1, le);
    word(sub.startPfn, BigInt(spec.split.start));
    word(sub.endPfn, BigInt(spec.split.end));
    sv.setBigUint64(sub.start64, BigInt(spec.split.start), le);
    sv.setBigUint64(sub.end64, BigInt(spec.split.end), le);
  }
  const vmciOff = bs + sub.size;
  const notesOff = vmciOff + vmci.length;
  subArea.set(vmci, sub.size);
  subArea.set(notes, sub.size + vmci.length);
  if (vmci.length > 0) {
    sv.setBigUint64(sub.offV, BigInt(vmciOff), le);
    word(sub.sizeV, BigInt(vmci.length));
  } else if (spec.vmcoreinfoInNotes) {
    const d = findNoteDesc(notes, "VMCOREINFO", le);
    if (d.offset >= 0) {
      sv.setBigUint64(sub.offV, BigInt(notesOff + d.offset), le);
      word(sub.sizeV, BigInt(d.size));
    }
  }
  if (notes.length > 0) {
    sv.setBigUint64(sub.offN, BigInt(notesOff), le);
    word(sub.sizeN, BigInt(notes.length));
  }
  sv.setBigUint64(sub.max64, BigInt(spec.maxPfn), le);
  records.push({ offset: bs, data: subArea.subarray(0, sub.size) });
  if (vmci.length + notes.length > 0) {
    records.push({ offset: vmciOff, data: subArea.subarray(sub.size, subBytes) });
  }

  // Bitmaps (1st = valid, 2nd = dumpable: the same here) and pages.
  const bitmapOffset = (1 + subBlocks) * bs;
  const half = spec.singleBitmap ? bitmapBlocks * bs : (bitmapBlocks / 2) * bs;
  const bitmap = new Uint8Array(bitmapBytesNeeded);
  const pages: { pfn: number; data: Uint8Array }[] = [];
  for (let pfn = 0; pfn < spec.maxPfn; pfn++) {
    const p = spec.page(pfn);
    if (p === null) continue;
    if (p.length !== bs) throw new Error(`page ${pfn} is ${p.length} bytes`);
    // A file of a split set has the whole bitmap but only its range's pages.
    bitmap[pfn >> 3]! |= 1 << (pfn & 7);
    if (spec.split && (pfn < spec.split.start || pfn >= spec.split.end)) continue;
    pages.push({ pfn, data: p });
  }
  records.push({ offset: bitmapOffset, data: bitmap });
  if (!spec.singleBitmap) records.push({ offset: bitmapOffset + half, data: bitmap });

  const descOffset = (1 + subBlocks + bitmapBlocks) * bs;
  const descs = new Uint8Array(pages.length * 24);
  const dv = new DataView(descs.buffer);
  const dataOffset = descOffset + descs.length;
  const chunks: Uint8Array[] = [];
  let pos = dataOffset;
  const dataOf = new Map<number, { offset: number; size: number; flags: number }>();
  let zeroAt = -1;
  if (spec.shareZeroPages) {
    zeroAt = pos;
    chunks.push(new Uint8Array(bs));
    pos += bs;
  }
  pages.forEach(({ pfn, data }, i) => {
    let at: number;
    let size: number;
    let flags: number;
    if (zeroAt >= 0 && data.every((b) => b === 0)) {
      at = zeroAt;
      size = bs;
      flags = 0;
    } else {
      const c = compressPage(codec, data);
      const stored = c ?? data;
      flags = c === null ? 0 : CODEC_FLAG[codec];
      at = pos;
      size = stored.length;
      chunks.push(stored);
      pos += stored.length;
    }
    dv.setBigUint64(i * 24, BigInt(at), le);
    dv.setUint32(i * 24 + 8, size, le);
    dv.setUint32(i * 24 + 12, flags, le);
    dataOf.set(pfn, { offset: at, size, flags });
  });
  records.push({ offset: descOffset, data: descs });
  let p = dataOffset;
  for (const c of chunks) {
    records.push({ offset: p, data: c });
    p += c.length;
  }
  return { bytes: assemble(records), records, bitmapOffset, descOffset, dataOffset, dataOf };
}

/**
 * Rewrites a 64-bit little-endian kdump's pages with `codec` (decompressing
 * zlib, LZO-free input), keeping everything before the page data as it is
 * and sharing data that descriptors shared, and sets the header's
 * compression flag; a page that does not shrink is stored raw, as
 * makedumpfile does.
 */
export function reencodeKdump(src: Uint8Array, codec: Codec): Uint8Array {
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (new TextDecoder().decode(src.subarray(0, 8)) !== "KDUMP   ") throw new Error("not a kdump");
  const bs = v.getUint32(428, true);
  const subBlocks = v.getUint32(432, true);
  const bitmapBlocks = v.getUint32(436, true);
  const version = v.getUint32(8, true);
  let maxPfn = v.getUint32(440, true);
  if (version >= 6) maxPfn = Number(v.getBigUint64(bs + 96, true)) || maxPfn;
  const dumpable = (bitmapBlocks / 2) * bs + (1 + subBlocks) * bs;
  let n = 0;
  for (let pfn = 0; pfn < maxPfn; pfn++) n += (src[dumpable + (pfn >> 3)]! >> (pfn & 7)) & 1;
  const descOffset = (1 + subBlocks + bitmapBlocks) * bs;
  const dataStart = descOffset + n * 24;
  const eraseOff = version >= 5 ? Number(v.getBigUint64(bs + 64, true)) : 0;
  const eraseSize = version >= 5 ? Number(v.getBigUint64(bs + 72, true)) : 0;

  const parts: Uint8Array[] = [];
  const prefix = src.slice(0, dataStart);
  const pv = new DataView(prefix.buffer);
  let pos = dataStart;
  const moved = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const d = descOffset + i * 24;
    const off = Number(v.getBigUint64(d, true));
    const size = v.getUint32(d + 8, true);
    const flags = v.getUint32(d + 12, true);
    const key = off * 65536 + size;
    const seen = moved.get(key);
    if (seen !== undefined) {
      const prev = descOffset + seen * 24;
      pv.setBigUint64(d, pv.getBigUint64(prev, true), true);
      pv.setUint32(d + 8, pv.getUint32(prev + 8, true), true);
      pv.setUint32(d + 12, pv.getUint32(prev + 12, true), true);
      continue;
    }
    moved.set(key, i);
    const data = src.subarray(off, off + size);
    let page: Uint8Array;
    if (flags & 0x1) page = new Uint8Array(zlib.inflateSync(data));
    else if ((flags & COMPRESSION_MASK) === 0) page = data;
    else throw new Error(`cannot re-encode page data with flags ${flags}`);
    if (page.length !== bs) throw new Error(`page ${i} decompressed to ${page.length} bytes`);
    const c = compressPage(codec, page);
    const stored = c ?? page;
    pv.setBigUint64(d, BigInt(pos), true);
    pv.setUint32(d + 8, stored.length, true);
    pv.setUint32(d + 12, c === null ? 0 : CODEC_FLAG[codec], true);
    parts.push(stored);
    pos += stored.length;
  }
  let erase: Uint8Array | null = null;
  if (eraseSize > 0) {
    erase = src.slice(eraseOff, eraseOff + eraseSize);
    pv.setBigUint64(bs + 64, BigInt(pos), true);
    pos += eraseSize;
  }
  pv.setUint32(424, (pv.getUint32(424, true) & ~COMPRESSION_MASK) | CODEC_FLAG[codec], true);
  const out = new Uint8Array(pos);
  out.set(prefix);
  let p = dataStart;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  if (erase !== null) out.set(erase, p);
  return out;
}
