/**
 * Web Worker entry of the multi-threaded index build (`index_shared.ts`):
 * maps the debug file itself, takes chunks of units from the shared
 * counter, scans them, and posts its entries into its shared output area;
 * any failure marks it failed, and the calling thread scans its chunks.
 *
 * @module
 */

import { mapFile } from "../binary/mmap.ts";
import { EntryBuffer, type ScanInput, unitScanner } from "./index_scan.ts";
import { edgeSums } from "./index_cache.ts";
import {
  ENTRY_BYTES,
  outputColumns,
  SHARED_CONTROL as K,
  type SharedScanRequest,
} from "./index_shared.ts";

/** The worker global scope (typed locally: this module is also type-checked as a window module). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<SharedScanRequest>) => void) | null;
};

function run(r: SharedScanRequest, ctl: Int32Array): void {
  // The sections, from this thread's own map of the file(s).
  const maps = new Map<string, Uint8Array | null>();
  const view = (k: keyof SharedScanRequest["sections"]): Uint8Array | undefined => {
    const s = r.sections[k];
    if (s === undefined) return undefined;
    if (!maps.has(s.path)) maps.set(s.path, mapFile(s.path)?.bytes ?? null);
    const m = maps.get(s.path);
    if (!m || s.offset + s.size > m.length) throw new Error(`cannot map ${s.path}`);
    const d = m.subarray(s.offset, s.offset + s.size);
    const sums = edgeSums(d);
    if (sums[0] !== s.sums[0] || sums[1] !== s.sums[1]) throw new Error(`${s.path} changed`);
    return d;
  };
  const input: ScanInput = {
    info: view("info")!,
    abbrev: view("abbrev")!,
    str: view("str"),
    lineStr: view("lineStr"),
    strOffsets: view("strOffsets"),
    line: view("line"),
    littleEndian: r.littleEndian,
    localStatics: r.localStatics,
    globals: r.globals,
  };
  const out = new EntryBuffer(Math.max(1024, r.capacity >>> 4));
  const scan = unitScanner(input, r.units, out);
  const nChunks = r.chunkFrom.length - 1;
  const me = K.O_WORKER + r.index;
  const words = K.worker(r.index);
  for (let c = Atomics.add(ctl, K.C_NEXT, 1); c < nChunks; c = Atomics.add(ctl, K.C_NEXT, 1)) {
    const at = K.chunk(r.workers, c);
    if (Atomics.compareExchange(ctl, at, 0, me) !== 0) continue; // taken over by the caller
    const before = out.count;
    scan(r.chunkFrom[c]!, r.chunkFrom[c + 1]!);
    ctl[at + 1] = before;
    ctl[at + 2] = out.count - before;
    Atomics.add(ctl, words + K.W_PROGRESS, 1);
  }
  const n = out.count;
  if (n > r.capacity) throw new Error("out of room");
  (r.output as SharedArrayBuffer & { grow(n: number): void }).grow(n * ENTRY_BYTES);
  const dest = outputColumns(r.output, n);
  dest.die.set(out.die.subarray(0, n));
  dest.unit.set(out.unit.subarray(0, n));
  dest.aux.set(out.aux.subarray(0, n));
  dest.nameOff.set(out.nameOff.subarray(0, n));
  dest.hash.set(out.hash.subarray(0, n));
  dest.k1!.set(out.k1.subarray(0, n));
  dest.k2!.set(out.k2.subarray(0, n));
  dest.kind.set(out.kind.subarray(0, n));
  dest.flags.set(out.flags.subarray(0, n));
  ctl[words + K.W_COUNT] = n;
}

scope.onmessage = (e: MessageEvent<SharedScanRequest>) => {
  const ctl = new Int32Array(e.data.control);
  const at = K.worker(e.data.index) + K.W_STATE;
  let state: number = K.S_DONE;
  try {
    run(e.data, ctl);
  } catch {
    state = K.S_FAILED; // the calling thread scans this one's chunks
  }
  Atomics.store(ctl, at, state);
  Atomics.notify(ctl, at);
};
