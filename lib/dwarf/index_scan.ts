/**
 * The indexer's scan: one pass over the DIEs of a range of units that
 * records every global name (types, variables, functions, enumerators,
 * namespaces, and function-scope statics) as rows of typed arrays. It
 * creates no JavaScript object per DIE and no string: names are kept as
 * offsets into `.debug_str` (or wherever the string is) plus a hash of
 * their bytes, computed once per distinct `.debug_str` offset.
 *
 * Runs on this thread over whole sections ({@link scanUnits}), over a lazily
 * read `.debug_info` a few units at a time ({@link scanInfoChunked}: the
 * section is never held whole), or in `index_worker.ts` for the parallel
 * build.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { abbrevCodeText } from "./abbrev.ts";
import { DW_AT, DW_FORM, DW_OP, dwName } from "./constants.ts";
import { formFixedSize, skipVariableForm, UNKNOWN_FORM, VARIABLE_SIZE } from "./form.ts";
import {
  A_BLOCK,
  A_ENUMERATOR,
  A_FUNCTION,
  A_NAMESPACE,
  A_SKIP,
  A_TYPE,
  A_VARIABLE,
  DeclStore,
  FLAG_DECLARATION,
  FLAG_HAS_ADDRESS,
  IndexKind,
  L_DECL,
  L_FILE,
  L_FILE_SIZE,
  L_LINE,
  L_LINE_SIZE,
  L_NAME,
  L_NAME_FORM,
  L_OK,
  L_SIB,
  L_SIB_FORM,
  L_SIZE,
  L_SIZE_SIZE,
  LAY,
  M_ENUM,
  M_FUNC,
  M_SKIP,
  M_TOP,
  N_ROLES,
  NAME_INLINE,
  NAME_LINE_STR,
  NAME_SHIFT,
  NAME_STR,
  type Plan,
  R_BYTE_SIZE,
  R_DECL,
  R_DECL_FILE,
  R_DECL_LINE,
  R_LOCATION,
  R_NAME,
  R_SIBLING,
  R_SPEC,
  R_STMT_LIST,
  R_STR_OFFSETS_BASE,
} from "./index_plan.ts";

export {
  FLAG_DECLARATION,
  FLAG_HAS_ADDRESS,
  IndexKind,
  NAME_INLINE,
  NAME_LINE_STR,
  NAME_MASK,
  NAME_SHIFT,
  NAME_STR,
} from "./index_plan.ts";
import { lineFileKeys } from "./line_header.ts";
import { ensureSection, fillSection, sectionReleaser } from "./sections.ts";
import { type DwarfUnit, findUnitIndex, unitSectionName } from "./unit.ts";

/** The sections and options the scan reads. */
export interface ScanInput {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  types?: Uint8Array;
  /** `.debug_line` (file tables, to recognize repeated type definitions). */
  line?: Uint8Array;
  littleEndian: boolean;
  /**
   * Index each type definition (and its enumerators) once even if many
   * units repeat it (default true). Types are the same definition when
   * kind, name, size, declaring file and line agree.
   */
  dedupe?: boolean;
  /** Index function-scope statics (descends into every subprogram). */
  localStatics: boolean;
  /** Index file-scope names (default true; false with `localStatics` scans for statics only). */
  globals?: boolean;
}

/** Growable columns of index entries. */
export class EntryBuffer {
  count = 0;
  die: Uint32Array;
  unit: Uint32Array;
  aux: Uint32Array;
  nameOff: Uint32Array;
  hash: Uint32Array;
  kind: Uint8Array;
  flags: Uint8Array;
  /** Dedupe keys (0 = not deduplicated); not part of the final index. */
  k1: Uint32Array;
  k2: Uint32Array;

  constructor(capacity = 1024) {
    this.die = new Uint32Array(capacity);
    this.unit = new Uint32Array(capacity);
    this.aux = new Uint32Array(capacity);
    this.nameOff = new Uint32Array(capacity);
    this.hash = new Uint32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.k1 = new Uint32Array(capacity);
    this.k2 = new Uint32Array(capacity);
  }

  grow(): void {
    const cap = this.die.length * 2;
    const g32 = (a: Uint32Array) => {
      const n = new Uint32Array(cap);
      n.set(a);
      return n;
    };
    const g8 = (a: Uint8Array) => {
      const n = new Uint8Array(cap);
      n.set(a);
      return n;
    };
    this.die = g32(this.die);
    this.unit = g32(this.unit);
    this.aux = g32(this.aux);
    this.nameOff = g32(this.nameOff);
    this.hash = g32(this.hash);
    this.kind = g8(this.kind);
    this.flags = g8(this.flags);
    this.k1 = g32(this.k1);
    this.k2 = g32(this.k2);
  }

  /** Trims the columns to `count` (copies). */
  trimmed(): EntryColumns {
    const n = this.count;
    return {
      count: n,
      die: this.die.slice(0, n),
      unit: this.unit.slice(0, n),
      aux: this.aux.slice(0, n),
      nameOff: this.nameOff.slice(0, n),
      hash: this.hash.slice(0, n),
      kind: this.kind.slice(0, n),
      flags: this.flags.slice(0, n),
      k1: this.k1.slice(0, n),
      k2: this.k2.slice(0, n),
    };
  }
}

/** Index entries as columns. */
export interface EntryColumns {
  count: number;
  /** Section offset of the DIE (in its unit's section). */
  die: Uint32Array;
  /** Unit index. */
  unit: Uint32Array;
  /** Enumerators: the enum DIE; namespace members: the namespace DIE; local statics: the function DIE; else 0. */
  aux: Uint32Array;
  /** Offset of the name in the section given by the flags. */
  nameOff: Uint32Array;
  /** {@link hashBytes} of the name. */
  hash: Uint32Array;
  /** {@link IndexKind}. */
  kind: Uint8Array;
  /** FLAG_* bits and the name section. */
  flags: Uint8Array;
  /** Dedupe keys of the scan (see {@link dedupeColumns}); absent in a built index. */
  k1?: Uint32Array;
  k2?: Uint32Array;
}

/** An open-addressing set of nonzero 64-bit keys (as two 32-bit halves). */
export class DedupSet {
  #a: Uint32Array;
  #b: Uint32Array;
  #count = 0;

  constructor(capacity = 1 << 12) {
    this.#a = new Uint32Array(capacity);
    this.#b = new Uint32Array(capacity);
  }

  /** Adds (k1, k2) (k1 must be nonzero); returns false if it was already there. */
  add(k1: number, k2: number): boolean {
    if ((this.#count + 1) * 2 > this.#a.length) this.#grow();
    const a = this.#a;
    const b = this.#b;
    const mask = a.length - 1;
    let i = (k1 ^ (k2 >>> 7)) & mask;
    for (;;) {
      const x = a[i]!;
      if (x === 0) {
        a[i] = k1;
        b[i] = k2;
        this.#count++;
        return true;
      }
      if (x === k1 && b[i] === k2) return false;
      i = (i + 1) & mask;
    }
  }

  #grow(): void {
    const oa = this.#a;
    const ob = this.#b;
    this.#a = new Uint32Array(oa.length * 2);
    this.#b = new Uint32Array(oa.length * 2);
    this.#count = 0;
    for (let i = 0; i < oa.length; i++) if (oa[i] !== 0) this.add(oa[i]!, ob[i]!);
  }
}

/**
 * Drops entries whose dedupe key appeared earlier (for merging the ranges
 * of a parallel scan, each deduplicated on its own). Keeps order.
 */
export function dedupeColumns(cols: EntryColumns): EntryColumns {
  const k1 = cols.k1;
  const k2 = cols.k2;
  if (k1 === undefined || k2 === undefined) return cols;
  const n = cols.count;
  const set = new DedupSet(1 << 16);
  const keep = new Uint8Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = k1[i]!;
    if (a === 0 || set.add(a, k2[i]!)) {
      keep[i] = 1;
      m++;
    }
  }
  if (m === n) return cols;
  const f32 = (x: Uint32Array) => {
    const o = new Uint32Array(m);
    let j = 0;
    for (let i = 0; i < n; i++) if (keep[i]) o[j++] = x[i]!;
    return o;
  };
  const f8 = (x: Uint8Array) => {
    const o = new Uint8Array(m);
    let j = 0;
    for (let i = 0; i < n; i++) if (keep[i]) o[j++] = x[i]!;
    return o;
  };
  return {
    count: m,
    die: f32(cols.die),
    unit: f32(cols.unit),
    aux: f32(cols.aux),
    nameOff: f32(cols.nameOff),
    hash: f32(cols.hash),
    kind: f8(cols.kind),
    flags: f8(cols.flags),
  };
}

/**
 * Entries `[start, start + count)` of each part, concatenated in order
 * (dedupe keys too, zero where a part has none).
 */
export function concatEntries(
  parts: readonly (readonly [EntryColumns, number, number])[],
): EntryColumns {
  let n = 0;
  for (const [, , count] of parts) n += count;
  const out = new EntryBuffer(Math.max(1, n));
  for (const [src, start, count] of parts) {
    const at = out.count;
    const end = start + count;
    out.die.set(src.die.subarray(start, end), at);
    out.unit.set(src.unit.subarray(start, end), at);
    out.aux.set(src.aux.subarray(start, end), at);
    out.nameOff.set(src.nameOff.subarray(start, end), at);
    out.hash.set(src.hash.subarray(start, end), at);
    out.kind.set(src.kind.subarray(start, end), at);
    out.flags.set(src.flags.subarray(start, end), at);
    if (src.k1 !== undefined) out.k1.set(src.k1.subarray(start, end), at);
    if (src.k2 !== undefined) out.k2.set(src.k2.subarray(start, end), at);
    out.count += count;
  }
  return out.trimmed();
}

const EMPTY_KEYS = new Uint32Array(0);

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a hash of a name's bytes, never 0. */
export function hashBytes(d: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ d[i]!, 0x01000193);
  return (h >>> 0) || 1;
}

/** FNV-1a hash of a NUL-terminated name at `start` (stops at the end of `d`), never 0. */
export function hashCString(d: Uint8Array, start: number): number {
  let h = 0x811c9dc5;
  const n = d.length;
  for (let i = start; i < n; i++) {
    const b = d[i]!;
    if (b === 0) break;
    h = Math.imul(h ^ b, 0x01000193);
  }
  return (h >>> 0) || 1;
}

/** Thrown by a chunked scan that needs bytes outside its chunk (see {@link scanInfoChunked}). */
class ChunkMiss extends Error {}

/** Scan state shared by the helpers of one {@link scanUnits} call. */
class Scanner {
  input: ScanInput;
  /**
   * Section offset of `input.info[0]`: nonzero when `input.info` is a chunk
   * of `.debug_info` (see {@link scanInfoChunked}) and the current unit a
   * copy of a `.debug_info` unit moved by `-infoBase`.
   */
  infoBase = 0;
  /** Whether `input.info` is a chunk of `.debug_info` (see {@link scanInfoChunked}). */
  chunked = false;
  readonly units: readonly DwarfUnit[];
  readonly out: EntryBuffer;
  readonly le: boolean;
  readonly plans = new Map<string, Plan>();
  /** Compiled abbreviation declarations per unit shape. */
  readonly decls = new Map<string, DeclStore>();
  readonly infoUnitCount: number;
  // Role positions and forms of the last walked DIE.
  readonly rp = new Int32Array(N_ROLES);
  readonly rf = new Int32Array(N_ROLES);
  /** Spec index of each captured role (for DW_FORM_implicit_const values). */
  readonly ri = new Int32Array(N_ROLES);
  /** Definitions already indexed (dedupe of types repeated across units). */
  readonly seen: DedupSet | null;
  /** File keys of the current unit's line table (null until needed). */
  fileKeys: Uint32Array | null = null;
  stmtList = -1;
  // Dedupe key of the last keyed DIE, and of the enum whose enumerators are being read.
  k1 = 0;
  k2 = 0;
  enumK1 = 0;
  enumK2 = 0;
  // Result of name resolution.
  nameSec = 0;
  nameOff = 0;
  nameHash = 0;
  // Current unit.
  unit!: DwarfUnit;
  data!: Uint8Array;
  section = "";
  plan!: Plan;
  strOffsetsBase = 0;

  constructor(
    input: ScanInput,
    units: readonly DwarfUnit[],
    out: EntryBuffer,
  ) {
    this.input = input;
    this.units = units;
    this.out = out;
    this.le = input.littleEndian;
    let n = 0;
    while (n < units.length && units[n]!.section === "info") n++;
    this.infoUnitCount = n;
    this.seen = input.dedupe === false ? null : new DedupSet();
  }

  planFor(unit: DwarfUnit): Plan {
    const v = unit.version <= 2 ? 2 : 3;
    const key = `${unit.abbrevOffset}:${unit.addressSize}:${unit.offsetSize}:${v}`;
    let p = this.plans.get(key);
    if (p === undefined) {
      const shape = `${unit.addressSize}:${unit.offsetSize}:${v}`;
      let store = this.decls.get(shape);
      if (store === undefined) {
        store = new DeclStore(
          unit.addressSize,
          unit.offsetSize,
          unit.version,
          this.input.globals !== false,
        );
        this.decls.set(shape, store);
      }
      p = store.plan(this.input.abbrev, unit.abbrevOffset);
      this.plans.set(key, p);
    }
    return p;
  }

  error(offset: number, message: string): never {
    throw new DecodeError(this.section, offset, message);
  }

  /** Reads an unsigned fixed-size value. */
  fixedAt(d: Uint8Array, p: number, n: number): number {
    if (this.le) {
      switch (n) {
        case 1:
          return d[p]!;
        case 2:
          return d[p]! | (d[p + 1]! << 8);
        case 3:
          return d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16);
        case 4:
          return (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
        default: {
          const lo = (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
          const hi = (d[p + 4]! | (d[p + 5]! << 8) | (d[p + 6]! << 16) | (d[p + 7]! << 24)) >>> 0;
          return hi * 0x100000000 + lo;
        }
      }
    }
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + d[p + i]!;
    return v;
  }

  uleb(d: Uint8Array, p: number): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = d[p++] ?? 0;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
  }

  /**
   * Steps over the attributes of abbreviation `a` starting at `pos`,
   * recording role positions in `rp`/`rf` (`rp` entries must be reset by
   * the caller). Returns the end position.
   */
  walk(a: number, pos: number): number {
    const plan = this.plan;
    const t = plan.table;
    const size = plan.size;
    const role = plan.role;
    const d = this.data;
    const rp = this.rp;
    const rf = this.rf;
    const end = t.attrStart[a + 1]!;
    for (let i = t.attrStart[a]!; i < end; i++) {
      let s = size[i]!;
      let form = t.attrForm[i]!;
      if (s === -3) {
        // DW_FORM_indirect: the real form precedes the value.
        const start = pos;
        form = 0;
        let mul = 1;
        let b: number;
        do {
          b = d[pos++] ?? 0;
          form += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80 && pos < d.length);
        if (form === DW_FORM.indirect || form === DW_FORM.implicit_const) {
          this.error(start, `invalid indirect form ${dwName("DW_FORM", form)}`);
        }
        const fs = formFixedSize(
          form,
          this.unit.addressSize,
          this.unit.offsetSize,
          this.unit.version,
        );
        s = fs === VARIABLE_SIZE ? -1 : fs === UNKNOWN_FORM ? -4 : fs;
      }
      const r = role[i]!;
      if (r !== 0) {
        rp[r] = pos;
        rf[r] = form;
        this.ri[r] = i;
      }
      if (s >= 0) pos += s;
      else if (s === -1) pos = skipVariableForm(d, pos, form, this.le);
      else {
        this.error(
          pos,
          `unknown form ${dwName("DW_FORM", form)} for ${dwName("DW_AT", t.attrName[i]!)}`,
        );
      }
    }
    return pos;
  }

  /** Position after the attributes of abbreviation `a` at `pos` (no role capture). */
  skip(a: number, pos: number): number {
    const f = this.plan.fixed[a]!;
    if (f >= 0) return pos + f;
    return this.walk(a, pos);
  }

  resetRoles(): void {
    const rp = this.rp;
    rp[R_NAME] = -1;
    rp[R_SIBLING] = -1;
    rp[R_DECL] = -1;
    rp[R_SPEC] = -1;
    rp[R_LOCATION] = -1;
    rp[R_DECL_FILE] = -1;
    rp[R_DECL_LINE] = -1;
    rp[R_BYTE_SIZE] = -1;
  }

  /** A constant-class role value as a number (-1 if absent or not a constant). */
  constRole(r: number): number {
    const p = this.rp[r]!;
    if (p < 0) return -1;
    const d = this.data;
    switch (this.rf[r]) {
      case DW_FORM.data1:
        return d[p]!;
      case DW_FORM.data2:
        return this.fixedAt(d, p, 2);
      case DW_FORM.data4:
        return this.fixedAt(d, p, 4);
      case DW_FORM.data8:
        return this.fixedAt(d, p, 8);
      case DW_FORM.udata:
        return this.uleb(d, p);
      case DW_FORM.implicit_const:
        return this.plan.table.implicitConstNumber(this.ri[r]!);
      default:
        return -1;
    }
  }

  /**
   * Computes the dedupe key of the walked type DIE into k1/k2: its kind,
   * name, declaration flag, size, and declaring file and line. Two DIEs with
   * equal keys are the same definition repeated by different units.
   */
  typeKey(kind: number, decl: boolean, named: boolean): void {
    this.keyOf(
      kind,
      decl,
      named,
      this.constRole(R_DECL_FILE),
      this.constRole(R_DECL_LINE),
      this.constRole(R_BYTE_SIZE),
    );
  }

  /** {@link typeKey} from values (-1 for absent attributes). */
  keyOf(kind: number, decl: boolean, named: boolean, fi: number, line: number, size: number): void {
    let file = 0;
    if (fi >= 0) {
      const keys = this.fileKeys ?? this.loadFileKeys();
      // Without a usable file table, key the file by unit so that nothing
      // merges across units.
      file = fi < keys.length ? keys[fi]! : mix(this.unit.index + 1, fi);
    }
    const name = !named ? 0 : this.nameSec === NAME_STR ? this.nameOff : this.nameHash ^ 0x5a5a5a5a;
    const head = kind | (decl ? 0x100 : 0) | (named ? this.nameSec << 9 : 0x800);
    const a = mix(mix(head, name), mix(line, file) ^ size);
    this.k1 = a || 1;
    this.k2 = mix(file ^ 0x6b43a9b5, (name + Math.imul(line, 0x9e3779b1) + size) | 0);
  }

  /** A constant from a fixed layout slot (see L_*): -1 if absent. */
  layValue(pos: number, off: number, size: number): number {
    if (off === -1) return -1;
    if (off === -2) return size;
    const d = this.data;
    const p = pos + off;
    if (size === 1) return d[p]!;
    return this.fixedAt(d, p, size);
  }

  /** File keys of the current unit's line table (empty if it has none or it is malformed). */
  loadFileKeys(): Uint32Array {
    let keys: Uint32Array = EMPTY_KEYS;
    const line = this.input.line;
    if (line !== undefined && this.stmtList >= 0) {
      try {
        keys = lineFileKeys(
          { line, lineStr: this.input.lineStr, str: this.input.str },
          this.stmtList,
          this.le,
        );
      } catch {
        // A bad line table only costs deduplication for this unit.
        keys = EMPTY_KEYS;
      }
    }
    this.fileKeys = keys;
    return keys;
  }

  /** True if the walked DIE has `DW_AT_declaration` set. */
  isDeclaration(a: number): boolean {
    const p = this.rp[R_DECL]!;
    if (p < 0) return false;
    const form = this.rf[R_DECL]!;
    if (form === DW_FORM.flag_present) return true;
    if (form === DW_FORM.flag || form === DW_FORM.data1) return this.data[p] !== 0;
    if (form === DW_FORM.implicit_const) {
      const t = this.plan.table;
      for (let i = t.attrStart[a]!; i < t.attrStart[a + 1]!; i++) {
        if (t.attrName[i] === DW_AT.declaration) return t.implicitConst(i) !== 0n;
      }
    }
    return false;
  }

  /** Section offset a reference attribute points to (in the current unit's section), or -1. */
  refTarget(p: number, form: number): number {
    const d = this.data;
    const u = this.unit;
    let off: number;
    switch (form) {
      case DW_FORM.ref1:
        off = u.offset + d[p]!;
        break;
      case DW_FORM.ref2:
        off = u.offset + this.fixedAt(d, p, 2);
        break;
      case DW_FORM.ref4:
        off = u.offset + this.fixedAt(d, p, 4);
        break;
      case DW_FORM.ref8:
        off = u.offset + this.fixedAt(d, p, 8);
        break;
      case DW_FORM.ref_udata:
        off = u.offset + this.uleb(d, p);
        break;
      case DW_FORM.ref_addr:
        if (u.section !== "info") return -1;
        off = this.fixedAt(d, p, u.version <= 2 ? u.addressSize : u.offsetSize) - this.infoBase;
        // A chunked scan: a unit before or after the chunk.
        if (this.chunked && (off < 0 || off >= this.input.info.length)) throw new ChunkMiss();
        break;
      default:
        return -1;
    }
    return off;
  }

  /**
   * Resolves the name of the walked DIE from its R_NAME role into
   * nameSec/nameOff/nameHash. Returns false if it has no usable name.
   */
  nameFromRole(): boolean {
    const p = this.rp[R_NAME]!;
    if (p < 0) return false;
    return this.nameAt(p, this.rf[R_NAME]!);
  }

  /** Resolves a name attribute of `form` at `p` into nameSec/nameOff/nameHash. */
  nameAt(p: number, form: number): boolean {
    const d = this.data;
    const u = this.unit;
    let off: number;
    switch (form) {
      case DW_FORM.strp:
        off = u.offsetSize === 4 ? this.fixedAt(d, p, 4) : this.fixedAt(d, p, 8);
        return this.strName(off, p);
      case DW_FORM.string:
        if (d[p] === 0) return false;
        this.nameSec = NAME_INLINE;
        this.nameOff = p;
        this.nameHash = hashCString(d, p);
        return true;
      case DW_FORM.line_strp: {
        off = this.fixedAt(d, p, u.offsetSize);
        const ls = this.input.lineStr;
        if (ls === undefined || off >= ls.length) {
          this.error(p, "DW_FORM_line_strp offset out of bounds of .debug_line_str");
        }
        if (ls[off] === 0) return false;
        this.nameSec = NAME_LINE_STR;
        this.nameOff = off;
        this.nameHash = hashCString(ls, off);
        return true;
      }
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
        return this.strxName(this.uleb(d, p), p);
      case DW_FORM.strx1:
        return this.strxName(d[p]!, p);
      case DW_FORM.strx2:
        return this.strxName(this.fixedAt(d, p, 2), p);
      case DW_FORM.strx3:
        return this.strxName(this.fixedAt(d, p, 3), p);
      case DW_FORM.strx4:
        return this.strxName(this.fixedAt(d, p, 4), p);
      default:
        // DW_FORM_GNU_strp_alt / strp_sup: names in a supplementary file are not indexed.
        return false;
    }
  }

  strxName(index: number, p: number): boolean {
    const so = this.input.strOffsets;
    const size = this.unit.offsetSize;
    const at = this.strOffsetsBase + index * size;
    if (so === undefined || at + size > so.length) {
      this.error(p, `string index ${index} out of bounds of .debug_str_offsets`);
    }
    return this.strName(this.fixedAt(so, at, size), p);
  }

  strName(off: number, p: number): boolean {
    const s = this.input.str;
    if (s === undefined || off >= s.length) {
      this.error(p, "string offset out of bounds of .debug_str");
    }
    // The bytes are not read here (a cache miss per DIE): emit() hashes
    // the name, and skips it if empty, only for entries that are kept.
    this.nameSec = NAME_STR;
    this.nameOff = off;
    this.nameHash = 0; // Computed by emit() only for entries that are kept.
    return true;
  }

  /** The hash of a `.debug_str` name. */
  strHash(off: number): number {
    return hashCString(this.input.str!, off);
  }

  /**
   * Resolves the name of the DIE at section offset `target` (following
   * specification/abstract_origin chains). Restores the current unit.
   */
  nameFromRef(target: number, from: number): boolean {
    const saveUnit = this.unit;
    const savePlan = this.plan;
    const saveData = this.data;
    const saveBase = this.strOffsetsBase;
    const saveSection = this.section;
    try {
      for (let hop = 0; hop < 8; hop++) {
        const u = this.unit;
        if (target < u.dieOffset || target >= u.end) {
          // Another unit (DW_FORM_ref_addr): only within .debug_info.
          if (u.section !== "info") return false;
          if (this.chunked) {
            // The unit must be in the chunk (else the caller scans the whole section).
            const base = this.infoBase;
            const i = findUnitIndex(this.units, target + base, 0, this.infoUnitCount);
            if (i < 0) throw new ChunkMiss();
            const w = this.units[i]!;
            if (w.offset < base || w.end - base > this.input.info.length) throw new ChunkMiss();
            this.enterUnit(shiftUnit(w, base));
          } else {
            const i = findUnitIndex(this.units, target, 0, this.infoUnitCount);
            if (i < 0) this.error(from, "reference outside every unit");
            const w = this.units[i]!;
            // A scan of part of a section read on demand (see `ProgressiveIndex`).
            ensureSection(this.input.info, w.offset, w.end);
            this.enterUnit(w);
          }
        }
        const d = this.data;
        let p = target;
        let code = 0;
        let mul = 1;
        let b: number;
        do {
          b = d[p++] ?? 0;
          code += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80 && p < d.length);
        const a = this.abbrevIndex(code, target);
        if (a < 0) return false;
        this.resetRoles();
        const end = this.walk(a, p);
        if (end > this.unit.end) this.error(target, "DIE runs past the end of the unit");
        if (this.rp[R_NAME]! >= 0) return this.nameFromRole();
        const sp = this.rp[R_SPEC]!;
        if (sp < 0) return false;
        const next = this.refTarget(sp, this.rf[R_SPEC]!);
        if (next < 0) return false;
        from = target;
        target = next;
      }
      return false;
    } finally {
      this.unit = saveUnit;
      this.plan = savePlan;
      this.data = saveData;
      this.strOffsetsBase = saveBase;
      this.section = saveSection;
    }
  }

  abbrevIndex(code: number, at: number): number {
    if (code === 0) return -1;
    const t = this.plan.table;
    const a = code < t.byCode.length ? t.byCode[code]! - 1 : t.indexOf(code);
    if (a < 0) this.error(at, `unknown abbreviation code ${abbrevCodeText(code)}`);
    return a;
  }

  /** Makes `unit` current and reads its root DIE's DW_AT_str_offsets_base and DW_AT_stmt_list. */
  enterUnit(unit: DwarfUnit): void {
    this.unit = unit;
    this.data = unit.section === "info" ? this.input.info : this.input.types!;
    this.section = unitSectionName(unit.section);
    this.plan = this.planFor(unit);
    this.strOffsetsBase = unit.version >= 5 ? (unit.is64 ? 16 : 8) : 0;
    this.fileKeys = null;
    this.stmtList = -1;
    const d = this.data;
    let p = unit.dieOffset;
    const code = this.uleb(d, p);
    while (d[p++]! & 0x80);
    if (code === 0) return;
    const a = this.abbrevIndex(code, unit.dieOffset);
    this.resetRoles();
    this.rp[R_STR_OFFSETS_BASE] = -1;
    this.rp[R_STMT_LIST] = -1;
    if (this.walk(a, p) > unit.end) {
      this.error(unit.dieOffset, "unit DIE runs past the end of the unit");
    }
    const offsetOf = (r: number): number => {
      const sp = this.rp[r]!;
      if (sp < 0) return -1;
      const f = this.rf[r]!;
      if (f === DW_FORM.udata) return this.uleb(d, sp);
      if (f === DW_FORM.sec_offset) return this.fixedAt(d, sp, unit.offsetSize);
      if (f === DW_FORM.data4) return this.fixedAt(d, sp, 4);
      if (f === DW_FORM.data8) return this.fixedAt(d, sp, 8);
      return -1;
    };
    const base = offsetOf(R_STR_OFFSETS_BASE);
    if (base >= 0) this.strOffsetsBase = base;
    this.stmtList = offsetOf(R_STMT_LIST);
  }

  /** Whether the walked variable's location is a static address (DW_OP_addr/addrx). */
  staticLocation(): boolean {
    const p = this.rp[R_LOCATION]!;
    if (p < 0) return false;
    const form = this.rf[R_LOCATION]!;
    const d = this.data;
    let start: number;
    let len: number;
    switch (form) {
      case DW_FORM.exprloc:
      case DW_FORM.block: {
        len = this.uleb(d, p);
        start = p;
        while (d[start++]! & 0x80);
        break;
      }
      case DW_FORM.block1:
        len = d[p]!;
        start = p + 1;
        break;
      case DW_FORM.block2:
        len = this.fixedAt(d, p, 2);
        start = p + 2;
        break;
      case DW_FORM.block4:
        len = this.fixedAt(d, p, 4);
        start = p + 4;
        break;
      default:
        return false; // A location list: not a static variable.
    }
    if (len === 0) return false;
    const op = d[start]!;
    if (op === DW_OP.addr) return len === 1 + this.unit.addressSize;
    if (op === DW_OP.addrx || op === DW_OP.GNU_addr_index) {
      let q = start + 1;
      while (d[q++]! & 0x80);
      return q - start === len;
    }
    return false;
  }

  emit(kind: number, flags: number, die: number, aux: number): void {
    if (this.nameSec === NAME_STR && this.input.str![this.nameOff] === 0) return; // empty name
    const out = this.out;
    const i = out.count;
    if (i === out.die.length) out.grow();
    const base = this.infoBase;
    out.die[i] = die + base;
    out.unit[i] = this.unit.index;
    out.aux[i] = aux === 0 ? 0 : aux + base;
    out.nameOff[i] = this.nameSec === NAME_INLINE ? this.nameOff + base : this.nameOff;
    out.hash[i] = this.nameHash !== 0 ? this.nameHash : this.strHash(this.nameOff);
    out.kind[i] = kind;
    out.flags[i] = flags | (this.nameSec << NAME_SHIFT);
    out.k1[i] = this.k1;
    out.k2[i] = this.k2;
    out.count = i + 1;
  }

  /** Scans one unit. */
  scanUnit(unit: DwarfUnit): void {
    this.enterUnit(unit);
    const d = this.data;
    const end = unit.end;
    const localStatics = this.input.localStatics;
    const globals = this.input.globals !== false;
    let pos = unit.dieOffset;
    // Root DIE.
    let code = 0;
    let mul = 1;
    let b: number;
    do {
      b = d[pos++] ?? 0;
      code += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (code === 0) return;
    const rootA = this.abbrevIndex(code, unit.dieOffset);
    const plan = this.plan;
    pos = this.skip(rootA, pos);
    if (pos > end) this.error(unit.dieOffset, "unit DIE runs past the end of the unit");
    if (plan.table.hasChildren[rootA] === 0) return;

    const fixed = plan.fixed;
    const action = plan.action;
    const kinds = plan.kind;
    const hasChildren = plan.table.hasChildren;
    const hasAddr = plan.hasAddr;
    const sibFixedOff = plan.sibFixedOff;
    const sibForm = plan.sibForm;
    const lay = plan.lay;
    const byCode = plan.table.byCode;
    const nCodes = byCode.length;
    const rp = this.rp;
    const rf = this.rf;
    const seen = this.seen;

    // Stack of (mode, aux) per depth.
    let modes = new Uint8Array(64);
    let auxes = new Uint32Array(64);
    let depth = 0;
    let mode = M_TOP;
    let aux = 0;

    while (true) {
      if (pos >= end) {
        // Units may end without the final null entries.
        if (pos === end) return;
        this.error(pos, "DIE runs past the end of the unit");
      }
      const dieOff = pos;
      // Abbreviation code (usually one byte).
      code = d[pos++]!;
      if (code & 0x80) {
        code &= 0x7f;
        mul = 128;
        do {
          b = d[pos++] ?? 0;
          code += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80);
      }
      if (code === 0) {
        if (depth === 0) return;
        depth--;
        mode = modes[depth]!;
        aux = auxes[depth]!;
        continue;
      }
      const a = code < nCodes ? byCode[code]! - 1 : plan.table.indexOf(code);
      if (a < 0) this.error(dieOff, `unknown abbreviation code ${abbrevCodeText(code)}`);
      const act = action[a]!;

      // Decide what this DIE is and what its children are.
      let childMode = M_SKIP;
      if (mode === M_SKIP || act === A_SKIP || (mode === M_ENUM && act !== A_ENUMERATOR)) {
        // Not interesting: step over it (and its subtree via DW_AT_sibling if we can).
        const f = fixed[a]!;
        if (hasChildren[a] === 0) {
          pos = f >= 0 ? pos + f : this.walk(a, pos);
          if (pos > end) this.error(dieOff, "DIE runs past the end of the unit");
          continue;
        }
        const so = sibFixedOff[a]!;
        if (f >= 0 && so >= 0) {
          pos = this.checkSibling(this.refTarget(pos + so, sibForm[a]!), dieOff, pos + f);
          continue;
        }
        rp[R_SIBLING] = -1;
        const next = this.walk(a, pos);
        const sp = rp[R_SIBLING]!;
        if (sp >= 0) {
          pos = this.checkSibling(this.refTarget(sp, rf[R_SIBLING]!), dieOff, next);
          continue;
        }
        if (next > end) this.error(dieOff, "DIE runs past the end of the unit");
        pos = next;
      } else if (act === A_TYPE && mode === M_TOP && lay[a * LAY + L_OK] === 1) {
        // A type DIE with a fixed layout: read what the index needs directly.
        const b = a * LAY;
        const start = pos;
        pos += fixed[a]!;
        if (pos > end) this.error(dieOff, "DIE runs past the end of the unit");
        const kind = kinds[a]!;
        const no = lay[b + L_NAME]!;
        const named = no >= 0 && this.nameAt(start + no, lay[b + L_NAME_FORM]!);
        if (named || kind === IndexKind.enum) {
          const dl = lay[b + L_DECL]!;
          const decl = dl === -2 || (dl >= 0 && d[start + dl] !== 0);
          let fresh = true;
          if (seen !== null) {
            this.keyOf(
              kind,
              decl,
              named,
              this.layValue(start, lay[b + L_FILE]!, lay[b + L_FILE_SIZE]!),
              this.layValue(start, lay[b + L_LINE]!, lay[b + L_LINE_SIZE]!),
              this.layValue(start, lay[b + L_SIZE]!, lay[b + L_SIZE_SIZE]!),
            );
            fresh = seen.add(this.k1, this.k2);
          } else {
            this.k1 = 0;
            this.k2 = 0;
          }
          if (fresh && named) this.emit(kind, decl ? FLAG_DECLARATION : 0, dieOff, aux);
          if (fresh && kind === IndexKind.enum) {
            childMode = M_ENUM;
            this.enumK1 = this.k1;
            this.enumK2 = this.k2;
          }
        }
        if (hasChildren[a] === 0) continue;
        const so = lay[b + L_SIB]!;
        if (childMode === M_SKIP && so >= 0) {
          pos = this.checkSibling(this.refTarget(start + so, lay[b + L_SIB_FORM]!), dieOff, pos);
          continue;
        }
      } else {
        this.resetRoles();
        pos = this.walk(a, pos);
        if (pos > end) this.error(dieOff, "DIE runs past the end of the unit");
        // Name resolution through references reuses rp/rf: keep the sibling.
        const sibPos = rp[R_SIBLING]!;
        const sibF = rf[R_SIBLING]!;
        this.k1 = 0;
        this.k2 = 0;
        switch (act) {
          case A_TYPE:
            if (mode === M_TOP) {
              const kind = kinds[a]!;
              const named = this.nameFromRole();
              if (!named && kind !== IndexKind.enum) break;
              const decl = this.isDeclaration(a);
              let fresh = true;
              if (seen !== null) {
                this.typeKey(kind, decl, named);
                fresh = seen.add(this.k1, this.k2);
              }
              if (fresh && named) this.emit(kind, decl ? FLAG_DECLARATION : 0, dieOff, aux);
              if (fresh && kind === IndexKind.enum) {
                childMode = M_ENUM;
                this.enumK1 = this.k1;
                this.enumK2 = this.k2;
              }
            }
            break;
          case A_ENUMERATOR:
            if (mode === M_ENUM && this.nameFromRole()) {
              if (seen !== null) {
                const name = this.nameSec === NAME_STR ? this.nameOff : this.nameHash ^ 0x5a5a5a5a;
                this.k1 = mix(this.enumK1, name) || 1;
                this.k2 = mix(this.enumK2 ^ 0x3c3c3c3c, name);
              }
              this.emit(IndexKind.constant, 0, dieOff, aux);
            }
            break;
          case A_VARIABLE:
            if (mode === M_TOP) {
              if (globals && !this.isDeclaration(a) && this.nameOrSpec(dieOff)) {
                this.emit(IndexKind.variable, hasAddr[a]!, dieOff, aux);
              }
            } else if (mode === M_FUNC) {
              if (this.staticLocation() && !this.isDeclaration(a) && this.nameOrSpec(dieOff)) {
                this.emit(IndexKind.localVariable, FLAG_HAS_ADDRESS, dieOff, aux);
              }
            }
            break;
          case A_FUNCTION:
            if (mode === M_TOP) {
              if (globals && !this.isDeclaration(a) && this.nameOrSpec(dieOff)) {
                this.emit(IndexKind.function, hasAddr[a]!, dieOff, aux);
              }
              if (localStatics) childMode = M_FUNC;
            } else if (mode === M_FUNC) {
              childMode = M_FUNC;
            }
            break;
          case A_NAMESPACE:
            if (mode === M_TOP) {
              if (globals && this.nameFromRole()) this.emit(IndexKind.namespace, 0, dieOff, aux);
              childMode = M_TOP;
            }
            break;
          case A_BLOCK:
            if (mode === M_FUNC) childMode = M_FUNC;
            break;
        }
        if (hasChildren[a] === 0) continue;
        if (childMode === M_SKIP && sibPos >= 0) {
          pos = this.checkSibling(this.refTarget(sibPos, sibF), dieOff, pos);
          continue;
        }
      }
      // Descend into the children.
      if (depth + 1 >= modes.length) {
        if (depth > 100000) this.error(dieOff, "DIE tree too deep");
        const m = new Uint8Array(modes.length * 2);
        m.set(modes);
        modes = m;
        const x = new Uint32Array(auxes.length * 2);
        x.set(auxes);
        auxes = x;
      }
      modes[depth] = mode;
      auxes[depth] = aux;
      depth++;
      // Enumerators record their enum, namespace members their namespace,
      // function-scope statics their outermost function.
      if (childMode === M_ENUM || act === A_NAMESPACE || (childMode === M_FUNC && mode === M_TOP)) {
        aux = dieOff;
      }
      mode = childMode;
    }
  }

  /** Name of the walked DIE, from DW_AT_name or through DW_AT_specification/abstract_origin. */
  nameOrSpec(dieOff: number): boolean {
    if (this.rp[R_NAME]! >= 0) return this.nameFromRole();
    const sp = this.rp[R_SPEC]!;
    if (sp < 0) return false;
    const target = this.refTarget(sp, this.rf[R_SPEC]!);
    return target >= 0 && this.nameFromRef(target, dieOff);
  }

  checkSibling(target: number, dieOff: number, after: number): number {
    if (target < after || target > this.unit.end) {
      this.error(dieOff, "DW_AT_sibling does not point past the DIE's attributes");
    }
    return target;
  }
}

/**
 * Scans units `units[from..to)` into `out`. Throws a {@link DecodeError} for malformed data.
 */
export function scanUnits(
  input: ScanInput,
  units: readonly DwarfUnit[],
  from: number,
  to: number,
  out: EntryBuffer,
): void {
  fillScanSections(input);
  const s = new Scanner(input, units, out);
  // A mapped .debug_info is dropped from memory behind the scan.
  const release = sectionReleaser(input.info);
  let scanned = units[from]?.offset ?? 0;
  for (let i = from; i < to; i++) {
    const u = units[i]!;
    s.scanUnit(u);
    if (release !== null && u.section === "info" && u.end - scanned >= SCAN_CHUNK_BYTES) {
      release(scanned, u.end);
      scanned = u.end;
    }
  }
}

/**
 * A scan that goes on across calls (one deduplication of repeated type
 * definitions over all of them): `scan(from, to)` scans units
 * `units[from..to)` into `out`, in increasing unit order across calls.
 */
export function unitScanner(
  input: ScanInput,
  units: readonly DwarfUnit[],
  out: EntryBuffer,
): (from: number, to: number) => void {
  fillScanSections(input);
  const s = new Scanner(input, units, out);
  return (from, to) => {
    for (let i = from; i < to; i++) s.scanUnit(units[i]!);
  };
}

/**
 * {@link unitScanner} for a `.debug_info` read through `read` (a lazy
 * section, left unread): each call reads its run of units into one reused
 * buffer. A call returns false when the data needs more than its run (a
 * reference into another unit) or is malformed: the scan is then unusable,
 * and the caller starts over with {@link unitScanner} or {@link scanUnits}
 * on the whole section (which also gives the exact error).
 */
export function chunkedUnitScanner(
  input: ScanInput,
  units: readonly DwarfUnit[],
  out: EntryBuffer,
  read: (offset: number, dest: Uint8Array) => void,
): (from: number, to: number) => boolean {
  fillScanSections(input);
  let buffer = new Uint8Array(0);
  const s = new Scanner({ ...input, info: buffer }, units, out);
  return (from, to) => {
    try {
      for (let i = from; i < to;) {
        if (units[i]!.section !== "info") {
          fillSection(input.types);
          s.input = { ...input, info: buffer.subarray(0, 0) };
          s.infoBase = 0;
          s.chunked = false;
          s.scanUnit(units[i++]!);
          continue;
        }
        let end = i + 1;
        while (end < to && units[end]!.section === "info") end++;
        const base = units[i]!.offset;
        const len = units[end - 1]!.end - base;
        if (buffer.length < len) buffer = new Uint8Array(len);
        const chunk = buffer.subarray(0, len);
        read(base, chunk);
        s.input = { ...input, info: chunk };
        s.infoBase = base;
        s.chunked = true;
        for (; i < end; i++) s.scanUnit(shiftUnit(units[i]!, base));
      }
      return true;
    } catch (e) {
      if (!(e instanceof ChunkMiss) && !(e instanceof DecodeError) && !(e instanceof RangeError)) {
        throw e;
      }
      return false;
    }
  };
}

/** Reads the sections a scan reads everywhere (abbreviations, strings) whole if lazy. */
function fillScanSections(input: ScanInput): void {
  fillSection(input.abbrev);
  fillSection(input.str);
  fillSection(input.lineStr);
}

/** `unit` moved by `-base` (for a scan of a chunk of its section starting at `base`). */
function shiftUnit(unit: DwarfUnit, base: number): DwarfUnit {
  return {
    ...unit,
    offset: unit.offset - base,
    dieOffset: unit.dieOffset - base,
    end: unit.end - base,
    typeOffset: unit.typeOffset === 0 ? 0 : unit.typeOffset - base,
  };
}

/** Bytes of `.debug_info` a chunked scan reads at a time (whole units; bigger units alone). */
export const SCAN_CHUNK_BYTES = 2 << 20;

/**
 * Scans every unit like {@link scanUnits}, reading `.debug_info` a chunk
 * of units at a time through `read` into one reused buffer instead of
 * holding the section whole (`input.info` is not read: it may be a lazy
 * section). The entries are the same as a scan of the whole section.
 * Returns false, with `out` emptied, when the data needs the whole section
 * (a reference from one chunk into another) or is malformed: the caller
 * then scans the whole section, which also gives the exact error.
 */
export function scanInfoChunked(
  input: ScanInput,
  units: readonly DwarfUnit[],
  read: (offset: number, dest: Uint8Array) => void,
  out: EntryBuffer,
  chunkBytes: number = SCAN_CHUNK_BYTES,
): boolean {
  const scan = chunkedUnitScanner(input, units, out, read);
  let nInfo = 0;
  while (nInfo < units.length && units[nInfo]!.section === "info") nInfo++;
  // Runs of .debug_info units up to `chunkBytes` (a bigger unit alone), then the .debug_types units.
  const runs: [from: number, to: number][] = [];
  for (let i = 0; i < nInfo;) {
    const from = i;
    const start = units[i]!.offset;
    while (i < nInfo && (i === from || units[i]!.end - start <= chunkBytes)) i++;
    runs.push([from, i]);
  }
  if (nInfo < units.length) runs.push([nInfo, units.length]);
  for (const [from, to] of runs) {
    if (!scan(from, to)) {
      out.count = 0;
      return false;
    }
  }
  return true;
}
