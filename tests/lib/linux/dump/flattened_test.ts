import assert from "node:assert/strict";
import { BytesReader } from "../../../../lib/binary/file_reader.ts";
import { DecodeError, TargetError } from "../../../../lib/errors.ts";
import { FlattenedReader, isFlattened } from "../../../../lib/linux/dump/flattened.ts";
import { assemble, flatten, type WriteRecord } from "./_kdump_writer.ts";
import { bytesEqual } from "./_compare.ts";

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const open = (bytes: Uint8Array) => FlattenedReader.open(new BytesReader(bytes, "test.flat"));

Deno.test("FlattenedReader reassembles in-order records and reads holes as zeros", () => {
  const records: WriteRecord[] = [
    { offset: 0, data: fill(100, 1) },
    { offset: 100, data: fill(50, 2) },
    { offset: 4096, data: fill(10, 3) }, // a hole before it
  ];
  const r = open(flatten(records));
  assert.equal(r.size, 4106);
  assert.equal(r.recordCount, 3);
  assert.ok(isFlattened(new BytesReader(flatten(records))));
  const all = r.readAt(0, r.size);
  assert.ok(bytesEqual(all, assemble(records)));
  assert.ok(all.subarray(150, 4096).every((b) => b === 0));
  assert.deepEqual([...r.readAt(98, 4)], [1, 1, 2, 2]);
  assert.deepEqual([...r.readAt(4094, 4)], [0, 0, 3, 3]);
  assert.deepEqual([...r.readAt(200, 3)], [0, 0, 0]);
  assert.throws(() => r.readAt(4100, 7), TargetError);
});

Deno.test("FlattenedReader lets later records win where records overlap", () => {
  const records: WriteRecord[] = [
    { offset: 0, data: fill(1000, 1) },
    { offset: 200, data: fill(100, 2) }, // inside the first
    { offset: 900, data: fill(300, 3) }, // across the first's end
    { offset: 150, data: fill(800, 4) }, // over both
    { offset: 0, data: fill(10, 5) }, // the header rewritten at the end, as makedumpfile does
  ];
  const r = open(flatten(records));
  assert.equal(r.size, 1200);
  const got = r.readAt(0, 1200);
  const want = assemble(records);
  assert.ok(bytesEqual(got, want));
  assert.deepEqual([got[0], got[10], got[149], got[150], got[949], got[950], got[1199]], [
    5,
    1,
    1,
    4,
    4,
    3,
    3,
  ]);
});

Deno.test("FlattenedReader matches a plain layout for random overlapping records", () => {
  const r = rng(1);
  for (let round = 0; round < 50; round++) {
    const records: WriteRecord[] = [];
    const n = 1 + (r() % 40);
    for (let i = 0; i < n; i++) {
      const size = 1 + (r() % 300);
      records.push({ offset: r() % 2000, data: fill(size, 1 + (r() % 250)) });
    }
    const reader = open(flatten(records));
    const want = assemble(records);
    assert.equal(reader.size, want.length);
    assert.ok(bytesEqual(reader.readAt(0, reader.size), want), `round ${round}`);
    for (let k = 0; k < 50; k++) {
      const off = r() % want.length;
      const len = r() % (want.length - off + 1);
      assert.ok(bytesEqual(reader.readAt(off, len), want.subarray(off, off + len)));
    }
  }
});

Deno.test("FlattenedReader rejects bad streams with typed errors", () => {
  const good = flatten([{ offset: 0, data: fill(64, 1) }, { offset: 64, data: fill(64, 2) }]);
  const dv = (b: Uint8Array) => new DataView(b.buffer);
  // Not flattened at all.
  assert.throws(() => open(new Uint8Array(5000)), TargetError);
  assert.throws(() => open(new TextEncoder().encode("KDUMP   ")), TargetError);
  // Shorter than the 4 KiB header.
  assert.throws(
    () => open(good.slice(0, 100)),
    (e: unknown) => e instanceof DecodeError && e.offset === 0 && /shorter than/.test(e.message),
  );
  // Unknown type and version.
  assert.throws(
    () => open(flatten([], { type: 2n })),
    (e: unknown) => e instanceof DecodeError && e.offset === 16 && /type 2/.test(e.message),
  );
  assert.throws(
    () => open(flatten([], { version: 7n })),
    (e: unknown) => e instanceof DecodeError && e.offset === 24 && /version 7/.test(e.message),
  );
  assert.equal(isFlattened(new BytesReader(flatten([], { version: 7n }))), false);
  // Negative offset (other than the end marker) and negative or huge size.
  let b = good.slice();
  dv(b).setBigInt64(4096, -5n, false);
  assert.throws(
    () => open(b),
    (e: unknown) => e instanceof DecodeError && e.offset === 4096 && /offset -5/.test(e.message),
  );
  b = good.slice();
  dv(b).setBigInt64(4096 + 8, -2n, false);
  assert.throws(
    () => open(b),
    (e: unknown) => e instanceof DecodeError && e.offset === 4104 && /size -2/.test(e.message),
  );
  b = good.slice();
  dv(b).setBigInt64(4096 + 8, 1n << 62n, false);
  assert.throws(() => open(b), DecodeError);
  // A record running past the end, a cut header, no end marker.
  assert.throws(
    () => open(good.slice(0, 4096 + 16 + 30)),
    (e: unknown) => e instanceof DecodeError && e.offset === 4096 && /past the end/.test(e.message),
  );
  assert.throws(
    () => open(good.slice(0, 4096 + 16 + 64 + 5)),
    (e: unknown) => e instanceof DecodeError && /inside a record header/.test(e.message),
  );
  assert.throws(
    () => open(flatten([{ offset: 0, data: fill(8, 1) }], { end: false })),
    (e: unknown) => e instanceof DecodeError && /without an end marker/.test(e.message),
  );
});

Deno.test("FlattenedReader of an empty stream is an empty file", () => {
  const r = open(flatten([]));
  assert.equal(r.size, 0);
  assert.equal(r.readAt(0, 0).length, 0);
});
