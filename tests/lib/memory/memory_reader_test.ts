import assert from "node:assert/strict";
import {
  BytesSource,
  CallbackSource,
  FaultSource,
  FileSource,
  MemoryReader,
  SegmentMap,
  ZeroSource,
} from "../../../lib/memory/memory_reader.ts";
import {
  BytesReader,
  FileReader,
  type RandomAccessReader,
} from "../../../lib/binary/file_reader.ts";
import { FaultError } from "../../../lib/errors.ts";

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

Deno.test("SegmentMap: a newer segment wins over the range it covers", () => {
  const m = new MemoryReader();
  m.addSegment(0x1000n, 0x100n, new BytesSource(fill(0x100, 1)));
  m.addSegment(0x1040n, 0x20n, new BytesSource(fill(0x20, 2))); // inside: splits the old one
  m.addSegment(0x10f0n, 0x20n, new BytesSource(fill(0x20, 3))); // overlaps the end
  m.addSegment(0x0ff0n, 0x20n, new BytesSource(fill(0x20, 4))); // overlaps the start
  const b = m.read(0x0ff0n, 0x120);
  const at = (a: number) => b[a - 0x0ff0];
  assert.equal(at(0x0ff0), 4);
  assert.equal(at(0x100f), 4);
  assert.equal(at(0x1010), 1);
  assert.equal(at(0x103f), 1);
  assert.equal(at(0x1040), 2);
  assert.equal(at(0x105f), 2);
  assert.equal(at(0x1060), 1);
  assert.equal(at(0x10ef), 1);
  assert.equal(at(0x10f0), 3);
  assert.equal(at(0x110f), 3);
  // The old segment's offsets stay relative to where it was added.
  const m2 = new MemoryReader();
  const data = new Uint8Array(0x100).map((_, i) => i);
  m2.addSegment(0x2000n, 0x100n, new BytesSource(data));
  m2.addSegment(0x2000n, 0x10n, new BytesSource(fill(0x10, 0xee)));
  assert.equal(m2.read(0x2010n, 1)[0], 0x10);
  assert.equal(m2.read(0x2000n, 1)[0], 0xee);
});

Deno.test("SegmentMap: a segment covering several older ones replaces them all", () => {
  const s = new SegmentMap();
  for (let i = 0n; i < 10n; i++) s.add(i * 0x10n, i * 0x10n + 0x10n, new ZeroSource());
  const src = new ZeroSource();
  s.add(0x15n, 0x85n, src);
  const starts = s.segments.map((x) => [x.start, x.end]);
  assert.deepEqual(starts, [
    [0x00n, 0x10n],
    [0x10n, 0x15n],
    [0x15n, 0x85n],
    [0x85n, 0x90n],
    [0x90n, 0xa0n],
  ]);
});

Deno.test("SegmentMap.addBelow fills gaps and replaceable segments only", () => {
  const m = new MemoryReader();
  const faults = new FaultSource("memory not saved in core dump");
  m.virtual.add(0x1000n, 0x1100n, new BytesSource(fill(0x100, 7)));
  m.virtual.add(0x1200n, 0x1300n, faults);
  const file = new BytesSource(new Uint8Array(0x400).map((_, i) => i & 0xff));
  m.virtual.addBelow(0x1000n, 0x1400n, file, (src) => src === faults);
  assert.equal(m.read(0x1000n, 1)[0], 7); // core data kept
  assert.equal(m.read(0x1100n, 1)[0], 0x00); // gap filled from the file, at its offset
  assert.equal(m.read(0x1201n, 1)[0], 0x01); // fault replaced by file data
  assert.equal(m.read(0x13ffn, 1)[0], 0xff);
});

Deno.test("MemoryReader: unmapped reads fault at the first missing address", () => {
  const m = new MemoryReader();
  m.addSegment(0x1000n, 0x10n, new BytesSource(fill(0x10, 1)));
  assert.throws(
    () => m.read(0x1008n, 0x10),
    (e: unknown) =>
      e instanceof FaultError && e.address === 0x1010n &&
      /could not find memory segment/.test(e.message),
  );
  m.addSegment(0x1010n, 0x10n, new FaultSource("memory not saved in core dump"));
  assert.throws(
    () => m.read(0x1008n, 0x10),
    (e: unknown) => e instanceof FaultError && e.address === 0x1010n && /not saved/.test(e.message),
  );
});

Deno.test("MemoryReader: callbacks get address, count, offset and physical", () => {
  const m = new MemoryReader();
  const calls: unknown[] = [];
  m.addSegment(
    0x5000n,
    0x1000n,
    new CallbackSource((a, n, off, phys) => {
      calls.push([a, n, off, phys]);
      return fill(n, 9);
    }),
    true,
  );
  assert.deepEqual([...m.read(0x5010n, 4, true)], [9, 9, 9, 9]);
  assert.deepEqual(calls, [[0x5010n, 4, 0x10n, true]]);
  assert.throws(() => m.read(0x5010n, 4, false), FaultError);
});

Deno.test("MemoryReader: 65,000 ordered segments add in linear time", () => {
  const m = new MemoryReader();
  const z = new ZeroSource();
  for (let i = 0n; i < 65000n; i++) m.addSegment(i * 0x2000n, 0x1000n, z);
  assert.equal(m.virtual.segments.length, 65000);
  assert.equal(m.read(64999n * 0x2000n + 0xfffn, 1)[0], 0);
  assert.throws(() => m.read(0x1000n, 1), FaultError);
});

Deno.test("SegmentMap.addMany: later segments win, as repeated add() does", () => {
  // Random overlapping segments: the bulk build must equal one add() at a time.
  let seed = 12345;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const items = Array.from({ length: 300 }, (_, i) => {
    const start = BigInt(rnd(5000));
    return {
      start,
      end: start + BigInt(1 + rnd(400)),
      source: new BytesSource(fill(500, i % 251)),
    };
  });
  const one = new SegmentMap();
  one.add(100n, 4000n, new ZeroSource());
  for (const it of items) one.add(it.start, it.end, it.source);
  const bulk = new SegmentMap();
  bulk.add(100n, 4000n, new ZeroSource());
  bulk.addMany(items);
  const m1 = new MemoryReader();
  const m2 = new MemoryReader();
  for (const s of one.segments) m1.virtual.add(s.start, s.end, s.source, s.origin);
  for (const s of bulk.segments) m2.virtual.add(s.start, s.end, s.source, s.origin);
  for (let a = 0n; a < 5500n; a += 7n) {
    const r1 = (() => {
      try {
        return m1.read(a, 1)[0];
      } catch {
        return -1;
      }
    })();
    const r2 = (() => {
      try {
        return m2.read(a, 1)[0];
      } catch {
        return -1;
      }
    })();
    assert.equal(r2, r1, `address ${a}`);
  }
});

/** `readIntoOffset(base, offset, n)` as bytes, or the fault's address. */
function viaOffset(m: MemoryReader, base: bigint, offset: number, n: number): number[] | bigint {
  const out = new Uint8Array(n);
  try {
    m.readIntoOffset(base, offset, out, 0, n);
  } catch (e) {
    if (e instanceof FaultError) return e.address;
    throw e;
  }
  return [...out];
}

/** `read(base + offset, n)` as bytes, or the fault's address. */
function viaAddress(m: MemoryReader, base: bigint, offset: number, n: number): number[] | bigint {
  try {
    return [...m.read(BigInt.asUintN(64, base + BigInt(offset)), n)];
  } catch (e) {
    if (e instanceof FaultError) return e.address;
    throw e;
  }
}

Deno.test("MemoryReader.readIntoOffset: same bytes and faults as read(), across views and segments", () => {
  const m = new MemoryReader();
  const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 7 + seed) & 0xff);
  m.addSegment(0x10000n, 0x3000n, new BytesSource(bytes(0x3000, 1)));
  m.addSegment(0x10800n, 0x10n, new BytesSource(fill(0x10, 0xee))); // splits the one above
  m.addSegment(0x20000n, 0x2000n, new ZeroSource());
  // A file segment not aligned to the 4 KiB views, through a BytesReader.
  m.addSegment(0x30000n, 0x2345n, new FileSource(new BytesReader(bytes(0x3000, 5)), 0x123, 0x2345));
  m.addSegment(0x33000n, 0x10n, new FaultSource("memory not saved in core dump"));
  // The top of the address space, for reads that wrap at 2^64.
  m.addSegment(0xfffffffffffff000n, 0x1000n, new BytesSource(bytes(0x1000, 9)));
  m.addSegment(0n, 0x1000n, new BytesSource(bytes(0x1000, 11)));
  const bases = [0x10000n, 0x107f8n, 0x20000n, 0x30000n, 0x32340n, 0xfffffffffffff000n, 0n];
  let checked = 0;
  for (let round = 0; round < 2; round++) {
    for (const base of bases) {
      for (let off = -0x40; off < 0x3100; off += 0x3d) {
        for (const n of [1, 2, 4, 8]) {
          assert.deepEqual(
            viaOffset(m, base, off, n),
            viaAddress(m, base, off, n),
            `${base}+${off}`,
          );
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 5000);
  // Byte by byte across the split and segment ends (a view must stop at
  // its segment's end).
  for (const [base, from, to] of [[0x10000n, 0x7e0, 0x830], [0x30000n, 0x2300, 0x2400]] as const) {
    for (let off = from; off < to; off++) {
      assert.deepEqual(viaOffset(m, base, off, 1), viaAddress(m, base, off, 1), `${base}+${off}`);
    }
    for (let off = to; off >= from; off--) {
      assert.deepEqual(viaOffset(m, base, off, 1), viaAddress(m, base, off, 1), `${base}+${off}`);
    }
  }
  // Reads that wrap at 2^64 from the top of the address space to 0.
  assert.deepEqual(
    viaOffset(m, 0xfffffffffffffffcn, 0, 8),
    viaAddress(m, 0xfffffffffffffffcn, 0, 8),
  );
  assert.deepEqual(viaOffset(m, 0xfffffffffffffff0n, 0x20, 4), viaAddress(m, 0x10n, 0, 4));
  // Faults name the first unreadable address.
  assert.equal(viaOffset(m, 0x12000n, 0xffc, 8), 0x13000n);
  assert.equal(viaOffset(m, 0x33000n, 4, 1), 0x33004n);
});

Deno.test("MemoryReader.readIntoOffset: a new segment replaces what earlier reads saw", () => {
  const m = new MemoryReader();
  m.addSegment(0x1000n, 0x1000n, new BytesSource(fill(0x1000, 1)));
  assert.deepEqual(viaOffset(m, 0x1000n, 0x10, 2), [1, 1]);
  m.addSegment(0x1010n, 0x1n, new BytesSource(fill(1, 2)));
  assert.deepEqual(viaOffset(m, 0x1000n, 0x10, 2), [2, 1]);
  m.virtual.clear();
  assert.equal(viaOffset(m, 0x1000n, 0x10, 2), 0x1010n);
});

Deno.test("MemoryReader.readIntoOffset: sources that may change are read every time", () => {
  // A reader that is neither a FileReader nor a BytesReader, as /proc/kcore's:
  // its bytes are live, so no view of them is kept.
  const data = fill(0x100, 1);
  const live: RandomAccessReader = {
    path: "<live>",
    size: data.length,
    readAt: (offset, length) => data.slice(offset, offset + length),
    close: () => {},
  };
  const m = new MemoryReader();
  m.addSegment(0x1000n, 0x100n, new FileSource(live, 0, 0x100));
  assert.deepEqual(viaOffset(m, 0x1000n, 8, 1), [1]);
  data[8] = 2;
  assert.deepEqual(viaOffset(m, 0x1000n, 8, 1), [2]);
  // Bytes in memory are viewed in place: a change shows too.
  const mem = fill(0x100, 3);
  m.addSegment(0x2000n, 0x100n, new BytesSource(mem));
  assert.deepEqual(viaOffset(m, 0x2000n, 8, 1), [3]);
  mem[8] = 4;
  assert.deepEqual(viaOffset(m, 0x2000n, 8, 1), [4]);
});

Deno.test("MemoryReader.readIntoOffset: a core file's segments read the same as read()", () => {
  // The userspace core of the `big` fixture when it is there (tests/_programs.ts
  // decompresses it), else this test file itself.
  const cache = Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";
  let path = `${cache}/user/gcc-O0-big.gcore`;
  try {
    Deno.statSync(path);
  } catch {
    path = new URL(import.meta.url).pathname;
  }
  const reader = FileReader.open(path);
  try {
    const size = Math.min(reader.size, 1 << 22);
    const m = new MemoryReader();
    // Three segments at unaligned file offsets, the middle one overridden in part.
    const third = Math.floor(size / 3);
    m.addSegment(0x7f0000000000n, BigInt(third), new FileSource(reader, 0x11, third));
    m.addSegment(0x7f1000000000n, BigInt(third), new FileSource(reader, third + 3, third));
    m.addSegment(0x7f1000000100n, 0x40n, new ZeroSource());
    for (let off = 0; off < 0x200; off++) {
      assert.deepEqual(
        viaOffset(m, 0x7f1000000000n, off, 2),
        viaAddress(m, 0x7f1000000000n, off, 2),
      );
    }
    let seed = 99;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let i = 0; i < 20000; i++) {
      const base = i & 1 ? 0x7f0000000000n : 0x7f1000000000n;
      const off = i % 3 === 0 ? rnd(0x400) : rnd(third + 16) - 8;
      const n = [1, 2, 4, 8][i & 3]!;
      assert.deepEqual(viaOffset(m, base, off, n), viaAddress(m, base, off, n));
    }
  } finally {
    reader.close();
  }
});
