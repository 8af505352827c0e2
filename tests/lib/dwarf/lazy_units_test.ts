/**
 * The cached unit table read as it is used (`openUnitTable`, `LazyUnits`),
 * on the Debian vmlinux's 2,352 units: the same units as reading the whole
 * table, only the rows asked for checked, and a damaged row either a
 * DecodeError (the table) or, through a DieReader, the units read from
 * .debug_info instead.
 */

import assert from "node:assert/strict";
import { DieReader } from "../../../lib/dwarf/die.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import {
  deserializeUnits,
  LazyUnits,
  openUnitTable,
  parseUnitHeaders,
  serializeUnits,
} from "../../../lib/dwarf/unit.ts";
import { DecodeError } from "../../../lib/errors.ts";
import { ensureVmlinux, readElfSections } from "./_sections.ts";

const path = ensureVmlinux();
const ROW = 60;

Deno.test({
  name: "LazyUnits: the vmlinux's unit table read row by row, damage found where it is",
  ignore: path === null,
  sanitizeResources: false,
  fn() {
    const { sections, littleEndian } = readElfSections(path!, { shared: true });
    const s = dwarfSectionsFromMap(sections);
    const units = parseUnitHeaders(s.info, "info", littleEndian);
    const n = units.length;
    assert.ok(n > 2000);
    const bytes = serializeUnits(units);
    const sizes = { info: s.info.length, types: 0, abbrev: s.abbrev.length };

    // Rows are read (and their pages checked) as they are asked for.
    const asked = new Set<number>();
    const table = openUnitTable(bytes, sizes, (start, end) => {
      assert.equal(start % 4096, 0);
      for (let p = start >> 12; p <= (end - 1) >> 12; p++) asked.add(p);
      return true;
    });
    assert.ok(table instanceof LazyUnits);
    assert.equal(table.length, n);
    assert.equal(table.infoCount, n);
    assert.equal(asked.size, 0);
    for (const i of [0, 1, 1000, n - 1]) {
      assert.deepEqual(table.at(i), units[i]);
      assert.equal(table.at(i), table.at(i), "made once");
    }
    for (const i of [0, 17, 1234, n - 1]) {
      const u = units[i]!;
      assert.equal(table.find(u.offset, 0, n), i);
      assert.equal(table.find(u.end - 1, 0, n), i);
    }
    assert.equal(table.find(s.info.length, 0, n), -1);
    const pages = Math.ceil(bytes.length / 4096);
    assert.ok(asked.size < pages / 2, `${asked.size} of ${pages} pages read`);
    assert.equal(table.at(n), undefined);
    assert.equal(table.at(-1), undefined);
    assert.deepEqual(table.all(), units);
    assert.equal(asked.size, pages);

    // A page that fails its check: the rows on it are DecodeErrors, the
    // others are read.
    const badPage = (1000 * ROW) >> 12;
    const damaged = () =>
      openUnitTable(bytes, sizes, (start, end) => end <= badPage << 12 || start > badPage << 12);
    const t2 = damaged() as LazyUnits;
    assert.deepEqual(t2.at(0), units[0]);
    assert.throws(
      () => t2.at(1000),
      (e) => e instanceof DecodeError && /unit 1000: unreadable or damaged/.test(e.message),
    );
    assert.throws(() => t2.all(), DecodeError);

    // A row whose values a reader cannot rely on: named by its number.
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(7 * ROW + 16, 9, true); // version 9
    const t3 = openUnitTable(bad, sizes, () => true) as LazyUnits;
    assert.deepEqual(t3.at(6), units[6]);
    assert.throws(() => t3.at(7), /unit 7: bad version/);
    assert.throws(() => deserializeUnits(bad, sizes), /unit 7: bad version/);

    // A DieReader given the damaged table reads the unit headers instead.
    for (const ask of ["unitOf", "unit", "units", "infoUnitCount"] as const) {
      const r = new DieReader(s, littleEndian, damaged());
      const u = units[1000]!;
      if (ask === "unitOf") assert.deepEqual(r.unitOf(u.dieOffset), u);
      else if (ask === "unit") assert.deepEqual(r.unit(1000), u);
      else if (ask === "units") assert.deepEqual(r.units, units);
      else {
        // (Reads no damaged row: the count needs none without .debug_types.)
        assert.equal(r.infoUnitCount, n);
        assert.deepEqual(r.unitOf(u.dieOffset), u);
      }
      assert.equal(r.unitCount, n);
      assert.deepEqual(r.unitList.at(1000), u);
    }
    // Not 4-byte aligned (or on a big-endian host): read whole, checked whole.
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    const whole = openUnitTable(odd.subarray(1), sizes, () => true);
    assert.ok(Array.isArray(whole));
    assert.deepEqual(whole, units);
    assert.throws(() => openUnitTable(odd.subarray(1), sizes, () => false), DecodeError);
    assert.throws(() => openUnitTable(bytes.subarray(4), sizes, () => true), /bad size/);
  },
});
