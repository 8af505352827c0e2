/**
 * The kernel dumps the memory, slab, filesystem and common helper tests run
 * on, and drgn 0.0.22's answers for them, written by
 * tests/data/helpers/gen_mm_slab_fs.py (see there for what each dump is).
 */

import { Program } from "../../../lib/program/program.ts";
import { kernelProgram, sampleVmlinux } from "../../_programs.ts";
import { dumpProgram, SAMPLE_DUMP } from "./_dumps.ts";

/** The dumps with goldens: the fixture kdump, its paging ELF (user memory), la57, the sample kernel. */
export type HelperDump = "kdump" | "paging" | "la57" | "sample";

/** Every dump; the paging ELF is the slowest to open and only needed for user memory. */
export const HELPER_DUMPS: readonly HelperDump[] = ["kdump", "la57", "sample", "paging"];

/** A program on a dump with its debug info (cached per process: read-only). */
export function helperProgram(dump: HelperDump): Promise<Program> {
  switch (dump) {
    case "kdump":
      return kernelProgram("mdf-c-d31.kdump");
    case "paging":
      return kernelProgram("paging.elf");
    case "la57":
      return kernelProgram("la57.kdump");
    case "sample":
      return dumpProgram("sample");
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;
let goldens: Json;

/** drgn's answers for a dump. */
export function helperGolden(dump: HelperDump): Json {
  goldens ??= JSON.parse(
    Deno.readTextFileSync(new URL("../../data/helpers/mm_slab_fs_goldens.json", import.meta.url)),
  );
  return goldens[dump];
}

/** `0x…` of an address or pointer object, as the goldens write it. */
export function hx(v: { value_(): unknown } | bigint): string {
  const n = typeof v === "bigint" ? v : (v.value_() as bigint);
  return "0x" + n.toString(16);
}

/**
 * A new program on the sample kernel's dump with `words` (address → 64-bit
 * value) written over its memory: corrupted data for the bound and cycle
 * tests (a fresh program each call, so the shared ones stay intact).
 */
export async function corruptedSampleProgram(words: Map<bigint, bigint>): Promise<Program> {
  const prog = new Program();
  prog.setCoreDump(SAMPLE_DUMP);
  prog.loadDebugInfo([await sampleVmlinux()]);
  for (const [address, value] of words) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, value, true);
    prog.addMemorySegment(
      address,
      8,
      (_a, count, offset) => bytes.slice(Number(offset), Number(offset) + count),
    );
  }
  return prog;
}
