/**
 * ELF symbol tables (`SHT_SYMTAB`, `SHT_DYNSYM`): decoding `Elf32_Sym` and
 * `Elf64_Sym` entries with their names from the linked string table.
 *
 * @module
 */

import { cstringAt, decodeUtf8, HI32, LO32 } from "../binary/byte_reader.ts";
import { DecodeError } from "../errors.ts";
import { SHN } from "./constants.ts";

/** One symbol table entry. */
export interface ElfSymbol {
  /** The name (versioned `.dynsym` names are given raw, without `@VERSION`). */
  readonly name: string;
  /** `st_value`: an address in executables and shared objects, a section offset in `ET_REL`. */
  readonly value: bigint;
  /** `st_size`. */
  readonly size: bigint;
  /** `STT_*` (low 4 bits of `st_info`). */
  readonly type: number;
  /** `STB_*` (high 4 bits of `st_info`). */
  readonly binding: number;
  /** `STV_*` (low 2 bits of `st_other`). */
  readonly visibility: number;
  /** `st_shndx`, with `SHN_XINDEX` resolved through `SHT_SYMTAB_SHNDX`. */
  readonly shndx: number;
  /** Name of section `shndx`, or undefined for special indexes (`SHN_UNDEF`, `SHN_ABS`, …). */
  readonly section: string | undefined;
}

/** Inputs of {@link parseSymbolTable}. */
export interface SymbolTableInput {
  /** The symbol table section's bytes. */
  readonly data: Uint8Array;
  /** The linked string table's bytes. */
  readonly strtab: Uint8Array;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  /** `sh_entsize` (0 means the standard size). */
  readonly entsize: number;
  /** Section names by index (for `ElfSymbol.section`). */
  readonly sectionNames: readonly string[];
  /** The `SHT_SYMTAB_SHNDX` section's bytes, if any. */
  readonly shndxTable?: Uint8Array;
  /** E.g. `"symbol table .symtab of /path"` (errors). */
  readonly what: string;
  /** E.g. `"string table .strtab of /path"` (errors). */
  readonly strtabWhat: string;
  /** File offset of `data` (errors). */
  readonly fileOffset: number;
}

/** Standard entry size of `Elf64_Sym` / `Elf32_Sym`. */
export function symbolEntrySize(is64: boolean): number {
  return is64 ? 24 : 16;
}

/**
 * Decodes every entry of a symbol table except the reserved null entry 0, so
 * entry `i` of the table is element `i - 1` of the result. Throws a
 * {@link DecodeError} for a bad entry size or a name offset outside the
 * string table.
 */
export function parseSymbolTable(input: SymbolTableInput): ElfSymbol[] {
  const { data, strtab, is64, littleEndian: le, sectionNames, shndxTable } = input;
  const stdSize = symbolEntrySize(is64);
  const entsize = input.entsize === 0 ? stdSize : input.entsize;
  if (entsize < stdSize) {
    throw new DecodeError(input.what, input.fileOffset, `bad entry size ${entsize}`);
  }
  const count = Math.floor(data.length / entsize);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const shndxView = shndxTable === undefined
    ? undefined
    : new DataView(shndxTable.buffer, shndxTable.byteOffset, shndxTable.byteLength);
  const names = new StringTable(strtab, input.strtabWhat);
  const out: ElfSymbol[] = new Array(Math.max(0, count - 1));
  for (let i = 1; i < count; i++) {
    const p = i * entsize;
    let nameOff: number, info: number, other: number, shndx: number, value: bigint, size: bigint;
    if (is64) {
      nameOff = view.getUint32(p, le);
      info = data[p + 4]!;
      other = data[p + 5]!;
      shndx = view.getUint16(p + 6, le);
      value = view.getBigUint64(p + 8, le);
      size = view.getBigUint64(p + 16, le);
    } else {
      nameOff = view.getUint32(p, le);
      value = BigInt(view.getUint32(p + 4, le));
      size = BigInt(view.getUint32(p + 8, le));
      info = data[p + 12]!;
      other = data[p + 13]!;
      shndx = view.getUint16(p + 14, le);
    }
    if (shndx === SHN.XINDEX && shndxView !== undefined && i * 4 + 4 <= shndxView.byteLength) {
      shndx = shndxView.getUint32(i * 4, le);
    }
    let name: string;
    try {
      name = names.get(nameOff);
    } catch (e) {
      if (e instanceof DecodeError) {
        throw new DecodeError(
          input.what,
          input.fileOffset + p,
          `symbol ${i} name offset ${nameOff} is bad: ${e.message}`,
        );
      }
      throw e;
    }
    out[i - 1] = {
      name,
      value,
      size,
      type: info & 0xf,
      binding: info >> 4,
      visibility: other & 3,
      shndx,
      section: shndx !== SHN.UNDEF && (shndx < SHN.LORESERVE || shndx > SHN.HIRESERVE)
        ? sectionNames[shndx]
        : undefined,
    };
  }
  return out;
}

/**
 * A symbol table's entries as columns (entry `i` of the table is `i - 1`
 * here, as in {@link parseSymbolTable}), without an object or a decoded
 * name per entry: for big tables (a kernel's 130,000 symbols) whose names
 * are read for the few symbols asked for.
 */
export interface ElfSymbolColumns {
  readonly length: number;
  /** `st_value`. */
  readonly value: BigUint64Array;
  /** `st_size`. */
  readonly size: BigUint64Array;
  /** `st_info` (`STT_*` in the low 4 bits, `STB_*` in the high 4). */
  readonly info: Uint8Array;
  /** `st_shndx`, with `SHN_XINDEX` resolved through `SHT_SYMTAB_SHNDX`. */
  readonly shndx: Uint32Array;
  /** `st_name`: offsets in {@link strtab}, each checked to be inside it. */
  readonly nameOff: Uint32Array;
  readonly strtab: StringTable;
}

/**
 * The entries of a symbol table as columns (see {@link ElfSymbolColumns});
 * the same values as {@link parseSymbolTable}. Throws a {@link DecodeError}
 * for a bad entry size or a name offset outside the string table.
 */
export function readSymbolColumns(input: SymbolTableInput): ElfSymbolColumns {
  const { data, strtab, is64, littleEndian: le, shndxTable } = input;
  const stdSize = symbolEntrySize(is64);
  const entsize = input.entsize === 0 ? stdSize : input.entsize;
  if (entsize < stdSize) {
    throw new DecodeError(input.what, input.fileOffset, `bad entry size ${entsize}`);
  }
  const n = Math.max(0, Math.floor(data.length / entsize) - 1);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const shndxView = shndxTable === undefined
    ? undefined
    : new DataView(shndxTable.buffer, shndxTable.byteOffset, shndxTable.byteLength);
  const value = new BigUint64Array(n);
  const size = new BigUint64Array(n);
  // The 64-bit columns written as 32-bit halves: no bigint per entry.
  const v32 = new Uint32Array(value.buffer);
  const s32 = new Uint32Array(size.buffer);
  const info = new Uint8Array(n);
  const shndx = new Uint32Array(n);
  const nameOff = new Uint32Array(n);
  const strLength = strtab.length;
  for (let k = 0; k < n; k++) {
    const i = k + 1;
    const p = i * entsize;
    const name = view.getUint32(p, le);
    if (name >= strLength && !(name === 0 && strLength === 0)) {
      throw new DecodeError(
        input.what,
        input.fileOffset + p,
        `symbol ${i} name offset ${name} is bad: string offset ${name} is past the end of the table (${strLength} bytes)`,
      );
    }
    nameOff[k] = name;
    let sh: number;
    if (is64) {
      info[k] = data[p + 4]!;
      sh = view.getUint16(p + 6, le);
      v32[2 * k + LO32] = view.getUint32(p + (le ? 8 : 12), le);
      v32[2 * k + HI32] = view.getUint32(p + (le ? 12 : 8), le);
      s32[2 * k + LO32] = view.getUint32(p + (le ? 16 : 20), le);
      s32[2 * k + HI32] = view.getUint32(p + (le ? 20 : 16), le);
    } else {
      v32[2 * k + LO32] = view.getUint32(p + 4, le);
      s32[2 * k + LO32] = view.getUint32(p + 8, le);
      info[k] = data[p + 12]!;
      sh = view.getUint16(p + 14, le);
    }
    if (sh === SHN.XINDEX && shndxView !== undefined && i * 4 + 4 <= shndxView.byteLength) {
      sh = shndxView.getUint32(i * 4, le);
    }
    shndx[k] = sh;
  }
  return {
    length: n,
    value,
    size,
    info,
    shndx,
    nameOff,
    strtab: new StringTable(strtab, input.strtabWhat),
  };
}

/**
 * Names from an ELF string table. When the table is pure ASCII (nearly
 * always), it is decoded once and names are slices of that string, which is
 * much faster than decoding each name.
 */
export class StringTable {
  readonly data: Uint8Array;
  readonly what: string;
  #text: string | null | undefined;

  constructor(data: Uint8Array, what: string) {
    this.data = data;
    this.what = what;
  }

  /** The NUL-terminated string at `offset`; throws {@link DecodeError} if out of bounds. */
  get(offset: number): string {
    const data = this.data;
    if (offset >= data.length) {
      // Offset 0 of an empty table is the empty string by convention.
      if (offset === 0) return "";
      throw new DecodeError(
        this.what,
        offset,
        `string offset ${offset} is past the end of the table (${data.length} bytes)`,
      );
    }
    if (this.#text === undefined) this.#text = asciiText(data);
    const text = this.#text;
    if (text === null) return cstringAt(data, offset, this.what);
    const len = data.length;
    let end = offset;
    while (end < len && data[end] !== 0) end++;
    if (end === len) throw new DecodeError(this.what, offset, "unterminated string");
    return text.slice(offset, end);
  }
}

/** The table as a string if it is all ASCII, else null. */
function asciiText(data: Uint8Array): string | null {
  // UTF-8 decoding of ASCII is fast; any byte >= 0x80 decodes to a
  // non-ASCII character (U+FFFD if invalid), so the test below catches it.
  const text = decodeUtf8(data);
  return /[\u0080-\uffff]/.test(text) ? null : text;
}
