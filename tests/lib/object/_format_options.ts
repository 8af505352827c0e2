/** Test helper: drgn's `format_()` keyword arguments as Wyvern options. */

import type { FormatOptions } from "../../../lib/object/typed_object.ts";

/** `{member_type_names: false}` → `{memberTypeNames: false}`. */
export function camelOptions(o: Record<string, unknown>): FormatOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  return out as FormatOptions;
}

/** drgn_ref.py's twelve option sets (the user fixture references' `formats`). */
export const REF_FORMATS: Record<string, Record<string, unknown>> = {
  no_type_names: { type_name: false, member_type_names: false, element_type_names: false },
  element_type_names: { element_type_names: true },
  members_same_line: { members_same_line: true },
  columns_40: { columns: 40 },
  elements_one_per_line: { elements_same_line: false },
  no_member_names: { member_names: false },
  element_indices: { element_indices: true },
  implicit: { implicit_members: false, implicit_elements: true },
  char: { char: true },
  no_string: { string: false },
  no_dereference: { dereference: false },
  no_symbolize: { symbolize: false },
};
