/**
 * Web Worker entry of the parallel indexer: scans a range of units over
 * section bytes shared through SharedArrayBuffers and posts the entry
 * columns back (transferred, not copied).
 *
 * @module
 */

import { EntryBuffer, scanUnits } from "./index_scan.ts";
import type { ScanReply, ScanRequest } from "./index_parallel.ts";

/** The worker global scope (typed locally: this module is also type-checked as a window module). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ScanRequest>) => void) | null;
  postMessage(message: ScanReply, transfer?: Transferable[]): void;
};

scope.onmessage = (e: MessageEvent<ScanRequest>) => {
  const r = e.data;
  let reply: ScanReply;
  try {
    const out = new EntryBuffer(Math.max(1024, r.capacity));
    scanUnits(r.input, r.units, r.from, r.to, out);
    const cols = out.trimmed();
    reply = { id: r.id, cols };
    const buffers = [cols.die, cols.unit, cols.aux, cols.nameOff, cols.hash, cols.kind, cols.flags]
      .concat(cols.k1 && cols.k2 ? [cols.k1, cols.k2] : [])
      .map((a) => a.buffer as ArrayBuffer);
    scope.postMessage(reply, buffers);
  } catch (err) {
    const x = err as { name?: string; message?: string; section?: string; offset?: number };
    reply = {
      id: r.id,
      error: {
        name: String(x?.name ?? "Error"),
        message: String(x?.message ?? err),
        section: x?.section,
        offset: x?.offset,
      },
    };
    scope.postMessage(reply);
  }
};
