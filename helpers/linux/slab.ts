/**
 * Slab allocator helpers (drgn's `drgn.helpers.linux.slab`): the slab
 * caches, the objects allocated from one, and which cache and object an
 * address belongs to. SLUB and SLAB are supported (SLOB keeps too little
 * to tell objects apart).
 *
 * SLUB's free lists are singly linked through the free objects; with
 * `CONFIG_SLAB_FREELIST_HARDENED` (Debian's default) each stored pointer is
 * `ptr ^ s->random ^ swab(&stored)`, which {@link slabCacheForEachAllocatedObject}
 * decodes. An object counts as free if it is on its slab's free list or on
 * a CPU's lockless free list (`kmem_cache_cpu.freelist`), as drgn 0.0.22
 * decides. Slab pages are found by scanning `struct page`s for `PG_slab`,
 * like drgn; on a dump the scan happens once per program and is indexed
 * by cache.
 *
 * Beware of slab merging: caches of similar object sizes share one cache,
 * named after the first (see {@link slabCacheIsMerged}).
 *
 * @module
 */

import { FaultError, ValidationError } from "../../lib/errors.ts";
import type { Program } from "../../lib/program/program.ts";
import { newValue, type TypedObject } from "../../lib/object/typed_object.ts";
import { NULL } from "../../lib/object/operators.ts";
import type { Type } from "../../lib/types/type.ts";
import { readWord } from "./_util.ts";
import { listForEachEntry } from "./list.ts";
import { rbtreeInorderForEachEntry } from "./rbtree.ts";
import { forEachOnlineCpu } from "./cpumask.ts";
import { perCpuPtr } from "./percpu.ts";
import { _mmFacts, _pageFlagBit, compoundHead, PageSlab } from "./mm.ts";
import { escapeAsciiString } from "../common/format.ts";
import { type IntegerLike, progAndValue, progOf, toBigInt } from "../common/_args.ts";

// ---------------------------------------------------------------------------
// Caches

/**
 * Iterates over every slab cache (the `slab_caches` list).
 *
 * @param prog The kernel program.
 * @returns Iterator of `struct kmem_cache *`.
 *
 * @example
 * ```ts
 * import { forEachSlabCache } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const names = [...forEachSlabCache(prog)].map((s) => s.name.string_());
 * if (!names.includes("task_struct")) throw new Error(names.join());
 * ```
 */
export function forEachSlabCache(prog: Program): IterableIterator<TypedObject> {
  return listForEachEntry("struct kmem_cache", prog.object("slab_caches").addressOf_(), "list");
}

/**
 * The slab cache named `name`, or null.
 *
 * @param prog The kernel program.
 * @param name The cache name (`"dentry"`, `"kmalloc-64"`).
 * @returns `struct kmem_cache *` or null.
 *
 * @example
 * ```ts
 * import { findSlabCache } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (findSlabCache(prog, "task_struct")?.object_size.value_() !== 8392) throw new Error();
 * ```
 */
export function findSlabCache(prog: Program, name: string): TypedObject | null {
  for (const s of forEachSlabCache(prog)) {
    if (s.member_("name").string_() === name) return s;
  }
  return null;
}

/**
 * Whether a slab cache has been merged with other caches (its refcount is
 * above 1): objects of other types may share it, and only the first
 * cache's name is found.
 *
 * @param slabCache `struct kmem_cache *`
 * @returns boolean
 *
 * @example
 * ```ts
 * import { findSlabCache, slabCacheIsMerged } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (slabCacheIsMerged(findSlabCache(prog, "task_struct")!)) throw new Error();
 * ```
 */
export function slabCacheIsMerged(slabCache: TypedObject): boolean {
  return Number(slabCache.member_("refcount").value_()) > 1;
}

/**
 * Which caches were merged into which: a map from an original cache name to
 * the name of the cache it was merged into, rebuilt from SLUB's sysfs
 * symlinks under `/sys/kernel/slab` (needs `CONFIG_SLUB` and
 * `CONFIG_SYSFS`). Only caches merged into a cache of another name appear.
 *
 * @param prog The kernel program.
 * @returns Original name → merged cache name.
 * @throws {LookupError} If the kernel has no `slab_kset`.
 *
 * @example
 * ```ts
 * import { getSlabCacheAliases } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const aliases = getSlabCacheAliases(prog);
 * if (aliases.size === 0) throw new Error("Debian merges caches");
 * ```
 */
export function getSlabCacheAliases(prog: Program): Map<string, string> {
  const kset = prog.object("slab_kset");
  const link = BigInt(prog.constant("KERNFS_LINK").value_());
  const out = new Map<string, string>();
  const children = kset.member_("kobj").member_("sd").member_("dir").member_("children");
  const cacheType = prog.type("struct kmem_cache");
  const kobjOffset = BigInt(cacheType.member("kobj").bitOffset / 8);
  const cachePtr = prog.pointerType(cacheType);
  for (const kn of rbtreeInorderForEachEntry("struct kernfs_node", children.addressOf_(), "rb")) {
    if ((BigInt(kn.member_("flags").value_()) & link) === 0n) continue;
    const priv = toBigInt(kn.member_("symlink").member_("target_kn").member_("priv"));
    const cache = newValue(prog, cachePtr, priv - kobjOffset);
    const original = kn.member_("name").string_();
    const target = cache.member_("name").string_();
    if (original !== target) out.set(original, target);
  }
  return out;
}

/**
 * Prints each slab cache as drgn's `print_slab_caches()` does:
 * `name (struct kmem_cache *)0x…`.
 *
 * @param prog The kernel program.
 * @param write Where lines go (default `console.log`).
 *
 * @example
 * ```ts ignore
 * printSlabCaches(prog);
 * ```
 */
export function printSlabCaches(
  prog: Program,
  write: (line: string) => void = console.log,
): void {
  for (const s of forEachSlabCache(prog)) {
    const name = escapeAsciiString(s.member_("name").stringBytes_(), { escapeBackslash: true });
    write(`${name} (${s.type_.typeName()})0x${toBigInt(s).toString(16)}`);
  }
}

// ---------------------------------------------------------------------------
// Slab pages

/** The type slab metadata is read through: `struct slab` (Linux 5.17+) or `struct page`. */
function slabType(prog: Program): Type {
  // Linux kernel commit d122019bf061 ("mm: Split slab into its own type")
  // (in v5.17) moved slab fields from struct page to struct slab.
  return prog.findTypeByKind("struct", "slab") ?? prog.type("struct page");
}

interface PageScan {
  /** `struct page *` addresses of slab pages, by `struct kmem_cache *` address. */
  readonly byCache: Map<bigint, bigint[]>;
}

const scans = new WeakMap<Program, PageScan>();

/**
 * Scans `struct page`s `min_low_pfn..max_pfn` for `PG_slab` and groups the
 * slab pages by cache. Pages whose `struct page` cannot be read are skipped,
 * as drgn does.
 */
function scanSlabPages(prog: Program): PageScan {
  const hit = scans.get(prog);
  if (hit !== undefined) return hit;
  const facts = _mmFacts(prog);
  const bit = _pageFlagBit(prog, "PG_slab");
  if (bit === null) throw new TypeError("kernel has no PG_slab page flag");
  const st = slabType(prog);
  const cacheOff = st.member("slab_cache").bitOffset / 8;
  const flagsOff = prog.type("struct page").member("flags").bitOffset / 8;
  const size = Number(facts.structPageSize);
  const lo = toBigInt(prog.object("min_low_pfn"));
  const hi = toBigInt(prog.object("max_pfn"));
  const byCache = new Map<bigint, bigint[]>();
  const CHUNK = 64;
  const buf = new Uint8Array(CHUNK * size);
  const view = new DataView(buf.buffer);
  const mask = 1n << bit;
  const consider = (pageAddr: bigint, flags: bigint, cache: bigint) => {
    if ((flags & mask) === 0n) return;
    let list = byCache.get(cache);
    if (list === undefined) {
      list = [];
      byCache.set(cache, list);
    }
    list.push(pageAddr);
  };
  for (let pfn = lo; pfn < hi; pfn += BigInt(CHUNK)) {
    const n = Number(hi - pfn < BigInt(CHUNK) ? hi - pfn : BigInt(CHUNK));
    const base = facts.vmemmap + pfn * facts.structPageSize;
    try {
      prog.memory.readInto(base, buf, 0, n * size);
    } catch (e) {
      if (!(e instanceof FaultError)) throw e;
      // Part of this chunk is unreadable (a hole): page by page.
      for (let i = 0; i < n; i++) {
        const addr = base + BigInt(i * size);
        let flags: bigint;
        try {
          flags = prog.readU64(addr + BigInt(flagsOff));
        } catch (e2) {
          if (e2 instanceof FaultError) continue;
          throw e2;
        }
        if ((flags & mask) === 0n) continue;
        consider(addr, flags, prog.readU64(addr + BigInt(cacheOff)));
      }
      continue;
    }
    for (let i = 0; i < n; i++) {
      const flags = view.getBigUint64(i * size + flagsOff, true);
      if ((flags & mask) === 0n) continue;
      consider(base + BigInt(i * size), flags, view.getBigUint64(i * size + cacheOff, true));
    }
  }
  const scan = { byCache };
  if (!prog.flags.isLive) scans.set(prog, scan);
  return scan;
}

// ---------------------------------------------------------------------------
// Allocator-specific object walks

interface SlabHelper {
  /** Allocated object addresses of the slab whose `struct page` is at `page`. */
  pageObjects(page: bigint): IterableIterator<bigint>;
  /** The object containing `addr` in the slab at `page`, and whether it is allocated. */
  objectInfo(page: bigint, addr: bigint): { address: bigint; allocated: boolean } | null;
}

const swabView = new DataView(new ArrayBuffer(8));

/** `swab()` of a 64-bit value (the kernel's byte swap). */
function bswap64(v: bigint): bigint {
  swabView.setBigUint64(0, v, true);
  return swabView.getBigUint64(0, false);
}

/** Floor division for bigints (Python's `//`). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

class SlubHelper implements SlabHelper {
  readonly #prog: Program;
  readonly #cache: bigint;
  readonly #size: bigint;
  readonly #redLeftPad: bigint;
  readonly #offset: bigint;
  readonly #random: bigint | null;
  readonly #slabPtr: Type;
  readonly #cpuFreelists = new Set<bigint>();
  readonly #slabFreelists = new Map<bigint, Set<bigint>>();

  constructor(cache: TypedObject) {
    const prog = progOf(cache);
    this.#prog = prog;
    const s = cache.read_();
    this.#cache = toBigInt(s);
    this.#size = toBigInt(s.member_("size"));
    this.#redLeftPad = s.hasMember_("red_left_pad") ? toBigInt(s.member_("red_left_pad")) : 0n;
    this.#offset = toBigInt(s.member_("offset"));
    this.#random = s.hasMember_("random") ? toBigInt(s.member_("random")) : null;
    this.#slabPtr = prog.pointerType(slabType(prog));
    // Objects on each CPU's lockless free list, for CPUs whose current slab
    // is from this cache. Linux kernel commit bb192ed9aa71 ("mm/slub:
    // Convert most struct page to struct slab by spatch") (in v5.17) renamed
    // kmem_cache_cpu.page to .slab.
    const cpuSlab = s.member_("cpu_slab").read_();
    const slabMember = cpuSlab.hasMember_("slab") ? "slab" : "page";
    for (const cpu of forEachOnlineCpu(prog)) {
      const c = perCpuPtr(cpuSlab, cpu);
      const slab = c.member_(slabMember).read_();
      const slabAddr = toBigInt(slab);
      if (slabAddr === 0n) continue;
      const owner = toBigInt(newValue(prog, this.#slabPtr, slabAddr).member_("slab_cache"));
      if (owner !== this.#cache) continue;
      const limit = Number(newValue(prog, this.#slabPtr, slabAddr).member_("objects").value_());
      this.#walkFreelist(toBigInt(c.member_("freelist")), this.#cpuFreelists, limit, "CPU");
    }
  }

  #next(ptr: bigint): bigint {
    const at = ptr + this.#offset;
    const stored = readWord(this.#prog, at);
    if (this.#random === null) return stored;
    return stored ^ this.#random ^ bswap64(at);
  }

  #walkFreelist(start: bigint, into: Set<bigint>, limit: number, what: string): void {
    let ptr = start;
    let n = 0;
    while (ptr !== 0n) {
      if (++n > limit + 1) {
        throw new ValidationError(
          `${what} freelist of slab cache 0x${this.#cache.toString(16)} starting at 0x${
            start.toString(16)
          } has more entries than the slab has objects (${limit}): corrupted or cyclic`,
        );
      }
      into.add(ptr);
      ptr = this.#next(ptr);
    }
  }

  #slabFreelist(page: bigint): Set<bigint> {
    let set = this.#slabFreelists.get(page);
    if (set === undefined) {
      set = new Set();
      const slab = newValue(this.#prog, this.#slabPtr, page);
      const limit = Number(slab.member_("objects").value_());
      this.#walkFreelist(toBigInt(slab.member_("freelist")), set, limit, "slab");
      if (this.#slabFreelists.size > 4096) this.#slabFreelists.clear();
      this.#slabFreelists.set(page, set);
    }
    return set;
  }

  #firstObject(page: bigint): bigint {
    const f = _mmFacts(this.#prog);
    const pfn = (page - f.vmemmap) / f.structPageSize;
    return (pfn << f.pageShift) + f.directMap + this.#redLeftPad;
  }

  *pageObjects(page: bigint): IterableIterator<bigint> {
    const free = this.#slabFreelist(page);
    const slab = newValue(this.#prog, this.#slabPtr, page);
    const objects = BigInt(slab.member_("objects").value_());
    let addr = this.#firstObject(page);
    const end = addr + this.#size * objects;
    for (; addr < end; addr += this.#size) {
      if (!free.has(addr) && !this.#cpuFreelists.has(addr)) yield addr;
    }
  }

  objectInfo(page: bigint, addr: bigint): { address: bigint; allocated: boolean } {
    const first = this.#firstObject(page);
    const address = first + floorDiv(addr - first, this.#size) * this.#size;
    if (this.#cpuFreelists.has(address)) return { address, allocated: false };
    return { address, allocated: !this.#slabFreelist(page).has(address) };
  }
}

class SlabAllocatorHelper implements SlabHelper {
  readonly #prog: Program;
  readonly #size: bigint;
  readonly #objOffset: bigint;
  readonly #num: number;
  readonly #freelistType: Type;
  readonly #slabPtr: Type;
  readonly #cpuAvail = new Set<bigint>();

  constructor(cache: TypedObject) {
    const prog = progOf(cache);
    this.#prog = prog;
    const s = cache.read_();
    this.#size = toBigInt(s.member_("size"));
    this.#objOffset = s.hasMember_("obj_offset") ? toBigInt(s.member_("obj_offset")) : 0n;
    this.#num = Number(s.member_("num").value_());
    this.#freelistType = prog.type("freelist_idx_t *");
    this.#slabPtr = prog.pointerType(slabType(prog));
    const cpuCache = s.member_("cpu_cache").read_();
    for (const cpu of forEachOnlineCpu(prog)) {
      const ac = perCpuPtr(cpuCache, cpu);
      const avail = Math.min(Number(ac.member_("avail").value_()), 1 << 20);
      const entry = ac.member_("entry");
      for (let i = 0; i < avail; i++) this.#cpuAvail.add(toBigInt(entry.subscript_(i)));
    }
  }

  #freeIndices(slab: TypedObject): Set<number> {
    const fl = newValue(this.#prog, this.#freelistType, toBigInt(slab.member_("freelist")));
    const out = new Set<number>();
    for (let i = Number(slab.member_("active").value_()); i < this.#num; i++) {
      out.add(Number(fl.subscript_(i).value_()));
    }
    return out;
  }

  *pageObjects(page: bigint): IterableIterator<bigint> {
    const slab = newValue(this.#prog, this.#slabPtr, page);
    const free = this.#freeIndices(slab);
    const sMem = toBigInt(slab.member_("s_mem"));
    for (let i = 0; i < this.#num; i++) {
      if (free.has(i)) continue;
      const addr = sMem + BigInt(i) * this.#size + this.#objOffset;
      if (this.#cpuAvail.has(addr)) continue;
      yield addr;
    }
  }

  objectInfo(page: bigint, addr: bigint): { address: bigint; allocated: boolean } {
    const slab = newValue(this.#prog, this.#slabPtr, page);
    const sMem = toBigInt(slab.member_("s_mem"));
    const index = floorDiv(addr - sMem, this.#size);
    const address = sMem + index * this.#size;
    return {
      address,
      allocated: !this.#cpuAvail.has(address) && !this.#freeIndices(slab).has(Number(index)),
    };
  }
}

type Allocator = "slub" | "slab" | "slob";
const allocators = new WeakMap<Program, Allocator>();

function allocator(prog: Program, cache: TypedObject): Allocator {
  let a = allocators.get(prog);
  if (a === undefined) {
    // SLUB's caches have per-CPU `cpu_slab`, SLAB's `cpu_cache` (3.19+):
    // told apart without looking up a type that may not be there (which
    // would index all of the debug info).
    if (cache.hasMember_("cpu_slab")) a = "slub";
    else if (cache.hasMember_("cpu_cache")) a = "slab";
    else {
      let hasFreelistIdx = true;
      try {
        prog.type("freelist_idx_t");
      } catch {
        hasFreelistIdx = false;
      }
      a = hasFreelistIdx ? "slab" : cache.hasMember_("offset") ? "slub" : "slob";
    }
    allocators.set(prog, a);
  }
  return a;
}

const helpers = new WeakMap<Program, Map<bigint, SlabHelper>>();

/** The allocator walk for `cache`; memoized per cache on dumps (memory does not change). */
function slabHelper(cache: TypedObject): SlabHelper | null {
  const prog = progOf(cache);
  const key = toBigInt(cache);
  const memo = prog.flags.isLive ? undefined : helpers.get(prog);
  const hit = memo?.get(key);
  if (hit !== undefined) return hit;
  let h: SlabHelper | null;
  switch (allocator(prog, cache)) {
    case "slub":
      h = new SlubHelper(cache);
      break;
    case "slab":
      h = new SlabAllocatorHelper(cache);
      break;
    case "slob":
      return null;
  }
  if (!prog.flags.isLive) {
    let m = helpers.get(prog);
    if (m === undefined) {
      m = new Map();
      helpers.set(prog, m);
    }
    m.set(key, h);
  }
  return h;
}

/**
 * Iterates over the allocated objects of a slab cache.
 *
 * @param slabCache `struct kmem_cache *`
 * @param type The object type (`"struct task_struct"`).
 * @returns Iterator of `type *`.
 * @throws {TypeError} With SLOB, which cannot tell objects apart.
 * @throws {ValidationError} If a free list is corrupted.
 *
 * @example
 * ```ts
 * import { findSlabCache, slabCacheForEachAllocatedObject } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const cache = findSlabCache(prog, "task_struct")!;
 * const tasks = [...slabCacheForEachAllocatedObject(cache, "struct task_struct")];
 * if (tasks.length !== 70) throw new Error(`${tasks.length}`);
 * ```
 */
export function* slabCacheForEachAllocatedObject(
  slabCache: TypedObject,
  type: string | Type,
): IterableIterator<TypedObject> {
  const prog = progOf(slabCache);
  const ptr = prog.pointerType(prog.type(type));
  const h = slabHelper(slabCache);
  if (h === null) throw new TypeError("SLOB is not supported");
  const pages = scanSlabPages(prog).byCache.get(toBigInt(slabCache)) ?? [];
  for (const page of pages) {
    for (const addr of h.pageObjects(page)) yield newValue(prog, ptr, addr);
  }
}

// ---------------------------------------------------------------------------
// Addresses

/** What {@link slabObjectInfo} finds out about an address in a slab object. */
export class SlabObjectInfo {
  /** The cache the object is from (`struct kmem_cache *`). */
  readonly slabCache: TypedObject;
  /** The slab holding the object: `struct slab *` (Linux 5.17+) or `struct page *`. */
  readonly slab: TypedObject;
  /** The object's start address (the address given may point inside it). */
  readonly address: bigint;
  /** Whether the object is allocated (false: it is free). */
  readonly allocated: boolean;

  constructor(slabCache: TypedObject, slab: TypedObject, address: bigint, allocated: boolean) {
    this.slabCache = slabCache;
    this.slab = slab;
    this.address = address;
    this.allocated = allocated;
  }

  /** drgn's repr, with pointers as `(type)0x…`. */
  toString(): string {
    const p = (o: TypedObject) => `(${o.type_.typeName()})0x${toBigInt(o).toString(16)}`;
    return `SlabObjectInfo(slab_cache=${p(this.slabCache)}, slab=${p(this.slab)}, address=0x${
      this.address.toString(16)
    }, allocated=${this.allocated ? "True" : "False"})`;
  }
}

/** The slab page containing `addr` (its cache, head page and slab), or null. */
function findContainingSlab(
  prog: Program,
  addr: bigint,
): { cache: TypedObject; page: bigint; slab: TypedObject } | null {
  const f = _mmFacts(prog);
  const lo = toBigInt(prog.object("min_low_pfn"));
  const hi = toBigInt(prog.object("max_pfn"));
  const pageSize = 1n << f.pageShift;
  const start = (lo << f.pageShift) + f.directMap;
  const end = (hi << f.pageShift) + f.directMap + pageSize;
  if (addr < start || addr >= end) return null;
  const pfn = (addr - f.directMap) >> f.pageShift;
  const pagePtr = prog.type("struct page *");
  let head: TypedObject;
  try {
    head = compoundHead(newValue(prog, pagePtr, f.vmemmap + pfn * f.structPageSize));
    if (!PageSlab(head)) return null;
  } catch (e) {
    if (e instanceof FaultError) return null;
    throw e;
  }
  const st = slabType(prog);
  const slab = newValue(prog, prog.pointerType(st), toBigInt(head));
  if (!st.hasMember("slab_cache")) return null; // SLOB
  return { cache: slab.member_("slab_cache").read_(), page: toBigInt(head), slab };
}

/**
 * Identifies the slab object containing an address: its cache, slab,
 * start address and whether it is allocated.
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @returns A {@link SlabObjectInfo}, or null if the address is not in a
 *   slab object (or the kernel uses SLOB).
 *
 * @example
 * ```ts
 * import { slabObjectInfo } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * // init_task.tasks.next: the `tasks` member of PID 1's task_struct.
 * const info = slabObjectInfo(prog, prog.object("init_task").tasks.next.value_())!;
 * if (info.slabCache.name.string_() !== "task_struct" || !info.allocated) throw new Error();
 * ```
 */
export function slabObjectInfo(
  progOrAddr: Program | TypedObject,
  addr?: IntegerLike,
): SlabObjectInfo | null {
  const [prog, a] = progAndValue(progOrAddr, addr);
  const found = findContainingSlab(prog, a);
  if (found === null) return null;
  const h = slabHelper(found.cache);
  if (h === null) return null;
  const r = h.objectInfo(found.page, a);
  if (r === null) return null;
  return new SlabObjectInfo(found.cache, found.slab, r.address, r.allocated);
}

/**
 * The slab cache an address was allocated from.
 *
 * @param progOrAddr The program, or the address as a pointer object.
 * @param addr The address, when the first argument is the program.
 * @returns `struct kmem_cache *`, NULL if the address is not from a slab cache.
 *
 * @example
 * ```ts
 * import { findContainingSlabCache } from "./slab.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const c = findContainingSlabCache(prog.object("init_task").tasks.next);
 * if (c.name.string_() !== "task_struct") throw new Error();
 * ```
 */
export function findContainingSlabCache(
  progOrAddr: Program | TypedObject,
  addr?: IntegerLike,
): TypedObject {
  const [prog, a] = progAndValue(progOrAddr, addr);
  const found = findContainingSlab(prog, a);
  if (found === null) return NULL(prog, "struct kmem_cache *");
  return found.cache;
}
