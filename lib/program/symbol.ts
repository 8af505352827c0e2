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

import { HI32, LO32 } from "../binary/byte_reader.ts";
import type { ElfSymbolColumns } from "../elf/symbols.ts";
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

/**
 * A symbol table's entries as columns, for {@link SymbolTable}: addresses
 * final (relocated), names decoded only for the symbols asked for.
 */
export interface SymbolColumns {
  readonly length: number;
  readonly address: BigUint64Array;
  readonly size: BigUint64Array;
  /** `STT_*` */
  readonly type: Uint8Array;
  /** `STB_*` */
  readonly binding: Uint8Array;
  /** Section index (`SHN_UNDEF` = 0). */
  readonly shndx: Uint32Array;
  /** Whether entry `i` has a name (without decoding it). */
  named(i: number): boolean;
  /** Entry `i`'s name. */
  name(i: number): string;
}

/**
 * An ELF symbol table's columns (see `ElfFile.symbolColumns`) as
 * {@link SymbolColumns}, at addresses `address` (default: the values).
 */
export function symbolColumnsOf(
  raw: ElfSymbolColumns,
  address: BigUint64Array = raw.value,
): SymbolColumns {
  const n = raw.length;
  const type = new Uint8Array(n);
  const binding = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const info = raw.info[i]!;
    type[i] = info & 0xf;
    binding[i] = info >> 4;
  }
  const strtab = raw.strtab;
  const nameOff = raw.nameOff;
  return {
    length: n,
    address,
    size: raw.size,
    type,
    binding,
    shndx: raw.shndx,
    named: (i) => nameOff[i]! < strtab.data.length && strtab.data[nameOff[i]!] !== 0,
    name: (i) => strtab.get(nameOff[i]!),
  };
}

/** `raw` as columns, `bias` added to every value. */
function rawColumns(raw: Iterable<RawSymbol>, bias: bigint): SymbolColumns {
  const list = Array.isArray(raw) ? raw as readonly RawSymbol[] : [...raw];
  const n = list.length;
  const address = new BigUint64Array(n);
  const size = new BigUint64Array(n);
  const type = new Uint8Array(n);
  const binding = new Uint8Array(n);
  const shndx = new Uint32Array(n);
  const names: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = list[i]!;
    address[i] = BigInt.asUintN(64, r.value + bias);
    size[i] = BigInt.asUintN(64, BigInt(r.size));
    type[i] = r.type;
    binding[i] = r.binding;
    shndx[i] = r.shndx;
    names[i] = r.name;
  }
  return {
    length: n,
    address,
    size,
    type,
    binding,
    shndx,
    named: (i) => names[i] !== "",
    name: (i) => names[i]!,
  };
}

/**
 * One module's symbols, relocated, indexed by name and by address. Kept as
 * columns (typed arrays): a {@link Symbol} is made for the symbols asked
 * for, and the address index is sorted without an object per symbol (a
 * kernel's 130,000 symbols: ~10 ms instead of 110 and 50 MB of objects).
 */
export class SymbolTable {
  readonly #cols: SymbolColumns;
  /** Entries that are symbols (defined, named), in table order. */
  readonly #defined: Uint32Array;
  readonly #made: (Symbol | undefined)[];
  #symbols: Symbol[] | undefined;
  #byName: Map<string, Symbol[]> | undefined;
  // Address index over the symbols eligible for address lookups, sorted by
  // address (ties in table order): per position, the entry, its address
  // and end, binding rank, place among the eligible symbols in table order,
  // whether local, section index, and the largest end up to it, over all
  // symbols and over the non-local ones.
  readonly #entry: Uint32Array;
  readonly #addrs: BigUint64Array;
  readonly #ends: BigUint64Array;
  readonly #ranks: Uint8Array;
  readonly #order: Uint32Array;
  readonly #local: Uint8Array;
  readonly #shndx: Uint32Array;
  readonly #maxEnd: BigUint64Array;
  readonly #maxEndGlobal: BigUint64Array;
  // The sections, sorted by start, as `[start, end, index]` (see `#sectionOf`).
  #sections: (readonly [bigint, bigint, number])[] | null;
  /** Lowest and highest address covered (for quick rejection). */
  readonly start: bigint;
  readonly end: bigint;

  /**
   * @param raw the symbols, in table order: {@link RawSymbol}s, to which
   *   `bias` is added, or {@link SymbolColumns}, whose addresses are final
   * @param bias added to every value of `raw` symbols, and to `sections`
   * @param sections link-time `[start, end)` of each allocated section by
   *   index (undefined for the others): a sizeless symbol then only covers
   *   addresses of its own section, as elfutils decides; null: no such check
   */
  constructor(
    raw: Iterable<RawSymbol> | SymbolColumns,
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
    const cols = isColumns(raw) ? raw : rawColumns(raw, bias);
    this.#cols = cols;
    const n = cols.length;
    const defined = new Uint32Array(n);
    const eligible = new Uint32Array(n);
    let nd = 0;
    let ne = 0;
    for (let i = 0; i < n; i++) {
      if (cols.shndx[i] === SHN_UNDEF || !cols.named(i)) continue;
      defined[nd++] = i;
      const t = cols.type[i];
      if (t === STT_TLS || t === STT_SECTION || t === STT_FILE) continue;
      eligible[ne++] = i;
    }
    this.#defined = defined.slice(0, nd);
    this.#made = new Array(n);
    // Places among the eligible symbols, sorted by address, ties in table order.
    const sorted = sortByAddress(cols.address, eligible, ne);
    const ix = buildAddressIndex(cols, eligible, sorted);
    this.#entry = ix.entry;
    this.#addrs = ix.addrs;
    this.#ends = ix.ends;
    this.#ranks = ix.ranks;
    this.#order = sorted;
    this.#local = ix.local;
    this.#shndx = ix.shndx;
    this.#maxEnd = ix.maxEnd;
    this.#maxEndGlobal = ix.maxEndGlobal;
    this.start = ne ? this.#addrs[0]! : 0n;
    this.end = ne ? this.#maxEnd[ne - 1]! : 0n;
  }

  /** Every defined symbol, in table order. */
  get symbols(): readonly Symbol[] {
    if (this.#symbols === undefined) {
      this.#symbols = Array.from(this.#defined, (i) => this.#symbol(i));
    }
    return this.#symbols;
  }

  /** The {@link Symbol} of entry `i` (made once). */
  #symbol(i: number): Symbol {
    let s = this.#made[i];
    if (s === undefined) {
      const c = this.#cols;
      s = new Symbol(
        c.name(i),
        c.address[i]!,
        c.size[i]!,
        BINDING_NAMES[c.binding[i]!] ?? "UNKNOWN",
        KIND_NAMES[c.type[i]!] ?? "UNKNOWN",
      );
      this.#made[i] = s;
    }
    return s;
  }

  /** The symbol at place `p` of the address index. */
  #at(p: number): Symbol {
    return this.#symbol(this.#entry[p]!);
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
    const want = local ? 1 : 0;
    for (const i of cands) {
      if (this.#local[i] !== want) continue;
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
    const local = this.#local;
    const cands: number[] = [];
    for (let i = last; i >= 0 && maxEnd[i]! > address; i--) {
      if (ends[i]! > address && ends[i] !== addrs[i]) cands.push(i);
    }
    if (cands.length > 1) cands.sort((x, y) => this.#order[x]! - this.#order[y]!);
    // The global (non-local) symbols first.
    const global = this.#closest(cands, false);
    if (global >= 0) return this.#at(global);
    // The local ones unless a global sizeless symbol is at the very address.
    let exactGlobal = false;
    for (let i = last; i >= 0 && addrs[i] === address; i--) {
      if (local[i] === 0 && ends[i] === addrs[i]) exactGlobal = true;
    }
    if (!exactGlobal) {
      const l = this.#closest(cands, true);
      if (l >= 0) return this.#at(l);
    }
    // A sizeless symbol: only one at the highest start or end of the symbols
    // searched can be (elfutils' min_label); the last such in search order
    // (locals after globals, each in table order) in the address's section.
    const label = exactGlobal ? this.#maxEndGlobal[last]! : maxEnd[last]!;
    let best = -1;
    for (let i = last; i >= 0 && addrs[i]! >= label; i--) {
      if (addrs[i] !== label || ends[i] !== addrs[i]) continue;
      if (exactGlobal && local[i] === 1) continue;
      if (!this.#sameSection(i, address)) continue;
      if (
        best < 0 || (local[i] === 1 && local[best] === 0) ||
        (local[i] === local[best] && this.#order[i]! > this.#order[best]!)
      ) {
        best = i;
      }
    }
    return best >= 0 ? this.#at(best) : null;
  }
}

/**
 * The per-place arrays of the address index (see `SymbolTable`) for the
 * eligible entries `eligible` in the order `sorted`. The ends stop at
 * 2^64 - 1. Worked in 32-bit halves: no bigint per symbol.
 */
function buildAddressIndex(cols: SymbolColumns, eligible: Uint32Array, sorted: Uint32Array) {
  const n = cols.length;
  const ne = sorted.length;
  const a32 = new Uint32Array(cols.address.buffer, cols.address.byteOffset, 2 * n);
  const s32 = new Uint32Array(cols.size.buffer, cols.size.byteOffset, 2 * n);
  const bindings = cols.binding;
  const sections = cols.shndx;
  const entry = new Uint32Array(ne);
  const ranks = new Uint8Array(ne);
  const local = new Uint8Array(ne);
  const shndx = new Uint32Array(ne);
  const addrs = new BigUint64Array(ne);
  const ends = new BigUint64Array(ne);
  const maxEnd = new BigUint64Array(ne);
  const maxEndGlobal = new BigUint64Array(ne);
  const addr32 = new Uint32Array(addrs.buffer);
  const end32 = new Uint32Array(ends.buffer);
  const max32 = new Uint32Array(maxEnd.buffer);
  const maxG32 = new Uint32Array(maxEndGlobal.buffer);
  // The largest ends so far.
  let mHi = 0, mLo = 0, gHi = 0, gLo = 0;
  for (let p = 0; p < ne; p++) {
    const i = eligible[sorted[p]!]!;
    const b = bindings[i]!;
    entry[p] = i;
    ranks[p] = bindingRank(b);
    local[p] = b === STB_LOCAL ? 1 : 0;
    shndx[p] = sections[i]!;
    const aLo = a32[2 * i + LO32]!;
    const aHi = a32[2 * i + HI32]!;
    let eLo = aLo + s32[2 * i + LO32]!;
    let eHi = aHi + s32[2 * i + HI32]!;
    if (eLo > 0xffffffff) {
      eLo -= 0x100000000;
      eHi++;
    }
    if (eHi > 0xffffffff) eHi = eLo = 0xffffffff;
    addr32[2 * p + LO32] = aLo;
    addr32[2 * p + HI32] = aHi;
    end32[2 * p + LO32] = eLo;
    end32[2 * p + HI32] = eHi;
    if (eHi > mHi || (eHi === mHi && eLo > mLo)) {
      mHi = eHi;
      mLo = eLo;
    }
    if (b !== STB_LOCAL && (eHi > gHi || (eHi === gHi && eLo > gLo))) {
      gHi = eHi;
      gLo = eLo;
    }
    max32[2 * p + LO32] = mLo;
    max32[2 * p + HI32] = mHi;
    maxG32[2 * p + LO32] = gLo;
    maxG32[2 * p + HI32] = gHi;
  }
  return { entry, ranks, local, shndx, addrs, ends, maxEnd, maxEndGlobal };
}

function isColumns(raw: Iterable<RawSymbol> | SymbolColumns): raw is SymbolColumns {
  return (raw as SymbolColumns).address instanceof BigUint64Array;
}

/**
 * Places `0 … n - 1` of `entries[0 … n)` sorted by `address[entries[place]]`,
 * ties in place order: a stable radix sort over the addresses' four 16-bit
 * digits (a digit all the keys share is skipped).
 */
function sortByAddress(address: BigUint64Array, entries: Uint32Array, n: number): Uint32Array {
  const a32 = new Uint32Array(address.buffer, address.byteOffset, 2 * address.length);
  let src = new Uint32Array(n);
  for (let p = 0; p < n; p++) src[p] = p;
  let dst = new Uint32Array(n);
  const count = new Uint32Array(0x10000);
  for (const [word, shift] of [[LO32, 0], [LO32, 16], [HI32, 0], [HI32, 16]] as const) {
    count.fill(0);
    for (let p = 0; p < n; p++) count[(a32[2 * entries[src[p]!]! + word]! >>> shift) & 0xffff]!++;
    if (n === 0 || count[(a32[2 * entries[src[0]!]! + word]! >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 0x10000; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let p = 0; p < n; p++) {
      const x = src[p]!;
      dst[count[(a32[2 * entries[x]! + word]! >>> shift) & 0xffff]!++] = x;
    }
    [src, dst] = [dst, src];
  }
  return src;
}

/** Throws drgn's message for a failed address lookup. */
export function symbolNotFoundAt(address: bigint): never {
  throw new LookupError(`could not find symbol containing ${hex(address)}`, "symbol", hex(address));
}

/** Throws drgn's message for a failed name lookup. */
export function symbolNotFoundNamed(name: string): never {
  throw new LookupError(`could not find symbol with name '${name}'`, "symbol", name);
}
