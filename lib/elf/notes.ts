/**
 * ELF note records: the `namesz`/`descsz`/`type` header, the owner name and
 * the descriptor, as found in `PT_NOTE` segments and `SHT_NOTE` sections.
 * Decoding what a descriptor holds (registers, mapped files, …) is in
 * `core_notes.ts`.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { decodeLatin1 } from "../binary/byte_reader.ts";

/** One note. */
export interface ElfNote {
  /** The owner (`"CORE"`, `"LINUX"`, `"GNU"`, `"VMCOREINFO"`, …), without its NUL. */
  readonly name: string;
  /** `n_type`; its meaning depends on the owner (see `noteTypeName`). */
  readonly type: number;
  /** The descriptor bytes (a view into the note data: copy what you keep and change). */
  readonly desc: Uint8Array;
  /** Offset of the note header: in the file when read through `ElfFile`, else in `data`. */
  readonly offset: number;
}

/** Options of {@link parseNotes}. */
export interface ParseNotesOptions {
  /** Byte order of the three header words. */
  readonly littleEndian: boolean;
  /**
   * Alignment of the name and descriptor: 4 (the usual case, also in ELF64
   * files) or 8 (`.note.gnu.property` and other `sh_addralign == 8` notes).
   * Other values are treated as 4, as binutils does for 0 and 1.
   */
  readonly align?: number;
  /** What is being decoded, for errors (`"PT_NOTE segment 0 of /path/core"`). */
  readonly what?: string;
  /** Added to offsets (the file offset of `data`). */
  readonly baseOffset?: number;
}

/** Largest owner name we decode (longer ones are corrupt). */
const MAX_NAME = 4096;

/**
 * Splits `data` into notes. Throws a {@link DecodeError} (naming `what` and
 * the file offset of the bad note) when a note's sizes run past the end of
 * `data`. Trailing bytes shorter than a note header are ignored if they are
 * zero padding and rejected otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNotes } from "./notes.ts";
 * // namesz 4, descsz 4, type 3, "GNU\0", desc
 * const bytes = new Uint8Array([4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 71, 78, 85, 0, 1, 2, 3, 4]);
 * const [note] = parseNotes(bytes, { littleEndian: true });
 * assert.equal(note!.name, "GNU");
 * assert.equal(note!.type, 3);
 * assert.deepEqual(note!.desc, new Uint8Array([1, 2, 3, 4]));
 * ```
 */
export function parseNotes(data: Uint8Array, options: ParseNotesOptions): ElfNote[] {
  const le = options.littleEndian;
  const align = options.align === 8 ? 8 : 4;
  const what = options.what ?? "notes";
  const base = options.baseOffset ?? 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = data.length;
  const notes: ElfNote[] = [];
  let pos = 0;
  while (pos < end) {
    if (end - pos < 12) {
      for (let i = pos; i < end; i++) {
        if (data[i] !== 0) {
          throw new DecodeError(
            what,
            base + pos,
            `truncated note header (${end - pos} bytes left, need 12)`,
          );
        }
      }
      break;
    }
    const namesz = view.getUint32(pos, le);
    const descsz = view.getUint32(pos + 4, le);
    const type = view.getUint32(pos + 8, le);
    const nameStart = pos + 12;
    if (namesz > end - nameStart) {
      throw new DecodeError(
        what,
        base + pos,
        `note name size ${namesz} runs past the end of the notes (${end - nameStart} bytes left)`,
      );
    }
    if (namesz > MAX_NAME) {
      throw new DecodeError(what, base + pos, `note name size ${namesz} is implausibly large`);
    }
    const descStart = pos + alignUp(12 + namesz, align);
    if (descsz > 0 && descsz > end - descStart) {
      throw new DecodeError(
        what,
        base + pos,
        `note descriptor size ${descsz} runs past the end of the notes (${
          Math.max(0, end - descStart)
        } bytes left)`,
      );
    }
    // The name normally includes its NUL; tolerate a missing one.
    let nameLen = namesz;
    while (nameLen > 0 && data[nameStart + nameLen - 1] === 0) nameLen--;
    const name = nameLen === 0 ? "" : decodeLatin1(data.subarray(nameStart, nameStart + nameLen));
    notes.push({
      name,
      type,
      desc: data.subarray(descStart, descStart + descsz),
      offset: base + pos,
    });
    pos += alignUp(12 + namesz, align) + alignUp(descsz, align);
  }
  return notes;
}

function alignUp(n: number, align: number): number {
  return n + ((align - (n % align)) % align);
}
