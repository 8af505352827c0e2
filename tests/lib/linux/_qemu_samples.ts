/**
 * Shared pieces of the tests on the small QEMU dumps that
 * `scripts/sample/make.sh` makes with a test module of ours
 * (tests/data/kernel/{irq,nmi,panic}-sample/): opening one with the sample
 * vmlinux and its module, per-CPU addresses, frames as the dumps'
 * `drgn_ref.py` records them, and the check that a return address follows a
 * direct call.
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import type { StackTrace } from "../../../lib/program/stack_trace.ts";
import { LookupError } from "../../../lib/errors.ts";
import { sampleVmlinux } from "../../_programs.ts";
import { cached } from "../elf/_fixtures.ts";

/** The dumps' JSON (drgn's reference, QEMU's notes), read as is. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** x86-64 THREAD_SIZE and IRQ_STACK_SIZE without KASAN (PAGE_SIZE << 2), as in the sample kernel. */
export const THREAD_SIZE = 16384n;
export const IRQ_STACK_SIZE = 16384n;

export const hx = (v: bigint): string => "0x" + v.toString(16);

/** The directory of a sample dump (`irq-sample`, …). */
export function sampleDir(name: string): string {
  return new URL(`../../data/kernel/${name}/`, import.meta.url).pathname;
}

const programs = new Map<string, Program>();

/**
 * The sample dump `name` (its makedumpfile kdump) with the sample vmlinux and
 * the module `module` (its `.ko.zst`, decompressed into the cache under its
 * SHA-256 from the dump's SHA256SUMS); one program per dump and process.
 */
export async function sampleDumpProgram(name: string, module: string): Promise<Program> {
  const hit = programs.get(name);
  if (hit !== undefined) return hit;
  const dir = sampleDir(name);
  const sha = Deno.readTextFileSync(dir + "SHA256SUMS").split("\n")
    .find((l) => l.endsWith(`  ${module}.ko`))!.split(" ")[0]!;
  const ko = await cached(
    `${dir}${module}.ko.zst`,
    `${name}/${module}-${sha.slice(0, 8)}.ko`,
    "zstd",
  );
  const prog = new Program();
  prog.setCoreDump(dir + "vmcore.mdf-c-d31.kdump");
  prog.loadDebugInfo([await sampleVmlinux(), ko]);
  programs.set(name, prog);
  return prog;
}

/** The address of per-CPU variable `name` on `cpu`. */
export function perCpuAddress(prog: Program, name: string, cpu: number): bigint {
  const off = prog.object("__per_cpu_offset").subscript_(cpu).value_() as bigint;
  return BigInt.asUintN(64, prog.object(name).address_! + off);
}

type Frame = StackTrace["frames"][number];

/** The frame's symbol, or null (a user-mode pc: no symbols for it). */
export function symbolOrNull(f: Frame): ReturnType<Frame["symbol"]> | null {
  try {
    return f.symbol();
  } catch (e) {
    if (e instanceof LookupError) return null;
    throw e;
  }
}

/** Frame name, the symbol name for assembly without DWARF, or "" without a symbol. */
export function frameName(f: Frame): string {
  return f.name ?? symbolOrNull(f)?.name ?? "";
}

/** Frame `i` as drgn_ref.py records it. */
export function describe(trace: StackTrace, i: number): Json {
  const f = trace[i]!;
  let symbol = null, offset = null, source = null;
  const sym = symbolOrNull(f);
  if (sym !== null) {
    symbol = sym.name;
    offset = Number(f.pc - sym.address);
    const src = f.source();
    source = `${src.file}:${src.line}`;
  }
  return {
    interrupted: f.interrupted,
    is_inline: f.isInline,
    name: f.name,
    pc: hx(f.pc),
    source,
    sp: hx(f.sp),
    symbol,
    symbol_offset: offset,
  };
}

/** Asserts that the 5 bytes before `pc` are a direct call (e8 rel32) to `callee`. */
export function assertDirectCallBefore(prog: Program, pc: bigint, callee: string, what: string) {
  const b = prog.read(pc - 5n, 5);
  assert.equal(b[0], 0xe8, what);
  const rel = new DataView(b.buffer, b.byteOffset + 1, 4).getInt32(0, true);
  assert.equal(prog.symbol(BigInt.asUintN(64, pc + BigInt(rel))).name, callee, what);
}
