/**
 * CPU masks (`struct cpumask`) from the kernel's `include/linux/cpumask.h`,
 * as drgn's `drgn.helpers.linux.cpumask`.
 *
 * @example The online CPUs
 * ```ts
 * import { cpumaskToCpulist, cpuOnlineMask, forEachOnlineCpu } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachOnlineCpu(prog)].join() !== "0,1") throw new Error();
 * if (cpumaskToCpulist(cpuOnlineMask(prog)) !== "0-1") throw new Error();
 * ```
 *
 * @module
 */

import type { Program } from "../../lib/program/program.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { asPointer, readWord } from "./_util.ts";

function nrCpuIds(prog: Program): number {
  const o = prog.tryObject("nr_cpu_ids");
  return o === null ? 1 : Number(o.value_());
}

/**
 * Iterates over the CPUs set in a mask, up to `nr_cpu_ids` (`for_each_cpu()`).
 *
 * @param mask `struct cpumask` (or `struct cpumask *`)
 * @returns an iterator of CPU numbers
 *
 * @example
 * ```ts
 * import { forEachCpu } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachCpu(prog.object("__cpu_present_mask"))].length !== 2) throw new Error();
 * ```
 */
export function* forEachCpu(mask: TypedObject): Generator<number> {
  const p = asPointer(mask, "mask");
  const prog = p.prog_ as Program;
  const bits = p.member_("bits");
  const base = bits.address_!;
  const w = prog.platform.wordSize;
  const nbits = Math.min(nrCpuIds(prog), (bits.type_.length ?? 0) * w * 8);
  const wordBits = w * 8;
  for (let i = 0; i * wordBits < nbits; i++) {
    let word = readWord(prog, base + BigInt(i * w), w);
    for (let b = 0; word !== 0n && i * wordBits + b < nbits; b++, word >>= 1n) {
      if (word & 1n) yield i * wordBits + b;
    }
  }
}

/** A global mask: `__cpu_<name>_mask`, or `*cpu_<name>_mask` before v4.5. */
function globalMask(prog: Program, name: string): TypedObject {
  // Linux kernel commit c4c54dd1caf1 ("kernel/cpu.c: change type of
  // cpu_possible_bits and friends") (in v4.5) made the masks structures.
  const m = prog.tryObject(`__cpu_${name}_mask`);
  if (m !== null) return m.addressOf_();
  return prog.object(`cpu_${name}_mask`).read_();
}

/**
 * The mask of possible CPUs.
 *
 * @param prog the program
 * @returns `struct cpumask *`
 *
 * @example
 * ```ts
 * import { cpuPossibleMask, cpumaskToCpulist } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (cpumaskToCpulist(cpuPossibleMask(prog)) !== "0-1") throw new Error();
 * ```
 */
export function cpuPossibleMask(prog: Program): TypedObject {
  return globalMask(prog, "possible");
}

/**
 * The mask of online CPUs.
 *
 * @param prog the program
 * @returns `struct cpumask *`
 *
 * @example
 * ```ts
 * import { cpuOnlineMask, cpumaskToCpulist } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (cpumaskToCpulist(cpuOnlineMask(prog)) !== "0-1") throw new Error();
 * ```
 */
export function cpuOnlineMask(prog: Program): TypedObject {
  return globalMask(prog, "online");
}

/**
 * The mask of present CPUs.
 *
 * @param prog the program
 * @returns `struct cpumask *`
 *
 * @example
 * ```ts
 * import { cpuPresentMask, cpumaskToCpulist } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (cpumaskToCpulist(cpuPresentMask(prog)) !== "0-1") throw new Error();
 * ```
 */
export function cpuPresentMask(prog: Program): TypedObject {
  return globalMask(prog, "present");
}

/**
 * Iterates over the possible CPUs.
 *
 * @param prog the program
 * @returns an iterator of CPU numbers
 *
 * @example
 * ```ts
 * import { forEachPossibleCpu } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachPossibleCpu(prog)].join() !== "0,1") throw new Error();
 * ```
 */
export function forEachPossibleCpu(prog: Program): Generator<number> {
  return forEachCpu(cpuPossibleMask(prog));
}

/**
 * Iterates over the online CPUs.
 *
 * @param prog the program
 * @returns an iterator of CPU numbers
 *
 * @example
 * ```ts
 * import { forEachOnlineCpu } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachOnlineCpu(prog)].join() !== "0,1") throw new Error();
 * ```
 */
export function forEachOnlineCpu(prog: Program): Generator<number> {
  return forEachCpu(cpuOnlineMask(prog));
}

/**
 * Iterates over the present CPUs.
 *
 * @param prog the program
 * @returns an iterator of CPU numbers
 *
 * @example
 * ```ts
 * import { forEachPresentCpu } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachPresentCpu(prog)].join() !== "0,1") throw new Error();
 * ```
 */
export function forEachPresentCpu(prog: Program): Generator<number> {
  return forEachCpu(cpuPresentMask(prog));
}

/**
 * A mask as a CPU list, the way the kernel prints one (`%*pbl`:
 * `0-3,8,10-11`; empty for an empty mask).
 *
 * @param mask `struct cpumask` (or `struct cpumask *`)
 * @returns the list
 *
 * @example
 * ```ts
 * import { cpumaskToCpulist } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (cpumaskToCpulist(prog.object("__cpu_online_mask")) !== "0-1") throw new Error();
 * ```
 */
export function cpumaskToCpulist(mask: TypedObject): string {
  const parts: string[] = [];
  let start = -1;
  let prev = -2;
  const flush = () => {
    if (start >= 0) parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  };
  for (const cpu of forEachCpu(mask)) {
    if (cpu !== prev + 1) {
      flush();
      start = cpu;
    }
    prev = cpu;
  }
  flush();
  return parts.join(",");
}

function count(it: Iterable<number>): number {
  let n = 0;
  for (const _ of it) n++;
  return n;
}

/**
 * The number of online CPUs (`num_online_cpus()`).
 *
 * @param prog the program
 * @returns the count
 *
 * @example
 * ```ts
 * import { numOnlineCpus } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (numOnlineCpus(prog) !== 2) throw new Error();
 * ```
 */
export function numOnlineCpus(prog: Program): number {
  return count(forEachOnlineCpu(prog));
}

/**
 * The number of possible CPUs (`num_possible_cpus()`).
 *
 * @param prog the program
 * @returns the count
 *
 * @example
 * ```ts
 * import { numPossibleCpus } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (numPossibleCpus(prog) !== 2) throw new Error();
 * ```
 */
export function numPossibleCpus(prog: Program): number {
  return count(forEachPossibleCpu(prog));
}

/**
 * The number of present CPUs (`num_present_cpus()`).
 *
 * @param prog the program
 * @returns the count
 *
 * @example
 * ```ts
 * import { numPresentCpus } from "./cpumask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (numPresentCpus(prog) !== 2) throw new Error();
 * ```
 */
export function numPresentCpus(prog: Program): number {
  return count(forEachPresentCpu(prog));
}
