/**
 * A name index read lazily from a serialized blob (the on-disk cache's
 * way, `NameIndex.open`): lookups read only the pages they reach and give
 * the fresh index's answers; damage met later (unreadable pages, values
 * out of range) makes the index rebuild itself, with the same entry
 * numbers, and lookups go on. On the sample kernel's real vmlinux.
 */

import assert from "node:assert/strict";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { type LazyIndexBlob, NameIndex } from "../../../lib/dwarf/name_index.ts";
import { DecodeError } from "../../../lib/errors.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { dwarfSectionsOf } from "../../../lib/program/dwarf_source.ts";
import { sampleVmlinux } from "../../_programs.ts";

const ALL = ~0;
const PAGE = 4096;

/** The sample vmlinux's DWARF with a fresh index, its serialized index, and names to look up. */
async function setup() {
  const elf = ElfFile.open(await sampleVmlinux());
  const sections = dwarfSectionsOf(elf, undefined, true, false)!;
  const dwarf = new DwarfInfo(sections, { littleEndian: elf.littleEndian });
  const fresh = dwarf.buildIndex();
  const blob = fresh.serialize();
  // Every 997th entry's name, and names that are not there.
  const names = new Set<string>(["task_struct", "init_task", "jiffies", "list_head"]);
  let i = 0;
  for (const e of fresh.entries(ALL)) if (i++ % 997 === 0) names.add(fresh.nameOf(e));
  names.add("no_such_name_in_this_kernel");
  names.add("");
  return { elf, sections, dwarf, fresh, blob, names: [...names] };
}

/** A blob over `bytes` that copies pages in as they are ensured, refusing pages `bad` holds. */
function pagedBlob(bytes: Uint8Array, bad: (page: number) => boolean = () => false) {
  const copy = new Uint8Array(bytes.length);
  const loaded = new Uint8Array(Math.ceil(bytes.length / PAGE));
  const stats = { pagesRead: 0, refused: 0 };
  const blob: LazyIndexBlob = {
    bytes: copy,
    ensure(start, end) {
      for (let p = Math.floor(start / PAGE); p * PAGE < Math.min(end, bytes.length); p++) {
        if (loaded[p]) continue;
        if (bad(p)) {
          stats.refused++;
          return false;
        }
        copy.set(bytes.subarray(p * PAGE, (p + 1) * PAGE), p * PAGE);
        loaded[p] = 1;
        stats.pagesRead++;
      }
      return true;
    },
  };
  return { blob, stats, pages: loaded.length };
}

function answers(index: NameIndex, names: readonly string[]): number[][] {
  return names.map((n) => index.find(n, ALL));
}

Deno.test("lazy name index: same answers as the fresh index, reading a few pages", async () => {
  const { elf, sections, dwarf, fresh, blob, names } = await setup();
  try {
    const want = answers(fresh, names);
    const { blob: lazy, stats, pages } = pagedBlob(blob);
    let rebuilt = 0;
    const index = NameIndex.open(lazy, sections, dwarf.units, () => {
      rebuilt++;
      return fresh;
    });
    // One lookup reads its bucket's and entries' pages only.
    assert.deepEqual(index.find("task_struct", ALL), fresh.find("task_struct", ALL));
    // Header, buckets, and one checked chunk of each column (which may straddle pages).
    assert.ok(stats.pagesRead <= 17, `one lookup read ${stats.pagesRead} of ${pages} pages`);
    assert.deepEqual(answers(index, names), want);
    console.log(
      `${names.length} lookups read ${stats.pagesRead} of ${pages} pages of a ${blob.length}-byte index`,
    );
    assert.ok(stats.pagesRead < pages, "not everything was read");
    // Walking everything reads the rest and gives the same entries and bytes.
    assert.deepEqual([...index.entries(ALL)], [...fresh.entries(ALL)]);
    assert.deepEqual(index.serialize(), blob);
    assert.equal(stats.pagesRead, pages);
    assert.equal(rebuilt, 0);
  } finally {
    elf.close();
  }
});

Deno.test("lazy name index: unreadable pages met later rebuild it, answers unchanged", async () => {
  const { elf, sections, dwarf, fresh, blob, names } = await setup();
  try {
    const want = answers(fresh, names);
    const pages = Math.ceil(blob.length / PAGE);
    for (const badPage of [1, pages >> 2, pages >> 1, pages - 1]) {
      const { blob: lazy, stats } = pagedBlob(blob, (p) => p === badPage);
      let rebuilt = 0;
      const index = NameIndex.open(lazy, sections, dwarf.units, () => {
        rebuilt++;
        return dwarf.buildIndex();
      });
      // Some answers come from the blob, the rest (after the damage) from the rebuild.
      assert.deepEqual(answers(index, names), want, `page ${badPage}`);
      assert.deepEqual([...index.entries(ALL)], [...fresh.entries(ALL)], `page ${badPage}`);
      assert.equal(stats.refused, 1, `page ${badPage} was met once`);
      assert.equal(rebuilt, 1, `page ${badPage}: rebuilt once`);
    }
  } finally {
    elf.close();
  }
});

Deno.test("lazy name index: out-of-range values in a sound page rebuild it", async () => {
  const { elf, sections, dwarf, fresh, blob, names } = await setup();
  try {
    const want = answers(fresh, names);
    const v = new DataView(blob.buffer, blob.byteOffset);
    const n = v.getUint32(8, true);
    const nb = v.getUint32(12, true);
    const unitCol = 48 + n * 4; // die, then unit
    const bucketCol = 48 + n * 20 + 2 * ((n + 3) & ~3);
    const damages: [string, (b: Uint8Array) => void][] = [
      ["unit number", (b) => new DataView(b.buffer).setUint32(unitCol + 4 * (n >> 1), 1e9, true)],
      [
        "bucket order",
        (b) => new DataView(b.buffer).setUint32(bucketCol + 4 * (nb >> 1), n + 5, true),
      ],
      ["entry kind", (b) => (b[48 + n * 20 + (n >> 2)] = 250)],
    ];
    for (const [what, damage] of damages) {
      const bad = blob.slice();
      damage(bad);
      let rebuilt = 0;
      const index = NameIndex.open(pagedBlob(bad).blob, sections, dwarf.units, () => {
        rebuilt++;
        return dwarf.buildIndex();
      });
      assert.deepEqual(answers(index, names), want, what);
      assert.deepEqual([...index.entries(ALL)], [...fresh.entries(ALL)], what);
      assert.equal(rebuilt, 1, `${what}: rebuilt once`);
      // The eager reader refuses the same blob outright.
      assert.throws(() => NameIndex.deserialize(bad, sections, dwarf.units), DecodeError, what);
    }
    // A header that does not fit the sections is refused when opened.
    const other = blob.slice();
    new DataView(other.buffer).setUint32(16, 1, true); // .debug_info size
    assert.throws(
      () => NameIndex.open(pagedBlob(other).blob, sections, dwarf.units, () => fresh),
      DecodeError,
    );
  } finally {
    elf.close();
  }
});
