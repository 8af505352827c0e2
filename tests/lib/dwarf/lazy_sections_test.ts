/**
 * Lazy sections (read on demand, unit by unit) give the same answers as
 * sections read whole, on the Debian vmlinux: the unit table, the name
 * index (built from lazy sections, and loaded from its serialized form as
 * the cache does), types, objects, enumerators, PC scopes (.debug_rnglists),
 * location lists (.debug_loclists) and line tables (.debug_line). Lookups
 * on a lazily opened file read only a small part of `.debug_info`.
 */

import assert from "node:assert/strict";
import { DW_TAG } from "../../../lib/dwarf/constants.ts";
import type { Die } from "../../../lib/dwarf/die.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { LineTable } from "../../../lib/dwarf/line.ts";
import { locationList } from "../../../lib/dwarf/loclists.ts";
import { dieRanges } from "../../../lib/dwarf/ranges.ts";
import {
  type DwarfSections,
  ensureSection,
  fillSection,
  isLazySection,
  lazySection,
  mappedSection,
  peekSection,
  peeksFromFile,
  sectionReleaser,
} from "../../../lib/dwarf/sections.ts";
import { deserializeUnits, serializeUnits } from "../../../lib/dwarf/unit.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { dwarfSectionsOf } from "../../../lib/program/dwarf_source.ts";
import "../../../lib/types/format_type.ts";
import { ensureVmlinux } from "./_sections.ts";
import { DecodeError } from "../../../lib/errors.ts";
import { USER } from "../elf/_fixtures.ts";

const path = ensureVmlinux();

/** Everything the test compares, as plain data. */
function probe(d: DwarfInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.taskStruct = d.findType("struct task_struct")!.toString();
  out.listHead = d.findType("struct list_head")!.toString();
  out.pidT = String(d.findType("pid_t"));
  out.ulong = String(d.findType("unsigned long", "base"));
  for (const name of ["init_task", "jiffies_64", "runqueues", "schedule", "do_exit"]) {
    const o = d.findObject(name);
    out[name] = o === null
      ? null
      : { kind: o.kind, type: String(o.type), address: "address" in o ? o.address : null };
  }
  for (const name of ["PIDTYPE_PID", "TASK_COMM_LEN", "MODULE_STATE_LIVE"]) {
    const c = d.findObject(name, "constant");
    out[name] = c?.kind === "constant" ? c.value : null;
  }
  out.jiffies = d.findObject("jiffies");
  const sched = d.findObject("schedule", "function");
  assert.ok(sched?.kind === "function" && sched.address !== null);
  const pc = sched.address + 4n;
  const unit = d.unitForPc(pc)!;
  out.unit = { offset: unit.offset, name: d.reader.unitInfo(unit).name };
  out.scopes = d.scopesAt(pc).map((s: Die) => [d.nameOf(s), s.tag, dieRanges(s)]);
  // Location lists of do_exit's parameters and locals.
  const lists: unknown[] = [];
  const exit = d.findObject("do_exit", "function")!;
  for (const c of d.reader.children(d.reader.die(exit.die))) {
    if (c.tag !== DW_TAG.formal_parameter && c.tag !== DW_TAG.variable) continue;
    lists.push([d.nameOf(c), locationList(c)?.map((e) => [e.start, e.end, [...e.expr]])]);
  }
  out.lists = lists;
  // The line table of schedule's unit.
  const info = d.reader.unitInfo(unit);
  const lt = LineTable.parse(
    { line: d.sections.line!, lineStr: d.sections.lineStr, str: d.sections.str },
    info.stmtList!,
    { littleEndian: true, compDir: info.compDir ?? undefined, unitName: info.name ?? undefined },
  );
  out.lines = {
    rows: lt.rowCount,
    at: lt.find(pc),
    first: lt.row(0),
    last: lt.row(lt.rowCount - 1),
  };
  return out;
}

Deno.test({
  name: "lazy sections: same units, index and answers as eager ones on the vmlinux",
  ignore: path === null,
  sanitizeResources: false,
  fn() {
    const eagerElf = ElfFile.open(path!);
    const eagerSections = dwarfSectionsOf(eagerElf)!;
    assert.ok(!isLazySection(eagerSections.info));
    const eager = new DwarfInfo(eagerSections, { littleEndian: true, name: "vmlinux" });
    const eagerIndex = eager.serializeIndex();
    const expected = probe(eager);
    assert.equal(expected.pidT, "typedef __kernel_pid_t pid_t");

    // 1. Lazy sections, unit headers read one by one, index built (which
    // reads .debug_info whole): the same units and byte-identical index.
    {
      const elf = ElfFile.open(path!);
      const s = dwarfSectionsOf(elf, undefined, true, false)!;
      for (const k of ["info", "line", "loclists", "rnglists"] as const) {
        assert.ok(isLazySection(s[k]), k);
      }
      const d = new DwarfInfo(s, { littleEndian: true, name: "vmlinux" });
      assert.ok(isLazySection(s.info), "reading the unit table leaves .debug_info unread");
      assert.deepEqual(d.units, eager.units);
      assert.deepEqual(d.serializeIndex(), eagerIndex);
      assert.ok(isLazySection(s.info), "indexing read it a chunk at a time, not into it");
      assert.deepEqual(probe(d), expected);
      elf.close();
    }

    // 2. As a warm start does: units and index from their serialized form,
    // nothing read up front; lookups read only the units they touch.
    {
      const elf = ElfFile.open(path!);
      const s = dwarfSectionsOf(elf, undefined, true, false)!;
      const units = deserializeUnits(serializeUnits(eager.units), {
        info: s.info.length,
        types: 0,
        abbrev: s.abbrev.length,
      });
      assert.deepEqual(units, eager.units);
      const d = new DwarfInfo(s, { littleEndian: true, name: "vmlinux", units });
      d.loadIndex(eagerIndex);
      assert.deepEqual(probe(d), expected);
      for (const k of ["info", "line", "loclists", "rnglists"] as const) {
        assert.ok(isLazySection(s[k]), `${k} was not read whole`);
      }
      // Names read from the lazy index are the eager ones.
      const names = [...d.names("struct")].slice(0, 2000);
      assert.deepEqual(names, [...eager.names("struct")].slice(0, 2000));
      elf.close();
    }
    // 3. Mapped in place (the tests run with FFI allowed): the same units,
    // index and answers, with nothing read into memory up front.
    {
      const elf = ElfFile.open(path!);
      const s = dwarfSectionsOf(elf, undefined, true, true)!;
      for (const k of ["info", "abbrev", "str", "line"] as const) {
        assert.ok(!isLazySection(s[k]), `${k} is not read on demand`);
        assert.ok(sectionReleaser(s[k]) !== null, `${k} is a view of the file's map`);
      }
      const d = new DwarfInfo(s, { littleEndian: true, name: "vmlinux" });
      assert.deepEqual(d.units, eager.units);
      assert.deepEqual(d.serializeIndex(), eagerIndex);
      assert.deepEqual(probe(d), expected);
      elf.close();
    }
    eagerElf.close();
  },
});

Deno.test("lazy sections: reads fill 64 KiB blocks on demand, peeks read nothing", () => {
  const size = 300_000;
  const source = Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  const reads: [number, number][] = [];
  const d = lazySection(size, (offset, dest) => {
    reads.push([offset, dest.length]);
    dest.set(source.subarray(offset, offset + dest.length));
  });
  assert.ok(isLazySection(d));
  assert.equal(d[70_000], 0, "unread bytes are zero");
  assert.deepEqual(peekSection(d, 70_000, 70_010), source.subarray(70_000, 70_010));
  assert.deepEqual(reads, [[70_000, 10]], "a peek reads just its bytes");
  reads.length = 0;
  const valid = ensureSection(d, 70_000, 70_100);
  assert.deepEqual(reads, [[65_536, 65_536]]);
  assert.equal(valid, 131_072);
  assert.deepEqual(d.subarray(65_536, 131_072), source.subarray(65_536, 131_072));
  assert.equal(d[0], 0);
  // A range over read and unread blocks reads only the unread ones.
  reads.length = 0;
  ensureSection(d, 0, 100_000);
  assert.deepEqual(reads, [[0, 65_536]]);
  // Clamped to the section; the last block is short.
  reads.length = 0;
  assert.equal(ensureSection(d, 299_000, 400_000), size);
  assert.deepEqual(reads, [[262_144, size - 262_144]]);
  assert.ok(isLazySection(d), "two blocks still unread");
  reads.length = 0;
  fillSection(d);
  assert.deepEqual(reads, [[131_072, 131_072]], "the unread run in one read");
  assert.ok(!isLazySection(d));
  assert.deepEqual(d, source);
  reads.length = 0;
  ensureSection(d, 0, size);
  assert.deepEqual(reads, []);
  // Plain arrays: no-ops.
  const plain = new Uint8Array(10);
  assert.equal(ensureSection(plain, 0, 5), 10);
  assert.equal(isLazySection(plain), false);
  const empty: DwarfSections["info"] = lazySection(0, () => assert.fail("no read"));
  assert.equal(isLazySection(empty), false);
});

Deno.test("mapped sections: peeks read the file when a reader is given, else view the map", () => {
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 13) & 0xff);
  const reads: [number, number][] = [];
  const origin = { path: "/nonexistent", offset: 0 };
  const withReader = mappedSection(bytes.slice(), origin, () => {}, (offset, dest) => {
    reads.push([offset, dest.length]);
    dest.set(bytes.subarray(offset, offset + dest.length));
  });
  assert.ok(peeksFromFile(withReader));
  const p = peekSection(withReader, 5_000, 5_040);
  assert.deepEqual(p, bytes.subarray(5_000, 5_040));
  assert.notEqual(p.buffer, withReader.buffer, "a copy, not a view of the map");
  assert.deepEqual(reads, [[5_000, 40]]);
  assert.deepEqual(peekSection(withReader, 9_990, 20_000), bytes.subarray(9_990), "clamped");
  const plainMap = mappedSection(bytes.slice(), origin, () => {});
  assert.ok(!peeksFromFile(plainMap));
  assert.equal(peekSection(plainMap, 10, 20).buffer, plainMap.buffer, "a view");
});

Deno.test("compressed sections (gcc -gz, distributions' debug files) are inflated when a lookup first reads them", () => {
  const gz = `${USER}/out/bin/gcc-gz/types`;
  const plain = `${USER}/out/bin/gcc-O0/types`;
  const elf = ElfFile.open(gz);
  const info = elf.section(".debug_info")!;
  // The size comes from the compression header; uncompressed sections have none.
  assert.equal(elf.compressedSectionSize(info), ElfFile.open(gz).sectionData(info).length);
  assert.equal(elf.compressedSectionSize(ElfFile.open(plain).section(".debug_info")!), null);
  // Count what is inflated (sectionData decompresses whole).
  const inflated: string[] = [];
  const sectionData = elf.sectionData.bind(elf);
  elf.sectionData = (x) => {
    inflated.push(typeof x === "string" ? x : x.name);
    return sectionData(x);
  };
  const lazy = dwarfSectionsOf(elf, undefined, true)!;
  const eager = dwarfSectionsOf(ElfFile.open(gz), undefined, false)!;
  for (const k of ["info", "abbrev", "str", "line"] as const) {
    assert.equal(isLazySection(lazy[k]), true, k);
    assert.equal(lazy[k]!.length, eager[k]!.length, k);
  }
  // Nothing inflated yet; the answers are those of the eager sections.
  const a = new DwarfInfo(lazy, { littleEndian: true });
  a.indexOnDemand();
  // Opened and set to index on demand: the unit headers are not read yet,
  // so nothing of the lazy sections is inflated.
  assert.equal(isLazySection(lazy.info), true);
  assert.equal(a.indexedUnits, 0);
  assert.deepEqual(inflated.filter((n) => n === ".debug_info" || n === ".debug_line"), []);
  const b = new DwarfInfo(eager, { littleEndian: true });
  for (const t of ["struct aligned_s", "enum color", "struct _IO_FILE"]) {
    const want = b.findType(t)?.toString();
    assert.ok(want !== undefined, t);
    assert.equal(a.findType(t)?.toString(), want, t);
  }
  assert.ok(inflated.includes(".debug_info"), inflated.join());
  fillSection(lazy.info);
  assert.deepEqual(lazy.info, eager.info);
});

Deno.test("a compressed section that does not inflate fails when read, with a typed error", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const gz = `${USER}/out/bin/gcc-gz/types`;
    const bytes = Deno.readFileSync(gz);
    const info = ElfFile.open(gz).section(".debug_info")!;
    // Damage the zlib stream (past the 24-byte compression header).
    for (let i = 40; i < 80; i++) bytes[Number(info.offset) + i]! ^= 0xff;
    Deno.writeFileSync(`${dir}/types`, bytes);
    const lazy = dwarfSectionsOf(ElfFile.open(`${dir}/types`), undefined, true)!;
    assert.throws(
      () => ensureSection(lazy.info, 0, 16),
      (e: unknown) => e instanceof DecodeError && /section \.debug_info of .*types/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
