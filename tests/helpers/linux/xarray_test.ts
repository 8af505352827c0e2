/**
 * XArrays, radix trees, IDRs and maple trees (helpers/linux/xarray.ts,
 * radixtree.ts, idr.ts, mapletree.ts) on the kernel dumps: the pid IDR,
 * `irq_desc_tree` and the biggest page cache against drgn's goldens; maple
 * trees (drgn 0.0.22 has no helper) against each mm's own VMAs; cyclic
 * trees built in memory must throw ValidationError.
 */

import assert from "node:assert/strict";
import { ValidationError } from "../../../lib/errors.ts";
import { objectAt, offsetof } from "../../../lib/object/operators.ts";
import type { Program } from "../../../lib/program/program.ts";
import { pointerObject } from "../../../helpers/linux/_util.ts";
import {
  xaForEach,
  xaIsValue,
  xaIsZero,
  xaLoad,
  xaToValue,
} from "../../../helpers/linux/xarray.ts";
import { radixTreeForEach, radixTreeLookup } from "../../../helpers/linux/radixtree.ts";
import { idrFind, idrForEach, idrForEachEntry } from "../../../helpers/linux/idr.ts";
import { mtForEach, mtreeLoad } from "../../../helpers/linux/mapletree.ts";
import { forEachTask } from "../../../helpers/linux/pid.ts";
import { dumpProgram, DUMPS, golden, hex } from "./_dumps.ts";

const pairs = (it: Iterable<[bigint | number, { value_(): unknown }]>) =>
  [...it].map(([i, p]) => [Number(i), hex(p)]);

for (const dump of DUMPS) {
  Deno.test(`idr, xarray and radix tree helpers on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).idr;
    const idr = prog.object("init_pid_ns").idr.addressOf_();
    assert.deepEqual(pairs(idrForEach(idr)), g.idr_for_each);
    for (const [id, want] of Object.entries(g.idr_find)) {
      const got = idrFind(idr, BigInt(id));
      assert.equal(hex(got), want, `idr_find ${id}`);
      assert.equal(got.type_.toString(), "void *");
    }
    for (const [id, pid] of idrForEachEntry(idr, "struct pid")) {
      assert.equal(pid.numbers[0].nr.value_(), id);
    }
    const rt = idr.idr_rt.addressOf_();
    assert.deepEqual(pairs(xaForEach(rt)), g.xa_for_each);
    for (const [i, want] of Object.entries(g.xa_load)) {
      assert.equal(hex(xaLoad(rt, BigInt(i))), want);
    }
    assert.deepEqual(pairs(radixTreeForEach(rt)), g.radix_tree_for_each);
    for (const [i, want] of Object.entries(g.radix_tree_lookup)) {
      assert.equal(hex(radixTreeLookup(rt, Number(i))), want);
    }
    const irq = prog.object("irq_desc_tree").addressOf_();
    assert.deepEqual(pairs(radixTreeForEach(irq)), g.irq_desc_tree);
    for (const [i, want] of Object.entries(g.irq_desc_lookup)) {
      assert.equal(hex(radixTreeLookup(irq, Number(i))), want);
    }
  });

  Deno.test(`xaForEach() and xaLoad() on ${dump}'s biggest page cache: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).page_cache;
    const inode = objectAt(prog, "struct inode", BigInt(g.inode));
    assert.equal(Number(inode.i_mapping.nrpages.value_()), g.nrpages);
    const xa = inode.i_mapping.i_pages.addressOf_();
    const entries = [...xaForEach(xa)];
    assert.deepEqual(entries.map(([i, p]) => [Number(i), hex(p)]), g.entries);
    for (const [i, want] of Object.entries(g.xa_load)) {
      assert.equal(hex(xaLoad(xa, BigInt(i))), want, i);
    }
    for (const [, p] of entries) {
      assert.equal(xaIsValue(p), false);
      assert.equal(xaIsZero(p), false);
    }
  });

  Deno.test(`mtForEach() and mtreeLoad() on ${dump}: every mm's VMAs`, async () => {
    const prog = await dumpProgram(dump);
    let mms = 0;
    for (const task of forEachTask(prog)) {
      const mm = task.mm;
      if (mm.value_() === 0n || task.group_leader.value_() !== task.value_()) continue;
      mms++;
      const mt = mm.mm_mt.addressOf_();
      const ranges = [...mtForEach(mt)];
      assert.equal(ranges.length, Number(mm.map_count.value_()), task.comm.string_());
      let prevEnd = 0n;
      for (const [first, last, entry] of ranges) {
        const vma = objectAt(prog, "struct vm_area_struct", entry.value_() as bigint);
        assert.equal(vma.vm_start.value_(), first);
        assert.equal(vma.vm_end.value_(), last + 1n);
        assert.equal(vma.vm_mm.value_(), mm.value_());
        assert.ok(first >= prevEnd);
        if (first > prevEnd) {
          // The gap before this VMA holds nothing.
          assert.equal(mtreeLoad(mt, prevEnd).value_(), 0n);
          assert.equal(mtreeLoad(mt, first - 1n).value_(), 0n);
        }
        prevEnd = last + 1n;
        assert.equal(hex(mtreeLoad(mt, first)), hex(entry));
        assert.equal(hex(mtreeLoad(mt, last)), hex(entry));
        assert.equal(hex(mtreeLoad(mt, (first + last) / 2n)), hex(entry));
      }
      // Below the first VMA and above the last there is nothing.
      assert.equal(mtreeLoad(mt, 0n).value_(), 0n);
      assert.equal(mtreeLoad(mt, (1n << 64n) - 1n).value_(), 0n);
    }
    assert.ok(mms >= 5, `${mms} processes with an mm`);
  });
}

/** Maps `bytes` at `base` in `prog` (an address the dump has no memory at). */
function mapBytes(prog: Program, base: bigint, bytes: Uint8Array): void {
  prog.addMemorySegment(base, bytes.length, (_a, count, offset) => {
    const o = Number(offset);
    return bytes.slice(o, o + count);
  });
}

Deno.test("xarray and maple tree walks throw ValidationError on a cycle, never hang", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  // An xarray whose head is a node (shift 6) with slot 0 pointing back at itself.
  const base = 0x7300_0000_0000n;
  const node = base + 0x100n;
  const bytes = new Uint8Array(0x400);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(offsetof(prog.type("struct xarray"), "xa_head"), node | 2n, true);
  const nt = prog.type("struct xa_node");
  dv.setUint8(0x100 + offsetof(nt, "shift"), 6);
  dv.setBigUint64(0x100 + offsetof(nt, "slots"), node | 2n, true);
  mapBytes(prog, base, bytes);
  const xa = objectAt(prog, "struct xarray", base).addressOf_();
  assert.throws(() => [...xaForEach(xa)], ValidationError);
  assert.throws(() => xaLoad(xa, 5), ValidationError);

  // A maple tree whose root is a range node with its only slot pointing at itself.
  const mbase = 0x7400_0000_0000n;
  const mnode = mbase + 0x100n;
  const mbytes = new Uint8Array(0x200);
  const mdv = new DataView(mbytes.buffer);
  const enode = mnode | (2n << 3n) | 2n; // MAPLE_RANGE_64, an internal node entry
  mdv.setBigUint64(offsetof(prog.type("struct maple_tree"), "ma_root"), enode, true);
  mdv.setBigUint64(0x100 + offsetof(prog.type("struct maple_range_64"), "slot"), enode, true);
  mapBytes(prog, mbase, mbytes);
  const mt = objectAt(prog, "struct maple_tree", mbase).addressOf_();
  assert.throws(() => [...mtForEach(mt)], ValidationError);
  assert.throws(() => mtreeLoad(mt, 5), ValidationError);
});

Deno.test("xaIsValue(), xaToValue() and xaIsZero() on tagged entries", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const entry = (n: bigint) => pointerObject(prog, prog.type("void *"), n);
  assert.equal(xaIsValue(entry(0x2an * 2n + 1n)), true); // xa_mk_value(42)
  assert.equal(xaToValue(entry(0x2an * 2n + 1n)).value_(), 42n);
  assert.equal(xaIsValue(entry(0xffff8a8041127e00n)), false);
  assert.equal(xaIsZero(entry(1030n)), true); // XA_ZERO_ENTRY = xa_mk_internal(257)
  assert.equal(xaIsZero(entry(1026n)), false);
});
