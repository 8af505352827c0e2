/**
 * Comparison helpers for the dump-format tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { DiskDump } from "../../../../lib/linux/dump/diskdump.ts";
import type { ElfImage } from "./_fixtures.ts";

/** Whether two byte arrays are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads every dumpable page of `dump` and checks it against the same
 * physical page of `image` (which must contain it). Returns the number of
 * pages compared.
 */
export function compareAllPages(dump: DiskDump, image: ElfImage): number {
  const ps = dump.pageSize;
  const buf = new Uint8Array(ps);
  let n = 0;
  for (let pfn = 0; pfn < dump.maxPfn; pfn++) {
    if (!dump.isDumpable(pfn)) continue;
    const want = image.page(pfn, ps);
    assert.ok(want !== null, `pfn ${pfn.toString(16)} is dumpable but not in the ELF`);
    dump.readPhysical(BigInt(pfn * ps), buf, 0, ps);
    if (!bytesEqual(buf, want)) {
      assert.fail(`pfn ${pfn.toString(16)} differs from the ELF`);
    }
    n++;
  }
  assert.equal(n, dump.dumpablePages);
  return n;
}

/** Parses `KEY=VALUE` lines of VMCOREINFO. */
export function vmcoreinfoMap(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}
