/**
 * The program being debugged, as drgn's `drgn.Program`: memory, types,
 * objects, symbols, threads and stack traces of one target (a core dump,
 * the running kernel, a live process, or nothing but debug info).
 *
 * Lookups go through ordered, named finder chains: the loaded debug info is
 * one finder, a target's built-in objects (the kernel's vmcoreinfo values)
 * another, and scripts can add their own.
 *
 * @module
 */

import { decodeUtf8 } from "../binary/byte_reader.ts";
import { FaultError, hex, LookupError } from "../errors.ts";
import { MemoryReader } from "../memory/memory_reader.ts";
import { CallbackSource, type ReadFn } from "../memory/memory_reader.ts";
import { type Platform, X86_64 } from "../platform.ts";
import {
  type Language,
  makeType,
  Qualifiers,
  Type,
  type TypeEnumerator,
  type TypeInit,
  type TypeMember,
  type TypeParameter,
} from "../types/type.ts";
import { parseTypeName } from "../types/type_parser.ts";
import "../types/format_type.ts";
import "../object/format_object.ts";
import "../object/operators.ts";
import {
  makeObject,
  newReference,
  newValue,
  type ObjectInit,
  type ObjectProgram,
  readCString,
  TypedObject,
} from "../object/typed_object.ts";
import { type Symbol, symbolNotFoundAt, symbolNotFoundNamed } from "./symbol.ts";
import type { Module } from "./module.ts";
import type { Thread } from "./thread.ts";
import type { StackTrace } from "./stack_trace.ts";

/** Which objects {@link Program.object} looks for (drgn's `FindObjectFlags`). */
export const FindObjectFlags = {
  CONSTANT: 1,
  FUNCTION: 2,
  VARIABLE: 4,
  ANY: 7,
} as const;

/** Kinds a type finder is asked for. */
export type TypeFinderKind = "struct" | "union" | "class" | "enum" | "typedef" | "base";

/** Options of the type constructors (`prog.intType()` …), as drgn's keyword arguments. */
export interface TypeOptions {
  /** {@link Qualifiers} bits (default none). */
  readonly qualifiers?: number;
  /** Default: the program's language. */
  readonly language?: Language;
}

/** Options of the scalar type constructors. */
export interface ScalarTypeOptions extends TypeOptions {
  /** Default: the platform's. */
  readonly byteorder?: "little" | "big";
}

/** Options of {@link Program.pointerType} (drgn's `size` and `byteorder` too). */
export interface PointerTypeOptions extends ScalarTypeOptions {
  /** Default: the platform's word size. */
  readonly size?: number;
}

/** drgn's " in 'FILE'" of a lookup restricted to a file. */
function inFile(filename: string | undefined): string {
  return filename === undefined || filename === "" ? "" : ` in '${filename}'`;
}

function positiveSize(size: number): void {
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(`type size must be a positive integer, not ${size}`);
  }
}

/** A type finder: returns the type named `name` of `kind`, or null. */
export type TypeFinder = (kind: TypeFinderKind, name: string, filename?: string) => Type | null;

/** An object finder: returns the object named `name`, or null. */
export type ObjectFinder = (
  prog: Program,
  name: string,
  flags: number,
  filename?: string,
) => TypedObject | null;

/**
 * A symbol finder: symbols matching a name, an address, or (both null) all
 * symbols. With `one`, the caller needs only the best match.
 */
export type SymbolFinder = (
  name: string | null,
  address: bigint | null,
  one: boolean,
) => Symbol[];

/** A stack-trace provider installed by the target (userspace or kernel). */
export type StackTraceProvider = (prog: Program, thread: Thread) => StackTrace;

/** Options for opening a kernel target. */
export interface KernelTargetOptions {
  /**
   * The VMCOREINFO text (`OSRELEASE=…\nPAGESIZE=…\n…`, as the kernel's
   * VMCOREINFO note holds it), for dumps without one or to override it.
   */
  vmcoreinfo?: string;
}

/** drgn's `ProgramFlags`. */
export interface ProgramFlags {
  /** The program is a Linux kernel (vmcore or live). */
  readonly isLinuxKernel: boolean;
  /** The program is running (live kernel or process): memory may change. */
  readonly isLive: boolean;
}

/** A target's threads, installed when the target is opened. */
export interface ThreadProvider {
  threads(): Iterable<Thread>;
  thread(tid: number): Thread;
  mainThread(): Thread;
  crashedThread(): Thread;
}

interface Named<T> {
  name: string;
  fn: T;
  enabled: boolean;
}

/** Sizes of C's primitive types on LP64 targets (ILP32 adjusts long and pointers). */
const PRIMITIVES: Record<string, [kind: "int" | "bool" | "float", size: number, signed: boolean]> =
  {
    "char": ["int", 1, true],
    "signed char": ["int", 1, true],
    "unsigned char": ["int", 1, false],
    "short": ["int", 2, true],
    "unsigned short": ["int", 2, false],
    "int": ["int", 4, true],
    "unsigned int": ["int", 4, false],
    "long": ["int", 8, true],
    "unsigned long": ["int", 8, false],
    "long long": ["int", 8, true],
    "unsigned long long": ["int", 8, false],
    "_Bool": ["bool", 1, false],
    "float": ["float", 4, true],
    "double": ["float", 8, true],
    "long double": ["float", 16, true],
    "__int128": ["int", 16, true],
    "unsigned __int128": ["int", 16, false],
  };

/** The program being debugged. */
export class Program implements ObjectProgram {
  /** Virtual and physical memory of the target. */
  readonly memory: MemoryReader = new MemoryReader();
  #platform: Platform | null;
  #flags: { isLinuxKernel: boolean; isLive: boolean } = { isLinuxKernel: false, isLive: false };
  #language: Language | null = null;
  /** Scratch space for helpers and scripts to keep what they computed (drgn's `prog.cache`). */
  readonly cache: Map<string, unknown> = new Map();
  #typeFinders: Named<TypeFinder>[] = [];
  #objectFinders: Named<ObjectFinder>[] = [];
  #symbolFinders: Named<SymbolFinder>[] = [];
  #primitives = new Map<string, Type>();
  #typeCache = new Map<string, Type>();
  #modules: Module[] = [];
  /** Module loading deferred until the module list is needed (see {@link deferModuleLoad}). */
  #pendingModules: (() => void) | null = null;
  /** The target's threads, once a target is set. */
  threadProvider: ThreadProvider | null = null;
  /** Computes stack traces for the target (installed by the target). */
  stackTraceProvider: StackTraceProvider | null = null;
  /** Target-specific state (kernel: vmcoreinfo, page tables; core: notes), keyed by layer. */
  readonly targetData: Map<string, unknown> = new Map();
  /** Description of the target for messages (`core dump /path`, `live process 123`). */
  targetDescription = "no target";
  /** The main thread's default language when no debug info says otherwise. */
  defaultLanguage: Language = "C";
  /** Called to load default debug info (installed by the target). */
  defaultDebugInfoLoader: ((prog: Program, paths: string[]) => void) | null = null;
  #warnings: string[] = [];

  /** A program for `platform` (default: none until a target sets it; x86-64 for types). */
  constructor(platform: Platform | null = null) {
    this.#platform = platform;
  }

  // ------------------------------------------------------------------ basics

  /** The target platform; x86-64 if no target has set one yet. */
  get platform(): Platform {
    return this.#platform ?? X86_64;
  }

  /** Whether a platform was set by a target or the constructor. */
  get hasPlatform(): boolean {
    return this.#platform !== null;
  }

  /** Sets the platform (once, by the target). */
  setPlatform(platform: Platform): void {
    this.#platform = platform;
    this.#primitives.clear();
  }

  /** Program flags (drgn's `prog.flags`). */
  get flags(): ProgramFlags {
    return this.#flags;
  }

  /** Sets the program flags (targets use this). */
  setFlags(flags: Partial<ProgramFlags>): void {
    this.#flags = { ...this.#flags, ...flags };
  }

  /** Language of the program: from the CU defining `main`, C for the kernel. */
  get language(): Language {
    return this.#language ?? this.defaultLanguage;
  }
  set language(l: Language) {
    this.#language = l;
  }

  // ------------------------------------------------------------------ memory

  /**
   * Maps `size` bytes at `address` to a callback `readFn(address, count,
   * offset, physical)` returning the bytes. Newer segments win where they
   * overlap older ones.
   */
  addMemorySegment(
    address: bigint | number,
    size: bigint | number,
    readFn: ReadFn,
    physical = false,
  ): void {
    this.memory.addSegment(BigInt(address), BigInt(size), new CallbackSource(readFn), physical);
  }

  /** Reads `size` bytes at `address`. Throws {@link FaultError} if any byte is unreadable. */
  read(address: bigint | number, size: number, physical = false): Uint8Array {
    return this.memory.read(BigInt(address), size, physical);
  }

  #scratch = new Uint8Array(8);
  #view = new DataView(this.#scratch.buffer);

  /** Reads an unsigned 8-bit integer. */
  readU8(address: bigint | number, physical = false): number {
    this.memory.readInto(BigInt(address), this.#scratch, 0, 1, physical);
    return this.#scratch[0]!;
  }
  /** Reads an unsigned 16-bit integer in the target's byte order. */
  readU16(address: bigint | number, physical = false): number {
    this.memory.readInto(BigInt(address), this.#scratch, 0, 2, physical);
    return this.#view.getUint16(0, this.platform.littleEndian);
  }
  /** Reads an unsigned 32-bit integer in the target's byte order. */
  readU32(address: bigint | number, physical = false): number {
    this.memory.readInto(BigInt(address), this.#scratch, 0, 4, physical);
    return this.#view.getUint32(0, this.platform.littleEndian);
  }
  /** Reads an unsigned 64-bit integer in the target's byte order. */
  readU64(address: bigint | number, physical = false): bigint {
    this.memory.readInto(BigInt(address), this.#scratch, 0, 8, physical);
    return this.#view.getBigUint64(0, this.platform.littleEndian);
  }
  /** Reads an unsigned word (the target's pointer size). */
  readWord(address: bigint | number, physical = false): bigint {
    return this.platform.wordSize === 8
      ? this.readU64(address, physical)
      : BigInt(this.readU32(address, physical));
  }
  /** Reads a NUL-terminated string (UTF-8) at `address`. */
  readCString(address: bigint | number, limit = 1 << 20): string {
    return decodeUtf8(readCString(this.memory, BigInt(address), limit));
  }

  // ------------------------------------------------------------------ finders

  /** Adds a type finder, tried after the ones already present (or first, with `index` 0). */
  addTypeFinder(
    fn: TypeFinder,
    name = `type_finder_${this.#typeFinders.length}`,
    index = -1,
  ): void {
    insert(this.#typeFinders, { name, fn, enabled: true }, index);
    this.#typeCache.clear();
  }

  /** Adds an object finder. */
  addObjectFinder(
    fn: ObjectFinder,
    name = `object_finder_${this.#objectFinders.length}`,
    index = -1,
  ): void {
    insert(this.#objectFinders, { name, fn, enabled: true }, index);
  }

  /** Adds a symbol finder. */
  addSymbolFinder(
    fn: SymbolFinder,
    name = `symbol_finder_${this.#symbolFinders.length}`,
    index = -1,
  ): void {
    insert(this.#symbolFinders, { name, fn, enabled: true }, index);
  }

  /** Names of the registered finders, in the order they are tried. */
  registeredFinders(): { types: string[]; objects: string[]; symbols: string[] } {
    return {
      types: this.#typeFinders.map((f) => f.name),
      objects: this.#objectFinders.map((f) => f.name),
      symbols: this.#symbolFinders.map((f) => f.name),
    };
  }

  /** Asks the type finders for `kind name`. */
  findTypeByKind(kind: TypeFinderKind, name: string, filename?: string): Type | null {
    for (const f of this.#typeFinders) {
      if (!f.enabled) continue;
      const t = f.fn(kind, name, filename);
      if (t !== null) return t;
    }
    return null;
  }

  // ------------------------------------------------------------------ types

  /**
   * Looks up a type by its C name (`"struct task_struct *"`, `"int [4]"`,
   * `"unsigned long"`) or returns a `Type` unchanged.
   */
  type(name: string | Type, filename?: string): Type {
    if (typeof name !== "string") return name;
    if (filename === undefined) {
      const hit = this.#typeCache.get(name);
      if (hit !== undefined) return hit;
    }
    const t = parseTypeName(name, {
      lookup: (kind, n) => this.#lookupNamedType(kind, n, filename),
      wordSize: this.platform.wordSize,
      littleEndian: this.platform.littleEndian,
      language: this.language,
      pointerType: (target: Type, q?: number) => this.pointerType(target, q),
      filename: filename === "" ? null : filename ?? null,
    });
    if (filename === undefined) this.#typeCache.set(name, t);
    return t;
  }

  #lookupNamedType(kind: TypeFinderKind, name: string, filename?: string): Type | null {
    const t = this.findTypeByKind(kind, name, filename);
    if (t !== null) return t;
    if (kind === "base") return this.#defaultPrimitive(name);
    return null;
  }

  #defaultPrimitive(name: string): Type | null {
    const p = PRIMITIVES[name];
    if (p === undefined) {
      if (name === "void") return makeType.void(this.language);
      if (name === "size_t" || name === "ptrdiff_t") {
        return this.#defaultPrimitive(name === "size_t" ? "unsigned long" : "long");
      }
      return null;
    }
    let [kind, size, signed] = p;
    if (this.platform.wordSize === 4 && (name === "long" || name === "unsigned long")) size = 4;
    if (this.platform.wordSize === 4 && name === "long double") size = 12;
    const le = this.platform.littleEndian;
    switch (kind) {
      case "int":
        return makeType.int(name, size, signed, le);
      case "bool":
        return makeType.bool(name, size, le);
      case "float":
        return makeType.float(name, size, le);
    }
  }

  /** A primitive C type (`int`, `unsigned long`, `_Bool`, `double`, `ptrdiff_t`, `size_t`…). */
  primitiveType(name: string): Type {
    const hit = this.#primitives.get(name);
    if (hit !== undefined) return hit;
    let t: Type | null = null;
    try {
      t = this.type(name);
    } catch {
      t = null;
    }
    if (t === null && (name === "ptrdiff_t" || name === "size_t")) {
      t = this.primitiveType(name === "size_t" ? "unsigned long" : "long");
    }
    t ??= this.#defaultPrimitive(name);
    if (t === null) throw new LookupError(`could not find '${name}'`, "type", name);
    this.#primitives.set(name, t);
    return t;
  }

  /**
   * A pointer type to `target` (cached), with the program's word size and
   * byte order; or, as drgn's `prog.pointer_type(type, size, byteorder,
   * qualifiers=, language=)`, with options.
   */
  pointerType(target: Type, qualifiers: number | PointerTypeOptions = 0): Type {
    if (typeof qualifiers !== "number") {
      const o = qualifiers;
      const { size, littleEndian } = this.#scalar(o.size ?? this.platform.wordSize, o);
      if (o.language === undefined || o.language === target.language) {
        const p = makeType.pointer(target, size, littleEndian);
        return o.qualifiers ? p.qualified(o.qualifiers) : p;
      }
      return this.#made({ kind: "pointer", size, littleEndian, type: target }, o);
    }
    const key = `ptr${target.qualifiers}`;
    let p = target.core.slots.get(key) as Type | undefined;
    if (p === undefined || p.core.size !== this.platform.wordSize) {
      p = makeType.pointer(target, this.platform.wordSize, this.platform.littleEndian);
      target.core.slots.set(key, p);
    }
    return qualifiers ? p.qualified(qualifiers) : p;
  }

  /** An array type of `length` elements (null: incomplete). */
  arrayType(element: Type, length: number | null): Type {
    return makeType.array(element, length);
  }

  /** A type made here: drgn's `qualifiers=` and `language=` (default: the program's). */
  #made(init: TypeInit, options: TypeOptions): Type {
    const t = new Type({ ...init, language: options.language ?? this.language });
    return options.qualifiers ? t.qualified(options.qualifiers) : t;
  }

  /** A scalar type's checked size and its byte order (drgn's `byteorder=`, default: the platform's). */
  #scalar(size: number, options: ScalarTypeOptions): { size: number; littleEndian: boolean } {
    positiveSize(size);
    const byteorder = options.byteorder;
    if (byteorder === undefined) return { size, littleEndian: this.platform.littleEndian };
    if (byteorder !== "little" && byteorder !== "big") {
      throw new RangeError(`byteorder must be "little" or "big", not ${JSON.stringify(byteorder)}`);
    }
    return { size, littleEndian: byteorder === "little" };
  }

  /** A new `void` type (drgn's `prog.void_type()`). */
  voidType(options: TypeOptions = {}): Type {
    return this.#made({ kind: "void", name: "void" }, options);
  }

  /** A new integer type (drgn's `prog.int_type()`). */
  intType(name: string, size: number, isSigned: boolean, options: ScalarTypeOptions = {}): Type {
    return this.#made({ kind: "int", name, isSigned, ...this.#scalar(size, options) }, options);
  }

  /** A new boolean type (drgn's `prog.bool_type()`). */
  boolType(name: string, size: number, options: ScalarTypeOptions = {}): Type {
    return this.#made({ kind: "bool", name, ...this.#scalar(size, options) }, options);
  }

  /** A new floating-point type (drgn's `prog.float_type()`). */
  floatType(name: string, size: number, options: ScalarTypeOptions = {}): Type {
    return this.#made({ kind: "float", name, ...this.#scalar(size, options) }, options);
  }

  #compound(
    kind: "struct" | "union" | "class",
    tag: string | null,
    size: number | null,
    members: readonly TypeMember[] | null,
    options: TypeOptions,
  ): Type {
    if (members === null && size !== null) {
      throw new RangeError(`incomplete ${kind} type must not have a size`);
    }
    if (members !== null && size === null) {
      throw new RangeError(`${kind} type with members must have a size`);
    }
    return this.#made({ kind, tag, size, members }, options);
  }

  /** A new structure type; no members (null) makes it incomplete (drgn's `prog.struct_type()`). */
  structType(
    tag: string | null,
    size: number | null = null,
    members: readonly TypeMember[] | null = null,
    options: TypeOptions = {},
  ): Type {
    return this.#compound("struct", tag, size, members, options);
  }

  /** A new union type (drgn's `prog.union_type()`). */
  unionType(
    tag: string | null,
    size: number | null = null,
    members: readonly TypeMember[] | null = null,
    options: TypeOptions = {},
  ): Type {
    return this.#compound("union", tag, size, members, options);
  }

  /** A new class type (drgn's `prog.class_type()`). */
  classType(
    tag: string | null,
    size: number | null = null,
    members: readonly TypeMember[] | null = null,
    options: TypeOptions = {},
  ): Type {
    return this.#compound("class", tag, size, members, options);
  }

  /**
   * A new enumerated type with the compatible integer type `type`; no
   * enumerators (null) makes it incomplete (drgn's `prog.enum_type()`).
   */
  enumType(
    tag: string | null,
    type: Type | null = null,
    enumerators: readonly TypeEnumerator[] | null = null,
    options: TypeOptions = {},
  ): Type {
    if ((type === null) !== (enumerators === null)) {
      throw new RangeError(
        enumerators === null
          ? "incomplete enum type must not have a compatible type"
          : "enum type with enumerators must have a compatible type",
      );
    }
    if (type !== null && type.kind !== "int") {
      throw new TypeError("enum compatible type must be an integer type");
    }
    return this.#made(
      { kind: "enum", tag, size: type?.size ?? null, type, enumerators },
      options,
    );
  }

  /** A new typedef (drgn's `prog.typedef_type()`). */
  typedefType(name: string, type: Type, options: TypeOptions = {}): Type {
    return this.#made({ kind: "typedef", name, type }, options);
  }

  /** A new function type (drgn's `prog.function_type()`). */
  functionType(
    type: Type,
    parameters: readonly TypeParameter[],
    isVariadic = false,
    options: TypeOptions = {},
  ): Type {
    return this.#made({ kind: "function", type, parameters, isVariadic }, options);
  }

  // ------------------------------------------------------------------ objects

  /**
   * Looks up a global object (variable, function or enumerator constant) by
   * name. Throws `LookupError` if none is found.
   */
  object(name: string, flags: number = FindObjectFlags.ANY, filename?: string): TypedObject {
    if (typeof name !== "string") {
      throw new TypeError(`object(): name must be a string, not ${typeof name}`);
    }
    if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0) {
      throw new TypeError(
        `object(): flags must be FindObjectFlags (a non-negative integer), not ${
          typeof flags === "number" ? flags : typeof flags
        } (an object at an address is makeObject(prog, type, { address }))`,
      );
    }
    for (const f of this.#objectFinders) {
      if (!f.enabled) continue;
      const o = f.fn(this, name, flags, filename);
      if (o !== null) return o;
    }
    throw new LookupError(
      `could not find '${name}'${inFile(filename)}${this.#missingDebugInfoHint()}`,
      "object",
      name,
    );
  }

  /** Why a lookup may have failed: " (no debug info …)" when the main debug info is missing. */
  #missingDebugInfoHint(): string {
    if (this.flags.isLinuxKernel) {
      const loaded = this.modules.some((m) => m.kind === "linux_kernel" && m.hasDebugInfo);
      return loaded ? "" : " (no debug info is loaded for the kernel: give its vmlinux with -s)";
    }
    const main = this.modules.find((m) => m.kind === "main");
    return main !== undefined && !main.hasDebugInfo
      ? ` (no debug info is loaded for ${main.name})`
      : "";
  }

  /** Like {@link object}, but returns null when nothing is found. */
  tryObject(name: string, flags: number = FindObjectFlags.ANY): TypedObject | null {
    for (const f of this.#objectFinders) {
      if (!f.enabled) continue;
      const o = f.fn(this, name, flags);
      if (o !== null) return o;
    }
    return null;
  }

  /** A global variable. */
  variable(name: string, filename?: string): TypedObject {
    return this.#findKind(name, FindObjectFlags.VARIABLE, "variable", filename);
  }
  /** An enumerator constant. */
  constant(name: string, filename?: string): TypedObject {
    return this.#findKind(name, FindObjectFlags.CONSTANT, "constant", filename);
  }
  /** A function (a reference object of function type at its entry address). */
  function(name: string, filename?: string): TypedObject {
    return this.#findKind(name, FindObjectFlags.FUNCTION, "function", filename);
  }

  #findKind(name: string, flags: number, what: string, filename?: string): TypedObject {
    for (const f of this.#objectFinders) {
      if (!f.enabled) continue;
      const o = f.fn(this, name, flags, filename);
      if (o !== null) return o;
    }
    throw new LookupError(
      `could not find ${what} '${name}'${inFile(filename)}${this.#missingDebugInfoHint()}`,
      what,
      name,
    );
  }

  /** Whether `name` names a global object. */
  hasObject(name: string): boolean {
    return this.tryObject(name) !== null;
  }

  /** Creates an object: `makeObject(prog, type, {value | address | absent})`. */
  makeObject(type: string | Type, init: ObjectInit = {}): TypedObject {
    return makeObject(this, type, init);
  }

  /** A reference object of `type` at `address`. */
  objectAt(type: string | Type, address: bigint | number): TypedObject {
    return newReference(this, this.type(type), BigInt.asUintN(64, BigInt(address)));
  }

  /** A value object of `type`. */
  value(type: string | Type, value: number | bigint | boolean | Uint8Array): TypedObject {
    return makeObject(this, type, { value });
  }

  // ------------------------------------------------------------------ symbols

  /** The symbol containing `address`, or the symbol named `name`. Throws `LookupError`. */
  symbol(addressOrName: bigint | number | string): Symbol {
    if (typeof addressOrName === "string") {
      const r = this.#symbolQuery(addressOrName, null, true);
      if (r.length === 0) symbolNotFoundNamed(addressOrName);
      return r[0]!;
    }
    const a = BigInt.asUintN(64, BigInt(addressOrName));
    const r = this.#symbolQuery(null, a, true);
    if (r.length === 0) symbolNotFoundAt(a);
    return r[0]!;
  }

  /** All symbols (no argument), those named `name`, or those containing `address`. */
  symbols(addressOrName?: bigint | number | string): Symbol[] {
    if (addressOrName === undefined) return this.#symbolQuery(null, null, false);
    if (typeof addressOrName === "string") return this.#symbolQuery(addressOrName, null, false);
    return this.#symbolQuery(null, BigInt.asUintN(64, BigInt(addressOrName)), false);
  }

  #symbolQuery(name: string | null, address: bigint | null, one: boolean): Symbol[] {
    const out: Symbol[] = [];
    for (const f of this.#symbolFinders) {
      if (!f.enabled) continue;
      const r = f.fn(name, address, one);
      if (r.length) {
        if (one) return [r[0]!];
        out.push(...r);
      }
    }
    return out;
  }

  /** `name+0xoff/0xsize` for an address, or null when no symbol contains it. */
  symbolize(address: bigint): string | null {
    let s: Symbol;
    try {
      s = this.symbol(address);
    } catch {
      return null;
    }
    return `${s.name}+${hex(address - s.address)}/${hex(s.size)}`;
  }

  // ------------------------------------------------------------------ threads

  #threads(): ThreadProvider {
    if (this.threadProvider === null) {
      throw new TypeError("program has no threads: no core dump, process or kernel target is set");
    }
    return this.threadProvider;
  }

  /** The target's threads. */
  *threads(): IterableIterator<Thread> {
    yield* this.#threads().threads();
  }
  /** The thread with `tid`; throws `LookupError` if there is none. */
  thread(tid: number): Thread {
    return this.#threads().thread(tid);
  }
  /** The main thread (the thread whose TID is the PID). */
  mainThread(): Thread {
    return this.#threads().mainThread();
  }
  /** The thread that caused the crash (the first NT_PRSTATUS for cores). */
  crashedThread(): Thread {
    return this.#threads().crashedThread();
  }

  /**
   * The stack trace of a thread: by TID, a {@link Thread}, or (kernel) a
   * `struct task_struct *` object.
   */
  stackTrace(thread: number | Thread | TypedObject): StackTrace {
    if (this.stackTraceProvider === null) {
      throw new TypeError("stack traces are not available for this target");
    }
    let t: Thread;
    if (typeof thread === "number") t = this.thread(thread);
    else if (thread instanceof TypedObject) {
      const fromTask = this.targetData.get("threadFromTask") as
        | ((o: TypedObject) => Thread)
        | undefined;
      if (!fromTask) throw new TypeError("stack traces from objects need a Linux kernel target");
      t = fromTask(thread);
    } else t = thread;
    return this.stackTraceProvider(this, t);
  }

  // ------------------------------------------------------------------ debug info

  /**
   * Loaded modules (executables, libraries, vmlinux, kernel modules). Reading
   * it completes any deferred module loading first.
   */
  get modules(): Module[] {
    this.#completeModules();
    return this.#modules;
  }

  /**
   * The modules loaded so far, without completing deferred loading (for
   * lookups that try the main program or vmlinux before the rest).
   */
  get loadedModules(): readonly Module[] {
    return this.#modules;
  }

  /**
   * Warnings collected while loading (missing debug info, mismatches).
   * Reading it completes deferred module loading first (see
   * {@link recordedWarnings} for the warnings so far).
   */
  get warnings(): readonly string[] {
    this.#completeModules();
    return this.#warnings;
  }

  /** The warnings recorded so far, without completing deferred loading. */
  get recordedWarnings(): readonly string[] {
    return this.#warnings;
  }

  /** Called with each warning recorded from now on (the CLI prints them as they come). */
  onWarning: ((message: string) => void) | null = null;

  /** Records a warning (and passes it to {@link onWarning}). */
  warn(message: string): void {
    this.#warnings.push(message);
    this.onWarning?.(message);
  }

  /** Adds a loaded module (used by the debug-info loader). */
  addModule(m: Module): void {
    this.#modules.push(m);
  }

  /**
   * Defers `load` (which adds modules, e.g. a kernel's loaded modules and
   * their debug info) until the module list, the warnings, or a lookup
   * the main program or vmlinux cannot answer needs it. Loads deferred
   * earlier run first.
   */
  deferModuleLoad(load: () => void): void {
    const before = this.#pendingModules;
    this.#pendingModules = before === null ? load : () => {
      before();
      load();
    };
  }

  /** Runs deferred module loading (no-op if none). */
  #completeModules(): void {
    const load = this.#pendingModules;
    if (load === null) return;
    this.#pendingModules = null;
    load();
  }

  /** The module whose address range contains `address`, or null. */
  moduleAt(address: bigint): Module | null {
    for (const m of this.#modules) {
      if (address >= m.start && address < m.end) return m;
    }
    if (this.#pendingModules === null) return null;
    this.#completeModules();
    return this.moduleAt(address);
  }

  /**
   * Loads debug info from `paths` and, with `default`, the target's default
   * files (executable and libraries, or vmlinux and kernel modules).
   * Missing default debug info is reported through {@link warnings}.
   */
  loadDebugInfo(paths: string[] = [], options: { default?: boolean; main?: boolean } = {}): void {
    const loader = this.targetData.get("loadDebugInfo") as
      | ((prog: Program, paths: string[], opts: { default?: boolean; main?: boolean }) => void)
      | undefined;
    if (loader) {
      loader(this, paths, options);
      return;
    }
    const generic = Program.genericDebugInfoLoader;
    if (!generic) throw new Error("debug info loader not installed");
    generic(this, paths, options);
  }

  /** Loads the target's default debug info (drgn's `load_default_debug_info()`). */
  loadDefaultDebugInfo(): void {
    this.loadDebugInfo([], { default: true });
  }

  /** Installed by `lib/program/debug_info.ts`: loads files given by path. */
  static genericDebugInfoLoader:
    | ((prog: Program, paths: string[], opts: { default?: boolean; main?: boolean }) => void)
    | null = null;

  // ------------------------------------------------------------------ targets

  /** Target openers by kind, installed by the target modules. */
  static readonly targetOpeners: {
    coreDump?: (prog: Program, path: string, options: KernelTargetOptions) => void;
    kernel?: (prog: Program, options: KernelTargetOptions) => void;
    pid?: (prog: Program, pid: number) => void;
  } = {};

  #checkNoTarget(): void {
    if (this.targetDescription !== "no target") {
      throw new TypeError(`program already has a target (${this.targetDescription})`);
    }
  }

  /**
   * Opens a core dump: a userspace core or any kernel vmcore format. With
   * `options.vmcoreinfo`, an ELF dump without a VMCOREINFO note (QEMU's
   * `dump-guest-memory` without `-device vmcoreinfo`) opens as a kernel
   * dump, and the given text replaces the dump's own.
   */
  setCoreDump(path: string, options: KernelTargetOptions = {}): void {
    this.#checkNoTarget();
    const open = Program.targetOpeners.coreDump;
    if (!open) throw new Error("core dump support not loaded (import mod.ts)");
    open(this, path, options);
  }

  /**
   * Opens the running kernel (/proc/kcore). VMCOREINFO comes from
   * `options.vmcoreinfo`, else /proc/kcore's note (Linux 4.19+), else
   * /sys/kernel/vmcoreinfo (where the kernel keeps it in physical memory).
   */
  setKernel(options: KernelTargetOptions = {}): void {
    this.#checkNoTarget();
    const open = Program.targetOpeners.kernel;
    if (!open) throw new Error("kernel support not loaded (import mod.ts)");
    open(this, options);
  }

  /** Attaches to a running process by PID (read-only, through /proc/PID/mem). */
  setPid(pid: number): void {
    this.#checkNoTarget();
    if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`invalid PID ${pid}`);
    const open = Program.targetOpeners.pid;
    if (!open) throw new Error("live process support not loaded (import mod.ts)");
    open(this, pid);
  }

  /** For console.log. */
  [globalThis.Symbol.for("Deno.customInspect")](): string {
    return `Program(${this.targetDescription})`;
  }
}

function insert<T>(list: Named<T>[], item: Named<T>, index: number): void {
  const existing = list.findIndex((x) => x.name === item.name);
  if (existing >= 0) list.splice(existing, 1);
  if (index < 0 || index >= list.length) list.push(item);
  else list.splice(index, 0, item);
}

/** Creates a value object with the program's `int` type (handy in tests). */
export function intValue(prog: Program, v: number | bigint): TypedObject {
  return newValue(prog, prog.primitiveType("int"), BigInt(v));
}

export { FaultError, Qualifiers };
