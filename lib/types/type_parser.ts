/**
 * The C type-name parser behind `prog.type("…")`: C11's `type-name`
 * (§6.7.7), a specifier-qualifier list followed by an abstract declarator,
 * such as `unsigned long`, `const struct list_head *`, `char (*)[16]` or
 * `void (*(*)(int))(void)`.
 *
 * Names are resolved through a {@link TypeLookup} that the program supplies
 * (DWARF, then other finders). Base types are looked up under every
 * spelling a compiler may have used (gcc's `long unsigned int`, clang's
 * `unsigned long`, …) and fall back to a default of the platform's size
 * when the debug info has none, as drgn does.
 *
 * Messages follow drgn 0.0.22 (`cannot combine 'int' with 'int'`,
 * `expected ']'`, `could not find 'struct foo'`). Beyond drgn 0.0.22, this
 * parser also reads function types and function pointers
 * (`int (*)(int, char *)`, `long (*)(const char *, ...)`, `int ()`),
 * `__int128`, `_Complex` and gcc's `complex double`, integer suffixes in
 * array lengths (`[4u]`), and gcc's `__const`/`__volatile`/`__restrict`/
 * `__signed__` spellings.
 *
 * @module
 */

import { isLookupError, LookupError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { arrayType, functionType, pointerType } from "./derived_types.ts";
import { type Language, makeType, Qualifiers, type Type, TypeParameter } from "./type.ts";

/** What a {@link TypeLookup} is asked for: a tagged type, a typedef, or a base type by name. */
export type TypeLookupKind = "struct" | "union" | "class" | "enum" | "typedef" | "base";

/**
 * Finds a named type in the program's debug info: `("struct", "list_head")`,
 * `("typedef", "size_t")`, `("base", "long unsigned int")`. Returns `null`
 * when there is none (the parser then tries other spellings, a default, or
 * throws {@link LookupError}).
 */
export type TypeLookup = (kind: TypeLookupKind, name: string) => Type | null;

/** Options of {@link parseTypeName}. */
export interface ParseTypeNameOptions {
  /** The target platform: pointer size and byte order (default x86-64). */
  platform?: Platform;
  /** Pointer size in bytes; overrides `platform`. */
  wordSize?: number;
  /** Byte order of pointers; overrides `platform`. */
  littleEndian?: boolean;
  /** Source language (C++ adds the `bool` keyword). Default `"C"`. */
  language?: Language;
  /** The file the lookup is restricted to, for the `could not find 'x' in 'file'` message. */
  filename?: string | null;
  /**
   * Makes the pointer type to `target` with `qualifiers` (the program's own
   * cache); default: {@link pointerType} of derived_types.ts with the word
   * size above.
   */
  pointerType?: (target: Type, qualifiers?: number) => Type;
}

/** {@link ParseTypeNameOptions} with the lookup in it: `parseTypeName(text, { lookup, … })`. */
export interface ParseTypeNameRequest extends ParseTypeNameOptions {
  lookup: TypeLookup;
}

/**
 * A type name that is not valid C (drgn raises Python's `SyntaxError`).
 * `name` is `"SyntaxError"`, as drgn's exception.
 */
export class TypeNameSyntaxError extends SyntaxError {
  /** The whole type name that was parsed. */
  readonly text: string;
  /** Offset in `text` of the token the parser stopped at. */
  readonly position: number;
  constructor(message: string, text: string, position: number) {
    super(message);
    this.text = text;
    this.position = position;
  }
}

// ---------------------------------------------------------------------------
// Tokens

const enum Tok {
  EOF,
  IDENT,
  NUMBER,
  STAR,
  LPAREN,
  RPAREN,
  LBRACKET,
  RBRACKET,
  COMMA,
  DOT,
  ELLIPSIS,
  // Type specifiers.
  VOID,
  CHAR,
  SHORT,
  INT,
  LONG,
  SIGNED,
  UNSIGNED,
  BOOL,
  FLOAT,
  DOUBLE,
  COMPLEX,
  INT128,
  // Tags.
  STRUCT,
  UNION,
  CLASS,
  ENUM,
  // Qualifiers.
  CONST,
  VOLATILE,
  RESTRICT,
  ATOMIC,
}

/** Spelling of each keyword token in messages. */
const KEYWORD_SPELLING: Partial<Record<Tok, string>> = {
  [Tok.VOID]: "void",
  [Tok.CHAR]: "char",
  [Tok.SHORT]: "short",
  [Tok.INT]: "int",
  [Tok.LONG]: "long",
  [Tok.SIGNED]: "signed",
  [Tok.UNSIGNED]: "unsigned",
  [Tok.BOOL]: "_Bool",
  [Tok.FLOAT]: "float",
  [Tok.DOUBLE]: "double",
  [Tok.COMPLEX]: "_Complex",
  [Tok.INT128]: "__int128",
  [Tok.STRUCT]: "struct",
  [Tok.UNION]: "union",
  [Tok.CLASS]: "class",
  [Tok.ENUM]: "enum",
};

const C_KEYWORDS: ReadonlyMap<string, Tok> = new Map([
  ["void", Tok.VOID],
  ["char", Tok.CHAR],
  ["short", Tok.SHORT],
  ["int", Tok.INT],
  ["long", Tok.LONG],
  ["signed", Tok.SIGNED],
  ["__signed", Tok.SIGNED],
  ["__signed__", Tok.SIGNED],
  ["unsigned", Tok.UNSIGNED],
  ["_Bool", Tok.BOOL],
  ["float", Tok.FLOAT],
  ["double", Tok.DOUBLE],
  ["_Complex", Tok.COMPLEX],
  ["__complex__", Tok.COMPLEX],
  ["__int128", Tok.INT128],
  ["struct", Tok.STRUCT],
  ["union", Tok.UNION],
  ["enum", Tok.ENUM],
  ["const", Tok.CONST],
  ["__const", Tok.CONST],
  ["__const__", Tok.CONST],
  ["volatile", Tok.VOLATILE],
  ["__volatile", Tok.VOLATILE],
  ["__volatile__", Tok.VOLATILE],
  ["restrict", Tok.RESTRICT],
  ["__restrict", Tok.RESTRICT],
  ["__restrict__", Tok.RESTRICT],
  ["_Atomic", Tok.ATOMIC],
]);

/**
 * C++: where the name whose first identifier ends at `pos` ends, with its
 * template arguments (`Box<short>`) and qualifications
 * (`app::inner::Config`) in it (one identifier for the parser).
 */
function cxxNameEnd(text: string, pos: number): number {
  for (;;) {
    if (text.charCodeAt(pos) === 60) {
      // `<`: to its matching `>` (nothing else in a type name has one).
      let depth = 0;
      let i = pos;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 60) depth++;
        else if (c === 62 && --depth === 0) break;
      }
      if (i >= text.length) return pos; // unbalanced: the parser reports the `<`
      pos = i + 1;
    }
    if (
      text.charCodeAt(pos) !== 58 || text.charCodeAt(pos + 1) !== 58 ||
      !isIdentStart(text.charCodeAt(pos + 2))
    ) {
      return pos;
    }
    pos += 2;
    while (isIdentPart(text.charCodeAt(++pos)));
  }
}

// `class` is C++'s only: in C it is an identifier (the kernel's `struct class`).
const CPP_KEYWORDS: ReadonlyMap<string, Tok> = new Map([
  ...C_KEYWORDS,
  ["bool", Tok.BOOL],
  ["class", Tok.CLASS],
]);

interface Token {
  kind: Tok;
  start: number;
  end: number;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** `\x2d` for an unexpected character, as drgn spells it (UTF-8 lead byte for non-ASCII). */
function hexChar(text: string, pos: number): string {
  const cp = text.codePointAt(pos)!;
  const byte = cp < 0x80 ? cp : new TextEncoder().encode(String.fromCodePoint(cp))[0]!;
  return "\\x" + byte.toString(16).padStart(2, "0");
}

// ---------------------------------------------------------------------------
// Type specifiers: which base type a list of keywords names.

/** The base types the specifier keywords can name. */
const enum Prim {
  VOID,
  CHAR,
  SCHAR,
  UCHAR,
  SHORT,
  USHORT,
  INT,
  UINT,
  LONG,
  ULONG,
  LLONG,
  ULLONG,
  BOOL,
  FLOAT,
  DOUBLE,
  LDOUBLE,
  INT128,
  UINT128,
  CFLOAT,
  CDOUBLE,
  CLDOUBLE,
}

interface PrimInfo {
  kind: "void" | "int" | "bool" | "float" | "complex";
  /** drgn's name for the type (the first of drgn's spellings). */
  canonical: string;
  /** Names compilers give it in DWARF, tried first (gcc, clang). */
  common: readonly string[];
  /** Words that must appear in a spelling, and words that may. */
  required: readonly string[];
  optional: readonly string[];
  isSigned: boolean;
  /** Default size in bytes, given the word size. */
  size: (wordSize: number) => number;
  /** Real part of a complex type. */
  real?: Prim;
}

const PRIMS: readonly PrimInfo[] = (() => {
  const int = (
    canonical: string,
    common: string[],
    required: string[],
    optional: string[],
    isSigned: boolean,
    size: (w: number) => number,
  ): PrimInfo => ({ kind: "int", canonical, common, required, optional, isSigned, size });
  const fixed = (n: number) => () => n;
  const table: PrimInfo[] = [];
  table[Prim.VOID] = {
    kind: "void",
    canonical: "void",
    common: [],
    required: ["void"],
    optional: [],
    isSigned: false,
    size: fixed(0),
  };
  table[Prim.CHAR] = int("char", [], ["char"], [], true, fixed(1));
  table[Prim.SCHAR] = int("signed char", [], ["signed", "char"], [], true, fixed(1));
  table[Prim.UCHAR] = int("unsigned char", [], ["unsigned", "char"], [], false, fixed(1));
  table[Prim.SHORT] = int("short", ["short int"], ["short"], ["signed", "int"], true, fixed(2));
  table[Prim.USHORT] = int(
    "unsigned short",
    ["short unsigned int"],
    ["unsigned", "short"],
    ["int"],
    false,
    fixed(2),
  );
  table[Prim.INT] = int("int", [], ["int"], ["signed"], true, fixed(4));
  table[Prim.UINT] = int("unsigned int", ["unsigned"], ["unsigned"], ["int"], false, fixed(4));
  table[Prim.LONG] = int("long", ["long int"], ["long"], ["signed", "int"], true, (w) => w);
  table[Prim.ULONG] = int(
    "unsigned long",
    ["long unsigned int"],
    ["unsigned", "long"],
    ["int"],
    false,
    (w) => w,
  );
  table[Prim.LLONG] = int(
    "long long",
    ["long long int"],
    ["long", "long"],
    ["signed", "int"],
    true,
    fixed(8),
  );
  table[Prim.ULLONG] = int(
    "unsigned long long",
    ["long long unsigned int"],
    ["unsigned", "long", "long"],
    ["int"],
    false,
    fixed(8),
  );
  table[Prim.BOOL] = {
    kind: "bool",
    canonical: "_Bool",
    common: ["bool"],
    required: [],
    optional: [],
    isSigned: false,
    size: fixed(1),
  };
  const float = (canonical: string, required: string[], size: (w: number) => number): PrimInfo => ({
    kind: "float",
    canonical,
    common: [],
    required,
    optional: [],
    isSigned: true,
    size,
  });
  // drgn's default is 16 bytes on every platform (x86-64 and i386 alike).
  const longDouble = fixed(16);
  table[Prim.FLOAT] = float("float", ["float"], fixed(4));
  table[Prim.DOUBLE] = float("double", ["double"], fixed(8));
  table[Prim.LDOUBLE] = float("long double", ["long", "double"], longDouble);
  // gcc names these `__int128` and `__int128 unsigned`, clang `unsigned __int128`.
  table[Prim.INT128] = int("__int128", [], ["__int128"], ["signed"], true, fixed(16));
  table[Prim.UINT128] = int(
    "unsigned __int128",
    ["__int128 unsigned"],
    ["unsigned", "__int128"],
    [],
    false,
    fixed(16),
  );
  // gcc names these `complex float` etc.; clang names all of them `complex`
  // (checked by size below). See also Go's golang.org/issue/8694.
  const complex = (
    canonical: string,
    real: Prim,
    realWords: string[],
    size: (w: number) => number,
  ): PrimInfo => ({
    kind: "complex",
    canonical,
    common: [realWords.join(" ") + " _Complex", "_Complex " + realWords.join(" ")],
    required: ["complex", ...realWords],
    optional: [],
    isSigned: true,
    size,
    real,
  });
  table[Prim.CFLOAT] = complex("complex float", Prim.FLOAT, ["float"], fixed(8));
  table[Prim.CDOUBLE] = complex("complex double", Prim.DOUBLE, ["double"], fixed(16));
  table[Prim.CLDOUBLE] = complex(
    "complex long double",
    Prim.LDOUBLE,
    ["long", "double"],
    fixed(32),
  );
  return table;
})();

function permutations(words: readonly string[]): string[][] {
  if (words.length <= 1) return [words.slice()];
  const out: string[][] = [];
  for (let i = 0; i < words.length; i++) {
    if (words.indexOf(words[i]!) !== i) continue; // skip repeated words ("long long")
    const rest = words.slice(0, i).concat(words.slice(i + 1));
    for (const p of permutations(rest)) out.push([words[i]!, ...p]);
  }
  return out;
}

const spellingCache = new Map<Prim, readonly string[]>();

/** Every way to spell a base type, most common first. */
function spellingsOf(prim: Prim): readonly string[] {
  let s = spellingCache.get(prim);
  if (s !== undefined) return s;
  const info = PRIMS[prim]!;
  const out = new Set<string>([info.canonical, ...info.common]);
  const opt = info.optional;
  for (let mask = 0; mask < 1 << opt.length; mask++) {
    const words = info.required.slice();
    for (let i = 0; i < opt.length; i++) if (mask & (1 << i)) words.push(opt[i]!);
    if (words.length === 0) continue;
    for (const p of permutations(words)) out.add(p.join(" "));
  }
  s = [...out];
  spellingCache.set(prim, s);
  return s;
}

const S_VOID = 1 << 0;
const S_CHAR = 1 << 1;
const S_SHORT = 1 << 2;
const S_INT = 1 << 3;
const S_SIGNED = 1 << 4;
const S_UNSIGNED = 1 << 5;
const S_BOOL = 1 << 6;
const S_FLOAT = 1 << 7;
const S_DOUBLE = 1 << 8;
const S_COMPLEX = 1 << 9;
const S_INT128 = 1 << 10;
const S_SIGN = S_SIGNED | S_UNSIGNED;

function specifierBit(tok: Tok): number {
  switch (tok) {
    case Tok.VOID:
      return S_VOID;
    case Tok.CHAR:
      return S_CHAR;
    case Tok.SHORT:
      return S_SHORT;
    case Tok.INT:
      return S_INT;
    case Tok.SIGNED:
      return S_SIGNED;
    case Tok.UNSIGNED:
      return S_UNSIGNED;
    case Tok.BOOL:
      return S_BOOL;
    case Tok.FLOAT:
      return S_FLOAT;
    case Tok.DOUBLE:
      return S_DOUBLE;
    case Tok.COMPLEX:
      return S_COMPLEX;
    case Tok.INT128:
      return S_INT128;
    default:
      return 0;
  }
}

function isSpecifier(tok: Tok): boolean {
  return tok >= Tok.VOID && tok <= Tok.INT128;
}

function isQualifier(tok: Tok): boolean {
  return tok >= Tok.CONST && tok <= Tok.ATOMIC;
}

function isTag(tok: Tok): boolean {
  return tok >= Tok.STRUCT && tok <= Tok.ENUM;
}

function qualifierBit(tok: Tok): number {
  switch (tok) {
    case Tok.CONST:
      return Qualifiers.CONST;
    case Tok.VOLATILE:
      return Qualifiers.VOLATILE;
    case Tok.RESTRICT:
      return Qualifiers.RESTRICT;
    default:
      return Qualifiers.ATOMIC;
  }
}

/** Whether a set of specifier keywords can still be (part of) a valid type. */
function validSpecifiers(mask: number, longs: number): boolean {
  if ((mask & S_SIGN) === S_SIGN) return false;
  if (mask & (S_VOID | S_BOOL)) return (mask === S_VOID || mask === S_BOOL) && longs === 0;
  if (mask & S_INT128) return (mask & ~(S_INT128 | S_SIGN)) === 0 && longs === 0;
  if (mask & S_FLOAT) return (mask & ~(S_FLOAT | S_COMPLEX)) === 0 && longs === 0;
  if (mask & S_DOUBLE) return (mask & ~(S_DOUBLE | S_COMPLEX)) === 0 && longs <= 1;
  // `_Complex long` may still become `_Complex long double`.
  if (mask & S_COMPLEX) return mask === S_COMPLEX && longs <= 1;
  if (mask & S_CHAR) return (mask & ~(S_CHAR | S_SIGN)) === 0 && longs === 0;
  if (mask & S_SHORT) return (mask & ~(S_SHORT | S_INT | S_SIGN)) === 0 && longs === 0;
  return true;
}

/** The keywords of a specifier set in drgn's order (`unsigned long long int`), for messages. */
function specifierSpelling(mask: number, longs: number): string {
  const w: string[] = [];
  if (mask & S_SIGNED) w.push("signed");
  if (mask & S_UNSIGNED) w.push("unsigned");
  if (mask & S_SHORT) w.push("short");
  if (longs === 1) w.push("long");
  if (longs === 2) w.push("long long");
  if (mask & S_VOID) w.push("void");
  if (mask & S_CHAR) w.push("char");
  if (mask & S_INT) w.push("int");
  if (mask & S_BOOL) w.push("_Bool");
  if (mask & S_FLOAT) w.push("float");
  if (mask & S_DOUBLE) w.push("double");
  if (mask & S_INT128) w.push("__int128");
  if (mask & S_COMPLEX) w.push("_Complex");
  return w.join(" ");
}

/** The base type a complete, valid specifier set names; `null` for `_Complex long`. */
function primitiveOf(mask: number, longs: number): Prim | null {
  const unsigned = (mask & S_UNSIGNED) !== 0;
  if (mask & S_COMPLEX) {
    if (mask & S_FLOAT) return Prim.CFLOAT;
    if (longs === 1) return mask & S_DOUBLE ? Prim.CLDOUBLE : null;
    return Prim.CDOUBLE; // `_Complex` alone means `_Complex double` (as gcc).
  }
  if (mask & S_VOID) return Prim.VOID;
  if (mask & S_BOOL) return Prim.BOOL;
  if (mask & S_FLOAT) return Prim.FLOAT;
  if (mask & S_DOUBLE) return longs === 1 ? Prim.LDOUBLE : Prim.DOUBLE;
  if (mask & S_INT128) return unsigned ? Prim.UINT128 : Prim.INT128;
  if (mask & S_CHAR) return unsigned ? Prim.UCHAR : mask & S_SIGNED ? Prim.SCHAR : Prim.CHAR;
  if (mask & S_SHORT) return unsigned ? Prim.USHORT : Prim.SHORT;
  if (longs === 2) return unsigned ? Prim.ULLONG : Prim.LLONG;
  if (longs === 1) return unsigned ? Prim.ULONG : Prim.LONG;
  return unsigned ? Prim.UINT : Prim.INT;
}

// ---------------------------------------------------------------------------
// Canonical base type names

const canonicalCache = new Map<string, string>();

/**
 * The name drgn gives a base type read from DWARF: a standard C integer,
 * bool or floating type gets its canonical spelling (`long unsigned int`
 * → `unsigned long`, `short int` → `short`, `char signed` →
 * `signed char`), provided the signedness agrees (`char` is `char`
 * whatever its signedness); any other name (`__int128 unsigned`,
 * `complex double`, `__ARRAY_SIZE_TYPE__`) is kept. The DWARF reader
 * should name `DW_TAG_base_type` types with this so they print as drgn's.
 *
 * @param kind the kind of the base type
 * @param name `DW_AT_name` of the base type
 * @param isSigned signedness of an int type
 * @returns the name to give the type
 * @example
 * ```ts
 * import { canonicalBaseTypeName } from "./type_parser.ts";
 * canonicalBaseTypeName("int", "long unsigned int", false); // "unsigned long"
 * ```
 */
export function canonicalBaseTypeName(
  kind: "int" | "bool" | "float",
  name: string,
  isSigned = true,
): string {
  const key = kind + (isSigned ? "+" : "-") + name;
  let out = canonicalCache.get(key);
  if (out === undefined) {
    out = computeCanonicalName(kind, name, isSigned);
    if (canonicalCache.size < 4096) canonicalCache.set(key, out);
  }
  return out;
}

function computeCanonicalName(kind: "int" | "bool" | "float", name: string, isSigned: boolean) {
  let mask = 0;
  let longs = 0;
  for (const word of name.trim().split(/\s+/)) {
    const tok = C_KEYWORDS.get(word);
    // drgn's canonical primitives are the standard C ones: no __int128 or _Complex.
    if (tok === undefined || !isSpecifier(tok) || tok === Tok.INT128 || tok === Tok.COMPLEX) {
      return name;
    }
    if (tok === Tok.LONG) {
      if (++longs > 2) return name;
    } else {
      const bit = specifierBit(tok);
      if (mask & bit) return name;
      mask |= bit;
    }
    if (!validSpecifiers(mask, longs)) return name;
  }
  const prim = primitiveOf(mask, longs);
  if (prim === null) return name;
  const info = PRIMS[prim]!;
  switch (kind) {
    case "int":
      return info.kind === "int" && (prim === Prim.CHAR || info.isSigned === isSigned)
        ? info.canonical
        : name;
    case "bool":
      return prim === Prim.BOOL ? info.canonical : name;
    case "float":
      return info.kind === "float" ? info.canonical : name;
  }
}

// ---------------------------------------------------------------------------
// Declarators

const enum Op {
  POINTER,
  ARRAY,
  FUNCTION,
}

/** One derivation, applied to the type built so far, innermost first. */
type Derivation =
  | { op: Op.POINTER; qualifiers: number }
  | { op: Op.ARRAY; length: number | null }
  | { op: Op.FUNCTION; parameters: TypeParameter[]; isVariadic: boolean };

interface Declarator {
  /** Derivations in the order they apply to the base type. */
  derivations: Derivation[];
  /** The declared name (parameter declarations only). */
  name: string | null;
}

/** Default base types per platform, shared so repeated lookups return the same objects. */
const defaultTypes = new Map<string, Type>();

class Parser {
  readonly #text: string;
  readonly #lookup: TypeLookup;
  readonly #wordSize: number;
  readonly #littleEndian: boolean;
  readonly #language: Language;
  readonly #filename: string | null;
  readonly #keywords: ReadonlyMap<string, Tok>;
  readonly #makePointer: ((target: Type, qualifiers?: number) => Type) | undefined;
  #pos = 0;
  readonly #ahead: Token[] = [];

  constructor(text: string, lookup: TypeLookup, options: ParseTypeNameOptions) {
    this.#text = text;
    this.#lookup = lookup;
    this.#wordSize = options.wordSize ?? options.platform?.wordSize ?? 8;
    this.#littleEndian = options.littleEndian ?? options.platform?.littleEndian ?? true;
    this.#language = options.language ?? "C";
    this.#filename = options.filename ?? null;
    this.#keywords = this.#language === "C++" ? CPP_KEYWORDS : C_KEYWORDS;
    this.#makePointer = options.pointerType;
  }

  parse(): Type {
    const base = this.#specifiers();
    if (this.#peek(0).kind === Tok.EOF) return base;
    const d = this.#declarator(false);
    if (d === null) throw this.#syntax("expected abstract declarator");
    if (this.#peek(0).kind !== Tok.EOF) throw this.#syntax("extra tokens after type name");
    return this.#derive(base, d.derivations);
  }

  // -- lexer --

  #lex(): Token {
    const text = this.#text;
    let pos = this.#pos;
    let c = text.charCodeAt(pos);
    // Whitespace: space, \t, \n, \v, \f, \r.
    while (c === 32 || (c >= 9 && c <= 13)) c = text.charCodeAt(++pos);
    const start = pos;
    let kind: Tok;
    if (pos >= text.length) {
      kind = Tok.EOF;
    } else if (isIdentStart(c)) {
      while (isIdentPart(text.charCodeAt(++pos)));
      if (this.#language === "C++") pos = cxxNameEnd(text, pos);
      kind = this.#keywords.get(text.slice(start, pos)) ?? Tok.IDENT;
    } else if (c >= 48 && c <= 57) {
      while (isIdentPart(text.charCodeAt(++pos)));
      kind = Tok.NUMBER;
    } else {
      pos++;
      switch (c) {
        case 42:
          kind = Tok.STAR;
          break;
        case 40:
          kind = Tok.LPAREN;
          break;
        case 41:
          kind = Tok.RPAREN;
          break;
        case 91:
          kind = Tok.LBRACKET;
          break;
        case 93:
          kind = Tok.RBRACKET;
          break;
        case 44:
          kind = Tok.COMMA;
          break;
        case 46:
          if (text.charCodeAt(pos) === 46 && text.charCodeAt(pos + 1) === 46) {
            pos += 2;
            kind = Tok.ELLIPSIS;
          } else {
            kind = Tok.DOT;
          }
          break;
        default:
          throw new TypeNameSyntaxError(
            `invalid character ${hexChar(text, start)}`,
            text,
            start,
          );
      }
    }
    this.#pos = pos;
    return { kind, start, end: pos };
  }

  #peek(n: number): Token {
    const ahead = this.#ahead;
    while (ahead.length <= n) ahead.push(this.#lex());
    return ahead[n]!;
  }

  #next(): Token {
    return this.#ahead.length > 0 ? this.#ahead.shift()! : this.#lex();
  }

  #textOf(t: Token): string {
    return this.#text.slice(t.start, t.end);
  }

  #syntax(message: string): TypeNameSyntaxError {
    return new TypeNameSyntaxError(message, this.#text, this.#peek(0).start);
  }

  #expect(kind: Tok, message: string): void {
    if (this.#peek(0).kind !== kind) throw this.#syntax(message);
    this.#next();
  }

  // -- specifier-qualifier list --

  #specifiers(): Type {
    let qualifiers = 0;
    let mask = 0;
    let longs = 0;
    let identifier: string | null = null;
    let tag: Tok | null = null;
    for (;;) {
      const tok = this.#peek(0);
      let kind = tok.kind;
      // gcc's <complex.h> spelling `complex double` (`complex` is a macro for `_Complex`).
      if (kind === Tok.IDENT && this.#isComplexMacro(tok, mask, identifier, tag)) {
        kind = Tok.COMPLEX;
      }
      if (isQualifier(kind)) {
        this.#next();
        qualifiers |= qualifierBit(kind);
      } else if (isSpecifier(kind)) {
        const spelling = KEYWORD_SPELLING[kind]!;
        if (tag !== null) {
          throw this.#syntax(`cannot combine '${spelling}' with '${KEYWORD_SPELLING[tag]}'`);
        }
        if (identifier !== null) {
          throw this.#syntax(`cannot combine '${spelling}' with identifier`);
        }
        let newMask = mask;
        let newLongs = longs;
        let ok: boolean;
        if (kind === Tok.LONG) {
          ok = ++newLongs <= 2;
        } else {
          const bit = specifierBit(kind);
          ok = (mask & bit) === 0;
          newMask |= bit;
        }
        if (!ok || !validSpecifiers(newMask, newLongs)) {
          throw this.#syntax(
            `cannot combine '${spelling}' with '${specifierSpelling(mask, longs)}'`,
          );
        }
        this.#next();
        mask = newMask;
        longs = newLongs;
      } else if (
        kind === Tok.IDENT && mask === 0 && longs === 0 && identifier === null && tag === null
      ) {
        this.#next();
        identifier = this.#textOf(tok);
      } else if (isTag(kind)) {
        const spelling = KEYWORD_SPELLING[kind]!;
        if (identifier !== null) {
          throw this.#syntax(`cannot combine '${spelling}' with identifier`);
        }
        if (mask !== 0 || longs !== 0) {
          throw this.#syntax(
            `cannot combine '${spelling}' with '${specifierSpelling(mask, longs)}'`,
          );
        }
        this.#next();
        const name = this.#peek(0);
        if (name.kind !== Tok.IDENT) throw this.#syntax(`expected identifier after '${spelling}'`);
        this.#next();
        tag = kind;
        identifier = this.#textOf(name);
      } else {
        break;
      }
    }

    let type: Type;
    if (mask !== 0 || longs !== 0) {
      const prim = primitiveOf(mask, longs);
      if (prim === null) throw this.#syntax("expected 'double' after 'long _Complex'");
      type = this.#primitive(prim);
    } else if (tag !== null) {
      type = this.#find(KEYWORD_SPELLING[tag] as TypeLookupKind, identifier!);
    } else if (identifier !== null) {
      type = this.#named(identifier);
    } else {
      throw this.#syntax("expected type specifier");
    }
    return qualifiers === 0 ? type : type.qualified(type.qualifiers | qualifiers);
  }

  #isComplexMacro(tok: Token, mask: number, identifier: string | null, tag: Tok | null): boolean {
    if (identifier !== null || tag !== null || this.#textOf(tok) !== "complex") return false;
    if (mask & (S_FLOAT | S_DOUBLE)) return (mask & S_COMPLEX) === 0;
    if (mask !== 0) return false;
    const next = this.#peek(1).kind;
    return next === Tok.FLOAT || next === Tok.DOUBLE || next === Tok.LONG;
  }

  /**
   * A typedef name; also a base type by that name (clang's
   * `__ARRAY_SIZE_TYPE__`); in C++, where a class's name is a type name,
   * then a class, struct, union or enum (`app::Config`, `Box<int>`; drgn
   * 0.0.22 finds none of these).
   */
  #named(name: string): Type {
    let t = this.#ask("typedef", name) ?? this.#ask("base", name);
    if (t === null && this.#language === "C++") {
      t = this.#ask("class", name) ?? this.#ask("struct", name) ?? this.#ask("union", name) ??
        this.#ask("enum", name);
    }
    if (t !== null) return t;
    // drgn knows these two without debug info.
    if (name === "size_t") return makeType.typedef("size_t", this.#primitive(Prim.ULONG));
    if (name === "ptrdiff_t") return makeType.typedef("ptrdiff_t", this.#primitive(Prim.LONG));
    throw this.#notFound();
  }

  #find(kind: TypeLookupKind, name: string): Type {
    const t = this.#ask(kind, name);
    if (t === null) throw this.#notFound();
    return t;
  }

  #ask(kind: TypeLookupKind, name: string): Type | null {
    try {
      return this.#lookup(kind, name);
    } catch (e) {
      if (isLookupError(e)) return null;
      throw e;
    }
  }

  #notFound(): LookupError {
    const text = this.#text;
    const where = this.#filename === null ? "" : ` in '${this.#filename}'`;
    return new LookupError(`could not find '${text}'${where}`, "type", text);
  }

  /** A base type: from the debug info under any spelling, else a default of the platform's size. */
  #primitive(prim: Prim): Type {
    const info = PRIMS[prim]!;
    // `void` is no DWARF base type (as in drgn, it is never looked up).
    if (info.kind === "void") return this.#defaultPrimitive(prim);
    for (const name of spellingsOf(prim)) {
      const t = this.#ask("base", name);
      if (t !== null && matchesPrimitive(t, prim, info)) return t;
    }
    if (info.kind === "complex") {
      // clang names every complex type `complex`.
      const t = this.#ask("base", "complex");
      if (
        t !== null && t.kind === "complex" && t.core.size === info.size(this.#wordSize)
      ) {
        return t;
      }
    }
    return this.#defaultPrimitive(prim);
  }

  #defaultPrimitive(prim: Prim): Type {
    const key = `${prim}:${this.#wordSize}:${this.#littleEndian ? "l" : "b"}:${this.#language}`;
    let t = defaultTypes.get(key);
    if (t !== undefined) return t;
    const info = PRIMS[prim]!;
    const size = info.size(this.#wordSize);
    const le = this.#littleEndian;
    const name = prim === Prim.BOOL && this.#language === "C++" ? "bool" : info.canonical;
    switch (info.kind) {
      case "void":
        t = makeType.void(this.#language);
        break;
      case "int":
        t = makeType.int(name, size, info.isSigned, le);
        break;
      case "bool":
        t = makeType.bool(name, size, le);
        break;
      case "float":
        t = makeType.float(name, size, le);
        break;
      case "complex":
        t = makeType.complex(name, size, this.#primitive(info.real!));
        break;
    }
    defaultTypes.set(key, t);
    return t;
  }

  // -- declarators --

  #qualifierList(): number {
    let q = 0;
    while (isQualifier(this.#peek(0).kind)) q |= qualifierBit(this.#next().kind);
    return q;
  }

  /**
   * `pointer? direct-declarator?`. Returns `null` if there is neither. With
   * `allowName` (parameter declarations), the declarator may name what it
   * declares.
   */
  #declarator(allowName: boolean): Declarator | null {
    const pointers: Derivation[] = [];
    while (this.#peek(0).kind === Tok.STAR) {
      this.#next();
      pointers.push({ op: Op.POINTER, qualifiers: this.#qualifierList() });
    }
    const direct = this.#directDeclarator(allowName);
    if (direct === null) {
      return pointers.length === 0 ? null : { derivations: pointers, name: null };
    }
    if (pointers.length === 0) return direct;
    return { derivations: pointers.concat(direct.derivations), name: direct.name };
  }

  #directDeclarator(allowName: boolean): Declarator | null {
    let inner: Declarator | null = null;
    let name: string | null = null;
    let found = false;
    const first = this.#peek(0);
    if (first.kind === Tok.LPAREN) {
      // `(` starts a nested declarator if what follows can start one;
      // otherwise it starts a parameter list: `int (*)(void)` vs `int (void)`.
      const k = this.#peek(1).kind;
      if (k === Tok.STAR || k === Tok.LPAREN || k === Tok.LBRACKET) {
        this.#next();
        inner = this.#declarator(allowName);
        this.#expect(Tok.RPAREN, "expected ')'");
        found = true;
      }
    } else if (allowName && first.kind === Tok.IDENT) {
      this.#next();
      name = this.#textOf(first);
      found = true;
    }
    const suffixes: Derivation[] = [];
    for (;;) {
      const k = this.#peek(0).kind;
      if (k === Tok.LBRACKET) {
        this.#next();
        let length: number | null = null;
        if (this.#peek(0).kind === Tok.NUMBER) length = this.#number(this.#next());
        this.#expect(Tok.RBRACKET, "expected ']'");
        suffixes.push({ op: Op.ARRAY, length });
      } else if (k === Tok.LPAREN) {
        this.#next();
        suffixes.push(this.#parameterList());
      } else {
        break;
      }
    }
    if (!found && suffixes.length === 0) return null;
    // `D[2][3]` is an array of 2 arrays of 3: the last suffix applies first.
    suffixes.reverse();
    if (inner !== null) {
      return { derivations: suffixes.concat(inner.derivations), name: inner.name };
    }
    return { derivations: suffixes, name };
  }

  /** After `(`: `void`, nothing (unprototyped), or parameter declarations with an optional `...`. */
  #parameterList(): Derivation {
    if (this.#peek(0).kind === Tok.RPAREN) {
      this.#next();
      return { op: Op.FUNCTION, parameters: [], isVariadic: true };
    }
    if (this.#peek(0).kind === Tok.VOID && this.#peek(1).kind === Tok.RPAREN) {
      this.#next();
      this.#next();
      return { op: Op.FUNCTION, parameters: [], isVariadic: false };
    }
    const parameters: TypeParameter[] = [];
    let isVariadic = false;
    for (;;) {
      if (this.#peek(0).kind === Tok.ELLIPSIS) {
        if (parameters.length === 0) {
          throw this.#syntax("expected parameter declaration before '...'");
        }
        this.#next();
        isVariadic = true;
        this.#expect(Tok.RPAREN, "expected ')' after '...'");
        break;
      }
      const base = this.#specifiers();
      let type = base;
      let name: string | null = null;
      const k = this.#peek(0).kind;
      if (k !== Tok.COMMA && k !== Tok.RPAREN) {
        const d = this.#declarator(true);
        if (d === null) throw this.#syntax("expected ',' or ')'");
        type = this.#derive(base, d.derivations);
        name = d.name;
      }
      if (type.kind === "void") throw this.#syntax("'void' must be the only parameter");
      parameters.push(new TypeParameter(this.#adjustParameter(type), name));
      const sep = this.#peek(0).kind;
      if (sep === Tok.COMMA) {
        this.#next();
      } else if (sep === Tok.RPAREN) {
        this.#next();
        break;
      } else {
        throw this.#syntax("expected ',' or ')'");
      }
    }
    return { op: Op.FUNCTION, parameters, isVariadic };
  }

  /** C11 6.7.6.3p7-8: array and function parameters are pointers (as compilers record them). */
  #adjustParameter(type: Type): Type {
    switch (type.kind) {
      case "array":
        return this.#pointer(type.type);
      case "function":
        return this.#pointer(type);
      default:
        return type;
    }
  }

  #pointer(target: Type, qualifiers = 0): Type {
    if (this.#makePointer !== undefined) return this.#makePointer(target, qualifiers);
    const p = pointerType(target, this.#wordSize, this.#littleEndian);
    return qualifiers === 0 ? p : p.qualified(qualifiers);
  }

  #number(tok: Token): number {
    const text = this.#textOf(tok);
    // Fast path: a short decimal length (`[16]`).
    if (text.length <= 15 && text.charCodeAt(0) !== 48) {
      let v = 0;
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === text.length) return v;
    }
    const m =
      /^(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))(?:[uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)?$/
        .exec(text);
    if (m === null) {
      throw new TypeNameSyntaxError("invalid number", this.#text, tok.start);
    }
    const value = m[1] !== undefined
      ? BigInt("0x" + m[1])
      : m[2] !== undefined
      ? BigInt("0o" + (m[2].slice(1) || "0"))
      : BigInt(m[3]!);
    // drgn accepts lengths up to 2^64-1; Wyvern's lengths are exact JS numbers.
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("number is too large");
    return Number(value);
  }

  /** Applies derivations to the base type, innermost first. */
  #derive(base: Type, derivations: readonly Derivation[]): Type {
    let t = base;
    for (const d of derivations) {
      switch (d.op) {
        case Op.POINTER:
          t = this.#pointer(t, d.qualifiers);
          break;
        case Op.ARRAY:
          if (t.kind === "function") throw this.#syntax("declared as array of functions");
          t = arrayType(t, d.length);
          break;
        case Op.FUNCTION:
          if (t.kind === "array") throw this.#syntax("function cannot return array type");
          if (t.kind === "function") throw this.#syntax("function cannot return function type");
          t = functionType(t, d.parameters, d.isVariadic, this.#language);
          break;
      }
    }
    return t;
  }
}

/** Whether a type found under a spelling of a base type is that base type. */
function matchesPrimitive(t: Type, prim: Prim, info: PrimInfo): boolean {
  const kind = t.kind;
  if (kind !== info.kind) return false;
  if (kind === "int" && prim !== Prim.CHAR) return t.core.isSigned === info.isSigned;
  return true;
}

/**
 * Parses a C type name (`unsigned long`, `struct task_struct *`,
 * `const char *[4]`, `int (*)(int, char *)`) into a {@link Type}, looking up
 * named types with `lookup`. Pointer types get the platform's word size.
 *
 * @param text the type name
 * @param lookup finds struct/union/class/enum tags, typedefs and base
 *   types; or a {@link ParseTypeNameRequest} holding it with the options
 * @param options platform (or wordSize/littleEndian), language, filename,
 *   pointerType
 * @returns the type
 * @throws {TypeNameSyntaxError} if `text` is not a C type name (drgn's messages)
 * @throws {LookupError} `could not find 'TEXT'` if a named type is missing
 * @throws {RangeError} if an array length exceeds 2^53-1
 * @example
 * ```ts
 * import { parseTypeName } from "./type_parser.ts";
 * import "./format_type.ts";
 * const lookup = () => null; // no debug info: base types get default sizes
 * parseTypeName("unsigned long (*)[4]", lookup).typeName(); // "unsigned long (*)[4]"
 * parseTypeName("int *", { lookup, wordSize: 4 }).size; // 4
 * ```
 */
export function parseTypeName(
  text: string,
  lookup: TypeLookup | ParseTypeNameRequest,
  options: ParseTypeNameOptions = {},
): Type {
  if (typeof lookup === "function") return new Parser(text, lookup, options).parse();
  return new Parser(text, lookup.lookup, { ...lookup, ...options }).parse();
}
