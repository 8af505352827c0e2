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
import { abbrevCodeText, type AbbrevTable, parseAbbrevTable } from "./abbrev.ts";
import { Arena } from "./arena.ts";
import { DW_AT, DW_FORM, DW_OP, DW_TAG, dwName } from "./constants.ts";
import { formFixedSize, skipVariableForm, UNKNOWN_FORM, VARIABLE_SIZE } from "./form.ts";
import { lineFileKeys } from "./line_header.ts";
import { fillSection } from "./sections.ts";
import { type DwarfUnit, findUnitIndex, unitSectionName } from "./unit.ts";

/** What an index entry names. */
export const IndexKind = {
  base: 1,
  struct: 2,
  union: 3,
  class: 4,
  enum: 5,
  typedef: 6,
  variable: 7,
  function: 8,
  /** An enumerator. */
  constant: 9,
  /** A function-scope static variable (looked up after globals). */
  localVariable: 10,
  namespace: 11,
} as const;

/** Entry flag: the DIE has `DW_AT_declaration`. */
export const FLAG_DECLARATION = 0x01;
/** Entry flag: a function has a PC range, a variable a location or constant value. */
export const FLAG_HAS_ADDRESS = 0x02;
/** Entry flags: where the name is (shifted by {@link NAME_SHIFT}). */
export const NAME_MASK = 0x0c;
/** Shift of the name-section field in the flags. */
export const NAME_SHIFT = 2;
/** Name in `.debug_str`. */
export const NAME_STR = 0;
/** Name in `.debug_line_str`. */
export const NAME_LINE_STR = 1;
/** Name inline in the unit's own section (`DW_FORM_string`). */
export const NAME_INLINE = 2;

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

// Attribute roles the scan captures.
const R_NAME = 1;
const R_SIBLING = 2;
const R_DECL = 3;
const R_SPEC = 4;
const R_LOCATION = 5;
const R_STR_OFFSETS_BASE = 6;
const R_DECL_FILE = 7;
const R_DECL_LINE = 8;
const R_BYTE_SIZE = 9;
const R_STMT_LIST = 10;
const N_ROLES = 11;

// What to do with a DIE, per abbreviation.
const A_SKIP = 0;
const A_TYPE = 1;
const A_VARIABLE = 2;
const A_FUNCTION = 3;
const A_NAMESPACE = 4;
const A_ENUMERATOR = 5;
const A_BLOCK = 6;

// Modes for the children of a DIE.
const M_TOP = 0;
const M_ENUM = 1;
const M_FUNC = 2;
const M_SKIP = 3;

/** Role of each attribute name (index = DW_AT value). */
const ROLE_BY_ATTR: Uint8Array = (() => {
  const t = new Uint8Array(0x80);
  t[DW_AT.name] = R_NAME;
  t[DW_AT.sibling] = R_SIBLING;
  t[DW_AT.declaration] = R_DECL;
  t[DW_AT.specification] = R_SPEC;
  t[DW_AT.abstract_origin] = R_SPEC;
  t[DW_AT.location] = R_LOCATION;
  t[DW_AT.str_offsets_base] = R_STR_OFFSETS_BASE;
  t[DW_AT.decl_file] = R_DECL_FILE;
  t[DW_AT.decl_line] = R_DECL_LINE;
  t[DW_AT.byte_size] = R_BYTE_SIZE;
  t[DW_AT.stmt_list] = R_STMT_LIST;
  return t;
})();

/** What to do with each tag (index = DW_TAG value). */
const ACTION_BY_TAG = new Uint8Array(0x50);
/** Index kind of each tag. */
const KIND_BY_TAG = new Uint8Array(0x50);
for (
  const [tag, act, kind] of [
    [DW_TAG.base_type, A_TYPE, IndexKind.base],
    [DW_TAG.structure_type, A_TYPE, IndexKind.struct],
    [DW_TAG.union_type, A_TYPE, IndexKind.union],
    [DW_TAG.class_type, A_TYPE, IndexKind.class],
    [DW_TAG.enumeration_type, A_TYPE, IndexKind.enum],
    [DW_TAG.typedef, A_TYPE, IndexKind.typedef],
    [DW_TAG.variable, A_VARIABLE, IndexKind.variable],
    [DW_TAG.subprogram, A_FUNCTION, IndexKind.function],
    [DW_TAG.namespace, A_NAMESPACE, IndexKind.namespace],
    [DW_TAG.enumerator, A_ENUMERATOR, IndexKind.constant],
    [DW_TAG.lexical_block, A_BLOCK, 0],
  ] as const
) {
  ACTION_BY_TAG[tag] = act;
  KIND_BY_TAG[tag] = kind;
}

/** Attributes that give a DIE an address or value (index = DW_AT value). */
const ADDR_ATTR: Uint8Array = (() => {
  const t = new Uint8Array(0x80);
  for (
    const at of [DW_AT.low_pc, DW_AT.ranges, DW_AT.entry_pc, DW_AT.location, DW_AT.const_value]
  ) {
    t[at] = 1;
  }
  return t;
})();

/** A compiled abbreviation table for one unit shape (address size, offset size, version). */
interface Plan {
  table: AbbrevTable;
  /** Total attribute bytes if every attribute is fixed-size, else -1. */
  fixed: Int32Array;
  /** Per attribute spec: fixed size, or -1 variable, or -3 indirect. */
  size: Int32Array;
  /** Per attribute spec: role (0 = none). */
  role: Uint8Array;
  /** Per abbreviation: A_*. */
  action: Uint8Array;
  /** Per abbreviation: IndexKind for types. */
  kind: Uint8Array;
  /** Per abbreviation: FLAG_HAS_ADDRESS if the DIE has low_pc/ranges/location/const_value. */
  hasAddr: Uint8Array;
  /** Per abbreviation: offset of DW_AT_sibling if all attributes before it are fixed-size, else -1. */
  sibFixedOff: Int32Array;
  /** Per abbreviation: form of DW_AT_sibling. */
  sibForm: Uint16Array;
  /** Per abbreviation, {@link LAY} slots: fixed layout of a type DIE (see L_*). */
  lay: Int32Array;
}

// Fixed layout of type DIEs whose attributes all have fixed sizes, so the
// scan reads them without walking the attribute list. Offsets are relative
// to the first attribute; "absent" is -1; an implicit constant is stored as
// offset -2 with the value in the size slot.
const LAY = 12;
const L_OK = 0;
const L_NAME = 1;
const L_NAME_FORM = 2;
const L_DECL = 3; // -1 absent, -2 true, -3 false, else offset of a flag byte
const L_LINE = 4;
const L_LINE_SIZE = 5;
const L_FILE = 6;
const L_FILE_SIZE = 7;
const L_SIZE = 8;
const L_SIZE_SIZE = 9;
const L_SIB = 10;
const L_SIB_FORM = 11;

/** Scratch for compilePlan: sizes by form for one unit shape. */
const SIZE_BY_FORM = new Int32Array(0x30);

function compilePlan(table: AbbrevTable, unit: DwarfUnit, globals: boolean, arena: Arena): Plan {
  const nAttr = table.attrName.length;
  const size = arena.i32(nAttr);
  const role = arena.u8(nAttr);
  // Sizes by form for this unit shape (memoized per form value).
  const sizeByForm = SIZE_BY_FORM.fill(-100);
  const forms = table.attrForm;
  const names = table.attrName;
  for (let i = 0; i < nAttr; i++) {
    const f = forms[i]!;
    let s = f < 0x30 ? sizeByForm[f]! : -100;
    if (s === -100) {
      const fs = formFixedSize(f, unit.addressSize, unit.offsetSize, unit.version);
      s = f === DW_FORM.indirect ? -3 : fs === VARIABLE_SIZE ? -1 : fs === UNKNOWN_FORM ? -4 : fs;
      if (f < 0x30) sizeByForm[f] = s;
    }
    size[i] = s;
    const name = names[i]!;
    if (name < ROLE_BY_ATTR.length) role[i] = ROLE_BY_ATTR[name]!;
  }
  const n = table.count;
  const fixed = arena.i32(n);
  const action = arena.u8(n);
  const kind = arena.u8(n);
  const hasAddr = arena.u8(n);
  const sibFixedOff = arena.i32(n);
  const sibForm = arena.u16(n);
  const lay = arena.i32(n * LAY);
  for (let a = 0; a < n; a++) {
    let total = 0;
    let sib = -1;
    for (let i = table.attrStart[a]!; i < table.attrStart[a + 1]!; i++) {
      const name = names[i]!;
      if (name < ADDR_ATTR.length && ADDR_ATTR[name] === 1) hasAddr[a] = FLAG_HAS_ADDRESS;
      if (role[i] === R_SIBLING) {
        if (total >= 0) sib = total;
        sibForm[a] = table.attrForm[i]!;
      }
      const s = size[i]!;
      if (s < 0) total = -1;
      else if (total >= 0) total += s;
    }
    fixed[a] = total;
    sibFixedOff[a] = sib;
    const tag = table.tag[a]!;
    if (tag < ACTION_BY_TAG.length) {
      action[a] = ACTION_BY_TAG[tag]!;
      kind[a] = KIND_BY_TAG[tag]!;
      // Scanning for statics only: types are skipped like anything else.
      if (!globals && action[a] === A_TYPE) action[a] = A_SKIP;
    }
    if (action[a] === A_TYPE && total >= 0) layout(table, a, size, lay);
  }
  return { table, fixed, size, role, action, kind, hasAddr, sibFixedOff, sibForm, lay };
}

/**
 * Fills layout slots `at`, `at + 1` for a constant attribute (spec `i` of
 * `form`, at offset `off`, `bytes` long). Returns 0 if the scan cannot read
 * it from a fixed slot.
 */
function layConstant(
  table: AbbrevTable,
  lay: Int32Array,
  at: number,
  i: number,
  form: number,
  off: number,
  bytes: number,
): number {
  if (form === DW_FORM.implicit_const) {
    const v = table.implicitConstNumber(i);
    lay[at] = -2;
    lay[at + 1] = v;
    return v < 0 || v > 0x7fffffff ? 0 : 1;
  }
  if (
    form === DW_FORM.data1 || form === DW_FORM.data2 || form === DW_FORM.data4 ||
    form === DW_FORM.data8
  ) {
    lay[at] = off;
    lay[at + 1] = bytes;
    return 1;
  }
  // DW_FORM_udata is not fixed-size (cannot happen here); other forms are not constants.
  return 0;
}

/** Fills the fixed layout of type abbreviation `a` (all attribute sizes fixed). */
function layout(table: AbbrevTable, a: number, size: Int32Array, lay: Int32Array): void {
  const b = a * LAY;
  lay[b + L_NAME] = -1;
  lay[b + L_DECL] = -1;
  lay[b + L_LINE] = -1;
  lay[b + L_FILE] = -1;
  lay[b + L_SIZE] = -1;
  lay[b + L_SIB] = -1;
  let ok = 1;
  let off = 0;
  for (let i = table.attrStart[a]!; i < table.attrStart[a + 1]!; i++) {
    const form = table.attrForm[i]!;
    switch (table.attrName[i]) {
      case DW_AT.name:
        if (
          form === DW_FORM.strp || form === DW_FORM.line_strp || form === DW_FORM.strx1 ||
          form === DW_FORM.strx2 || form === DW_FORM.strx3 || form === DW_FORM.strx4
        ) {
          lay[b + L_NAME] = off;
          lay[b + L_NAME_FORM] = form;
        } else {
          ok = 0;
        }
        break;
      case DW_AT.declaration:
        if (form === DW_FORM.flag_present) lay[b + L_DECL] = -2;
        else if (form === DW_FORM.flag || form === DW_FORM.data1) lay[b + L_DECL] = off;
        else if (form === DW_FORM.implicit_const) {
          lay[b + L_DECL] = table.implicitConst(i) !== 0n ? -2 : -3;
        } else ok = 0;
        break;
      case DW_AT.decl_line:
        ok &= layConstant(table, lay, b + L_LINE, i, form, off, size[i]!);
        break;
      case DW_AT.decl_file:
        ok &= layConstant(table, lay, b + L_FILE, i, form, off, size[i]!);
        break;
      case DW_AT.byte_size:
        ok &= layConstant(table, lay, b + L_SIZE, i, form, off, size[i]!);
        break;
      case DW_AT.sibling:
        lay[b + L_SIB] = off;
        lay[b + L_SIB_FORM] = form;
        break;
      case DW_AT.specification:
      case DW_AT.abstract_origin:
        ok = 0; // named through another DIE: take the general path
        break;
    }
    off += size[i]!;
  }
  lay[b + L_OK] = ok;
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
  readonly tables: Map<number, AbbrevTable>;
  readonly plans = new Map<string, Plan>();
  readonly arena = new Arena();
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
    tables: Map<number, AbbrevTable>,
  ) {
    this.input = input;
    this.units = units;
    this.out = out;
    this.le = input.littleEndian;
    this.tables = tables;
    let n = 0;
    while (n < units.length && units[n]!.section === "info") n++;
    this.infoUnitCount = n;
    this.seen = input.dedupe === false ? null : new DedupSet();
  }

  planFor(unit: DwarfUnit): Plan {
    const key = `${unit.abbrevOffset}:${unit.addressSize}:${unit.offsetSize}:${
      unit.version <= 2 ? 2 : 3
    }`;
    let p = this.plans.get(key);
    if (p === undefined) {
      let t = this.tables.get(unit.abbrevOffset);
      if (t === undefined) {
        t = parseAbbrevTable(this.input.abbrev, unit.abbrevOffset, this.arena);
        this.tables.set(unit.abbrevOffset, t);
      }
      p = compilePlan(t, unit, this.input.globals !== false, this.arena);
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
            this.enterUnit(this.units[i]!);
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
 * Scans units `units[from..to)` into `out`. `tables` caches abbreviation
 * tables across calls. Throws a {@link DecodeError} for malformed data.
 */
export function scanUnits(
  input: ScanInput,
  units: readonly DwarfUnit[],
  from: number,
  to: number,
  out: EntryBuffer,
  tables: Map<number, AbbrevTable> = new Map(),
): void {
  const s = new Scanner(input, units, out, tables);
  for (let i = from; i < to; i++) s.scanUnit(units[i]!);
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
  tables: Map<number, AbbrevTable> = new Map(),
  chunkBytes: number = SCAN_CHUNK_BYTES,
): boolean {
  // Chunks: runs of consecutive .debug_info units.
  const chunks: [from: number, to: number][] = [];
  let maxLen = 0;
  let nInfo = 0;
  while (nInfo < units.length && units[nInfo]!.section === "info") nInfo++;
  for (let i = 0; i < nInfo;) {
    const from = i;
    const start = units[i]!.offset;
    while (i < nInfo && (i === from || units[i]!.end - start <= chunkBytes)) i++;
    chunks.push([from, i]);
    maxLen = Math.max(maxLen, units[i - 1]!.end - start);
  }
  const buffer = new Uint8Array(maxLen);
  const s = new Scanner({ ...input, info: buffer.subarray(0, 0) }, units, out, tables);
  try {
    for (const [from, to] of chunks) {
      const base = units[from]!.offset;
      const chunk = buffer.subarray(0, units[to - 1]!.end - base);
      read(base, chunk);
      s.input = { ...input, info: chunk };
      s.infoBase = base;
      s.chunked = true;
      for (let i = from; i < to; i++) s.scanUnit(shiftUnit(units[i]!, base));
    }
    s.infoBase = 0;
    s.chunked = false;
    s.input = { ...input, info: buffer.subarray(0, 0) };
    if (nInfo < units.length) fillSection(input.types);
    for (let i = nInfo; i < units.length; i++) s.scanUnit(units[i]!);
    return true;
  } catch (e) {
    if (!(e instanceof ChunkMiss) && !(e instanceof DecodeError) && !(e instanceof RangeError)) {
      throw e;
    }
    out.count = 0;
    return false;
  }
}
