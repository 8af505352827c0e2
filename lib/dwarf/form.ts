/**
 * Attribute form encodings: which forms have a fixed size in a given unit,
 * and how to step over the variable-sized ones (DWARF 5 §7.5.6).
 *
 * @module
 */

import { DW_FORM } from "./constants.ts";

/** Returned by {@link formFixedSize} for forms whose size is in the data. */
export const VARIABLE_SIZE = -1;
/** Returned by {@link formFixedSize} for forms this reader does not know. */
export const UNKNOWN_FORM = -2;

// Size classes: >= 0 fixed; the negative codes below.
const C_VARIABLE = -1;
const C_UNKNOWN = -2;
const C_ADDRESS = -5;
const C_OFFSET = -6;
const C_REF_ADDR = -7;

/** Size class of each standard form (index = form). */
const SIZE_CLASS: Int8Array = (() => {
  const t = new Int8Array(0x30).fill(C_UNKNOWN);
  const set = (forms: number[], c: number) => {
    for (const f of forms) t[f] = c;
  };
  set([DW_FORM.addr], C_ADDRESS);
  set([DW_FORM.data1, DW_FORM.ref1, DW_FORM.flag, DW_FORM.strx1, DW_FORM.addrx1], 1);
  set([DW_FORM.data2, DW_FORM.ref2, DW_FORM.strx2, DW_FORM.addrx2], 2);
  set([DW_FORM.strx3, DW_FORM.addrx3], 3);
  set([DW_FORM.data4, DW_FORM.ref4, DW_FORM.ref_sup4, DW_FORM.strx4, DW_FORM.addrx4], 4);
  set([DW_FORM.data8, DW_FORM.ref8, DW_FORM.ref_sig8, DW_FORM.ref_sup8], 8);
  set([DW_FORM.data16], 16);
  set([DW_FORM.flag_present, DW_FORM.implicit_const], 0);
  set([DW_FORM.strp, DW_FORM.line_strp, DW_FORM.sec_offset, DW_FORM.strp_sup], C_OFFSET);
  set([DW_FORM.ref_addr], C_REF_ADDR);
  set([
    DW_FORM.block1,
    DW_FORM.block2,
    DW_FORM.block4,
    DW_FORM.block,
    DW_FORM.exprloc,
    DW_FORM.string,
    DW_FORM.sdata,
    DW_FORM.udata,
    DW_FORM.ref_udata,
    DW_FORM.strx,
    DW_FORM.addrx,
    DW_FORM.loclistx,
    DW_FORM.rnglistx,
    DW_FORM.indirect,
  ], C_VARIABLE);
  return t;
})();

/**
 * The size in bytes of a value of `form` in a unit with the given address
 * size, offset size (4 or 8) and version, or {@link VARIABLE_SIZE} for LEB128,
 * string, block and indirect forms, or {@link UNKNOWN_FORM}.
 */
export function formFixedSize(
  form: number,
  addressSize: number,
  offsetSize: number,
  version: number,
): number {
  let c: number;
  if (form < 0x30) c = SIZE_CLASS[form]!;
  else if (form === DW_FORM.GNU_addr_index || form === DW_FORM.GNU_str_index) c = C_VARIABLE;
  else if (form === DW_FORM.GNU_ref_alt || form === DW_FORM.GNU_strp_alt) c = C_OFFSET;
  else c = C_UNKNOWN;
  if (c >= C_VARIABLE) return c;
  switch (c) {
    case C_ADDRESS:
      return addressSize;
    case C_OFFSET:
      return offsetSize;
    case C_REF_ADDR:
      // DWARF 2 sized DW_FORM_ref_addr like an address (§7.5.4 of DWARF 3).
      return version <= 2 ? addressSize : offsetSize;
    default:
      return UNKNOWN_FORM;
  }
}

/**
 * Steps over a variable-sized value of `form` starting at `pos` in `d` and
 * returns the position after it. Returns a position past `d.length` when the
 * data is truncated (callers compare with their end). `indirect` is not
 * handled here (the caller reads the real form first). Little- or big-endian
 * matters only for block2/block4 lengths.
 */
export function skipVariableForm(d: Uint8Array, pos: number, form: number, le: boolean): number {
  switch (form) {
    case DW_FORM.string: {
      // Inline strings are short (compilers put long ones in .debug_str): a
      // plain loop beats the indexOf builtin call.
      const n = d.length;
      while (pos < n && d[pos] !== 0) pos++;
      return pos < n ? pos + 1 : n + 1;
    }
    case DW_FORM.block1:
      return pos + 1 + (d[pos] ?? 0);
    case DW_FORM.block2: {
      if (pos + 2 > d.length) return d.length + 1;
      const n = le ? d[pos]! | (d[pos + 1]! << 8) : (d[pos]! << 8) | d[pos + 1]!;
      return pos + 2 + n;
    }
    case DW_FORM.block4: {
      if (pos + 4 > d.length) return d.length + 1;
      const n = le
        ? (d[pos]! | (d[pos + 1]! << 8) | (d[pos + 2]! << 16) | (d[pos + 3]! << 24)) >>> 0
        : ((d[pos]! << 24) | (d[pos + 1]! << 16) | (d[pos + 2]! << 8) | d[pos + 3]!) >>> 0;
      return pos + 4 + n;
    }
    case DW_FORM.block:
    case DW_FORM.exprloc: {
      let n = 0;
      let mul = 1;
      let b: number;
      do {
        b = d[pos++] ?? 0;
        n += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80 && pos < d.length);
      return pos + n;
    }
    default: {
      // LEB128 forms.
      while (pos < d.length && (d[pos]! & 0x80) !== 0) pos++;
      return pos + 1;
    }
  }
}
