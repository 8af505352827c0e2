/**
 * Native libraries through Deno's FFI, for what is optional: file maps
 * (mmap.ts) and native decompressors (native_codecs.ts). Used only when
 * FFI is already granted (`--allow-ffi` or `-A`; the query never prompts)
 * on Linux, and not with `WYVERN_NO_FFI=1`; otherwise callers take their
 * portable path, which gives the same results.
 *
 * @module
 */

import { envFlag } from "../env.ts";

let granted: boolean | undefined;

/** Whether optional native code may be loaded (see the module doc). Decided once per process. */
export function ffiGranted(): boolean {
  if (granted === undefined) {
    granted = false;
    try {
      granted = Deno.build.os === "linux" && !envFlag("WYVERN_NO_FFI") &&
        Deno.permissions.querySync({ name: "ffi" }).state === "granted";
    } catch {
      // An old runtime without the query: stay portable.
    }
  }
  return granted;
}

/**
 * The symbols of the first library in `names` that loads with all of
 * `symbols`, or null: FFI not granted (see {@link ffiGranted}), or none of
 * the libraries is there.
 */
export function openNativeLibrary<S extends Deno.ForeignLibraryInterface>(
  names: readonly string[],
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | null {
  if (!ffiGranted()) return null;
  for (const name of names) {
    try {
      return Deno.dlopen(name, symbols).symbols;
    } catch {
      // Not installed, or without these symbols: try the next name.
    }
  }
  return null;
}
