/**
 * Attaching ELF symbols and DWARF debug info to modules, and the finders
 * that make them visible through `prog.type()`, `prog.object()` and
 * `prog.symbol()`. Targets decide which files belong to which module; this
 * file turns a module + file into lookups.
 *
 * @module
 */

import { ElfFile } from "../elf/elf_file.ts";
import type { Program, TypeFinderKind } from "./program.ts";
import { FindObjectFlags } from "./program.ts";
import { type DebugInfoSource, Module, type ObjectDescriptor } from "./module.ts";
import { Program as ProgramClass } from "./program.ts";
import { type RawSymbol, type Symbol, SymbolTable } from "./symbol.ts";
import type { Thread } from "./thread.ts";
import {
  newAbsent,
  newReference,
  newValue,
  type TypedObject,
  valueFromBytes,
} from "../object/typed_object.ts";
import { isCompoundKind, type Type } from "../types/type.ts";

function openElf(path: string): ElfFile {
  return ElfFile.open(path);
}

/** Creates a module's DWARF lookups from an ELF file (installed by the DWARF layer). */
export type DwarfFactory = (prog: Program, module: Module, elf: ElfFile) => DebugInfoSource | null;

let dwarfFactory: DwarfFactory | null = null;

/** Installs the DWARF loader (done once by `lib/dwarf/program_source.ts`). */
export function setDwarfFactory(f: DwarfFactory): void {
  dwarfFactory = f;
}

/** Evaluates a non-trivial location expression of a global (TLS) to an object. */
export type LocationEvaluator = (
  prog: Program,
  module: Module,
  desc: ObjectDescriptor & { kind: "variable" },
  thread?: Thread | null,
) => TypedObject | null;

let locationEvaluator: LocationEvaluator | null = null;

/** Installs the evaluator for global variables with location expressions (TLS). */
export function setLocationEvaluator(f: LocationEvaluator): void {
  locationEvaluator = f;
}

const SHN_LORESERVE = 0xff00;
const SHN_ABS = 0xfff1;

/**
 * Gives `module` `elf`'s symbol table (relocated by the module's bias),
 * built when first used.
 */
export function attachSymbols(module: Module, elf: ElfFile): void {
  module.deferSymtab(() => {
    let syms: readonly RawSymbol[] = [];
    if (elf.section(".symtab")) syms = elf.symbols("symtab");
    else if (elf.section(".dynsym")) syms = elf.symbols("dynsym");
    const alloc = (shndx: number) => ((elf.sections[shndx]?.flags ?? 0n) & 2n) !== 0n;
    const sections = elf.sections.map((s, i) =>
      alloc(i) ? [s.addr, s.addr + BigInt(s.size)] as const : undefined
    );
    // As elfutils: absolute and common symbols, and those of sections not
    // loaded (`.gnu.warning.*`), keep their values (the bias is undone here)
    // and match only their own address.
    const bias = module.bias;
    const raw = syms.map((s) =>
      s.shndx >= SHN_LORESERVE || !alloc(s.shndx)
        ? { ...s, value: BigInt.asUintN(64, s.value - bias), shndx: SHN_ABS }
        : s
    );
    return new SymbolTable(raw, bias, sections);
  });
}

/** Loads `elf`'s DWARF into `module` and registers the finders on first use. */
export function attachDebugInfo(prog: Program, module: Module, elf: ElfFile): boolean {
  ensureFinders(prog);
  if (dwarfFactory === null) throw new Error("DWARF support not loaded");
  const src = dwarfFactory(prog, module, elf);
  if (src === null) return false;
  module.debugInfo = src;
  if (module.kind === "main" && src.mainLanguage) prog.language = src.mainLanguage;
  return true;
}

/**
 * A global variable as `thread` sees it: thread-local variables are read
 * from that thread's TLS block. Throws `LookupError` if there is none.
 */
export function threadVariable(prog: Program, name: string, thread: Thread): TypedObject {
  for (const m of lookupOrder(prog)) {
    if (m.debugInfo === null) continue;
    const d = m.debugInfo.findObject(name, FindObjectFlags.VARIABLE);
    if (d === null) continue;
    const o = descriptorToObject(prog, m, d, thread);
    if (o !== null) return o;
  }
  return prog.variable(name);
}

/**
 * Modules in lookup order: the main program (or vmlinux) first, then the
 * rest (whose deferred loading, if any, is completed only when a lookup
 * gets that far: see `Program.deferModuleLoad`).
 */
function* lookupOrder(prog: Program): Generator<Module> {
  const isFirst = (m: Module) => m.kind === "main" || m.kind === "linux_kernel";
  const first = prog.loadedModules.filter(isFirst);
  yield* first;
  for (const m of prog.modules) if (!first.includes(m)) yield m;
}

/** Whether `t` is a struct/union/class/enum only declared (no members or enumerators). */
function isDeclared(t: Type): boolean {
  return (isCompoundKind(t.kind) || t.kind === "enum") && !t.isComplete();
}

/**
 * The complete definition of a struct/union/class/enum that `from`'s
 * debug info only declares, in the program's other modules (in lookup
 * order), or null: drgn resolves declarations over all modules. Not for
 * vmlinux, whose declarations would otherwise load every kernel module's
 * debug info (the modules are listed and loaded when first needed).
 */
export function completeTypeElsewhere(
  prog: Program,
  from: Module,
  kind: "struct" | "union" | "class" | "enum",
  name: string,
): Type | null {
  if (from.kind === "linux_kernel") return null;
  const key = `${kind} ${name}`;
  const busy = resolving.get(prog) ?? new Set<string>();
  if (busy.has(key)) return null;
  busy.add(key);
  resolving.set(prog, busy);
  try {
    for (const m of lookupOrder(prog)) {
      if (m === from || m.debugInfo === null) continue;
      const t = m.debugInfo.findType(kind, name);
      if (t !== null && !isDeclared(t)) return t;
    }
    return null;
  } finally {
    busy.delete(key);
  }
}

/** Declarations being resolved across modules, per program (no cycles). */
const resolving = new WeakMap<Program, Set<string>>();

/** Registers the debug-info finders on `prog` (idempotent). */
export function ensureFinders(prog: Program): void {
  if (prog.targetData.has("debugInfoFinders")) return;
  prog.targetData.set("debugInfoFinders", true);
  prog.targetData.set("threadVariable", (name: string, t: Thread) => threadVariable(prog, name, t));
  prog.addTypeFinder((kind: TypeFinderKind, name: string, filename?: string) => {
    // A complete definition in any module before a declaration (as drgn,
    // whose index has no declarations).
    let declared: Type | null = null;
    // `filename`: the file the definition is declared in, as drgn's (see
    // `filenameMatches`).
    for (const m of lookupOrder(prog)) {
      if (m.debugInfo === null) continue;
      const t = m.debugInfo.findType(kind, name, filename);
      if (t === null) continue;
      if (!isDeclared(t)) return t;
      declared ??= t;
    }
    return declared;
  }, "dwarf");
  prog.addObjectFinder((p: Program, name: string, flags: number, filename?: string) => {
    for (const m of lookupOrder(p)) {
      if (m.debugInfo === null) continue;
      const d = m.debugInfo.findObject(name, flags, filename);
      if (d === null) continue;
      const o = descriptorToObject(p, m, d);
      if (o !== null) return o;
    }
    return null;
  }, "dwarf");
  prog.addSymbolFinder((name, address, one) => {
    const out: Symbol[] = [];
    if (name !== null) {
      // As drgn 0.0.22: modules in its order, the first global (or
      // unique) symbol wins; else the first module's best (weak over local).
      let best: Symbol | null = null;
      for (const m of symbolNameOrder(prog)) {
        const r = m.symtab?.byName(name) ?? [];
        if (r.length === 0) continue;
        if (!one) {
          out.push(...r);
          continue;
        }
        const b = bestByBinding(r);
        if (bindingRank(b) === 0) return [b];
        if (best === null || bindingRank(b) < bindingRank(best)) best = b;
      }
      return best === null ? out : [best];
    }
    for (const m of lookupOrder(prog)) {
      const st = m.symtab;
      if (st === null) continue;
      if (address !== null) {
        // Only the module that maps the address may symbolize it; its end
        // address too when no module starts there (as elfutils'
        // dwfl_addrmodule).
        const [start, end] = symbolRange(m);
        if (end > start && (address < start || address > end)) continue;
        if (address === end && end > start && mappedByOther(prog, m, address)) continue;
        const s = st.byAddress(address);
        if (s) {
          if (one) return [s];
          out.push(s);
        }
      } else {
        out.push(...st.symbols);
      }
    }
    return out;
  }, "elf");
}

/**
 * Where `m`'s symbols may be found: its range, or what its loader set as
 * `symbolRange` (vmlinux: all of its loaded segments).
 */
function symbolRange(m: Module): [bigint, bigint] {
  const f = m.data.get("symbolRange") as (() => [bigint, bigint]) | undefined;
  return f === undefined ? [m.start, m.end] : f();
}

/** Whether a module other than `m` has `address` in its range. */
function mappedByOther(prog: Program, m: Module, address: bigint): boolean {
  return prog.modules.some((o) => o !== m && address >= o.start && address < o.end);
}

/** drgn's precedence of symbol bindings for name lookups: 0 is best. */
function bindingRank(s: Symbol): number {
  return s.binding === "GLOBAL" || s.binding === "UNIQUE" ? 0 : s.binding === "WEAK" ? 1 : 2;
}

function bestByBinding(list: Symbol[]): Symbol {
  // As drgn 0.0.22, which searches the table backwards: a global (or
  // unique) one, else a weak one, else the last (vmlinux has 489 local
  // symbols named .LC0; 1,184 local names occur more than once).
  let best = list[0]!;
  for (const s of list) if (bindingRank(s) <= bindingRank(best)) best = s;
  return best;
}

/**
 * The modules in the order drgn 0.0.22 (libdwfl) searches them by symbol
 * name: the kernel's vmlinux, then its modules in the kernel's list order;
 * a process's modules (program and shared libraries) from the highest
 * address down (a core's or process's mappings are reported in address
 * order and iterated newest first): in a core of a program linked with
 * libm, `_DYNAMIC` is ld.so's, then libm's, libc's, the program's.
 */
function* symbolNameOrder(prog: Program): Generator<Module> {
  if (prog.flags.isLinuxKernel) {
    yield* lookupOrder(prog);
    return;
  }
  yield* [...prog.modules].sort((a, b) => (a.start > b.start ? -1 : a.start < b.start ? 1 : 0));
}

/** Turns a debug-info descriptor into an object. */
export function descriptorToObject(
  prog: Program,
  m: Module,
  d: ObjectDescriptor,
  thread?: Thread | null,
): TypedObject | null {
  switch (d.kind) {
    case "constant":
      return newValue(prog, d.type, d.value);
    case "function":
      if (d.address === null) return newAbsent(prog, d.type);
      return newReference(prog, d.type, d.address);
    case "variable": {
      if (d.address !== null) return newReference(prog, d.type, d.address);
      if (d.constValue !== undefined) {
        if (typeof d.constValue === "bigint") return newValue(prog, d.type, d.constValue);
        return valueFromBytes(prog, d.type, d.constValue);
      }
      if (d.locationExpr !== undefined && locationEvaluator !== null) {
        return locationEvaluator(prog, m, d, thread);
      }
      return newAbsent(prog, d.type);
    }
  }
}

export { FindObjectFlags };

/**
 * Loading debug info into a program with no target (types, constants and
 * symbols of files at their link-time addresses), as drgn does for
 * `load_debug_info()` without a core or process.
 */
export function loadDebugInfoWithoutTarget(
  prog: Program,
  paths: string[],
  _opts: { default?: boolean; main?: boolean },
): void {
  for (const path of paths) {
    const elf = openElf(path);
    if (!prog.hasPlatform) prog.setPlatform(elf.platform);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const m = new Module(
      name,
      prog.modules.length === 0 ? "main" : "extra",
      0n,
      0n,
      0n,
      elf.buildIdHex(),
    );
    m.path = elf.path;
    m.debugPath = elf.path;
    prog.addModule(m);
    attachSymbols(m, elf);
    ensureFinders(prog);
    if (!attachDebugInfo(prog, m, elf)) {
      prog.warn(`${path}: has no DWARF debug info`);
    }
  }
}

ProgramClass.genericDebugInfoLoader = loadDebugInfoWithoutTarget;
