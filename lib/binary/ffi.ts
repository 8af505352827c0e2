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
import { HOST_LITTLE_ENDIAN } from "./byte_reader.ts";

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

/** Scalar result types {@link inRegister} takes. */
type RegisterType = "i32" | "u32" | "i64" | "u64" | "usize" | "pointer";

/**
 * The result type `t` declared as a struct of that one member. Deno then
 * calls the function through libffi instead of compiling a fast-call
 * trampoline for it (with Cranelift) when the library is opened: 0.45 ms
 * for a process's first symbol and ~0.07 ms for each other one, against a
 * microsecond more per call, for the few calls a session makes (a file
 * mapped, a page inflated). The C ABIs this runs on (x86-64 System V and
 * AArch64: FFI is used on Linux only) return a one-member struct of an
 * integer or pointer in the register the member alone is returned in, so
 * the call is the same; the result comes back as the member's bytes, read
 * with {@link resultI32}, {@link resultU64} or {@link resultPointer}.
 */
export function inRegister<T extends RegisterType>(t: T): { readonly struct: readonly [T] } {
  return { struct: [t] };
}

/** The value of an `inRegister("i32")` (or `"u32"`, as signed) result. */
export function resultI32(r: Uint8Array): number {
  return HOST_LITTLE_ENDIAN
    ? r[0]! | (r[1]! << 8) | (r[2]! << 16) | (r[3]! << 24)
    : r[3]! | (r[2]! << 8) | (r[1]! << 16) | (r[0]! << 24);
}

/** The value of an `inRegister("u64")` (or `"usize"`, `"i64"` as unsigned) result. */
export function resultU64(r: Uint8Array): bigint {
  return new DataView(r.buffer, r.byteOffset, 8).getBigUint64(0, HOST_LITTLE_ENDIAN);
}

/** The value of an `inRegister("pointer")` result (null for a null pointer). */
export function resultPointer(r: Uint8Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(resultU64(r));
}
