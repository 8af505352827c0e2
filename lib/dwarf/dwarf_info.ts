/**
 * The DWARF debug info of one loaded file: its units, the name index, and
 * the lookups the Program calls: types by name (complete definitions
 * first), variables, functions and enumerator constants, and the language.
 *
 * @example
 * ```ts ignore
 * const dwarf = await DwarfInfo.load(sections, { littleEndian: true, bias: 0n, name: "vmlinux" });
 * const t = dwarf.findType("task_struct", "struct");
 * const v = dwarf.findObject("init_task", "variable");
 * ```
 *
 * @module
 */

import { DecodeError, FaultError, TargetError } from "../errors.ts";
import type { Language, Type } from "../types/type.ts";
import { baseTypeSpellings, parsePrimitive } from "./base_type_names.ts";
import { DW_AT, DW_TAG } from "./constants.ts";
import { type Die, DieReader, type DieRef, TYPES_BASE } from "./die.ts";
import type { MemberLayoutCache } from "./layout_cache.ts";
import { lineFileKeys } from "./line_header.ts";
import { buildNameIndexParallel, type ParallelOptions } from "./index_parallel.ts";
import { FLAG_DECLARATION, FLAG_HAS_ADDRESS, IndexKind } from "./index_scan.ts";
import {
  buildNameIndex,
  type IndexView,
  kindMask,
  type LazyIndexBlob,
  NameIndex,
} from "./name_index.ts";
import { ProgressiveIndex } from "./index_progressive.ts";
import { type DwarfObject, ObjectReader } from "./object_reader.ts";
import { type ArangeTable, dieRanges, parseAranges } from "./ranges.ts";
import { checkSections, type DwarfSections } from "./sections.ts";
import { type ExternalTypeResolver, languageOf, TypeReader } from "./type_reader.ts";
import type { DwarfUnit, LazyUnits } from "./unit.ts";

/** Kinds of named types, as in C: `struct X`, `union X`, `class X`, `enum X`, typedefs, base types. */
export type TypeLookupKind = "struct" | "union" | "class" | "enum" | "typedef" | "base";

/** Which objects {@link DwarfInfo.findObject} considers. */
export type ObjectLookupKind = "variable" | "function" | "constant" | "any";

/** Options of a {@link DwarfInfo}. */
export interface DwarfInfoOptions {
  /** Byte order of the file. */
  littleEndian: boolean;
  /** Load bias added to every address (PIE base, KASLR offset). Default 0n. */
  bias?: bigint;
  /** File name, for `Type.origin` and messages. */
  name?: string;
  /**
   * The file's address size. Informational only: every unit header gives
   * the address size its DIEs use (and pointer types default to it).
   */
  addressSize?: number;
  /**
   * Function-scope static variables: `true` (default) indexes them with
   * everything else (+13% index time on a kernel); `"lazy"` indexes them on
   * the first variable lookup that finds nothing else (a separate pass that
   * costs ~70% of a full index); `false` never.
   */
  localStatics?: boolean | "lazy";
  /**
   * The unit table of these sections, if already known (from the index
   * cache: see `openUnitTable`); else the unit headers are read.
   */
  units?: readonly DwarfUnit[] | LazyUnits;
  /** Member layouts of big C structures and unions kept across sessions (see `layout_cache.ts`). */
  layouts?: MemberLayoutCache;
}

/** Options of {@link DwarfInfo.load}. */
export interface LoadOptions extends DwarfInfoOptions, ParallelOptions {
  /**
   * `true`: always index with workers; `false`: on this thread; `"auto"`
   * (default): workers when `.debug_info` is at least
   * {@link PARALLEL_THRESHOLD} bytes and the machine has at least
   * {@link PARALLEL_MIN_CORES} cores.
   */
  parallel?: boolean | "auto";
  /** A serialized index of the same sections (from the on-disk cache). */
  index?: Uint8Array;
}

/** `.debug_info` size from which {@link DwarfInfo.load} indexes with workers by default. */
export const PARALLEL_THRESHOLD = 16 << 20;

/**
 * Cores needed for {@link DwarfInfo.load} to index with workers by default.
 * Measured on 2 cores (vmlinux, 174 MB): a cold parallel build (fresh
 * process) took 385–445 ms against 335–345 ms on one thread, because every
 * worker isolate warms its JIT at the same time and V8's background
 * compiler then has no idle core; warm, the parallel build is 1.7× faster.
 */
export const PARALLEL_MIN_CORES = 4;

/**
 * Indexing on demand with somewhere to save the index, a lookup that leaves
 * 1/COMPLETE_FRACTION of the units' bytes scanned completes the index (for
 * debug info of at least {@link COMPLETE_MIN_BYTES}; smaller indexes so fast
 * that saving it would not pay).
 */
export const COMPLETE_FRACTION = 4;
export const COMPLETE_MIN_BYTES = 16 << 20;

const TYPE_KINDS: Record<TypeLookupKind, number> = {
  struct: IndexKind.struct,
  union: IndexKind.union,
  class: IndexKind.class,
  enum: IndexKind.enum,
  typedef: IndexKind.typedef,
  base: IndexKind.base,
};

const NO_FILES = new Uint32Array(0);

const KIND_OF_TAG: Record<number, number> = {
  [DW_TAG.structure_type]: IndexKind.struct,
  [DW_TAG.union_type]: IndexKind.union,
  [DW_TAG.class_type]: IndexKind.class,
  [DW_TAG.enumeration_type]: IndexKind.enum,
};

/**
 * How good a match object entry `i` of `idx` is, 0 best (see
 * {@link DwarfInfo.findObjects}): definitions (variables with a location,
 * functions with an address, enumerators) 0, variables without a location
 * 1, functions without an address 2, function-scope statics 3.
 */
export function objectRank(idx: IndexView, i: number): number {
  const addr = (idx.flags[i]! & FLAG_HAS_ADDRESS) !== 0;
  switch (idx.kind[i]!) {
    case IndexKind.variable:
      return addr ? 0 : 1;
    case IndexKind.function:
      return addr ? 0 : 2;
    case IndexKind.constant:
      return 0;
    default:
      return 3;
  }
}

/**
 * For a C++ qualified name (`app::inner::x`): its last part and a filter
 * keeping the DIEs that `accept` (if given) keeps and whose scope
 * ({@link DwarfInfo.scopeOf}) is the rest; null for a plain name. `::`
 * inside template arguments (`Box<std::string>`) does not count.
 */
function scopeFilter(
  name: string,
  scopeOf: (ref: DieRef) => string[] | null,
  accept: ((ref: DieRef) => boolean) | undefined,
): { name: string; accept: (ref: DieRef) => boolean } | null {
  const parts = splitTopLevel(name, "::");
  if (parts.length < 2 || parts.some((s) => s === "")) return null;
  const scope = parts.slice(0, -1);
  const inScope = (ref: DieRef) => {
    const s = scopeOf(ref);
    return s !== null && s.length === scope.length && s.every((x, i) => x === scope[i]);
  };
  return {
    name: parts.at(-1)!,
    accept: accept === undefined ? inScope : (ref) => inScope(ref) && accept(ref),
  };
}

/** `text` split at `sep` outside `<…>` (template arguments). */
function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "<") depth++;
    else if (c === ">") depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i));
      i += sep.length - 1;
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/**
 * A C++ template name as compared (`Box<short int>` and `Box<short>` are
 * one): spaces only between words, and each run of words that is a C base
 * type in its C spelling (`long unsigned int` → `unsigned long`).
 */
export function templateKey(name: string): string {
  const squeezed = name.trim().replace(/\s+/g, " ").replace(/ ?([<>,*&()[\]]) ?/g, "$1");
  return squeezed.replace(/[A-Za-z_][A-Za-z0-9_ ]*/g, (words) => {
    const t = words.trim();
    return parsePrimitive(t)?.name ?? t;
  });
}

/** DIEs whose children are named with their name (C++ scopes). */
const SCOPE_TAGS: ReadonlySet<number> = new Set([
  DW_TAG.namespace,
  DW_TAG.structure_type,
  DW_TAG.class_type,
  DW_TAG.union_type,
]);

/** The DWARF debug info of one file. */
export class DwarfInfo {
  readonly sections: DwarfSections;
  readonly options: Readonly<DwarfInfoOptions>;
  /** The DIE reader (units, abbreviations, attributes). */
  readonly reader: DieReader;
  /** DIE → Type conversion (cached). */
  readonly types: TypeReader;
  /**
   * Where a declared struct/union/class/enum this file does not define is
   * looked for next (the program's other modules: set by the program).
   */
  externalTypes: ExternalTypeResolver | null = null;
  readonly #objects: ObjectReader;
  #index: NameIndex | null = null;
  /** Set while the index is built as lookups need it (see {@link indexOnDemand}). */
  #progressiveIndex: ProgressiveIndex | null = null;
  /** Whether indexing on demand was asked for, and its index not made yet (it reads the unit headers). */
  #progressivePending = false;
  /** Set once completing the index early failed (see {@link #lookup}). */
  #earlyFailed = false;
  #onIndexBuilt: ((index: NameIndex) => void) | null = null;
  #statics: NameIndex | null = null;
  #aranges: ArangeTable | null | undefined;
  #functions = new Map<number, { start: bigint; end: bigint; ref: DieRef }[]>();
  #language: Language | null | undefined;

  /**
   * Opens the debug info in `sections`. The name index is built on first
   * use on this thread (see {@link DwarfInfo.load} for the parallel build).
   * Throws a {@link DecodeError} for malformed unit headers.
   */
  constructor(sections: DwarfSections, options: DwarfInfoOptions) {
    this.sections = checkSections(sections);
    this.options = { ...options };
    this.reader = new DieReader(this.sections, options.littleEndian, options.units);
    this.types = new TypeReader(this.reader, {
      origin: options.name,
      resolveDeclaration: (tag, name, decl) => this.#resolveDeclaration(tag, name, decl),
      resolveExternal: (kind, name) => this.externalTypes?.(kind, name) ?? null,
      canonicalDefinition: (tag, name, def) => this.#canonicalDefinition(tag, name, def),
      layouts: options.layouts,
    });
    this.#objects = new ObjectReader(this.reader, this.types, options.bias ?? 0n);
  }

  /**
   * Opens the debug info and builds its name index: from `options.index`
   * if given, else with Web Workers for big files, else on this thread.
   */
  static async load(sections: DwarfSections, options: LoadOptions): Promise<DwarfInfo> {
    const info = new DwarfInfo(sections, options);
    if (options.index !== undefined) {
      info.#index = NameIndex.deserialize(options.index, info.sections, info.reader.units);
      return info;
    }
    const parallel = options.parallel ?? "auto";
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    if (
      parallel === true ||
      (parallel === "auto" && sections.info.length >= PARALLEL_THRESHOLD &&
        cores >= PARALLEL_MIN_CORES)
    ) {
      info.#index = await buildNameIndexParallel(info.sections, info.reader.units, {
        littleEndian: options.littleEndian,
        localStatics: (options.localStatics ?? true) === true,
        workers: options.workers,
      });
    } else {
      info.buildIndex();
    }
    return info;
  }

  /**
   * Adopts a serialized name index of these sections (from the on-disk
   * cache) instead of building one. Throws a {@link DecodeError} if it
   * does not fit the sections (see `NameIndex.deserialize`); the index is
   * then unchanged.
   */
  loadIndex(bytes: Uint8Array): void {
    this.#index = NameIndex.deserialize(bytes, this.sections, this.reader.unitList);
  }

  /**
   * Adopts a serialized name index that is read as lookups need it (from
   * the on-disk cache; see `NameIndex.open`). Throws a {@link DecodeError}
   * if its header does not fit the sections. Should the blob turn out
   * damaged later, the index is built afresh and `onRebuild` gets it.
   */
  openIndex(blob: LazyIndexBlob, onRebuild?: (fresh: NameIndex) => void): void {
    this.#index = NameIndex.open(blob, this.sections, this.reader.unitList, () => {
      const fresh = this.#build();
      onRebuild?.(fresh);
      return fresh;
    });
  }

  /**
   * Indexes the units as lookups need them instead of all at once (see
   * `ProgressiveIndex`): a lookup scans units in order until its answer
   * cannot change; the full index is built only when a lookup needs it
   * (a name that is not there, every definition of a name, {@link names})
   * or {@link buildIndex} is called, and `onBuilt` then gets it (to save
   * it). With `onBuilt`, a lookup after which a quarter of the units'
   * bytes have been scanned (of 16 MiB or more) also completes the index:
   * finishing costs at most three times what was scanned already, and
   * later runs, starting from the saved index, scan nothing. Answers are
   * the same as with the full index. No-op if the index is built or
   * loaded.
   */
  indexOnDemand(onBuilt?: (index: NameIndex) => void): void {
    if (this.#index !== null) return;
    // Made at the first lookup: until then the unit headers are not read.
    this.#progressivePending = true;
    this.#onIndexBuilt = onBuilt ?? null;
  }

  /** The index being built on demand, made first if pending (see {@link indexOnDemand}). */
  get #progressive(): ProgressiveIndex | null {
    if (this.#progressivePending) {
      this.#progressivePending = false;
      this.#progressiveIndex = new ProgressiveIndex(
        this.sections,
        this.reader.units,
        this.#buildOptions(),
      );
    }
    return this.#progressiveIndex;
  }

  set #progressive(p: ProgressiveIndex | null) {
    this.#progressivePending = false;
    this.#progressiveIndex = p;
  }

  /** Whether the full name index is built or loaded. */
  get hasIndex(): boolean {
    return this.#index !== null;
  }

  /** Units indexed so far while indexing on demand (all of them once the index is built). */
  get indexedUnits(): number {
    return this.#index !== null ? this.reader.unitCount : this.#progressiveIndex?.scannedUnits ?? 0;
  }

  /** Builds the name index on this thread (no-op if built). */
  buildIndex(): NameIndex {
    if (this.#index === null) {
      const p = this.#progressive;
      this.#index = p !== null ? p.complete() : this.#build();
      this.#progressive = null;
      const onBuilt = this.#onIndexBuilt;
      this.#onIndexBuilt = null;
      onBuilt?.(this.#index);
    }
    return this.#index;
  }

  #buildOptions() {
    return {
      littleEndian: this.options.littleEndian,
      localStatics: (this.options.localStatics ?? true) === true,
    };
  }

  /**
   * For each query `[name, mask]`, the entries named `name` whose kind is
   * in `mask`, in unit order, and the index they are numbers of. While
   * indexing on demand, only those of the units scanned until
   * `enough(view, hits)` holds, which must mean that entries further on
   * cannot change the caller's answer; else (and once the index is built)
   * all of them.
   */
  #lookup(
    queries: readonly (readonly [name: string, mask: number])[],
    enough: (view: IndexView, hits: number[][]) => boolean,
  ): [IndexView, number[][]] {
    const p = this.#progressive;
    if (p !== null) {
      const hits = p.findUntil(queries, (h) => enough(p, h));
      if (hits !== null) {
        // A session that has had to scan a good part of the units completes
        // the index (and saves it, when it can), so that later runs start
        // warm. Units further on that cannot be read or decoded do not
        // change this answer: it is then given on demand, as before.
        if (this.#onIndexBuilt === null || this.#earlyFailed || !this.#scannedMuch(p)) {
          return [p, hits];
        }
        try {
          this.buildIndex();
        } catch (e) {
          if (!(e instanceof DecodeError || e instanceof TargetError || e instanceof FaultError)) {
            throw e;
          }
          this.#earlyFailed = true;
          // The failed scan started over: scan again up to the answer.
          return this.#lookup(queries, enough);
        }
      }
    }
    const idx = this.index;
    return [idx, queries.map(([name, mask]) => idx.find(name, mask))];
  }

  /**
   * Whether `p` has scanned at least 1/{@link COMPLETE_FRACTION} of the
   * units' bytes, of at least {@link COMPLETE_MIN_BYTES}.
   */
  #scannedMuch(p: ProgressiveIndex): boolean {
    const total = this.sections.info.length + (this.sections.types?.length ?? 0);
    return total >= COMPLETE_MIN_BYTES && p.scannedBytes * COMPLETE_FRACTION >= total;
  }

  /** {@link #lookup} of one name. */
  #lookupOne(
    name: string,
    mask: number,
    enough: (view: IndexView, hits: number[]) => boolean,
  ): [IndexView, number[]] {
    const [idx, [hits]] = this.#lookup([[name, mask]], (v, [h]) => enough(v, h!));
    return [idx, hits!];
  }

  #build(): NameIndex {
    return buildNameIndex(this.sections, this.reader.units, this.#buildOptions());
  }

  /**
   * The index of function-scope statics when they are indexed lazily (built
   * on first use), or null when they are in the main index or disabled.
   */
  get staticsIndex(): NameIndex | null {
    const mode = this.options.localStatics ?? true;
    if (mode !== "lazy") return null;
    if (this.#statics === null) {
      this.#statics = buildNameIndex(this.sections, this.reader.units, {
        littleEndian: this.options.littleEndian,
        localStatics: true,
        globals: false,
      });
    }
    return this.#statics;
  }

  /** The name index (built on first use). */
  get index(): NameIndex {
    return this.#index ?? this.buildIndex();
  }

  /** The index as bytes for the on-disk cache (see `NameIndex.serialize`). */
  serializeIndex(): Uint8Array {
    return this.index.serialize();
  }

  /** Every unit of the file. */
  get units(): readonly DwarfUnit[] {
    return this.reader.units;
  }

  #ref(i: number, idx: IndexView): DieRef {
    const u = idx.units.at(idx.unit[i]!)!;
    return u.section === "info" ? idx.die[i]! : TYPES_BASE + idx.die[i]!;
  }

  /** The DIE an entry's `aux` names (an enumerator's enum type). */
  #auxRef(i: number, idx: IndexView): DieRef {
    const u = idx.units.at(idx.unit[i]!)!;
    return u.section === "info" ? idx.aux[i]! : TYPES_BASE + idx.aux[i]!;
  }

  #resolveDeclaration(tag: number, name: string, decl: DieRef): DieRef | null {
    const kind = KIND_OF_TAG[tag];
    if (kind === undefined) return null;
    const definition = (idx: IndexView, i: number) =>
      (idx.flags[i]! & FLAG_DECLARATION) === 0 && this.#ref(i, idx) !== decl;
    const [idx, hits] = this.#lookupOne(
      name,
      kindMask(kind),
      (v, h) => h.some((i) => definition(v, i)),
    );
    for (const i of hits) if (definition(idx, i)) return this.#ref(i, idx);
    return null;
  }

  /**
   * The definition the index keeps of the type definition `def` (see
   * `TypeReaderOptions.canonicalDefinition`): the index keeps the first of
   * the copies with equal kind, name, size and declaring file and line (a
   * header's type repeated by the units including it); this finds it among
   * the entries already indexed (never indexing more for it), or null.
   */
  #canonicalDefinition(tag: number, name: string, def: DieRef): DieRef | null {
    // Saved by an earlier session (see `layout_cache.ts`), or saved now if
    // found with the whole index (with part of it, "none" may be wrong).
    const saved = this.options.layouts?.shared(def);
    if (saved !== undefined) return saved;
    const shared = this.#findCanonical(tag, name, def);
    if (this.#index !== null) this.options.layouts?.putShared(def, shared);
    return shared;
  }

  #findCanonical(tag: number, name: string, def: DieRef): DieRef | null {
    const kind = KIND_OF_TAG[tag];
    if (kind === undefined) return null;
    const [idx, hits] = this.#lookupOne(name, kindMask(kind), () => true);
    let key: string | null | undefined;
    for (const i of hits) {
      if ((idx.flags[i]! & FLAG_DECLARATION) !== 0) continue;
      const ref = this.#ref(i, idx);
      if (ref === def) return null;
      try {
        key ??= this.#definitionKey(def);
        if (key === null) return null;
        if (this.#definitionKey(ref) === key) return ref;
      } catch (e) {
        // A copy that cannot be read is not shared: `def` is read as it is.
        if (!(e instanceof DecodeError)) throw e;
        return null;
      }
    }
    return null;
  }

  /**
   * What makes two type definitions the same for {@link #canonicalDefinition}
   * (tag, size, declaring file's path key and line; the name is the
   * caller's), or null without a declaring file and line.
   */
  #definitionKey(ref: DieRef): string | null {
    const die = this.reader.die(ref);
    const fi = die.udata(DW_AT.decl_file);
    const line = die.udata(DW_AT.decl_line);
    if (fi === null || line === null) return null;
    const files = this.#fileKeys(die.unit);
    const file = fi < files.length ? files[fi]! : 0;
    return file === 0 ? null : `${die.tag}:${die.udata(DW_AT.byte_size)}:${file}:${line}`;
  }

  /** Keys of the files of `unit`'s line table (see `lineFileKeys`; empty if it has none or a bad one). */
  #fileKeys(unit: DwarfUnit): Uint32Array {
    let keys = this.#unitFileKeys.get(unit.index);
    if (keys === undefined) {
      keys = NO_FILES;
      const stmtList = this.reader.unitInfo(unit).stmtList;
      const line = this.sections.line;
      if (stmtList !== null && line !== undefined) {
        try {
          keys = lineFileKeys(
            { line, lineStr: this.sections.lineStr, str: this.sections.str },
            stmtList,
            this.options.littleEndian,
          );
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          // A bad line table: this unit's types are not shared.
        }
      }
      this.#unitFileKeys.set(unit.index, keys);
    }
    return keys;
  }

  readonly #unitFileKeys = new Map<number, Uint32Array>();

  /**
   * Index entries for a type lookup, complete definitions first (at least
   * the first `limit` complete definitions, or all entries), and the index
   * they are numbers of.
   */
  #typeEntries(
    name: string,
    kind: TypeLookupKind | undefined,
    limit: number,
  ): [IndexView, number[]] {
    let k = kind;
    let n = name;
    if (k === undefined) {
      const m = /^\s*(struct|union|class|enum)\s+(.+?)\s*$/.exec(name);
      if (m !== null) {
        k = m[1] as TypeLookupKind;
        n = m[2]!;
      }
    }
    // Without a kind, typedefs come before base types. A base type's
    // spellings all name the same C type: their entries are taken in unit
    // order (so the first found, in whatever spelling, is the answer).
    const typedefs = k === undefined;
    const queries: [string, number][] = [];
    if (typedefs) queries.push([n, kindMask(IndexKind.typedef)]);
    if (k === undefined || k === "base") {
      for (const s of baseTypeSpellings(n)) queries.push([s, kindMask(IndexKind.base)]);
    } else {
      queries.push([n, kindMask(TYPE_KINDS[k])]);
    }
    const isComplete = (v: IndexView, i: number) => (v.flags[i]! & FLAG_DECLARATION) === 0;
    const completeCount = (v: IndexView, lists: number[][]) => {
      let c = 0;
      for (const h of lists) for (const i of h) if (isComplete(v, i)) c++;
      return c;
    };
    // The first `limit` complete definitions are known once the scanned
    // units hold that many (of the typedef, which comes first, if searched).
    const [v, lists] = this.#lookup(
      queries,
      (v, h) => completeCount(v, typedefs ? h.slice(0, 1) : h) >= limit,
    );
    const rest = lists.slice(typedefs ? 1 : 0).flat();
    if (lists.length - (typedefs ? 1 : 0) > 1) {
      rest.sort((a, b) => v.unit[a]! - v.unit[b]! || v.die[a]! - v.die[b]!);
    }
    const hits = typedefs ? lists[0]!.concat(rest) : rest;
    const complete = hits.filter((i) => isComplete(v, i));
    if (complete.length === hits.length) return [v, hits];
    return [v, complete.concat(hits.filter((i) => !isComplete(v, i)))];
  }

  /**
   * Types named `name`, complete definitions first. `kind` selects the
   * namespace: a tag kind (`"struct"` …: `name` is the tag), `"typedef"`,
   * or `"base"` (any spelling of a C base type: `"unsigned long"` finds
   * gcc's `long unsigned int`; the spellings' types come in unit order).
   * Without `kind`, `name` may start with a tag keyword (`"struct
   * list_head"`); otherwise typedefs and base types are searched. At most
   * `limit` types are returned, each once (a declaration that resolves to a
   * definition listed before is not listed again).
   */
  findTypes(
    name: string,
    kind?: TypeLookupKind,
    limit = Infinity,
    accept?: (ref: DieRef) => boolean,
  ): Type[] {
    // A C++ qualified name: as for objects (see findObjects).
    const q = scopeFilter(name, (ref) => this.scopeOf(ref), accept);
    if (q !== null) return this.findTypes(q.name, kind, limit, q.accept);
    const out: Type[] = [];
    // With a filter, every entry is a candidate: no early stop.
    const [idx, hits] = this.#typeEntries(name, kind, accept === undefined ? limit : Infinity);
    for (const i of hits) {
      if (out.length >= limit) break;
      const ref = this.#ref(i, idx);
      if (accept !== undefined && !accept(ref)) continue;
      const t = this.types.typeFromDie(ref);
      if (!out.includes(t)) out.push(t);
    }
    // A C++ template spelled otherwise than the compiler did (`Box<short>`
    // for g++'s `Box<short int>`): the names of that template with the same
    // arguments (see templateKey).
    const open = name.indexOf("<");
    if (out.length === 0 && open > 0 && kind !== undefined && kind !== "base") {
      const key = templateKey(name);
      const prefix = name.slice(0, open).trim() + "<";
      for (const n of this.names(kind)) {
        if (out.length >= limit) break;
        if (n === name || !n.startsWith(prefix) || templateKey(n) !== key) continue;
        for (const t of this.findTypes(n, kind, limit - out.length, accept)) {
          if (!out.includes(t)) out.push(t);
        }
      }
    }
    return out;
  }

  /** The first type {@link findTypes} returns, or null. */
  findType(name: string, kind?: TypeLookupKind, accept?: (ref: DieRef) => boolean): Type | null {
    return this.findTypes(name, kind, 1, accept)[0] ?? null;
  }

  /**
   * Objects named `name` of the given kind(s) (`"any"`, one kind, or a
   * list such as `["variable", "constant"]`), best first: definitions
   * (variables with a location, functions with an address, enumerators)
   * in unit order, then variables without a location, functions without
   * an address, and function-scope statics last.
   */
  findObjects(
    name: string,
    kind: ObjectLookupKind | readonly ObjectLookupKind[] = "any",
    limit = Infinity,
    accept?: (ref: DieRef) => boolean,
  ): DwarfObject[] {
    // A C++ qualified name (`app::inner::counter`): the name's entries whose
    // enclosing namespaces and classes are those, as drgn finds them.
    const q = scopeFilter(name, (ref) => this.scopeOf(ref), accept);
    if (q !== null) return this.findObjects(q.name, kind, limit, q.accept);
    const out: DwarfObject[] = [];
    const kinds: readonly ObjectLookupKind[] = typeof kind === "string" ? [kind] : kind;
    const want = (k: ObjectLookupKind) => kinds.includes("any") || kinds.includes(k);
    const mask = (want("variable") ? kindMask(IndexKind.variable, IndexKind.localVariable) : 0) |
      (want("function") ? kindMask(IndexKind.function) : 0) |
      (want("constant") ? kindMask(IndexKind.constant) : 0);
    // Once `limit` definitions are found, entries further on cannot come
    // before them.
    const [idx, all] = this.#lookupOne(name, mask, (v, h) => {
      if (accept !== undefined) return false; // every entry is a candidate
      let c = 0;
      for (const i of h) if (objectRank(v, i) === 0 && ++c >= limit) return true;
      return false;
    });
    // An enumerator is in the file of its enum type (it has no DW_AT_decl_file).
    const hits = accept === undefined
      ? all
      : all.filter((i) =>
        accept(idx.kind[i] === IndexKind.constant ? this.#auxRef(i, idx) : this.#ref(i, idx))
      );
    // C++ namespaces' and classes' members after the globals of their
    // name, which is what drgn finds by that name.
    // (A definition outside its namespace is found by reading its unit's
    // scopes: only among a few candidates.)
    const scoped = (i: number) => hits.length > 1 ? this.#scopedRank(idx, i, hits.length <= 16) : 0;
    const ordered = hits.map((i, n) => [objectRank(idx, i) * 2 + scoped(i), n, i] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [, , i] of ordered) {
      if (out.length >= limit) break;
      out.push(this.#object(idx, i, name));
    }
    // Function-scope statics indexed lazily: only when nothing else matched.
    if (out.length === 0 && want("variable")) {
      const statics = this.staticsIndex;
      if (statics !== null) {
        for (const i of statics.find(name, kindMask(IndexKind.localVariable))) {
          if (out.length >= limit) break;
          if (accept !== undefined && !accept(this.#ref(i, statics))) continue;
          out.push(this.#object(statics, i, name));
        }
      }
    }
    return out;
  }

  /**
   * The names of the C++ namespaces, classes, structures and unions around
   * the DIE `ref` (of its declaration, for a definition that names one with
   * `DW_AT_specification`), outermost first: `["app", "inner"]`; an
   * anonymous namespace is `(anonymous namespace)`. Null if the DIE is
   * inside something else (a function) or cannot be found from its unit's
   * root.
   */
  scopeOf(ref: DieRef): string[] | null {
    let die = this.reader.die(ref);
    const spec = die.ref(DW_AT.specification);
    if (spec !== null) die = this.reader.die(spec);
    const target = die.offset;
    let cur = this.reader.unitDie(die.unit);
    const path: string[] = [];
    for (let depth = 0; depth < 64; depth++) {
      // The child whose subtree holds the target: the last one at or before it.
      const kids = this.#scopeChildren(cur);
      let lo = 0, hi = kids.length - 1, at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (kids[mid]!.offset <= target) {
          at = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      const next = at < 0 ? null : kids[at]!;
      if (next !== null && next.offset === target) return path;
      if (next === null || !next.hasChildren || !SCOPE_TAGS.has(next.tag)) return null;
      path.push(next.name ?? (next.tag === DW_TAG.namespace ? "(anonymous namespace)" : ""));
      cur = next;
    }
    return null;
  }

  /** Children of units and C++ scopes, read once (for {@link scopeOf}). */
  readonly #scopeKids = new Map<number, Die[]>();
  #scopeChildren(die: Die): Die[] {
    const key = die.unit.section === "info" ? die.offset : TYPES_BASE + die.offset;
    let kids = this.#scopeKids.get(key);
    if (kids === undefined) {
      kids = this.reader.children(die);
      this.#scopeKids.set(key, kids);
    }
    return kids;
  }

  /**
   * 1 for a variable or function entry of a C++ namespace or class: inside
   * one (its `aux` names it), or, with `outside`, defined outside it as the
   * definition of a declaration there (`int app::x = 1;`); else 0.
   */
  #scopedRank(idx: IndexView, i: number, outside: boolean): number {
    const k = idx.kind[i];
    if (k !== IndexKind.variable && k !== IndexKind.function) return 0;
    if (idx.aux[i] !== 0) return 1;
    if (!outside) return 0;
    const ref = this.#ref(i, idx);
    const die = this.reader.die(ref);
    if (languageOf(die.info.language) !== "C++" || die.ref(DW_AT.specification) === null) return 0;
    return (this.scopeOf(ref)?.length ?? 0) > 0 ? 1 : 0;
  }

  #object(idx: IndexView, i: number, name: string): DwarfObject {
    const ref = this.#ref(i, idx);
    switch (idx.kind[i]) {
      case IndexKind.variable:
        return this.#objects.variable(ref, name, false);
      case IndexKind.localVariable:
        return this.#objects.variable(ref, name, true);
      case IndexKind.function:
        return this.#objects.function(ref, name);
      default:
        return this.#objects.enumerator(ref, this.#auxRef(i, idx), name);
    }
  }

  /** The first object {@link findObjects} returns, or null. */
  findObject(
    name: string,
    kind: ObjectLookupKind | readonly ObjectLookupKind[] = "any",
  ): DwarfObject | null {
    return this.findObjects(name, kind, 1)[0] ?? null;
  }

  /**
   * Distinct names of a kind, in index order (for completion and tests).
   * `"localVariable"` lists function-scope statics.
   */
  *names(kind: keyof typeof IndexKind): Generator<string> {
    const idx = kind === "localVariable" ? (this.staticsIndex ?? this.index) : this.index;
    const seen = new Set<string>();
    for (const i of idx.entries(kindMask(IndexKind[kind]))) {
      const n = idx.nameOf(i);
      if (!seen.has(n)) {
        seen.add(n);
        yield n;
      }
    }
  }

  /** The type of the DIE at `ref`. */
  typeFromDie(ref: DieRef): Type {
    return this.types.typeFromDie(ref);
  }

  /** The source language of a unit. */
  unitLanguage(unit: DwarfUnit): Language {
    return languageOf(this.reader.unitInfo(unit).language);
  }

  /**
   * The program's language: that of the unit defining `main`, or null if
   * there is no `main` (the caller's default applies, as in drgn).
   */
  get language(): Language | null {
    if (this.#language === undefined) {
      const [idx, hits] = this.#lookupOne(
        "main",
        kindMask(IndexKind.function),
        (_, h) => h.length > 0,
      );
      this.#language = hits.length === 0
        ? null
        : this.unitLanguage(idx.units.at(idx.unit[hits[0]!]!)!);
    }
    return this.#language;
  }

  /**
   * The DIEs whose code covers `pc` (an unbiased address), outermost first:
   * the subprogram, then the lexical blocks and inlined subroutines nested
   * in it (for stack traces and locals). Empty if no function covers `pc`.
   */
  scopesAt(pc: bigint): Die[] {
    const unit = this.unitForPc(pc);
    if (unit === null) return [];
    const out: Die[] = [];
    // Top level: the unit's functions (also inside C++ namespaces), by range.
    let fn: Die | null = null;
    for (const f of this.#functionsOf(unit)) {
      if (pc >= f.start && pc < f.end) {
        fn = this.reader.die(f.ref);
        break;
      }
    }
    if (fn === null) return out;
    out.push(fn);
    let parent = fn;
    for (let depth = 0; depth < 1000; depth++) {
      let next: Die | null = null;
      for (const c of this.reader.children(parent)) {
        if (c.tag !== DW_TAG.lexical_block && c.tag !== DW_TAG.inlined_subroutine) continue;
        if (dieRanges(c).some(([s, e]) => pc >= s && pc < e)) {
          next = c;
          break;
        }
      }
      if (next === null) break;
      out.push(next);
      parent = next;
    }
    return out;
  }

  /**
   * A DIE's name, following `DW_AT_abstract_origin` and
   * `DW_AT_specification` (out-of-line and inlined instances have none of
   * their own). Null if there is none.
   */
  nameOf(die: Die): string | null {
    let d = die;
    for (let hop = 0; hop < 8; hop++) {
      const n = d.name;
      if (n !== null) return n;
      const next = d.ref(DW_AT.abstract_origin) ?? d.ref(DW_AT.specification);
      if (next === null) return null;
      d = this.reader.die(next);
    }
    return null;
  }

  /** The address ranges of a unit's functions (cached per unit). */
  #functionsOf(unit: DwarfUnit): { start: bigint; end: bigint; ref: DieRef }[] {
    let list = this.#functions.get(unit.index);
    if (list !== undefined) return list;
    list = [];
    const walk = (parent: Die, depth: number) => {
      for (const c of this.reader.children(parent)) {
        if (c.tag === DW_TAG.subprogram) {
          for (const [start, end] of dieRanges(c)) list!.push({ start, end, ref: c.dieRef });
        } else if (c.tag === DW_TAG.namespace && depth < 32) {
          walk(c, depth + 1);
        }
      }
    };
    walk(this.reader.unitDie(unit), 0);
    list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.#functions.set(unit.index, list);
    return list;
  }

  /**
   * The unit whose code covers `pc` (an unbiased address): from
   * `.debug_aranges` when present, else from the units' ranges.
   */
  unitForPc(pc: bigint): DwarfUnit | null {
    if (this.#aranges === undefined) {
      this.#aranges = this.sections.aranges
        ? parseAranges(this.sections.aranges, this.options.littleEndian)
        : null;
    }
    if (this.#aranges !== null) {
      const off = this.#aranges.lookup(pc);
      if (off >= 0) {
        // (An offset that starts no unit: the ranges below decide.)
        let u: DwarfUnit | null = null;
        try {
          u = this.reader.unitOf(off);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
        if (u !== null && u.offset === off) return u;
      }
    }
    for (const u of this.reader.units) {
      if (u.section !== "info") continue;
      for (const [s, e] of dieRanges(this.reader.unitDie(u))) if (pc >= s && pc < e) return u;
    }
    return null;
  }
}
