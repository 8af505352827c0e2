/**
 * Helpers for memory and addresses usable with any program (drgn's
 * `drgn.helpers.common.memory`): what an address points to, and memory
 * dumps annotated with it.
 *
 * @module
 */

import { FaultError, isLookupError } from "../../lib/errors.ts";
import type { Program } from "../../lib/program/program.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { slabObjectInfo } from "../linux/slab.ts";
import { findVmapArea } from "../linux/mm.ts";
import { forEachTask } from "../linux/pid.ts";
import { escapeAsciiString } from "./format.ts";
import { type IntegerLike, progAndValue, toBigInt, wordValue } from "./_args.ts";

/** Options of {@link identifyAddress}. */
export interface IdentifyOptions {
  /**
   * A cache for expensive lookups (the task of each vmap stack), shared by
   * calls made close together: pass the same empty `Map` to each. Do not
   * keep it for long on a live kernel (results go stale).
   */
  cache?: Map<string, unknown>;
}

const SYMBOL_KIND: Record<string, string> = {
  OBJECT: "object symbol",
  FUNC: "function symbol",
};

function hex(v: bigint): string {
  return "0x" + v.toString(16);
}

/** The first kernel-half address (5-level paging's; 4-level kernel addresses are above it too). */
const KERNEL_HALF = 0xff00000000000000n;

/** Maps each task's stack `struct vm_struct *` to the task. */
function stackOwners(prog: Program, cache?: Map<string, unknown>): Map<bigint, TypedObject> {
  const hit = cache?.get("stack_vm_area_to_task") as Map<bigint, TypedObject> | undefined;
  if (hit !== undefined) return hit;
  const owners = new Map<bigint, TypedObject>();
  for (const task of forEachTask(prog)) {
    if (!task.hasMember_("stack_vm_area")) break; // no CONFIG_VMAP_STACK
    try {
      owners.set(toBigInt(task.member_("stack_vm_area")), task);
    } catch (e) {
      if (!(e instanceof FaultError)) throw e;
    }
  }
  cache?.set("stack_vm_area_to_task", owners);
  return owners;
}

function identifyVmap(prog: Program, addr: bigint, cache?: Map<string, unknown>): string | null {
  let va: TypedObject | null;
  try {
    va = findVmapArea(prog, addr);
  } catch (e) {
    if (e instanceof FaultError || isLookupError(e)) return null;
    throw e;
  }
  if (va === null) return null;
  const vm = va.member_("vm").read_();
  const vmAddr = toBigInt(vm);
  if (vmAddr === 0n) return null;
  const task = stackOwners(prog, cache).get(vmAddr);
  if (task !== undefined) {
    const comm = escapeAsciiString(task.member_("comm").stringBytes_(), { escapeBackslash: true });
    return `vmap stack: ${task.member_("pid").value_()} (${comm}) +${
      hex(addr - toBigInt(task.member_("stack")))
    }`;
  }
  let caller = "";
  const callerAddr = toBigInt(vm.member_("caller"));
  try {
    const sym = prog.symbol(callerAddr);
    caller = ` caller ${sym.name}+${hex(callerAddr - sym.address)}`;
  } catch (e) {
    if (!isLookupError(e)) throw e;
  }
  return `vmap: ${hex(toBigInt(va.member_("va_start")))}-${
    hex(toBigInt(va.member_("va_end")))
  }${caller}`;
}

/**
 * Says what an address points to, in drgn's words:
 *
 * - `object symbol: NAME+0xOFF`, `function symbol: NAME+0xOFF`, or
 *   `symbol: NAME+0xOFF` for an address in an ELF symbol;
 * - for the Linux kernel, `slab object: CACHE+0xOFF` (or `free slab
 *   object: …`) for an address in a slab object, and, for addresses drgn
 *   0.0.22 leaves unidentified, `vmap stack: PID (COMM) +0xOFF` for a task's
 *   kernel stack and `vmap: 0xSTART-0xEND caller FUNC+0xOFF` for other
 *   vmalloc areas (the wording of later drgn releases).
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @param options A lookup cache for many calls in a row.
 * @returns The description, or null if the address is not recognized.
 *
 * @example
 * ```ts
 * import { identifyAddress } from "./memory.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const a = prog.object("init_task").addressOf_().value_() + 0x10n;
 * if (identifyAddress(prog, a) !== "object symbol: init_task+0x10") throw new Error();
 * ```
 */
export function identifyAddress(
  progOrAddr: Program | TypedObject,
  addr?: IntegerLike,
  options: IdentifyOptions = {},
): string | null {
  const [prog, a] = progAndValue(progOrAddr, addr);
  const kernel = prog.flags.isLinuxKernel;
  if (kernel) {
    const slab = slabObjectInfo(prog, a);
    if (slab !== null) {
      const name = escapeAsciiString(slab.slabCache.member_("name").stringBytes_(), {
        escapeBackslash: true,
      });
      return `${slab.allocated ? "" : "free "}slab object: ${name}+${hex(a - slab.address)}`;
    }
  }
  try {
    const sym = prog.symbol(a);
    return `${SYMBOL_KIND[sym.kind] ?? "symbol"}: ${sym.name}+${hex(a - sym.address)}`;
  } catch (e) {
    if (!isLookupError(e)) throw e;
  }
  if (kernel && a >= KERNEL_HALF) return identifyVmap(prog, a, options.cache);
  return null;
}

/**
 * Prints memory as words with what each word points to (drgn's
 * `print_annotated_memory()`):
 *
 * ```text
 * ADDRESS           VALUE
 * ffffffff963eb218: ffff8881042948e0 [slab object: mnt_cache+0x20]
 * ```
 *
 * @param prog The program.
 * @param address The first address.
 * @param size How many bytes (a trailing partial word is printed as is).
 * @param physical Whether `address` is physical.
 * @param write Where lines go (default `console.log`).
 * @throws {FaultError} If the memory cannot be read.
 *
 * @example
 * ```ts
 * import { printAnnotatedMemory } from "./memory.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const lines: string[] = [];
 * printAnnotatedMemory(prog, prog.object("init_task").addressOf_().value_(), 16, false, (l) => lines.push(l));
 * if (lines.length !== 3 || lines[0] !== "ADDRESS           VALUE") throw new Error();
 * ```
 */
export function printAnnotatedMemory(
  prog: Program,
  address: IntegerLike,
  size: number,
  physical = false,
  write: (line: string) => void = console.log,
): void {
  const start = toBigInt(address);
  const mem = prog.read(start, size, physical);
  const word = prog.platform.wordSize;
  const le = prog.platform.littleEndian;
  const digits = word * 2;
  write(word === 8 ? "ADDRESS           VALUE" : "ADDRESS   VALUE");
  const cache = new Map<string, unknown>();
  for (let off = 0; off < mem.length; off += word) {
    const value = wordValue(mem.subarray(off, off + word), le);
    const what = identifyAddress(prog, value, { cache });
    write(
      `${(start + BigInt(off)).toString(16).padStart(digits, "0")}: ${
        value.toString(16).padStart(digits, "0")
      }${what === null ? "" : ` [${what}]`}`,
    );
  }
}
