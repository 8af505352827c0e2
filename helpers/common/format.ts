/**
 * Formatting helpers usable with any program (drgn's
 * `drgn.helpers.common.format`): escaping bytes as C-style ASCII and
 * decoding bit masks into flag names.
 *
 * @module
 */

import type { Type } from "../../lib/types/type.ts";

/** Options for {@link escapeAsciiCharacter} and {@link escapeAsciiString}. */
export interface EscapeOptions {
  /** Escape `'` as `\'`. */
  escapeSingleQuote?: boolean;
  /** Escape `"` as `\"`. */
  escapeDoubleQuote?: boolean;
  /** Escape `\` as `\\`. */
  escapeBackslash?: boolean;
}

const NAMED_ESCAPES: Record<number, string> = {
  0: "\\0",
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
};

/**
 * Formats one byte as an ASCII character, escaping it when it is not
 * printable: `\0 \a \b \t \n \v \f \r` by name, other non-printable bytes as
 * `\xNN`. Quotes and backslashes are escaped only when asked.
 *
 * @param c The byte value (0–255).
 * @param options Which printable characters to escape too.
 * @returns The character or its escape sequence.
 *
 * @example
 * ```ts
 * import { escapeAsciiCharacter } from "./format.ts";
 * console.assert(escapeAsciiCharacter(0x7f) === "\\x7f");
 * console.assert(escapeAsciiCharacter(10) === "\\n");
 * console.assert(escapeAsciiCharacter(39, { escapeSingleQuote: true }) === "\\'");
 * ```
 */
export function escapeAsciiCharacter(c: number, options: EscapeOptions = {}): string {
  const named = NAMED_ESCAPES[c];
  if (named !== undefined) return named;
  if (options.escapeDoubleQuote && c === 34) return '\\"';
  if (options.escapeSingleQuote && c === 39) return "\\'";
  if (options.escapeBackslash && c === 92) return "\\\\";
  if (c >= 32 && c <= 126) return String.fromCharCode(c);
  return "\\x" + c.toString(16).padStart(2, "0");
}

/**
 * Escapes a byte string with {@link escapeAsciiCharacter}. A JavaScript
 * string is encoded as UTF-8 first, so non-ASCII characters come out as
 * `\xNN` sequences, as drgn prints `bytes`.
 *
 * @param buffer The bytes (or a string, taken as its UTF-8 encoding).
 * @param options Which printable characters to escape too.
 * @returns The escaped text.
 *
 * @example
 * ```ts
 * import { escapeAsciiString } from "./format.ts";
 * console.assert(escapeAsciiString("a\tb\\", { escapeBackslash: true }) === "a\\tb\\\\");
 * console.assert(escapeAsciiString(new Uint8Array([0xff, 0x41])) === "\\xffA");
 * ```
 */
export function escapeAsciiString(
  buffer: Uint8Array | Iterable<number> | string,
  options: EscapeOptions = {},
): string {
  const bytes = typeof buffer === "string" ? new TextEncoder().encode(buffer) : buffer;
  let out = "";
  for (const c of bytes) out += escapeAsciiCharacter(c, options);
  return out;
}

function toBigInt(value: bigint | number | { value_(): unknown }): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new TypeError(`${value} is not an integer`);
    return BigInt(value);
  }
  const v = value.value_();
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "boolean") return v ? 1n : 0n;
  throw new TypeError("flag value must be an integer");
}

function hexSigned(v: bigint): string {
  return v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16);
}

/**
 * Names the flags set in a bit mask: the names of the set flags joined with
 * `|`, then any bits no flag names as hex; `"0"` for zero. A bit with several
 * names lists them all.
 *
 * @param value The bit mask (an integer object, number or bigint).
 * @param flags `[name, bit number]` pairs, or `[name, value]` pairs when
 *   `bitNumbers` is false.
 * @param bitNumbers Whether `flags` gives bit numbers (0 = least significant
 *   bit) rather than values.
 * @returns The decoded flags, as drgn's `decode_flags()`.
 *
 * @example
 * ```ts
 * import { decodeFlags } from "./format.ts";
 * const flags: [string, number][] = [["BOLD", 0], ["ITALIC", 1], ["UNDERLINE", 2]];
 * console.assert(decodeFlags(5, flags) === "BOLD|UNDERLINE");
 * console.assert(decodeFlags(27, flags) === "BOLD|ITALIC|0x18");
 * console.assert(decodeFlags(0, flags) === "0");
 * console.assert(decodeFlags(2, [["BOLD", 1], ["ITALIC", 2]], false) === "ITALIC");
 * ```
 */
export function decodeFlags(
  value: bigint | number | { value_(): unknown },
  flags: Iterable<readonly [string, bigint | number]>,
  bitNumbers = true,
): string {
  const v = toBigInt(value);
  if (v === 0n) return "0";
  const parts: string[] = [];
  let mask = 0n;
  for (const [name, f] of flags) {
    let flag = BigInt(f);
    if (bitNumbers) {
      // Python's 1 << n: a negative bit number is an error there.
      if (flag < 0n) throw new RangeError(`negative bit number ${flag} for flag ${name}`);
      flag = 1n << flag;
    }
    if ((v & flag) !== 0n) {
      parts.push(name);
      mask |= flag;
    }
  }
  const rest = v & ~mask;
  if (rest !== 0n) parts.push(hexSigned(rest));
  return parts.join("|");
}

/**
 * {@link decodeFlags} with the flags given by an enumerated type: each
 * enumerator's value is a bit number (or, with `bitNumbers` false, a flag
 * value).
 *
 * @param value The bit mask.
 * @param type An `enum` type (`prog.type("enum pageflags")`).
 * @param bitNumbers Whether the enumerator values are bit numbers.
 * @returns The decoded flags, as drgn's `decode_enum_type_flags()`.
 * @throws {TypeError} If `type` is not an enum or is incomplete (drgn
 *   raises `ValueError` for an incomplete one).
 *
 * @example
 * ```ts
 * import { decodeEnumTypeFlags } from "./format.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const flags = decodeEnumTypeFlags(0x10201, prog.type("enum pageflags"));
 * if (flags !== "PG_locked|PG_slab|PG_head") throw new Error(flags);
 * ```
 */
export function decodeEnumTypeFlags(
  value: bigint | number | { value_(): unknown },
  type: Type,
  bitNumbers = true,
): string {
  if (type.kind !== "enum") throw new TypeError("type must be an enumerated type");
  const enumerators = type.enumerators;
  if (enumerators === null) throw new TypeError("cannot decode incomplete enumerated type");
  return decodeFlags(
    value,
    enumerators.map((e) => [e.name, e.value] as const),
    bitNumbers,
  );
}
