/**
 * ELF symbols as the program sees them: relocated by the module's load bias,
 * searchable by name and by address with the rules drgn 0.0.22 (through
 * elfutils' `dwfl_module_addrinfo`) uses, so answers agree with drgn's:
 *
 * - a sized symbol contains `[address, address + size)`; the closest such
 *   symbol wins, then the stronger binding (GLOBAL > WEAK > LOCAL);
 * - a sizeless symbol contains the addresses after it up to the next symbol,
 *   unless a sized symbol ends between it and the address;
 * - TLS, section, file and undefined symbols are never found by address.
 *
 * @module
 */

import { hex, LookupError } from "../errors.ts";

/** Symbol binding, as drgn's `SymbolBinding`. */
export type SymbolBinding = "UNKNOWN" | "LOCAL" | "GLOBAL" | "WEAK" | "UNIQUE";
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

const STT_SECTION = 3;
const STT_FILE = 4;
const STT_TLS = 6;
const SHN_UNDEF = 0;

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
  // Address index over the symbols eligible for address lookups, sorted by address.
  #addrs: bigint[] = [];
  #ends: bigint[] = [];
  #ranks: number[] = [];
  #maxEnd: bigint[] = [];
  #syms: Symbol[] = [];
  #shndx: number[] = [];
  #sections: readonly (readonly [bigint, bigint] | undefined)[] | null;
  /** Lowest and highest address covered (for quick rejection). */
  readonly start: bigint;
  readonly end: bigint;

  /**
   * @param raw the symbols, in table order
   * @param bias added to every value
   * @param sections link-time `[start, end)` of each section by index: a
   *   sizeless symbol then only covers addresses in its own section (as
   *   elfutils decides), except its own address
   */
  constructor(
    raw: Iterable<RawSymbol>,
    bias: bigint,
    sections: readonly (readonly [bigint, bigint] | undefined)[] | null = null,
  ) {
    this.#sections = sections === null
      ? null
      : sections.map((r) => (r === undefined ? undefined : [r[0] + bias, r[1] + bias] as const));
    const all: Symbol[] = [];
    const idx: { s: Symbol; a: bigint; e: bigint; r: number; x: number }[] = [];
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
      idx.push({ s, a: address, e: address + size, r: bindingRank(r.binding), x: r.shndx });
    }
    this.symbols = all;
    idx.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
    let maxEnd = 0n;
    for (const it of idx) {
      this.#addrs.push(it.a);
      this.#ends.push(it.e);
      this.#ranks.push(it.r);
      this.#syms.push(it.s);
      this.#shndx.push(it.x);
      if (it.e > maxEnd) maxEnd = it.e;
      this.#maxEnd.push(maxEnd);
    }
    this.start = idx.length ? idx[0]!.a : 0n;
    this.end = maxEnd;
  }

  #sameSection(i: number, address: bigint): boolean {
    if (this.#addrs[i] === address) return true;
    // Absolute and common symbols only match their own address (elfutils).
    if (this.#shndx[i]! >= 0xff00) return false;
    if (this.#sections === null) return true;
    const r = this.#sections[this.#shndx[i]!];
    if (r === undefined) return true;
    return address >= r[0] && address < r[1];
  }

  /** Symbols named `name` (GLOBAL first, then WEAK, then others, each in table order). */
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
    let best = -1;
    let sizeless = -1;
    let minLabel = -1n;
    const ends = this.#ends;
    const ranks = this.#ranks;
    const maxEnd = this.#maxEnd;
    for (let i = last; i >= 0; i--) {
      const a = addrs[i]!;
      if (maxEnd[i]! <= address) {
        // No symbol at or before i contains the address: every end there is
        // at or before it, so the largest is the last label they set.
        if (maxEnd[i]! > minLabel) minLabel = maxEnd[i]!;
        if (sizeless < 0) {
          sizeless = i;
          for (let j = i - 1; j >= 0 && addrs[j] === a; j--) {
            if (ranks[j]! > ranks[sizeless]!) sizeless = j;
          }
        }
        break;
      }
      const e = ends[i]!;
      if (e !== a && address < e) {
        // Ties at one address: the stronger binding, then the first in the table.
        if (best < 0 || (addrs[best] === a && ranks[best]! <= ranks[i]!)) best = i;
      } else {
        if (e !== a && e > minLabel) minLabel = e;
        // Sizeless ties: the stronger binding, then the last in the table (elfutils).
        if (sizeless < 0 || (addrs[sizeless] === a && ranks[sizeless]! < ranks[i]!)) {
          sizeless = i;
        }
      }
    }
    if (best >= 0) return this.#syms[best]!;
    if (sizeless >= 0 && addrs[sizeless]! >= minLabel && this.#sameSection(sizeless, address)) {
      return this.#syms[sizeless]!;
    }
    return null;
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
