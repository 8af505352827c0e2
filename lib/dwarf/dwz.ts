/**
 * DWZ supplementary files (`dwz -m`): a debug file whose `.gnu_debugaltlink`
 * names a second file holding the DIEs and strings several files share
 * (partial units). The main file refers to them with
 * `DW_FORM_GNU_ref_alt` (an offset in the supplementary `.debug_info`) and
 * `DW_FORM_GNU_strp_alt` (an offset in its `.debug_str`).
 *
 * {@link mergeSupplementary} makes one self-contained set of sections of
 * the two, so that every reader (DIEs, the name index, its cache) sees
 * plain DWARF: the supplementary file's `.debug_info`, `.debug_abbrev`,
 * `.debug_str`, `.debug_line_str` and `.debug_line` are appended to the
 * main file's; the main file's alternate forms become `DW_FORM_ref_addr`
 * and `DW_FORM_strp` (their codes rewritten in place in the copied
 * abbreviation tables, as two-byte LEB128, the length the GNU codes take),
 * and every value that points into an appended section is moved by that
 * section's new base (the supplementary units' `DW_FORM_ref_addr`,
 * `DW_FORM_strp`, `DW_FORM_line_strp`, `DW_AT_stmt_list` and abbreviation
 * offsets). Only copies are written: the files are not touched.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import { DW_AT, DW_FORM } from "./constants.ts";
import { readUleb } from "./die.ts";
import { formFixedSize, VARIABLE_SIZE } from "./form.ts";
import { type DwarfSections, ensureSection } from "./sections.ts";
import { parseUnitHeaders } from "./unit.ts";

interface Spec {
  attr: number;
  form: number;
  /** Offset of the form's LEB128 in `.debug_abbrev`. */
  formAt: number;
}

interface Decl {
  children: boolean;
  specs: Spec[];
}

/** `readUleb` as `[value, next position]`, bounded by the end of `d`. */
function uleb(d: Uint8Array, p: number, what: string): [number, number] {
  const r = readUleb(d, p, d.length, what);
  return [r.value, r.next];
}

function parseTable(abbrev: Uint8Array, offset: number): Map<number, Decl> {
  const what = ".debug_abbrev";
  const table = new Map<number, Decl>();
  let p = offset;
  for (;;) {
    let code: number, tag: number;
    [code, p] = uleb(abbrev, p, what);
    if (code === 0) return table;
    [tag, p] = uleb(abbrev, p, what);
    if (tag === 0 || p >= abbrev.length) throw new DecodeError(what, p, "bad abbreviation");
    const children = abbrev[p++] === 1;
    const specs: Spec[] = [];
    for (;;) {
      let attr: number, form: number;
      [attr, p] = uleb(abbrev, p, what);
      const formAt = p;
      [form, p] = uleb(abbrev, p, what);
      if (attr === 0 && form === 0) break;
      if (form === DW_FORM.implicit_const) {
        do {
          if (p >= abbrev.length) throw new DecodeError(what, p, "truncated LEB128");
        } while (abbrev[p++]! & 0x80);
      }
      specs.push({ attr, form, formAt });
    }
    table.set(code, { children, specs });
  }
}

/**
 * `a` followed by `b`, in a new buffer (`a` itself when `b` is empty and
 * `copy` is not asked for: the sections written to must be copies, never
 * a file's map).
 */
function concat(
  a: Uint8Array | undefined,
  b: Uint8Array | undefined,
  copy = false,
): Uint8Array | undefined {
  if (!copy && (b === undefined || b.length === 0)) return a;
  b ??= new Uint8Array(0);
  const la = a?.length ?? 0;
  const out = new Uint8Array(la + b.length);
  if (a !== undefined) {
    ensureSection(a, 0, la);
    out.set(a, 0);
  }
  ensureSection(b, 0, b.length);
  out.set(b, la);
  return out;
}

/** What to add to the values of each kind in one file's units. */
interface Shift {
  /** Values of `DW_FORM_ref_addr` (the supplementary file's), or of `GNU_ref_alt`. */
  ref: number;
  /** `DW_FORM_strp` or `GNU_strp_alt` values. */
  str: number;
  lineStr: number;
  /** `DW_AT_stmt_list` values. */
  line: number;
}

/**
 * The sections of `main` with those of its supplementary file `alt`
 * merged in (see the module doc). Throws a {@link DecodeError} for DWARF
 * that cannot be walked (an unknown form, a truncated DIE).
 */
export function mergeSupplementary(
  main: DwarfSections,
  alt: DwarfSections,
  littleEndian: boolean,
): DwarfSections {
  ensureSection(main.info, 0, main.info.length);
  const base: Shift = {
    ref: main.info.length,
    str: main.str?.length ?? 0,
    lineStr: main.lineStr?.length ?? 0,
    line: main.line?.length ?? 0,
  };
  const abbrevBase = main.abbrev.length;
  const out: DwarfSections = {
    ...main,
    info: concat(main.info, alt.info, true)!,
    abbrev: concat(main.abbrev, alt.abbrev, true)!,
  };
  const str = concat(main.str, alt.str);
  if (str !== undefined) out.str = str;
  const lineStr = concat(main.lineStr, alt.lineStr);
  if (lineStr !== undefined) out.lineStr = lineStr;
  const line = concat(main.line, alt.line);
  if (line !== undefined) out.line = line;
  const info = out.info;
  const view = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const add = (at: number, size: number, delta: number) => {
    if (delta === 0) return;
    if (size === 4) view.setUint32(at, view.getUint32(at, littleEndian) + delta, littleEndian);
    else view.setBigUint64(at, view.getBigUint64(at, littleEndian) + BigInt(delta), littleEndian);
  };
  // The supplementary units' abbreviation offsets.
  const altUnits = parseUnitHeaders(alt.info, "info", littleEndian);
  for (const u of altUnits) {
    const at = base.ref + u.offset + (u.is64 ? 12 : 4) + 2 + (u.version >= 5 ? 2 : 0);
    add(at, u.offsetSize, abbrevBase);
  }
  // The main file's alternate forms become standard ones.
  const mainUnits = parseUnitHeaders(main.info, "info", littleEndian);
  const abbrev = out.abbrev;
  const tables = new Map<number, Map<number, Decl>>();
  const tableAt = (offset: number) => {
    let t = tables.get(offset);
    if (t === undefined) {
      t = parseTable(abbrev, offset);
      tables.set(offset, t);
    }
    return t;
  };
  const rewritten = new Set<number>();
  for (const u of mainUnits) {
    for (const decl of tableAt(u.abbrevOffset).values()) {
      for (const s of decl.specs) {
        const to = s.form === DW_FORM.GNU_ref_alt
          ? DW_FORM.ref_addr
          : s.form === DW_FORM.GNU_strp_alt
          ? DW_FORM.strp
          : 0;
        if (to === 0 || rewritten.has(s.formAt)) continue;
        abbrev[s.formAt] = 0x80 | to;
        abbrev[s.formAt + 1] = 0;
        rewritten.add(s.formAt);
      }
    }
  }
  const mainShift: Shift = { ref: 0, str: 0, lineStr: 0, line: 0 };
  for (const u of mainUnits) walk(u, 0, u.abbrevOffset, mainShift, true);
  for (const u of altUnits) walk(u, base.ref, abbrevBase + u.abbrevOffset, base, false);
  return out;

  /**
   * Moves the values of one unit (at `at` in the merged `.debug_info`):
   * in the main file, the alternate forms' (by `base`); in the
   * supplementary file, its own references and string offsets.
   */
  function walk(
    u: ReturnType<typeof parseUnitHeaders>[number],
    at: number,
    abbrevOffset: number,
    shift: Shift,
    isMain: boolean,
  ): void {
    const what = ".debug_info";
    const table = tableAt(abbrevOffset);
    const end = at + u.end;
    let p = at + u.dieOffset;
    while (p < end) {
      let code: number;
      [code, p] = uleb(info, p, what);
      if (code === 0) continue;
      const decl = table.get(code);
      if (decl === undefined) throw new DecodeError(what, p, `unknown abbreviation code ${code}`);
      for (const s of decl.specs) {
        if (isMain && (s.form === DW_FORM.GNU_ref_alt || s.form === DW_FORM.GNU_strp_alt)) {
          // Now DW_FORM_ref_addr / DW_FORM_strp into the appended sections.
          add(p, u.offsetSize, s.form === DW_FORM.GNU_ref_alt ? base.ref : base.str);
          p += u.offsetSize;
          continue;
        }
        let form = s.form;
        if (form === DW_FORM.indirect) [form, p] = uleb(info, p, what);
        let size = formFixedSize(form, u.addressSize, u.offsetSize, u.version);
        if (!isMain) {
          if (form === DW_FORM.ref_addr) add(p, size, shift.ref);
          else if (form === DW_FORM.strp) add(p, size, shift.str);
          else if (form === DW_FORM.line_strp) add(p, size, shift.lineStr);
          else if (
            s.attr === DW_AT.stmt_list && (form === DW_FORM.sec_offset || form === DW_FORM.data4)
          ) {
            add(p, size, shift.line);
          }
        }
        if (size === VARIABLE_SIZE) size = variableSize(form, p) - p;
        else if (size < 0) {
          throw new DecodeError(what, p, `unknown form 0x${form.toString(16)}`);
        }
        p += size;
      }
    }
  }

  /** The position just past a variable-sized value of `form` at `p`. */
  function variableSize(form: number, p: number): number {
    const what = ".debug_info";
    switch (form) {
      case DW_FORM.block1:
        return p + 1 + info[p]!;
      case DW_FORM.block2:
        return p + 2 + view.getUint16(p, littleEndian);
      case DW_FORM.block4:
        return p + 4 + view.getUint32(p, littleEndian);
      case DW_FORM.block:
      case DW_FORM.exprloc: {
        const [n, q] = uleb(info, p, what);
        return q + n;
      }
      case DW_FORM.string: {
        const z = info.indexOf(0, p);
        if (z < 0) throw new DecodeError(what, p, "unterminated string");
        return z + 1;
      }
      default:
        // LEB128 values (sdata, udata, ref_udata, strx, addrx, …).
        while (info[p++]! & 0x80) {
          if (p >= info.length) throw new DecodeError(what, p, "truncated LEB128");
        }
        return p;
    }
  }
}
