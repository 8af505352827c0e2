/**
 * The kernel log (helpers/linux/printk.ts) on the kernel dumps: every
 * record and the dmesg text, compared with drgn 0.0.22's answers.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { getDmesg, getPrintkRecords, type PrintkRecord } from "../../../helpers/linux/printk.ts";
import { kernelReference } from "../../_programs.ts";
import { Program } from "../../../lib/program/program.ts";
import { X86_64 } from "../../../lib/platform.ts";
import { makeType, TypeMember } from "../../../lib/types/type.ts";
import { newValue, type TypedObject } from "../../../lib/object/typed_object.ts";
import { dumpProgram, DUMPS, golden, logBufMock } from "./_dumps.ts";

/** A record as the reference's row: seq, timestamp, level, facility, caller, flags, context, text. */
function recordRow(r: PrintkRecord): unknown[] {
  return [
    Number(r.seq),
    Number(r.timestamp),
    r.level,
    r.facility,
    r.callerTid,
    r.callerCpu,
    r.continuation,
    Object.fromEntries(r.context),
    r.text,
  ];
}

for (const dump of DUMPS) {
  Deno.test(`getPrintkRecords() and getDmesg() on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).printk;
    const got = getPrintkRecords(prog).map(recordRow);
    assert.equal(got.length, g.records.length);
    for (let i = 0; i < got.length; i++) assert.deepEqual(got[i], g.records[i], `record ${i}`);
    const dmesg = new TextEncoder().encode(getDmesg(prog));
    assert.equal(dmesg.length, g.dmesg_len);
    assert.equal(createHash("sha256").update(dmesg).digest("hex"), g.dmesg_sha256);
  });
}

Deno.test("getDmesg() on the fixture: the reference JSON's first and last lines", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const ref = kernelReference("mdf-c-d31.kdump").dmesg as {
    first: string[];
    last: string[];
    lines: number;
    sha256: string;
  };
  const lines = getDmesg(prog).split("\n");
  assert.equal(lines.pop(), ""); // the text ends in a newline
  assert.equal(lines.length, ref.lines);
  assert.deepEqual(lines.slice(0, ref.first.length), ref.first);
  assert.deepEqual(lines.slice(-ref.last.length), ref.last);
});

/**
 * A mock of the log buffer before Linux kernel commit 896fbe20b4e2
 * ("printk: use the lockless ringbuffer") (in v5.10): `struct printk_log`
 * records in `log_buf` from `log_first_idx`, wrapping to 0 at a zero-length
 * marker, as the generator built it (with and without `caller_id`).
 */
function logBufProgram(mock: {
  header_size: number;
  buffer: string;
  vars: Record<string, number | string>;
}): Program {
  const prog = new Program(X86_64);
  const u8 = makeType.int("u8", 1, false);
  const u16 = makeType.int("u16", 2, false);
  const u32 = makeType.int("u32", 4, false);
  const u64 = makeType.int("u64", 8, false);
  const members = [
    new TypeMember(u64, "ts_nsec", 0),
    new TypeMember(u16, "len", 64),
    new TypeMember(u16, "text_len", 80),
    new TypeMember(u16, "dict_len", 96),
    new TypeMember(u8, "facility", 112),
    new TypeMember(u8, "flags", 120, 5),
    new TypeMember(u8, "level", 125, 3),
  ];
  if (mock.header_size === 24) members.push(new TypeMember(u32, "caller_id", 128));
  const printkLog = makeType.struct("printk_log", mock.header_size, members);
  prog.addTypeFinder((kind, name) => kind === "struct" && name === "printk_log" ? printkLog : null);
  const charP = makeType.pointer(makeType.int("char", 1, true));
  const v = mock.vars;
  const objects: Record<string, TypedObject> = {
    log_buf: newValue(prog, charP, BigInt(v.log_buf!)),
    log_buf_len: newValue(prog, u32, v.log_buf_len as number),
    log_first_idx: newValue(prog, u32, v.log_first_idx as number),
    log_next_idx: newValue(prog, u32, v.log_next_idx as number),
    log_first_seq: newValue(prog, u64, BigInt(v.log_first_seq!)),
    LOG_CONT: newValue(prog, makeType.int("int", 4, true), v.LOG_CONT as number),
  };
  prog.addObjectFinder((_p, name) => objects[name] ?? null);
  const bytes = Uint8Array.from(mock.buffer.match(/../g)!.map((h) => parseInt(h, 16)));
  prog.addMemorySegment(BigInt(v.log_buf!), bytes.length, (_a, count, offset) => {
    const o = Number(offset);
    return bytes.slice(o, o + count);
  });
  return prog;
}

for (const variant of ["caller_id", "no_caller_id"]) {
  Deno.test(`getPrintkRecords() on a pre-5.10 log_buf (${variant}): not the wrap marker`, () => {
    // deno-lint-ignore no-explicit-any
    const mock = logBufMock()[variant] as any;
    const prog = logBufProgram(mock);
    const got = getPrintkRecords(prog).map(recordRow);
    assert.deepEqual(got, mock.built);
    // drgn 0.0.22 reports the zero-length wrap marker as an empty record
    // (and numbers the records after it one higher): otherwise the same.
    const drgn = mock.records as unknown[][];
    const marker = drgn.findIndex((r) => r[8] === "" && r[1] === 0);
    assert.ok(marker > 0);
    const fixed = drgn.filter((_, i) => i !== marker)
      .map((r, i) => [mock.built[i][0], ...r.slice(1)]);
    assert.deepEqual(got, fixed);
    const dmesg = getDmesg(prog).split("\n");
    const drgnDmesg = (mock.dmesg as string).split("\n");
    assert.deepEqual(dmesg, drgnDmesg.filter((_, i) => i !== marker));
  });
}
