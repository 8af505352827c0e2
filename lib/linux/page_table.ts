/**
 * x86-64 page-table walking, 4-level and 5-level: address translation with
 * a small translation cache, and an iterator over every present mapping of
 * a range (for building segment lists and for `followPhys`-style helpers).
 * Page-table pages are read from physical memory through a callback, so the
 * walker works on any dump format and on live memory.
 *
 * @module
 */

import { FaultError } from "../errors.ts";

/** Reads 4096 bytes of physical memory (a page-table page). */
export type PhysicalPageReader = (paddr: bigint) => Uint8Array;

const PRESENT = 1n;
const PAGE_SIZE_BIT = 1n << 7n;
/** Physical address bits of an entry (bits 12–51). */
const ADDR_MASK = 0x000ffffffffff000n;

/** One present mapping. */
export interface Mapping {
  /** Virtual address (canonical). */
  readonly vaddr: bigint;
  /** Physical address. */
  readonly paddr: bigint;
  /** Size: 4 KiB, 2 MiB, 1 GiB. */
  readonly size: bigint;
}

/** A translation: the physical address and how many bytes from it stay in the same page. */
export interface Translation {
  readonly paddr: bigint;
  readonly pageSize: bigint;
}

/** Sign-extends a 48- or 57-bit address to a canonical 64-bit one. */
export function canonical(vaddr: bigint, levels: 4 | 5): bigint {
  const bits = levels === 5 ? 57 : 48;
  return BigInt.asUintN(64, BigInt.asIntN(bits, vaddr));
}

/** An x86-64 page table rooted at `pgd` (a physical address). */
export class X86PageTable {
  readonly root: bigint;
  readonly levels: 4 | 5;
  readonly #read: PhysicalPageReader;
  /** Page-table pages already read (physical address → view). */
  readonly #pages = new Map<bigint, DataView>();
  /** Leaf translations by 4 KiB virtual page number. */
  readonly #tlb = new Map<number, bigint>();
  /** Bumps when the cache is flushed (live targets). */
  generation = 0;

  constructor(root: bigint, levels: 4 | 5, read: PhysicalPageReader) {
    this.root = root & ADDR_MASK;
    this.levels = levels;
    this.#read = read;
  }

  /** Forgets cached page-table pages and translations (for live memory). */
  flush(): void {
    this.#pages.clear();
    this.#tlb.clear();
    this.generation++;
  }

  #table(paddr: bigint): DataView {
    let v = this.#pages.get(paddr);
    if (v === undefined) {
      const b = this.#read(paddr);
      v = new DataView(b.buffer, b.byteOffset, 4096);
      if (this.#pages.size > 4096) this.#pages.clear();
      this.#pages.set(paddr, v);
    }
    return v;
  }

  /** Whether `vaddr` is canonical for this paging mode. */
  isCanonical(vaddr: bigint): boolean {
    return canonical(vaddr, this.levels) === vaddr;
  }

  /**
   * Translates `vaddr`, or returns null if it is not mapped. Throws
   * {@link FaultError} if a page-table page cannot be read.
   */
  translate(vaddr: bigint): Translation | null {
    const vpn = Number(vaddr >> 12n);
    const hit = this.#tlb.get(vpn);
    if (hit !== undefined) return { paddr: hit | (vaddr & 0xfffn), pageSize: 4096n };
    if (!this.isCanonical(vaddr)) return null;
    let table = this.root;
    for (let level: number = this.levels; level >= 1; level--) {
      const shift = BigInt(12 + 9 * (level - 1));
      const index = Number((vaddr >> shift) & 0x1ffn);
      let entry: bigint;
      try {
        entry = this.#table(table).getBigUint64(index * 8, true);
      } catch (e) {
        if (e instanceof FaultError) {
          // Keep the reason (excluded page, truncated file, …).
          const why = e.message.replace(/: -?0x[0-9a-f]+$/, "");
          throw new FaultError(
            `could not read page table (level ${level}) (${why}) at physical address`,
            table + BigInt(index * 8),
            true,
          );
        }
        throw e;
      }
      if ((entry & PRESENT) === 0n) return null;
      if (level === 1 || ((level === 2 || level === 3) && (entry & PAGE_SIZE_BIT) !== 0n)) {
        const size = 1n << shift;
        const base = entry & ADDR_MASK & ~(size - 1n);
        const paddr = base | (vaddr & (size - 1n));
        if (this.#tlb.size > 65536) this.#tlb.clear();
        this.#tlb.set(vpn, paddr & ~0xfffn);
        return { paddr, pageSize: size };
      }
      table = entry & ADDR_MASK;
    }
    return null;
  }

  /**
   * Every present leaf mapping overlapping `[start, end)`, in address order.
   * Unreadable page-table pages are skipped.
   */
  *mappings(start = 0n, end = 1n << 64n): IterableIterator<Mapping> {
    yield* this.#walk(this.root, this.levels, 0n, start, end);
  }

  *#walk(
    table: bigint,
    level: number,
    base: bigint,
    start: bigint,
    end: bigint,
  ): IterableIterator<Mapping> {
    let view: DataView;
    try {
      view = this.#table(table);
    } catch (e) {
      if (e instanceof FaultError) return;
      throw e;
    }
    const shift = BigInt(12 + 9 * (level - 1));
    const span = 1n << shift;
    for (let i = 0; i < 512; i++) {
      const lo = canonical(base + BigInt(i) * span, this.levels as 4 | 5);
      const hi = lo + span;
      if (hi <= start || lo >= end) continue;
      const entry = view.getBigUint64(i * 8, true);
      if ((entry & PRESENT) === 0n) continue;
      if (level === 1 || ((level === 2 || level === 3) && (entry & PAGE_SIZE_BIT) !== 0n)) {
        yield { vaddr: lo, paddr: entry & ADDR_MASK & ~(span - 1n), size: span };
      } else {
        yield* this.#walk(entry & ADDR_MASK, level - 1, base + BigInt(i) * span, start, end);
      }
    }
  }
}
