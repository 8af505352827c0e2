/**
 * `node:zlib`, loaded on first use: importing it costs ~20 ms of start-up
 * (Deno's Node compatibility layer), and only zstd data needs it (zlib
 * data is decoded by `inflate.ts`).
 *
 * @module
 */

import type * as Zlib from "node:zlib";

let zlib: typeof Zlib | null | undefined;

/** `node:zlib`, or null if this runtime cannot load it synchronously. */
export function nodeZlib(): typeof Zlib | null {
  if (zlib === undefined) {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    try {
      zlib = (p?.getBuiltinModule?.("node:zlib") as typeof Zlib | undefined) ?? null;
    } catch {
      zlib = null;
    }
  }
  return zlib;
}
