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
import type { RandomAccessReader } from "../binary/file_reader.ts";

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
}

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
}

/** A source that reads as zeros (vmcore tails past `p_filesz`). */
export class ZeroSource implements MemorySource {
  readInto(_o: bigint, dest: Uint8Array, destOffset: number, length: number): void {
    dest.fill(0, destOffset, destOffset + length);
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
