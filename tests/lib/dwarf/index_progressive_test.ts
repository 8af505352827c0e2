/**
 * Indexing on demand (`ProgressiveIndex`, `DwarfInfo.indexOnDemand`): a
 * lookup scans units only until its answer cannot change, and every answer
 * is the full index's. On the sample kernel's real vmlinux (mapped, read on
 * demand, and in memory) and on the Debian kernel dump's task list.
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import { DwarfInfo, objectRank } from "../../../lib/dwarf/dwarf_info.ts";
import { ProgressiveIndex } from "../../../lib/dwarf/index_progressive.ts";
import {
  buildNameIndex,
  FLAG_DECLARATION,
  IndexKind,
  type IndexView,
  kindMask,
  type NameIndex,
} from "../../../lib/dwarf/name_index.ts";
import { type DwarfSections, lazySection } from "../../../lib/dwarf/sections.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { LookupError } from "../../../lib/errors.ts";
import { dwarfSectionsOf } from "../../../lib/program/dwarf_source.ts";
import { Program } from "../../../lib/program/program.ts";
import { containerOf } from "../../../lib/object/operators.ts";
import { KERNEL, KERNEL_MODULES, kernelDumpPath, sampleVmlinux } from "../../_programs.ts";
import { vmlinux } from "../elf/_fixtures.ts";
import { forEachTask } from "../../../helpers/linux/pid.ts";
import { findSlabCache, slabCacheForEachAllocatedObject } from "../../../helpers/linux/slab.ts";

const ALL = ~0;

/** The sample vmlinux's sections: mapped from the file, read on demand, or read whole. */
type Mode = "mapped" | "lazy" | "whole";

async function open(mode: Mode) {
  const elf = ElfFile.open(await sampleVmlinux());
  const sections = dwarfSectionsOf(elf, undefined, mode !== "whole", mode === "mapped")!;
  return { elf, sections };
}

/** Entry `i` of `v` as comparable values. */
function entry(v: IndexView, i: number): string {
  return `${v.unit[i]}:${v.die[i]}:${v.kind[i]}:${v.flags[i]}:${v.aux[i]}`;
}

/** Every 499th entry's name (unit order spread), plus names that are not there. */
function sampleNames(full: NameIndex): string[] {
  const names = new Set<string>(["task_struct", "init_task", "list_head", "int", "main"]);
  let n = 0;
  for (const e of full.entries(ALL)) if (n++ % 499 === 0) names.add(full.nameOf(e));
  names.add("no_such_name_in_this_kernel");
  return [...names];
}

Deno.test("on-demand index: a lookup gives every entry of the scanned units, in order", async () => {
  for (const mode of ["mapped", "lazy", "whole"] as const) {
    const { elf, sections } = await open(mode);
    try {
      const units = new DwarfInfo(sections, { littleEndian: true }).units;
      const full = buildNameIndex(sections, units, { littleEndian: true, threads: 1 });
      const p = new ProgressiveIndex(sections, units, { littleEndian: true, threads: 1 });
      const names = sampleNames(full);
      let found = 0;
      for (const name of names) {
        const got = p.findUntil([[name, ALL]], ([h]) => h!.length > 0)?.[0] ?? null;
        const want = full.find(name, ALL).filter((i) => full.unit[i]! < p.scannedUnits);
        assert.deepEqual(
          (got ?? []).map((i) => entry(p, i)),
          want.map((i) => entry(full, i)),
          `${mode}: ${name}`,
        );
        if (got !== null) found++;
        else assert.equal(want.length, 0, `${mode}: ${name} not found but there`);
      }
      const there = names.filter((n) => full.find(n, ALL).length > 0).length;
      assert.ok(there < names.length, "some names are not there");
      assert.equal(found, there, `${mode}: every name that is there found`);
      // What lookups did not need was not indexed: the first name alone needs few units.
      const fresh = new ProgressiveIndex(sections, units, { littleEndian: true, threads: 1 });
      assert.ok(fresh.findUntil([["task_struct", ALL]], ([h]) => h!.length > 0));
      assert.ok(
        fresh.scannedUnits < units.length / 4,
        `${mode}: task_struct after ${fresh.scannedUnits} of ${units.length} units`,
      );
      // The index completed after lookups is the full index, byte for byte.
      assert.deepEqual(p.complete().serialize(), full.serialize(), mode);
    } finally {
      elf.close();
    }
  }
});

Deno.test("on-demand index: completing it gives the full index however far it got", async () => {
  const { elf, sections } = await open("mapped");
  try {
    const units = new DwarfInfo(sections, { littleEndian: true }).units;
    const want = buildNameIndex(sections, units, { littleEndian: true, threads: 1 }).serialize();
    // Nothing scanned; a few units; handed over to the whole build (several threads).
    const none = new ProgressiveIndex(sections, units, { littleEndian: true, threads: 1 });
    assert.deepEqual(none.complete().serialize(), want, "from nothing");
    const some = new ProgressiveIndex(sections, units, { littleEndian: true, threads: 1 });
    some.findUntil([["list_head", ALL]], ([h]) => h!.length > 0);
    assert.ok(some.scannedUnits > 0 && some.scannedUnits < units.length);
    assert.deepEqual(some.complete().serialize(), want, "after a lookup");
    const handed = new ProgressiveIndex(sections, units, { littleEndian: true, threads: 2 });
    // With several threads, a lookup that needs more than an eighth stops there.
    assert.equal(handed.findUntil([["no_such_name", ALL]], () => false), null);
    assert.ok(handed.scannedUnits < units.length, "handed over before the end");
    assert.deepEqual(handed.complete().serialize(), want, "handed over");
  } finally {
    elf.close();
  }
});

/** An object lookup's answer as a string. */
function show(o: { kind: string; name: string; address?: bigint | null; type?: unknown }): string {
  return `${o.kind} ${o.name} ${o.address ?? ""} ${o.type ?? ""}`;
}

Deno.test("on-demand index: a read that fails leaves it consistent for the next lookup", async () => {
  const { elf, sections } = await open("whole");
  try {
    const units = new DwarfInfo(sections, { littleEndian: true }).units;
    const full = buildNameIndex(sections, units, { littleEndian: true, threads: 1 });
    const bytes = sections.info;
    for (const failAt of [0, bytes.length >> 1]) {
      // .debug_info read from "the file", whose read fails once past `failAt`.
      let failed = false;
      const info = lazySection(bytes.length, (offset, dest) => {
        if (!failed && offset + dest.length > failAt) {
          failed = true;
          throw new Error("I/O error");
        }
        dest.set(bytes.subarray(offset, offset + dest.length));
      });
      const p = new ProgressiveIndex({ ...sections, info }, units, {
        littleEndian: true,
        threads: 1,
      });
      assert.throws(() => p.findUntil([["no_such_name", ALL]], () => false), /I\/O error/);
      for (const name of ["task_struct", "jiffies", "no_such_name"]) {
        const got = p.findUntil([[name, ALL]], ([h]) => h!.length > 0)?.[0] ?? [];
        const want = full.find(name, ALL).filter((i) => full.unit[i]! < p.scannedUnits);
        assert.deepEqual(got.map((i) => entry(p, i)), want.map((i) => entry(full, i)), name);
      }
      assert.deepEqual(p.complete().serialize(), full.serialize(), `fail at ${failAt}`);
    }
  } finally {
    elf.close();
  }
});

/** Answers of the lookups `DwarfInfo` offers, as strings. */
function ask(d: DwarfInfo, name: string): string[] {
  const str = (f: () => unknown) => {
    try {
      return String(f());
    } catch (e) {
      if (e instanceof LookupError) return "LookupError";
      throw e;
    }
  };
  const obj = show;
  return [
    str(() => d.findType(name, "struct")),
    str(() => d.findType(name, "union")),
    str(() => d.findType(name, "enum")),
    str(() => d.findType(name)),
    str(() => d.findTypes(name, "struct", 2).join("|")),
    str(() => d.findObjects(name, "any", 1).map(obj).join("|")),
    str(() => d.findObjects(name, "function", 1).map(obj).join("|")),
    str(() => d.findObjects(name, "constant", 1).map(obj).join("|")),
    str(() => d.findObjects(name, ["variable", "function"], 3).map(obj).join("|")),
  ];
}

function dwarfOf(sections: DwarfSections, onDemand: boolean): DwarfInfo {
  const d = new DwarfInfo(sections, { littleEndian: true });
  if (onDemand) d.indexOnDemand();
  else d.buildIndex();
  return d;
}

Deno.test("on-demand index: DwarfInfo's answers are the full index's", async () => {
  const { elf, sections } = await open("mapped");
  try {
    const full = dwarfOf(sections, false);
    const names = sampleNames(full.index);
    // Names whose first entry is a declaration and a definition comes in a later unit.
    const idx = full.index;
    const mask = kindMask(IndexKind.struct, IndexKind.union, IndexKind.enum, IndexKind.typedef);
    const kindName = {
      [IndexKind.struct]: "struct",
      [IndexKind.union]: "union",
      [IndexKind.enum]: "enum",
    } as const;
    // One on-demand index per question: each answer from as few units as it needs.
    const fresh = () => dwarfOf(sections, true);
    let declFirst = 0;
    for (const e of idx.entries(mask)) {
      const name = idx.nameOf(e);
      const hits = idx.find(name, mask);
      const def = hits.find((i) => (idx.flags[i]! & FLAG_DECLARATION) === 0);
      if (def !== undefined && idx.unit[def]! > idx.unit[hits[0]!]! && !names.includes(name)) {
        names.push(name);
        const kind = kindName[idx.kind[def]! as keyof typeof kindName] ?? "typedef";
        assert.equal(String(fresh().findType(name, kind)), String(full.findType(name, kind)), name);
        assert.deepEqual(
          fresh().findTypes(name, kind, 1).map(String),
          full.findTypes(name, kind, 1).map(String),
          name,
        );
        if (++declFirst === 20) break;
      }
    }
    assert.ok(declFirst > 0, "the sample has declared-first types");
    // Names whose best object match comes in a later unit than the first
    // entry (a declaration before the definition, a static before a global).
    const rank = (i: number) => objectRank(idx, i);
    const objects = kindMask(
      IndexKind.variable,
      IndexKind.localVariable,
      IndexKind.function,
      IndexKind.constant,
    );
    let worseFirst = 0;
    for (const e of idx.entries(objects)) {
      const name = idx.nameOf(e);
      const hits = idx.find(name, objects);
      const ranks = hits.map(rank);
      const best = hits[ranks.indexOf(Math.min(...ranks))]!;
      if (idx.unit[best]! > idx.unit[hits[0]!]! && !names.includes(name)) {
        names.push(name);
        const objs = (d: DwarfInfo) => d.findObjects(name, "any", 1).map(show).join("|");
        assert.equal(objs(fresh()), objs(full), name);
        if (++worseFirst === 20) break;
      }
    }
    assert.ok(worseFirst > 0, "the sample has names whose best object comes later");
    names.push("unsigned long", "long unsigned int", "char");
    // Every question on one on-demand index (it grows as questions need).
    const shared = dwarfOf(sections, true);
    for (const name of names) assert.deepEqual(ask(shared, name), ask(full, name), name);
    assert.deepEqual([...shared.names("struct")], [...full.names("struct")]);
    assert.equal(shared.hasIndex, true, "listing names builds the full index");
  } finally {
    elf.close();
  }
});

Deno.test("on-demand index: onBuilt gets the full index once, when a lookup needs it", async () => {
  const { elf, sections } = await open("mapped");
  try {
    const built: NameIndex[] = [];
    const d = new DwarfInfo(sections, { littleEndian: true });
    d.indexOnDemand((i) => built.push(i));
    assert.ok(d.findType("list_head", "struct"));
    assert.equal(built.length, 0);
    assert.ok(d.indexedUnits > 0 && d.indexedUnits < d.units.length);
    assert.equal(d.findType("no_such_struct_here", "struct"), null);
    assert.equal(built.length, 1);
    assert.equal(d.indexedUnits, d.units.length);
    assert.equal(d.buildIndex(), built[0]);
    assert.equal(built.length, 1);
  } finally {
    elf.close();
  }
});

Deno.test("on-demand index: the kernel dump's task list indexes few of the vmlinux's units", async () => {
  // No index cache: nothing completes the index early (see the next test).
  const saved = Deno.env.get("WYVERN_NO_CACHE");
  try {
    Deno.env.set("WYVERN_NO_CACHE", "1");
    const prog = new Program();
    prog.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
    prog.loadDebugInfo([
      await vmlinux(),
      ...KERNEL_MODULES.map((m) => `${KERNEL}/debug/${m}.ko`),
    ]);
    const init = prog.object("init_task");
    const taskType = prog.type("struct task_struct");
    const pids: number[] = [];
    for (let n = init.tasks.next, i = 0; n.value_() !== init.tasks.address_ && i < 10_000; i++) {
      pids.push(containerOf(n, taskType, "tasks").pid.value_() as number);
      n = n.next;
    }
    assert.ok(pids.length > 10 && pids.includes(1), `${pids.length} processes`);
    // The module list is not even read: the vmlinux is the one module loaded.
    assert.equal(prog.loadedModules.length, 1);
    const dwarf = prog.loadedModules[0]!.data.get("dwarf") as DwarfInfo;
    assert.equal(dwarf.hasIndex, false);
    assert.ok(
      dwarf.indexedUnits < dwarf.units.length / 10,
      `${dwarf.indexedUnits} of ${dwarf.units.length} units indexed`,
    );
    // Helpers and casts a script does first: enumerators (by kind), base
    // types in gcc's spelling, void (never looked up), the slab allocator.
    const threads = [...forEachTask(prog)].length;
    assert.ok(threads >= pids.length, `${threads} threads`);
    assert.equal(prog.type("unsigned long").size, 8);
    assert.equal(String(prog.type("void *")), "void *");
    const taskCache = findSlabCache(prog, "task_struct");
    assert.ok(taskCache !== null);
    let tasks = 0;
    for (const _ of slabCacheForEachAllocatedObject(taskCache, "struct task_struct")) tasks++;
    assert.ok(tasks >= threads, `${tasks} task_struct objects`);
    assert.equal(dwarf.hasIndex, false, "still not indexed whole");
  } finally {
    if (saved === undefined) Deno.env.delete("WYVERN_NO_CACHE");
    else Deno.env.set("WYVERN_NO_CACHE", saved);
  }
});

Deno.test("on-demand index: a session that scans a quarter of the vmlinux completes and saves the index", async () => {
  const dir = Deno.makeTempDirSync();
  const saved = Deno.env.get("WYVERN_CACHE_DIR");
  const open = async () => {
    const prog = new Program();
    prog.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
    prog.loadDebugInfo([await vmlinux()]);
    return [prog, prog.loadedModules[0]!.data.get("dwarf") as DwarfInfo] as const;
  };
  try {
    Deno.env.set("WYVERN_CACHE_DIR", dir);
    const [prog, dwarf] = await open();
    const comm = prog.object("init_task").comm.string_();
    // A few units: on demand still, nothing saved.
    assert.ok(dwarf.indexedUnits * 10 < dwarf.units.length, `${dwarf.indexedUnits} units`);
    assert.equal(dwarf.hasIndex, false);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // The slab caches' names are further on than a quarter of the bytes:
    // the index is completed by that lookup, and saved.
    const cache = findSlabCache(prog, "task_struct");
    assert.ok(cache !== null);
    assert.equal(dwarf.hasIndex, true);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(files.length, 1, files.join(" "));
    // The next session starts from it: the same answers, nothing scanned.
    const [prog2, dwarf2] = await open();
    assert.equal(dwarf2.hasIndex, true);
    assert.equal(prog2.object("init_task").comm.string_(), comm);
    assert.equal(
      findSlabCache(prog2, "task_struct")!.address_,
      cache.address_,
    );
  } finally {
    if (saved === undefined) Deno.env.delete("WYVERN_CACHE_DIR");
    else Deno.env.set("WYVERN_CACHE_DIR", saved);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("on-demand index: damage past an answer found a quarter in does not fail the lookup that would complete the index", async () => {
  const elf = ElfFile.open(await vmlinux());
  const clean = dwarfSectionsOf(elf, undefined, false)!;
  const units = new DwarfInfo(clean, { littleEndian: true }).units;
  const want = new DwarfInfo(clean, { littleEndian: true }).findObject(
    "task_state_array",
    "variable",
  );
  assert.ok(want !== null && want.kind === "variable");
  // The unit DIE of a unit 90% of the way in gets an absurd abbreviation code.
  const info = clean.info.slice();
  const bad = units[Math.floor(units.length * 0.9)]!;
  info.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], bad.dieOffset);
  const d = new DwarfInfo({ ...clean, info }, { littleEndian: true });
  let saved = 0;
  d.indexOnDemand(() => saved++);
  // task_state_array is 38% of the way in: past a quarter, so the lookup
  // tries to complete the index, meets the damage, and answers on demand.
  const got = d.findObject("task_state_array", "variable");
  assert.ok(got !== null && got.kind === "variable");
  assert.equal(got.address, want.address);
  assert.equal(d.hasIndex, false);
  assert.equal(saved, 0);
  assert.ok(d.indexedUnits < units.length * 0.5, `${d.indexedUnits} units`);
  // Later lookups are answered on demand too; one that needs every unit
  // meets the damage.
  assert.ok(d.findType("task_struct", "struct") !== null);
  assert.throws(() => d.findType("no_such_type_here", "struct"), /unknown abbreviation code/);
});
