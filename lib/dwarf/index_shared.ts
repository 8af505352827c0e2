/**
 * The name index built on several threads without leaving the caller's
 * synchronous call: for sections mapped from a file (see `mappedSection`),
 * Web Workers map the same file themselves (no copy of the sections), and
 * they and this thread take chunks of units from a shared counter; this
 * thread then blocks (`Atomics.wait`) until the workers have posted their
 * entries into shared memory. Chunks are put back in unit order and
 * deduplicated as in the single-threaded scan, so the index is
 * byte-identical to it.
 *
 * Used on machines with at least {@link SHARED_MIN_CORES} cores (on two
 * cores it measured slower than one thread: the threads page-fault the same
 * mapping and the cores share their throughput), or as many threads as
 * `WYVERN_INDEX_THREADS` says.
 *
 * Anything a worker cannot do (no FFI permission to map the file, the file
 * changed, a decode error, out of room, not started or stuck) leaves its
 * chunks to this thread, which scans them itself (and throws the scan's
 * errors).
 *
 * @module
 */

import { envVar } from "../env.ts";
import { edgeSums } from "./index_cache.ts";
import {
  concatEntries,
  dedupeColumns,
  EntryBuffer,
  type EntryColumns,
  type ScanInput,
  unitScanner,
} from "./index_scan.ts";
import { type DwarfSections, sectionOrigin, sectionReleaser } from "./sections.ts";
import type { DwarfUnit } from "./unit.ts";

/** Smallest `.debug_info` worth more threads (a worker costs ~20 ms to start). */
export const SHARED_THRESHOLD = 16 << 20;
/** Cores from which the index is built on several threads by default. */
export const SHARED_MIN_CORES = 4;
/** Most workers. */
const MAX_WORKERS = 7;
/** Bytes of units per chunk. */
const CHUNK_BYTES = 1 << 20;
/** How long this thread waits for workers that make no progress. */
const STALL_MS = 20_000;

// Control words (Int32Array over a SharedArrayBuffer): the next chunk to
// take, then per worker its state, entry count and chunks done, then per
// chunk its owner (0 none yet, 1 this thread, 2 + w worker w) and the start
// and count of its entries in its owner's output.
const C_NEXT = 0;
const C_WORKERS = 4;
const W_STATE = 0;
const W_COUNT = 1;
const W_PROGRESS = 2;
const W_WORDS = 4;
const S_RUNNING = 0;
const S_DONE = 1;
const S_FAILED = 2;
const O_MAIN = 1;
const O_WORKER = 2;

/** The section keys the scan reads. */
const KEYS = ["info", "abbrev", "str", "lineStr", "strOffsets", "line"] as const;

/** @internal What a worker is sent. */
export interface SharedScanRequest {
  /** Which worker this is, of how many. */
  index: number;
  workers: number;
  /** Per section: file, offset, size, and checksums of its first and last 4 KiB. */
  sections: Partial<
    Record<(typeof KEYS)[number], { path: string; offset: number; size: number; sums: number[] }>
  >;
  units: DwarfUnit[];
  /** Chunk `c` is units `chunkFrom[c]…chunkFrom[c + 1] - 1`. */
  chunkFrom: number[];
  littleEndian: boolean;
  localStatics: boolean;
  globals: boolean;
  control: SharedArrayBuffer;
  /** Grown by the worker to its entries' size (at most `capacity` entries). */
  output: SharedArrayBuffer;
  capacity: number;
}

/** @internal Control-word layout, for the workers. */
export const SHARED_CONTROL = {
  C_NEXT,
  W_STATE,
  W_COUNT,
  W_PROGRESS,
  S_DONE,
  S_FAILED,
  O_WORKER,
  /** Index of worker `w`'s first word. */
  worker: (w: number) => C_WORKERS + w * W_WORDS,
  /** Index of chunk `c`'s first word with `n` workers. */
  chunk: (n: number, c: number) => C_WORKERS + n * W_WORDS + c * 3,
} as const;

/** Bytes of one entry in a worker's output. */
export const ENTRY_BYTES = 7 * 4 + 2;

/** @internal A worker's output columns over `output`, which holds `capacity` entries. */
export function outputColumns(output: SharedArrayBuffer, capacity: number): EntryColumns {
  let at = 0;
  const u32 = () => {
    const a = new Uint32Array(output, at, capacity);
    at += capacity * 4;
    return a;
  };
  return {
    count: 0,
    die: u32(),
    unit: u32(),
    aux: u32(),
    nameOff: u32(),
    hash: u32(),
    k1: u32(),
    k2: u32(),
    kind: new Uint8Array(output, at, capacity),
    flags: new Uint8Array(output, at + capacity, capacity),
  };
}

/** Threads to build with: `WYVERN_INDEX_THREADS`, else all cores from {@link SHARED_MIN_CORES} on, else 1. */
export function indexThreads(): number {
  const forced = Number(envVar("WYVERN_INDEX_THREADS"));
  if (Number.isInteger(forced) && forced >= 1) return Math.min(forced, MAX_WORKERS + 1);
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return cores >= SHARED_MIN_CORES ? Math.min(cores, MAX_WORKERS + 1) : 1;
}

/**
 * Builds the index's entry columns on `threads` threads (this one and
 * workers), deduplicated as one scan would, or returns null when the
 * sections are not mapped from a file, `.debug_info` is small, or
 * `threads` is 1.
 */
export function scanShared(
  sections: DwarfSections,
  units: readonly DwarfUnit[],
  input: ScanInput,
  threads = indexThreads(),
): EntryColumns | null {
  const info = sections.info;
  if (threads < 2 || info.length < SHARED_THRESHOLD || typeof Worker !== "function") return null;
  const req: SharedScanRequest["sections"] = {};
  for (const k of KEYS) {
    const d = sections[k];
    if (d === undefined) continue;
    const o = sectionOrigin(d);
    if (o === null) return null;
    req[k] = { path: o.path, offset: o.offset, size: d.length, sums: edgeSums(d) };
  }
  let nInfo = 0;
  while (nInfo < units.length && units[nInfo]!.section === "info") nInfo++;
  const chunkFrom: number[] = [];
  for (let i = 0; i < nInfo;) {
    chunkFrom.push(i);
    const start = units[i]!.offset;
    while (i < nInfo && (units[i]!.offset === start || units[i]!.end - start <= CHUNK_BYTES)) i++;
  }
  chunkFrom.push(nInfo);
  const nChunks = chunkFrom.length - 1;
  const nWorkers = Math.min(threads - 1, nChunks - 1);
  if (nWorkers < 1) return null;

  const K = SHARED_CONTROL;
  const ctl = new Int32Array(new SharedArrayBuffer((K.chunk(nWorkers, nChunks) + 1) * 4));
  // Room for a worker's entries, reserved (not allocated: each output grows
  // to what its worker wrote): one per 32 bytes of units (without any
  // deduplication the vmlinux has one per 79); more and it fails, and this
  // thread scans.
  const capacity = Math.max(4096, Math.ceil(info.length / 32));
  const outputs: SharedArrayBuffer[] = [];
  const workers: Worker[] = [];
  const url = new URL("./index_shared_worker.ts", import.meta.url);
  for (let w = 0; w < nWorkers; w++) {
    outputs.push(new SharedArrayBuffer(0, { maxByteLength: capacity * ENTRY_BYTES }));
    try {
      const worker = new Worker(url, { type: "module" });
      workers.push(worker);
      const msg: SharedScanRequest = {
        index: w,
        workers: nWorkers,
        sections: req,
        units: units.slice(0, nInfo) as DwarfUnit[],
        chunkFrom,
        littleEndian: input.littleEndian,
        localStatics: input.localStatics,
        globals: input.globals !== false,
        control: ctl.buffer as SharedArrayBuffer,
        output: outputs[w]!,
        capacity,
      };
      worker.postMessage(msg);
    } catch {
      Atomics.store(ctl, K.worker(w) + W_STATE, S_FAILED);
    }
  }
  try {
    const mine = new EntryBuffer(Math.max(1024, info.length >>> 10));
    const release = sectionReleaser(info);
    const scanChunk = (c: number, scan: (from: number, to: number) => void) => {
      const at = K.chunk(nWorkers, c);
      Atomics.store(ctl, at, O_MAIN);
      const before = mine.count;
      scan(chunkFrom[c]!, chunkFrom[c + 1]!);
      ctl[at + 1] = before;
      ctl[at + 2] = mine.count - before;
      release?.(units[chunkFrom[c]!]!.offset, units[chunkFrom[c + 1]! - 1]!.end);
    };
    // This thread's share: chunks taken from the same counter as the workers.
    const scan = unitScanner(input, units, mine);
    for (let c = Atomics.add(ctl, C_NEXT, 1); c < nChunks; c = Atomics.add(ctl, C_NEXT, 1)) {
      scanChunk(c, scan);
    }
    // Every chunk has been handed out. A worker owns one once it has
    // marked it (compare-and-swap); one handed out but not yet marked goes
    // to whoever marks it first, here or there.
    const ownerOf = (c: number) => Atomics.load(ctl, K.chunk(nWorkers, c));
    const late: number[] = [];
    for (let c = 0; c < nChunks; c++) {
      if (Atomics.compareExchange(ctl, K.chunk(nWorkers, c), 0, O_MAIN) === 0) late.push(c);
    }
    // Wait for the workers that own chunks (others may still be starting).
    const ok = new Array<boolean>(nWorkers).fill(false);
    const owners = new Set<number>();
    for (let c = 0; c < nChunks; c++) if (ownerOf(c) >= O_WORKER) owners.add(ownerOf(c) - O_WORKER);
    for (const w of owners) ok[w] = waitFor(ctl, K.worker(w));
    for (const worker of workers) worker.terminate();
    workers.length = 0;
    // Chunks marked here late, and those of workers that failed, scanned by
    // a scan of their own (each scan sees its chunks in unit order;
    // duplicates across scans are merged below, as the workers' are).
    const redo: number[] = [];
    for (let c = 0; c < nChunks; c++) {
      const o = ownerOf(c);
      if (late.includes(c) || (o >= O_WORKER && !ok[o - O_WORKER])) redo.push(c);
    }
    if (redo.length > 0) {
      const rescan = unitScanner(input, units, mine);
      for (const c of redo) scanChunk(c, rescan);
    }
    // .debug_types units (this thread, after every .debug_info unit).
    const typesStart = mine.count;
    scan(nInfo, units.length);
    const theirs = outputs.map((o, w) =>
      ok[w] ? outputColumns(o, ctl[K.worker(w) + W_COUNT]!) : null
    );
    const parts: [EntryColumns, number, number][] = [];
    for (let c = 0; c < nChunks; c++) {
      const at = K.chunk(nWorkers, c);
      const o = ctl[at]!;
      parts.push([o === O_MAIN ? mine : theirs[o - O_WORKER]!, ctl[at + 1]!, ctl[at + 2]!]);
    }
    parts.push([mine, typesStart, mine.count - typesStart]);
    return dedupeColumns(concatEntries(parts));
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

/** Waits until the worker whose words start at `at` is done; whether it succeeded. */
function waitFor(ctl: Int32Array, at: number): boolean {
  let progress = Atomics.load(ctl, at + W_PROGRESS);
  for (;;) {
    const state = Atomics.load(ctl, at + W_STATE);
    if (state !== S_RUNNING) return state === S_DONE;
    if (Atomics.wait(ctl, at + W_STATE, state, STALL_MS) === "timed-out") {
      const now = Atomics.load(ctl, at + W_PROGRESS);
      if (now === progress) return false; // stuck, or never started
      progress = now;
    }
  }
}
