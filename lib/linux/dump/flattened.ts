/**
 * The makedumpfile "flattened" format: what `makedumpfile -F` writes to a
 * pipe and what QEMU before 8.2 writes for every kdump-compressed format.
 * A 4 KiB header (`makedumpfile_header`: the signature `makedumpfile`, then
 * big-endian 64-bit `type` and `version`, both 1), then records
 * `(offset: s64 BE, size: s64 BE, data[size])` that each place `size`
 * bytes at `offset` of the real file, ended by a record whose offset is -1.
 *
 * {@link FlattenedReader} indexes the record headers once (a pass over
 * headers, not data) and serves the reassembled file through the
 * {@link RandomAccessReader} interface, so the kdump and ELF parsers run on
 * it unchanged. Where records overlap, the later one wins (makedumpfile
 * rewrites its headers at the end); bytes no record covers read as zeros.
 *
 * @module
 */

import { DecodeError, TargetError } from "../../errors.ts";
import type { RandomAccessReader } from "../../binary/file_reader.ts";

/** The signature at offset 0 (NUL-padded to 16 bytes). */
export const MAKEDUMPFILE_SIGNATURE = "makedumpfile";
/** Size of the header before the first record. */
export const MAX_SIZE_MDF_HEADER = 4096;
/** `makedumpfile_header.type` of the flattened format. */
export const TYPE_FLAT_HEADER = 1;
/** `makedumpfile_header.version` of the flattened format. */
export const VERSION_FLAT_HEADER = 1;
/** The offset (and size) of the record that ends the stream. */
export const END_FLAG_FLAT_HEADER = -1;

/** Size of a record header (`makedumpfile_data_header`). */
const RECORD_HEADER_SIZE = 16;
const TWO32 = 2 ** 32;

/**
 * True if `reader` starts with a flattened-format header (signature, type 1,
 * version 1).
 */
export function isFlattened(reader: RandomAccessReader): boolean {
  if (reader.size < 32) return false;
  const h = reader.readAt(0, 32);
  return signatureMatches(h) && readS64(h, 16) === TYPE_FLAT_HEADER &&
    readS64(h, 24) === VERSION_FLAT_HEADER;
}

function signatureMatches(h: Uint8Array): boolean {
  for (let i = 0; i < MAKEDUMPFILE_SIGNATURE.length; i++) {
    if (h[i] !== MAKEDUMPFILE_SIGNATURE.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * A big-endian s64 as a number; values outside the safe-integer range come
 * back as NaN (callers reject them).
 */
function readS64(b: Uint8Array, at: number): number {
  const hi = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) | 0;
  const lo = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
  if (hi > 0x1fffff || hi < -0x200000) return NaN;
  return hi * TWO32 + lo;
}

/** Growable parallel arrays of records, in stream order. */
class RecordList {
  start = new Float64Array(256);
  size = new Float64Array(256);
  data = new Float64Array(256);
  length = 0;
  push(start: number, size: number, data: number): void {
    if (this.length === this.start.length) {
      const n = this.length * 2;
      const grow = (a: Float64Array) => {
        const b = new Float64Array(n);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.size = grow(this.size);
      this.data = grow(this.data);
    }
    this.start[this.length] = start;
    this.size[this.length] = size;
    this.data[this.length] = data;
    this.length++;
  }
}

/**
 * The file a flattened stream describes, read through the stream. Build it
 * with {@link FlattenedReader.open}.
 */
export class FlattenedReader implements RandomAccessReader {
  /** The path of the flattened file (for messages). */
  readonly path: string;
  /** Size of the reassembled file: the end of the last-ending record. */
  readonly size: number;
  /** The flattened stream being read. */
  readonly inner: RandomAccessReader;
  /** Number of data records in the stream (before overlap resolution). */
  readonly recordCount: number;
  // Sorted, non-overlapping pieces of the reassembled file and where their
  // bytes are in the stream; gaps between them are holes (zeros).
  #segStart: Float64Array;
  #segEnd: Float64Array;
  #segData: Float64Array;
  #last = 0;

  private constructor(
    inner: RandomAccessReader,
    recordCount: number,
    segStart: Float64Array,
    segEnd: Float64Array,
    segData: Float64Array,
  ) {
    this.inner = inner;
    this.path = inner.path;
    this.recordCount = recordCount;
    this.#segStart = segStart;
    this.#segEnd = segEnd;
    this.#segData = segData;
    this.size = segEnd.length === 0 ? 0 : segEnd[segEnd.length - 1]!;
  }

  /**
   * Indexes the flattened stream in `inner`. Throws a {@link TargetError} if
   * it is not a flattened file and a {@link DecodeError} (section
   * `"<path>: flattened stream"`, offset in the stream) for a bad record
   * header, a record running past the end of the file, or a missing end
   * marker.
   */
  static open(inner: RandomAccessReader): FlattenedReader {
    const section = `${inner.path}: flattened stream`;
    if (inner.size < MAX_SIZE_MDF_HEADER) {
      if (inner.size >= 16 && signatureMatches(inner.readAt(0, 16))) {
        throw new DecodeError(
          section,
          0,
          `file is ${inner.size} bytes, shorter than the ${MAX_SIZE_MDF_HEADER}-byte header`,
        );
      }
      throw new TargetError(inner.path, "not a makedumpfile flattened file");
    }
    const h = inner.readAt(0, 32);
    if (!signatureMatches(h)) {
      throw new TargetError(inner.path, "not a makedumpfile flattened file");
    }
    const type = readS64(h, 16);
    if (type !== TYPE_FLAT_HEADER) {
      throw new DecodeError(section, 16, `unknown flattened header type ${type}`);
    }
    const version = readS64(h, 24);
    if (version !== VERSION_FLAT_HEADER) {
      throw new DecodeError(section, 24, `unknown flattened header version ${version}`);
    }

    const records = new RecordList();
    const fileSize = inner.size;
    let pos = MAX_SIZE_MDF_HEADER;
    for (;;) {
      if (pos + RECORD_HEADER_SIZE > fileSize) {
        throw new DecodeError(
          section,
          pos,
          pos === fileSize
            ? "stream ends without an end marker (the file may be truncated)"
            : "stream ends inside a record header (the file may be truncated)",
        );
      }
      const rh = inner.readAt(pos, RECORD_HEADER_SIZE);
      const offset = readS64(rh, 0);
      if (offset === END_FLAG_FLAT_HEADER) break;
      const size = readS64(rh, 8);
      if (!(offset >= 0)) {
        throw new DecodeError(section, pos, `bad record offset ${bigS64(rh, 0)}`);
      }
      if (!(size >= 0) || offset + size > Number.MAX_SAFE_INTEGER) {
        throw new DecodeError(section, pos + 8, `bad record size ${bigS64(rh, 8)}`);
      }
      const data = pos + RECORD_HEADER_SIZE;
      if (data + size > fileSize) {
        throw new DecodeError(
          section,
          pos,
          `record of ${size} bytes runs past the end of the file (the file may be truncated)`,
        );
      }
      if (size > 0) records.push(offset, size, data);
      pos = data + size;
    }
    const [s, e, d] = resolve(records);
    return new FlattenedReader(inner, records.length, s, e, d);
  }

  /** Index of the piece containing `offset`, or of the first piece after it. */
  #find(offset: number): number {
    const starts = this.#segStart;
    const ends = this.#segEnd;
    const l = this.#last;
    if (l < starts.length && starts[l]! <= offset && offset < ends[l]!) return l;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    this.#last = lo;
    return lo;
  }

  readAt(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new TargetError(
        this.path,
        `read of ${length} bytes at offset ${offset} is past the end of the reassembled file (${this.size} bytes); the file may be truncated`,
      );
    }
    let i = this.#find(offset);
    const starts = this.#segStart;
    const ends = this.#segEnd;
    const datas = this.#segData;
    // Fast path: the whole range lies in one piece.
    if (i < starts.length && starts[i]! <= offset && offset + length <= ends[i]!) {
      return this.inner.readAt(datas[i]! + (offset - starts[i]!), length);
    }
    const out = new Uint8Array(length);
    let pos = offset;
    const end = offset + length;
    while (pos < end && i < starts.length) {
      const s = starts[i]!;
      if (s >= end) break;
      if (s > pos) pos = s; // a hole: `out` is already zero there
      const n = Math.min(ends[i]!, end) - pos;
      out.set(this.inner.readAt(datas[i]! + (pos - s), n), pos - offset);
      pos += n;
      i++;
    }
    return out;
  }

  close(): void {
    this.inner.close();
  }
}

function bigS64(b: Uint8Array, at: number): bigint {
  return new DataView(b.buffer, b.byteOffset + at, 8).getBigInt64(0, false);
}

/**
 * Turns records (in stream order, possibly overlapping) into sorted,
 * non-overlapping pieces where each byte comes from the last record that
 * wrote it.
 */
function resolve(r: RecordList): [Float64Array, Float64Array, Float64Array] {
  const n = r.length;
  const start = r.start;
  const size = r.size;
  const data = r.data;
  // Fast path: records already in order and disjoint (QEMU, most of makedumpfile).
  let ordered = true;
  for (let i = 1; i < n; i++) {
    if (start[i]! < start[i - 1]! + size[i - 1]!) {
      ordered = false;
      break;
    }
  }
  if (ordered) {
    const e = new Float64Array(n);
    for (let i = 0; i < n; i++) e[i] = start[i]! + size[i]!;
    return [start.slice(0, n), e, data.slice(0, n)];
  }

  // Sweep over the sorted record boundaries with a max-heap of the records
  // covering the current point, keyed by stream position (later wins).
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => start[a]! - start[b]! || a - b);
  const points = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    points[2 * i] = start[i]!;
    points[2 * i + 1] = start[i]! + size[i]!;
  }
  points.sort();
  const heap = new Int32Array(n);
  let heapLen = 0;
  const push = (x: number) => {
    let k = heapLen++;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (heap[p]! >= x) break;
      heap[k] = heap[p]!;
      k = p;
    }
    heap[k] = x;
  };
  const pop = () => {
    const x = heap[--heapLen]!;
    let k = 0;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= heapLen) break;
      if (c + 1 < heapLen && heap[c + 1]! > heap[c]!) c++;
      if (heap[c]! <= x) break;
      heap[k] = heap[c]!;
      k = c;
    }
    heap[k] = x;
  };

  const outS: number[] = [];
  const outE: number[] = [];
  const outD: number[] = [];
  let lastWinner = -1;
  let ri = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const p = points[k]!;
    const q = points[k + 1]!;
    if (p === q) continue;
    while (ri < n && start[order[ri]!]! <= p) push(order[ri++]!);
    while (heapLen > 0 && start[heap[0]!]! + size[heap[0]!]! <= p) pop();
    if (heapLen === 0) {
      lastWinner = -1;
      continue;
    }
    const w = heap[0]!;
    const m = outE.length - 1;
    if (w === lastWinner && outE[m] === p) {
      outE[m] = q;
    } else {
      outS.push(p);
      outE.push(q);
      outD.push(data[w]! + (p - start[w]!));
    }
    lastWinner = w;
  }
  return [Float64Array.from(outS), Float64Array.from(outE), Float64Array.from(outD)];
}
