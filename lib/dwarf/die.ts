/**
 * Debugging information entries: the unit table of a file, per-unit facts
 * from the unit DIE (string/address/range-list bases, language), and a
 * {@link Die} reader that decodes attributes of every form on demand.
 *
 * A DIE is addressed by a {@link DieRef}: its `.debug_info` offset, or
 * {@link TYPES_BASE} plus its `.debug_types` offset.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { cstringAt } from "../binary/byte_reader.ts";
import { abbrevCodeText, type AbbrevTable, parseAbbrevTable } from "./abbrev.ts";
import { DW_AT, DW_FORM, DW_TAG, dwName } from "./constants.ts";
import { formFixedSize, skipVariableForm, VARIABLE_SIZE } from "./form.ts";
import {
  type DwarfSections,
  ensureSection,
  fillSection,
  isLazySection,
  sectionCString,
} from "./sections.ts";
import {
  type DwarfUnit,
  findUnitIndex,
  LazyUnits,
  parseUnitHeaders,
  type Units,
  unitSectionName,
} from "./unit.ts";

/** A global DIE address: `.debug_info` offset, or `TYPES_BASE + .debug_types offset`. */
export type DieRef = number;

/** Added to `.debug_types` offsets to make {@link DieRef}s. */
export const TYPES_BASE = 2 ** 40;

/** Facts from a unit's root DIE that DIEs of the unit need. */
export interface UnitInfo {
  readonly unit: DwarfUnit;
  readonly abbrev: AbbrevTable;
  /** Tag of the unit DIE (`DW_TAG.compile_unit`, `partial_unit`, `type_unit`, …). */
  readonly tag: number;
  /** `DW_AT_str_offsets_base` (or the DWARF 5 default). */
  readonly strOffsetsBase: number;
  /** `DW_AT_addr_base` / `DW_AT_GNU_addr_base`. */
  readonly addrBase: number;
  /** `DW_AT_rnglists_base`. */
  readonly rnglistsBase: number;
  /** `DW_AT_loclists_base`. */
  readonly loclistsBase: number;
  /** `DW_AT_language`, or 0. */
  readonly language: number;
  /** `DW_AT_name` of the unit DIE, or null. */
  readonly name: string | null;
  /** `DW_AT_comp_dir`, or null. */
  readonly compDir: string | null;
  /** `DW_AT_low_pc` of the unit (the base address of its range and location lists), or 0n. */
  readonly lowPc: bigint;
  /** `DW_AT_stmt_list` (offset in `.debug_line`), or null. */
  readonly stmtList: number | null;
}

/** A constant attribute value with the signedness its form implies. */
export interface ConstantValue {
  readonly value: bigint;
  /** True for `DW_FORM_sdata` and `DW_FORM_implicit_const`; false for data/udata forms. */
  readonly signed: boolean;
  /** The form's size in bytes for `DW_FORM_data1/2/4/8` (for sign extension by context), else 0. */
  readonly size: number;
}

/** A {@link DieReader}'s units as {@link Units} (see `DieReader.unitList`). */
class ReaderUnits implements Units {
  readonly #reader: DieReader;
  constructor(reader: DieReader) {
    this.#reader = reader;
  }
  get length(): number {
    return this.#reader.unitCount;
  }
  at(i: number): DwarfUnit | undefined {
    return this.#reader.unit(i);
  }
}

/**
 * The DIE reader of one file: unit headers of `.debug_info` and
 * `.debug_types`, abbreviation tables, and DIE decoding.
 */
export class DieReader {
  readonly sections: DwarfSections;
  readonly littleEndian: boolean;
  #units: readonly DwarfUnit[] | null = null;
  #infoUnitCount = 0;
  readonly #infoView: DataView;
  readonly #typesView: DataView | null;
  readonly #abbrevs = new Map<number, AbbrevTable>();
  /** Per unit (by index, filled as units are read). */
  readonly #unitInfo: (UnitInfo | undefined)[] = [];
  /** Per unit, per abbreviation: attribute offsets when all are fixed-size (see `fixedLayout`). */
  readonly #layouts: ((Int32Array | null)[] | undefined)[] = [];
  #typeUnits: Map<bigint, DwarfUnit> | null = null;

  /**
   * Takes `units` (a unit table of the same sections, from the index
   * cache: see `openUnitTable`; a {@link LazyUnits} is read as units are
   * needed, and should it turn out damaged, the unit headers are read
   * instead), or reads the unit headers of `sections` when first needed
   * (which reads, or for a compressed section inflates, all of
   * `.debug_info`: a file whose DWARF no lookup reaches is spared).
   */
  constructor(
    sections: DwarfSections,
    littleEndian: boolean,
    units?: readonly DwarfUnit[] | LazyUnits,
  ) {
    this.sections = sections;
    this.littleEndian = littleEndian;
    if (units instanceof LazyUnits) {
      this.#lazy = units;
    } else if (units !== undefined) {
      this.#units = units;
      let n = 0;
      while (n < units.length && units[n]!.section === "info") n++;
      this.#infoUnitCount = n;
    }
    this.#infoView = viewOf(sections.info);
    this.#typesView = sections.types ? viewOf(sections.types) : null;
    this.unitList = new ReaderUnits(this);
  }

  /** The cached unit table being read as needed (null once {@link units} is made). */
  #lazy: LazyUnits | null = null;

  /** The units by number, read as needed (for the name index; see {@link unit}). */
  readonly unitList: Units;

  /**
   * Every unit: `.debug_info` units first (in section order), then
   * `.debug_types` units. (Reads every row of a cached table: lookups use
   * {@link unit} and {@link unitOf}.)
   */
  get units(): readonly DwarfUnit[] {
    if (this.#units === null) {
      const all = this.#fromLazy((lazy) => [lazy.all(), lazy.infoCount] as const);
      if (all !== undefined) {
        [this.#units, this.#infoUnitCount] = all;
        this.#lazy = null;
      }
    }
    return this.#units ?? this.#readUnits();
  }

  /** Number of units. */
  get unitCount(): number {
    return this.#units?.length ?? this.#lazy?.length ?? this.units.length;
  }

  /** Unit number `i` (undefined past the end). */
  unit(i: number): DwarfUnit | undefined {
    // (null: past the end of the cached table.)
    const u = this.#fromLazy((lazy) => lazy.at(i) ?? null);
    return u === undefined ? this.units[i] : u ?? undefined;
  }

  /** Number of `.debug_info` units (the first `infoUnitCount` of {@link units}). */
  get infoUnitCount(): number {
    if (this.#units === null) {
      const n = this.#fromLazy((lazy) => lazy.infoCount);
      if (n !== undefined) return n;
      if (this.#units === null) this.#readUnits();
    }
    return this.#infoUnitCount;
  }

  /**
   * `read(table)` of the cached unit table while units are read from it;
   * undefined when they are not (never, or no longer). Should the table
   * turn out damaged (a {@link DecodeError}; anything else is rethrown),
   * the unit headers are read from the sections instead, and undefined is
   * returned.
   */
  #fromLazy<T>(read: (table: LazyUnits) => T): T | undefined {
    const lazy = this.#units === null ? this.#lazy : null;
    if (lazy === null) return undefined;
    try {
      return read(lazy);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.#lazy = null;
      this.#readUnits();
      return undefined;
    }
  }

  #readUnits(): readonly DwarfUnit[] {
    this.#lastUnit = null;
    const s = this.sections;
    const info = parseUnitHeaders(s.info, "info", this.littleEndian);
    const types = s.types ? parseUnitHeaders(s.types, "types", this.littleEndian, info.length) : [];
    this.#infoUnitCount = info.length;
    return this.#units = types.length ? info.concat(types) : info;
  }

  /** The abbreviation table at `offset` (parsed once). */
  abbrevTable(offset: number): AbbrevTable {
    let t = this.#abbrevs.get(offset);
    if (t === undefined) {
      const a = this.sections.abbrev;
      if (isLazySection(a)) {
        // Read up to the next unit's table; a table running past it (not
        // written by any compiler) is parsed again from the whole section.
        const end = this.#abbrevEnd(offset);
        ensureSection(a, offset, end);
        try {
          t = parseAbbrevTable(a.subarray(0, end), offset);
        } catch {
          fillSection(a);
          t = parseAbbrevTable(a, offset);
        }
      } else {
        t = parseAbbrevTable(a, offset);
      }
      this.#abbrevs.set(offset, t);
    }
    return t;
  }

  /** Sorted distinct abbreviation table offsets of the units (built on first use). */
  #abbrevOffsets: Float64Array | null = null;

  /** The next unit's table offset after `offset`, or the end of `.debug_abbrev`. */
  #abbrevEnd(offset: number): number {
    if (this.#abbrevOffsets === null) {
      this.#abbrevOffsets = Float64Array.from(new Set(this.units.map((u) => u.abbrevOffset)))
        .sort();
    }
    const o = this.#abbrevOffsets;
    let lo = 0;
    let hi = o.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (o[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < o.length ? o[lo]! : this.sections.abbrev.length;
  }

  /** Section bytes of a unit. */
  unitData(unit: DwarfUnit): Uint8Array {
    return unit.section === "info" ? this.sections.info : this.sections.types!;
  }

  /** The {@link DieRef} of section offset `offset` in `unit`'s section. */
  refOf(unit: DwarfUnit, offset: number): DieRef {
    return unit.section === "info" ? offset : TYPES_BASE + offset;
  }

  /** The unit {@link unitOf} found last (a type or a scope is read from one unit, DIE after DIE). */
  #lastUnit: DwarfUnit | null = null;

  /** The unit containing `ref`; throws a {@link DecodeError} if none does. */
  unitOf(ref: DieRef): DwarfUnit {
    const last = this.#lastUnit;
    if (last !== null) {
      const types = ref >= TYPES_BASE;
      const off = types ? ref - TYPES_BASE : ref;
      if (off >= last.offset && off < last.end && types === (last.section === "types")) return last;
    }
    return this.#lastUnit = this.#unitOf(ref);
  }

  #unitOf(ref: DieRef): DwarfUnit {
    const types = ref >= TYPES_BASE;
    const off = types ? ref - TYPES_BASE : ref;
    // (null: in no unit.)
    let u = this.#fromLazy((lazy) => {
      const n = lazy.infoCount;
      const i = types ? lazy.find(off, n, lazy.length) : lazy.find(off, 0, n);
      return i < 0 ? null : lazy.at(i)!;
    });
    if (u === undefined) {
      const n = this.infoUnitCount;
      const i = types ? findUnitIndex(this.units, off, n) : findUnitIndex(this.units, off, 0, n);
      u = i < 0 ? null : this.units[i]!;
    }
    if (u === null) {
      throw new DecodeError(
        types ? ".debug_types" : ".debug_info",
        off,
        "reference outside every unit",
      );
    }
    return u;
  }

  /** The type unit with signature `sig`, if any. */
  typeUnit(sig: bigint): DwarfUnit | undefined {
    if (this.#typeUnits === null) {
      const m = new Map<bigint, DwarfUnit>();
      for (const u of this.units) {
        if (u.typeOffset !== 0 && !m.has(u.typeSignature)) m.set(u.typeSignature, u);
      }
      this.#typeUnits = m;
    }
    return this.#typeUnits.get(sig);
  }

  /** Facts from the unit DIE of `unit` (read once). */
  unitInfo(unit: DwarfUnit): UnitInfo {
    const cached = this.#unitInfo[unit.index];
    if (cached !== undefined) return cached;
    // Every read of a unit's DIEs starts here: read a lazy section's unit.
    ensureSection(this.unitData(unit), unit.offset, unit.end);
    const abbrev = this.abbrevTable(unit.abbrevOffset);
    // Defaults: DWARF 5 bases point just past the section headers.
    const boot: UnitInfo = {
      unit,
      abbrev,
      tag: 0,
      strOffsetsBase: unit.version >= 5 ? (unit.is64 ? 16 : 8) : 0,
      addrBase: unit.version >= 5 ? (unit.is64 ? 16 : 8) : 0,
      rnglistsBase: 0,
      loclistsBase: 0,
      language: 0,
      name: null,
      compDir: null,
      lowPc: 0n,
      stmtList: null,
    };
    this.#unitInfo[unit.index] = boot;
    try {
      const root = this.#readDie(unit, boot, unit.dieOffset);
      if (root === null) return boot;
      const num = (at: number, dflt: number): number => {
        const v = root.udata(at);
        return v === null ? dflt : v;
      };
      const strOffsetsBase = num(DW_AT.str_offsets_base, boot.strOffsetsBase);
      const addrBase = num(DW_AT.addr_base, num(DW_AT.GNU_addr_base, boot.addrBase));
      const withBases: UnitInfo = { ...boot, strOffsetsBase, addrBase, tag: root.tag };
      this.#unitInfo[unit.index] = withBases;
      const info: UnitInfo = {
        ...withBases,
        rnglistsBase: num(DW_AT.rnglists_base, 0),
        loclistsBase: num(DW_AT.loclists_base, 0),
        language: num(DW_AT.language, 0),
        name: root.string(DW_AT.name),
        compDir: root.string(DW_AT.comp_dir),
        lowPc: root.address(DW_AT.low_pc) ?? 0n,
        stmtList: root.secOffset(DW_AT.stmt_list),
      };
      this.#unitInfo[unit.index] = info;
      return info;
    } catch (e) {
      this.#unitInfo[unit.index] = undefined;
      throw e;
    }
  }

  /** The unit's root DIE. */
  unitDie(unit: DwarfUnit): Die {
    const d = this.#readDie(unit, this.unitInfo(unit), unit.dieOffset);
    if (d === null) {
      throw new DecodeError(unitSectionName(unit.section), unit.dieOffset, "unit has no DIE");
    }
    return d;
  }

  /** The DIE at `ref`. Throws a {@link DecodeError} for a null entry or bad data. */
  die(ref: DieRef): Die {
    const unit = this.unitOf(ref);
    const off = ref >= TYPES_BASE ? ref - TYPES_BASE : ref;
    const d = this.#readDie(unit, this.unitInfo(unit), off);
    if (d === null) {
      throw new DecodeError(unitSectionName(unit.section), off, "reference to a null entry");
    }
    return d;
  }

  /** The DIE at section offset `offset` of `unit`, or null for a null entry (end of siblings). */
  dieAt(unit: DwarfUnit, offset: number): Die | null {
    return this.#readDie(unit, this.unitInfo(unit), offset);
  }

  #readDie(unit: DwarfUnit, info: UnitInfo, offset: number): Die | null {
    const data = this.unitData(unit);
    const section = unitSectionName(unit.section);
    if (offset < unit.dieOffset || offset >= unit.end) {
      throw new DecodeError(section, offset, "DIE offset outside its unit");
    }
    let pos = offset;
    let code = 0;
    let mul = 1;
    for (;;) {
      if (pos >= unit.end) throw new DecodeError(section, offset, "truncated DIE");
      const b = data[pos++]!;
      code += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
      if (mul > 2 ** 49) throw new DecodeError(section, offset, "abbreviation code too large");
    }
    if (code === 0) return null;
    const table = info.abbrev;
    const a = table.indexOf(code);
    if (a < 0) {
      throw new DecodeError(section, offset, `unknown abbreviation code ${abbrevCodeText(code)}`);
    }
    const first = table.attrStart[a]!;
    const last = table.attrStart[a + 1]!;
    const n = last - first;
    const base = pos;
    // Most abbreviations have fixed-size attributes only: their offsets are
    // worked out once per unit and shared by its DIEs.
    const layouts = this.#layouts[unit.index] ??= [];
    let layout = layouts[a];
    if (layout === undefined) layout = layouts[a] = fixedLayout(table, first, last, unit);
    if (layout !== null && base + layout[n]! <= unit.end) {
      return new Die(this, info, offset, a, base, layout, null, base + layout[n]!);
    }
    const positions = new Int32Array(n);
    let forms: Uint16Array | null = null;
    const le = this.littleEndian;
    for (let k = 0; k < n; k++) {
      let form = table.attrForm[first + k]!;
      if (form === DW_FORM.indirect) {
        const r = readUleb(data, pos, unit.end, section);
        form = r.value;
        pos = r.next;
        forms ??= table.attrForm.slice(first, last);
        forms[k] = form > 0xffff ? 0xffff : form;
        if (form === DW_FORM.indirect || form === DW_FORM.implicit_const) {
          throw new DecodeError(section, pos, `invalid indirect form ${dwName("DW_FORM", form)}`);
        }
      }
      positions[k] = pos - base;
      const size = formFixedSize(form, unit.addressSize, unit.offsetSize, unit.version);
      if (size >= 0) pos += size;
      else if (size === VARIABLE_SIZE) pos = skipVariableForm(data, pos, form, le);
      else {
        throw new DecodeError(
          section,
          pos,
          `unknown form ${dwName("DW_FORM", form)} for ${
            dwName("DW_AT", table.attrName[first + k]!)
          }`,
        );
      }
      if (pos > unit.end) {
        throw new DecodeError(
          section,
          base + positions[k]!,
          `${dwName("DW_AT", table.attrName[first + k]!)} runs past the end of the unit`,
        );
      }
    }
    return new Die(this, info, offset, a, base, positions, forms, pos);
  }

  /**
   * The children of `die` in order. Uses `DW_AT_sibling` to step over
   * grandchildren where present.
   */
  /**
   * `die`, or the DIE its `DW_AT_abstract_origin` / `DW_AT_specification`
   * chain leads to, that has attribute `at` (out-of-line instances and
   * definitions of declarations carry some attributes only there); null
   * if none within 8 hops.
   */
  withAttr(die: Die, at: number): Die | null {
    let d = die;
    for (let hop = 0; hop < 8; hop++) {
      if (d.has(at)) return d;
      const next = d.ref(DW_AT.abstract_origin) ?? d.ref(DW_AT.specification);
      if (next === null) return null;
      d = this.die(next);
    }
    return null;
  }

  children(die: Die): Die[] {
    const out: Die[] = [];
    if (!die.hasChildren) return out;
    const unit = die.unit;
    let pos = die.end;
    for (let guard = 0;; guard++) {
      const child = this.#readDie(unit, die.info, pos);
      if (child === null) break;
      out.push(child);
      pos = this.nextSiblingOffset(child);
      if (guard > unit.end - unit.dieOffset) {
        throw new DecodeError(unitSectionName(unit.section), pos, "DIE tree does not terminate");
      }
    }
    return out;
  }

  /** Section offset just past `die` and all its descendants. */
  nextSiblingOffset(die: Die): number {
    if (!die.hasChildren) return die.end;
    const unit = die.unit;
    const section = unitSectionName(unit.section);
    const sib = die.ref(DW_AT.sibling);
    if (sib !== null) {
      const off = sib >= TYPES_BASE ? sib - TYPES_BASE : sib;
      if (off <= die.offset || off > unit.end) {
        throw new DecodeError(
          section,
          die.offset,
          "DW_AT_sibling does not point forward in the unit",
        );
      }
      return off;
    }
    // Walk the subtree.
    let depth = 1;
    let pos = die.end;
    const info = die.info;
    while (depth > 0) {
      if (pos >= unit.end) {
        throw new DecodeError(section, pos, "DIE children run past the end of the unit");
      }
      const d = this.#readDie(unit, info, pos);
      if (d === null) {
        depth--;
        pos++;
        continue;
      }
      if (d.hasChildren) {
        const s = d.ref(DW_AT.sibling);
        const off = s === null ? -1 : s >= TYPES_BASE ? s - TYPES_BASE : s;
        if (off > d.offset && off <= unit.end) {
          pos = off;
          continue;
        }
        depth++;
      }
      pos = d.end;
    }
    return pos;
  }

  /** Reads the `.debug_str_offsets` entry `index` of a unit and returns the string. */
  strx(info: UnitInfo, index: number): string {
    const so = this.sections.strOffsets;
    const size = info.unit.offsetSize;
    const at = info.strOffsetsBase + index * size;
    if (so === undefined || at + size > so.length) {
      throw new DecodeError(".debug_str_offsets", at, `string index ${index} out of bounds`);
    }
    const off = readOffset(viewOf(so), at, size, this.littleEndian, ".debug_str_offsets");
    return this.strp(off);
  }

  /** The string at `offset` of `.debug_str`. */
  strp(offset: number): string {
    const s = this.sections.str;
    if (s === undefined) throw new DecodeError(".debug_str", offset, "section is missing");
    return sectionCString(s, offset, ".debug_str");
  }

  /** The string at `offset` of `.debug_line_str`. */
  lineStrp(offset: number): string {
    const s = this.sections.lineStr;
    if (s === undefined) throw new DecodeError(".debug_line_str", offset, "section is missing");
    return sectionCString(s, offset, ".debug_line_str");
  }

  /** Entry `index` of the unit's `.debug_addr` table. */
  addrx(info: UnitInfo, index: number): bigint {
    const a = this.sections.addr;
    const size = info.unit.addressSize;
    const at = info.addrBase + index * size;
    if (a === undefined || at + size > a.length) {
      throw new DecodeError(".debug_addr", at, `address index ${index} out of bounds`);
    }
    const v = viewOf(a);
    if (size === 8) return v.getBigUint64(at, this.littleEndian);
    if (size === 4) return BigInt(v.getUint32(at, this.littleEndian));
    return BigInt(v.getUint16(at, this.littleEndian));
  }

  /** @internal */
  viewFor(unit: DwarfUnit): DataView {
    return unit.section === "info" ? this.#infoView : this.#typesView!;
  }
}

/**
 * The offsets of abbreviation `first…last`'s attribute values from the
 * first, and their total size last, when every form has a fixed size in
 * `unit`; null otherwise (a variable-size or indirect form).
 */
function fixedLayout(
  table: AbbrevTable,
  first: number,
  last: number,
  unit: DwarfUnit,
): Int32Array | null {
  const n = last - first;
  const out = new Int32Array(n + 1);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const form = table.attrForm[first + k]!;
    if (form === DW_FORM.indirect) return null;
    const size = formFixedSize(form, unit.addressSize, unit.offsetSize, unit.version);
    if (size < 0) return null;
    out[k] = at;
    at += size;
  }
  out[n] = at;
  return out;
}

/**
 * One DIE: its tag, abbreviation and attribute value positions. Attribute
 * getters decode on demand and return `null` when the attribute is absent.
 */
export class Die {
  readonly reader: DieReader;
  readonly info: UnitInfo;
  /** Section offset of the DIE. */
  readonly offset: number;
  /** Abbreviation index in the unit's table. */
  readonly abbrev: number;
  /** Offset just past the DIE's attributes (its first child, if any). */
  readonly end: number;
  /** Section offset of the first attribute value. */
  readonly #base: number;
  /** Offset of each attribute value from `#base` (may be shared by DIEs of one layout). */
  readonly #rel: Int32Array;
  readonly #forms: Uint16Array | null;

  constructor(
    reader: DieReader,
    info: UnitInfo,
    offset: number,
    abbrev: number,
    base: number,
    relative: Int32Array,
    forms: Uint16Array | null,
    end: number,
  ) {
    this.reader = reader;
    this.info = info;
    this.offset = offset;
    this.abbrev = abbrev;
    this.#base = base;
    this.#rel = relative;
    this.#forms = forms;
    this.end = end;
  }

  /** Section offset of the value of the DIE's `k`-th attribute. */
  #at(k: number): number {
    return this.#base + this.#rel[k]!;
  }

  /** The unit of the DIE. */
  get unit(): DwarfUnit {
    return this.info.unit;
  }
  /** The DIE's tag (`DW_TAG.*`). */
  get tag(): number {
    return this.info.abbrev.tag[this.abbrev]!;
  }
  /** Whether the DIE has children. */
  get hasChildren(): boolean {
    return this.info.abbrev.hasChildren[this.abbrev] === 1;
  }
  /** The DIE's global reference. */
  get dieRef(): DieRef {
    return this.reader.refOf(this.info.unit, this.offset);
  }
  /** Section name for messages. */
  get sectionName(): string {
    return unitSectionName(this.info.unit.section);
  }

  #find(at: number): number {
    const t = this.info.abbrev;
    const first = t.attrStart[this.abbrev]!;
    const last = t.attrStart[this.abbrev + 1]!;
    const names = t.attrName;
    for (let i = first; i < last; i++) if (names[i] === at) return i - first;
    return -1;
  }

  #form(k: number): number {
    return this.#forms !== null
      ? this.#forms[k]!
      : this.info.abbrev.attrForm[this.info.abbrev.attrStart[this.abbrev]! + k]!;
  }

  #error(k: number, message: string): never {
    const at = this.info.abbrev.attrName[this.info.abbrev.attrStart[this.abbrev]! + k]!;
    throw new DecodeError(
      this.sectionName,
      k >= 0 ? this.#at(k) : this.offset,
      `${dwName("DW_TAG", this.tag)} ${dwName("DW_AT", at)}: ${message}`,
    );
  }

  /** Whether the DIE has attribute `at`. */
  has(at: number): boolean {
    return this.#find(at) >= 0;
  }

  /** The form of attribute `at`, or -1 if absent. */
  formOf(at: number): number {
    const k = this.#find(at);
    return k < 0 ? -1 : this.#form(k);
  }

  /** Attribute names of the DIE in order. */
  attributes(): number[] {
    const t = this.info.abbrev;
    return Array.from(
      t.attrName.subarray(t.attrStart[this.abbrev]!, t.attrStart[this.abbrev + 1]!),
    );
  }

  #raw(k: number, size: number): number {
    const v = this.reader.viewFor(this.info.unit);
    const p = this.#at(k);
    const le = this.reader.littleEndian;
    switch (size) {
      case 1:
        return v.getUint8(p);
      case 2:
        return v.getUint16(p, le);
      case 3:
        return le
          ? v.getUint8(p) | (v.getUint8(p + 1) << 8) | (v.getUint8(p + 2) << 16)
          : (v.getUint8(p) << 16) | (v.getUint8(p + 1) << 8) | v.getUint8(p + 2);
      case 4:
        return v.getUint32(p, le);
      default: {
        const lo = v.getUint32(p + (le ? 0 : 4), le);
        const hi = v.getUint32(p + (le ? 4 : 0), le);
        if (hi > 0x1fffff) this.#error(k, "value too large");
        return hi * 0x100000000 + lo;
      }
    }
  }

  #rawBig(k: number, size: number): bigint {
    if (size === 8) {
      return this.reader.viewFor(this.info.unit).getBigUint64(
        this.#at(k),
        this.reader.littleEndian,
      );
    }
    return BigInt(this.#raw(k, size));
  }

  #uleb(k: number): number {
    const data = this.reader.unitData(this.info.unit);
    return readUleb(data, this.#at(k), this.info.unit.end, this.sectionName).value;
  }

  /**
   * A constant attribute (`data1/2/4/8`, `udata`, `sdata`, `implicit_const`,
   * `data16` when it fits) as a bigint with its form's signedness. Null if absent;
   * throws a {@link DecodeError} for a non-constant form.
   */
  constant(at: number): ConstantValue | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    switch (form) {
      case DW_FORM.data1:
        return { value: this.#rawBig(k, 1), signed: false, size: 1 };
      case DW_FORM.data2:
        return { value: this.#rawBig(k, 2), signed: false, size: 2 };
      case DW_FORM.data4:
        return { value: this.#rawBig(k, 4), signed: false, size: 4 };
      case DW_FORM.data8:
        return { value: this.#rawBig(k, 8), signed: false, size: 8 };
      case DW_FORM.udata: {
        const data = this.reader.unitData(this.info.unit);
        return { value: readUlebBig(data, this.#at(k)), signed: false, size: 0 };
      }
      case DW_FORM.sdata: {
        const data = this.reader.unitData(this.info.unit);
        return { value: readSlebBig(data, this.#at(k)), signed: true, size: 0 };
      }
      case DW_FORM.implicit_const: {
        const t = this.info.abbrev;
        return { value: t.implicitConst(t.attrStart[this.abbrev]! + k), signed: true, size: 0 };
      }
      case DW_FORM.data16: {
        const v = this.reader.viewFor(this.info.unit);
        const p = this.#at(k);
        const le = this.reader.littleEndian;
        const lo = v.getBigUint64(p + (le ? 0 : 8), le);
        const hi = v.getBigUint64(p + (le ? 8 : 0), le);
        return { value: (hi << 64n) | lo, signed: false, size: 16 };
      }
      default:
        return this.#error(k, `expected a constant, got ${dwName("DW_FORM", form)}`);
    }
  }

  /**
   * An unsigned constant attribute that fits in a number (sizes, offsets,
   * line numbers, language codes). `sdata` values are returned signed.
   * Also accepts `sec_offset`. Null if absent.
   */
  udata(at: number): number | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    switch (form) {
      case DW_FORM.data1:
      case DW_FORM.flag:
        return this.#raw(k, 1);
      case DW_FORM.data2:
        return this.#raw(k, 2);
      case DW_FORM.data4:
        return this.#raw(k, 4);
      case DW_FORM.data8:
        return this.#raw(k, 8);
      case DW_FORM.sec_offset:
        return this.#raw(k, this.info.unit.offsetSize);
      case DW_FORM.udata:
        return this.#uleb(k);
      case DW_FORM.sdata: {
        const data = this.reader.unitData(this.info.unit);
        const v = readSlebBig(data, this.#at(k));
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          this.#error(k, "value too large");
        }
        return Number(v);
      }
      case DW_FORM.implicit_const: {
        const t = this.info.abbrev;
        const v = t.implicitConst(t.attrStart[this.abbrev]! + k);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          this.#error(k, "value too large");
        }
        return Number(v);
      }
      default:
        return this.#error(k, `expected a constant, got ${dwName("DW_FORM", form)}`);
    }
  }

  /** A flag attribute: false if absent. */
  flag(at: number): boolean {
    const k = this.#find(at);
    if (k < 0) return false;
    const form = this.#form(k);
    switch (form) {
      case DW_FORM.flag_present:
        return true;
      case DW_FORM.flag:
        return this.#raw(k, 1) !== 0;
      case DW_FORM.implicit_const: {
        const t = this.info.abbrev;
        return t.implicitConst(t.attrStart[this.abbrev]! + k) !== 0n;
      }
      case DW_FORM.data1:
        return this.#raw(k, 1) !== 0;
      default:
        return this.#error(k, `expected a flag, got ${dwName("DW_FORM", form)}`);
    }
  }

  /** A string attribute, or null if absent. */
  string(at: number): string | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    const unit = this.info.unit;
    switch (form) {
      case DW_FORM.string:
        return cstringAt(this.reader.unitData(unit), this.#at(k), this.sectionName);
      case DW_FORM.strp:
        return this.reader.strp(this.#raw(k, unit.offsetSize));
      case DW_FORM.line_strp:
        return this.reader.lineStrp(this.#raw(k, unit.offsetSize));
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
        return this.reader.strx(this.info, this.#uleb(k));
      case DW_FORM.strx1:
        return this.reader.strx(this.info, this.#raw(k, 1));
      case DW_FORM.strx2:
        return this.reader.strx(this.info, this.#raw(k, 2));
      case DW_FORM.strx3:
        return this.reader.strx(this.info, this.#raw(k, 3));
      case DW_FORM.strx4:
        return this.reader.strx(this.info, this.#raw(k, 4));
      case DW_FORM.GNU_strp_alt:
      case DW_FORM.strp_sup:
        return this.#error(k, "strings in a supplementary file are not supported");
      default:
        return this.#error(k, `expected a string, got ${dwName("DW_FORM", form)}`);
    }
  }

  /**
   * A reference attribute as a {@link DieRef}. `DW_FORM_ref_sig8` resolves to
   * the type DIE of the type unit with that signature. Null if absent.
   */
  ref(at: number): DieRef | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    const unit = this.info.unit;
    let off: number;
    switch (form) {
      case DW_FORM.ref1:
        off = unit.offset + this.#raw(k, 1);
        break;
      case DW_FORM.ref2:
        off = unit.offset + this.#raw(k, 2);
        break;
      case DW_FORM.ref4:
        off = unit.offset + this.#raw(k, 4);
        break;
      case DW_FORM.ref8:
        off = unit.offset + this.#raw(k, 8);
        break;
      case DW_FORM.ref_udata:
        off = unit.offset + this.#uleb(k);
        break;
      case DW_FORM.ref_addr: {
        off = this.#raw(k, unit.version <= 2 ? unit.addressSize : unit.offsetSize);
        if (off >= this.reader.sections.info.length) this.#error(k, "reference out of bounds");
        return off;
      }
      case DW_FORM.ref_sig8: {
        const sig = this.#rawBig(k, 8);
        const tu = this.reader.typeUnit(sig);
        if (tu === undefined) {
          return this.#error(k, `no type unit with signature 0x${sig.toString(16)}`);
        }
        return this.reader.refOf(tu, tu.typeOffset);
      }
      case DW_FORM.GNU_ref_alt:
      case DW_FORM.ref_sup4:
      case DW_FORM.ref_sup8:
        return this.#error(k, "references to a supplementary file are not supported");
      default:
        return this.#error(k, `expected a reference, got ${dwName("DW_FORM", form)}`);
    }
    if (off < unit.dieOffset || off >= unit.end) this.#error(k, "reference outside the unit");
    return this.reader.refOf(unit, off);
  }

  /** A block or exprloc attribute as a view of the section bytes, or null if absent. */
  block(at: number): Uint8Array | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    const data = this.reader.unitData(this.info.unit);
    let p = this.#at(k);
    let n: number;
    switch (form) {
      case DW_FORM.block1:
        n = this.#raw(k, 1);
        p += 1;
        break;
      case DW_FORM.block2:
        n = this.#raw(k, 2);
        p += 2;
        break;
      case DW_FORM.block4:
        n = this.#raw(k, 4);
        p += 4;
        break;
      case DW_FORM.block:
      case DW_FORM.exprloc: {
        const r = readUleb(data, p, this.info.unit.end, this.sectionName);
        n = r.value;
        p = r.next;
        break;
      }
      case DW_FORM.data16:
        n = 16;
        break;
      default:
        return this.#error(k, `expected a block, got ${dwName("DW_FORM", form)}`);
    }
    if (p + n > this.info.unit.end) this.#error(k, "block runs past the end of the unit");
    return data.subarray(p, p + n);
  }

  /** An address attribute (`addr`, `addrx*`), or null if absent. */
  address(at: number): bigint | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    switch (form) {
      case DW_FORM.addr:
        return this.#rawBig(k, this.info.unit.addressSize);
      case DW_FORM.addrx:
      case DW_FORM.GNU_addr_index:
        return this.reader.addrx(this.info, this.#uleb(k));
      case DW_FORM.addrx1:
        return this.reader.addrx(this.info, this.#raw(k, 1));
      case DW_FORM.addrx2:
        return this.reader.addrx(this.info, this.#raw(k, 2));
      case DW_FORM.addrx3:
        return this.reader.addrx(this.info, this.#raw(k, 3));
      case DW_FORM.addrx4:
        return this.reader.addrx(this.info, this.#raw(k, 4));
      default:
        return this.#error(k, `expected an address, got ${dwName("DW_FORM", form)}`);
    }
  }

  /**
   * A section-offset attribute (`sec_offset`; `data4`/`data8` in DWARF 2–3;
   * `loclistx`/`rnglistx` resolved through the unit's list bases), or null.
   */
  secOffset(at: number): number | null {
    const k = this.#find(at);
    if (k < 0) return null;
    const form = this.#form(k);
    const unit = this.info.unit;
    switch (form) {
      case DW_FORM.sec_offset:
        return this.#raw(k, unit.offsetSize);
      case DW_FORM.data4:
        return this.#raw(k, 4);
      case DW_FORM.data8:
        return this.#raw(k, 8);
      case DW_FORM.rnglistx:
      case DW_FORM.loclistx: {
        const isRng = form === DW_FORM.rnglistx;
        const sec = isRng ? this.reader.sections.rnglists : this.reader.sections.loclists;
        const name = isRng ? ".debug_rnglists" : ".debug_loclists";
        const base = isRng ? this.info.rnglistsBase : this.info.loclistsBase;
        const index = this.#uleb(k);
        const size = unit.offsetSize;
        const p = base + index * size;
        if (sec === undefined || p + size > sec.length) {
          throw new DecodeError(name, p, `list index ${index} out of bounds`);
        }
        ensureSection(sec, p, p + size);
        return base + readOffset(viewOf(sec), p, size, this.reader.littleEndian, name);
      }
      default:
        return this.#error(k, `expected a section offset, got ${dwName("DW_FORM", form)}`);
    }
  }

  /** `DW_AT_name`, or null. */
  get name(): string | null {
    return this.string(DW_AT.name);
  }

  /** For messages: `DW_TAG_member at .debug_info+0x1234`. */
  toString(): string {
    return `${dwName("DW_TAG", this.tag)} at ${this.sectionName}+0x${this.offset.toString(16)}`;
  }
}

/** Whether `tag` is the root of a unit. */
export function isUnitTag(tag: number): boolean {
  return tag === DW_TAG.compile_unit || tag === DW_TAG.partial_unit ||
    tag === DW_TAG.type_unit || tag === DW_TAG.skeleton_unit;
}

function viewOf(d: Uint8Array): DataView {
  return new DataView(d.buffer, d.byteOffset, d.byteLength);
}

function readOffset(v: DataView, at: number, size: number, le: boolean, section: string): number {
  if (size === 4) return v.getUint32(at, le);
  const lo = v.getUint32(at + (le ? 0 : 4), le);
  const hi = v.getUint32(at + (le ? 4 : 0), le);
  if (hi > 0x1fffff) throw new DecodeError(section, at, "64-bit offset too large");
  return hi * 0x100000000 + lo;
}

/** Reads an unsigned LEB128 bounded by `end`; throws a {@link DecodeError} if unterminated. */
export function readUleb(
  d: Uint8Array,
  pos: number,
  end: number,
  section: string,
): { value: number; next: number } {
  let value = 0;
  let mul = 1;
  const start = pos;
  for (;;) {
    if (pos >= end) throw new DecodeError(section, start, "unterminated LEB128");
    const b = d[pos++]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
    if (mul > 2 ** 63) throw new DecodeError(section, start, "LEB128 value too large");
  }
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new DecodeError(section, start, "LEB128 value too large");
  }
  return { value, next: pos };
}

function readUlebBig(d: Uint8Array, pos: number): bigint {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = d[pos++] ?? 0;
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) break;
  }
  return BigInt.asUintN(64, v);
}

function readSlebBig(d: Uint8Array, pos: number): bigint {
  let v = 0n;
  let shift = 0n;
  let b: number;
  do {
    b = d[pos++] ?? 0;
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (b & 0x40) v -= 1n << shift;
  return BigInt.asIntN(64, v);
}
