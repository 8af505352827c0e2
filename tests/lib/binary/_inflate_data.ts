/**
 * Real compressed data for the inflate tests and benchmark: the zlib pages
 * of the makedumpfile `-c` kdump fixture, and a slice of the vmlinux's
 * `.debug_info`.
 *
 * The pages are found from the kdump header alone (makedumpfile's
 * `diskdump_mod.h`): `block_size`, `sub_hdr_size` and `bitmap_blocks` in
 * `disk_dump_header` (64-bit little-endian layout, at offset 424), then the
 * `page_desc` table (24 bytes each: `offset`, `size`, `flags`, `page_flags`)
 * right after the two bitmaps, one entry per bit set in the second.
 *
 * @module
 */

import { join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { KERNEL, vmlinux } from "../elf/_fixtures.ts";

/** Deterministic pseudo-random bytes (a 32-bit LCG's high byte). */
export function noise(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** The zlib kdump fixture (`makedumpfile -c -d 31`). */
export const KDUMP_ZLIB: string = join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump");

/** `page_desc.flags` bit of a zlib-compressed page (`DUMP_DH_COMPRESSED_ZLIB`). */
const COMPRESSED_ZLIB = 1;

/** The kdump's page size and up to `limit` of its zlib-compressed pages, in file order. */
export function kdumpZlibPages(limit = Infinity): { pageSize: number; pages: Uint8Array[] } {
  const file = Deno.openSync(KDUMP_ZLIB, { read: true });
  try {
    const read = (offset: number, length: number): Uint8Array => {
      const buf = new Uint8Array(length);
      file.seekSync(offset, Deno.SeekMode.Start);
      let n = 0;
      while (n < length) {
        const r = file.readSync(buf.subarray(n));
        if (r === null) throw new Error(`${KDUMP_ZLIB}: short read at ${offset + n}`);
        n += r;
      }
      return buf;
    };
    const head = new DataView(read(0, 464).buffer);
    const sig = new TextDecoder().decode(new Uint8Array(head.buffer, 0, 8));
    if (sig !== "KDUMP   ") throw new Error(`${KDUMP_ZLIB}: signature ${JSON.stringify(sig)}`);
    const blockSize = head.getUint32(428, true);
    const subHdrBlocks = head.getInt32(432, true);
    const bitmapBlocks = head.getUint32(436, true);
    const descStart = (1 + subHdrBlocks + bitmapBlocks) * blockSize;
    // One descriptor per bit set in the second bitmap (dumpable pfns).
    const half = (bitmapBlocks / 2) * blockSize;
    const bitmap = read((1 + subHdrBlocks) * blockSize + half, half);
    let count = 0;
    for (const byte of bitmap) {
      for (let b = byte; b !== 0; b &= b - 1) count++;
    }
    const table = new DataView(read(descStart, count * 24).buffer);
    const pages: Uint8Array[] = [];
    const fileSize = Deno.statSync(KDUMP_ZLIB).size;
    for (let i = 0; i < count && pages.length < limit; i++) {
      const offset = Number(table.getBigUint64(i * 24, true));
      const size = table.getUint32(i * 24 + 8, true);
      const flags = table.getUint32(i * 24 + 12, true);
      if (offset + size > fileSize) throw new Error(`${KDUMP_ZLIB}: descriptor ${i} is past EOF`);
      if (flags & COMPRESSED_ZLIB) pages.push(read(offset, size));
    }
    return { pageSize: blockSize, pages };
  } finally {
    file.close();
  }
}

/** `length` bytes of the vmlinux's `.debug_info`, from its start. */
export async function debugInfoSlice(length: number): Promise<Uint8Array> {
  const elf = ElfFile.open(await vmlinux());
  try {
    const s = elf.section(".debug_info");
    if (s === undefined) throw new Error("vmlinux has no .debug_info");
    return elf.sectionRange(s, 0, length).slice();
  } finally {
    elf.close();
  }
}
