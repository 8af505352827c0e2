/**
 * Memory management helpers (drgn's `drgn.helpers.linux.mm`), x86-64:
 * conversions between page frame numbers, `struct page *`, physical and
 * directly mapped virtual addresses; page flags and compound pages; a
 * process's page tables (`followPhys`) and user memory (`accessRemoteVm`,
 * `cmdline`, `environ`); VMAs and vmap areas.
 *
 * The direct map base (`page_offset_base`) and the `struct page` array
 * (`vmemmap_base`) move with KASLR: they are read from the kernel's
 * variables (the `PAGE_OFFSET` and `vmemmap` objects of the kernel target),
 * with the fixed x86-64 defaults when the variables do not exist.
 *
 * @module
 */

import { FaultError, LookupError } from "../../lib/errors.ts";
import { FindObjectFlags, type Program } from "../../lib/program/program.ts";
import { newValue, type TypedObject } from "../../lib/object/typed_object.ts";
import { containerOf } from "../../lib/object/operators.ts";
import { kernelInfo, START_KERNEL_MAP } from "../../lib/linux/kernel.ts";
import { X86PageTable } from "../../lib/linux/page_table.ts";
import { decodeEnumTypeFlags } from "../common/format.ts";
import { mtForEach } from "./mapletree.ts";
import { type IntegerLike, progAndValue, progOf, toBigInt } from "../common/_args.ts";

// ---------------------------------------------------------------------------
// Per-program facts

interface MmInfo {
  directMap: bigint;
  vmemmap: bigint;
  pageSize: bigint;
  pageShift: bigint;
  structPageSize: bigint;
  levels: 4 | 5;
  /** End of the kernel image area, for virtToPhys of image addresses. */
  imageEnd: bigint;
  physBase: bigint;
  flagBits: Map<string, bigint | null>;
}

const infos = new WeakMap<Program, MmInfo>();

function l5(prog: Program): boolean {
  const k = kernelInfo(prog);
  if (k.pageTable !== null) return k.pageTable.levels === 5;
  return k.vmcoreinfo.pgtableL5Enabled;
}

function mmInfo(prog: Program): MmInfo {
  let m = infos.get(prog);
  if (m !== undefined) return m;
  const k = kernelInfo(prog);
  const five = l5(prog);
  // The kernel's constant, else the memory layout's default without KASLR
  // with 5- or 4-level paging (Documentation/x86/x86_64/mm.rst).
  const constantOr = (name: string, la57: bigint, classic: bigint): bigint => {
    const o = prog.tryObject(name, FindObjectFlags.CONSTANT);
    return o !== null ? BigInt.asUintN(64, o.value_() as bigint) : five ? la57 : classic;
  };
  const directMap = constantOr("PAGE_OFFSET", 0xff11000000000000n, 0xffff888000000000n);
  const vmemmap = constantOr("vmemmap", 0xffd4000000000000n, 0xffffea0000000000n);
  // The kernel image area: KERNEL_IMAGE_SIZE from VMCOREINFO (1 GiB with
  // KASLR, 512 MiB without), where the module area starts.
  const imageEnd = START_KERNEL_MAP + (k.vmcoreinfo.number("KERNEL_IMAGE_SIZE") ?? (1n << 30n));
  const pageSize = BigInt(k.vmcoreinfo.pageSize);
  m = {
    directMap,
    vmemmap,
    pageSize,
    pageShift: BigInt(k.vmcoreinfo.pageShift),
    structPageSize: BigInt(prog.type("struct page").size ?? 64),
    levels: five ? 5 : 4,
    imageEnd,
    physBase: k.vmcoreinfo.physBase ?? 0n,
    flagBits: new Map(),
  };
  if (!prog.flags.isLive) infos.set(prog, m);
  return m;
}

/** The bit number of a `PG_*` page flag, or null if the kernel has no such flag. */
function flagBit(prog: Program, name: string): bigint | null {
  const m = mmInfo(prog);
  let b = m.flagBits.get(name);
  if (b === undefined) {
    const c = prog.tryObject(name, FindObjectFlags.CONSTANT);
    b = c === null ? null : BigInt(c.value_());
    m.flagBits.set(name, b);
  }
  return b;
}

function pageFlags(page: TypedObject): bigint {
  return BigInt.asUintN(64, BigInt(page.member_("flags").value_()));
}

function ulong(prog: Program, v: bigint): TypedObject {
  return newValue(prog, prog.primitiveType("unsigned long"), BigInt.asUintN(64, v));
}

function physAddrT(prog: Program, v: bigint): TypedObject {
  let t;
  try {
    t = prog.type("phys_addr_t");
  } catch {
    t = prog.primitiveType("unsigned long long");
  }
  return newValue(prog, t, BigInt.asUintN(64, v));
}

function voidPtr(prog: Program, v: bigint): TypedObject {
  return newValue(prog, prog.type("void *"), BigInt.asUintN(64, v));
}

function pagePtr(prog: Program, v: bigint): TypedObject {
  return newValue(prog, prog.type("struct page *"), BigInt.asUintN(64, v));
}

// ---------------------------------------------------------------------------
// Address conversions

/**
 * The physical address of a page frame number (`PFN_PHYS()`).
 *
 * @param progOrPfn The program, or the PFN as an `unsigned long` object.
 * @param pfn The PFN, when the first argument is the program.
 * @returns `phys_addr_t`
 *
 * @example
 * ```ts ignore
 * PFN_PHYS(prog, 0x1234).value_(); // 0x1234000n
 * ```
 */
export function PFN_PHYS(progOrPfn: Program | TypedObject, pfn?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrPfn, pfn, "pfn");
  return physAddrT(prog, v << mmInfo(prog).pageShift);
}

/**
 * The page frame number of a physical address (`PHYS_PFN()`).
 *
 * @param progOrAddr The program, or the address as a `phys_addr_t` object.
 * @param addr The address, when the first argument is the program.
 * @returns `unsigned long`
 *
 * @example
 * ```ts ignore
 * PHYS_PFN(prog, 0x1234567).value_(); // 0x1234n
 * ```
 */
export function PHYS_PFN(progOrAddr: Program | TypedObject, addr?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrAddr, addr);
  return ulong(prog, v >> mmInfo(prog).pageShift);
}

/**
 * The `struct page` of a page frame number (`vmemmap + pfn`).
 *
 * @param progOrPfn The program, or the PFN as an `unsigned long` object.
 * @param pfn The PFN, when the first argument is the program.
 * @returns `struct page *`
 *
 * @example
 * ```ts
 * import { pageToPfn, pfnToPage } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const page = pfnToPage(prog, 0x1234);
 * if (pageToPfn(page).value_() !== 0x1234n) throw new Error();
 * ```
 */
export function pfnToPage(progOrPfn: Program | TypedObject, pfn?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrPfn, pfn, "pfn");
  const m = mmInfo(prog);
  return pagePtr(prog, m.vmemmap + v * m.structPageSize);
}

/**
 * The page frame number of a `struct page` (`page - vmemmap`).
 *
 * @param page `struct page *`
 * @returns `unsigned long`
 *
 * @example
 * ```ts
 * import { pageToPfn, virtToPage } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const page = virtToPage(prog.object("init_task").tasks.next);
 * if (pageToPfn(page).value_() !== 0x1212n) throw new Error();
 * ```
 */
export function pageToPfn(page: TypedObject): TypedObject {
  const prog = progOf(page);
  const m = mmInfo(prog);
  const delta = BigInt.asIntN(64, toBigInt(page) - m.vmemmap);
  return ulong(prog, delta / m.structPageSize);
}

/**
 * The physical address of a page.
 *
 * @param page `struct page *`
 * @returns `phys_addr_t`
 *
 * @example
 * ```ts ignore
 * pageToPhys(page);
 * ```
 */
export function pageToPhys(page: TypedObject): TypedObject {
  return PFN_PHYS(pageToPfn(page));
}

/**
 * The directly mapped virtual address of a page.
 *
 * @param page `struct page *`
 * @returns `void *`
 *
 * @example
 * ```ts
 * import { pageToVirt, pfnToPage } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * // The direct map starts at page_offset_base (KASLR moves it).
 * const base = prog.object("page_offset_base").value_() as bigint;
 * if (pageToVirt(pfnToPage(prog, 1)).value_() !== base + 0x1000n) throw new Error();
 * ```
 */
export function pageToVirt(page: TypedObject): TypedObject {
  return pfnToVirt(pageToPfn(page));
}

/**
 * The directly mapped virtual address of a page frame number.
 *
 * @param progOrPfn The program, or the PFN as an `unsigned long` object.
 * @param pfn The PFN, when the first argument is the program.
 * @returns `void *`
 *
 * @example
 * ```ts ignore
 * pfnToVirt(prog, 0x1000);
 * ```
 */
export function pfnToVirt(progOrPfn: Program | TypedObject, pfn?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrPfn, pfn, "pfn");
  const m = mmInfo(prog);
  return voidPtr(prog, (v << m.pageShift) + m.directMap);
}

/**
 * The directly mapped virtual address of a physical address
 * (`addr + PAGE_OFFSET`).
 *
 * @param progOrAddr The program, or the address as a `phys_addr_t` object.
 * @param addr The address, when the first argument is the program.
 * @returns `void *`
 *
 * @example
 * ```ts
 * import { physToVirt, virtToPhys } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const virt = physToVirt(prog, 0x100000);
 * if (virtToPhys(virt).value_() !== 0x100000n) throw new Error();
 * ```
 */
export function physToVirt(progOrAddr: Program | TypedObject, addr?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrAddr, addr);
  return voidPtr(prog, v + mmInfo(prog).directMap);
}

/**
 * The page containing a physical address.
 *
 * @param progOrAddr The program, or the address as a `phys_addr_t` object.
 * @param addr The address, when the first argument is the program.
 * @returns `struct page *`
 *
 * @example
 * ```ts ignore
 * physToPage(prog, 0x100000);
 * ```
 */
export function physToPage(progOrAddr: Program | TypedObject, addr?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrAddr, addr);
  return pfnToPage(prog, v >> mmInfo(prog).pageShift);
}

/**
 * The physical address of a kernel virtual address: a directly mapped
 * address (`addr - PAGE_OFFSET`) or, as the kernel's `__phys_addr()` does,
 * an address in the kernel image (`addr - __START_KERNEL_map + phys_base`;
 * drgn 0.0.22 handles only the direct map).
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @returns `unsigned long` (as drgn types it)
 *
 * @example
 * ```ts
 * import { virtToPhys } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * // A directly mapped address (PID 1's task_struct) and a kernel image address.
 * if (virtToPhys(prog.object("init_task").tasks.next).value_() !== 0x1212990n) throw new Error();
 * if (virtToPhys(prog.object("init_task").addressOf_()).value_() !== 0x701aa40n) throw new Error();
 * ```
 */
export function virtToPhys(progOrAddr: Program | TypedObject, addr?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrAddr, addr);
  return ulong(prog, virtToPhysValue(prog, v));
}

function virtToPhysValue(prog: Program, v: bigint): bigint {
  const m = mmInfo(prog);
  if (v >= START_KERNEL_MAP && v < m.imageEnd) {
    return BigInt.asUintN(64, v - START_KERNEL_MAP + m.physBase);
  }
  return BigInt.asUintN(64, v - m.directMap);
}

/**
 * The page frame number of a kernel virtual address (see {@link virtToPhys}).
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @returns `unsigned long`
 *
 * @example
 * ```ts ignore
 * virtToPfn(prog, 0xffff888001000000n);
 * ```
 */
export function virtToPfn(progOrAddr: Program | TypedObject, addr?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrAddr, addr);
  return ulong(prog, virtToPhysValue(prog, v) >> mmInfo(prog).pageShift);
}

/**
 * The page containing a kernel virtual address (see {@link virtToPhys}).
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @returns `struct page *`
 *
 * @example
 * ```ts
 * import { decodePageFlags, compoundHead, virtToPage } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const page = virtToPage(prog.object("init_task").tasks.next);
 * if (decodePageFlags(compoundHead(page)) !== "PG_slab|PG_head") throw new Error();
 * ```
 */
export function virtToPage(progOrAddr: Program | TypedObject, addr?: IntegerLike): TypedObject {
  const [prog, v] = progAndValue(progOrAddr, addr);
  return pfnToPage(prog, virtToPhysValue(prog, v) >> mmInfo(prog).pageShift);
}

// ---------------------------------------------------------------------------
// Page tables and user memory

const tables = new WeakMap<Program, Map<bigint, X86PageTable>>();

/** The page table of `mm` (cached per pgd for dumps). */
function mmPageTable(mm: TypedObject): X86PageTable {
  const prog = progOf(mm);
  const pgd = toBigInt(mm.member_("pgd"));
  if (pgd === 0n) throw new FaultError("mm has no page table (pgd is NULL)", pgd);
  let byPgd = tables.get(prog);
  const hit = byPgd?.get(pgd);
  if (hit !== undefined) return hit;
  const m = mmInfo(prog);
  const root = virtToPhysValue(prog, pgd);
  const pt = new X86PageTable(root, m.levels, (paddr) => prog.read(paddr, 4096, true));
  if (!prog.flags.isLive) {
    if (byPgd === undefined) {
      byPgd = new Map();
      tables.set(prog, byPgd);
    }
    if (byPgd.size > 256) byPgd.clear();
    byPgd.set(pgd, pt);
  }
  return pt;
}

function translate(mm: TypedObject, address: bigint): bigint {
  const t = mmPageTable(mm).translate(BigInt.asUintN(64, address));
  if (t === null) throw new FaultError("address is not mapped", BigInt.asUintN(64, address));
  return t.paddr;
}

/**
 * The physical address that a virtual address maps to in an address space,
 * by walking `mm->pgd` (4- or 5-level paging, huge pages included).
 *
 * @param mm `struct mm_struct *` (`prog.object("init_mm").addressOf_()` for
 *   kernel addresses)
 * @param address The virtual address.
 * @returns `phys_addr_t`
 * @throws {FaultError} If the address is not mapped (with the virtual
 *   address) or a page table cannot be read (with its physical address).
 *
 * @example
 * ```ts
 * import { followPhys, virtToPhys } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * // Kernel addresses through the kernel's page tables (init_mm).
 * const initMm = prog.object("init_mm").addressOf_();
 * const task = prog.object("init_task").tasks.next;
 * if (followPhys(initMm, task.value_()).value_() !== virtToPhys(task).value_()) throw new Error();
 * ```
 */
export function followPhys(mm: TypedObject, address: IntegerLike): TypedObject {
  return physAddrT(progOf(mm), translate(mm, toBigInt(address)));
}

/**
 * The page frame number that a virtual address maps to (see {@link followPhys}).
 *
 * @param mm `struct mm_struct *`
 * @param address The virtual address.
 * @returns `unsigned long`
 *
 * @example
 * ```ts ignore
 * followPfn(task.mm, 0x400000);
 * ```
 */
export function followPfn(mm: TypedObject, address: IntegerLike): TypedObject {
  const prog = progOf(mm);
  return ulong(prog, translate(mm, toBigInt(address)) >> mmInfo(prog).pageShift);
}

/**
 * The page that a virtual address maps to (see {@link followPhys}).
 *
 * @param mm `struct mm_struct *`
 * @param address The virtual address.
 * @returns `struct page *`
 *
 * @example
 * ```ts ignore
 * followPage(task.mm, 0x400000);
 * ```
 */
export function followPage(mm: TypedObject, address: IntegerLike): TypedObject {
  const prog = progOf(mm);
  return pfnToPage(prog, translate(mm, toBigInt(address)) >> mmInfo(prog).pageShift);
}

/**
 * Reads memory of an address space through its page tables (drgn's
 * `access_remote_vm()`).
 *
 * @param mm `struct mm_struct *`
 * @param address The first virtual address.
 * @param size How many bytes.
 * @returns The bytes.
 * @throws {FaultError} If a page is not mapped (with the virtual address),
 *   or its memory is not in the dump, e.g. user pages excluded by
 *   `makedumpfile -d 31` (with the physical address, as drgn reports it).
 *
 * @example
 * ```ts
 * import { accessRemoteVm } from "./mm.ts";
 * import { findTask } from "./pid.ts";
 * import { FaultError } from "../../lib/errors.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * // This dump excludes user pages (makedumpfile -d 31): a FaultError at
 * // the page's physical address. On a full dump this reads "/bin/sh".
 * const mm = findTask(prog, 1).mm;
 * try {
 *   accessRemoteVm(mm, mm.arg_start.value_(), 8);
 *   throw new Error("user pages are excluded");
 * } catch (e) {
 *   if (!(e instanceof FaultError)) throw e;
 * }
 * ```
 */
export function accessRemoteVm(mm: TypedObject, address: IntegerLike, size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`);
  const prog = progOf(mm);
  const pt = mmPageTable(mm);
  const out = new Uint8Array(size);
  let a = toBigInt(address);
  let done = 0;
  while (done < size) {
    const t = pt.translate(a);
    if (t === null) throw new FaultError("address is not mapped", a);
    const inPage = t.pageSize - (t.paddr & (t.pageSize - 1n));
    const n = Math.min(size - done, Number(inPage));
    prog.memory.readInto(t.paddr, out, done, n, true);
    done += n;
    a = BigInt.asUintN(64, a + BigInt(n));
  }
  return out;
}

/**
 * Reads memory of a task's address space (see {@link accessRemoteVm}).
 *
 * @param task `struct task_struct *`
 * @param address The first virtual address.
 * @param size How many bytes.
 * @returns The bytes.
 *
 * @example
 * ```ts
 * import { accessProcessVm } from "./mm.ts";
 * import { findTask } from "./pid.ts";
 * import { FaultError } from "../../lib/errors.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const task = findTask(prog, 1);
 * try {
 *   accessProcessVm(task, task.mm.arg_start.value_(), 8);
 * } catch (e) {
 *   if (!(e instanceof FaultError)) throw e; // user pages are not in this dump
 * }
 * ```
 */
export function accessProcessVm(task: TypedObject, address: IntegerLike, size: number): Uint8Array {
  return accessRemoteVm(task.member_("mm"), address, size);
}

function splitNul(bytes: Uint8Array): string[] {
  const out: string[] = [];
  const dec = new TextDecoder();
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(dec.decode(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  // drgn drops what follows the last NUL (`split(b"\0")[:-1]`).
  return out;
}

function userStrings(task: TypedObject, start: string, end: string): string[] | null {
  const mm = task.member_("mm").read_();
  if (toBigInt(mm) === 0n) return null;
  const s = toBigInt(mm.member_(start));
  const e = toBigInt(mm.member_(end));
  if (e <= s) return [];
  if (e - s > 1n << 26n) throw new RangeError(`${start}..${end} spans ${e - s} bytes`);
  return splitNul(accessRemoteVm(mm, s, Number(e - s)));
}

/**
 * A task's command-line arguments, read from its memory
 * (`mm->arg_start..arg_end`), like `/proc/PID/cmdline`.
 *
 * @param task `struct task_struct *`
 * @returns The arguments, or null for a kernel thread (no `mm`).
 * @throws {FaultError} If the pages are not in the dump.
 *
 * @example
 * ```ts
 * import { cmdline } from "./mm.ts";
 * import { findTask } from "./pid.ts";
 * import { FaultError } from "../../lib/errors.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (cmdline(findTask(prog, 2)) !== null) throw new Error(); // kthreadd: no mm
 * try {
 *   cmdline(findTask(prog, 1)); // ["/bin/sh", "/init"] on a dump with user pages
 * } catch (e) {
 *   if (!(e instanceof FaultError)) throw e;
 * }
 * ```
 */
export function cmdline(task: TypedObject): string[] | null {
  return userStrings(task, "arg_start", "arg_end");
}

/**
 * A task's environment variables (`mm->env_start..env_end`), like
 * `/proc/PID/environ`.
 *
 * @param task `struct task_struct *`
 * @returns `NAME=value` strings, or null for a kernel thread.
 * @throws {FaultError} If the pages are not in the dump.
 *
 * @example
 * ```ts
 * import { environ } from "./mm.ts";
 * import { findTask } from "./pid.ts";
 * import { FaultError } from "../../lib/errors.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * try {
 *   environ(findTask(prog, 1)); // ["HOME=/", "TERM=linux"] on a dump with user pages
 * } catch (e) {
 *   if (!(e instanceof FaultError)) throw e;
 * }
 * ```
 */
export function environ(task: TypedObject): string[] | null {
  return userStrings(task, "env_start", "env_end");
}

// ---------------------------------------------------------------------------
// VMAs

/** Upper bound on VMAs walked per address space (the kernel's default max_map_count is 65530). */
const MAX_VMAS = 1 << 22;

/**
 * The VMAs of an address space in address order: the maple tree
 * `mm->mm_mt` (Linux kernel commit 524e00b36e8c ("mm: remove rb tree.")
 * (in v6.1) removed the older structures), or the `mm->mmap` list before.
 *
 * @param mm `struct mm_struct *`
 * @returns Iterator of `struct vm_area_struct *`.
 *
 * @example
 * ```ts
 * import { forEachVma } from "./mm.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const vmas = [...forEachVma(findTask(prog, 1).mm)];
 * if (vmas[0]!.vm_start.value_() !== 0x400000n || vmas.length !== 10) throw new Error();
 * ```
 */
export function* forEachVma(mm: TypedObject): IterableIterator<TypedObject> {
  const prog = progOf(mm);
  const vmaPtr = prog.type("struct vm_area_struct *");
  if (mm.hasMember_("mm_mt")) {
    for (const [, , entry] of mtForEach(mm.member_("mm_mt").addressOf_())) {
      yield newValue(prog, vmaPtr, toBigInt(entry));
    }
    return;
  }
  let vma = mm.member_("mmap").read_();
  const seen = new Set<bigint>();
  while (toBigInt(vma) !== 0n) {
    const a = toBigInt(vma);
    if (seen.has(a) || seen.size >= MAX_VMAS) {
      throw new FaultError("VMA list has a cycle", a);
    }
    seen.add(a);
    yield vma;
    vma = vma.member_("vm_next").read_();
  }
}

/**
 * The VMA containing an address, or null (drgn's `vma_find()`).
 *
 * @param mm `struct mm_struct *`
 * @param address The virtual address.
 * @returns `struct vm_area_struct *` or null.
 *
 * @example
 * ```ts
 * import { vmaFind } from "./mm.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const mm = findTask(prog, 1).mm;
 * if (vmaFind(mm, 0x400123)?.vm_start.value_() !== 0x400000n) throw new Error();
 * ```
 */
export function vmaFind(mm: TypedObject, address: IntegerLike): TypedObject | null {
  const a = toBigInt(address);
  for (const vma of forEachVma(mm)) {
    const start = toBigInt(vma.member_("vm_start"));
    if (a < start) return null;
    if (a < toBigInt(vma.member_("vm_end"))) return vma;
  }
  return null;
}

// ---------------------------------------------------------------------------
// vmalloc areas

/**
 * The `struct vmap_area` containing an address (vmalloc, vmap stacks,
 * ioremap), or null: a search of the kernel's vmap area tree
 * (`vmap_area_root`, or each `vmap_nodes[i].busy.root` since the per-node
 * trees of v6.9).
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @returns `struct vmap_area *` or null.
 *
 * @example
 * ```ts ignore
 * findVmapArea(prog, findTask(prog, 1).stack.value_());
 * ```
 */
export function findVmapArea(
  progOrAddr: Program | TypedObject,
  addr?: IntegerLike,
): TypedObject | null {
  const [prog, a] = progAndValue(progOrAddr, addr);
  const roots: TypedObject[] = [];
  const root = prog.tryObject("vmap_area_root", FindObjectFlags.VARIABLE);
  if (root !== null) roots.push(root);
  else {
    const nodes = prog.tryObject("vmap_nodes", FindObjectFlags.VARIABLE);
    const nr = prog.tryObject("nr_vmap_nodes", FindObjectFlags.VARIABLE);
    if (nodes === null) throw new LookupError("could not find 'vmap_area_root'", "object");
    const n = nr === null ? 1 : Number(nr.value_());
    for (let i = 0; i < n && i < 4096; i++) {
      roots.push(nodes.subscript_(i).member_("busy").member_("root"));
    }
  }
  const vaType = prog.type("struct vmap_area");
  for (const r of roots) {
    let node = toBigInt(r.member_("rb_node"));
    for (let depth = 0; node !== 0n; depth++) {
      if (depth > 128) throw new FaultError("vmap area tree too deep", node);
      const va = containerOf(
        newValue(prog, prog.type("struct rb_node *"), node),
        vaType,
        "rb_node",
      );
      const start = toBigInt(va.member_("va_start"));
      const end = toBigInt(va.member_("va_end"));
      if (a < start) node = toBigInt(va.member_("rb_node").member_("rb_left"));
      else if (a >= end) node = toBigInt(va.member_("rb_node").member_("rb_right"));
      else return va;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Page flags and compound pages

/** Whether the `PG_*` flag `name` is set (false if the kernel has no such flag). */
function testFlag(page: TypedObject, name: string): boolean {
  const bit = flagBit(progOf(page), name);
  if (bit === null) return false;
  return ((pageFlags(page) >> bit) & 1n) === 1n;
}

function pgHead(prog: Program): bigint {
  const b = flagBit(prog, "PG_head");
  if (b === null) throw new LookupError("could not find 'PG_head'", "object", "PG_head");
  return b;
}

// HugeTLB Vmemmap Optimization makes "fake" head pages that are tail pages
// (Linux kernel commit e7d324850bfc ("mm: hugetlb: free the 2nd vmemmap page
// associated with each HugeTLB page") (in v5.18)).
function isFakeHead(page: TypedObject): boolean {
  const next = page.subscript_(1).member_("compound_head").value_() as bigint;
  return (next & 1n) === 1n && next - 1n !== toBigInt(page);
}

/**
 * Whether a page is part of a compound page (a head or a tail).
 *
 * @param page `struct page *`
 * @returns Whether `PG_head` is set or `compound_head` has its tail bit.
 *
 * @example
 * ```ts ignore
 * PageCompound(page);
 * ```
 */
export function PageCompound(page: TypedObject): boolean {
  const p = page.read_();
  const prog = progOf(p);
  if (((pageFlags(p) >> pgHead(prog)) & 1n) === 1n) return true;
  return ((p.member_("compound_head").value_() as bigint) & 1n) === 1n;
}

/**
 * Whether a page is the head page of a compound page.
 *
 * @param page `struct page *`
 * @returns boolean
 *
 * @example
 * ```ts ignore
 * PageHead(page);
 * ```
 */
export function PageHead(page: TypedObject): boolean {
  const p = page.read_();
  return ((pageFlags(p) >> pgHead(progOf(p))) & 1n) === 1n && !isFakeHead(p);
}

/**
 * Whether a page is a tail page of a compound page.
 *
 * @param page `struct page *`
 * @returns boolean
 *
 * @example
 * ```ts ignore
 * PageTail(page);
 * ```
 */
export function PageTail(page: TypedObject): boolean {
  const p = page.read_();
  if (((p.member_("compound_head").value_() as bigint) & 1n) === 1n) return true;
  if (((pageFlags(p) >> pgHead(progOf(p))) & 1n) === 1n) return isFakeHead(p);
  return false;
}

/**
 * The head page of the compound page that `page` belongs to, or `page`
 * itself if it is not a tail page.
 *
 * @param page `struct page *`
 * @returns `struct page *`
 *
 * @example
 * ```ts ignore
 * compoundHead(virtToPage(task));
 * ```
 */
export function compoundHead(page: TypedObject): TypedObject {
  const p = page.read_();
  const prog = progOf(p);
  const head = p.member_("compound_head").value_() as bigint;
  if ((head & 1n) === 1n) return newValue(prog, p.type_, head - 1n);
  if (((pageFlags(p) >> pgHead(prog)) & 1n) === 1n) {
    const h = p.subscript_(1).member_("compound_head").value_() as bigint;
    if ((h & 1n) === 1n) return newValue(prog, p.type_, h - 1n);
  }
  return p;
}

/** The order stored in a compound page's first tail page. */
function tailOrder(page: TypedObject): number {
  const tail = page.subscript_(1);
  if (tail.hasMember_("compound_order")) return Number(tail.member_("compound_order").value_());
  const prog = progOf(page);
  const folio = prog.findTypeByKind("struct", "folio");
  if (folio !== null && folio.hasMember("_folio_order")) {
    const f = newValue(prog, prog.pointerType(folio), toBigInt(page));
    return Number(f.member_("_folio_order").value_());
  }
  // Newer kernels keep the order in the low byte of the first tail page's flags.
  return Number(pageFlags(tail) & 0xffn);
}

/**
 * The allocation order of a (possibly compound) page: 0 unless `page` is a
 * head page.
 *
 * @param page `struct page *`
 * @returns `unsigned int`
 *
 * @example
 * ```ts ignore
 * compoundOrder(page).value_();
 * ```
 */
export function compoundOrder(page: TypedObject): TypedObject {
  const prog = progOf(page);
  const order = PageHead(page) ? tailOrder(page) : 0;
  return newValue(prog, prog.primitiveType("unsigned int"), BigInt(order));
}

/**
 * The number of pages in a (possibly compound) page: 1 unless `page` is a
 * head page.
 *
 * @param page `struct page *`
 * @returns `unsigned long`
 *
 * @example
 * ```ts ignore
 * compoundNr(page).value_();
 * ```
 */
export function compoundNr(page: TypedObject): TypedObject {
  const prog = progOf(page);
  const order = PageHead(page) ? tailOrder(page) : 0;
  return ulong(prog, 1n << BigInt(order));
}

/**
 * The size in bytes of a (possibly compound) page (`PAGE_SIZE << order`).
 *
 * @param page `struct page *`
 * @returns `unsigned long`
 *
 * @example
 * ```ts ignore
 * pageSize(page).value_(); // 4096n
 * ```
 */
export function pageSize(page: TypedObject): TypedObject {
  const prog = progOf(page);
  const order = PageHead(page) ? tailOrder(page) : 0;
  return ulong(prog, mmInfo(prog).pageSize << BigInt(order));
}

/**
 * The page's flags as names from `enum pageflags`, e.g.
 * `PG_referenced|PG_uptodate|PG_lru` (the node/zone/section bits in the
 * upper part of `page->flags` are masked off with `__NR_PAGEFLAGS`).
 *
 * @param page `struct page *`
 * @returns The decoded flags (see `decodeEnumTypeFlags`).
 *
 * @example
 * ```ts
 * import { decodePageFlags, pfnToPage } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (decodePageFlags(pfnToPage(prog, 0)) !== "PG_reserved") throw new Error();
 * ```
 */
export function decodePageFlags(page: TypedObject): string {
  const prog = progOf(page);
  const nr = prog.constant("__NR_PAGEFLAGS");
  const mask = (1n << BigInt(nr.value_())) - 1n;
  return decodeEnumTypeFlags(pageFlags(page) & mask, nr.type_);
}

/**
 * Every `struct page *` from `min_low_pfn` to `max_pfn`. Pages in holes of
 * the physical address space may not exist: reading them throws
 * {@link FaultError}.
 *
 * @param prog The kernel program.
 * @returns Iterator of `struct page *`.
 *
 * @example
 * ```ts ignore
 * let slab = 0;
 * for (const page of forEachPage(prog)) {
 *   try {
 *     if (PageSlab(page)) slab++;
 *   } catch (e) {
 *     if (!(e instanceof FaultError)) throw e;
 *   }
 * }
 * ```
 */
export function* forEachPage(prog: Program): IterableIterator<TypedObject> {
  const m = mmInfo(prog);
  const lo = toBigInt(prog.object("min_low_pfn"));
  const hi = toBigInt(prog.object("max_pfn"));
  const t = prog.type("struct page *");
  for (let pfn = lo; pfn < hi; pfn++) {
    yield newValue(prog, t, m.vmemmap + pfn * m.structPageSize);
  }
}

/**
 * The number of pages of RAM the kernel manages (`totalram_pages()`:
 * `_totalram_pages`, an `atomic_long_t` since Linux kernel commit
 * ca79b0c211af ("mm: convert totalram_pages and totalhigh_pages variables
 * to atomic") (in v5.0), or the older `totalram_pages` variable).
 *
 * @param prog The kernel program.
 * @returns The page count.
 *
 * @example
 * ```ts
 * import { totalramPages } from "./mm.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (totalramPages(prog) !== 52626n) throw new Error();
 * ```
 */
export function totalramPages(prog: Program): bigint {
  const v = prog.tryObject("_totalram_pages", FindObjectFlags.VARIABLE);
  if (v !== null) return toBigInt(v.member_("counter"));
  return toBigInt(prog.variable("totalram_pages"));
}

// ---------------------------------------------------------------------------
// PG_* flag tests (the kernel's PageXxx() for each flag of enum pageflags;
// false when the kernel does not have the flag).

/**
 * Whether `PG_active` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageActive(page);
 * ```
 */
export function PageActive(page: TypedObject): boolean {
  return testFlag(page, "PG_active");
}
/**
 * Whether `PG_checked` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageChecked(page);
 * ```
 */
export function PageChecked(page: TypedObject): boolean {
  return testFlag(page, "PG_checked");
}
/**
 * Whether `PG_dirty` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageDirty(page);
 * ```
 */
export function PageDirty(page: TypedObject): boolean {
  return testFlag(page, "PG_dirty");
}
/**
 * Whether `PG_double_map` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageDoubleMap(page);
 * ```
 */
export function PageDoubleMap(page: TypedObject): boolean {
  return testFlag(page, "PG_double_map");
}
/**
 * Whether `PG_error` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageError(page);
 * ```
 */
export function PageError(page: TypedObject): boolean {
  return testFlag(page, "PG_error");
}
/**
 * Whether `PG_foreign` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageForeign(page);
 * ```
 */
export function PageForeign(page: TypedObject): boolean {
  return testFlag(page, "PG_foreign");
}
/**
 * Whether `PG_hwpoison` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageHWPoison(page);
 * ```
 */
export function PageHWPoison(page: TypedObject): boolean {
  return testFlag(page, "PG_hwpoison");
}
/**
 * Whether `PG_has_hwpoisoned` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageHasHWPoisoned(page);
 * ```
 */
export function PageHasHWPoisoned(page: TypedObject): boolean {
  return testFlag(page, "PG_has_hwpoisoned");
}
/**
 * Whether `PG_idle` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageIdle(page);
 * ```
 */
export function PageIdle(page: TypedObject): boolean {
  return testFlag(page, "PG_idle");
}
/**
 * Whether `PG_isolated` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageIsolated(page);
 * ```
 */
export function PageIsolated(page: TypedObject): boolean {
  return testFlag(page, "PG_isolated");
}
/**
 * Whether `PG_lru` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageLRU(page);
 * ```
 */
export function PageLRU(page: TypedObject): boolean {
  return testFlag(page, "PG_lru");
}
/**
 * Whether `PG_locked` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageLocked(page);
 * ```
 */
export function PageLocked(page: TypedObject): boolean {
  return testFlag(page, "PG_locked");
}
/**
 * Whether `PG_mappedtodisk` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageMappedToDisk(page);
 * ```
 */
export function PageMappedToDisk(page: TypedObject): boolean {
  return testFlag(page, "PG_mappedtodisk");
}
/**
 * Whether `PG_mlocked` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageMlocked(page);
 * ```
 */
export function PageMlocked(page: TypedObject): boolean {
  return testFlag(page, "PG_mlocked");
}
/**
 * Whether `PG_owner_priv_1` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageOwnerPriv1(page);
 * ```
 */
export function PageOwnerPriv1(page: TypedObject): boolean {
  return testFlag(page, "PG_owner_priv_1");
}
/**
 * Whether `PG_pinned` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PagePinned(page);
 * ```
 */
export function PagePinned(page: TypedObject): boolean {
  return testFlag(page, "PG_pinned");
}
/**
 * Whether `PG_private` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PagePrivate(page);
 * ```
 */
export function PagePrivate(page: TypedObject): boolean {
  return testFlag(page, "PG_private");
}
/**
 * Whether `PG_private_2` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PagePrivate2(page);
 * ```
 */
export function PagePrivate2(page: TypedObject): boolean {
  return testFlag(page, "PG_private_2");
}
/**
 * Whether `PG_readahead` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageReadahead(page);
 * ```
 */
export function PageReadahead(page: TypedObject): boolean {
  return testFlag(page, "PG_readahead");
}
/**
 * Whether `PG_reclaim` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageReclaim(page);
 * ```
 */
export function PageReclaim(page: TypedObject): boolean {
  return testFlag(page, "PG_reclaim");
}
/**
 * Whether `PG_referenced` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageReferenced(page);
 * ```
 */
export function PageReferenced(page: TypedObject): boolean {
  return testFlag(page, "PG_referenced");
}
/**
 * Whether `PG_reported` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageReported(page);
 * ```
 */
export function PageReported(page: TypedObject): boolean {
  return testFlag(page, "PG_reported");
}
/**
 * Whether `PG_reserved` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageReserved(page);
 * ```
 */
export function PageReserved(page: TypedObject): boolean {
  return testFlag(page, "PG_reserved");
}
/**
 * Whether `PG_savepinned` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageSavePinned(page);
 * ```
 */
export function PageSavePinned(page: TypedObject): boolean {
  return testFlag(page, "PG_savepinned");
}
/**
 * Whether `PG_skip_kasan_poison` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageSkipKASanPoison(page);
 * ```
 */
export function PageSkipKASanPoison(page: TypedObject): boolean {
  return testFlag(page, "PG_skip_kasan_poison");
}
/**
 * Whether `PG_slab` is set on a page: the page belongs to the slab allocator.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageSlab(virtToPage(task));
 * ```
 */
export function PageSlab(page: TypedObject): boolean {
  return testFlag(page, "PG_slab");
}
/**
 * Whether `PG_slob_free` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageSlobFree(page);
 * ```
 */
export function PageSlobFree(page: TypedObject): boolean {
  return testFlag(page, "PG_slob_free");
}
/**
 * Whether `PG_swapbacked` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageSwapBacked(page);
 * ```
 */
export function PageSwapBacked(page: TypedObject): boolean {
  return testFlag(page, "PG_swapbacked");
}
/**
 * Whether `PG_uncached` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageUncached(page);
 * ```
 */
export function PageUncached(page: TypedObject): boolean {
  return testFlag(page, "PG_uncached");
}
/**
 * Whether `PG_unevictable` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageUnevictable(page);
 * ```
 */
export function PageUnevictable(page: TypedObject): boolean {
  return testFlag(page, "PG_unevictable");
}
/**
 * Whether `PG_uptodate` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageUptodate(page);
 * ```
 */
export function PageUptodate(page: TypedObject): boolean {
  return testFlag(page, "PG_uptodate");
}
/**
 * Whether `PG_vmemmap_self_hosted` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageVmemmapSelfHosted(page);
 * ```
 */
export function PageVmemmapSelfHosted(page: TypedObject): boolean {
  return testFlag(page, "PG_vmemmap_self_hosted");
}
/**
 * Whether `PG_waiters` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageWaiters(page);
 * ```
 */
export function PageWaiters(page: TypedObject): boolean {
  return testFlag(page, "PG_waiters");
}
/**
 * Whether `PG_workingset` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageWorkingset(page);
 * ```
 */
export function PageWorkingset(page: TypedObject): boolean {
  return testFlag(page, "PG_workingset");
}
/**
 * Whether `PG_writeback` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageWriteback(page);
 * ```
 */
export function PageWriteback(page: TypedObject): boolean {
  return testFlag(page, "PG_writeback");
}
/**
 * Whether `PG_xen_remapped` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageXenRemapped(page);
 * ```
 */
export function PageXenRemapped(page: TypedObject): boolean {
  return testFlag(page, "PG_xen_remapped");
}
/**
 * Whether `PG_young` is set on a page.
 * @param page `struct page *`
 * @returns boolean
 * @example
 * ```ts ignore
 * PageYoung(page);
 * ```
 */
export function PageYoung(page: TypedObject): boolean {
  return testFlag(page, "PG_young");
}

/** Every `PageXxx` flag test with its `PG_*` name (for tests and tables). */
export const PAGE_FLAG_TESTS: ReadonlyArray<readonly [string, (page: TypedObject) => boolean]> = [
  ["PG_active", PageActive],
  ["PG_checked", PageChecked],
  ["PG_dirty", PageDirty],
  ["PG_double_map", PageDoubleMap],
  ["PG_error", PageError],
  ["PG_foreign", PageForeign],
  ["PG_hwpoison", PageHWPoison],
  ["PG_has_hwpoisoned", PageHasHWPoisoned],
  ["PG_idle", PageIdle],
  ["PG_isolated", PageIsolated],
  ["PG_lru", PageLRU],
  ["PG_locked", PageLocked],
  ["PG_mappedtodisk", PageMappedToDisk],
  ["PG_mlocked", PageMlocked],
  ["PG_owner_priv_1", PageOwnerPriv1],
  ["PG_pinned", PagePinned],
  ["PG_private", PagePrivate],
  ["PG_private_2", PagePrivate2],
  ["PG_readahead", PageReadahead],
  ["PG_reclaim", PageReclaim],
  ["PG_referenced", PageReferenced],
  ["PG_reported", PageReported],
  ["PG_reserved", PageReserved],
  ["PG_savepinned", PageSavePinned],
  ["PG_skip_kasan_poison", PageSkipKASanPoison],
  ["PG_slab", PageSlab],
  ["PG_slob_free", PageSlobFree],
  ["PG_swapbacked", PageSwapBacked],
  ["PG_uncached", PageUncached],
  ["PG_unevictable", PageUnevictable],
  ["PG_uptodate", PageUptodate],
  ["PG_vmemmap_self_hosted", PageVmemmapSelfHosted],
  ["PG_waiters", PageWaiters],
  ["PG_workingset", PageWorkingset],
  ["PG_writeback", PageWriteback],
  ["PG_xen_remapped", PageXenRemapped],
  ["PG_young", PageYoung],
];

/** @internal For the slab helpers: mm facts without repeated lookups. */
export function _mmFacts(prog: Program): {
  directMap: bigint;
  vmemmap: bigint;
  pageShift: bigint;
  structPageSize: bigint;
} {
  const m = mmInfo(prog);
  return {
    directMap: m.directMap,
    vmemmap: m.vmemmap,
    pageShift: m.pageShift,
    structPageSize: m.structPageSize,
  };
}

/** @internal The bit number of a page flag, or null. */
export function _pageFlagBit(prog: Program, name: string): bigint | null {
  return flagBit(prog, name);
}
