/**
 * ELF symbols as the program sees them: relocated by the module's load bias,
 * searchable by name and by address with the rules drgn 0.0.22 (through
 * elfutils' `dwfl_module_addrinfo`) uses, so answers agree with drgn's:
 *
 * - the global (non-local) symbols are searched first; the local ones only
 *   if no global symbol contains the address and no global sizeless symbol
 *   is at that very address;
 * - a sized symbol contains `[address, address + size)`; of several, taken
 *   in table order, the closest start wins, or the stronger binding
 *   (GLOBAL > WEAK > LOCAL), then at one start the smaller size;
 * - failing that, a sizeless symbol contains the addresses after it up to
 *   the next symbol or the end of a sized one, in the same section (by
 *   address) only; of several at one address, the last in search order;
 * - TLS, section, file and undefined symbols are never found by address.
 *
 * @module
 */

import { hex, LookupError } from "../errors.ts";

/** Symbol binding, as drgn's `SymbolBinding`. */
export type SymbolBinding = "UNKNOWN" | "LOCAL" | "GLOBAL" | "WEAK" | "UNIQUE";
/** drgn's `SymbolBinding` members (`SymbolBinding.GLOBAL === "GLOBAL"`). */
export const SymbolBinding: { readonly [K in SymbolBinding]: K } = {
  UNKNOWN: "UNKNOWN",
  LOCAL: "LOCAL",
  GLOBAL: "GLOBAL",
  WEAK: "WEAK",
  UNIQUE: "UNIQUE",
};
/** Symbol kind, as drgn's `SymbolKind`. */
export type SymbolKind =
  | "UNKNOWN"
  | "OBJECT"
  | "FUNC"
  | "SECTION"
  | "FILE"
  | "COMMON"
  | "TLS"
  | "IFUNC";

/** drgn's `SymbolKind` members (`SymbolKind.FUNC === "FUNC"`). */
export const SymbolKind: { readonly [K in SymbolKind]: K } = {
  UNKNOWN: "UNKNOWN",
  OBJECT: "OBJECT",
  FUNC: "FUNC",
  SECTION: "SECTION",
  FILE: "FILE",
  COMMON: "COMMON",
  TLS: "TLS",
  IFUNC: "IFUNC",
};

const BINDING_NAMES: Record<number, SymbolBinding> = {
  0: "LOCAL",
  1: "GLOBAL",
  2: "WEAK",
  10: "UNIQUE",
};
const KIND_NAMES: Record<number, SymbolKind> = {
  0: "UNKNOWN",
  1: "OBJECT",
  2: "FUNC",
  3: "SECTION",
  4: "FILE",
  5: "COMMON",
  6: "TLS",
  10: "IFUNC",
};
const BINDING_NUM: Record<SymbolBinding, number> = {
  UNKNOWN: 0,
  LOCAL: 1,
  GLOBAL: 2,
  WEAK: 3,
  UNIQUE: 4,
};
const KIND_NUM: Record<SymbolKind, number> = {
  UNKNOWN: 0,
  OBJECT: 1,
  FUNC: 2,
  SECTION: 3,
  FILE: 4,
  COMMON: 5,
  TLS: 6,
  IFUNC: 10,
};

const INSPECT = globalThis.Symbol.for("Deno.customInspect");

/** An ELF symbol in the program's address space. */
export class Symbol {
  readonly name: string;
  readonly address: bigint;
  readonly size: bigint;
  readonly binding: SymbolBinding;
  readonly kind: SymbolKind;
  constructor(
    name: string,
    address: bigint,
    size: bigint,
    binding: SymbolBinding,
    kind: SymbolKind,
  ) {
    this.name = name;
    this.address = address;
    this.size = size;
    this.binding = binding;
    this.kind = kind;
  }

  /** drgn's repr: `Symbol(name='x', address=0x…, size=0x4, binding=<SymbolBinding.GLOBAL: 2>, kind=<SymbolKind.OBJECT: 1>)`. */
  toString(): string {
    return `Symbol(name='${this.name}', address=${hex(this.address)}, size=${hex(this.size)}, ` +
      `binding=<SymbolBinding.${this.binding}: ${BINDING_NUM[this.binding]}>, ` +
      `kind=<SymbolKind.${this.kind}: ${KIND_NUM[this.kind]}>)`;
  }

  [INSPECT](): string {
    return this.toString();
  }
}

/** A raw ELF symbol table entry, before relocation. */
export interface RawSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint | number;
  /** `STT_*` */
  readonly type: number;
  /** `STB_*` */
  readonly binding: number;
  /** Section index (`SHN_UNDEF` = 0). */
  readonly shndx: number;
}

const STB_LOCAL = 0;
const STT_SECTION = 3;
const STT_FILE = 4;
const STT_TLS = 6;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;

/** libdwfl's binding preference for address lookups. */
function bindingRank(b: number): number {
  switch (b) {
    case 1: // GLOBAL
      return 3;
    case 2: // WEAK
      return 2;
    case 0: // LOCAL
      return 1;
    default:
      return 0;
  }
}

/** One module's symbols, relocated by `bias`, indexed by name and by address. */
export class SymbolTable {
  /** Every defined symbol, in table order. */
  readonly symbols: readonly Symbol[];
  #byName: Map<string, Symbol[]> | undefined;
  // Address index over the symbols eligible for address lookups, sorted by
  // address (ties in table order), with each one's place in the table.
  #addrs: bigint[] = [];
  #ends: bigint[] = [];
  #ranks: number[] = [];
  #order: number[] = [];
  #local: boolean[] = [];
  #syms: Symbol[] = [];
  #shndx: number[] = [];
  // Largest end up to each index: over all symbols, and over the non-local ones.
  #maxEnd: bigint[] = [];
  #maxEndGlobal: bigint[] = [];
  // The sections, sorted by start, as `[start, end, index]` (see `#sectionOf`).
  #sections: (readonly [bigint, bigint, number])[] | null;
  /** Lowest and highest address covered (for quick rejection). */
  readonly start: bigint;
  readonly end: bigint;

  /**
   * @param raw the symbols, in table order
   * @param bias added to every value
   * @param sections link-time `[start, end)` of each allocated section by
   *   index (undefined for the others): a sizeless symbol then only covers
   *   addresses of its own section, as elfutils decides; null: no such check
   */
  constructor(
    raw: Iterable<RawSymbol>,
    bias: bigint,
    sections: readonly (readonly [bigint, bigint] | undefined)[] | null = null,
  ) {
    if (sections === null) this.#sections = null;
    else {
      const list: (readonly [bigint, bigint, number])[] = [];
      sections.forEach((r, i) => {
        if (r !== undefined) list.push([r[0] + bias, r[1] + bias, i]);
      });
      list.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      this.#sections = list;
    }
    const all: Symbol[] = [];
    const idx: { s: Symbol; a: bigint; e: bigint; b: number; x: number; o: number }[] = [];
    for (const r of raw) {
      if (r.shndx === SHN_UNDEF || r.name === "") continue;
      const size = BigInt(r.size);
      const address = BigInt.asUintN(64, r.value + bias);
      const s = new Symbol(
        r.name,
        address,
        size,
        BINDING_NAMES[r.binding] ?? "UNKNOWN",
        KIND_NAMES[r.type] ?? "UNKNOWN",
      );
      all.push(s);
      if (r.type === STT_TLS || r.type === STT_SECTION || r.type === STT_FILE) continue;
      idx.push({ s, a: address, e: address + size, b: r.binding, x: r.shndx, o: idx.length });
    }
    this.symbols = all;
    idx.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : x.o - y.o));
    let maxEnd = 0n;
    let maxEndGlobal = 0n;
    for (const it of idx) {
      const local = it.b === STB_LOCAL;
      this.#addrs.push(it.a);
      this.#ends.push(it.e);
      this.#ranks.push(bindingRank(it.b));
      this.#order.push(it.o);
      this.#local.push(local);
      this.#syms.push(it.s);
      this.#shndx.push(it.x);
      if (it.e > maxEnd) maxEnd = it.e;
      if (!local && it.e > maxEndGlobal) maxEndGlobal = it.e;
      this.#maxEnd.push(maxEnd);
      this.#maxEndGlobal.push(maxEndGlobal);
    }
    this.start = idx.length ? idx[0]!.a : 0n;
    this.end = maxEnd;
  }

  /**
   * The index of the section containing `address`, or -1: elfutils' search
   * (a binary search over the sections by start, a section's end address
   * counting as inside it unless the next section starts there).
   */
  #sectionOf(address: bigint): number {
    const secs = this.#sections!;
    let l = 0;
    let u = secs.length;
    while (l < u) {
      const i = (l + u) >>> 1;
      const s = secs[i]!;
      if (address < s[0]) u = i;
      else if (address > s[1]) l = i + 1;
      else {
        const next = secs[i + 1];
        return address === s[1] && next !== undefined && next[0] === address ? next[2] : s[2];
      }
    }
    return -1;
  }

  /** Whether sizeless symbol `i` may cover `address` (elfutils' `same_section`). */
  #sameSection(i: number, address: bigint): boolean {
    const a = this.#addrs[i]!;
    // Absolute and common symbols only match their own address.
    if (this.#shndx[i]! >= SHN_LORESERVE) return a === address;
    if (this.#sections === null) return true;
    return this.#sectionOf(a) === this.#sectionOf(address);
  }

  /** Symbols named `name`, in table order. */
  byName(name: string): Symbol[] {
    if (this.#byName === undefined) {
      const m = new Map<string, Symbol[]>();
      for (const s of this.symbols) {
        const l = m.get(s.name);
        if (l) l.push(s);
        else m.set(s.name, [s]);
      }
      this.#byName = m;
    }
    return this.#byName.get(name) ?? [];
  }

  /**
   * The best of the sized symbols in `cands` (indexes, each containing the
   * address) that are local or not as `local` says, taken in table order as
   * elfutils does: the closest start, a stronger binding, then at the same
   * start the smaller size (binding no weaker); -1 if there is none.
   */
  #closest(cands: number[], local: boolean): number {
    let best = -1;
    for (const i of cands) {
      if (this.#local[i] !== local) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const [ba, ia] = [this.#addrs[best]!, this.#addrs[i]!];
      const [br, ir] = [this.#ranks[best]!, this.#ranks[i]!];
      if (ba < ia || br < ir) best = i;
      else if (ba === ia) {
        const bs = this.#ends[best]! - ba;
        const is = this.#ends[i]! - ia;
        if ((bs > is && br <= ir) || (bs >= is && br < ir)) best = i;
      }
    }
    return best;
  }

  /** The symbol containing `address`, or null (see the module doc for the rules). */
  byAddress(address: bigint): Symbol | null {
    const addrs = this.#addrs;
    // Last symbol starting at or before the address.
    let lo = 0;
    let hi = addrs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (addrs[mid]! <= address) lo = mid + 1;
      else hi = mid;
    }
    const last = lo - 1;
    if (last < 0) return null;
    // Sized symbols containing the address, in table order.
    const ends = this.#ends;
    const maxEnd = this.#maxEnd;
    const cands: number[] = [];
    for (let i = last; i >= 0 && maxEnd[i]! > address; i--) {
      if (ends[i]! > address && ends[i] !== addrs[i]) cands.push(i);
    }
    if (cands.length > 1) cands.sort((x, y) => this.#order[x]! - this.#order[y]!);
    // The global (non-local) symbols first.
    const global = this.#closest(cands, false);
    if (global >= 0) return this.#syms[global]!;
    // The local ones unless a global sizeless symbol is at the very address.
    let exactGlobal = false;
    for (let i = last; i >= 0 && addrs[i] === address; i--) {
      if (!this.#local[i] && ends[i] === addrs[i]) exactGlobal = true;
    }
    if (!exactGlobal) {
      const local = this.#closest(cands, true);
      if (local >= 0) return this.#syms[local]!;
    }
    // A sizeless symbol: only one at the highest start or end of the symbols
    // searched can be (elfutils' min_label); the last such in search order
    // (locals after globals, each in table order) in the address's section.
    const label = exactGlobal ? this.#maxEndGlobal[last]! : maxEnd[last]!;
    let best = -1;
    for (let i = last; i >= 0 && addrs[i]! >= label; i--) {
      if (addrs[i] !== label || ends[i] !== addrs[i]) continue;
      if (exactGlobal && this.#local[i]) continue;
      if (!this.#sameSection(i, address)) continue;
      if (
        best < 0 || (this.#local[i] && !this.#local[best]) ||
        (this.#local[i] === this.#local[best] && this.#order[i]! > this.#order[best]!)
      ) {
        best = i;
      }
    }
    return best >= 0 ? this.#syms[best]! : null;
  }
}

/** Throws drgn's message for a failed address lookup. */
export function symbolNotFoundAt(address: bigint): never {
  throw new LookupError(`could not find symbol containing ${hex(address)}`, "symbol", hex(address));
}

/** Throws drgn's message for a failed name lookup. */
export function symbolNotFoundNamed(name: string): never {
  throw new LookupError(`could not find symbol with name '${name}'`, "symbol", name);
}
