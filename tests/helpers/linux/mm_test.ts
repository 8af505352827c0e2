/**
 * helpers/linux/mm.ts on the kernel dumps, against drgn 0.0.22's answers
 * (tests/data/helpers/mm_slab_fs_goldens.json): address conversions, page
 * flags, page-table walks (followPhys), user memory (cmdline, environ,
 * accessRemoteVm: readable on the paging ELF, excluded from the -d 31
 * kdumps), and the VMAs of address spaces.
 */

import assert from "node:assert/strict";
import { FaultError } from "../../../lib/errors.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";
import { findTask } from "../../../helpers/linux/pid.ts";
import {
  accessProcessVm,
  accessRemoteVm,
  cmdline,
  compoundHead,
  compoundNr,
  compoundOrder,
  decodePageFlags,
  environ,
  followPage,
  followPfn,
  followPhys,
  forEachPage,
  forEachVma,
  PAGE_FLAG_TESTS,
  PageCompound,
  PageHead,
  pageSize,
  PageSlab,
  PageTail,
  pageToPfn,
  pageToPhys,
  pageToVirt,
  PFN_PHYS,
  pfnToPage,
  pfnToVirt,
  PHYS_PFN,
  physToPage,
  physToVirt,
  totalramPages,
  virtToPage,
  virtToPfn,
  virtToPhys,
  vmaFind,
} from "../../../helpers/linux/mm.ts";
import { HELPER_DUMPS, helperGolden, helperProgram, hx } from "./_mm_slab_fs.ts";

/** drgn's PageXxx() names that are true for a page, in drgn's (sorted) order. */
function flagTests(page: TypedObject): string[] {
  return PAGE_FLAG_TESTS.map(([, f]) => f).filter((f) => f(page)).map((f) => f.name).sort();
}

function count(it: Iterable<unknown>): number {
  let n = 0;
  for (const _ of it) n++;
  return n;
}

const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

for (const dump of HELPER_DUMPS) {
  Deno.test(`mm on ${dump}: address conversions and page flags as drgn`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    assert.ok(g.conversions.length >= 10);
    for (const c of g.conversions) {
      const a = BigInt(c.address);
      const what = `${dump} ${c.label}`;
      assert.equal(hx(virtToPhys(prog, a)), c.phys, what);
      const page = virtToPage(prog, a);
      assert.equal(hx(page), c.page, what);
      assert.equal(page.type_.typeName(), "struct page *");
      assert.equal(hx(pageToPfn(page)), c.pfn, what);
      assert.equal(hx(virtToPfn(prog, a)), c.pfn, what);
      assert.equal(hx(pageToVirt(page)), c.pageVirt, what);
      assert.equal(hx(physToVirt(prog, BigInt(c.phys))), c.physToVirt, what);
      assert.equal(hx(physToPage(prog, BigInt(c.phys))), c.page, what);
      assert.equal(hx(pageToPhys(page)), hx(BigInt(c.pfn) << 12n), what);
      // The object forms: virtToPhys(obj), PHYS_PFN / PFN_PHYS round trip.
      assert.equal(hx(virtToPhys(physToVirt(prog, BigInt(c.phys)))), c.phys, what);
      assert.equal(hx(PFN_PHYS(PHYS_PFN(prog, BigInt(c.phys)))), hx(BigInt(c.pfn) << 12n));
      if (c.error !== undefined) {
        assert.throws(() => decodePageFlags(page), FaultError, what);
        continue;
      }
      assert.equal(decodePageFlags(page), c.flags, what);
      const head = compoundHead(page);
      assert.equal(hx(head), c.head, what);
      assert.equal(decodePageFlags(head), c.headFlags, what);
      assert.equal(PageSlab(head), c.headFlags.split("|").includes("PG_slab"), what);
      assert.deepEqual(flagTests(head), c.tests, what);
      assert.deepEqual(
        [
          compoundOrder(page).value_(),
          Number(compoundNr(page).value_()),
          Number(pageSize(page).value_()),
          PageHead(page),
          PageTail(page),
          PageCompound(page),
          compoundOrder(head).value_(),
        ],
        c.compound,
        what,
      );
      // followPhys through the kernel's page tables lands where the direct map does.
      const initMm = prog.object("init_mm").addressOf_();
      assert.equal(hx(followPhys(initMm, a)), c.phys, what);
      assert.equal(hx(followPfn(initMm, a)), c.pfn, what);
      assert.equal(hx(followPage(initMm, a)), c.page, what);
      if (c.bytes !== null) {
        assert.equal(hexBytes(prog.read(BigInt(c.phys), 32, true)), c.bytes, what);
      }
    }
    for (const p of g.pfns) {
      const page = pfnToPage(prog, p.pfn);
      assert.equal(hx(page), p.page);
      assert.equal(hx(pfnToVirt(prog, p.pfn)), p.virt);
      assert.equal(hx(pageToPfn(page)), hx(BigInt(p.pfn)));
      if (p.flags.startsWith("FaultError")) assert.throws(() => decodePageFlags(page), FaultError);
      else {
        assert.equal(decodePageFlags(page), p.flags, `${dump} pfn ${p.pfn}`);
        assert.deepEqual(flagTests(page), p.tests, `${dump} pfn ${p.pfn}`);
      }
    }
    assert.equal(count(forEachPage(prog)), g.pageCount);
    assert.deepEqual(
      PAGE_FLAG_TESTS.map(([, f]) => f.name),
      g.pageFlagTests,
      "one PageXxx per drgn helper",
    );
    assert.equal(totalramPages(prog), BigInt(g.totalramPages));
  });

  Deno.test(`mm on ${dump}: followPhys through init_mm reaches kernel image bytes`, async () => {
    const prog = await helperProgram(dump);
    const initMm = prog.object("init_mm").addressOf_();
    for (const s of helperGolden(dump).image) {
      const a = BigInt(s.address);
      const phys = followPhys(initMm, a).value_() as bigint;
      assert.equal(hexBytes(prog.read(phys, 32, true)), s.bytes, s.symbol);
      // virtToPhys handles kernel image addresses as __phys_addr() does.
      assert.equal(virtToPhys(prog, a).value_(), phys, s.symbol);
    }
    assert.throws(() => followPhys(initMm, 0x1000n), (e: unknown) => {
      assert.ok(e instanceof FaultError);
      assert.equal(e.address, 0x1000n);
      return true;
    });
  });

  Deno.test(`mm on ${dump}: user memory, cmdline, environ and VMAs as drgn`, async () => {
    const prog = await helperProgram(dump);
    const tasks = helperGolden(dump).tasks;
    assert.ok(tasks.length >= 4);
    for (const t of tasks) {
      const task = findTask(prog, t.pid);
      assert.equal(hx(task), t.task);
      const what = `${dump} pid ${t.pid}`;
      const argStart = BigInt(t.argStart);
      if (Array.isArray(t.cmdline)) {
        assert.deepEqual(cmdline(task), t.cmdline, what);
        assert.deepEqual(environ(task), t.environ, what);
        assert.equal(hexBytes(accessRemoteVm(task.mm, argStart, 24)), t.argBytes, what);
        assert.equal(hexBytes(accessProcessVm(task, argStart, 24)), t.argBytes, what);
        // The page-table walk gives the physical address of the same bytes.
        const phys = followPhys(task.mm, argStart).value_() as bigint;
        assert.equal(hexBytes(prog.read(phys, 8, true)), t.argBytes.slice(0, 16), what);
      } else {
        // -d 31 dumps exclude user pages: drgn's error names the physical address.
        const excluded = BigInt(/0x[0-9a-f]+$/.exec(t.cmdline.error)![0]);
        for (const f of [() => cmdline(task), () => accessRemoteVm(task.mm, argStart, 24)]) {
          assert.throws(f, (e: unknown) => {
            assert.ok(e instanceof FaultError, String(e));
            assert.equal(e.address, excluded, what);
            return true;
          });
        }
        assert.throws(() => environ(task), FaultError);
      }
      const vmas = [...forEachVma(task.mm)].map((v) => [
        hx(v.vm_start),
        hx(v.vm_end),
        hx(v.vm_flags),
        hx(v),
      ]);
      assert.deepEqual(vmas, t.vmas, what);
      const stackVma = vmaFind(task.mm, task.mm.start_stack.value_() as bigint);
      assert.ok(stackVma !== null);
      assert.ok(t.vmas.some((v: string[]) => v[3] === hx(stackVma)));
      assert.equal(vmaFind(task.mm, 0x1000n), null);
    }
    // A kernel thread has no address space.
    assert.equal(cmdline(findTask(prog, 2)), null);
    assert.equal(environ(findTask(prog, 2)), null);
  });
}
