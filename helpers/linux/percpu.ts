/**
 * Per-CPU variables and counters from the kernel's `include/linux/percpu.h`
 * and `include/linux/percpu_counter.h`, as drgn's
 * `drgn.helpers.linux.percpu`.
 *
 * A per-CPU variable's address (`&runqueues`) is an offset into each CPU's
 * per-CPU area, not relocated by KASLR; CPU `n`'s copy is at that offset
 * plus `__per_cpu_offset[n]`.
 *
 * @example CPU 1's runqueue
 * ```ts
 * import { perCpu } from "./percpu.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const rq = perCpu(prog.object("runqueues"), 1);
 * if (rq.curr.comm.string_() !== "kfix_spin") throw new Error();
 * ```
 *
 * @module
 */

import type { Program } from "../../lib/program/program.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { pointerObject, pointerValue, readWord } from "./_util.ts";
import { forEachOnlineCpu } from "./cpumask.ts";

/** `__per_cpu_offset` per program: its address, or null on a kernel without SMP. */
const offsetTables = new WeakMap<object, { address: bigint | null; length: number }>();

function perCpuOffset(prog: Program, cpu: number): bigint {
  let t = offsetTables.get(prog);
  if (!t) {
    const o = prog.tryObject("__per_cpu_offset");
    // CPUs at or past nr_cpu_ids have no per-CPU area (their
    // __per_cpu_offset entries are unset, often excluded from dumps).
    const ids = prog.tryObject("nr_cpu_ids");
    const length = o === null ? 0 : o.type_.length ?? 0;
    t = o === null ? { address: null, length: 0 } : {
      address: o.address_!,
      length: ids === null ? length : Math.min(length, Number(ids.value_())),
    };
    offsetTables.set(prog, t);
  }
  if (t.address === null) return 0n;
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= t.length) {
    throw new RangeError(`invalid CPU ${cpu} (the kernel has ${t.length} CPU IDs)`);
  }
  const w = prog.platform.wordSize;
  return readWord(prog, t.address + BigInt(cpu * w), w);
}

/**
 * The address of CPU `cpu`'s copy of a per-CPU pointer (`per_cpu_ptr()`).
 *
 * @param ptr `type __percpu *` (a per-CPU pointer such as `&runqueues` or `fbc->counters`)
 * @param cpu the CPU number
 * @returns `type *`
 * @throws {RangeError} if `cpu` is not below `NR_CPUS`
 *
 * @example
 * ```ts
 * import { perCpuPtr } from "./percpu.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const rq = perCpuPtr(prog.object("runqueues").addressOf_(), 0);
 * if (rq.cpu.value_() !== 0) throw new Error();
 * ```
 */
export function perCpuPtr(ptr: TypedObject, cpu: number): TypedObject {
  const prog = ptr.prog_ as Program;
  const off = perCpuOffset(prog, cpu);
  return pointerObject(prog, ptr.type_, BigInt.asUintN(64, pointerValue(ptr) + off));
}

/**
 * CPU `cpu`'s copy of a per-CPU variable (`per_cpu()`).
 *
 * @param variable the per-CPU variable itself (`prog.object("runqueues")`, not a pointer)
 * @param cpu the CPU number
 * @returns a `type` reference object
 *
 * @example
 * ```ts
 * import { perCpu } from "./percpu.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (perCpu(prog.object("cpu_number"), 1).value_() !== 1) throw new Error();
 * ```
 */
export function perCpu(variable: TypedObject, cpu: number): TypedObject {
  return perCpuPtr(variable.addressOf_(), cpu).deref_();
}

/**
 * The value of a per-CPU counter: its shared count plus every online CPU's
 * delta (`percpu_counter_sum()`).
 *
 * @param fbc `struct percpu_counter *`
 * @returns the sum
 *
 * @example
 * ```ts
 * import { percpuCounterSum } from "./percpu.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (percpuCounterSum(prog.object("vm_committed_as").addressOf_()) <= 0n) throw new Error();
 * ```
 */
export function percpuCounterSum(fbc: TypedObject): bigint {
  const prog = fbc.prog_ as Program;
  let sum = BigInt(fbc.member_("count").value_());
  const counters = fbc.member_("counters");
  for (const cpu of forEachOnlineCpu(prog)) {
    sum += BigInt(perCpuPtr(counters, cpu).deref_().value_());
  }
  return sum;
}
