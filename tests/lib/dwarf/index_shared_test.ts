/**
 * The multi-threaded index build (`scanShared`): on the real vmlinux,
 * mapped, with 2 and 3 threads, the index is byte-identical to the
 * single-threaded one; workers that cannot map the file (gone, or another
 * file) leave their chunks to the calling thread, with the same result.
 */

import assert from "node:assert/strict";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { buildNameIndex } from "../../../lib/dwarf/name_index.ts";
import { type DwarfSections, mappedSection, sectionOrigin } from "../../../lib/dwarf/sections.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { dwarfSectionsOf } from "../../../lib/program/dwarf_source.ts";
import { ensureVmlinux } from "./_sections.ts";

const path = ensureVmlinux();

function open() {
  const elf = ElfFile.open(path!);
  const sections = dwarfSectionsOf(elf, undefined, true, true)!;
  assert.ok(sectionOrigin(sections.info) !== null, "the tests run with FFI: sections are mapped");
  const d = new DwarfInfo(sections, { littleEndian: true, name: "vmlinux" });
  return { elf, sections, units: d.units };
}

/** The serialized index of `sections` built on `threads` threads. */
function build(sections: DwarfSections, units: DwarfInfo["units"], threads: number): Uint8Array {
  return buildNameIndex(sections, units, { littleEndian: true, localStatics: true, threads })
    .serialize();
}

function assertSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.ok(got.length === want.length && got.every((b, i) => b === want[i]), what);
}

Deno.test({
  name: "shared index build: byte-identical to one thread, with 2 and 3 threads",
  ignore: path === null,
  sanitizeResources: false,
  fn() {
    const { elf, sections, units } = open();
    const one = build(sections, units, 1);
    for (const threads of [2, 3]) {
      assertSameBytes(build(sections, units, threads), one, `${threads}`);
    }
    elf.close();
  },
});

Deno.test({
  name: "shared index build: workers that cannot map the file leave their chunks to the caller",
  ignore: path === null,
  sanitizeResources: false,
  fn() {
    const { elf, sections, units } = open();
    const one = build(sections, units, 1);
    const tmp = Deno.makeTempFileSync();
    Deno.writeFileSync(tmp, new Uint8Array(1 << 20)); // another (smaller) file
    try {
      for (const other of ["/nonexistent/vmlinux", tmp]) {
        // The same bytes, said to come from another file.
        const moved = {} as Record<string, Uint8Array>;
        for (const [k, d] of Object.entries(sections) as [keyof DwarfSections, Uint8Array][]) {
          const o = sectionOrigin(d);
          moved[k] = o === null
            ? d
            : mappedSection(d.subarray(), { path: other, offset: o.offset }, () => {});
        }
        assertSameBytes(build(moved as unknown as DwarfSections, units, 2), one, other);
      }
    } finally {
      Deno.removeSync(tmp);
      elf.close();
    }
  },
});
