/**
 * DIE → {@link Type} conversion. Types are cached by DIE; struct, union,
 * class and enum types enter the cache before their children are read, and
 * member and parameter types are resolved lazily, so cyclic type graphs
 * terminate and only what is used gets converted. Other cycles (a typedef or
 * pointer chain that reaches itself without a tagged type) are malformed and
 * throw a {@link DecodeError}.
 *
 * @module
 */

import { DecodeError } from "../errors.ts";
import {
  type Language,
  Qualifiers,
  Type,
  TypeBase,
  TypeEnumerator,
  type TypeKind,
  TypeMember,
  TypeParameter,
} from "../types/type.ts";
import { canonicalBaseTypeName } from "./base_type_names.ts";
import { DW_AT, DW_ATE, DW_END, DW_FORM, DW_LANG, DW_OP, DW_TAG, dwName } from "./constants.ts";
import type { Die, DieReader, DieRef } from "./die.ts";
import { evaluateValue } from "./expr.ts";
import type { MemberLayoutCache } from "./layout_cache.ts";

/** Finds the DIE of a complete definition for a declaration (struct/union/class/enum). */
export type DeclarationResolver = (tag: number, name: string, declaration: DieRef) => DieRef | null;

/**
 * For a complete definition of a named struct/union/enum, the DIE of the
 * same definition as the file's name index keeps it (another unit's copy of
 * the same header's type), or null if `definition` is that one or none is
 * known to be the same.
 */
export type DefinitionCanonicalizer = (
  tag: number,
  name: string,
  definition: DieRef,
) => DieRef | null;

/**
 * Finds the complete definition of a declared struct/union/class/enum in
 * another file (another module of the program), or null.
 */
export type ExternalTypeResolver = (
  kind: "struct" | "union" | "class" | "enum",
  name: string,
) => Type | null;

/** Options of a {@link TypeReader}. */
export interface TypeReaderOptions {
  /** Where types come from (a file name), for `Type.origin`. */
  origin?: string;
  /** Resolves declarations to definitions elsewhere in the file (as drgn does). */
  resolveDeclaration?: DeclarationResolver;
  /** Then in other files (as drgn does, over all the program's modules). */
  resolveExternal?: ExternalTypeResolver;
  /**
   * Makes the copies of a C type definition that units repeat (every unit
   * including a header repeats its types) one {@link Type}: parsed once,
   * with one member table and one object class.
   */
  canonicalDefinition?: DefinitionCanonicalizer;
  /** Member layouts of big C structures and unions kept across sessions. */
  layouts?: MemberLayoutCache;
}

/**
 * Members from which a C structure's or union's layout is saved (see
 * `layout_cache.ts`): below, parsing them costs less than a table lookup
 * repays.
 */
export const LAYOUT_MIN_MEMBERS = 32;

const KIND_OF_DECLARED_TAG: Record<number, "struct" | "union" | "class" | "enum"> = {
  [DW_TAG.structure_type]: "struct",
  [DW_TAG.union_type]: "union",
  [DW_TAG.class_type]: "class",
  [DW_TAG.enumeration_type]: "enum",
};

/** The `Language` of a `DW_LANG` code. */
export function languageOf(lang: number): Language {
  switch (lang) {
    case DW_LANG.C_plus_plus:
    case DW_LANG.C_plus_plus_03:
    case DW_LANG.C_plus_plus_11:
    case DW_LANG.C_plus_plus_14:
    case DW_LANG.ObjC_plus_plus:
      return "C++";
    default:
      return "C";
  }
}

const MAX_DEPTH = 2000;

/**
 * Size from which a structure or union read in one unit is the type of the
 * copy of the definition the index keeps (`canonicalDefinition`): that
 * costs an index lookup and two units' file tables, which a big type's
 * members (parsed again, and its objects' accessors made again) repay
 * (`task_struct`: ~1 ms of a warm start), and a small one's do not (a
 * stack trace of every task, reading small types in many units, was 2 %
 * slower when every type was looked up).
 */
const SHARED_MIN_SIZE = 256;

/** Converts DIEs of one file to {@link Type}s. */
export class TypeReader {
  readonly reader: DieReader;
  readonly #origin: string | undefined;
  readonly #resolve: DeclarationResolver | undefined;
  readonly #external: ExternalTypeResolver | undefined;
  readonly #canonical: DefinitionCanonicalizer | undefined;
  readonly #layouts: MemberLayoutCache | undefined;
  readonly #cache = new Map<DieRef, Type>();
  readonly #inProgress = new Set<DieRef>();
  readonly #voids = new Map<Language, Type>();
  #depth = 0;

  constructor(reader: DieReader, opts: TypeReaderOptions = {}) {
    this.reader = reader;
    this.#origin = opts.origin;
    this.#resolve = opts.resolveDeclaration;
    this.#external = opts.resolveExternal;
    this.#canonical = opts.canonicalDefinition;
    this.#layouts = opts.layouts;
  }

  /** The `void` type of a language. */
  void(language: Language = "C"): Type {
    let v = this.#voids.get(language);
    if (v === undefined) {
      v = new Type({ kind: "void", language, name: "void" });
      this.#voids.set(language, v);
    }
    return v;
  }

  /** The type a DIE describes (`DW_TAG_*_type`, `typedef`, `subprogram`, …). */
  typeFromDie(ref: DieRef): Type {
    const hit = this.#cache.get(ref);
    if (hit !== undefined) return hit;
    if (this.#inProgress.has(ref)) {
      const die = this.reader.die(ref);
      throw new DecodeError(die.sectionName, die.offset, "cycle in type graph");
    }
    const die = this.reader.die(ref);
    if (this.#depth >= MAX_DEPTH) {
      throw new DecodeError(die.sectionName, die.offset, "type nesting too deep");
    }
    this.#depth++;
    this.#inProgress.add(ref);
    try {
      const t = this.#convert(die, ref);
      this.#cache.set(ref, t);
      return t;
    } finally {
      this.#inProgress.delete(ref);
      this.#depth--;
    }
  }

  /** The type named by `die`'s `DW_AT_type` (or `at`), or `void` if it has none. */
  typeOf(die: Die, at: number = DW_AT.type): Type {
    const r = die.ref(at);
    return r === null ? this.void(languageOf(die.info.language)) : this.typeFromDie(r);
  }

  #lang(die: Die): Language {
    return languageOf(die.info.language);
  }

  #error(die: Die, message: string): never {
    throw new DecodeError(die.sectionName, die.offset, `${dwName("DW_TAG", die.tag)}: ${message}`);
  }

  #convert(die: Die, ref: DieRef): Type {
    // A type whose definition is in a type unit (gcc -fdebug-types-section):
    // a stub with only DW_AT_signature stands for the unit's type.
    const sig = die.ref(DW_AT.signature);
    if (sig !== null && sig !== ref) return this.typeFromDie(sig);
    const tag = die.tag;
    switch (tag) {
      case DW_TAG.base_type:
        return this.#baseType(die);
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
      case DW_TAG.rvalue_reference_type:
      case DW_TAG.ptr_to_member_type:
        return new Type({
          kind: "pointer",
          language: this.#lang(die),
          size: die.udata(DW_AT.byte_size) ?? die.unit.addressSize,
          type: this.typeOf(die),
          littleEndian: this.reader.littleEndian,
          origin: this.#origin,
        });
      case DW_TAG.const_type:
        return this.#qualified(die, Qualifiers.CONST);
      case DW_TAG.volatile_type:
        return this.#qualified(die, Qualifiers.VOLATILE);
      case DW_TAG.restrict_type:
        return this.#qualified(die, Qualifiers.RESTRICT);
      case DW_TAG.atomic_type:
        return this.#qualified(die, Qualifiers.ATOMIC);
      case DW_TAG.immutable_type:
      case DW_TAG.packed_type:
      case DW_TAG.shared_type:
        return this.typeOf(die);
      case DW_TAG.typedef:
      case DW_TAG.template_alias:
        return new Type({
          kind: "typedef",
          language: this.#lang(die),
          name: die.name ?? this.#error(die, "missing DW_AT_name"),
          type: this.typeOf(die),
          origin: this.#origin,
        });
      case DW_TAG.structure_type:
        return this.#compound(die, ref, "struct");
      case DW_TAG.union_type:
        return this.#compound(die, ref, "union");
      case DW_TAG.class_type:
        return this.#compound(die, ref, "class");
      case DW_TAG.enumeration_type:
        return this.#enum(die, ref);
      case DW_TAG.array_type:
        return this.#array(die);
      case DW_TAG.subroutine_type:
      case DW_TAG.subprogram:
        return this.#function(die);
      case DW_TAG.unspecified_type:
        return this.void(this.#lang(die));
      case DW_TAG.subrange_type:
        return this.typeOf(die);
      default:
        return this.#error(die, "not a type");
    }
  }

  #qualified(die: Die, q: number): Type {
    const t = this.typeOf(die);
    return t.qualified(t.qualifiers | q);
  }

  #baseType(die: Die): Type {
    const name = die.name;
    if (name === null) this.#error(die, "missing DW_AT_name");
    const size = die.udata(DW_AT.byte_size);
    if (size === null || size < 0) this.#error(die, "missing or invalid DW_AT_byte_size");
    const enc = die.udata(DW_AT.encoding);
    const le = this.#byteOrder(die);
    const language = this.#lang(die);
    const origin = this.#origin;
    switch (enc) {
      case DW_ATE.boolean:
        return new Type({
          kind: "bool",
          language,
          name: canonicalBaseTypeName(name, "bool", false),
          size,
          littleEndian: le,
          origin,
        });
      case DW_ATE.float:
        return new Type({
          kind: "float",
          language,
          name: canonicalBaseTypeName(name, "float", true),
          size,
          littleEndian: le,
          origin,
        });
      case DW_ATE.complex_float: {
        const realName = realNameOfComplex(name, size);
        const real = new Type({
          kind: "float",
          language,
          name: canonicalBaseTypeName(realName, "float", true),
          size: size / 2,
          littleEndian: le,
          origin,
        });
        return new Type({
          kind: "complex",
          language,
          name,
          size,
          type: real,
          littleEndian: le,
          origin,
        });
      }
      case DW_ATE.signed:
      case DW_ATE.signed_char:
      case DW_ATE.unsigned:
      case DW_ATE.unsigned_char:
      case DW_ATE.UTF:
      case DW_ATE.ASCII:
      case DW_ATE.UCS:
      case DW_ATE.address: {
        const isSigned = enc === DW_ATE.signed || enc === DW_ATE.signed_char;
        return new Type({
          kind: "int",
          language,
          name: canonicalBaseTypeName(name, "int", isSigned),
          size,
          isSigned,
          littleEndian: le,
          origin,
        });
      }
      default:
        return this.#error(
          die,
          enc === null ? "missing DW_AT_encoding" : `unsupported encoding ${dwName("DW_ATE", enc)}`,
        );
    }
  }

  #byteOrder(die: Die): boolean {
    const e = die.udata(DW_AT.endianity);
    if (e === DW_END.big) return false;
    if (e === DW_END.little) return true;
    return this.reader.littleEndian;
  }

  /** For a declaration: the definition's type, if a resolver finds one (this file's first). */
  #resolved(die: Die, ref: DieRef, name: string | null): Type | null {
    if (name === null || !die.flag(DW_AT.declaration)) return null;
    if (this.#resolve !== undefined) {
      const def = this.#resolve(die.tag, name, ref);
      if (def !== null && def !== ref) return this.typeFromDie(def);
    }
    const kind = KIND_OF_DECLARED_TAG[die.tag];
    if (kind === undefined || this.#external === undefined) return null;
    return this.#external(kind, name);
  }

  /**
   * For a C structure or union repeated by other units: the type of the copy
   * the index keeps (see {@link SHARED_MIN_SIZE}).
   */
  #shared(die: Die, ref: DieRef, name: string | null, language: Language): Type | null {
    if (name === null || language === "C++" || this.#canonical === undefined) return null;
    const canonical = this.#canonical(die.tag, name, ref);
    return canonical === null || canonical === ref ? null : this.typeFromDie(canonical);
  }

  #compound(die: Die, ref: DieRef, kind: "struct" | "union" | "class"): Type {
    const tag = die.name;
    const resolved = this.#resolved(die, ref, tag);
    if (resolved !== null) return resolved;
    const language = this.#lang(die);
    if (die.flag(DW_AT.declaration)) {
      return new Type({ kind, language, tag, size: null, members: null, origin: this.#origin });
    }
    const size = die.udata(DW_AT.byte_size);
    if (size === null) {
      return new Type({ kind, language, tag, size: null, members: null, origin: this.#origin });
    }
    if (size < 0) this.#error(die, "invalid DW_AT_byte_size");
    if (language !== "C++") {
      const shared = size >= SHARED_MIN_SIZE ? this.#shared(die, ref, tag, language) : null;
      if (shared !== null) return shared;
      return new Type({
        kind,
        language,
        tag,
        size,
        members: () => this.#layoutMembers(die, ref, language),
        origin: this.#origin,
      });
    }
    // C++: base classes too, read in the same pass as the members.
    let layout: [TypeMember[], TypeBase[]] | undefined;
    const read = () => {
      if (layout === undefined) {
        const bases: TypeBase[] = [];
        layout = [this.#members(die, (b) => bases.push(b)), bases];
      }
      return layout;
    };
    return new Type({
      kind,
      language,
      tag,
      size,
      members: () => read()[0],
      bases: () => read()[1],
      origin: this.#origin,
    });
  }

  /** A `DW_TAG_inheritance` child of `parent` (a C++ base class). */
  #base(die: Die, parent: Die): TypeBase {
    const typeRef = die.ref(DW_AT.type) ?? this.#error(die, "missing DW_AT_type");
    const isVirtual = (die.udata(DW_AT.virtuality) ?? 0) !== 0;
    // A virtual base's location is an expression on the object (through
    // its vtable): no fixed offset.
    const bitOffset = isVirtual ? null : this.#memberLocation(die) * 8;
    const expr = isVirtual ? die.block(DW_AT.data_member_location) : null;
    // DWARF pushes the object's address before evaluating the expression.
    const locate = expr === null ? null : (
      address: bigint,
      readMemory: (a: bigint, size: number) => Uint8Array,
    ) =>
      evaluateValue(expr, {
        initialStack: [address],
        readMemory,
        addressSize: die.unit.addressSize === 4 ? 4 : 8,
        littleEndian: this.reader.littleEndian,
        section: die.sectionName,
        baseOffset: die.offset,
      });
    const access = die.udata(DW_AT.accessibility);
    const accessibility = access === 1
      ? "public"
      : access === 2
      ? "protected"
      : access === 3 || (access === null && parent.tag === DW_TAG.class_type)
      ? "private"
      : "public"; // DWARF's default for a struct's or union's bases
    return new TypeBase(
      () => this.typeFromDie(typeRef),
      bitOffset,
      accessibility,
      isVirtual,
      locate,
    );
  }

  /**
   * The members of the C structure or union `die` (at `ref`): from the
   * saved layouts if they have it, else parsed (and saved if it is big).
   */
  #layoutMembers(die: Die, ref: DieRef, language: Language): TypeMember[] {
    const layouts = this.#layouts;
    if (layouts === undefined) return this.#members(die);
    const saved = layouts.get(ref, (name, type, bitOffset, bitFieldSize) => {
      const thunk = type === null ? () => this.void(language) : () => this.typeFromDie(type);
      return new TypeMember(thunk, name, bitOffset, bitFieldSize);
    });
    if (saved !== null) return saved;
    const typeRefs: (DieRef | null)[] = [];
    const out = this.#members(die, undefined, typeRefs);
    if (out.length >= LAYOUT_MIN_MEMBERS) {
      layouts.put(
        ref,
        out.map((m, i) => ({
          name: m.name,
          type: typeRefs[i]!,
          bitOffset: m.bitOffset,
          bitFieldSize: m.bitFieldSize,
        })),
      );
    }
    return out;
  }

  /**
   * `parent`'s members; with `onBase`, its base classes go there; with
   * `typeRefs`, each member's type DIE (null: none) goes there.
   */
  #members(
    parent: Die,
    onBase?: (b: TypeBase) => void,
    typeRefs?: (DieRef | null)[],
  ): TypeMember[] {
    const out: TypeMember[] = [];
    for (const child of this.reader.children(parent)) {
      if (child.tag !== DW_TAG.member) {
        if (onBase !== undefined && child.tag === DW_TAG.inheritance) {
          onBase(this.#base(child, parent));
        }
        continue;
      }
      // C++ static data members are not part of the layout.
      if (child.flag(DW_AT.external) || child.flag(DW_AT.declaration)) continue;
      out.push(this.#member(child, typeRefs));
    }
    return out;
  }

  /** A `DW_TAG_member`; with `typeRefs`, its type's DIE (null: none) goes there. */
  #member(die: Die, typeRefs?: (DieRef | null)[]): TypeMember {
    const name = die.name;
    const typeRef = die.ref(DW_AT.type);
    typeRefs?.push(typeRef);
    const thunk = typeRef === null
      ? () => this.void(this.#lang(die))
      : () => this.typeFromDie(typeRef);
    const bitSize = die.udata(DW_AT.bit_size);
    let bitOffset: number;
    const dbo = die.udata(DW_AT.data_bit_offset);
    if (dbo !== null) {
      bitOffset = dbo;
    } else {
      const byteOffset = this.#memberLocation(die);
      bitOffset = byteOffset * 8;
      const bo = die.udata(DW_AT.bit_offset);
      if (bo !== null) {
        // DWARF 2/3: DW_AT_bit_offset counts from the most significant bit
        // of the storage unit of DW_AT_byte_size (or the type's size).
        if (bitSize === null) this.#error(die, "DW_AT_bit_offset without DW_AT_bit_size");
        let storage = die.udata(DW_AT.byte_size);
        if (storage === null) {
          const t = this.typeFromDie(typeRef ?? this.#error(die, "missing DW_AT_type"));
          storage = sizeForBitField(t);
          if (storage === null) this.#error(die, "cannot determine bit field storage size");
        }
        bitOffset += this.reader.littleEndian ? storage * 8 - bo - bitSize : bo;
      }
    }
    if (bitOffset < 0) this.#error(die, "negative member offset");
    return new TypeMember(thunk, name, bitOffset, bitSize);
  }

  /** `DW_AT_data_member_location` in bytes (0 if absent). */
  #memberLocation(die: Die): number {
    const form = die.formOf(DW_AT.data_member_location);
    if (form < 0) return 0;
    if (
      form === DW_FORM.block1 || form === DW_FORM.block2 || form === DW_FORM.block4 ||
      form === DW_FORM.block || form === DW_FORM.exprloc
    ) {
      return evalMemberLocation(die, die.block(DW_AT.data_member_location)!);
    }
    if (die.unit.version <= 3 && (form === DW_FORM.data4 || form === DW_FORM.data8)) {
      this.#error(die, "DW_AT_data_member_location as a location list is not supported");
    }
    const v = die.udata(DW_AT.data_member_location)!;
    return v;
  }

  #enum(die: Die, ref: DieRef): Type {
    const tag = die.name;
    const resolved = this.#resolved(die, ref, tag);
    if (resolved !== null) return resolved;
    const language = this.#lang(die);
    if (die.flag(DW_AT.declaration)) {
      return new Type({ kind: "enum", language, tag, size: null, type: null, enumerators: null });
    }
    const compatRef = die.ref(DW_AT.type);
    const children = this.reader.children(die).filter((c) => c.tag === DW_TAG.enumerator);
    let compat: Type;
    if (compatRef !== null) {
      compat = this.typeFromDie(compatRef);
    } else {
      // GCC before 5.1 gave no DW_AT_type: make one up from the size and
      // the sign of the values, as drgn does.
      const size = die.udata(DW_AT.byte_size);
      if (size === null) this.#error(die, "missing DW_AT_byte_size");
      let isSigned = false;
      for (const c of children) {
        const v = c.constant(DW_AT.const_value);
        if (v !== null && v.signed && v.value < 0n) isSigned = true;
      }
      compat = new Type({
        kind: "int",
        language,
        name: "<unknown>",
        size,
        isSigned,
        littleEndian: this.#byteOrder(die),
        origin: this.#origin,
      });
    }
    const signed = compatIsSigned(compat);
    const enumerators = children.map((c) => {
      const name = c.name ?? this.#error(c, "missing DW_AT_name");
      const v = c.constant(DW_AT.const_value);
      if (v === null) this.#error(c, "missing DW_AT_const_value");
      return new TypeEnumerator(
        name,
        signed ? BigInt.asIntN(64, v.value) : BigInt.asUintN(64, v.value),
      );
    });
    const size = die.udata(DW_AT.byte_size) ?? compat.core.size;
    return new Type({
      kind: "enum",
      language,
      tag,
      size,
      type: compat,
      enumerators,
      origin: this.#origin,
    });
  }

  #array(die: Die): Type {
    const element = this.typeOf(die);
    const lengths: (number | null)[] = [];
    for (const c of this.reader.children(die)) {
      if (c.tag === DW_TAG.subrange_type) lengths.push(this.#subrangeLength(c));
      else if (c.tag === DW_TAG.enumeration_type) {
        lengths.push(this.reader.children(c).filter((e) => e.tag === DW_TAG.enumerator).length);
      }
    }
    if (lengths.length === 0) lengths.push(null);
    const language = this.#lang(die);
    let t = element;
    for (let i = lengths.length - 1; i >= 0; i--) {
      t = new Type({ kind: "array", language, length: lengths[i]!, type: t, origin: this.#origin });
    }
    return t;
  }

  #subrangeLength(die: Die): number | null {
    const count = die.formOf(DW_AT.count);
    if (count >= 0) {
      if (!isConstantForm(count)) return null; // A variable-length array.
      return this.#length(die, die.constant(DW_AT.count)!.value);
    }
    const ub = die.formOf(DW_AT.upper_bound);
    if (ub < 0 || !isConstantForm(ub)) return null; // Flexible or variable-length array.
    const upper = die.constant(DW_AT.upper_bound)!;
    const hi = upper.value;
    // -1 means an empty array; compilers write it as sdata -1 or all-ones data4/data8.
    if (
      (upper.signed && hi === -1n) ||
      (upper.size === 8 && hi === 0xffffffffffffffffn) ||
      (upper.size === 4 && hi === 0xffffffffn)
    ) {
      return 0;
    }
    let lo = 0n;
    const lbForm = die.formOf(DW_AT.lower_bound);
    if (lbForm >= 0 && isConstantForm(lbForm)) lo = die.constant(DW_AT.lower_bound)!.value;
    return this.#length(die, hi - lo + 1n);
  }

  #length(die: Die, n: bigint): number {
    if (n < 0n) return 0;
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) this.#error(die, "array length too large");
    return Number(n);
  }

  #function(die: Die): Type {
    // An out-of-line instance or a definition of a declared function gets
    // its type from the abstract origin / specification.
    let src = die;
    for (let hop = 0; hop < 8; hop++) {
      if (src.has(DW_AT.type) || src.has(DW_AT.prototyped)) break;
      const next = src.ref(DW_AT.abstract_origin) ?? src.ref(DW_AT.specification);
      if (next === null) break;
      src = this.reader.die(next);
    }
    const returnType = this.typeOf(src);
    const params: { name: string | null; typeRef: DieRef | null; die: Die }[] = [];
    let isVariadic = false;
    if (src.hasChildren) {
      for (const c of this.reader.children(src)) {
        if (c.tag === DW_TAG.formal_parameter) {
          params.push({ name: c.name, typeRef: c.ref(DW_AT.type), die: c });
        } else if (c.tag === DW_TAG.unspecified_parameters) {
          isVariadic = true;
        }
      }
    }
    const language = this.#lang(src);
    // An unprototyped C function (`int f()`) accepts any arguments.
    if (!isVariadic && params.length === 0 && language === "C" && !src.flag(DW_AT.prototyped)) {
      isVariadic = true;
    }
    return new Type({
      kind: "function",
      language,
      type: returnType,
      parameters: () =>
        params.map((p) =>
          new TypeParameter(
            p.typeRef === null ? () => this.void(language) : () => this.typeFromDie(p.typeRef!),
            p.name,
          )
        ),
      isVariadic,
      origin: this.#origin,
    });
  }
}

function isConstantForm(form: number): boolean {
  switch (form) {
    case DW_FORM.data1:
    case DW_FORM.data2:
    case DW_FORM.data4:
    case DW_FORM.data8:
    case DW_FORM.data16:
    case DW_FORM.sdata:
    case DW_FORM.udata:
    case DW_FORM.implicit_const:
      return true;
    default:
      return false;
  }
}

function compatIsSigned(t: Type): boolean {
  let u = t;
  for (let i = 0; i < 100 && u.core.kind === "typedef"; i++) u = u.type;
  return u.core.kind === "int" ? u.core.isSigned : false;
}

/** The storage size of a bit field's declared type (through typedefs and enums). */
function sizeForBitField(t: Type): number | null {
  let u = t;
  for (let i = 0; i < 100 && u.core.kind === "typedef"; i++) u = u.type;
  const k: TypeKind = u.core.kind;
  if (k === "int" || k === "bool" || k === "enum" || k === "float" || k === "pointer") {
    return u.core.size;
  }
  return null;
}

/**
 * Evaluates the simple expressions compilers use for
 * `DW_AT_data_member_location` (DWARF 2: `DW_OP_plus_uconst N`, or constants
 * then `DW_OP_plus`).
 */
function evalMemberLocation(die: Die, expr: Uint8Array): number {
  const stack: number[] = [0];
  let p = 0;
  const uleb = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= expr.length) throw bad("truncated expression");
      const b = expr[p++]!;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
      if (mul > 2 ** 53) throw bad("constant too large");
    }
  };
  const bad = (msg: string) =>
    new DecodeError(die.sectionName, die.offset, `DW_AT_data_member_location: ${msg}`);
  while (p < expr.length) {
    const op = expr[p++]!;
    if (op >= DW_OP.lit0 && op <= DW_OP.lit31) {
      stack.push(op - DW_OP.lit0);
      continue;
    }
    switch (op) {
      case DW_OP.plus_uconst:
        stack.push(stack.pop()! + uleb());
        break;
      case DW_OP.constu:
        stack.push(uleb());
        break;
      case DW_OP.const1u:
        if (p >= expr.length) throw bad("truncated expression");
        stack.push(expr[p++]!);
        break;
      case DW_OP.const2u:
        if (p + 2 > expr.length) throw bad("truncated expression");
        stack.push(expr[p]! | (expr[p + 1]! << 8));
        p += 2;
        break;
      case DW_OP.const4u:
        if (p + 4 > expr.length) throw bad("truncated expression");
        stack.push(
          (expr[p]! | (expr[p + 1]! << 8) | (expr[p + 2]! << 16) | (expr[p + 3]! << 24)) >>> 0,
        );
        p += 4;
        break;
      case DW_OP.plus: {
        if (stack.length < 2) throw bad("stack underflow");
        const b = stack.pop()!;
        stack.push(stack.pop()! + b);
        break;
      }
      default:
        throw bad(`unsupported operation ${dwName("DW_OP", op)}`);
    }
  }
  const r = stack.pop()!;
  if (!Number.isSafeInteger(r)) throw bad("offset too large");
  return r;
}

/** The real part's name of a complex type (`complex double` → `double`). */
function realNameOfComplex(name: string, size: number): string {
  const stripped = name.replace(/\b(_Complex|complex)\b/g, "").trim();
  if (stripped !== "" && stripped !== name) return stripped;
  switch (size) {
    case 8:
      return "float";
    case 16:
      return "double";
    default:
      return "long double";
  }
}
