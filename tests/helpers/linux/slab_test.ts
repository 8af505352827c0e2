/**
 * helpers/linux/slab.ts on the kernel dumps, against drgn 0.0.22's answers
 * (tests/data/helpers/mm_slab_fs_goldens.json): the cache list, allocated
 * objects of several caches (SLUB with CONFIG_SLAB_FREELIST_HARDENED on the
 * Debian dumps, without it on the sample kernel), and what slab object an
 * address is in, allocated or free (per-CPU and per-slab free lists).
 */

import assert from "node:assert/strict";
import {
  findContainingSlabCache,
  findSlabCache,
  forEachSlabCache,
  getSlabCacheAliases,
  printSlabCaches,
  slabCacheForEachAllocatedObject,
  slabCacheIsMerged,
  slabObjectInfo,
} from "../../../helpers/linux/slab.ts";
import { perCpuPtr } from "../../../helpers/linux/percpu.ts";
import { ValidationError } from "../../../lib/errors.ts";
import {
  corruptedSampleProgram,
  HELPER_DUMPS,
  helperGolden,
  helperProgram,
  hx,
} from "./_mm_slab_fs.ts";

for (const dump of HELPER_DUMPS) {
  Deno.test(`slab on ${dump}: caches and allocated objects as drgn`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    const caches = [...forEachSlabCache(prog)].map((c) => [
      c.name.string_(),
      hx(c),
      c.object_size.value_(),
      c.size.value_(),
    ]);
    assert.deepEqual(caches, g.slabCaches);
    const lines: string[] = [];
    printSlabCaches(prog, (l) => lines.push(l));
    assert.deepEqual(
      lines,
      g.slabCaches.map((c: string[]) => `${c[0]} (struct kmem_cache *)${c[1]}`),
    );
    assert.ok(Object.keys(g.slabCounts).length >= 6);
    for (const [name, want] of Object.entries(g.slabCounts) as [string, Record<string, string>][]) {
      const cache = findSlabCache(prog, name);
      assert.ok(cache !== null, name);
      let n = 0;
      let min = -1n, max = 0n, sum = 0n;
      for (const obj of slabCacheForEachAllocatedObject(cache, "void")) {
        const a = obj.value_() as bigint;
        n++;
        if (min < 0n || a < min) min = a;
        if (a > max) max = a;
        sum += a;
      }
      assert.deepEqual(
        {
          count: n,
          first: n ? hx(min) : null,
          last: n ? hx(max) : null,
          sum: hx(BigInt.asUintN(64, sum)),
        },
        want,
        `${dump} ${name}`,
      );
    }
    assert.equal(findSlabCache(prog, "no such cache"), null);
    const tasks = [
      ...slabCacheForEachAllocatedObject(findSlabCache(prog, "task_struct")!, "struct task_struct"),
    ];
    assert.equal(tasks[0]!.type_.typeName(), "struct task_struct *");
  });

  Deno.test(`slab on ${dump}: slabObjectInfo and findContainingSlabCache as drgn`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    let free = 0;
    for (const a of g.addresses) {
      const what = `${dump} ${a.label}`;
      const info = slabObjectInfo(prog, BigInt(a.address));
      if (a.slabObjectInfo === null) {
        assert.equal(info, null, what);
      } else {
        assert.ok(info !== null, what);
        assert.deepEqual(
          {
            cache: info.slabCache.name.string_(),
            cacheAddress: hx(info.slabCache),
            slab: hx(info.slab),
            slabType: info.slab.type_.typeName(),
            address: hx(info.address),
            allocated: info.allocated,
          },
          a.slabObjectInfo,
          what,
        );
        if (!info.allocated) free++;
      }
      const c = findContainingSlabCache(prog, BigInt(a.address));
      assert.equal(c.value_() === 0n ? null : c.name.string_(), a.containingCache, what);
    }
    assert.ok(free >= 3, "free objects probed");
    // The object form of the arguments.
    const init = prog.object("init_task").tasks.next;
    assert.equal(findContainingSlabCache(init).name.string_(), "task_struct");
    assert.equal(slabObjectInfo(init)?.slabCache.name.string_(), "task_struct");
    assert.equal(slabObjectInfo(prog, 0n), null);
  });
}

Deno.test("slab: merged caches and their aliases (Debian kernel)", async () => {
  const prog = await helperProgram("kdump");
  const aliases = getSlabCacheAliases(prog);
  assert.ok(aliases.size > 10);
  for (const [alias, target] of aliases) {
    const cache = findSlabCache(prog, target);
    assert.ok(cache !== null, `${alias} -> ${target}`);
    assert.ok(slabCacheIsMerged(cache), `${target} is merged`);
  }
  assert.equal(slabCacheIsMerged(findSlabCache(prog, "task_struct")!), false);
});

Deno.test("slab: a cyclic free list gives ValidationError, not a hang (sample kernel)", async () => {
  const prog = await helperProgram("sample");
  // A CPU free list of kmalloc-64 (no freelist hardening on this kernel):
  // make its first free object point to itself.
  const cache = findSlabCache(prog, "kmalloc-64")!;
  let head = 0n;
  for (const cpu of [0, 1]) {
    head = perCpuPtr(cache.cpu_slab, cpu).freelist.value_() as bigint;
    if (head !== 0n) break;
  }
  assert.notEqual(head, 0n);
  const next = head + BigInt(cache.offset.value_() as number);
  const bad = await corruptedSampleProgram(new Map([[next, head]]));
  const badCache = findSlabCache(bad, "kmalloc-64")!;
  assert.throws(() => [...slabCacheForEachAllocatedObject(badCache, "void")], ValidationError);
  assert.throws(() => slabObjectInfo(bad, head), ValidationError);
});
