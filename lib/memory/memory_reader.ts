/**
 * The memory reader: two sorted interval maps (virtual and physical) from
 * address ranges to sources. A newly added segment wins over older ones for
 * the range it covers (older segments are trimmed or split), so there is no
 * ambiguity about which segment serves an address.
 *
 * Reads that touch an unmapped address throw {@link FaultError} with the
 * first unreadable address.
 *
 * @module
 */

import { FaultError } from "../errors.ts";
import { BytesReader, FileReader, type RandomAccessReader } from "../binary/file_reader.ts";

/**
 * Where a segment's bytes come from. `offset` is relative to the start of
 * the segment the source was added with (not to the trimmed piece).
 */
export interface MemorySource {
  /**
   * Copies `length` bytes at `offset` into `dest[destOffset…]`. `address` is
   * the target address of the first byte (for error messages and callbacks).
   * Throws {@link FaultError} for bytes that are not available.
   */
  readInto(
    offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
    physical: boolean,
  ): void;
  /**
   * Optional: the bytes around `offset` (including it) as a view that
   * stays valid, because the source's bytes never change (a core file, bytes
   * in memory), or null. {@link MemoryReader.readIntoOffset} keeps the
   * last view and serves the reads that fall inside it without calls.
   */
  viewAt?(offset: number): SourceView | null;
}

/** A view of a source's bytes: `bytes[k]` is the byte at offset `start + k`. */
export interface SourceView {
  readonly bytes: Uint8Array;
  readonly start: number;
}

/** Size (and alignment in the file) of the views of {@link FileSource}. */
const VIEW_SIZE = 4096;

/** A user callback, as drgn's `read_fn(address, count, offset, physical)`. */
export type ReadFn = (
  address: bigint,
  count: number,
  offset: bigint,
  physical: boolean,
) => Uint8Array;

/** A source backed by a callback returning the bytes. */
export class CallbackSource implements MemorySource {
  readonly fn: ReadFn;
  constructor(fn: ReadFn) {
    this.fn = fn;
  }
  readInto(
    offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
    physical: boolean,
  ): void {
    const r = this.fn(address, length, offset, physical);
    if (!(r instanceof Uint8Array) || r.length < length) {
      throw new FaultError("memory read callback returned too few bytes", address, physical);
    }
    dest.set(r.length === length ? r : r.subarray(0, length), destOffset);
  }
}

/** A source backed by bytes in memory. */
export class BytesSource implements MemorySource {
  readonly data: Uint8Array;
  constructor(data: Uint8Array) {
    this.data = data;
  }
  readInto(
    offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
    physical: boolean,
  ): void {
    const o = Number(offset);
    if (o + length > this.data.length) {
      throw new FaultError("memory segment too short", address, physical);
    }
    dest.set(this.data.subarray(o, o + length), destOffset);
  }
  viewAt(offset: number): SourceView | null {
    return offset >= 0 && offset < this.data.length ? { bytes: this.data, start: 0 } : null;
  }
}

const ZEROS = new Uint8Array(VIEW_SIZE);

/** A source that reads as zeros (vmcore tails past `p_filesz`). */
export class ZeroSource implements MemorySource {
  readInto(_o: bigint, dest: Uint8Array, destOffset: number, length: number): void {
    dest.fill(0, destOffset, destOffset + length);
  }
  viewAt(offset: number): SourceView | null {
    return { bytes: ZEROS, start: offset - (offset % VIEW_SIZE) };
  }
}

/** A source that always faults with `message` (memory not saved in a core dump). */
export class FaultSource implements MemorySource {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
  readInto(
    _o: bigint,
    _d: Uint8Array,
    _do: number,
    _l: number,
    address: bigint,
    physical: boolean,
  ): void {
    throw new FaultError(this.message, address, physical);
  }
}

/**
 * A source backed by a range of a file (a core's PT_LOAD data), read through
 * the file's block cache.
 */
export class FileSource implements MemorySource {
  readonly reader: RandomAccessReader;
  readonly fileOffset: number;
  readonly size: number;
  constructor(reader: RandomAccessReader, fileOffset: number, size: number) {
    this.reader = reader;
    this.fileOffset = fileOffset;
    this.size = size;
  }
  readInto(
    offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
    physical: boolean,
  ): void {
    const o = Number(offset);
    if (o + length > this.size) {
      throw new FaultError("memory segment extends past its file data", address, physical);
    }
    const r = this.reader;
    if (r.readInto !== undefined) r.readInto(this.fileOffset + o, dest, destOffset, length);
    else dest.set(r.readAt(this.fileOffset + o, length), destOffset);
  }
  /**
   * Views of the 4 KiB-aligned file chunk holding `offset`, for files read
   * through a cache or held in memory (whose bytes do not change; a live
   * kernel's /proc/kcore reader gets none).
   */
  viewAt(offset: number): SourceView | null {
    const r = this.reader;
    if (!(r instanceof FileReader || r instanceof BytesReader)) return null;
    if (offset < 0 || offset >= this.size) return null;
    const base = this.fileOffset;
    const at = base + offset;
    const lo = Math.max(at - (at % VIEW_SIZE), base);
    const hi = Math.min(at - (at % VIEW_SIZE) + VIEW_SIZE, base + this.size, r.size);
    if (hi <= at) return null;
    return { bytes: r.readAt(lo, hi - lo), start: lo - base };
  }
}

/** A mapped range `[start, end)` and its source. */
export interface Segment {
  readonly start: bigint;
  readonly end: bigint;
  /** Start address of the segment the source was added with (`offset` base). */
  readonly origin: bigint;
  readonly source: MemorySource;
}

/** One address space: a sorted list of non-overlapping segments. */
export class SegmentMap {
  #segs: Segment[] = [];
  #last: Segment | undefined;
  /** Bumped on every change (caches key on it). */
  generation = 0;

  /** The segments in address order. */
  get segments(): readonly Segment[] {
    return this.#segs;
  }

  /** Adds `[start, end)`; it wins over existing segments in that range. */
  add(start: bigint, end: bigint, source: MemorySource, origin = start): void {
    if (end <= start) return;
    const segs = this.#segs;
    const lastSeg = segs[segs.length - 1];
    if (lastSeg === undefined || lastSeg.end <= start) {
      // Fast path: segments added in address order (ELF program headers).
      segs.push({ start, end, origin, source });
      this.#last = undefined;
      this.generation++;
      return;
    }
    const out: Segment[] = [];
    // Keep the pieces of old segments that lie outside the new one.
    let i = this.#firstEndingAfter(start);
    for (let k = 0; k < i; k++) out.push(segs[k]!);
    while (i < segs.length && segs[i]!.start < end) {
      const s = segs[i]!;
      if (s.start < start) {
        out.push({ start: s.start, end: start, origin: s.origin, source: s.source });
      }
      if (s.end > end) {
        // Emitted after the new segment below.
        break;
      }
      i++;
    }
    out.push({ start, end, origin, source });
    for (; i < segs.length; i++) {
      const s = segs[i]!;
      if (s.end <= end) continue;
      if (s.start < end) out.push({ start: end, end: s.end, origin: s.origin, source: s.source });
      else out.push(s);
    }
    this.#segs = out;
    this.#last = undefined;
    this.generation++;
  }

  /**
   * Adds many segments at once, later ones winning where they overlap (and
   * all of them winning over the segments already present), in
   * O(n log n): QEMU's paging dumps have 65,000 unsorted, overlapping
   * program headers.
   */
  addMany(
    items: readonly { start: bigint; end: bigint; source: MemorySource; origin?: bigint }[],
  ): void {
    const all: Segment[] = [...this.#segs];
    for (const it of items) {
      if (it.end > it.start) {
        all.push({
          start: it.start,
          end: it.end,
          origin: it.origin ?? it.start,
          source: it.source,
        });
      }
    }
    // Boundary events; priority = index in `all` (higher wins).
    const events: { at: bigint; i: number; open: boolean }[] = [];
    all.forEach((s, i) => {
      events.push({ at: s.start, i, open: true }, { at: s.end, i, open: false });
    });
    events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const heap: number[] = []; // max-heap of open indices
    const closed = new Uint8Array(all.length);
    const push = (v: number) => {
      heap.push(v);
      let k = heap.length - 1;
      while (k > 0) {
        const p = (k - 1) >> 1;
        if (heap[p]! >= heap[k]!) break;
        [heap[p], heap[k]] = [heap[k]!, heap[p]!];
        k = p;
      }
    };
    const pop = () => {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && heap[l]! > heap[m]!) m = l;
        if (r < heap.length && heap[r]! > heap[m]!) m = r;
        if (m === k) break;
        [heap[m], heap[k]] = [heap[k]!, heap[m]!];
        k = m;
      }
    };
    const out: Segment[] = [];
    let e = 0;
    while (e < events.length) {
      const at = events[e]!.at;
      while (e < events.length && events[e]!.at === at) {
        const ev = events[e]!;
        if (ev.open) push(ev.i);
        else closed[ev.i] = 1;
        e++;
      }
      while (heap.length && closed[heap[0]!]) pop();
      if (heap.length === 0 || e >= events.length) continue;
      const top = all[heap[0]!]!;
      const next = events[e]!.at;
      const prev = out[out.length - 1];
      if (
        prev !== undefined && prev.end === at && prev.source === top.source &&
        prev.origin === top.origin
      ) {
        out[out.length - 1] = {
          start: prev.start,
          end: next,
          origin: prev.origin,
          source: prev.source,
        };
      } else {
        out.push({ start: at, end: next, origin: top.origin, source: top.source });
      }
    }
    this.#segs = out;
    this.#last = undefined;
    this.generation++;
  }

  /**
   * Adds `source` for the parts of `[start, end)` that no segment covers or
   * that `replaceable(existing)` allows replacing (lower priority than
   * everything already there: a file's read-only data under a core's saved
   * memory).
   */
  addBelow(
    start: bigint,
    end: bigint,
    source: MemorySource,
    replaceable: (existing: MemorySource) => boolean = () => false,
  ): void {
    const pieces: [bigint, bigint][] = [];
    let cur = start;
    let i = this.#firstEndingAfter(start);
    const segs = this.#segs;
    while (cur < end) {
      const s = segs[i];
      if (s === undefined || s.start >= end) {
        pieces.push([cur, end]);
        break;
      }
      if (s.start > cur) pieces.push([cur, s.start]);
      const segEnd = s.end < end ? s.end : end;
      if (replaceable(s.source)) pieces.push([s.start > cur ? s.start : cur, segEnd]);
      cur = segEnd;
      i++;
    }
    if (pieces.length === 1) this.add(pieces[0]![0], pieces[0]![1], source, start);
    else if (pieces.length > 1) {
      this.addMany(pieces.map(([a, b]) => ({ start: a, end: b, source, origin: start })));
    }
  }

  /** Index of the first segment with `end > address`. */
  #firstEndingAfter(address: bigint): number {
    const segs = this.#segs;
    let lo = 0;
    let hi = segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid]!.end <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The segment containing `address`, or undefined. */
  find(address: bigint): Segment | undefined {
    const l = this.#last;
    if (l !== undefined && address >= l.start && address < l.end) return l;
    const segs = this.#segs;
    const i = this.#firstEndingAfter(address);
    const s = segs[i];
    if (s !== undefined && s.start <= address) {
      this.#last = s;
      return s;
    }
    return undefined;
  }

  /** The first segment starting at or after `address` (for gap reports). */
  next(address: bigint): Segment | undefined {
    return this.#segs[this.#firstEndingAfter(address)];
  }

  /** Removes every segment. */
  clear(): void {
    this.#segs = [];
    this.#last = undefined;
    this.generation++;
  }
}

const MASK64 = (1n << 64n) - 1n;
const MAX64 = MASK64;
/** BigInts 0–16, to avoid allocating one per small read. */
const SMALL: bigint[] = Array.from({ length: 17 }, (_, i) => BigInt(i));

/**
 * Reads target memory from virtual and physical segment maps. Addresses
 * wrap at 64 bits, as the hardware does.
 */
export class MemoryReader {
  readonly virtual: SegmentMap = new SegmentMap();
  readonly physical: SegmentMap = new SegmentMap();
  /** Message used when no segment maps an address. */
  unmappedMessage = "could not find memory segment";
  /**
   * Called for a virtual address no segment maps, before faulting (the
   * kernel's page-table walker). Returns true if it added a segment for it.
   */
  onMiss: ((address: bigint, physical: boolean) => boolean) | undefined;

  /** Adds a segment of `size` bytes at `address`. */
  addSegment(address: bigint, size: bigint, source: MemorySource, physical = false): void {
    const map = physical ? this.physical : this.virtual;
    map.add(address, address + size, source);
  }

  /** Copies `length` bytes at `address` into `dest[destOffset…]`. */
  readInto(
    address: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    physical = false,
  ): void {
    const map = physical ? this.physical : this.virtual;
    let a = address > MAX64 || address < 0n ? address & MASK64 : address;
    // Fast path: the whole read is in one segment (nearly always).
    const first = map.find(a);
    if (first !== undefined && length <= 16 && a + SMALL[length]! <= first.end) {
      first.source.readInto(a - first.origin, dest, destOffset, length, a, physical);
      return;
    }
    let done = 0;
    while (done < length) {
      let seg = done === 0 ? first : map.find(a);
      if (seg === undefined) {
        if (this.onMiss !== undefined && this.onMiss(a, physical)) seg = map.find(a);
        if (seg === undefined) throw new FaultError(this.unmappedMessage, a, physical);
      }
      const avail = seg.end - a;
      const n = avail < BigInt(length - done) ? Number(avail) : length - done;
      seg.source.readInto(a - seg.origin, dest, destOffset + done, n, a, physical);
      done += n;
      a = (a + BigInt(n)) & MASK64;
    }
  }

  // The view of the last readIntoOffset() that went the slow way: bytes
  // of virtual memory from #viewAddress on, valid while the virtual map's
  // generation is #viewGen.
  #view: Uint8Array = new Uint8Array(0);
  #viewAddress = 0n;
  #viewGen = -1;
  // The last base address seen and its distance from #viewAddress.
  #viewBase = -1n;
  #viewBaseRel = 0;

  /**
   * Copies `length` virtual bytes at `base + offset` (wrapping at 64 bits)
   * into `dest[destOffset…]`, as {@link readInto}. `offset` is a safe
   * integer of magnitude at most 2^50. Reads inside the view of the last
   * slow read take numbers only (no bigint arithmetic, no calls): objects
   * keep their address as a shared bigint base and a numeric offset.
   */
  readIntoOffset(
    base: bigint,
    offset: number,
    dest: Uint8Array,
    destOffset: number,
    length: number,
  ): void {
    if (this.virtual.generation === this.#viewGen) {
      let rel: number;
      if (base === this.#viewBase) rel = this.#viewBaseRel + offset;
      else {
        // Exact while |base - #viewAddress| ≤ 2^53; beyond that it cannot
        // land in the view (|offset| ≤ 2^50) anyway.
        const br = Number(base - this.#viewAddress);
        this.#viewBase = base;
        this.#viewBaseRel = br;
        rel = br + offset;
      }
      const v = this.#view;
      if (rel >= 0 && rel + length <= v.length) {
        for (let i = 0; i < length; i++) dest[destOffset + i] = v[rel + i]!;
        return;
      }
    }
    this.#readIntoOffsetSlow(base, offset, dest, destOffset, length);
  }

  #readIntoOffsetSlow(
    base: bigint,
    offset: number,
    dest: Uint8Array,
    destOffset: number,
    length: number,
  ): void {
    const a = BigInt.asUintN(64, base + BigInt(offset));
    this.readInto(a, dest, destOffset, length);
    // Keep a view around `a` for the next reads.
    const seg = this.virtual.find(a);
    if (seg === undefined || seg.source.viewAt === undefined) return;
    const rel = Number(a - seg.origin);
    const view = seg.source.viewAt(rel);
    if (view === null) return;
    // Clip the view to the segment (other segments may cover the rest).
    const lo = Math.max(view.start, Number(seg.start - seg.origin));
    const hi = Math.min(view.start + view.bytes.length, Number(seg.end - seg.origin));
    if (!(lo <= rel && rel < hi) || hi - lo > 2 ** 50) return;
    this.#view = view.bytes.subarray(lo - view.start, hi - view.start);
    this.#viewAddress = seg.origin + BigInt(lo);
    this.#viewGen = this.virtual.generation;
    this.#viewBase = -1n;
  }

  /** Returns `length` bytes at `address` (a fresh array). */
  read(address: bigint, length: number, physical = false): Uint8Array {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`invalid read size ${length}`);
    }
    const out = new Uint8Array(length);
    this.readInto(address, out, 0, length, physical);
    return out;
  }

  /** Whether `address` is mapped (without reading it). */
  isMapped(address: bigint, physical = false): boolean {
    const map = physical ? this.physical : this.virtual;
    return map.find(address & MASK64) !== undefined;
  }
}
