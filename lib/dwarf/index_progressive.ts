/**
 * A name index built as lookups need it: units are scanned in order, a
 * batch at a time, only until a lookup has its answer. Listing a kernel's
 * tasks needs `init_task` and `struct task_struct`, both in the first few
 * of a vmlinux's 2,352 units: a scan of the whole 174 MB `.debug_info`
 * (what {@link buildNameIndex} does) is then not needed.
 *
 * Exactness: the scan is the one {@link buildNameIndex} does (same
 * entries, same deduplication of repeated type definitions, in unit order),
 * so the entries of a name found in the scanned prefix are the first
 * entries of that name in the full index. A lookup says through `enough`
 * when its answer cannot change by entries further on (for example: a
 * complete definition is found and a type lookup wants the first one);
 * otherwise the scan goes on, to the end if need be, and the full index
 * answers. Whoever asks for the full index ({@link ProgressiveIndex.complete})
 * gets exactly the index {@link buildNameIndex} builds.
 *
 * Memory: a mapped `.debug_info` is dropped from memory behind the scan; one
 * read from the file (no mapping allowed) is read a run of units at a time
 * into one reused buffer, as the whole build does.
 *
 * @module
 */

import { chunkedUnitScanner, EntryBuffer, hashBytes, unitScanner } from "./index_scan.ts";
import { indexThreads } from "./index_shared.ts";
import {
  buildNameIndex,
  type BuildOptions,
  entryNameBytes,
  type IndexView,
  nameEquals,
  NameIndex,
  scanInputOf,
} from "./name_index.ts";
import {
  type DwarfSections,
  ensureSection,
  fillSection,
  lazySectionReader,
  sectionReleaser,
} from "./sections.ts";
import type { DwarfUnit } from "./unit.ts";

const encoder = new TextEncoder();

/** Bytes of units in the first batch; each batch after is twice as big, up to {@link MAX_BATCH}. */
const FIRST_BATCH = 256 << 10;
const MAX_BATCH = 16 << 20;
/** Bytes of units scanned at a time (a `.debug_info` read from the file: the reused buffer's size). */
const RUN_BYTES = 4 << 20;
/**
 * Part of `.debug_info` scanned on demand before the rest is indexed by
 * {@link buildNameIndex} instead (when that is faster: on several threads).
 */
const HANDOFF_FRACTION = 8;
/** Entries per hash chain before the chains are rebuilt with more buckets. */
const LOAD = 2;

/** A name index over the units scanned so far (see the module doc). */
export class ProgressiveIndex implements IndexView {
  readonly #sections: DwarfSections;
  readonly #units: readonly DwarfUnit[];
  readonly #opts: BuildOptions;
  readonly #out: EntryBuffer;
  #scan: ((from: number, to: number) => void) | null = null;
  /**
   * The scan of a `.debug_info` read from the file (a lazy section), a run
   * of units at a time into one buffer; null for a mapped or in-memory
   * section, or once a run needed more than itself (the scan then starts
   * over on the whole section).
   */
  #chunked: ((from: number, to: number) => boolean) | null = null;
  #read: ((offset: number, dest: Uint8Array) => void) | null;
  readonly #release: ((start: number, end: number) => void) | null;
  /** Whether the rest is left to {@link buildNameIndex} past {@link #handoff} bytes. */
  readonly #handoff: number;
  /** Units scanned: `units[0..#next)`. */
  #next = 0;
  #scannedBytes = 0;
  #batch = FIRST_BATCH;
  /** Releasing the mapped `.debug_info` behind the scan: up to here. */
  #released = 0;
  // Hash chains in entry order: bucket → first/last entry, entry → next (-1 ends).
  #head: Int32Array;
  #tail: Int32Array;
  #link: Int32Array;
  #chained = 0;
  #full: NameIndex | null = null;

  constructor(sections: DwarfSections, units: readonly DwarfUnit[], opts: BuildOptions) {
    this.#sections = sections;
    this.#units = units;
    this.#opts = opts;
    this.#out = new EntryBuffer(1 << 14);
    this.#release = sectionReleaser(sections.info);
    this.#read = lazySectionReader(sections.info);
    const threads = opts.threads ?? indexThreads();
    this.#handoff = threads > 1 ? Math.floor(sections.info.length / HANDOFF_FRACTION) : Infinity;
    this.#head = new Int32Array(1 << 12).fill(-1);
    this.#tail = new Int32Array(1 << 12);
    this.#link = new Int32Array(this.#out.die.length);
  }

  get units(): readonly DwarfUnit[] {
    return this.#units;
  }
  get die(): Uint32Array {
    return this.#out.die;
  }
  get unit(): Uint32Array {
    return this.#out.unit;
  }
  get aux(): Uint32Array {
    return this.#out.aux;
  }
  get kind(): Uint8Array {
    return this.#out.kind;
  }
  get flags(): Uint8Array {
    return this.#out.flags;
  }

  /** Number of units scanned so far. */
  get scannedUnits(): number {
    return this.#next;
  }

  /** Bytes of units scanned so far. */
  get scannedBytes(): number {
    return this.#scannedBytes;
  }

  /** Entries scanned so far. */
  get count(): number {
    return this.#out.count;
  }

  /**
   * For each query `[name, mask]`: the entries named `name` whose kind is
   * in `mask`, in unit order, from the units scanned so far, scanning more
   * until `enough(hits)` holds. Null when it does not hold before the end of
   * the units (or before the scan is handed over to the whole-index build):
   * the answer is then the full index's ({@link complete}).
   */
  findUntil(
    queries: readonly (readonly [name: string, mask: number])[],
    enough: (hits: number[][]) => boolean,
  ): number[][] | null {
    const qs = queries.map(([name, mask]) => {
      const q = encoder.encode(name);
      return [q, hashBytes(q, 0, q.length), mask] as const;
    });
    for (;;) {
      const hits = qs.map(([q, h, mask]) => this.#find(q, h, mask));
      if (enough(hits)) return hits;
      if (!this.#scanMore()) return null;
    }
  }

  /**
   * The full index: the units not scanned yet are scanned (or, past the
   * hand-over point, the whole index is built by {@link buildNameIndex});
   * the same index {@link buildNameIndex} builds.
   */
  complete(): NameIndex {
    if (this.#full !== null) return this.#full;
    const units = this.#units;
    if (this.#next < units.length && this.#handoff !== Infinity) {
      this.#full = buildNameIndex(this.#sections, units, this.#opts);
    } else {
      this.#scanTo(units.length);
      this.#full = NameIndex.fromColumns(this.#sections, units, this.#out);
    }
    return this.#full;
  }

  /** Scans the next batch; false at the end or at the hand-over point. */
  #scanMore(): boolean {
    const units = this.#units;
    if (this.#next >= units.length || this.#scannedBytes >= this.#handoff) return false;
    const from = this.#next;
    const section = units[from]!.section;
    const start = units[from]!.offset;
    let to = from + 1;
    while (
      to < units.length && units[to]!.section === section && units[to]!.end - start <= this.#batch
    ) to++;
    this.#batch = Math.min(this.#batch * 2, MAX_BATCH);
    this.#scanTo(to);
    return true;
  }

  /**
   * Scans units `[#next, to)` (runs of one section, up to {@link RUN_BYTES}
   * each) and chains their entries.
   */
  #scanTo(to: number): void {
    const units = this.#units;
    while (this.#next < to) {
      const from = this.#next;
      const section = units[from]!.section;
      const lo = units[from]!.offset;
      let end = from + 1;
      while (end < to && units[end]!.section === section && units[end]!.end - lo <= RUN_BYTES) {
        end++;
      }
      const hi = units[end - 1]!.end;
      let ok = true;
      try {
        if (this.#read !== null) {
          // (Types units too: one scan deduplicates across both sections.)
          ok = this.#chunkedScanner()(from, end);
        } else {
          // A section read on demand: this run of units now (a reference
          // into another unit is made valid by the scan when it follows it).
          const d = section === "info" ? this.#sections.info : this.#sections.types!;
          if (section === "types") fillSection(d);
          else ensureSection(d, lo, hi);
          this.#scanner()(from, end);
        }
      } catch (e) {
        // Malformed data or a failed read: the run is half scanned, so a
        // later lookup starts over (and meets the error again, or not).
        this.#restart(true);
        throw e;
      }
      if (!ok) {
        // The data needs the whole section (or is malformed): start over on it.
        this.#restart(false);
        continue;
      }
      this.#next = end;
      this.#scannedBytes += hi - lo;
      if (section === "info" && this.#release !== null && hi - this.#released >= 2 << 20) {
        this.#release(this.#released, hi);
        this.#released = hi;
      }
    }
    this.#chain();
  }

  /**
   * Forgets what was scanned: the scan starts over from the first unit
   * (with `chunked` false, on the whole section).
   */
  #restart(chunked: boolean): void {
    if (!chunked) this.#read = null;
    this.#chunked = null;
    this.#scan = null;
    this.#out.count = 0;
    this.#next = 0;
    this.#scannedBytes = 0;
    this.#chained = 0;
    this.#head.fill(-1);
  }

  #chunkedScanner(): (from: number, to: number) => boolean {
    if (this.#chunked === null) {
      this.#chunked = chunkedUnitScanner(
        scanInputOf(this.#sections, this.#opts),
        this.#units,
        this.#out,
        this.#read!,
      );
    }
    return this.#chunked;
  }

  /** The scan (made on first use: it reads the string sections whole if they are lazy). */
  #scanner(): (from: number, to: number) => void {
    if (this.#scan === null) {
      this.#scan = unitScanner(
        scanInputOf(this.#sections, this.#opts),
        this.#units,
        this.#out,
      );
    }
    return this.#scan;
  }

  /** Links the entries scanned since the last call into the hash chains. */
  #chain(): void {
    const out = this.#out;
    const n = out.count;
    if (this.#link.length < out.die.length) {
      const l = new Int32Array(out.die.length);
      l.set(this.#link.subarray(0, this.#chained));
      this.#link = l;
    }
    let from = this.#chained;
    if (n > this.#head.length * LOAD) {
      let nb = this.#head.length;
      while (n > nb * LOAD) nb *= 4;
      this.#head = new Int32Array(nb).fill(-1);
      this.#tail = new Int32Array(nb);
      from = 0;
    }
    const head = this.#head;
    const tail = this.#tail;
    const link = this.#link;
    const hash = out.hash;
    const mask = head.length - 1;
    for (let i = from; i < n; i++) {
      const b = hash[i]! & mask;
      link[i] = -1;
      if (head[b] === -1) head[b] = i;
      else link[tail[b]!] = i;
      tail[b] = i;
    }
    this.#chained = n;
  }

  #find(q: Uint8Array, h: number, mask: number): number[] {
    const out: number[] = [];
    const c = this.#out;
    for (let i = this.#head[h & (this.#head.length - 1)]!; i !== -1; i = this.#link[i]!) {
      if (c.hash[i] !== h || ((1 << c.kind[i]!) & mask) === 0) continue;
      const [d, off] = entryNameBytes(this.#sections, this.#units, c, i);
      if (nameEquals(d, off, q)) out.push(i);
    }
    return out;
  }
}
