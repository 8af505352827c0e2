import assert from "node:assert/strict";
import { BytesReader, FileReader } from "../../../../lib/binary/file_reader.ts";
import { DecodeError } from "../../../../lib/errors.ts";
import { detectDumpFormat, resolveDumpFormat } from "../../../../lib/linux/dump/detect.ts";
import { FlattenedReader } from "../../../../lib/linux/dump/flattened.ts";
import { flatten, writeKdump } from "./_kdump_writer.ts";
import { elfFixture, KDUMP_FIXTURE } from "./_fixtures.ts";

const text = (s: string) => new BytesReader(new TextEncoder().encode(s), "test");

Deno.test("detectDumpFormat() tells formats apart by content", () => {
  assert.equal(detectDumpFormat(FileReader.open(KDUMP_FIXTURE)), "kdump");
  assert.equal(detectDumpFormat(FileReader.open(elfFixture())), "elf");
  assert.equal(detectDumpFormat(text("DISKDUMP\x01\0\0\0")), "kdump");
  assert.equal(detectDumpFormat(text("KDUMP   ")), "kdump");
  assert.equal(detectDumpFormat(text("KDUMP  ")), "unknown");
  assert.equal(detectDumpFormat(text("\x7fELF")), "elf");
  assert.equal(detectDumpFormat(text("")), "unknown");
  assert.equal(detectDumpFormat(text("makedumpfile")), "unknown");
  const flat = flatten([{ offset: 0, data: new TextEncoder().encode("KDUMP   ") }]);
  assert.equal(detectDumpFormat(new BytesReader(flat)), "flattened");
  // The signature with another type or version is not the flattened format.
  assert.equal(detectDumpFormat(new BytesReader(flatten([], { type: 2n }))), "unknown");
  assert.equal(detectDumpFormat(new BytesReader(flatten([], { version: 2n }))), "unknown");
});

Deno.test("resolveDumpFormat() unwraps a flattened kdump", () => {
  const plain = writeKdump({ maxPfn: 64, page: (pfn) => new Uint8Array(4096).fill(pfn) });
  const r1 = resolveDumpFormat(new BytesReader(plain.bytes));
  assert.equal(r1.format, "kdump");
  assert.equal(r1.flattened, false);
  const r2 = resolveDumpFormat(new BytesReader(flatten(plain.records)));
  assert.equal(r2.format, "kdump");
  assert.equal(r2.flattened, true);
  assert.ok(r2.reader instanceof FlattenedReader);
  assert.equal(r2.reader.size, plain.bytes.length);
  // A flattened stream of something else, or of nothing.
  assert.equal(resolveDumpFormat(new BytesReader(flatten([]))).format, "unknown");
  const garbage = flatten([{ offset: 0, data: new Uint8Array(100).fill(9) }]);
  assert.equal(resolveDumpFormat(new BytesReader(garbage)).format, "unknown");
  // A flattened stream nested in a flattened stream is not unwrapped twice.
  const nested = flatten([{ offset: 0, data: flatten(plain.records) }]);
  assert.equal(resolveDumpFormat(new BytesReader(nested)).format, "unknown");
  // A corrupt flattened stream is a DecodeError, not "unknown".
  const bad = flatten(plain.records).slice(0, 4096 + 10);
  assert.throws(() => resolveDumpFormat(new BytesReader(bad)), DecodeError);
});
