/**
 * Modules: the files mapped into a program (executable, shared libraries,
 * vdso, vmlinux, kernel modules), each with its address range, load bias,
 * ELF symbols and debug info.
 *
 * @module
 */

import type { Type } from "../types/type.ts";
import type { SymbolTable } from "./symbol.ts";

/** What a module is. */
export type ModuleKind =
  | "main"
  | "shared_library"
  | "vdso"
  | "linux_kernel"
  | "linux_kernel_module"
  | "extra";

/** A global object as debug info describes it (before it becomes a TypedObject). */
export type ObjectDescriptor =
  | {
    readonly kind: "variable";
    readonly name: string;
    readonly type: Type;
    /** Static address (bias applied), or null when the location is not a plain address. */
    readonly address: bigint | null;
    /** The location expression when it is not a plain address (TLS, registers). */
    readonly locationExpr?: Uint8Array;
    /** `DW_AT_const_value` as bytes or an integer. */
    readonly constValue?: bigint | Uint8Array;
  }
  | {
    readonly kind: "function";
    readonly name: string;
    readonly type: Type;
    readonly address: bigint | null;
  }
  | {
    readonly kind: "constant";
    readonly name: string;
    readonly type: Type;
    readonly value: bigint;
  };

/** The type and object lookups a module's debug info provides. */
export interface DebugInfoSource {
  /** A type by kind and name (complete definitions first), or null. */
  findType(
    kind: "struct" | "union" | "class" | "enum" | "typedef" | "base",
    name: string,
    filename?: string,
  ): Type | null;
  /**
   * A global object by name, or null. `flags` is a `FindObjectFlags`
   * bitmask; `filename`, if given, the file the definition must be declared
   * in (drgn's `filename_matches`).
   */
  findObject(name: string, flags: number, filename?: string): ObjectDescriptor | null;
  /** The language of the CU defining `main`, if known. */
  readonly mainLanguage?: "C" | "C++" | null;
  /** Builds the whole name index now (and saves it to the cache), if indexed on demand. */
  indexAll?(): void;
}

/** A loaded module. */
export class Module {
  /** A short name (file name, kernel module name, `[vdso]`). */
  readonly name: string;
  readonly kind: ModuleKind;
  /** Start and end (exclusive) of the module's address range in the program. */
  start: bigint;
  end: bigint;
  /** Load bias: the difference between run-time and link-time addresses. */
  bias: bigint;
  /** Build ID as hex, if known. */
  buildId: string | null;
  /** The file the code and symbols came from, if found. */
  path: string | null = null;
  /** The file the debug info came from, if found. */
  debugPath: string | null = null;
  #symtab: SymbolTable | null = null;
  /** Builds the symbol table {@link deferSymtab} put off, or null. */
  #pendingSymtab: (() => SymbolTable) | null = null;
  #debugInfo: DebugInfoSource | null = null;
  /** Loads the debug info {@link deferDebugInfo} put off, or null. */
  #pendingDebugInfo: (() => void) | null = null;
  /** Layer-specific data (the ElfFile, DWARF handles, section addresses). */
  readonly data: Map<string, unknown> = new Map();

  constructor(
    name: string,
    kind: ModuleKind,
    start: bigint,
    end: bigint,
    bias: bigint,
    buildId: string | null = null,
  ) {
    this.name = name;
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.bias = bias;
    this.buildId = buildId;
  }

  /** ELF symbols, once loaded (built first if deferred: see {@link deferSymtab}). */
  get symtab(): SymbolTable | null {
    const make = this.#pendingSymtab;
    if (make !== null) {
      this.#pendingSymtab = null;
      this.#symtab = make();
    }
    return this.#symtab;
  }

  set symtab(table: SymbolTable | null) {
    this.#pendingSymtab = null;
    this.#symtab = table;
  }

  /**
   * Puts off building this module's symbol table until something reads
   * {@link symtab} (sorting tens of thousands of symbols that a session
   * may never look up).
   */
  deferSymtab(make: () => SymbolTable): void {
    this.#pendingSymtab = make;
  }

  /** Whether a symbol table is loaded or deferred (without building it). */
  get hasSymtab(): boolean {
    return this.#pendingSymtab !== null || this.#symtab !== null;
  }

  /** DWARF lookups, once loaded (loading deferred debug info first: see {@link deferDebugInfo}). */
  get debugInfo(): DebugInfoSource | null {
    const load = this.#pendingDebugInfo;
    if (load !== null) {
      this.#pendingDebugInfo = null;
      load();
    }
    return this.#debugInfo;
  }

  set debugInfo(source: DebugInfoSource | null) {
    this.#debugInfo = source;
  }

  /**
   * Puts off loading this module's debug info until something reads
   * {@link debugInfo} (or the module's DWARF: see {@link moduleDwarf}): for
   * kernel modules, whose DWARF most sessions never read.
   */
  deferDebugInfo(load: () => void): void {
    this.#pendingDebugInfo = load;
  }

  /** Whether debug info has been loaded for this module, or found and deferred. */
  get hasDebugInfo(): boolean {
    return this.#pendingDebugInfo !== null || this.#debugInfo !== null;
  }

  toString(): string {
    return `Module(${this.name}, ${this.kind}, 0x${this.start.toString(16)}-0x${
      this.end.toString(16)
    })`;
  }
}

/** The DWARF of `m` (its debug info loaded first if deferred), if any. */
export function moduleDwarf<T>(m: Module): T | undefined {
  void m.debugInfo;
  return m.data.get("dwarf") as T | undefined;
}
