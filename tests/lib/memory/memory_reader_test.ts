import assert from "node:assert/strict";
import {
  BytesSource,
  CallbackSource,
  FaultSource,
  MemoryReader,
  SegmentMap,
  ZeroSource,
} from "../../../lib/memory/memory_reader.ts";
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
