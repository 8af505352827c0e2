/**
 * Member layouts of big C structures and unions, kept across sessions: a
 * session that parses such a type's members (`task_struct`'s 250 member
 * DIEs and their names: ~1 ms of a warm kernel start) records them, and
 * the layouts are saved when the script ends (in the index cache's
 * directory, keyed as its entry is: see `index_cache.ts`); the next
 * session on the same file makes the members from the saved table.
 *
 * A saved member is its name, the DIE offset of its type (the type itself
 * is still read from the DWARF when used), its bit offset and its bit-field
 * size: what `TypeReader` reads from a `DW_TAG_member`. The table is keyed
 * by the structure's DIE offset, which the cache key ties to the file.
 * Beside the layouts, the table keeps which definition the index shares
 * for a big structure read in some unit (`DwarfInfo`'s canonical
 * definition: finding it costs an index lookup and two units' file
 * tables), as found with the whole index.
 *
 * Format (little-endian): magic, version, type count, pair count; the
 * pairs (a definition's DIE offset and its shared definition's, -1: none,
 * as f64); then per type its DIE offset (f64), member count and name bytes
 * (u32 each), then per member its type's DIE offset (-1: none), bit
 * offset, bit-field size (-1: none) as f64 and its name's length in UTF-16
 * units (-1: anonymous) as i32, then the names (UTF-8, concatenated),
 * padded to 8 bytes. A table that does not parse is ignored.
 *
 * @module
 */

import { decodeUtf8 } from "../binary/byte_reader.ts";
import type { DieRef } from "./die.ts";

/** One member as saved: what `TypeReader` reads from its DIE. */
export interface SavedMember {
  readonly name: string | null;
  /** DIE offset of the member's type; null for none (`void`). */
  readonly type: DieRef | null;
  readonly bitOffset: number;
  readonly bitFieldSize: number | null;
}

/** Makes a member from its saved fields (see {@link SavedMember}). */
export type MemberMaker<T> = (
  name: string | null,
  type: DieRef | null,
  bitOffset: number,
  bitFieldSize: number | null,
) => T;

/** Member layouts kept across sessions (see the module doc). */
export interface MemberLayoutCache {
  /** The saved members of the structure or union at `ref`, each made by `make`, or null. */
  get<T>(ref: DieRef, make: MemberMaker<T>): T[] | null;
  /** Records the members of `ref`, just parsed, to be saved. */
  put(ref: DieRef, members: readonly SavedMember[]): void;
  /**
   * The saved shared definition of the definition at `def` (null: `def`
   * is not shared), or undefined if none is saved.
   */
  shared(def: DieRef): DieRef | null | undefined;
  /** Records the shared definition of `def` (null: none), found with the whole index. */
  putShared(def: DieRef, shared: DieRef | null): void;
}

/** Saved layouts and shared definitions by DIE offset. */
export interface SavedTables {
  readonly layouts: ReadonlyMap<DieRef, readonly SavedMember[]>;
  readonly shared: ReadonlyMap<DieRef, DieRef | null>;
}

const SAVED: MemberMaker<SavedMember> = (name, type, bitOffset, bitFieldSize) => ({
  name,
  type,
  bitOffset,
  bitFieldSize,
});

/**
 * Types a table keeps at most: a session's new layouts are not added past
 * it (the table is read whole by every session).
 */
export const MAX_SAVED_TYPES = 256;
/** Shared-definition pairs a table keeps at most (see {@link MAX_SAVED_TYPES}). */
export const MAX_SAVED_PAIRS = 4096;

const MAGIC = 0x544c5957; // "WYLT"
const VERSION = 2;
const HEADER = 16;
const PAIR_BYTES = 16;
const TYPE_HEADER = 16;
const MEMBER_BYTES = 28;

/** Encodes `tables` (see the module doc). */
export function encodeLayouts(tables: SavedTables): Uint8Array {
  const { layouts, shared } = tables;
  const enc = new TextEncoder();
  const records: { ref: DieRef; members: readonly SavedMember[]; names: Uint8Array }[] = [];
  let size = HEADER + shared.size * PAIR_BYTES;
  for (const [ref, members] of layouts) {
    const names = enc.encode(members.map((m) => m.name ?? "").join(""));
    records.push({ ref, members, names });
    size += TYPE_HEADER + members.length * MEMBER_BYTES + align8(names.length);
  }
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, VERSION, true);
  v.setUint32(8, records.length, true);
  v.setUint32(12, shared.size, true);
  let p = HEADER;
  for (const [def, to] of shared) {
    v.setFloat64(p, def, true);
    v.setFloat64(p + 8, to ?? -1, true);
    p += PAIR_BYTES;
  }
  for (const { ref, members, names } of records) {
    v.setFloat64(p, ref, true);
    v.setUint32(p + 8, members.length, true);
    v.setUint32(p + 12, names.length, true);
    p += TYPE_HEADER;
    for (const m of members) {
      v.setFloat64(p, m.type ?? -1, true);
      v.setFloat64(p + 8, m.bitOffset, true);
      v.setFloat64(p + 16, m.bitFieldSize ?? -1, true);
      v.setInt32(p + 24, m.name === null ? -1 : m.name.length, true);
      p += MEMBER_BYTES;
    }
    out.set(names, p);
    p += align8(names.length);
  }
  return out;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Where a table's records are, and its shared-definition pairs (see {@link layoutIndex}). */
export interface LayoutIndex {
  /** Byte offsets of the layout records by DIE offset (decoded by {@link decodeLayout}). */
  readonly types: Map<DieRef, number>;
  readonly shared: Map<DieRef, DieRef | null>;
}

/** The index of the table `blob`, or null if it is not a table of this format. */
export function layoutIndex(blob: Uint8Array): LayoutIndex | null {
  if (blob.length < HEADER) return null;
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (v.getUint32(0, true) !== MAGIC || v.getUint32(4, true) !== VERSION) return null;
  const count = v.getUint32(8, true);
  const pairs = v.getUint32(12, true);
  const types = new Map<DieRef, number>();
  const shared = new Map<DieRef, DieRef | null>();
  let p = HEADER;
  if (p + pairs * PAIR_BYTES > blob.length) return null;
  for (let i = 0; i < pairs; i++, p += PAIR_BYTES) {
    const def = v.getFloat64(p, true);
    const to = v.getFloat64(p + 8, true);
    if (!isRef(def) || !(to === -1 || isRef(to))) return null;
    shared.set(def, to === -1 ? null : to);
  }
  for (let i = 0; i < count; i++) {
    if (p + TYPE_HEADER > blob.length) return null;
    const ref = v.getFloat64(p, true);
    const n = v.getUint32(p + 8, true);
    const nameBytes = v.getUint32(p + 12, true);
    const end = p + TYPE_HEADER + n * MEMBER_BYTES + align8(nameBytes);
    if (!isRef(ref) || end > blob.length) return null;
    types.set(ref, p);
    p = end;
  }
  return p === blob.length ? { types, shared } : null;
}

/** Whether `x` is a DIE offset, or any non-negative safe integer. */
function isRef(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

/**
 * The members of the record at byte `at` of `blob` (see {@link layoutIndex}),
 * each made by `make`, or null if the record is malformed.
 */
export function decodeLayout<T>(blob: Uint8Array, at: number, make: MemberMaker<T>): T[] | null {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const n = v.getUint32(at + 8, true);
  const nameBytes = v.getUint32(at + 12, true);
  const namesAt = at + TYPE_HEADER + n * MEMBER_BYTES;
  const names = decodeUtf8(blob.subarray(namesAt, namesAt + nameBytes));
  const out: T[] = [];
  let q = 0;
  for (let i = 0, p = at + TYPE_HEADER; i < n; i++, p += MEMBER_BYTES) {
    const type = v.getFloat64(p, true);
    const bitOffset = v.getFloat64(p + 8, true);
    const bitSize = v.getFloat64(p + 16, true);
    const len = v.getInt32(p + 24, true);
    if (
      !(type === -1 || isRef(type)) || !isRef(bitOffset) || !(bitSize === -1 || isRef(bitSize)) ||
      len < -1 || q + Math.max(0, len) > names.length
    ) return null;
    const name = len < 0 ? null : names.slice(q, q + len);
    q += Math.max(0, len);
    out.push(make(name, type < 0 ? null : type, bitOffset, bitSize < 0 ? null : bitSize));
  }
  return q === names.length ? out : null;
}

/**
 * A {@link MemberLayoutCache} over a saved table: `load` reads it (null:
 * none), `save` writes the table with what this session added, once, when
 * the script ends (`unload`), if `canSave()` then says so.
 */
export class LayoutStore implements MemberLayoutCache {
  readonly #load: () => Uint8Array | null;
  readonly #save: (blob: Uint8Array) => void;
  readonly #canSave: () => boolean;
  #blob: Uint8Array | null | undefined;
  #index: LayoutIndex | null = null;
  readonly #added = new Map<DieRef, readonly SavedMember[]>();
  readonly #addedShared = new Map<DieRef, DieRef | null>();

  constructor(
    load: () => Uint8Array | null,
    save: (blob: Uint8Array) => void,
    canSave: () => boolean = () => true,
  ) {
    this.#load = load;
    this.#save = save;
    this.#canSave = canSave;
  }

  get<T>(ref: DieRef, make: MemberMaker<T>): T[] | null {
    const added = this.#added.get(ref);
    if (added !== undefined) {
      return added.map((m) => make(m.name, m.type, m.bitOffset, m.bitFieldSize));
    }
    const at = this.#loaded()?.types.get(ref);
    return at === undefined ? null : decodeLayout(this.#blob!, at, make);
  }

  #loaded(): LayoutIndex | null {
    if (this.#blob === undefined) {
      this.#blob = this.#load();
      this.#index = this.#blob === null ? null : layoutIndex(this.#blob);
    }
    return this.#index;
  }

  shared(def: DieRef): DieRef | null | undefined {
    if (this.#addedShared.has(def)) return this.#addedShared.get(def);
    return this.#loaded()?.shared.get(def);
  }

  putShared(def: DieRef, shared: DieRef | null): void {
    if (this.shared(def) !== undefined) return;
    this.#listen();
    this.#addedShared.set(def, shared);
  }

  #listen(): void {
    if (
      this.#added.size === 0 && this.#addedShared.size === 0 &&
      typeof globalThis.addEventListener === "function"
    ) {
      globalThis.addEventListener("unload", () => this.flush(), { once: true });
    }
  }

  put(ref: DieRef, members: readonly SavedMember[]): void {
    if (this.#added.has(ref) || this.get(ref, SAVED) !== null) return;
    this.#listen();
    this.#added.set(ref, members);
  }

  /** Saves the table with what was added since it was read (if anything, and `canSave()`). */
  flush(): void {
    if ((this.#added.size === 0 && this.#addedShared.size === 0) || !this.#canSave()) return;
    const layouts = new Map<DieRef, readonly SavedMember[]>();
    const shared = new Map<DieRef, DieRef | null>();
    const index = this.#loaded();
    if (index !== null) {
      for (const [ref, at] of index.types) {
        const members = decodeLayout(this.#blob!, at, SAVED);
        if (members !== null) layouts.set(ref, members);
      }
      for (const [def, to] of index.shared) shared.set(def, to);
    }
    for (const [ref, members] of this.#added) {
      if (layouts.size >= MAX_SAVED_TYPES) break;
      layouts.set(ref, members);
    }
    for (const [def, to] of this.#addedShared) {
      if (shared.size >= MAX_SAVED_PAIRS) break;
      shared.set(def, to);
    }
    this.#added.clear();
    this.#addedShared.clear();
    this.#save(encodeLayouts({ layouts, shared }));
  }
}
