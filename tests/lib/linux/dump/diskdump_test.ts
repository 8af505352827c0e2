/**
 * DiskDump on synthetic kdumps written by `_kdump_writer.ts`: every header
 * layout and byte order, header versions, codecs, split files, single
 * bitmaps, and malformed files.
 */

import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { BytesReader } from "../../../../lib/binary/file_reader.ts";
import { DecodeError, FaultError, TargetError } from "../../../../lib/errors.ts";
import { DiskDump, DUMP_DH, rankTable } from "../../../../lib/linux/dump/diskdump.ts";
import { FlattenedReader } from "../../../../lib/linux/dump/flattened.ts";
import { type Codec, flatten, type KdumpSpec, writeKdump } from "./_kdump_writer.ts";
import { bytesEqual } from "./_compare.ts";

/** Page contents: compressible text, random bytes, zeros, per pfn. */
function makePage(pfn: number, pageSize = 4096): Uint8Array {
  const p = new Uint8Array(pageSize);
  let x = (pfn * 2654435761) >>> 0 || 1;
  const kind = pfn % 4;
  for (let i = 0; i < pageSize; i++) {
    if (kind === 0) p[i] = (i * 7 + pfn) & 0x3f;
    else if (kind === 1) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      p[i] = x & 0xff;
    } else if (kind === 2) p[i] = i < 64 ? pfn & 0xff : 0;
  }
  return p;
}

/** Dumpable: every pfn except multiples of 5 and 300..339. */
const dumpable = (pfn: number) => pfn % 5 !== 0 && !(pfn >= 300 && pfn < 340);

function spec(extra: Partial<KdumpSpec> = {}): KdumpSpec {
  const ps = extra.pageSize ?? 4096;
  return {
    maxPfn: 1000,
    page: (pfn) => (dumpable(pfn) ? makePage(pfn, ps) : null),
    ...extra,
  };
}

function openBytes(bytes: Uint8Array, cacheBytes?: number): DiskDump {
  return DiskDump.open(new BytesReader(bytes, "test.kdump"), { cacheBytes });
}

function checkPages(dump: DiskDump, maxPfn: number, ps: number, inRange = dumpable): void {
  const buf = new Uint8Array(ps);
  let n = 0;
  for (let pfn = 0; pfn < maxPfn; pfn++) {
    assert.equal(dump.isDumpable(pfn), inRange(pfn), `pfn ${pfn}`);
    if (!inRange(pfn)) {
      assert.throws(
        () => dump.readPhysical(BigInt(pfn * ps + 3), buf, 0, 1),
        (e: unknown) =>
          e instanceof FaultError && e.address === BigInt(pfn * ps + 3) && e.physical &&
          /excluded page/.test(e.message),
      );
      continue;
    }
    dump.readPhysical(BigInt(pfn * ps), buf, 0, ps);
    assert.ok(bytesEqual(buf, makePage(pfn, ps)), `pfn ${pfn}`);
    n++;
  }
  assert.equal(dump.dumpablePages, n);
}

const noteArea = (() => {
  // Two NT_PRSTATUS "CORE" notes and a VMCOREINFO note, as a kernel writes them.
  const enc = new TextEncoder();
  const parts: number[] = [];
  const add = (name: string, type: number, desc: Uint8Array) => {
    const n = enc.encode(name + "\0");
    const h = new DataView(new ArrayBuffer(12));
    h.setUint32(0, n.length, true);
    h.setUint32(4, desc.length, true);
    h.setUint32(8, type, true);
    parts.push(...new Uint8Array(h.buffer), ...n, ...new Array((4 - (n.length % 4)) % 4).fill(0));
    parts.push(...desc, ...new Array((4 - (desc.length % 4)) % 4).fill(0));
  };
  add("CORE", 1, new Uint8Array(336).fill(1));
  add("CORE", 1, new Uint8Array(336).fill(2));
  add("VMCOREINFO", 0, enc.encode("OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"));
  return new Uint8Array(parts);
})();

Deno.test("DiskDump reads synthetic kdumps with every codec", () => {
  for (const codec of ["zlib", "lzo", "snappy", "zstd", "raw"] as Codec[]) {
    const w = writeKdump(spec({ codec, notes: noteArea, vmcoreinfoInNotes: true }));
    const dump = openBytes(w.bytes);
    assert.equal(dump.status, { zlib: 1, lzo: 2, snappy: 4, zstd: 0x20, raw: 0 }[codec]);
    checkPages(dump, 1000, 4096);
    // Random pages are stored raw; the others compressed.
    assert.equal(dump.pageDescriptor(1)!.flags, 0);
    assert.equal(dump.pageDescriptor(2)!.flags, dump.status);
    assert.equal(dump.vmcoreinfo, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n");
    assert.deepEqual(dump.notes.map((n) => [n.name, n.type, n.desc.length]), [
      ["CORE", 1, 336],
      ["CORE", 1, 336],
      ["VMCOREINFO", 0, 35],
    ]);
    assert.equal(dump.pageDescriptor(0), null);
  }
});

Deno.test("DiskDump reads 32-bit, big-endian and non-4K-page layouts", () => {
  const cases: Partial<KdumpSpec>[] = [
    { wordSize: 4, sub32: "packed", physBase: 0x1000000n },
    { wordSize: 4, sub32: "padded", physBase: 0x80000000n, utsname: { machine: "armv7l" } },
    { wordSize: 8, littleEndian: false, utsname: { machine: "s390x" }, physBase: -1n },
    { wordSize: 4, littleEndian: false, utsname: { machine: "ppc" } },
    { pageSize: 16384, utsname: { machine: "aarch64" } },
    { pageSize: 65536, utsname: { machine: "ppc64le" }, codec: "lzo" },
  ];
  for (const c of cases) {
    const ps = c.pageSize ?? 4096;
    const le = c.littleEndian ?? true;
    // Notes in the target's byte order.
    const notes = le ? noteArea : swapNotes(noteArea);
    const w = writeKdump(spec({ ...c, notes, vmcoreinfo: "OSRELEASE=x\n", nrCpus: 3 }));
    const dump = openBytes(w.bytes);
    const label = JSON.stringify(c, (_k, v) => typeof v === "bigint" ? String(v) : v);
    assert.equal(dump.wordSize, c.wordSize ?? 8, label);
    assert.equal(dump.littleEndian, le, label);
    assert.equal(dump.pageSize, ps, label);
    assert.equal(dump.nrCpus, 3, label);
    assert.equal(dump.physBase, BigInt.asIntN((c.wordSize ?? 8) * 8, c.physBase ?? 0n), label);
    assert.equal(dump.vmcoreinfo, "OSRELEASE=x\n", label);
    assert.equal(dump.notes.length, 3, label);
    assert.equal(dump.notes[2]!.name, "VMCOREINFO");
    checkPages(dump, 1000, ps);
  }
});

function swapNotes(le: Uint8Array): Uint8Array {
  const out = le.slice();
  const src = new DataView(le.buffer);
  const dst = new DataView(out.buffer);
  let pos = 0;
  while (pos < le.length) {
    const namesz = src.getUint32(pos, true);
    const descsz = src.getUint32(pos + 4, true);
    for (let i = 0; i < 3; i++) dst.setUint32(pos + 4 * i, src.getUint32(pos + 4 * i, true), false);
    pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
  }
  return out;
}

Deno.test("DiskDump reads the fields each header version has", () => {
  for (const headerVersion of [1, 2, 3, 4, 5, 6]) {
    const w = writeKdump(spec({
      headerVersion,
      notes: noteArea,
      vmcoreinfo: "OSRELEASE=v\n",
      physBase: 0x2000000n,
      dumpLevel: 17,
    }));
    const dump = openBytes(w.bytes);
    const sub = dump.subHeader!;
    assert.equal(dump.headerVersion, headerVersion);
    assert.equal(sub.physBase, 0x2000000n);
    assert.equal(sub.dumpLevel, 17);
    assert.equal(sub.split === null, headerVersion < 2);
    assert.equal(dump.vmcoreinfo, headerVersion >= 3 ? "OSRELEASE=v\n" : null);
    assert.equal(dump.notes.length, headerVersion >= 4 ? 3 : 0);
    assert.equal(sub.maxMapnr64, headerVersion >= 6 ? 1000 : null);
    checkPages(dump, 1000, 4096);
  }
});

Deno.test("DiskDump reads one file of a split dump, and a single-bitmap DISKDUMP", () => {
  const w = writeKdump(spec({ split: { start: 200, end: 700 } }));
  const dump = openBytes(w.bytes);
  assert.equal(dump.subHeader!.startPfn, 200);
  assert.equal(dump.subHeader!.endPfn, 700);
  checkPages(dump, 1000, 4096, (pfn) => pfn >= 200 && pfn < 700 && dumpable(pfn));
  assert.deepEqual(dump.ranges()[0], { start: 201n * 4096n, end: 205n * 4096n });

  const d = writeKdump(spec({ signature: "DISKDUMP", headerVersion: 0, maxPfn: 20000 }));
  const old = openBytes(d.bytes);
  assert.equal(old.signature, "DISKDUMP");
  assert.equal(old.subHeader, null);
  assert.equal(old.vmcoreinfo, null);
  assert.equal(old.bitmapBlocks, 2);
  // maxPfn 20000 needs more than half of the 2 bitmap blocks: one bitmap.
  const s = writeKdump(spec({
    maxPfn: 40000,
    page: (pfn) => (pfn < 1000 && dumpable(pfn) ? makePage(pfn) : null),
    singleBitmap: true,
    signature: "DISKDUMP",
  }));
  const single = openBytes(s.bytes);
  assert.equal(single.bitmapBlocks, 2);
  checkPages(single, 40000, 4096, (pfn) => pfn < 1000 && dumpable(pfn));
  assert.equal(single.isValid(1), true);
  assert.equal(single.isValid(5), false);
});

Deno.test("DiskDump reads across pages, with a one-page cache, and the tasks array", () => {
  const w = writeKdump(spec({ tasks: [0xffff888001234000n, 0xffff888005678000n], nrCpus: 2 }));
  const dump = openBytes(w.bytes, 1);
  assert.deepEqual(dump.tasks, [0xffff888001234000n, 0xffff888005678000n]);
  // pfns 11..14 are dumpable: read 3 pages' worth starting mid-page, twice, out of order.
  const want = new Uint8Array(4 * 4096);
  for (let i = 0; i < 4; i++) want.set(makePage(11 + i), i * 4096);
  for (const start of [100, 4096, 4000, 100]) {
    const got = dump.read(11n * 4096n + BigInt(start), 3 * 4096 - 7);
    assert.ok(bytesEqual(got, want.subarray(start, start + 3 * 4096 - 7)));
  }
  const small = new Uint8Array(10);
  dump.readPhysical(4096n * 13n + 4090n, small, 2, 8); // 6 bytes of pfn 13, 2 of pfn 14
  assert.deepEqual([...small.subarray(2)], [...want.subarray(2 * 4096 + 4090, 2 * 4096 + 4098)]);
  assert.throws(() => dump.readPhysical(0n, small, 5, 6), RangeError);
  // The flattened form reads the same.
  const flat = DiskDump.open(FlattenedReader.open(new BytesReader(flatten(w.records))));
  checkPages(flat, 1000, 4096);
});

// Malformed files.

const base = writeKdump(spec({ notes: noteArea, vmcoreinfo: "OSRELEASE=m\n" }));
const u32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer).setUint32(at, v, true);
const u64 = (b: Uint8Array, at: number, v: bigint) =>
  new DataView(b.buffer).setBigUint64(at, v, true);
const decodeError = (section: RegExp, offset: number | null, message: RegExp) => (e: unknown) =>
  e instanceof DecodeError && section.test(e.section) &&
  (offset === null || e.offset === offset) && message.test(e.message);

Deno.test("DiskDump.open() rejects a bad signature, a truncated or implausible header", () => {
  const b = base.bytes.slice();
  b.set(new TextEncoder().encode("KDUMPX  "));
  assert.throws(() => openBytes(b), TargetError);
  assert.throws(() => openBytes(base.bytes.slice(0, 7)), TargetError);
  assert.throws(
    () => openBytes(base.bytes.slice(0, 300)),
    decodeError(/disk_dump_header/, 300, /too short/),
  );
  const c = base.bytes.slice();
  u32(c, 428, 1000); // block_size
  u32(c, 416, 1000); // and what the 32-bit layout would read as block_size
  assert.throws(() => openBytes(c), decodeError(/disk_dump_header/, 428, /block_size 1000/));
});

Deno.test("DiskDump.open() rejects a truncated sub header, bitmap, notes or VMCOREINFO", () => {
  assert.throws(
    () => openBytes(base.bytes.slice(0, 4096 + 50)),
    decodeError(/kdump_sub_header/, 4096, /runs past the end/),
  );
  const half = (base.descOffset - base.bitmapOffset) / 2;
  assert.throws(
    () => openBytes(base.bytes.slice(0, base.bitmapOffset + half + 10)),
    decodeError(/kdump bitmap/, base.bitmapOffset + half, /runs past the end/),
  );
  // Note and VMCOREINFO sizes pointing past the end of the file.
  let b = base.bytes.slice();
  u64(b, 4096 + 56, BigInt(b.length)); // size_note
  assert.throws(() => openBytes(b), decodeError(/kdump notes/, null, /runs past the end/));
  b = base.bytes.slice();
  u64(b, 4096 + 56, 1n << 40n);
  assert.throws(() => openBytes(b), decodeError(/kdump notes/, null, /too big/));
  b = base.bytes.slice();
  u64(b, 4096 + 32, BigInt(b.length - 4)); // offset_vmcoreinfo
  assert.throws(() => openBytes(b), decodeError(/VMCOREINFO/, b.length - 4, /runs past the end/));
  // A note whose descsz runs past the note area.
  b = base.bytes.slice();
  const notesAt = 4096 + 104 + "OSRELEASE=m\n".length;
  u32(b, notesAt + 4, 100000);
  assert.throws(() => openBytes(b), decodeError(/kdump notes/, notesAt, /runs past the end/));
});

Deno.test("DiskDump.open() rejects a huge max_mapnr or bitmap without allocating it", () => {
  let b = base.bytes.slice();
  u64(b, 4096 + 96, 1n << 40n); // max_mapnr_64
  assert.throws(
    () => openBytes(b),
    decodeError(/kdump_sub_header/, 4096 + 96, /max_mapnr 1099511627776 is more than/),
  );
  // The header's own max_mapnr (header version 5) past what bitmap_blocks covers.
  b = writeKdump(spec({ headerVersion: 5 })).bytes.slice();
  u32(b, 440, 0x40000000);
  assert.throws(() => openBytes(b), decodeError(/disk_dump_header/, 428, /max_mapnr 1073741824/));
  b = base.bytes.slice();
  u64(b, 4096 + 96, 1n << 60n);
  assert.throws(() => openBytes(b), decodeError(/kdump_sub_header/, 4096 + 96, /out of range/));
  // bitmap_blocks and max_mapnr both huge and consistent: the bitmap is not in the file.
  b = base.bytes.slice();
  u32(b, 436, 0x7fffffff);
  u32(b, 440, 0xffffffff);
  u64(b, 4096 + 96, 0xffffffffn);
  assert.throws(() => openBytes(b), decodeError(/kdump bitmap/, null, /runs past the end/));
});

Deno.test("DiskDump faults on missing or corrupt page data with the page's address", () => {
  const pfnOf = (i: number) => [...base.dataOf.keys()][i]!;
  const fault = (pfn: number, message: RegExp) => (e: unknown) =>
    e instanceof FaultError && e.address === BigInt(pfn * 4096 + 9) && e.physical &&
    message.test(e.message);
  const read = (bytes: Uint8Array, pfn: number) => () =>
    openBytes(bytes).readPhysical(BigInt(pfn * 4096 + 9), new Uint8Array(4), 0, 4);

  // Descriptors cut off (the file ends inside the descriptor table).
  const cut = base.bytes.slice(0, base.descOffset + 24 * 10);
  assert.throws(read(cut, pfnOf(9)), fault(pfnOf(9), /page data .* past the end/));
  assert.throws(read(cut, pfnOf(10)), (e: unknown) => {
    return fault(pfnOf(10), /page descriptor .* past the end/)(e) &&
      (e as FaultError).cause instanceof TargetError;
  });
  // Page data cut off.
  const last = pfnOf(base.dataOf.size - 1);
  const data = base.dataOf.get(last)!;
  assert.throws(read(base.bytes.slice(0, data.offset + 5), last), fault(last, /past the end/));
  // Corrupt compressed data (every codec).
  for (const codec of ["zlib", "lzo", "snappy", "zstd"] as Codec[]) {
    const w = writeKdump(spec({ codec }));
    const d = w.dataOf.get(2)!; // a compressible page
    assert.equal(d.flags, w.bytes[424]);
    const b = w.bytes.slice();
    for (let i = 0; i < d.size; i += 3) b[d.offset + i]! ^= 0x5a;
    assert.throws(read(b, 2), fault(2, /corrupt page data|decompressed to/), codec);
    const t = w.bytes.slice();
    u32(t, w.descOffset + 8, d.size - 1); // one byte short (pfn 1's descriptor is first)
    u32(t, w.descOffset + 12, w.bytes[424]!);
    u64(t, w.descOffset, BigInt(d.offset));
    assert.throws(read(t, 1), fault(1, /corrupt page data|decompressed to/), codec);
  }
  // A descriptor with a raw page of the wrong size, a huge size, size 0, a huge offset.
  const desc = (pfnIndex: number, f: (at: number, b: Uint8Array) => void) => {
    const b = base.bytes.slice();
    f(base.descOffset + pfnIndex * 24, b);
    return b;
  };
  assert.throws(
    read(desc(0, (at, b) => (u32(b, at + 8, 100), u32(b, at + 12, 0))), pfnOf(0)),
    fault(pfnOf(0), /raw page data .* is 100 bytes/),
  );
  assert.throws(
    read(desc(0, (at, b) => (u32(b, at + 8, 1 << 30), u32(b, at + 12, 1))), pfnOf(0)),
    fault(pfnOf(0), /too big/),
  );
  assert.throws(
    read(desc(0, (at, b) => u32(b, at + 8, 0)), pfnOf(0)),
    fault(pfnOf(0), /incomplete/),
  );
  assert.throws(
    read(desc(0, (at, b) => u64(b, at, 1n << 62n)), pfnOf(0)),
    fault(pfnOf(0), /bad data offset/),
  );
  // zlib data that inflates to less or more than a page.
  const small = new Uint8Array(zlib.deflateSync(new Uint8Array(100)));
  const big = new Uint8Array(zlib.deflateSync(new Uint8Array(1 << 20)));
  for (const [payload, message] of [[small, /to 100 bytes/], [big, /corrupt page data/]] as const) {
    const b = new Uint8Array(base.bytes.length + payload.length);
    b.set(base.bytes);
    b.set(payload, base.bytes.length);
    u64(b, base.descOffset, BigInt(base.bytes.length));
    u32(b, base.descOffset + 8, payload.length);
    u32(b, base.descOffset + 12, DUMP_DH.COMPRESSED_ZLIB);
    assert.throws(read(b, pfnOf(0)), fault(pfnOf(0), message));
  }
});

Deno.test("DiskDump gives only typed errors on randomly corrupted metadata", () => {
  let x = 99;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const small = writeKdump({
    maxPfn: 200,
    page: (pfn) => (dumpable(pfn) ? makePage(pfn) : null),
    notes: noteArea,
    vmcoreinfoInNotes: true,
  });
  const regions = [
    [0, 470], // header
    [4096, 4096 + 104 + noteArea.length], // sub header and notes
    [small.bitmapOffset, small.descOffset + 100], // bitmaps and descriptors
  ];
  const buf = new Uint8Array(4096 * 3);
  let opened = 0;
  for (let i = 0; i < 3000; i++) {
    const b = small.bytes.slice();
    const [lo, hi] = regions[i % regions.length]!;
    for (let k = 0, n = 1 + (rand() % 4); k < n; k++) {
      b[lo! + (rand() % (hi! - lo!))] = rand() & 0xff;
    }
    let dump: DiskDump;
    try {
      dump = openBytes(b);
    } catch (e) {
      if (e instanceof DecodeError || e instanceof TargetError) continue;
      throw e;
    }
    opened++;
    for (let pfn = 0; pfn < Math.min(dump.maxPfn, 300); pfn += 7) {
      try {
        dump.readPhysical(
          BigInt(pfn) * BigInt(dump.pageSize),
          buf,
          0,
          Math.min(buf.length, dump.pageSize * 2),
        );
      } catch (e) {
        if (!(e instanceof FaultError)) throw e;
      }
    }
    dump.ranges();
  }
  assert.ok(opened > 1000, `${opened}`);
});

Deno.test("rankTable: the set bits before each 256-pfn chunk, as counting them one by one", () => {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (const n of [0, 1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 63, 64, 65, 100, 2049]) {
    for (const fill of ["random", "ones", "sparse"] as const) {
      const bits = Uint32Array.from(
        { length: n },
        () => fill === "ones" ? 0xffffffff : fill === "sparse" ? rand() & rand() & rand() : rand(),
      );
      const ranks = rankTable(bits);
      assert.equal(ranks.length, Math.ceil(n / 8) + 1);
      let r = 0;
      for (let i = 0; i <= n; i++) {
        if ((i & 7) === 0 || i === n) {
          assert.equal(ranks[Math.ceil(i / 8)], r, `${fill} ${n} words: rank at word ${i}`);
        }
        if (i < n) { for (let b = 0; b < 32; b++) r += (bits[i]! >>> b) & 1; }
      }
    }
  }
});
