/**
 * The chunked index scan (a lazy `.debug_info` read a few units at a time)
 * gives exactly the entries of a scan of the whole section, for any chunk
 * size; a reference from one chunk into another (gcc -flto's cross-unit
 * DW_AT_abstract_origin) makes it give up, and the index build then scans
 * the whole section: the same index either way.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { EntryBuffer, scanInfoChunked, scanUnits } from "../../../lib/dwarf/index_scan.ts";
import { ProgressiveIndex } from "../../../lib/dwarf/index_progressive.ts";
import { isLazySection, lazySectionReader } from "../../../lib/dwarf/sections.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { dwarfSectionsOf } from "../../../lib/program/dwarf_source.ts";
import { sampleVmlinux } from "../../_programs.ts";
import { KERNEL, USER } from "../elf/_fixtures.ts";

const tmp = Deno.makeTempDirSync({ prefix: "wyvern-chunked-" });

/** Compiles C sources with gcc into `tmp/name`. */
function gcc(name: string, flags: string[], sources: Record<string, string>): string {
  const files = Object.entries(sources).map(([f, text]) => {
    const p = join(tmp, f);
    Deno.writeTextFileSync(p, text);
    return p;
  });
  const out = join(tmp, name);
  const r = new Deno.Command("gcc", { args: [...flags, ...files, "-o", out], stderr: "piped" })
    .outputSync();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return out;
}

const A = `struct point { int x, y; };
static int helper(struct point *p) { return p->x + p->y; }
int api(struct point *p) { return helper(p) * 2; }
int g_a = 3;
`;
const B = `struct point { int x, y; };
int api(struct point *p);
enum color { RED, GREEN = 5 };
struct point g_pt = { 1, 2 };
enum color g_color = GREEN;
static int counter(void) { static int n; return ++n; }
int main(void) { return api(&g_pt) + g_color + counter(); }
`;

const lto = gcc("lto", ["-g", "-O2", "-flto"], { "a.c": A, "b.c": B });
const typeUnits = gcc("types4", ["-g", "-gdwarf-4", "-fdebug-types-section"], {
  "a.c": A,
  "b.c": B,
});
const fixtures = [
  ...["gcc-O0", "clang-O0", "gcc-dwarf4-O2"].flatMap((v) =>
    ["types", "datastructs"].map((p) => join(USER, "out/bin", v, p))
  ),
  // Relocatable kernel modules (their sections are relocated on first use).
  ...["loop", "minix", "qemu_fw_cfg"].map((m) => join(KERNEL, "debug", `${m}.ko`)),
];

function open(path: string) {
  const elf = ElfFile.open(path);
  const s = dwarfSectionsOf(elf, undefined, true, false)!;
  assert.ok(isLazySection(s.info));
  const d = new DwarfInfo(s, { littleEndian: elf.littleEndian });
  return { elf, s, units: d.units };
}

function input(s: ReturnType<typeof open>["s"]) {
  return {
    info: s.info,
    abbrev: s.abbrev,
    str: s.str,
    lineStr: s.lineStr,
    strOffsets: s.strOffsets,
    types: s.types,
    line: s.line,
    littleEndian: true,
    localStatics: true,
  };
}

/** The whole-section scan's entries (from an eagerly read copy). */
function wholeScan(path: string) {
  const elf = ElfFile.open(path);
  const s = dwarfSectionsOf(elf)!;
  const d = new DwarfInfo(s, { littleEndian: elf.littleEndian });
  const out = new EntryBuffer();
  scanUnits({ ...input(s), littleEndian: elf.littleEndian }, d.units, 0, d.units.length, out);
  elf.close();
  return { cols: out.trimmed(), index: d.serializeIndex() };
}

Deno.test("chunked scan: same entries as a whole-section scan, any chunk size", () => {
  for (const path of [...fixtures, typeUnits]) {
    const want = wholeScan(path);
    for (const chunk of [1, 200, 5000, 1 << 20]) {
      const { elf, s, units } = open(path);
      const out = new EntryBuffer();
      const ok = scanInfoChunked(
        input(s),
        units,
        lazySectionReader(s.info)!,
        out,
        chunk,
      );
      assert.ok(ok, `${path}, chunk ${chunk}`);
      assert.deepEqual(out.trimmed(), want.cols, `${path}, chunk ${chunk}`);
      assert.ok(isLazySection(s.info), "the section itself is not read");
      elf.close();
    }
    // And the index build over lazy sections (chunked) is byte-identical.
    const { elf, s } = open(path);
    const d = new DwarfInfo(s, { littleEndian: elf.littleEndian });
    assert.deepEqual(d.serializeIndex(), want.index, path);
    elf.close();
  }
  const { units, elf } = open(typeUnits);
  assert.ok(units.some((u) => u.section === "types"), "the fixture has .debug_types units");
  elf.close();
});

Deno.test("chunked scan: a reference into another chunk falls back to the whole section", () => {
  const want = wholeScan(lto);
  {
    const { elf, s, units } = open(lto);
    assert.ok(units.length >= 2);
    // One unit per chunk: gcc -flto's cross-unit abstract origins leave the chunk.
    const out = new EntryBuffer();
    const ok = scanInfoChunked(input(s), units, lazySectionReader(s.info)!, out, 1);
    assert.equal(ok, false);
    assert.equal(out.count, 0);
    // All units in one chunk: fine.
    const all = new EntryBuffer();
    assert.ok(scanInfoChunked(input(s), units, lazySectionReader(s.info)!, all));
    assert.deepEqual(all.trimmed(), want.cols);
    elf.close();
  }
  const { elf, s } = open(lto);
  const d = new DwarfInfo(s, { littleEndian: true });
  assert.deepEqual(d.serializeIndex(), want.index);
  assert.ok(d.findObject("api", "function") !== null);
  assert.equal(d.findObject("GREEN", "constant")?.kind, "constant");
  elf.close();
});

Deno.test("chunked scan: the sample kernel's cross-unit DW_AT_specification (backwards too)", async () => {
  // Its vmlinux defines variables in one unit with a DW_FORM_ref_addr
  // specification pointing to the declaration in an earlier unit (e.g.
  // __per_cpu_offset): a chunk boundary between them must not lose the name.
  const path = await sampleVmlinux();
  const want = wholeScan(path);
  const { elf, s, units } = open(path);
  const out = new EntryBuffer();
  assert.equal(scanInfoChunked(input(s), units, lazySectionReader(s.info)!, out), false);
  assert.equal(out.count, 0);
  const all = new EntryBuffer();
  assert.ok(
    scanInfoChunked(input(s), units, lazySectionReader(s.info)!, all, 1 << 30),
  );
  assert.deepEqual(all.trimmed(), want.cols);
  const d = new DwarfInfo(s, { littleEndian: true });
  assert.deepEqual(d.serializeIndex(), want.index);
  const pco = d.findObject("__per_cpu_offset", "variable");
  assert.equal(pco?.kind === "variable" ? pco.address : null, 0xffffffff81696700n);
  elf.close();
});

Deno.test("chunked scan: the on-demand index reads runs of units the same way", async () => {
  for (const path of [...fixtures, typeUnits, lto, await sampleVmlinux()]) {
    const want = wholeScan(path);
    const { elf, s, units } = open(path);
    const p = new ProgressiveIndex(s, units, { littleEndian: true, threads: 1 });
    // A first lookup (of the first units), then everything.
    p.findUntil([["main", ~0]], () => p.scannedUnits > 0);
    assert.ok(p.scannedUnits > 0);
    assert.deepEqual(p.complete().serialize(), want.index, path);
    // The sample kernel's units refer to units in other runs: then the scan
    // starts over on the whole section (read whole); otherwise (gcc -flto's
    // references stay within its one run) it stays unread.
    const crossUnit = path.endsWith("vmlinux");
    assert.equal(isLazySection(s.info), !crossUnit, path);
    elf.close();
  }
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(tmp, { recursive: true });
  } catch { /* already gone */ }
});
