/**
 * Compiled abbreviations for the indexer's scan (`index_scan.ts`): for each
 * abbreviation, what the scan does with its DIEs (index them as a type,
 * variable, function…, step over them), its attributes' sizes and roles,
 * and, for type DIEs whose attributes all have fixed sizes, where the
 * attributes the index needs are.
 *
 * Abbreviations are compiled once per distinct declaration, not once per
 * table: a kernel has thousands of tables (one per unit) made of the same
 * few tens of thousands of declarations, so a {@link DeclStore} keys each
 * declaration by its bytes and a table costs one pass that hashes them.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import {
  implicitConstAt,
  implicitConstNumberOf,
  implicitConstOf,
  parseAbbrevTable,
} from "./abbrev.ts";
import { DW_AT, DW_FORM, DW_TAG } from "./constants.ts";
import { formFixedSize, UNKNOWN_FORM, VARIABLE_SIZE } from "./form.ts";

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

// Attribute roles the scan captures.
export const R_NAME = 1;
export const R_SIBLING = 2;
export const R_DECL = 3;
export const R_SPEC = 4;
export const R_LOCATION = 5;
export const R_STR_OFFSETS_BASE = 6;
export const R_DECL_FILE = 7;
export const R_DECL_LINE = 8;
export const R_BYTE_SIZE = 9;
export const R_STMT_LIST = 10;
export const N_ROLES = 11;

// What to do with a DIE, per abbreviation.
export const A_SKIP = 0;
export const A_TYPE = 1;
export const A_VARIABLE = 2;
export const A_FUNCTION = 3;
export const A_NAMESPACE = 4;
export const A_ENUMERATOR = 5;
export const A_BLOCK = 6;

// Modes for the children of a DIE.
export const M_TOP = 0;
export const M_ENUM = 1;
export const M_FUNC = 2;
export const M_SKIP = 3;

/** Role of each attribute name (index = DW_AT value). */
export const ROLE_BY_ATTR: Uint8Array = (() => {
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
export const ACTION_BY_TAG = new Uint8Array(0x50);
/** Index kind of each tag. */
export const KIND_BY_TAG = new Uint8Array(0x50);
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
export const ADDR_ATTR: Uint8Array = (() => {
  const t = new Uint8Array(0x80);
  for (
    const at of [DW_AT.low_pc, DW_AT.ranges, DW_AT.entry_pc, DW_AT.location, DW_AT.const_value]
  ) {
    t[at] = 1;
  }
  return t;
})();

/**
 * The abbreviation table of one unit as the scan uses it: codes map to
 * declaration numbers of a {@link DeclStore}, whose per-declaration and
 * per-attribute-spec arrays the other members are.
 */
export interface PlanTable {
  /** Per declaration: DW_CHILDREN_yes. */
  hasChildren: Uint8Array;
  /** Per declaration: first attribute spec; specs of `a` are `attrStart[a]`…`attrStart[a + 1] - 1`. */
  attrStart: Uint32Array;
  /** Per attribute spec: DW_AT and DW_FORM. */
  attrName: Uint16Array;
  attrForm: Uint16Array;
  /** Abbreviation code → declaration number + 1 (0: no such code), for small codes. */
  byCode: Int32Array;
  /** The declaration number of `code`, or -1. */
  indexOf(code: number): number;
  /** The value of spec `i` if its form is `DW_FORM_implicit_const`, else 0n. */
  implicitConst(i: number): bigint;
  /** {@link implicitConst} as a number (NaN if it does not fit). */
  implicitConstNumber(i: number): number;
}

/** A compiled abbreviation table for one unit shape (address size, offset size, version). */
export interface Plan {
  table: PlanTable;
  /** Per declaration: total attribute bytes if every attribute is fixed-size, else -1. */
  fixed: Int32Array;
  /** Per attribute spec: fixed size, or -1 variable, or -3 indirect, or -4 unknown. */
  size: Int32Array;
  /** Per attribute spec: role (0 = none). */
  role: Uint8Array;
  /** Per declaration: A_*. */
  action: Uint8Array;
  /** Per declaration: IndexKind for types. */
  kind: Uint8Array;
  /** Per declaration: FLAG_HAS_ADDRESS if the DIE has low_pc/ranges/location/const_value. */
  hasAddr: Uint8Array;
  /** Per declaration: offset of DW_AT_sibling if all attributes before it are fixed-size, else -1. */
  sibFixedOff: Int32Array;
  /** Per declaration: form of DW_AT_sibling. */
  sibForm: Uint16Array;
  /** Per declaration, {@link LAY} slots: fixed layout of a type DIE (see L_*). */
  lay: Int32Array;
}

// Fixed layout of type DIEs whose attributes all have fixed sizes, so the
// scan reads them without walking the attribute list. Offsets are relative
// to the first attribute; "absent" is -1; an implicit constant is stored as
// offset -2 with the value in the size slot.
export const LAY = 12;
export const L_OK = 0;
export const L_NAME = 1;
export const L_NAME_FORM = 2;
export const L_DECL = 3; // -1 absent, -2 true, -3 false, else offset of a flag byte
export const L_LINE = 4;
export const L_LINE_SIZE = 5;
export const L_FILE = 6;
export const L_FILE_SIZE = 7;
export const L_SIZE = 8;
export const L_SIZE_SIZE = 9;
export const L_SIB = 10;
export const L_SIB_FORM = 11;

/** Codes below this are looked up in a table's dense array, others in a map. */
const DENSE_CODES = 1 << 14;

function grown<T extends Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array>(
  a: T,
  need: number,
): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * The distinct abbreviation declarations (tag, children flag, attribute
 * specs) met in one unit shape, each compiled once; {@link plan} turns an
 * abbreviation table into a {@link Plan} over them.
 */
export class DeclStore {
  readonly #addressSize: number;
  readonly #offsetSize: number;
  readonly #version: number;
  readonly #globals: boolean;
  readonly #sizeByForm = new Int32Array(0x30).fill(-100);
  /** Number of declarations and attribute specs. */
  count = 0;
  specs = 0;
  // Per declaration.
  tag = new Uint16Array(256);
  hasChildren = new Uint8Array(256);
  attrStart = new Uint32Array(257);
  fixed = new Int32Array(256);
  action = new Uint8Array(256);
  kind = new Uint8Array(256);
  hasAddr = new Uint8Array(256);
  sibFixedOff = new Int32Array(256);
  sibForm = new Uint16Array(256);
  lay = new Int32Array(256 * LAY);
  #hash = new Uint32Array(256);
  #bytesAt = new Uint32Array(256);
  #bytesLen = new Uint32Array(256);
  // Per attribute spec.
  attrName = new Uint16Array(1024);
  attrForm = new Uint16Array(1024);
  size = new Int32Array(1024);
  role = new Uint8Array(1024);
  #implicitConst = new Float64Array(1024);
  #bigConst: Map<number, bigint> | null = null;
  /** The declarations' bytes (compared on a hash match). */
  #pool = new Uint8Array(1 << 14);
  #poolLength = 0;
  /** Scratch of {@link plan}: code → declaration number + 1. */
  readonly #byCode = new Int32Array(DENSE_CODES);
  /** Open-addressing hash table of declaration number + 1. */
  #slots = new Int32Array(1024);

  constructor(addressSize: number, offsetSize: number, version: number, globals: boolean) {
    this.#addressSize = addressSize;
    this.#offsetSize = offsetSize;
    this.#version = version;
    this.#globals = globals;
  }

  implicitConst(i: number): bigint {
    return implicitConstOf(this.#implicitConst, this.#bigConst, i);
  }

  implicitConstNumber(i: number): number {
    return implicitConstNumberOf(this.#implicitConst, this.#bigConst, i);
  }

  /**
   * The plan of the abbreviation table at `offset` of `.debug_abbrev`
   * (`data`). Throws the {@link DecodeError} `parseAbbrevTable` gives for
   * a malformed table.
   */
  plan(data: Uint8Array, offset: number): Plan {
    const malformed = (): never => {
      this.#byCode.fill(0);
      parseAbbrevTable(data, offset); // throws the precise error
      throw new DecodeError(".debug_abbrev", offset, "malformed abbreviation table");
    };
    if (offset < 0 || offset >= data.length) malformed();
    const end = data.length;
    // Codes are gathered in a scratch array and copied out at the end.
    const byCode = this.#byCode;
    let maxCode = 0;
    let sparse: Map<number, number> | null = null;
    let pos = offset;
    for (;;) {
      let code = 0;
      let mul = 1;
      let b: number;
      do {
        if (pos >= end) malformed();
        b = data[pos++]!;
        code += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      if (code === 0) break;
      if (code > Number.MAX_SAFE_INTEGER) malformed();
      // Step over the declaration (LEB128s end at a byte below 0x80), hashing its bytes.
      const start = pos;
      let h = 0x811c9dc5;
      do {
        if (pos >= end) malformed();
        b = data[pos++]!;
        h = Math.imul(h ^ b, 0x01000193);
      } while (b & 0x80); // tag
      if (pos >= end) malformed();
      h = Math.imul(h ^ data[pos++]!, 0x01000193); // children
      for (;;) {
        const nameAt = pos;
        do {
          if (pos >= end) malformed();
          b = data[pos++]!;
          h = Math.imul(h ^ b, 0x01000193);
        } while (b & 0x80);
        const formAt = pos;
        do {
          if (pos >= end) malformed();
          b = data[pos++]!;
          h = Math.imul(h ^ b, 0x01000193);
        } while (b & 0x80);
        if (pos - nameAt === 2 && data[nameAt] === 0 && data[formAt] === 0) break;
        if (pos - formAt === 1 && data[formAt] === DW_FORM.implicit_const) {
          do {
            if (pos >= end) malformed();
            b = data[pos++]!;
            h = Math.imul(h ^ b, 0x01000193);
          } while (b & 0x80);
        }
      }
      h >>>= 0;
      let id = this.#find(data, start, pos - start, h);
      if (id < 0) id = this.#add(data, start, pos, h) ?? malformed();
      if (code < DENSE_CODES) {
        if (code > maxCode) maxCode = code;
        if (byCode[code] === 0) byCode[code] = id + 1;
      } else {
        sparse ??= new Map();
        if (!sparse.has(code)) sparse.set(code, id);
      }
    }
    const dense = byCode.slice(0, maxCode + 1);
    byCode.fill(0, 0, maxCode + 1);
    const sp = sparse;
    return {
      table: {
        hasChildren: this.hasChildren,
        attrStart: this.attrStart,
        attrName: this.attrName,
        attrForm: this.attrForm,
        byCode: dense,
        indexOf: (code: number) => code < dense.length ? dense[code]! - 1 : (sp?.get(code) ?? -1),
        implicitConst: (i: number) => this.implicitConst(i),
        implicitConstNumber: (i: number) => this.implicitConstNumber(i),
      },
      fixed: this.fixed,
      size: this.size,
      role: this.role,
      action: this.action,
      kind: this.kind,
      hasAddr: this.hasAddr,
      sibFixedOff: this.sibFixedOff,
      sibForm: this.sibForm,
      lay: this.lay,
    };
  }

  /** The number of the declaration with bytes `data[start, start + length)`, or -1. */
  #find(data: Uint8Array, start: number, length: number, h: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let s = h & mask;; s = (s + 1) & mask) {
      const id = slots[s]! - 1;
      if (id < 0) return -1;
      if (this.#hash[id] !== h || this.#bytesLen[id] !== length) continue;
      const pool = this.#pool;
      const at = this.#bytesAt[id]!;
      let same = true;
      for (let k = 0; k < length; k++) {
        if (pool[at + k] !== data[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  /**
   * Parses, checks and compiles the declaration `data[start, end)`; its
   * number, or null if it is malformed.
   */
  #add(data: Uint8Array, start: number, end: number, h: number): number | null {
    let pos = start;
    const leb = (): number => {
      let v = 0;
      let mul = 1;
      let b: number;
      const at = pos;
      do {
        b = data[pos++]!;
        v += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80 && pos - at < 10);
      return b & 0x80 ? -1 : v;
    };
    const tag = leb();
    if (tag <= 0 || tag > 0xffff) return null;
    const children = data[pos++]!;
    if (children > 1) return null;
    const id = this.count;
    const first = this.specs;
    let k = first;
    for (;;) {
      const name = leb();
      const form = leb();
      if (name === 0 && form === 0) break;
      if (name <= 0 || name > 0xffff || form <= 0 || form > 0xffff) return null;
      this.#growSpecs(k + 1);
      this.attrName[k] = name;
      this.attrForm[k] = form;
      this.#implicitConst[k] = 0;
      if (form === DW_FORM.implicit_const) {
        const c = pos;
        let b: number;
        do b = data[pos++]!; while (b & 0x80 && pos - c < 10);
        if (b & 0x80) return null;
        const big = implicitConstAt(data, c, pos, this.#implicitConst, k);
        if (big !== null) (this.#bigConst ??= new Map()).set(k, big);
      }
      k++;
    }
    if (pos !== end) return null;
    // Commit: the declaration's arrays, bytes and hash slot.
    this.#growDecls(id + 1);
    this.specs = k;
    this.count = id + 1;
    this.tag[id] = tag;
    this.hasChildren[id] = children;
    this.attrStart[id] = first;
    this.attrStart[id + 1] = k;
    const length = end - start;
    if (this.#poolLength + length > this.#pool.length) {
      this.#pool = grown(this.#pool, this.#poolLength + length);
    }
    this.#pool.set(data.subarray(start, end), this.#poolLength);
    this.#bytesAt[id] = this.#poolLength;
    this.#bytesLen[id] = length;
    this.#poolLength += length;
    this.#hash[id] = h;
    if ((id + 1) * 2 > this.#slots.length) this.#rehash();
    else this.#insert(id);
    this.#compile(id);
    return id;
  }

  #insert(id: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let s = this.#hash[id]! & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = id + 1;
  }

  #rehash(): void {
    this.#slots = new Int32Array(this.#slots.length * 2);
    for (let id = 0; id < this.count; id++) this.#insert(id);
  }

  #growDecls(n: number): void {
    if (n + 1 <= this.attrStart.length && n <= this.tag.length) return;
    this.tag = grown(this.tag, n);
    this.hasChildren = grown(this.hasChildren, n);
    this.attrStart = grown(this.attrStart, n + 1);
    this.fixed = grown(this.fixed, n);
    this.action = grown(this.action, n);
    this.kind = grown(this.kind, n);
    this.hasAddr = grown(this.hasAddr, n);
    this.sibFixedOff = grown(this.sibFixedOff, n);
    this.sibForm = grown(this.sibForm, n);
    this.lay = grown(this.lay, n * LAY);
    this.#hash = grown(this.#hash, n);
    this.#bytesAt = grown(this.#bytesAt, n);
    this.#bytesLen = grown(this.#bytesLen, n);
  }

  #growSpecs(n: number): void {
    if (n <= this.attrName.length) return;
    this.attrName = grown(this.attrName, n);
    this.attrForm = grown(this.attrForm, n);
    this.size = grown(this.size, n);
    this.role = grown(this.role, n);
    this.#implicitConst = grown(this.#implicitConst, n);
  }

  /** Sizes, roles, action and layout of declaration `a`. */
  #compile(a: number): void {
    const sizeByForm = this.#sizeByForm;
    let total = 0;
    let sib = -1;
    this.hasAddr[a] = 0;
    this.sibForm[a] = 0;
    for (let i = this.attrStart[a]!; i < this.attrStart[a + 1]!; i++) {
      const f = this.attrForm[i]!;
      let s = f < 0x30 ? sizeByForm[f]! : -100;
      if (s === -100) {
        const fs = formFixedSize(f, this.#addressSize, this.#offsetSize, this.#version);
        s = f === DW_FORM.indirect ? -3 : fs === VARIABLE_SIZE ? -1 : fs === UNKNOWN_FORM ? -4 : fs;
        if (f < 0x30) sizeByForm[f] = s;
      }
      this.size[i] = s;
      const name = this.attrName[i]!;
      const r = name < ROLE_BY_ATTR.length ? ROLE_BY_ATTR[name]! : 0;
      this.role[i] = r;
      if (name < ADDR_ATTR.length && ADDR_ATTR[name] === 1) this.hasAddr[a] = FLAG_HAS_ADDRESS;
      if (r === R_SIBLING) {
        if (total >= 0) sib = total;
        this.sibForm[a] = f;
      }
      if (s < 0) total = -1;
      else if (total >= 0) total += s;
    }
    this.fixed[a] = total;
    this.sibFixedOff[a] = sib;
    const tag = this.tag[a]!;
    this.action[a] = A_SKIP;
    this.kind[a] = 0;
    if (tag < ACTION_BY_TAG.length) {
      this.action[a] = ACTION_BY_TAG[tag]!;
      this.kind[a] = KIND_BY_TAG[tag]!;
      // Scanning for statics only: types are skipped like anything else.
      if (!this.#globals && this.action[a] === A_TYPE) this.action[a] = A_SKIP;
    }
    if (this.action[a] === A_TYPE && total >= 0) layout(this, a, this.size, this.lay);
  }
}

/**
 * Fills layout slots `at`, `at + 1` for a constant attribute (spec `i` of
 * `form`, at offset `off`, `bytes` long). Returns 0 if the scan cannot read
 * it from a fixed slot.
 */
function layConstant(
  table: DeclStore,
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
function layout(table: DeclStore, a: number, size: Int32Array, lay: Int32Array): void {
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
