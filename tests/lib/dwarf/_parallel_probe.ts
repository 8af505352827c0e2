/**
 * Run by name_index_test.ts with only --allow-read: builds the index of the
 * ELF file in Deno.args[0] with workers and on this thread, prints whether
 * they agree, then corrupts .debug_info and prints the worker's DecodeError.
 */

import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { readElfSections } from "./_sections.ts";

const { sections, littleEndian } = readElfSections(Deno.args[0]!);
const s = dwarfSectionsFromMap(sections);
const par = await DwarfInfo.load(s, { littleEndian, parallel: true, workers: 2 });
const ser = await DwarfInfo.load(s, { littleEndian, parallel: false });
const a = par.index;
const b = ser.index;
let same = a.count === b.count;
for (let i = 0; same && i < a.count; i++) {
  same = a.die[i] === b.die[i] && a.hash[i] === b.hash[i] && a.kind[i] === b.kind[i];
}
console.log(`same=${same} entries=${a.count}`);

// Corrupt the abbreviation code of the last top-level DIE of the first unit.
const info = s.info.slice();
const first = ser.units[0]!;
let last = -1;
for (const i of ser.index.entries(~0)) {
  if (ser.index.unit[i] === first.index) last = Math.max(last, ser.index.die[i]!);
}
info[last] = 0x7f;
try {
  await DwarfInfo.load({ ...s, info }, { littleEndian, parallel: true, workers: 2 });
  console.log("no error");
} catch (e) {
  if (isDecodeError(e)) {
    console.log(`DecodeError ${e.section} 0x${e.offset.toString(16)}: ${e.message}`);
  } else console.log(`other error: ${e}`);
}
