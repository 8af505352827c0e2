/**
 * Kernel dump format detection by content (never by file name): ELF
 * (`/proc/vmcore`, `makedumpfile -E`, QEMU's ELF), kdump-compressed
 * (`KDUMP   `, and the older `DISKDUMP`), and the makedumpfile flattened
 * stream that wraps either of them.
 *
 * @module
 */

import type { RandomAccessReader } from "../../binary/file_reader.ts";
import { FlattenedReader, isFlattened } from "./flattened.ts";

/** What {@link detectDumpFormat} recognizes. */
export type DumpFormat = "elf" | "kdump" | "flattened" | "unknown";

/** `disk_dump_header.signature` of makedumpfile's compressed format. */
export const KDUMP_SIGNATURE = "KDUMP   ";
/** `disk_dump_header.signature` of the original diskdump format. */
export const DISK_DUMP_SIGNATURE = "DISKDUMP";

function startsWith(b: Uint8Array, s: string): boolean {
  if (b.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * Tells a dump's format from its first bytes: `"elf"` (`\x7fELF`),
 * `"kdump"` (`KDUMP   ` or `DISKDUMP`), `"flattened"` (the `makedumpfile`
 * signature with flattened type 1 and version 1), or `"unknown"`.
 *
 * @param reader The file.
 * @returns The format.
 *
 * @example
 * ```ts
 * import { BytesReader } from "../../binary/file_reader.ts";
 * import { detectDumpFormat } from "./detect.ts";
 * detectDumpFormat(new BytesReader(new TextEncoder().encode("KDUMP   \x06\0\0\0"))); // "kdump"
 * ```
 */
export function detectDumpFormat(reader: RandomAccessReader): DumpFormat {
  const head = reader.readAt(0, Math.min(reader.size, 8));
  if (startsWith(head, "\x7fELF")) return "elf";
  if (startsWith(head, KDUMP_SIGNATURE) || startsWith(head, DISK_DUMP_SIGNATURE)) return "kdump";
  if (isFlattened(reader)) return "flattened";
  return "unknown";
}

/** A dump file with any flattened wrapping removed. */
export interface ResolvedDump {
  /** The format of the (reassembled) file. */
  readonly format: "elf" | "kdump" | "unknown";
  /** The file to parse: `reader` itself, or a {@link FlattenedReader} over it. */
  readonly reader: RandomAccessReader;
  /** Whether the file was a flattened stream. */
  readonly flattened: boolean;
}

/**
 * Detects the format of `reader` and, for a flattened stream, indexes it
 * and detects the format of the file it carries.
 *
 * @param reader The file as opened.
 * @returns The format and the reader to parse it with.
 * @throws {DecodeError} For a flattened stream with bad record headers.
 */
export function resolveDumpFormat(reader: RandomAccessReader): ResolvedDump {
  const format = detectDumpFormat(reader);
  if (format !== "flattened") return { format, reader, flattened: false };
  const flat = FlattenedReader.open(reader);
  const inner = flat.size > 0 ? detectDumpFormat(flat) : "unknown";
  return {
    format: inner === "flattened" ? "unknown" : inner,
    reader: flat,
    flattened: true,
  };
}
