/**
 * Per-CPU variables and CPU masks (helpers/linux/percpu.ts, cpumask.ts) on
 * the kernel dumps, compared with drgn 0.0.22's answers.
 */

import assert from "node:assert/strict";
import { objectAt } from "../../../lib/object/operators.ts";
import { perCpu, percpuCounterSum, perCpuPtr } from "../../../helpers/linux/percpu.ts";
import {
  cpumaskToCpulist,
  cpuOnlineMask,
  cpuPossibleMask,
  cpuPresentMask,
  forEachCpu,
  forEachOnlineCpu,
  forEachPossibleCpu,
  forEachPresentCpu,
  numOnlineCpus,
  numPossibleCpus,
  numPresentCpus,
} from "../../../helpers/linux/cpumask.ts";
import { kernelReference } from "../../_programs.ts";
import { dumpProgram, DUMPS, golden, hex } from "./_dumps.ts";

for (const dump of DUMPS) {
  Deno.test(`perCpu(), perCpuPtr() and percpuCounterSum() on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).percpu;
    const runqueues = prog.object("runqueues");
    for (const row of g.rows) {
      const rq = perCpu(runqueues, row.cpu);
      assert.equal(rq.type_.typeName(), "struct rq");
      assert.equal(hex(rq.address_!), row.rq);
      assert.equal(rq.cpu.value_(), row.rq_cpu);
      assert.equal(hex(rq.curr), row.curr);
      const p = perCpuPtr(runqueues.addressOf_(), row.cpu);
      assert.equal(p.type_.typeName(), "struct rq *");
      assert.equal(hex(p.curr), row.curr_ptr);
    }
    for (const [name, want] of Object.entries(g.percpu_counter_sum)) {
      assert.equal(percpuCounterSum(prog.object(name).addressOf_()), BigInt(want as number), name);
      assert.equal(percpuCounterSum(prog.object(name)), BigInt(want as number), name);
    }
    assert.throws(() => perCpu(runqueues, -1), RangeError);
    // Past the last possible CPU (nr_cpu_ids).
    assert.throws(() => perCpu(runqueues, golden(dump).cpus.possible.length), RangeError);
    assert.throws(() => perCpu(runqueues, 0.5), RangeError);
  });

  Deno.test(`CPU masks on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).cpus;
    assert.deepEqual([...forEachPossibleCpu(prog)], g.possible);
    assert.deepEqual([...forEachOnlineCpu(prog)], g.online);
    assert.deepEqual([...forEachPresentCpu(prog)], g.present);
    assert.equal(cpumaskToCpulist(cpuPossibleMask(prog)), g.possible_list);
    assert.equal(cpumaskToCpulist(cpuOnlineMask(prog)), g.online_list);
    assert.equal(cpumaskToCpulist(cpuPresentMask(prog)), g.present_list);
    assert.equal(numOnlineCpus(prog), g.num_online);
    assert.equal(numPossibleCpus(prog), g.possible.length);
    assert.equal(numPresentCpus(prog), g.present.length);
    assert.deepEqual([...forEachCpu(prog.object("__cpu_online_mask").addressOf_())], g.online);
  });
}

Deno.test("CPU masks on the fixture: the reference JSON's CPUs", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const ref = kernelReference("mdf-c-d31.kdump").cpus as {
    online: number[];
    possible_count: number;
  };
  assert.deepEqual([...forEachOnlineCpu(prog)], ref.online);
  assert.equal(numPossibleCpus(prog), ref.possible_count);
});

Deno.test("cpumaskToCpulist() on masks built in memory, bounded by nr_cpu_ids", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const size = prog.type("struct cpumask").size!;
  const base = 0x7500_0000_0000n;
  const bytes = new Uint8Array(size * 4);
  // mask 0: {} ; mask 1: {1} ; mask 2: {0, 1} ; mask 3: {0, 1, 5, 64} (5 and 64 >= nr_cpu_ids)
  bytes[size] = 0b10;
  bytes[2 * size] = 0b11;
  bytes[3 * size] = 0b100011;
  bytes[3 * size + 8] = 1;
  prog.addMemorySegment(base, bytes.length, (_a, count, offset) => {
    const o = Number(offset);
    return bytes.slice(o, o + count);
  });
  const mask = (i: number) => objectAt(prog, "struct cpumask", base + BigInt(i * size));
  assert.deepEqual([0, 1, 2, 3].map((i) => cpumaskToCpulist(mask(i))), ["", "1", "0-1", "0-1"]);
  assert.deepEqual([...forEachCpu(mask(3))], [0, 1]);
});
