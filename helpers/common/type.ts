/**
 * Types, as drgn's `drgn.helpers.common.type`.
 *
 * @module
 */

import { type Type, underlyingType } from "../../lib/types/type.ts";

/**
 * An enumerated type as a frozen object from enumerator name to value, the
 * counterpart of drgn's `enum_type_to_class()` (which makes a Python
 * `IntEnum`): `name` is its `name` property (not enumerable), values are
 * numbers when they fit in one exactly, else bigints.
 *
 * @param type the enumerated type
 * @param name the name the object reports
 * @param exclude enumerators to leave out
 * @param prefix stripped from the start of the enumerator names that have it
 * @throws TypeError if the type is not an enum or is incomplete
 *
 * @example
 * ```ts
 * import { enumTypeToClass } from "./type.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const State = enumTypeToClass(prog.type("enum pid_type"), "PidType", [], "PIDTYPE_");
 * if (State.PID !== 0 || State.TGID !== 1 || State.name !== "PidType") throw new Error();
 * ```
 */
export function enumTypeToClass(
  type: Type,
  name: string,
  exclude: Iterable<string> = [],
  prefix = "",
): Readonly<Record<string, number | bigint>> & { readonly name: string } {
  const t = underlyingType(type);
  if (t.kind !== "enum") throw new TypeError(`'${type.typeName()}' is not an enumerated type`);
  const enumerators = t.enumerators;
  if (enumerators === null) throw new TypeError("enum type is incomplete");
  const skip = new Set(exclude);
  const out: Record<string, number | bigint> = {};
  for (const e of enumerators) {
    if (skip.has(e.name)) continue;
    const key = prefix !== "" && e.name.startsWith(prefix) ? e.name.slice(prefix.length) : e.name;
    const n = Number(e.value);
    out[key] = BigInt(n) === e.value ? n : e.value;
  }
  Object.defineProperty(out, "name", { value: name, enumerable: false });
  return Object.freeze(out) as Readonly<Record<string, number | bigint>> & {
    readonly name: string;
  };
}
