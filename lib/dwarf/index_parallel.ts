/**
 * Parallel name-index build: the units are split into byte-balanced ranges
 * scanned by Web Workers (and this thread) over SharedArrayBuffer copies of
 * the sections; their entry columns are concatenated in unit order and
 * bucketed as in the single-threaded build, so both give the same index.
 *
 * Workers inherit the parent's permissions; reading the worker module needs
 * nothing beyond `--allow-read`.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import {
  concatEntries,
  dedupeColumns,
  EntryBuffer,
  type EntryColumns,
  type ScanInput,
  scanUnits,
} from "./index_scan.ts";
import { NameIndex } from "./name_index.ts";
import { type DwarfSections, fillSection } from "./sections.ts";
import type { DwarfUnit } from "./unit.ts";

/** Options of the parallel build. */
export interface ParallelOptions {
  /** Number of worker threads (default: hardware concurrency - 1, at least 1, at most 8). */
  workers?: number;
}

/** @internal Message to a worker. */
export interface ScanRequest {
  id: number;
  input: ScanInput;
  units: DwarfUnit[];
  from: number;
  to: number;
  capacity: number;
}

/** @internal Message from a worker. */
export interface ScanReply {
  id: number;
  cols?: EntryColumns;
  error?: { name: string; message: string; section?: string; offset?: number };
}

/** A copy of `d` in a SharedArrayBuffer (or `d` itself if it already is one). */
export function toShared(d: Uint8Array): Uint8Array {
  if (d.buffer instanceof SharedArrayBuffer) return d;
  const s = new Uint8Array(new SharedArrayBuffer(d.length));
  s.set(d);
  return s;
}

/**
 * Builds the name index with `workers` Web Workers plus this thread.
 * Throws the same {@link DecodeError}s as the single-threaded build.
 */
export async function buildNameIndexParallel(
  sections: DwarfSections,
  units: readonly DwarfUnit[],
  opts: { littleEndian: boolean; localStatics: boolean; workers?: number | undefined },
): Promise<NameIndex> {
  const hc = (globalThis.navigator?.hardwareConcurrency ?? 2) | 0;
  const nWorkers = Math.max(1, Math.min(8, opts.workers ?? hc - 1));
  fillSection(sections.info);
  fillSection(sections.types);
  fillSection(sections.abbrev);
  fillSection(sections.str);
  fillSection(sections.lineStr);
  const str = sections.str ? toShared(sections.str) : undefined;
  const input: ScanInput = {
    info: toShared(sections.info),
    abbrev: toShared(sections.abbrev),
    str,
    lineStr: sections.lineStr ? toShared(sections.lineStr) : undefined,
    strOffsets: sections.strOffsets ? toShared(sections.strOffsets) : undefined,
    types: sections.types ? toShared(sections.types) : undefined,
    line: sections.line ? toShared(sections.line) : undefined,
    littleEndian: opts.littleEndian,
    localStatics: opts.localStatics,
  };
  // Byte-balanced split into nWorkers + 1 ranges; this thread takes the last
  // one, a bit smaller, since workers start late.
  const total = units.reduce((a, u) => a + (u.end - u.offset), 0);
  const shares: number[] = [];
  const mainShare = 0.8 / (nWorkers + 0.8);
  for (let i = 0; i < nWorkers; i++) shares.push((1 - mainShare) / nWorkers);
  shares.push(mainShare);
  const ranges: [number, number][] = [];
  let u = 0;
  let acc = 0;
  let target = 0;
  for (let i = 0; i < shares.length; i++) {
    target += shares[i]! * total;
    const from = u;
    while (
      u < units.length &&
      (i === shares.length - 1 || acc + (units[u]!.end - units[u]!.offset) / 2 < target)
    ) {
      acc += units[u]!.end - units[u]!.offset;
      u++;
    }
    ranges.push([from, u]);
  }
  const url = new URL("./index_worker.ts", import.meta.url).href;
  const workers: Worker[] = [];
  const results: Promise<EntryColumns>[] = [];
  try {
    for (let i = 0; i < nWorkers; i++) {
      const [from, to] = ranges[i]!;
      if (from === to) {
        results.push(Promise.resolve(new EntryBuffer(1).trimmed()));
        continue;
      }
      const w = new Worker(url, { type: "module" });
      workers.push(w);
      const bytes = units.slice(from, to).reduce((a, x) => a + (x.end - x.offset), 0);
      results.push(
        new Promise<EntryColumns>((resolve, reject) => {
          w.onmessage = (e: MessageEvent<ScanReply>) => {
            const r = e.data;
            if (r.cols) resolve(r.cols);
            else {
              const err = r.error!;
              reject(
                err.name === "DecodeError" && err.section !== undefined
                  ? new DecodeError(err.section, err.offset ?? 0, stripPrefix(err.message))
                  : new Error(err.message),
              );
            }
          };
          w.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            reject(new Error(`index worker failed: ${e.message}`));
          };
        }),
      );
      const req: ScanRequest = {
        id: i,
        input,
        units: units as DwarfUnit[],
        from,
        to,
        capacity: bytes >>> 9,
      };
      w.postMessage(req);
    }
    // This thread's share.
    const [from, to] = ranges[nWorkers]!;
    const mine = new EntryBuffer(
      Math.max(1024, units.slice(from, to).reduce((a, x) => a + (x.end - x.offset), 0) >>> 9),
    );
    scanUnits(input, units, from, to, mine);
    const parts = await Promise.all(results);
    parts.push(mine.trimmed());
    const shared: DwarfSections = { ...sections, ...sharedView(input) };
    // Ranges were deduplicated separately: dedupeColumns() merges them.
    const all = parts.length === 1 ? parts[0]! : concatEntries(parts.map((p) => [p, 0, p.count]));
    return NameIndex.fromColumns(shared, units, dedupeColumns(all));
  } finally {
    for (const w of workers) w.terminate();
  }
}

function sharedView(input: ScanInput): Partial<DwarfSections> {
  const o: Partial<DwarfSections> = { info: input.info, abbrev: input.abbrev };
  if (input.str) o.str = input.str;
  if (input.lineStr) o.lineStr = input.lineStr;
  if (input.types) o.types = input.types;
  return o;
}

/** DecodeError messages carry a "Cannot decode … at offset …: " prefix; keep the reason. */
function stripPrefix(message: string): string {
  const m = /^Cannot decode .* at offset 0x[0-9a-f]+: (.*)$/s.exec(message);
  return m ? m[1]! : message;
}
