/**
 * C syntax for types, as drgn prints it: type names (`struct list_head *`,
 * `int (*)[4]`, `void (*)(int, char *)`) and full definitions
 * (`struct list_head {\n\tstruct list_head *next;\n…}`).
 *
 * Everything is built by one declarator builder, {@link formatDeclaration}:
 * a declaration is the base type's name followed by a declarator that wraps
 * the declared name inside out (`*`, `[n]`, `(params)`), parenthesised where
 * C needs it. Struct members, typedefs, parameters and (later) object casts
 * all go through it.
 *
 * The output is drgn 0.0.22's, character for character, with two
 * deliberate differences where drgn is wrong or unhelpful:
 *
 * - A function returning a function pointer prints as C declares it:
 *   `void (*(*)(int))(void)`. drgn 0.0.22 prints `void (*(*))(void)(int)`
 *   (parameter lists in the wrong order), which is not C; gdb prints
 *   the C form.
 * - {@link formatTypeDefinition} of a function type returns its type name
 *   (`int (char *s, ...)`). drgn 0.0.22 raises `ValueError: function type
 *   cannot be formatted`; `str()` raising makes template strings and
 *   logging of function types throw for no benefit.
 *
 * Types are immutable, so names, definitions and member-declaration
 * templates are cached per `Type` (WeakMaps): `str()` of a type costs its
 * formatting once.
 *
 * Importing this module installs the formatters behind `Type.toString()`
 * and `Type.typeName()`.
 *
 * @module
 */

import { setTypeFormatters, type Type } from "./type.ts";

/** Deepest chain of pointer/array/function derivations formatted before giving up (cycles). */
const MAX_DERIVATIONS = 4096;
/** Deepest nesting of anonymous struct/union definitions printed inline (cycles). */
const MAX_NESTING = 256;

/** `const volatile restrict _Atomic` for each qualifier bitmask, in drgn's order. */
const QUALIFIER_SPELLINGS: readonly string[] = (() => {
  const names = ["const", "volatile", "restrict", "_Atomic"];
  const out: string[] = [];
  for (let mask = 0; mask < 16; mask++) {
    const words: string[] = [];
    for (let bit = 0; bit < 4; bit++) {
      if (mask & (1 << bit)) words.push(names[bit]!);
    }
    out.push(words.join(" "));
  }
  return out;
})();

/**
 * Spells a qualifier bitmask ({@link Qualifiers}) as C does, in drgn's
 * order: `const volatile restrict _Atomic`. Returns `""` for no qualifiers.
 *
 * @example
 * ```ts
 * import { formatQualifiers } from "./format_type.ts";
 * formatQualifiers(3); // "const volatile"
 * ```
 */
export function formatQualifiers(qualifiers: number): string {
  return QUALIFIER_SPELLINGS[qualifiers & 15]!;
}

const TABS: string[] = [""];

function tabs(n: number): string {
  let s = TABS[n];
  if (s === undefined) {
    s = "\t".repeat(n);
    if (n < 64) TABS[n] = s;
  }
  return s;
}

/** `struct`, `union`, `class` or `enum` with the tag (no `<anonymous>`), after the qualifiers. */
function taggedName(t: Type): string {
  const core = t.core;
  let s = t.qualifiers !== 0 ? QUALIFIER_SPELLINGS[t.qualifiers & 15]! + " " : "";
  s += core.kind;
  if (core.tag !== null) s += " " + core.tag;
  return s;
}

/** The parameter list of a function type, parentheses included: `(int a, char *, ...)`. */
function parameterList(t: Type): string {
  const params = t.core.parameters;
  const variadic = t.core.isVariadic;
  if (params.length === 0) return variadic ? "()" : "(void)";
  let s = "(";
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (i > 0) s += ", ";
    s += p.name ? namedDeclaration(p.type, p.name) : formatTypeName(p.type);
  }
  return variadic ? s + ", ...)" : s + ")";
}

/**
 * The declaration of `name` with type `type`: the base type's name, then
 * the declarator. `name === null` gives an abstract declarator (a type
 * name). `defineAnonymous` prints an anonymous struct/union/enum as its
 * full definition (members and typedef targets) rather than
 * `struct <anonymous>`; only the outermost type is defined, never one
 * behind a pointer, array or function.
 */
function declare(
  type: Type,
  name: string | null,
  indent: number,
  defineAnonymous: boolean,
  nesting: number,
): string {
  let t = type;
  let declarator = name;
  let define = defineAnonymous;
  for (let n = 0;; n++) {
    if (n > MAX_DERIVATIONS) {
      throw new RangeError("cannot format type: derivation chain is too long (cyclic type?)");
    }
    const core = t.core;
    switch (core.kind) {
      case "pointer": {
        const target = t.type;
        const tk = target.core.kind;
        const parenthesize = tk === "array" || tk === "function";
        let s = parenthesize ? "(*" : "*";
        if (t.qualifiers !== 0) {
          s += " " + QUALIFIER_SPELLINGS[t.qualifiers & 15]!;
          if (declarator !== null) s += " ";
        }
        if (declarator !== null) s += declarator;
        declarator = parenthesize ? s + ")" : s;
        t = target;
        define = false;
        continue;
      }
      case "array": {
        // Qualifiers of an array type are not printed (C applies them to the elements).
        const length = core.length;
        declarator = (declarator ?? "") + (length === null ? "[]" : "[" + length + "]");
        t = t.type;
        define = false;
        continue;
      }
      case "function":
        // The parameter list binds tighter than the return type's declarator:
        // `void (*(*)(int))(void)`.
        declarator = (declarator ?? "") + parameterList(t);
        t = t.type;
        define = false;
        continue;
      case "struct":
      case "union":
      case "class":
      case "enum": {
        const anonymous = core.tag === null;
        let s: string;
        if (anonymous && define && isDefinable(t)) {
          s = defineTagged(t, indent, nesting + 1);
        } else {
          s = tabs(indent) + taggedName(t);
          if (anonymous) s += " <anonymous>";
        }
        return declarator === null ? s : s + " " + declarator;
      }
      case "void":
      case "int":
      case "bool":
      case "float":
      case "complex":
      case "typedef": {
        let s = tabs(indent);
        if (t.qualifiers !== 0) s += QUALIFIER_SPELLINGS[t.qualifiers & 15]! + " ";
        s += core.kind === "void" ? "void" : (core.name ?? "");
        return declarator === null ? s : s + " " + declarator;
      }
    }
  }
}

/** Whether a struct/union/class/enum has a body to print. */
function isDefinable(t: Type): boolean {
  const core = t.core;
  return core.kind === "enum" ? core.enumerators !== null : core.members !== null;
}

/** The definition of a complete struct, union, class or enum type, starting with `indent` tabs. */
function defineTagged(t: Type, indent: number, nesting: number): string {
  if (nesting > MAX_NESTING) {
    throw new RangeError("cannot format type: anonymous types nested too deeply (cyclic type?)");
  }
  const core = t.core;
  const inner = tabs(indent + 1);
  // String concatenation (ropes) beats collecting parts and joining them.
  let s = tabs(indent) + taggedName(t) + baseClause(t) + " {\n";
  if (core.kind === "enum") {
    const compatible = core.type;
    const enumerators = core.enumerators ?? [];
    let signed: boolean;
    if (compatible !== null) {
      const u = underlyingForSign(compatible);
      signed = u.core.kind === "int" && u.core.isSigned;
    } else {
      signed = enumerators.some((e) => e.value < 0n);
    }
    for (const e of enumerators) {
      const v = signed ? BigInt.asIntN(64, e.value) : BigInt.asUintN(64, e.value);
      s += inner + e.name + " = " + v + ",\n";
    }
  } else {
    for (const m of core.members ?? []) {
      const mt = m.type;
      if (definesInline(mt)) {
        s += declare(mt, m.name ? m.name : null, indent + 1, true, nesting);
      } else {
        s += inner + (m.name ? namedDeclaration(mt, m.name) : formatTypeName(mt));
      }
      s += m.bitFieldSize ? " : " + m.bitFieldSize + ";\n" : ";\n";
    }
  }
  return s + tabs(indent) + "}";
}

/** A C++ class's base clause (` : public Base, private virtual Other`), or "" without bases. */
function baseClause(t: Type): string {
  const bases = t.core.kind === "enum" ? [] : t.core.bases;
  if (bases.length === 0) return "";
  return " : " +
    bases.map((b) =>
      b.accessibility + (b.isVirtual ? " virtual " : " ") +
      (b.type.core.tag ?? formatTypeName(b.type))
    ).join(", ");
}

/** Strips typedefs from an enum's compatible type to find its signedness. */
function underlyingForSign(t: Type): Type {
  let u = t;
  for (let n = 0; u.core.kind === "typedef" && n < MAX_DERIVATIONS; n++) u = u.type;
  return u;
}

/**
 * Whether `str()` prints a definition (drgn's `drgn_type_is_complete`):
 * structs, unions and classes with members, enums with enumerators, arrays
 * with a length (whatever the element), typedefs of such types, and every
 * int, bool, float, complex and pointer type. `void` is incomplete.
 */
function hasDefinition(type: Type): boolean {
  let t = type;
  for (let n = 0; n <= MAX_DERIVATIONS; n++) {
    const core = t.core;
    switch (core.kind) {
      case "struct":
      case "union":
      case "class":
        return core.members !== null;
      case "enum":
        return core.enumerators !== null;
      case "array":
        return core.length !== null;
      case "typedef":
        t = t.type;
        continue;
      case "void":
        return false;
      case "function":
      case "int":
      case "bool":
      case "float":
      case "complex":
      case "pointer":
        return true;
    }
  }
  throw new RangeError("cannot format type: typedef chain is too long (cyclic type?)");
}

/** Type names already formatted (types are immutable, so a name never changes). */
const nameCache = new WeakMap<Type, string>();

/**
 * Declarations of a name with a type, split around the name: `int (*` and
 * `)[4]` for `int (*x)[4]`. Built once per type by declaring a placeholder
 * name, so members and parameters cost two concatenations.
 */
const templateCache = new WeakMap<Type, readonly [string, string]>();
const PLACEHOLDER = "\u0000";

function namedDeclaration(type: Type, name: string): string {
  let t = templateCache.get(type);
  if (t === undefined) {
    const s = declare(type, PLACEHOLDER, 0, false, 0);
    const at = s.indexOf(PLACEHOLDER);
    t = [s.slice(0, at), s.slice(at + PLACEHOLDER.length)];
    templateCache.set(type, t);
  }
  return t[0] + name + t[1];
}

/** Whether a member of this type is printed as an inline definition (an anonymous struct/union/enum). */
function definesInline(t: Type): boolean {
  const core = t.core;
  switch (core.kind) {
    case "struct":
    case "union":
    case "class":
      return core.tag === null && core.members !== null;
    case "enum":
      return core.tag === null && core.enumerators !== null;
    default:
      return false;
  }
}

/**
 * The type's name as C spells it, drgn's `Type.type_name()`:
 * `struct list_head *`, `int [4]`, `char (*)[16]`, `int (*)(int, char *)`,
 * `const volatile unsigned int`, `int * const`, `struct <anonymous>`,
 * `void (*(*)(int))(void)`. Function types include parameter names:
 * `int (char *s, ...)`.
 *
 * @param type the type to name
 * @returns the C type name
 * @example
 * ```ts
 * import { makeType } from "./type.ts";
 * import { formatTypeName } from "./format_type.ts";
 * const int = makeType.int("int", 4, true);
 * formatTypeName(makeType.pointer(makeType.array(int, 4))); // "int (*)[4]"
 * ```
 */
export function formatTypeName(type: Type): string {
  let s = nameCache.get(type);
  if (s === undefined) {
    s = declare(type, type.core.kind === "function" ? "" : null, 0, false, 0);
    nameCache.set(type, s);
  }
  return s;
}

/**
 * The type's C definition, drgn's `str(type)`: the full body of a complete
 * struct, union, class or enum (members one per line, indented with tabs,
 * anonymous member types defined inline, bit fields as `x : 3`), the
 * `typedef` declaration of a typedef whose target is complete, and the type
 * name for anything else (incomplete types, pointers, arrays, base types).
 *
 * Unlike drgn 0.0.22, which raises `function type cannot be formatted`,
 * a function type gives its type name.
 *
 * @param type the type to define
 * @returns the C definition
 * @example
 * ```ts
 * import { makeType, TypeMember } from "./type.ts";
 * import { formatTypeDefinition } from "./format_type.ts";
 * const int = makeType.int("int", 4, true);
 * const point = makeType.struct("point", 8, [
 *   new TypeMember(int, "x", 0),
 *   new TypeMember(int, "y", 32),
 * ]);
 * formatTypeDefinition(point); // "struct point {\n\tint x;\n\tint y;\n}"
 * ```
 */
export function formatTypeDefinition(type: Type): string {
  let s = definitionCache.get(type);
  if (s === undefined) {
    s = type.core.kind === "function" || !hasDefinition(type)
      ? formatTypeName(type)
      : defineType(type);
    definitionCache.set(type, s);
  }
  return s;
}

/** Definitions already formatted (immutable types, so they never change). */
const definitionCache = new WeakMap<Type, string>();

function defineType(t: Type): string {
  const core = t.core;
  switch (core.kind) {
    case "struct":
    case "union":
    case "class":
    case "enum":
      return defineTagged(t, 0, 0);
    case "typedef": {
      const q = t.qualifiers !== 0 ? QUALIFIER_SPELLINGS[t.qualifiers & 15]! + " " : "";
      return q + "typedef " + declare(t.type, core.name ?? "", 0, true, 0);
    }
    default:
      return formatTypeName(t);
  }
}

/**
 * The C declaration of `name` with type `type` (`int (*handler)(int)`,
 * `char comm[16]`, `struct list_head *next`), or the type name when `name`
 * is `null`. With `indent`, the declaration starts with that many tabs;
 * with `defineAnonymous`, an anonymous struct/union/enum type is printed as
 * its definition, as in a member list.
 *
 * @param type the declared type
 * @param name the declared name, or `null` for a type name
 * @param options `indent` (tabs, default 0) and `defineAnonymous` (default false)
 * @returns the declaration, without a trailing `;`
 * @example
 * ```ts
 * import { makeType } from "./type.ts";
 * import { formatDeclaration } from "./format_type.ts";
 * const char = makeType.int("char", 1, true);
 * formatDeclaration(makeType.array(char, 16), "comm"); // "char comm[16]"
 * ```
 */
export function formatDeclaration(
  type: Type,
  name: string | null,
  options: { indent?: number; defineAnonymous?: boolean } = {},
): string {
  return declare(type, name, options.indent ?? 0, options.defineAnonymous ?? false, 0);
}

setTypeFormatters(formatTypeDefinition, formatTypeName);
