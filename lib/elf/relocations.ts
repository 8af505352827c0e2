/**
 * Applying relocations to section data of relocatable (`ET_REL`) files such
 * as Linux kernel modules, whose `.debug_*` sections are only meaningful
 * after their `SHT_RELA` relocations are applied. x86-64 is supported.
 *
 * All arithmetic is done on 32-bit halves in plain numbers (no bigints per
 * relocation): a module's `.debug_info` has tens of thousands of relocations.
 * Results are truncated to the width of the relocated field, as the
 * relocation formulas define them modulo 2^width.
 *
 * @module
 */

import { DecodeError, TargetError } from "../errors.ts";
import { elfName, EM, ET, R_X86_64, SHN, SHT } from "./constants.ts";
import type { ElfFile, ElfSection } from "./elf_file.ts";
import { StringTable, symbolEntrySize } from "./symbols.ts";

/** The load address of section `shndx` (0 for sections that are not loaded). */
export type SectionAddressFn = (shndx: number) => bigint;

/** Options of {@link relocatedSectionData}. */
export interface RelocationOptions {
  /**
   * The value of an undefined (`SHN_UNDEF`) symbol, by name; return
   * undefined to make the relocation an error. By default undefined symbols
   * are 0, as for an unlinked object.
   */
  readonly resolveUndefined?: (name: string) => bigint | undefined;
}

const TWO32 = 0x100000000;
const defaultCache = new WeakMap<ElfFile, Map<number, Uint8Array>>();

/**
 * The contents of section `nameOrSection` of `elf` with the relocations that
 * target it applied, given each section's address (by default 0 for every
 * section, which is what a debugger wants for the `.debug_*` sections of an
 * unloaded module). Files other than `ET_REL`, and sections nothing
 * relocates, give {@link ElfFile.sectionData} unchanged. The result is a new
 * array unless it is that unchanged data; results for the default addresses
 * are cached. Do not modify the result.
 *
 * Throws a {@link TargetError} for relocations of an unsupported
 * architecture and a {@link DecodeError} (naming the relocation section and
 * the file offset of the bad entry) for an unsupported relocation type, a
 * symbol index outside the symbol table, or an offset outside the section.
 *
 * @example
 * ```ts ignore
 * const elf = ElfFile.open("loop.ko");
 * const info = relocatedSectionData(elf, ".debug_info");
 * ```
 */
export function relocatedSectionData(
  elf: ElfFile,
  nameOrSection: string | ElfSection,
  sectionAddress?: SectionAddressFn,
  options: RelocationOptions = {},
): Uint8Array {
  const target = typeof nameOrSection === "string" ? elf.section(nameOrSection) : nameOrSection;
  if (target === undefined) return elf.sectionData(`${nameOrSection}`); // throws LookupError
  const data = elf.sectionData(target);
  if (elf.type !== ET.REL) return data;
  const relSections = elf.sections.filter((s) =>
    (s.type === SHT.RELA || s.type === SHT.REL) && s.info === target.index && s.size > 0
  );
  if (relSections.length === 0) return data;
  const useCache = sectionAddress === undefined && options.resolveUndefined === undefined;
  if (useCache) {
    const hit = defaultCache.get(elf)?.get(target.index);
    if (hit !== undefined) return hit;
  }
  if (elf.machine !== EM.X86_64) {
    throw new TargetError(
      elf.path,
      `cannot apply relocations for machine ${
        elfName("EM", elf.machine)
      }: only EM_X86_64 is supported`,
    );
  }
  const out = data.slice();
  const addressOf = sectionAddress ?? (() => 0n);
  const targetAddr = splitU64(addressOf(target.index));
  for (const rel of relSections) {
    applyX86_64(elf, rel, target, out, targetAddr, addressOf, options);
  }
  if (useCache) {
    let m = defaultCache.get(elf);
    if (m === undefined) defaultCache.set(elf, m = new Map());
    m.set(target.index, out);
  }
  return out;
}

/** Symbol values `S` (as 32-bit halves), computed on first use. */
class SymbolValues {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly sizeHi: Uint32Array;
  readonly sizeLo: Uint32Array;
  readonly done: Uint8Array;
  readonly count: number;
  #view: DataView;
  #elf: ElfFile;
  #addressOf: SectionAddressFn;
  #sectionAddr = new Map<number, [number, number]>();
  #names: StringTable;
  #resolve: ((name: string) => bigint | undefined) | undefined;
  #what: string;
  #symtab: ElfSection;
  #entsize: number;

  constructor(
    elf: ElfFile,
    symtab: ElfSection,
    addressOf: SectionAddressFn,
    resolve: ((name: string) => bigint | undefined) | undefined,
    what: string,
  ) {
    const data = elf.sectionData(symtab);
    const entsize = symtab.entsize || symbolEntrySize(true);
    if (entsize < symbolEntrySize(true)) {
      throw new DecodeError(what, symtab.offset, `bad symbol entry size ${entsize}`);
    }
    this.count = Math.floor(data.length / entsize);
    this.hi = new Uint32Array(this.count);
    this.lo = new Uint32Array(this.count);
    this.sizeHi = new Uint32Array(this.count);
    this.sizeLo = new Uint32Array(this.count);
    this.done = new Uint8Array(this.count);
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#elf = elf;
    this.#addressOf = addressOf;
    this.#resolve = resolve;
    this.#what = what;
    this.#symtab = symtab;
    const strSec = elf.sections[symtab.link];
    this.#names = new StringTable(
      strSec === undefined ? new Uint8Array(0) : elf.sectionData(strSec),
      `string table of ${elf.path}`,
    );
    this.#entsize = entsize;
  }

  /** Fills in symbol `i` (0 < i < count). */
  compute(i: number, relocOffset: number): void {
    const v = this.#view;
    const le = this.#elf.littleEndian;
    const p = i * this.#entsize;
    const shndx = v.getUint16(p + 6, le);
    let hi = v.getUint32(p + (le ? 12 : 8), le);
    let lo = v.getUint32(p + (le ? 8 : 12), le);
    this.sizeHi[i] = v.getUint32(p + (le ? 20 : 16), le);
    this.sizeLo[i] = v.getUint32(p + (le ? 16 : 20), le);
    let base: [number, number] | undefined;
    if (shndx === SHN.UNDEF) {
      const resolve = this.#resolve;
      if (resolve !== undefined) {
        const name = this.#names.get(v.getUint32(p, le));
        const value = resolve(name);
        if (value === undefined) {
          throw new DecodeError(
            this.#what,
            relocOffset,
            `relocation against undefined symbol ${name} (symbol ${i})`,
          );
        }
        base = splitU64(value);
      }
    } else if (shndx < SHN.LORESERVE || shndx === SHN.XINDEX) {
      // SHN_XINDEX: the real index is in SHT_SYMTAB_SHNDX; look it up.
      const index = shndx === SHN.XINDEX ? this.#extendedIndex(i) : shndx;
      base = this.#sectionAddr.get(index);
      if (base === undefined) {
        base = splitU64(this.#addressOf(index));
        this.#sectionAddr.set(index, base);
      }
    }
    // SHN_ABS and SHN_COMMON: the value as it is.
    if (base !== undefined) {
      const l = lo + base[1];
      lo = l >>> 0;
      hi = (hi + base[0] + (l >= TWO32 ? 1 : 0)) >>> 0;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.done[i] = 1;
  }

  #extendedIndex(i: number): number {
    const elf = this.#elf;
    const sec = elf.sections.find((s) =>
      s.type === SHT.SYMTAB_SHNDX && s.link === this.#symtab.index
    );
    if (sec === undefined) return SHN.UNDEF;
    const d = elf.sectionData(sec);
    if (i * 4 + 4 > d.length) return SHN.UNDEF;
    return new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(i * 4, elf.littleEndian);
  }
}

function applyX86_64(
  elf: ElfFile,
  rel: ElfSection,
  target: ElfSection,
  out: Uint8Array,
  targetAddr: [number, number],
  addressOf: SectionAddressFn,
  options: RelocationOptions,
): void {
  const what = `relocation section ${rel.name} of ${elf.path}`;
  if (rel.type !== SHT.RELA) {
    throw new DecodeError(what, rel.offset, "x86-64 relocations must be SHT_RELA, not SHT_REL");
  }
  if (!elf.is64) {
    throw new TargetError(elf.path, "cannot apply x86-64 relocations in an ELF32 file");
  }
  const symtab = elf.sections[rel.link];
  if (symtab === undefined || (symtab.type !== SHT.SYMTAB && symtab.type !== SHT.DYNSYM)) {
    throw new DecodeError(
      what,
      rel.offset,
      `linked symbol table index ${rel.link} is not a symbol table`,
    );
  }
  const syms = new SymbolValues(elf, symtab, addressOf, options.resolveUndefined, what);
  const relData = elf.sectionData(rel);
  const entsize = rel.entsize || 24;
  if (entsize < 24) throw new DecodeError(what, rel.offset, `bad entry size ${entsize}`);
  const count = Math.floor(relData.length / entsize);
  const le = elf.littleEndian;
  const rv = new DataView(relData.buffer, relData.byteOffset, relData.byteLength);
  const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const size = out.length;
  const pHi0 = targetAddr[0];
  const pLo0 = targetAddr[1];
  const symHi = syms.hi;
  const symLo = syms.lo;
  const done = syms.done;
  const L = le ? 0 : 4; // byte offset of the low word of a 64-bit field
  const H = le ? 4 : 0;

  for (let i = 0; i < count; i++) {
    const p = i * entsize;
    const offHi = rv.getUint32(p + H, le);
    const offset = offHi * TWO32 + rv.getUint32(p + L, le);
    const type = rv.getUint32(p + 8 + L, le);
    const sym = rv.getUint32(p + 8 + H, le);
    const aLo = rv.getUint32(p + 16 + L, le);
    const aHi = rv.getUint32(p + 16 + H, le);
    if (type === R_X86_64.NONE) continue;
    if (sym >= syms.count) {
      throw new DecodeError(
        what,
        rel.offset + p,
        `relocation ${i} refers to symbol ${sym}, past the end of the symbol table (${syms.count} symbols)`,
      );
    }
    if (sym !== 0 && done[sym] === 0) syms.compute(sym, rel.offset + p);
    let width: 4 | 8;
    let pcRel = false;
    let sHi = symHi[sym]!;
    let sLo = symLo[sym]!;
    switch (type) {
      case R_X86_64["64"]:
        width = 8;
        break;
      case R_X86_64.PC64:
        width = 8;
        pcRel = true;
        break;
      case R_X86_64["32"]:
      case R_X86_64["32S"]:
        width = 4;
        break;
      case R_X86_64.PC32:
      case R_X86_64.PLT32:
        // PLT32 is S + A - P when the symbol is resolved directly (no PLT).
        width = 4;
        pcRel = true;
        break;
      case R_X86_64.SIZE32:
      case R_X86_64.SIZE64:
        // Z + A: the symbol's size.
        width = type === R_X86_64.SIZE64 ? 8 : 4;
        sHi = syms.sizeHi[sym]!;
        sLo = syms.sizeLo[sym]!;
        break;
      default:
        throw new DecodeError(
          what,
          rel.offset + p,
          `unsupported relocation type ${elfName("R_X86_64", type)} (relocation ${i})`,
        );
    }
    if (offset > size - width) {
      throw new DecodeError(
        what,
        rel.offset + p,
        `relocation ${i} at offset ${offset} is outside section ${target.name} (${size} bytes)`,
      );
    }
    // value = S + A (- P), modulo 2^64, in 32-bit halves.
    let lo = sLo + aLo;
    let hi = sHi + aHi + (lo >= TWO32 ? 1 : 0);
    lo >>>= 0;
    if (pcRel) {
      // P = target address + offset.
      const pl = pLo0 + (offset % TWO32);
      const pLo = pl >>> 0;
      const pHi = pHi0 + Math.floor(offset / TWO32) + (pl >= TWO32 ? 1 : 0);
      const d = lo - pLo;
      lo = d >>> 0;
      hi = hi - pHi - (d < 0 ? 1 : 0);
    }
    if (width === 4) {
      ov.setUint32(offset, lo, le);
    } else {
      ov.setUint32(offset + L, lo, le);
      ov.setUint32(offset + H, hi >>> 0, le);
    }
  }
}

/** A 64-bit value as `[high 32 bits, low 32 bits]` (two's complement for negatives). */
function splitU64(value: bigint): [number, number] {
  const v = BigInt.asUintN(64, value);
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}
