/**
 * The leaves of C object formatting: character and string literals with C
 * escapes, and floating-point numbers printed exactly as drgn 0.0.22 prints
 * them (glibc's `%.1f` for integral values, `%.17g` otherwise, ties to even).
 *
 * drgn reads every float as a `double`. `long double` (x87 80-bit or IEEE
 * binary128) is printed by the same rule with the format's own precision:
 * `%.1Lf` when integral, else `%.21Lg` (x87) or `%.36Lg` (binary128), the
 * digits C's `LDBL_DECIMAL_DIG` asks for. drgn 0.0.22 raises
 * `NotImplementedError` for those.
 *
 * @module
 */

// ---------------------------------------------------------------------------
// Characters and strings

/** `c_format_character` escapes for one byte, by context. */
function escapeTable(escapeSingle: boolean, escapeDouble: boolean): readonly string[] {
  const t: string[] = [];
  for (let c = 0; c < 256; c++) {
    let s: string;
    switch (c) {
      case 0:
        s = "\\0";
        break;
      case 7:
        s = "\\a";
        break;
      case 8:
        s = "\\b";
        break;
      case 9:
        s = "\\t";
        break;
      case 10:
        s = "\\n";
        break;
      case 11:
        s = "\\v";
        break;
      case 12:
        s = "\\f";
        break;
      case 13:
        s = "\\r";
        break;
      case 0x22:
        s = escapeDouble ? '\\"' : '"';
        break;
      case 0x27:
        s = escapeSingle ? "\\'" : "'";
        break;
      case 0x5c:
        s = "\\\\";
        break;
      default:
        s = c <= 0x1f || c >= 0x7f
          ? "\\x" + c.toString(16).padStart(2, "0")
          : String.fromCharCode(c);
    }
    t.push(s);
  }
  return t;
}

/** Escapes inside a string literal (`"` escaped, `'` not). */
const STRING_ESCAPES = escapeTable(false, true);
/** Escapes inside a character literal (`'` escaped, `"` not). */
const CHAR_ESCAPES = escapeTable(true, false);

/**
 * A C character literal for the low byte of `c`, as drgn prints `char`
 * objects with `char=True`: `'a'`, `'\n'`, `'\''`, `'\xfb'`.
 *
 * @example
 * ```ts
 * import { formatCharLiteral } from "./format_value.ts";
 * formatCharLiteral(0x27); // "'\\''"
 * ```
 */
export function formatCharLiteral(c: number): string {
  return "'" + CHAR_ESCAPES[c & 0xff]! + "'";
}

/**
 * The bytes `bytes[start…end)` with C escapes, as drgn prints the inside of
 * a string literal: `\t`, `\n`, `\"`, `\\`, `\xNN` for other bytes below
 * 0x20 and from 0x7f.
 */
export function escapeStringBytes(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  let run = start;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
      if (run < i) s += asciiRun(bytes, run, i);
      s += STRING_ESCAPES[c]!;
      run = i + 1;
    }
  }
  if (run < end) s += asciiRun(bytes, run, end);
  return s;
}

function asciiRun(bytes: Uint8Array, start: number, end: number): string {
  if (end - start === 1) return String.fromCharCode(bytes[start]!);
  let s = "";
  // fromCharCode.apply takes at most a few thousand arguments at once.
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return s;
}

const CHAR_NAMES: ReadonlyMap<string, boolean | null> = new Map<string, boolean | null>([
  ["char", null],
  ["signed char", true],
  ["char signed", true],
  ["unsigned char", false],
  ["char unsigned", false],
]);

/**
 * Whether a type is one of C's character types (`char`, `signed char`,
 * `unsigned char`), drgn's `is_character_type`: the type itself must be
 * that integer type (a typedef such as `uint8_t` is not), its signedness
 * must agree with the spelling, and qualifiers do not matter.
 */
export function isCharacterType(kind: string, name: string | null, isSigned: boolean): boolean {
  if (kind !== "int" || name === null) return false;
  const s = CHAR_NAMES.get(name);
  return s !== undefined && (s === null || s === isSigned);
}

// ---------------------------------------------------------------------------
// Floating point

/** Significant digits printed for a non-integral double (`DBL_DECIMAL_DIG`). */
const DOUBLE_DIGITS = 17;
/** `LDBL_DECIMAL_DIG` of the x87 80-bit format (64-bit significand). */
export const X87_DIGITS = 21;
/** `LDBL_DECIMAL_DIG` of IEEE binary128 (113-bit significand). */
export const BINARY128_DIGITS = 36;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/**
 * A double as drgn prints it: `%.1f` when the value is integral (`1.0`,
 * `-0.0`, `inf`, all digits of `1e300`), `%.17g` otherwise (`0.1` is
 * `0.10000000000000001`, `nan`). `negativeNaN` prints a NaN whose sign bit
 * is set as glibc does, `-nan`.
 *
 * @example
 * ```ts
 * import { formatDouble } from "./format_value.ts";
 * formatDouble(2.5); // "2.5"
 * formatDouble(0.1); // "0.10000000000000001"
 * formatDouble(3); // "3.0"
 * ```
 */
export function formatDouble(x: number, negativeNaN = false): string {
  if (x !== x) return negativeNaN ? "-nan" : "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Number.isInteger(x)) {
    if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
    // Below 2^53 the shortest representation is all the digits.
    if (x < 9007199254740992 && x > -9007199254740992) return String(x) + ".0";
    return BigInt(x).toString() + ".0";
  }
  // toExponential rounds ties away from zero, glibc to even: they differ
  // only when the exact value has 18 significant digits ending in 5.
  const e17 = x.toExponential(DOUBLE_DIGITS);
  const mark = e17.indexOf("e");
  if (e17.charCodeAt(mark - 1) === 0x35 /* 5 */) {
    f64[0] = x;
    const bits = u64[0]!;
    const exp = Number((bits >> 52n) & 0x7ffn);
    const frac = bits & 0xfffffffffffffn;
    const mant = exp === 0 ? frac : frac | 0x10000000000000n;
    return formatExactG(x < 0, mant, (exp === 0 ? 1 : exp) - 1075, DOUBLE_DIGITS);
  }
  const e16 = x.toExponential(DOUBLE_DIGITS - 1);
  const at = e16.indexOf("e");
  const neg = e16.charCodeAt(0) === 0x2d;
  const digits = e16.slice(neg ? 1 : 0, at).replace(".", "");
  return layoutG(neg, digits, Number(e16.slice(at + 1)), DOUBLE_DIGITS);
}

/**
 * Lays out `digits` (exactly `precision` significant digits, the first
 * nonzero) times 10^`exp10` as `%g` does: fixed notation when
 * `-4 <= exp10 < precision`, else `d.ddde±XX`, trailing zeros removed.
 */
function layoutG(neg: boolean, digits: string, exp10: number, precision: number): string {
  let s: string;
  if (exp10 < -4 || exp10 >= precision) {
    const frac = stripZeros(digits.slice(1));
    const e = Math.abs(exp10);
    s = digits[0]! + (frac ? "." + frac : "") + (exp10 < 0 ? "e-" : "e+") +
      (e < 10 ? "0" + e : String(e));
  } else if (exp10 >= 0) {
    const frac = stripZeros(digits.slice(exp10 + 1));
    s = digits.slice(0, exp10 + 1) + (frac ? "." + frac : "");
  } else {
    const frac = stripZeros("0".repeat(-exp10 - 1) + digits);
    s = "0" + (frac ? "." + frac : "");
  }
  return neg ? "-" + s : s;
}

function stripZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x30) end--;
  return s.slice(0, end);
}

/**
 * `mant × 2^exp` (finite, `mant > 0`) with `%.{precision}g`, rounded to
 * nearest with ties to even on the exact decimal expansion.
 */
export function formatExactG(neg: boolean, mant: bigint, exp: number, precision: number): string {
  // value = D × 10^k, D an integer.
  let d: string;
  let k: number;
  if (exp >= 0) {
    d = (mant << BigInt(exp)).toString();
    k = 0;
  } else {
    d = (mant * 5n ** BigInt(-exp)).toString();
    k = exp;
  }
  let exp10 = d.length - 1 + k;
  let digits: string;
  if (d.length <= precision) {
    digits = d + "0".repeat(precision - d.length);
  } else {
    const kept = d.slice(0, precision);
    const first = d.charCodeAt(precision);
    let up = first > 0x35;
    if (first === 0x35) {
      let rest = false;
      for (let i = precision + 1; i < d.length; i++) {
        if (d.charCodeAt(i) !== 0x30) {
          rest = true;
          break;
        }
      }
      up = rest || (kept.charCodeAt(precision - 1) & 1) === 1;
    }
    if (up) {
      const r = (BigInt(kept) + 1n).toString();
      if (r.length > precision) {
        digits = r.slice(0, precision);
        exp10++;
      } else {
        digits = r;
      }
    } else {
      digits = kept;
    }
  }
  return layoutG(neg, digits, exp10, precision);
}

/** `mant × 2^exp` (finite) with `%.1f`: its integer value; only for integral values. */
function formatExactIntegral(neg: boolean, mant: bigint, exp: number): string {
  const v = exp >= 0 ? mant << BigInt(exp) : mant >> BigInt(-exp);
  return (neg ? "-" : "") + v.toString() + ".0";
}

/** drgn's rule for any binary float given as sign, significand and exponent (finite). */
function formatBinary(neg: boolean, mant: bigint, exp: number, precision: number): string {
  if (mant === 0n) return neg ? "-0.0" : "0.0";
  if (exp >= 0 || (mant & ((1n << BigInt(-exp)) - 1n)) === 0n) {
    return formatExactIntegral(neg, mant, exp);
  }
  return formatExactG(neg, mant, exp, precision);
}

/** How the bytes of a float of each size are laid out. */
export type FloatFormat = "binary16" | "binary32" | "binary64" | "x87" | "binary128";

/**
 * The layout of a `size`-byte float: 2, 4 and 8 bytes are IEEE formats;
 * 10 and 12 bytes are x87 extended; 16 bytes is x87 extended (padded) on
 * x86 and IEEE binary128 elsewhere.
 */
export function floatFormatOf(size: number, x86: boolean): FloatFormat | null {
  switch (size) {
    case 2:
      return "binary16";
    case 4:
      return "binary32";
    case 8:
      return "binary64";
    case 10:
    case 12:
      return "x87";
    case 16:
      return x86 ? "x87" : "binary128";
    default:
      return null;
  }
}

function le(bytes: Uint8Array, offset: number, n: number, littleEndian: boolean): bigint {
  let v = 0n;
  if (littleEndian) {
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  } else {
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  }
  return v;
}

/** The raw parts of a float: special values, or sign × mant × 2^exp. */
interface FloatParts {
  readonly neg: boolean;
  readonly special: "nan" | "inf" | null;
  readonly mant: bigint;
  readonly exp: number;
}

function ieeeParts(bits: bigint, expBits: number, fracBits: number): FloatParts {
  const neg = (bits >> BigInt(expBits + fracBits)) !== 0n;
  const expMax = (1 << expBits) - 1;
  const exp = Number((bits >> BigInt(fracBits)) & BigInt(expMax));
  const frac = bits & ((1n << BigInt(fracBits)) - 1n);
  const bias = (1 << (expBits - 1)) - 1;
  if (exp === expMax) return { neg, special: frac === 0n ? "inf" : "nan", mant: 0n, exp: 0 };
  const mant = exp === 0 ? frac : frac | (1n << BigInt(fracBits));
  return { neg, special: null, mant, exp: (exp === 0 ? 1 : exp) - bias - fracBits };
}

function floatParts(
  bytes: Uint8Array,
  offset: number,
  format: FloatFormat,
  littleEndian: boolean,
): FloatParts {
  switch (format) {
    case "binary16":
      return ieeeParts(le(bytes, offset, 2, littleEndian), 5, 10);
    case "binary32":
      return ieeeParts(le(bytes, offset, 4, littleEndian), 8, 23);
    case "binary64":
      return ieeeParts(le(bytes, offset, 8, littleEndian), 11, 52);
    case "binary128":
      return ieeeParts(le(bytes, offset, 16, littleEndian), 15, 112);
    case "x87": {
      // 64-bit significand with an explicit integer bit, then sign and a 15-bit exponent.
      const v = le(bytes, offset, 10, littleEndian);
      const mant = v & 0xffffffffffffffffn;
      const se = Number(v >> 64n);
      const neg = (se & 0x8000) !== 0;
      const exp = se & 0x7fff;
      if (exp === 0x7fff) {
        const frac = mant & 0x7fffffffffffffffn;
        return { neg, special: frac === 0n ? "inf" : "nan", mant: 0n, exp: 0 };
      }
      return { neg, special: null, mant, exp: (exp === 0 ? 1 : exp) - 16383 - 63 };
    }
  }
}

/**
 * Formats the float of `format` stored at `bytes[offset…]` as drgn does
 * (see {@link formatDouble}); formats wider than a double keep all their
 * precision (`%.21Lg` for x87, `%.36Lg` for binary128).
 */
export function formatFloatBytes(
  bytes: Uint8Array,
  offset: number,
  format: FloatFormat,
  littleEndian: boolean,
): string {
  const p = floatParts(bytes, offset, format, littleEndian);
  if (p.special === "nan") return p.neg ? "-nan" : "nan";
  if (p.special === "inf") return p.neg ? "-inf" : "inf";
  if (format === "binary32" || format === "binary64" || format === "binary16") {
    // Exactly representable as a double: drgn's double path.
    return formatDouble(p.neg ? -toDouble(p.mant, p.exp) : toDouble(p.mant, p.exp));
  }
  return formatBinary(p.neg, p.mant, p.exp, format === "x87" ? X87_DIGITS : BINARY128_DIGITS);
}

/** Whether the float at `bytes[offset…]` compares equal to zero (±0). */
export function floatBytesAreZero(
  bytes: Uint8Array,
  offset: number,
  format: FloatFormat,
  littleEndian: boolean,
): boolean {
  const p = floatParts(bytes, offset, format, littleEndian);
  return p.special === null && p.mant === 0n;
}

/** `mant × 2^exp` for formats no wider than a double (exact). */
function toDouble(mant: bigint, exp: number): number {
  // mant has at most 53 bits; scale in two steps so subnormals do not underflow early.
  const m = Number(mant);
  if (exp < -1000) return m * 2 ** -1000 * 2 ** (exp + 1000);
  return m * 2 ** exp;
}

/**
 * A JavaScript number printed as a float of `format` (for value objects,
 * which hold a double): the double's exact value, with the precision of
 * the format.
 */
export function formatFloatNumber(x: number, format: FloatFormat | null): string {
  if (format !== "x87" && format !== "binary128") return formatDouble(x);
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  f64[0] = x;
  const bits = u64[0]!;
  const p = ieeeParts(bits, 11, 52);
  return formatBinary(p.neg, p.mant, p.exp, format === "x87" ? X87_DIGITS : BINARY128_DIGITS);
}
