/**
 * The kernel dumps the helper tests run on (the fixture kdump, the
 * 5-level-paging dump, the sample kernel's dump) and drgn 0.0.22's answers
 * for them, written by tests/data/helpers/gen_kernel_helpers.py.
 */

import { Program } from "../../../lib/program/program.ts";
import { kernelProgram, sampleModule, sampleVmlinux } from "../../_programs.ts";

/** The dumps with drgn goldens. */
export type Dump = "mdf-c-d31.kdump" | "la57.kdump" | "sample";

/** Every dump. */
export const DUMPS: readonly Dump[] = ["mdf-c-d31.kdump", "la57.kdump", "sample"];

/** The sample kernel's kdump file. */
export const SAMPLE_DUMP = new URL("../../data/sample/vmcore.mdf-c-d31.kdump", import.meta.url)
  .pathname;

let sample: Program | undefined;

/** A program on a dump with its debug info (cached per process: read-only). */
export async function dumpProgram(dump: Dump): Promise<Program> {
  if (dump !== "sample") return await kernelProgram(dump);
  if (sample) return sample;
  const p = new Program();
  p.setCoreDump(SAMPLE_DUMP);
  p.loadDebugInfo([await sampleVmlinux(), await sampleModule()]);
  return sample = p;
}

// deno-lint-ignore no-explicit-any
type Json = any;
let goldens: Json;

function goldenFile(): Json {
  return goldens ??= JSON.parse(
    Deno.readTextFileSync(new URL("../../data/helpers/kernel_helpers.json", import.meta.url)),
  );
}

/** drgn's answers for a dump (kernel_helpers.json). */
export function golden(dump: Dump): Json {
  return goldenFile().dumps[dump];
}

/** The pre-5.10 log buffer mocks and drgn's answers on them, by variant. */
export function logBufMock(): Json {
  return goldenFile().log_buf_mock;
}

/** `0x…` of a pointer object or address, as the goldens write it. */
export function hex(v: { value_(): unknown } | bigint): string {
  const n = typeof v === "bigint" ? v : (v.value_() as bigint);
  return "0x" + n.toString(16);
}

/** Corrupted lists and trees (as words at `base`) and drgn's validation verdicts on them. */
export function validationGoldens(): Json {
  return goldenFile().validation;
}

/** Maps 8-byte little-endian `words` at `base` in `prog`. */
export function mapWords(prog: Program, base: bigint, words: readonly bigint[]): void {
  const bytes = new Uint8Array(words.length * 8);
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  prog.addMemorySegment(base, bytes.length, (_a, count, offset) => {
    const o = Number(offset);
    return bytes.slice(o, o + count);
  });
}
