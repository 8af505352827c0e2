/**
 * The type model: one {@link Type} class for every C type kind, as drgn's
 * `drgn.Type`. Types are immutable. Qualified variants of a type share one
 * {@link TypeCore}, which also holds per-type caches (member lookups, the
 * object class generated for the type) so hot paths pay for a lookup once.
 *
 * Member, parameter and referenced types are resolved lazily (thunks), so a
 * type graph with cycles (`struct list_head { struct list_head *next; }`)
 * is built without recursion and huge kernels only parse what is used.
 *
 * @module
 */

import { parsePrimitive } from "../dwarf/base_type_names.ts";

/** The kind of a type. `complex` is C's `_Complex` (drgn 0.0.22 cannot read those). */
export type TypeKind =
  | "void"
  | "int"
  | "bool"
  | "float"
  | "complex"
  | "struct"
  | "union"
  | "class"
  | "enum"
  | "typedef"
  | "pointer"
  | "array"
  | "function";

/** drgn's `TypeKind` members, as {@link Type.kind} spells them (`TypeKind.STRUCT === "struct"`). */
export const TypeKind = {
  VOID: "void",
  INT: "int",
  BOOL: "bool",
  FLOAT: "float",
  COMPLEX: "complex",
  STRUCT: "struct",
  UNION: "union",
  CLASS: "class",
  ENUM: "enum",
  TYPEDEF: "typedef",
  POINTER: "pointer",
  ARRAY: "array",
  FUNCTION: "function",
} as const satisfies Record<string, TypeKind>;

/** Type qualifiers, combined as a bitmask. */
export const Qualifiers = {
  NONE: 0,
  CONST: 1,
  VOLATILE: 2,
  RESTRICT: 4,
  ATOMIC: 8,
} as const;

/** Source language of a type or program. */
export type Language = "C" | "C++";

/** drgn's `Language` members, as Wyvern spells languages (`Language.CPP === "C++"`). */
export const Language = { C: "C", CPP: "C++" } as const satisfies Record<string, Language>;

/** Something that is either a value or a function computing it on first use. */
export type Lazy<T> = T | (() => T);

/** A member of a struct, union or class type. */
export class TypeMember {
  /** Member name, or `null` for an anonymous member. */
  readonly name: string | null;
  /** Offset from the start of the containing type, in bits. */
  readonly bitOffset: number;
  /** Size in bits if this is a bit field, else `null`. */
  readonly bitFieldSize: number | null;
  #type: Lazy<Type>;

  constructor(
    type: Lazy<Type>,
    name: string | null,
    bitOffset = 0,
    bitFieldSize: number | null = null,
  ) {
    this.#type = type;
    this.name = name;
    this.bitOffset = bitOffset;
    this.bitFieldSize = bitFieldSize;
  }

  // (Not a shared base class: V8 constructs a derived class's instances
  // 2.5 times slower, and types have many members.)
  /** The member's type (resolved on first access). */
  get type(): Type {
    const t = this.#type;
    return typeof t === "function" ? (this.#type = t()) : t;
  }

  /** Offset in bytes; throws if the member is not byte-aligned. */
  get offset(): number {
    if (this.bitOffset % 8 !== 0) throw new TypeError("member is not byte-aligned");
    return this.bitOffset / 8;
  }
}

/** Where a virtual base of the object at `address` is (see {@link TypeBase.locate}). */
export type VirtualBaseLocator = (
  address: bigint,
  readMemory: (address: bigint, size: number) => Uint8Array,
) => bigint;

/** C++ access to a base class (or a member). */
export type Accessibility = "public" | "protected" | "private";

/**
 * A base class of a C++ struct or class (DWARF's `DW_TAG_inheritance`).
 * Its members are members of the derived type too: {@link Type.member} and
 * an object's member properties find them (drgn 0.0.22 reads no base
 * classes).
 */
export class TypeBase {
  /** Offset of the base subobject in the derived type, in bits; `null` for a virtual base (it depends on the object). */
  readonly bitOffset: number | null;
  /** Whether the base is virtual. */
  readonly isVirtual: boolean;
  /** `public`, `protected` or `private` inheritance. */
  readonly accessibility: Accessibility;
  /**
   * For a virtual base: the address of the base subobject of the object at
   * `address` (DWARF's location expression, which reads the object's
   * vtable through `readMemory`); null if unknown.
   */
  readonly locate: VirtualBaseLocator | null;
  #type: Lazy<Type>;

  constructor(
    type: Lazy<Type>,
    bitOffset: number | null,
    accessibility: Accessibility = "public",
    isVirtual = false,
    locate: VirtualBaseLocator | null = null,
  ) {
    this.#type = type;
    this.bitOffset = bitOffset;
    this.accessibility = accessibility;
    this.isVirtual = isVirtual;
    this.locate = locate;
  }

  /** The base class (resolved on first access). */
  get type(): Type {
    const t = this.#type;
    return typeof t === "function" ? (this.#type = t()) : t;
  }
}

/** An enumerator of an enum type. */
export class TypeEnumerator {
  readonly name: string;
  readonly value: bigint;
  constructor(name: string, value: bigint) {
    this.name = name;
    this.value = value;
  }
}

/** A parameter of a function type. */
export class TypeParameter {
  readonly name: string | null;
  #type: Lazy<Type>;
  constructor(type: Lazy<Type>, name: string | null = null) {
    this.#type = type;
    this.name = name;
  }
  /** The parameter's type (resolved on first access). */
  get type(): Type {
    const t = this.#type;
    return typeof t === "function" ? (this.#type = t()) : t;
  }
}

/** What {@link Type.member} returns: a member found by name, possibly inside anonymous members. */
export interface MemberInfo {
  /** The member's type. */
  readonly type: Type;
  /** Offset from the start of the outer type, in bits (anonymous parents included). */
  readonly bitOffset: number;
  /** Bit-field size, or `null`. */
  readonly bitFieldSize: number | null;
  /** The member's name. */
  readonly name: string;
}

/** Construction options for a type (the fields that apply to its kind). */
export interface TypeInit {
  kind: TypeKind;
  language?: Language;
  /** Name of a void/int/bool/float/complex/typedef type. */
  name?: string | null;
  /** Tag of a struct/union/class/enum type, `null` if anonymous. */
  tag?: string | null;
  /** Size in bytes (int/bool/float/complex/struct/union/class/enum/pointer). `null` if incomplete. */
  size?: number | null;
  /** Array length, `null` for an incomplete array (`x[]`). */
  length?: number | null;
  /** Signedness of an int type. */
  isSigned?: boolean;
  /** Pointee, element, aliased, return, compatible (enum) or real (complex) type. */
  type?: Lazy<Type> | null;
  members?: Lazy<readonly TypeMember[]> | null;
  /** Base classes of a C++ struct or class (default none). */
  bases?: Lazy<readonly TypeBase[]>;
  enumerators?: Lazy<readonly TypeEnumerator[]> | null;
  parameters?: Lazy<readonly TypeParameter[]>;
  isVariadic?: boolean;
  /** Byte order, for scalar types; default little-endian. */
  littleEndian?: boolean;
  /** Where the type came from, for ambiguity reports (a file name). */
  origin?: string;
}

/** drgn's `PrimitiveType` members (see {@link Type.primitive}). */
export type PrimitiveTypeName =
  | "C_CHAR"
  | "C_SIGNED_CHAR"
  | "C_UNSIGNED_CHAR"
  | "C_SHORT"
  | "C_UNSIGNED_SHORT"
  | "C_INT"
  | "C_UNSIGNED_INT"
  | "C_LONG"
  | "C_UNSIGNED_LONG"
  | "C_LONG_LONG"
  | "C_UNSIGNED_LONG_LONG"
  | "C_BOOL"
  | "C_FLOAT"
  | "C_DOUBLE"
  | "C_LONG_DOUBLE"
  | "C_SIZE_T"
  | "C_PTRDIFF_T"
  | "C_VOID";

/** drgn's `PrimitiveType` members, as {@link Type.primitive} spells them. */
export const PrimitiveType: { readonly [K in PrimitiveTypeName]: K } = {
  C_CHAR: "C_CHAR",
  C_SIGNED_CHAR: "C_SIGNED_CHAR",
  C_UNSIGNED_CHAR: "C_UNSIGNED_CHAR",
  C_SHORT: "C_SHORT",
  C_UNSIGNED_SHORT: "C_UNSIGNED_SHORT",
  C_INT: "C_INT",
  C_UNSIGNED_INT: "C_UNSIGNED_INT",
  C_LONG: "C_LONG",
  C_UNSIGNED_LONG: "C_UNSIGNED_LONG",
  C_LONG_LONG: "C_LONG_LONG",
  C_UNSIGNED_LONG_LONG: "C_UNSIGNED_LONG_LONG",
  C_BOOL: "C_BOOL",
  C_FLOAT: "C_FLOAT",
  C_DOUBLE: "C_DOUBLE",
  C_LONG_DOUBLE: "C_LONG_DOUBLE",
  C_SIZE_T: "C_SIZE_T",
  C_PTRDIFF_T: "C_PTRDIFF_T",
  C_VOID: "C_VOID",
};

/** Canonical C spelling → drgn's `PrimitiveType` member. */
const PRIMITIVE_NAMES: Record<string, PrimitiveTypeName> = {
  "char": "C_CHAR",
  "signed char": "C_SIGNED_CHAR",
  "unsigned char": "C_UNSIGNED_CHAR",
  "short": "C_SHORT",
  "unsigned short": "C_UNSIGNED_SHORT",
  "int": "C_INT",
  "unsigned int": "C_UNSIGNED_INT",
  "long": "C_LONG",
  "unsigned long": "C_UNSIGNED_LONG",
  "long long": "C_LONG_LONG",
  "unsigned long long": "C_UNSIGNED_LONG_LONG",
  "_Bool": "C_BOOL",
  "float": "C_FLOAT",
  "double": "C_DOUBLE",
  "long double": "C_LONG_DOUBLE",
};

let nextCoreId = 1;
const NO_BASES: readonly TypeBase[] = Object.freeze([]);

/**
 * What qualified variants of one type share: the definition and caches.
 * Scripts do not use this directly.
 */
export class TypeCore {
  readonly id: number = nextCoreId++;
  readonly kind: TypeKind;
  readonly language: Language;
  readonly name: string | null;
  readonly tag: string | null;
  readonly size: number | null;
  readonly length: number | null;
  readonly isSigned: boolean;
  readonly isVariadic: boolean;
  readonly littleEndian: boolean;
  readonly origin: string | undefined;
  #type: Lazy<Type> | null;
  #members: Lazy<readonly TypeMember[]> | null;
  #bases: Lazy<readonly TypeBase[]>;
  #enumerators: Lazy<readonly TypeEnumerator[]> | null;
  #parameters: Lazy<readonly TypeParameter[]>;
  /** Qualified variants, indexed by qualifier bitmask. */
  readonly variants: (Type | undefined)[] = [];
  /** Member lookup cache (`name` → info or null when missing). */
  memberCache: Map<string, MemberInfo | null> | undefined;
  /** Free slots for other layers' per-type caches (formatters, parsers). */
  readonly slots: Map<string, unknown> = new Map();

  /**
   * The per-type cache entry `key` of {@link slots}, made by `build` the first
   * time (the key names the layer, so the type of its value is the caller's).
   */
  slot<T>(key: string, build: () => T): T {
    let v = this.slots.get(key) as T | undefined;
    if (v === undefined) {
      v = build();
      this.slots.set(key, v);
    }
    return v;
  }
  /** Cache slot of the object layer: the object class generated for this type. */
  objectClass: unknown = undefined;
  /** Cache slot of the object layer: how values of this type are read. */
  readPlan: unknown = undefined;

  constructor(init: TypeInit) {
    this.kind = init.kind;
    this.language = init.language ?? "C";
    this.name = init.name ?? null;
    this.tag = init.tag ?? null;
    this.size = init.size ?? null;
    this.length = init.length ?? null;
    this.isSigned = init.isSigned ?? false;
    this.isVariadic = init.isVariadic ?? false;
    this.littleEndian = init.littleEndian ?? true;
    this.origin = init.origin;
    this.#type = init.type ?? null;
    this.#members = init.members ?? null;
    this.#bases = init.bases ?? NO_BASES;
    this.#enumerators = init.enumerators ?? null;
    this.#parameters = init.parameters ?? [];
  }

  get type(): Type | null {
    const t = this.#type;
    if (typeof t === "function") {
      const r = t();
      this.#type = r;
      return r;
    }
    return t;
  }

  get members(): readonly TypeMember[] | null {
    const m = this.#members;
    if (typeof m === "function") {
      const r = m();
      this.#members = r;
      return r;
    }
    return m;
  }

  get bases(): readonly TypeBase[] {
    const b = this.#bases;
    if (typeof b === "function") {
      const r = b();
      this.#bases = r;
      return r;
    }
    return b;
  }

  get enumerators(): readonly TypeEnumerator[] | null {
    const e = this.#enumerators;
    if (typeof e === "function") {
      const r = e();
      this.#enumerators = r;
      return r;
    }
    return e;
  }

  get parameters(): readonly TypeParameter[] {
    const p = this.#parameters;
    if (typeof p === "function") {
      const r = p();
      this.#parameters = r;
      return r;
    }
    return p;
  }
}

/** The kinds with members. */
export type CompoundKind = "struct" | "union" | "class";

/** True for struct, union and class kinds. */
export function isCompoundKind(kind: TypeKind): kind is CompoundKind {
  return kind === "struct" || kind === "union" || kind === "class";
}

/** The kinds with a byte size. */
function hasSize(kind: TypeKind): boolean {
  switch (kind) {
    case "int":
    case "bool":
    case "float":
    case "complex":
    case "struct":
    case "union":
    case "class":
    case "enum":
    case "pointer":
      return true;
    default:
      return false;
  }
}

/** Set by format_type.ts: renders a type's C definition (avoids an import cycle). */
let formatDefinition: ((t: Type) => string) | undefined;
/** Set by format_type.ts: renders a type's name. */
let formatName: ((t: Type) => string) | undefined;

/** Installs the C formatters (called once by `format_type.ts`). */
export function setTypeFormatters(def: (t: Type) => string, name: (t: Type) => string): void {
  formatDefinition = def;
  formatName = name;
}

/**
 * A C type. Kind-specific attributes throw a `TypeError` on kinds that lack
 * them (drgn raises `ValueError` there), so scripts read them without
 * narrowing.
 */
export class Type {
  /** The shared definition. */
  readonly core: TypeCore;
  /** Qualifier bitmask ({@link Qualifiers}). */
  readonly qualifiers: number;

  constructor(init: TypeInit | TypeCore, qualifiers = 0) {
    this.core = init instanceof TypeCore ? init : new TypeCore(init);
    this.qualifiers = qualifiers;
    if (qualifiers === 0 && this.core.variants[0] === undefined) this.core.variants[0] = this;
  }

  /** The type's kind. */
  get kind(): TypeKind {
    return this.core.kind;
  }
  /** Source language. */
  get language(): Language {
    return this.core.language;
  }

  /** Name of a void, int, bool, float, complex or typedef type. */
  get name(): string {
    const c = this.core;
    if (c.kind === "void") return "void";
    if (
      c.kind === "int" || c.kind === "bool" || c.kind === "float" || c.kind === "complex" ||
      c.kind === "typedef"
    ) {
      return c.name ?? "";
    }
    throw new TypeError(`${c.kind} type does not have a name`);
  }

  /** Tag of a struct, union, class or enum type (`null` if anonymous). */
  get tag(): string | null {
    const c = this.core;
    if (!isCompoundKind(c.kind) && c.kind !== "enum") {
      throw new TypeError(`${c.kind} type does not have a tag`);
    }
    return c.tag;
  }

  /** Size in bytes; throws for kinds without a size. `null` for incomplete types. */
  get size(): number | null {
    const c = this.core;
    if (!hasSize(c.kind)) throw new TypeError(`${c.kind} type does not have a size`);
    return c.size;
  }

  /** Length of an array type (`null` if incomplete). */
  get length(): number | null {
    const c = this.core;
    if (c.kind !== "array") throw new TypeError(`${c.kind} type does not have a length`);
    return c.length;
  }

  /** Signedness of an int type. */
  get isSigned(): boolean {
    const c = this.core;
    if (c.kind !== "int") throw new TypeError(`${c.kind} type does not have a signedness`);
    return c.isSigned;
  }

  /** Byte order of a scalar type. */
  get littleEndian(): boolean {
    return this.core.littleEndian;
  }

  /**
   * drgn's `byteorder`: `"little"` or `"big"`, for int, bool, float and
   * pointer types (a TypeError for other kinds, as drgn raises).
   */
  get byteorder(): "little" | "big" {
    const c = this.core;
    if (c.kind !== "int" && c.kind !== "bool" && c.kind !== "float" && c.kind !== "pointer") {
      throw new TypeError(`${c.kind} type does not have a byte order`);
    }
    return c.littleEndian ? "little" : "big";
  }

  /**
   * drgn's `primitive`: the C primitive type this is, as drgn's
   * `PrimitiveType` member name (`"C_INT"`, `"C_UNSIGNED_LONG"`,
   * `"C_SIZE_T"`, `"C_VOID"`…), or null. An int, bool or float type is
   * primitive when its name is a C specifier list of that kind (and, for
   * ints other than plain `char`, the same signedness), whatever its size;
   * a typedef when it is named `size_t` or `ptrdiff_t`.
   */
  get primitive(): PrimitiveTypeName | null {
    const c = this.core;
    switch (c.kind) {
      case "void":
        return "C_VOID";
      case "typedef":
        return c.name === "size_t" ? "C_SIZE_T" : c.name === "ptrdiff_t" ? "C_PTRDIFF_T" : null;
      case "int":
      case "bool":
      case "float": {
        const p = c.name === null ? null : parsePrimitive(c.name);
        if (p === null || p.kind !== c.kind) return null;
        if (c.kind === "int" && p.isSigned !== null && p.isSigned !== c.isSigned) return null;
        return PRIMITIVE_NAMES[p.name] ?? null;
      }
    }
    return null;
  }

  /**
   * The referenced type: pointee (pointer), element (array), aliased
   * (typedef), return (function), compatible integer (enum; `null` if the
   * enum is incomplete), real type (complex).
   */
  get type(): Type {
    const c = this.core;
    const k = c.kind;
    if (
      k !== "pointer" && k !== "array" && k !== "typedef" && k !== "function" && k !== "enum" &&
      k !== "complex"
    ) {
      throw new TypeError(`${k} type does not have a wrapped type`);
    }
    const t = c.type;
    if (t === null) {
      // An incomplete enum has no compatible type (drgn returns None).
      if (k === "enum") return null as unknown as Type;
      throw new TypeError(`${k} type has no referenced type`);
    }
    return t;
  }

  /** Members of a struct, union or class type (`null` if incomplete). */
  get members(): readonly TypeMember[] | null {
    const c = this.core;
    if (!isCompoundKind(c.kind)) throw new TypeError(`${c.kind} type does not have members`);
    return c.members;
  }

  /**
   * Base classes of a struct, union or class type, in declaration order
   * (C++; empty for C). {@link members} are the type's own members only.
   */
  get bases(): readonly TypeBase[] {
    const c = this.core;
    if (!isCompoundKind(c.kind)) throw new TypeError(`${c.kind} type does not have base classes`);
    return c.bases;
  }

  /** Enumerators of an enum type (`null` if incomplete). */
  get enumerators(): readonly TypeEnumerator[] | null {
    const c = this.core;
    if (c.kind !== "enum") throw new TypeError(`${c.kind} type does not have enumerators`);
    return c.enumerators;
  }

  /** Parameters of a function type. */
  get parameters(): readonly TypeParameter[] {
    const c = this.core;
    if (c.kind !== "function") throw new TypeError(`${c.kind} type does not have parameters`);
    return c.parameters;
  }

  /** Whether a function type takes variable arguments. */
  get isVariadic(): boolean {
    const c = this.core;
    if (c.kind !== "function") throw new TypeError(`${c.kind} type cannot be variadic`);
    return c.isVariadic;
  }

  /** Whether the type is complete (has a size, members, enumerators or a length). */
  isComplete(): boolean {
    const c = this.core;
    switch (c.kind) {
      case "void":
      case "function":
        return false;
      case "struct":
      case "union":
      case "class":
        return c.members !== null;
      case "enum":
        return c.enumerators !== null;
      case "array":
        return c.length !== null && this.type.isComplete();
      case "typedef":
        return this.type.isComplete();
      default:
        return true;
    }
  }

  /** The same type with no qualifiers. */
  unqualified(): Type {
    return this.qualifiers === 0 ? this : qualifiedType(this.core, 0);
  }

  /** The same type with exactly `qualifiers`. */
  qualified(qualifiers: number): Type {
    return qualifiers === this.qualifiers ? this : qualifiedType(this.core, qualifiers);
  }

  /** Whether this struct/union/class (or typedef of one) has a member named `name`. */
  hasMember(name: string): boolean {
    return findMember(this, name) !== null;
  }

  /** Looks up a member by name, through anonymous members; throws `LookupError`-like TypeError if missing. */
  member(name: string): MemberInfo {
    const m = findMember(this, name);
    if (m === null) {
      throw new TypeError(`'${typeNameOf(this)}' has no member '${name}'`);
    }
    return m;
  }

  /** The type's name as C spells it (`struct list_head *`, `int [4]`). */
  typeName(): string {
    if (!formatName) throw new Error("type formatter not loaded");
    return formatName(this);
  }

  /** The type's C definition, as drgn prints it. */
  toString(): string {
    if (!formatDefinition) throw new Error("type formatter not loaded");
    return formatDefinition(this);
  }

  /** For `console.log` / Deno.inspect. */
  [Symbol.for("Deno.customInspect")](): string {
    return `prog.type(${JSON.stringify(this.typeName())})`;
  }
}

function qualifiedType(core: TypeCore, q: number): Type {
  const v = core.variants[q];
  if (v !== undefined) return v;
  const t = new Type(core, q);
  core.variants[q] = t;
  return t;
}

function typeNameOf(t: Type): string {
  try {
    return t.typeName();
  } catch {
    return t.kind;
  }
}

/** Strips typedefs (not qualifiers) until a non-typedef type. */
export function underlyingType(t: Type): Type {
  let c = t;
  let n = 0;
  while (c.core.kind === "typedef") {
    c = c.type;
    if (++n > 1000) throw new TypeError("typedef cycle");
  }
  return c;
}

/**
 * Finds a member by name in a struct/union/class type (through typedefs and
 * anonymous members). Returns `null` if missing; throws for non-compound types.
 */
export function findMember(t: Type, name: string): MemberInfo | null {
  const u = underlyingType(t);
  const core = u.core;
  if (!isCompoundKind(core.kind)) {
    throw new TypeError(`'${typeNameOf(t)}' is not a structure, union, or class`);
  }
  let cache = core.memberCache;
  if (cache === undefined) {
    cache = new Map();
    core.memberCache = cache;
  } else {
    const hit = cache.get(name);
    if (hit !== undefined) return hit;
  }
  const found = searchMember(core, name, 0, 0);
  cache.set(name, found);
  return found;
}

function searchMember(
  core: TypeCore,
  name: string,
  base: number,
  depth: number,
): MemberInfo | null {
  const members = core.members;
  if (members === null || depth > 64) return null;
  for (const m of members) {
    if (m.name === name) {
      return { type: m.type, bitOffset: base + m.bitOffset, bitFieldSize: m.bitFieldSize, name };
    }
  }
  for (const m of members) {
    if (m.name === null || m.name === "") {
      const inner = underlyingType(m.type);
      if (isCompoundKind(inner.core.kind)) {
        const r = searchMember(inner.core, name, base + m.bitOffset, depth + 1);
        if (r !== null) return r;
      }
    }
  }
  // Then the base classes', in declaration order (a virtual base's offset
  // depends on the object: its members are not found here).
  for (const b of core.bases) {
    if (b.bitOffset === null) continue;
    const r = searchMember(underlyingType(b.type).core, name, base + b.bitOffset, depth + 1);
    if (r !== null) return r;
  }
  return null;
}

/**
 * `sizeof(type)` in bytes. Throws `TypeError` for incomplete types, void and
 * functions (as C does).
 */
export function sizeOf(t: Type): number {
  let u = t;
  for (let n = 0;; n++) {
    const c = u.core;
    switch (c.kind) {
      case "typedef":
        u = u.type;
        if (n > 1000) throw new TypeError("typedef cycle");
        continue;
      case "array": {
        if (c.length === null) {
          throw new TypeError(`cannot get size of incomplete array type`);
        }
        return c.length * sizeOf(u.type);
      }
      case "void":
        throw new TypeError("cannot get size of incomplete void type");
      case "function":
        throw new TypeError("cannot get size of function type");
      default:
        if (c.size === null) {
          throw new TypeError(`cannot get size of incomplete ${c.kind} type`);
        }
        return c.size;
    }
  }
}

/** Bit size of a type (for bit fields and integer conversions). */
export function bitSizeOf(t: Type): number {
  return sizeOf(t) * 8;
}

/** True for int, bool and enum types (after typedefs). */
export function isInteger(t: Type): boolean {
  const k = underlyingType(t).core.kind;
  return k === "int" || k === "bool" || k === "enum";
}

/** True for integer and floating types. */
export function isArithmetic(t: Type): boolean {
  const k = underlyingType(t).core.kind;
  return k === "int" || k === "bool" || k === "enum" || k === "float";
}

/** True for arithmetic and pointer types. */
export function isScalar(t: Type): boolean {
  const k = underlyingType(t).core.kind;
  return k === "int" || k === "bool" || k === "enum" || k === "float" || k === "pointer";
}

/** True for pointer types (after typedefs). */
export function isPointer(t: Type): boolean {
  return underlyingType(t).core.kind === "pointer";
}

/**
 * Constructors for each kind, drgn's `prog.int_type()` etc. in
 * TypeScript. Each returns a new unqualified type.
 */
export const makeType = {
  void(language: Language = "C"): Type {
    return new Type({ kind: "void", language, name: "void" });
  },
  int(name: string, size: number, isSigned: boolean, littleEndian = true): Type {
    return new Type({ kind: "int", name, size, isSigned, littleEndian });
  },
  bool(name: string, size: number, littleEndian = true): Type {
    return new Type({ kind: "bool", name, size, littleEndian });
  },
  float(name: string, size: number, littleEndian = true): Type {
    return new Type({ kind: "float", name, size, littleEndian });
  },
  complex(name: string, size: number, real: Lazy<Type>): Type {
    return new Type({ kind: "complex", name, size, type: real });
  },
  struct(
    tag: string | null,
    size: number | null,
    members: Lazy<readonly TypeMember[]> | null,
    kind: CompoundKind = "struct",
  ): Type {
    return new Type({ kind, tag, size, members });
  },
  enum(
    tag: string | null,
    compatible: Lazy<Type> | null,
    enumerators: Lazy<readonly TypeEnumerator[]> | null,
  ): Type {
    const compat = compatible === null ? null : compatible;
    let size: number | null = null;
    if (compat !== null && typeof compat !== "function") size = compat.core.size;
    return new Type({ kind: "enum", tag, size, type: compat, enumerators });
  },
  typedef(name: string, aliased: Lazy<Type>): Type {
    return new Type({ kind: "typedef", name, type: aliased });
  },
  pointer(pointee: Lazy<Type>, size = 8, littleEndian = true): Type {
    return new Type({ kind: "pointer", size, type: pointee, littleEndian });
  },
  array(element: Lazy<Type>, length: number | null): Type {
    return new Type({ kind: "array", length, type: element });
  },
  function(
    returnType: Lazy<Type>,
    parameters: Lazy<readonly TypeParameter[]>,
    isVariadic = false,
  ): Type {
    return new Type({ kind: "function", type: returnType, parameters, isVariadic });
  },
};
