/**
 * DWARF call frame information (DWARF 5 §6.4): `.eh_frame` (with its
 * `DW_EH_PE_*` pointer encodings and `z`/`R`/`P`/`L`/`S`/`B` augmentations,
 * indexed through `.eh_frame_hdr` when there is one) and `.debug_frame`
 * (CIE versions 1, 3 and 4; 32- and 64-bit DWARF). A {@link CfiTable}
 * indexes the FDEs by PC in typed arrays (one linear pass, or the
 * `.eh_frame_hdr` table read as is), and {@link CfiTable.rowForPc} runs the
 * CIE's and FDE's CFA programs to give the unwind row at a PC: the CFA rule
 * and one {@link CfiRule} per register.
 *
 * Malformed input gives a {@link DecodeError} naming the section and the
 * offset of the bad entry or instruction; every loop is bounded by the
 * section size, the `DW_CFA_remember_state` stack by
 * {@link MAX_REMEMBERED_STATES}.
 *
 * @module
 */

import { ByteReader } from "../binary/byte_reader.ts";
import { DecodeError, hex } from "../errors.ts";

/** `DW_CFA_*` call frame instructions (DWARF 5 §7.24, table 7.29) and extensions. */
export const DW_CFA = {
  advance_loc: 0x40,
  offset: 0x80,
  restore: 0xc0,
  nop: 0x00,
  set_loc: 0x01,
  advance_loc1: 0x02,
  advance_loc2: 0x03,
  advance_loc4: 0x04,
  offset_extended: 0x05,
  restore_extended: 0x06,
  undefined: 0x07,
  same_value: 0x08,
  register: 0x09,
  remember_state: 0x0a,
  restore_state: 0x0b,
  def_cfa: 0x0c,
  def_cfa_register: 0x0d,
  def_cfa_offset: 0x0e,
  def_cfa_expression: 0x0f,
  expression: 0x10,
  offset_extended_sf: 0x11,
  def_cfa_sf: 0x12,
  def_cfa_offset_sf: 0x13,
  val_offset: 0x14,
  val_offset_sf: 0x15,
  val_expression: 0x16,
  MIPS_advance_loc8: 0x1d,
  GNU_window_save: 0x2d,
  GNU_args_size: 0x2e,
  GNU_negative_offset_extended: 0x2f,
} as const;

/** `DW_EH_PE_*` pointer encodings of `.eh_frame` (LSB "Exception Frames"). */
export const DW_EH_PE = {
  absptr: 0x00,
  uleb128: 0x01,
  udata2: 0x02,
  udata4: 0x03,
  udata8: 0x04,
  sleb128: 0x09,
  sdata2: 0x0a,
  sdata4: 0x0b,
  sdata8: 0x0c,
  pcrel: 0x10,
  textrel: 0x20,
  datarel: 0x30,
  funcrel: 0x40,
  aligned: 0x50,
  indirect: 0x80,
  omit: 0xff,
} as const;

/** Deepest `DW_CFA_remember_state` nesting accepted. */
export const MAX_REMEMBERED_STATES = 64;
/** Largest register number a CFA program may name. */
export const MAX_CFI_REGISTER = 4095;

/** How to recover a register of the caller (DWARF 5 §6.4.1). */
export type CfiRule =
  /** The register's value cannot be recovered. */
  | { readonly kind: "undefined" }
  /** The register keeps its value. */
  | { readonly kind: "same_value" }
  /** Saved at address CFA + `offset`. */
  | { readonly kind: "offset"; readonly offset: number }
  /** The value is CFA + `offset`. */
  | { readonly kind: "val_offset"; readonly offset: number }
  /** Saved in register `register`. */
  | { readonly kind: "register"; readonly register: number }
  /** Saved at the address `expression` computes (the CFA pushed first). */
  | { readonly kind: "expression"; readonly expression: Uint8Array; readonly offset: number }
  /** The value is what `expression` computes (the CFA pushed first). */
  | { readonly kind: "val_expression"; readonly expression: Uint8Array; readonly offset: number };

/** How to compute the canonical frame address. */
export type CfaRule =
  /** CFA = value of `register` + `offset`. */
  | { readonly kind: "register"; readonly register: number; readonly offset: number }
  /** CFA = value of `expression` (empty initial stack). */
  | { readonly kind: "expression"; readonly expression: Uint8Array; readonly offset: number };

/** A decoded pointer with its encoding (for `P`ersonality and `L`SDA). */
export interface EncodedPointer {
  /** `DW_EH_PE_*`. */
  readonly encoding: number;
  /** The decoded address (for `DW_EH_PE_indirect`: the address holding the pointer). */
  readonly value: bigint;
}

/** A Common Information Entry. */
export interface Cie {
  /** Offset in its section. */
  readonly offset: number;
  /** 1 (`.eh_frame`, DWARF 2), 3 (DWARF 3) or 4 (DWARF 4/5). */
  readonly version: number;
  /** The augmentation string (`"zR"`, `"zPLR"`, `""`, …). */
  readonly augmentation: string;
  readonly addressSize: number;
  readonly segmentSelectorSize: number;
  readonly codeAlignmentFactor: number;
  readonly dataAlignmentFactor: number;
  /** The return address column. */
  readonly returnAddressRegister: number;
  /** `R`: encoding of FDE addresses (`DW_EH_PE_absptr` if none). */
  readonly fdeEncoding: number;
  /** `L`: encoding of FDE LSDA pointers (`DW_EH_PE_omit` if none). */
  readonly lsdaEncoding: number;
  /** `P`: the personality routine. */
  readonly personality: EncodedPointer | null;
  /** `S`: FDEs of this CIE describe signal frames (no `pc - 1` lookup for the caller). */
  readonly isSignalFrame: boolean;
  /** Whether the augmentation data has a `z` length (FDEs then have one too). */
  readonly hasAugmentationData: boolean;
  /** `[start, end)` of the initial instructions in the section. */
  readonly instructionsStart: number;
  readonly instructionsEnd: number;
}

/** A Frame Description Entry. */
export interface Fde {
  /** Offset in its section. */
  readonly offset: number;
  readonly cie: Cie;
  /** First PC covered. */
  readonly pcBegin: bigint;
  /** One past the last PC covered. */
  readonly pcEnd: bigint;
  /** The LSDA pointer of `L` augmentation, or null. */
  readonly lsda: bigint | null;
  /** `[start, end)` of the instructions in the section. */
  readonly instructionsStart: number;
  readonly instructionsEnd: number;
}

/** An unwind row: the rules in force at a PC. */
export interface CfiRow {
  /** The FDE the row comes from. */
  readonly fde: Fde;
  /** The range of PCs this row covers. */
  readonly pcBegin: bigint;
  readonly pcEnd: bigint;
  /** How to compute the CFA. */
  readonly cfa: CfaRule;
  /**
   * Rules by DWARF register number; `undefined` for a register the CIE and
   * FDE do not mention (the architecture's default applies, see
   * `x86_64DefaultRule`).
   */
  readonly rules: readonly (CfiRule | undefined)[];
  /** The return address column (`rules[returnAddressRegister]` gives the caller's PC). */
  readonly returnAddressRegister: number;
  /** From the CIE's `S` augmentation. */
  readonly isSignalFrame: boolean;
  /** `DW_CFA_GNU_args_size` in force (0 if none). */
  readonly argsSize: number;
}

/** Options for `.eh_frame`. */
export interface EhFrameOptions {
  /** Address of the `.eh_frame` section (the base of `DW_EH_PE_pcrel`). */
  readonly address: bigint;
  /** Base of `DW_EH_PE_textrel` (the `.text` address); error if needed and absent. */
  readonly textAddress?: bigint;
  /** Base of `DW_EH_PE_datarel` (on x86-64 the GOT); error if needed and absent. */
  readonly dataAddress?: bigint;
  /**
   * `.eh_frame_hdr` bytes and address. When given and it has a binary
   * search table, the index is read from it instead of walking `.eh_frame`.
   */
  readonly hdr?: { readonly data: Uint8Array; readonly address: bigint };
  /** Target address size (default 8). */
  readonly addressSize?: 4 | 8;
  /** Byte order (default little-endian). */
  readonly littleEndian?: boolean;
  /** Reads a target pointer, for `DW_EH_PE_indirect` FDE addresses. */
  readonly readPointer?: (address: bigint) => bigint;
  /** Section name for errors (default `".eh_frame"`). */
  readonly section?: string;
}

/** Options for `.debug_frame`. */
export interface DebugFrameOptions {
  /** Address size when a CIE does not give one (default 8). */
  readonly addressSize?: 4 | 8;
  /** Byte order (default little-endian). */
  readonly littleEndian?: boolean;
  /** Section name for errors (default `".debug_frame"`). */
  readonly section?: string;
}

const U = Object.freeze({ kind: "undefined" }) as CfiRule;
const S = Object.freeze({ kind: "same_value" }) as CfiRule;

/** Mutable CFA-program state. */
class RowState {
  cfa: CfaRule = { kind: "register", register: 0, offset: 0 };
  rules: (CfiRule | undefined)[] = [];
  argsSize = 0;
  clone(): RowState {
    const s = new RowState();
    s.cfa = this.cfa;
    s.rules = this.rules.slice();
    s.argsSize = this.argsSize;
    return s;
  }
}

/** Growable typed-array columns for the index. */
class IndexBuilder {
  n = 0;
  hi = new Uint32Array(1024);
  lo = new Uint32Array(1024);
  len = new Float64Array(1024);
  off = new Float64Array(1024);
  add(pc: bigint, length: number, offset: number): void {
    this.addHiLo(Number(pc >> 32n), Number(pc & 0xffffffffn), length, offset);
  }
  addHiLo(hi: number, lo: number, length: number, offset: number): void {
    if (this.n === this.hi.length) {
      const grow = <T extends Uint32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.hi = grow(this.hi);
      this.lo = grow(this.lo);
      this.len = grow(this.len);
      this.off = grow(this.off);
    }
    this.hi[this.n] = hi;
    this.lo[this.n] = lo;
    this.len[this.n] = length;
    this.off[this.n] = offset;
    this.n++;
  }
}

/** Figures about a parsed table, for benchmarks and tests. */
export interface CfiStats {
  /** FDEs in the index (zero-length FDEs excluded). */
  readonly fdes: number;
  /** CIEs parsed so far. */
  readonly cies: number;
  /** Whether the index came from `.eh_frame_hdr`. */
  readonly fromHdr: boolean;
}

/**
 * The FDEs of one `.eh_frame` or `.debug_frame` section, indexed by PC.
 *
 * @example
 * ```ts ignore
 * const elf = ElfFile.open("/usr/lib/x86_64-linux-gnu/libc.so.6");
 * const eh = elf.section(".eh_frame")!, hdr = elf.section(".eh_frame_hdr")!;
 * const cfi = CfiTable.parseEhFrame(elf.sectionData(eh), {
 *   address: eh.addr,
 *   hdr: { data: elf.sectionData(hdr), address: hdr.addr },
 * });
 * const row = cfi.rowForPc(0x28000n); // CFA rule and register rules at that PC
 * ```
 */
export class CfiTable {
  /** The section bytes. */
  readonly data: Uint8Array;
  /** `.eh_frame` (true) or `.debug_frame` (false) rules. */
  readonly isEhFrame: boolean;
  /** Section name for errors. */
  readonly section: string;
  readonly addressSize: 4 | 8;
  readonly littleEndian: boolean;
  readonly #address: bigint;
  readonly #text: bigint | undefined;
  readonly #dataBase: bigint | undefined;
  readonly #readPointer: ((a: bigint) => bigint) | undefined;
  readonly #addrMask: bigint;
  readonly #cies = new Map<number, Cie>();
  #hi: Uint32Array = new Uint32Array(0);
  #lo: Uint32Array = new Uint32Array(0);
  #len: Float64Array = new Float64Array(0);
  #off: Float64Array = new Float64Array(0);
  #fromHdr = false;

  private constructor(
    data: Uint8Array,
    isEh: boolean,
    section: string,
    addressSize: 4 | 8,
    le: boolean,
    address: bigint,
    text: bigint | undefined,
    dataBase: bigint | undefined,
    readPointer: ((a: bigint) => bigint) | undefined,
  ) {
    this.data = data;
    this.isEhFrame = isEh;
    this.section = section;
    this.addressSize = addressSize;
    this.littleEndian = le;
    this.#address = address;
    this.#text = text;
    this.#dataBase = dataBase;
    this.#readPointer = readPointer;
    this.#addrMask = addressSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  }

  /**
   * Indexes an `.eh_frame` section. With `options.hdr`, the index is the
   * `.eh_frame_hdr` search table (no walk of `.eh_frame`; FDE lengths are
   * read when looked up); otherwise every entry is read once.
   */
  static parseEhFrame(data: Uint8Array, options: EhFrameOptions): CfiTable {
    const t = new CfiTable(
      data,
      true,
      options.section ?? ".eh_frame",
      options.addressSize ?? 8,
      options.littleEndian ?? true,
      options.address,
      options.textAddress,
      options.dataAddress,
      options.readPointer,
    );
    if (options.hdr === undefined || !t.#indexFromHdr(options.hdr.data, options.hdr.address)) {
      t.#indexByWalking();
    }
    return t;
  }

  /** Indexes a `.debug_frame` section (already relocated, for `ET_REL` files). */
  static parseDebugFrame(data: Uint8Array, options: DebugFrameOptions = {}): CfiTable {
    const t = new CfiTable(
      data,
      false,
      options.section ?? ".debug_frame",
      options.addressSize ?? 8,
      options.littleEndian ?? true,
      0n,
      undefined,
      undefined,
      undefined,
    );
    t.#indexByWalking();
    return t;
  }

  /** Number of FDEs in the index. */
  get fdeCount(): number {
    return this.#hi.length;
  }

  /** Index figures. */
  get stats(): CfiStats {
    return { fdes: this.#hi.length, cies: this.#cies.size, fromHdr: this.#fromHdr };
  }

  /** The start PC of the `i`th FDE in PC order. */
  fdeStart(i: number): bigint {
    return (BigInt(this.#hi[i]!) << 32n) | BigInt(this.#lo[i]!);
  }

  /** The `i`th FDE in PC order. */
  fdeAt(i: number): Fde {
    if (!(i >= 0 && i < this.#hi.length)) throw new RangeError(`FDE index ${i} out of range`);
    return this.fdeAtOffset(this.#off[i]!);
  }

  /** Every CIE and FDE in section order (FDEs as {@link Fde}); for tools and tests. */
  *entries(): Generator<Cie | Fde> {
    const d = this.data;
    let p = 0;
    while (p < d.length) {
      const h = this.#header(p);
      if (h === null) {
        if (this.isEhFrame) break; // .eh_frame terminator
        p += 4; // padding in .debug_frame
        continue;
      }
      if (h.isCie) yield this.cieAt(p);
      else yield this.fdeAtOffset(p);
      p = h.end;
    }
  }

  /** The FDE covering `pc`, or null. */
  findFde(pc: bigint): Fde | null {
    const i = this.#search(pc);
    if (i < 0) return null;
    // Walk back over FDEs that start at the same PC (zero-length ones first).
    const hi = this.#hi[i]!, lo = this.#lo[i]!;
    const start = (BigInt(hi) << 32n) | BigInt(lo);
    for (let j = i; j >= 0 && this.#hi[j] === hi && this.#lo[j] === lo; j--) {
      let len = this.#len[j]!;
      let fde: Fde | null = null;
      if (Number.isNaN(len)) {
        fde = this.#indexedFde(j, start);
        len = Number(fde.pcEnd - fde.pcBegin);
        this.#len[j] = len;
      }
      if (pc - start < BigInt(len)) return fde ?? this.#indexedFde(j, start);
    }
    return null;
  }

  /**
   * The `j`th FDE of the index, which must start where the index says
   * (`.eh_frame_hdr` and a damaged `.eh_frame` can disagree).
   */
  #indexedFde(j: number, start: bigint): Fde {
    const fde = this.fdeAtOffset(this.#off[j]!);
    if (fde.pcBegin !== start) {
      this.#error(
        fde.offset,
        `FDE starts at ${hex(fde.pcBegin)}, but the search table lists it at ${hex(start)}`,
      );
    }
    return fde;
  }

  /** The unwind row in force at `pc`, or null if no FDE covers it. */
  rowForPc(pc: bigint): CfiRow | null {
    const fde = this.findFde(pc);
    if (fde === null) return null;
    return this.rowForFde(fde, pc);
  }

  /** The row of `fde` in force at `pc` (which must be in the FDE's range). */
  rowForFde(fde: Fde, pc: bigint): CfiRow {
    if (pc < fde.pcBegin || pc >= fde.pcEnd) {
      throw new RangeError(`${hex(pc)} is outside the FDE at ${hex(fde.offset)}`);
    }
    const target = Number(pc - fde.pcBegin);
    const cie = fde.cie;
    const initial = new RowState();
    this.#execute(cie, cie.instructionsStart, cie.instructionsEnd, initial, null, -1, null);
    const state = initial.clone();
    const range = this.#execute(
      cie,
      fde.instructionsStart,
      fde.instructionsEnd,
      state,
      initial,
      target,
      null,
      fde,
    );
    const total = Number(fde.pcEnd - fde.pcBegin);
    return {
      fde,
      pcBegin: fde.pcBegin + BigInt(range[0]),
      pcEnd: fde.pcBegin + BigInt(Math.min(range[1], total)),
      cfa: state.cfa,
      rules: state.rules,
      returnAddressRegister: cie.returnAddressRegister,
      isSignalFrame: cie.isSignalFrame,
      argsSize: state.argsSize,
    };
  }

  /**
   * Every row of `fde`, the way `readelf --debug-dump=frames-interp` lists
   * them: one row at each location advance (the rules in force before
   * advancing) and, unless the FDE's instructions are all `DW_CFA_nop`, one
   * for the final state. `pcBegin` of each row is its location.
   */
  fdeRows(fde: Fde): CfiRow[] {
    const cie = fde.cie;
    const initial = new RowState();
    this.#execute(cie, cie.instructionsStart, cie.instructionsEnd, initial, null, -1, null);
    const state = initial.clone();
    const rows: CfiRow[] = [];
    const emit = (loc: number, s: RowState) => {
      rows.push({
        fde,
        pcBegin: (fde.pcBegin + BigInt(loc)) & this.#addrMask,
        pcEnd: fde.pcEnd,
        cfa: s.cfa,
        rules: s.rules.slice(),
        returnAddressRegister: cie.returnAddressRegister,
        isSignalFrame: cie.isSignalFrame,
        argsSize: s.argsSize,
      });
    };
    this.#execute(cie, fde.instructionsStart, fde.instructionsEnd, state, initial, -1, emit, fde);
    return rows;
  }

  /** The CIE at section offset `offset` (cached). */
  cieAt(offset: number): Cie {
    let cie = this.#cies.get(offset);
    if (cie === undefined) {
      cie = this.#parseCie(offset);
      this.#cies.set(offset, cie);
    }
    return cie;
  }

  /** The FDE at section offset `offset`. */
  fdeAtOffset(offset: number): Fde {
    const h = this.#header(offset);
    if (h === null || h.isCie) this.#error(offset, "expected an FDE");
    const cie = this.cieAt(h.ciePointer);
    // A reader bounded by the entry, positioned by section offsets.
    const body = new ByteReader(this.data, this.littleEndian, this.section).sub(0, h.end);
    body.pos = h.bodyStart;
    const pcBegin = this.#pcBegin(body, cie, offset);
    const range = this.isEhFrame
      ? this.#readValue(body, cie.fdeEncoding & 0x0f, cie.addressSize)
      : body.addr(cie.addressSize);
    const pcEnd = (pcBegin + range) & this.#addrMask;
    let lsda: bigint | null = null;
    if (cie.hasAugmentationData) {
      const n = body.uleb128();
      const augEnd = body.pos + n;
      if (augEnd > h.end) this.#error(offset, "FDE augmentation data runs past the entry");
      if (cie.lsdaEncoding !== DW_EH_PE.omit && n > 0) {
        lsda = this.#readEncoded(body, cie.lsdaEncoding, cie.addressSize, offset, pcBegin, false);
      }
      body.pos = augEnd;
    }
    if (pcEnd < pcBegin && range !== 0n) this.#error(offset, "FDE address range wraps around");
    return {
      offset,
      cie,
      pcBegin,
      pcEnd,
      lsda,
      instructionsStart: body.pos,
      instructionsEnd: h.end,
    };
  }

  // ---- parsing ----

  #error(offset: number, message: string): never {
    throw new DecodeError(this.section, offset, message);
  }

  /**
   * The header of the entry at `p`: null for an `.eh_frame` terminator (length 0).
   */
  #header(
    p: number,
  ): { isCie: boolean; ciePointer: number; bodyStart: number; end: number; is64: boolean } | null {
    const d = this.data;
    const r = new ByteReader(d, this.littleEndian, this.section, p);
    if (d.length - p < 4) this.#error(p, "truncated entry length");
    const [length, is64] = r.initialLength();
    if (length === 0) return null;
    const end = r.pos + length;
    if (end > d.length) {
      this.#error(p, `entry length ${length} runs past the end of the section (${d.length} bytes)`);
    }
    const idPos = r.pos;
    if (end - idPos < (is64 ? 8 : 4)) this.#error(p, "entry too short for its CIE pointer");
    let id: number;
    let isCie: boolean;
    if (this.isEhFrame) {
      id = is64 ? r.u64n() : r.u32();
      isCie = id === 0;
      if (!isCie) {
        const cie = idPos - id;
        if (cie < 0) this.#error(p, `CIE pointer ${hex(id)} points before the section`);
        id = cie;
      }
    } else if (is64) {
      const v = r.u64();
      isCie = v === 0xffffffffffffffffn;
      id = isCie ? 0 : (v > BigInt(d.length) ? d.length : Number(v));
    } else {
      id = r.u32();
      isCie = id === 0xffffffff;
    }
    if (!isCie && id >= d.length) this.#error(p, `CIE pointer ${hex(id)} is outside the section`);
    return { isCie, ciePointer: id, bodyStart: r.pos, end, is64 };
  }

  #parseCie(offset: number): Cie {
    const h = this.#header(offset);
    if (h === null || !h.isCie) this.#error(offset, "expected a CIE");
    const r = new ByteReader(this.data, this.littleEndian, this.section).sub(0, h.end);
    r.pos = h.bodyStart;
    const version = r.u8();
    const okVersion = this.isEhFrame ? version === 1 || version === 3 : version === 1 ||
      version === 3 || version === 4;
    if (!okVersion) this.#error(offset, `unsupported CIE version ${version}`);
    const augStart = r.pos;
    const augEnd = this.data.indexOf(0, augStart);
    if (augEnd < 0 || augEnd >= h.end) this.#error(offset, "unterminated CIE augmentation string");
    let augmentation = "";
    for (let i = augStart; i < augEnd; i++) augmentation += String.fromCharCode(this.data[i]!);
    r.pos = augEnd + 1;
    let addressSize: number = this.addressSize;
    let segmentSelectorSize = 0;
    if (augmentation.includes("eh")) {
      // Old GCC "eh" augmentation: an address-sized EH data pointer follows.
      r.skip(this.addressSize);
    }
    if (version >= 4) {
      addressSize = r.u8();
      segmentSelectorSize = r.u8();
      if (addressSize !== 4 && addressSize !== 8) {
        this.#error(offset, `unsupported CIE address size ${addressSize}`);
      }
      if (segmentSelectorSize !== 0) {
        this.#error(offset, `unsupported segment selector size ${segmentSelectorSize}`);
      }
    }
    const codeAlignmentFactor = r.uleb128();
    const dataAlignmentFactor = r.sleb128();
    const returnAddressRegister = version === 1 ? r.u8() : r.uleb128();
    let fdeEncoding: number = DW_EH_PE.absptr;
    let lsdaEncoding: number = DW_EH_PE.omit;
    let personality: EncodedPointer | null = null;
    let isSignalFrame = false;
    const hasZ = augmentation.startsWith("z");
    if (hasZ) {
      const n = r.uleb128();
      const dataStart = r.pos;
      const dataEnd = dataStart + n;
      if (dataEnd > h.end) this.#error(offset, "CIE augmentation data runs past the entry");
      for (let i = 1; i < augmentation.length; i++) {
        const c = augmentation[i];
        if (c === "R") {
          fdeEncoding = r.u8();
          this.#checkEncoding(fdeEncoding, offset);
        } else if (c === "L") {
          lsdaEncoding = r.u8();
          this.#checkEncoding(lsdaEncoding, offset);
        } else if (c === "P") {
          const enc = r.u8();
          this.#checkEncoding(enc, offset);
          const value = this.#readEncoded(r, enc, addressSize, offset, 0n, false);
          personality = { encoding: enc, value };
        } else if (c === "S") {
          isSignalFrame = true;
        } else if (c === "B" || c === "G") {
          // AArch64 pointer-authentication B key / MTE tagged frames: no data.
        } else {
          // Unknown letter: the rest of the augmentation data is skipped (the
          // 'z' length makes that safe).
          break;
        }
        if (r.pos > dataEnd) this.#error(offset, "CIE augmentation data is too short");
      }
      r.pos = dataEnd;
    } else if (augmentation !== "" && augmentation !== "eh") {
      this.#error(offset, `unsupported CIE augmentation "${augmentation}"`);
    }
    if (codeAlignmentFactor === 0) this.#error(offset, "CIE code alignment factor is 0");
    if (returnAddressRegister > MAX_CFI_REGISTER) {
      this.#error(offset, `return address register ${returnAddressRegister} out of range`);
    }
    return {
      offset,
      version,
      augmentation,
      addressSize,
      segmentSelectorSize,
      codeAlignmentFactor,
      dataAlignmentFactor,
      returnAddressRegister,
      fdeEncoding,
      lsdaEncoding,
      personality,
      isSignalFrame,
      hasAugmentationData: hasZ,
      instructionsStart: r.pos,
      instructionsEnd: h.end,
    };
  }

  #checkEncoding(enc: number, offset: number): void {
    if (enc === DW_EH_PE.omit) return;
    const format = enc & 0x0f;
    const app = enc & 0x70;
    const okFormat = format <= 4 || (format >= 9 && format <= 12);
    if (!okFormat || app > DW_EH_PE.aligned) {
      this.#error(offset, `unsupported pointer encoding 0x${enc.toString(16)}`);
    }
  }

  #pcBegin(r: ByteReader, cie: Cie, offset: number): bigint {
    if (!this.isEhFrame) return r.addr(cie.addressSize);
    return this.#readEncoded(r, cie.fdeEncoding, cie.addressSize, offset, 0n, true);
  }

  /** A value in the format of `format` (the low 4 bits of an encoding), as a bigint. */
  #readValue(r: ByteReader, format: number, addressSize: number): bigint {
    switch (format) {
      case DW_EH_PE.absptr:
        return r.addr(addressSize);
      case DW_EH_PE.uleb128:
        return r.uleb128Big();
      case DW_EH_PE.udata2:
        return BigInt(r.u16());
      case DW_EH_PE.udata4:
        return BigInt(r.u32());
      case DW_EH_PE.udata8:
        return r.u64();
      case DW_EH_PE.sleb128:
        return r.sleb128Big();
      case DW_EH_PE.sdata2:
        return BigInt(r.s16());
      case DW_EH_PE.sdata4:
        return BigInt(r.s32());
      case DW_EH_PE.sdata8:
        return r.s64();
      default:
        return r.error(`unsupported pointer format 0x${format.toString(16)}`, r.pos);
    }
  }

  /** An encoded pointer at the reader's position (`r` reads this table's section). */
  #readEncoded(
    r: ByteReader,
    enc: number,
    addressSize: number,
    entry: number,
    funcBase: bigint,
    deref: boolean,
  ): bigint {
    if (enc === DW_EH_PE.omit) return 0n;
    const app = enc & 0x70;
    if (app === DW_EH_PE.aligned) {
      const mis = (r.baseOffset + r.pos) % addressSize;
      if (mis !== 0) r.skip(addressSize - mis);
    }
    const fieldPos = r.baseOffset + r.pos;
    let v = this.#readValue(r, enc & 0x0f, addressSize);
    switch (app) {
      case DW_EH_PE.absptr:
      case DW_EH_PE.aligned:
        break;
      case DW_EH_PE.pcrel:
        v += this.#address + BigInt(fieldPos);
        break;
      case DW_EH_PE.textrel:
        if (this.#text === undefined) this.#error(entry, "DW_EH_PE_textrel needs the text address");
        v += this.#text;
        break;
      case DW_EH_PE.datarel:
        if (this.#dataBase === undefined) {
          this.#error(entry, "DW_EH_PE_datarel needs the data address");
        }
        v += this.#dataBase;
        break;
      case DW_EH_PE.funcrel:
        v += funcBase;
        break;
      default:
        this.#error(entry, `unsupported pointer encoding 0x${enc.toString(16)}`);
    }
    v &= this.#addrMask;
    if (enc & DW_EH_PE.indirect && deref) {
      if (this.#readPointer === undefined) {
        this.#error(entry, "DW_EH_PE_indirect needs target memory");
      }
      v = this.#readPointer(v) & this.#addrMask;
    }
    return v;
  }

  #indexByWalking(): void {
    const d = this.data;
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const le = this.littleEndian;
    const eh = this.isEhFrame;
    const b = new IndexBuilder();
    let lastCieOffset = -1;
    let cie: Cie | null = null;
    let p = 0;
    // Each iteration consumes at least 4 bytes, so the loop ends. The usual
    // cases (32-bit DWARF; .debug_frame with 8-byte addresses, .eh_frame
    // with pcrel|sdata4) are decoded inline; anything else, and every
    // error, goes through the general path.
    while (p < d.length) {
      const length = d.length - p >= 4 ? v.getUint32(p, le) : -1;
      if (length === 0) {
        if (eh) break; // .eh_frame terminator
        p += 4; // padding in .debug_frame
        continue;
      }
      const end = p + 4 + length;
      if (length >= 8 && length < 0xfffffff0 && end <= d.length) {
        const id = v.getUint32(p + 4, le);
        if (eh ? id === 0 : id === 0xffffffff) {
          p = end;
          continue;
        }
        const cieOffset = eh ? p + 4 - id : id;
        if (cieOffset !== lastCieOffset && cieOffset >= 0 && cieOffset < d.length) {
          cie = this.cieAt(cieOffset);
          lastCieOffset = cieOffset;
        }
        const q = p + 8;
        if (cieOffset === lastCieOffset && cie !== null) {
          if (!eh && cie.addressSize === 8 && q + 16 <= end) {
            const lo = v.getUint32(q + (le ? 0 : 4), le);
            const hi = v.getUint32(q + (le ? 4 : 0), le);
            const rlo = v.getUint32(q + 8 + (le ? 0 : 4), le);
            const rhi = v.getUint32(q + 8 + (le ? 4 : 0), le);
            const range = rhi * 0x100000000 + rlo;
            if (rhi < 0x200000 && hi * 0x100000000 + lo + range <= 2 ** 64) {
              if (range > 0) b.addHiLo(hi, lo, range, p);
              p = end;
              continue;
            }
          } else if (eh && cie.fdeEncoding === 0x1b && q + 8 <= end) {
            const pc = (this.#address + BigInt(q + v.getInt32(q, le))) & this.#addrMask;
            const range = v.getUint32(q + 4, le);
            if (pc + BigInt(range) <= this.#addrMask + 1n) {
              if (range > 0) b.add(pc, range, p);
              p = end;
              continue;
            }
          }
        }
      }
      const h = this.#header(p);
      if (h === null) {
        if (eh) break;
        p += 4;
        continue;
      }
      if (!h.isCie) {
        const fde = this.fdeAtOffset(p);
        const len = fde.pcEnd - fde.pcBegin;
        if (len > 0n) b.add(fde.pcBegin, Number(len), p);
      }
      p = h.end;
    }
    this.#finish(b);
  }

  /** Reads the `.eh_frame_hdr` search table; false if it has none. */
  #indexFromHdr(hdr: Uint8Array, hdrAddress: bigint): boolean {
    const name = this.section + "_hdr";
    const r = new ByteReader(hdr, this.littleEndian, name);
    if (hdr.length < 4) throw new DecodeError(name, 0, "truncated header");
    const version = r.u8();
    if (version !== 1) throw new DecodeError(name, 0, `unsupported version ${version}`);
    const ehPtrEnc = r.u8();
    const countEnc = r.u8();
    const tableEnc = r.u8();
    const hdrTable = new CfiTable(
      hdr,
      true,
      name,
      this.addressSize,
      this.littleEndian,
      hdrAddress,
      this.#text,
      hdrAddress, // datarel in .eh_frame_hdr is relative to its start
      this.#readPointer,
    );
    const ehPtr = hdrTable.#readEncoded(r, ehPtrEnc, this.addressSize, 4, 0n, true);
    if (ehPtr !== this.#address) {
      throw new DecodeError(
        name,
        4,
        `eh_frame_ptr ${hex(ehPtr)} does not match the .eh_frame address ${hex(this.#address)}`,
      );
    }
    if (countEnc === DW_EH_PE.omit || tableEnc === DW_EH_PE.omit) return false;
    const count = Number(hdrTable.#readEncoded(r, countEnc, this.addressSize, r.pos, 0n, true));
    // Fast path: the usual datarel|sdata4 table.
    const entrySize = tableEnc === 0x3b ? 8 : 0;
    if (entrySize === 0) {
      // Other encodings: decode generically.
      const b = new IndexBuilder();
      for (let i = 0; i < count; i++) {
        const pc = hdrTable.#readEncoded(r, tableEnc, this.addressSize, r.pos, 0n, true);
        const fde = hdrTable.#readEncoded(r, tableEnc, this.addressSize, r.pos, 0n, true);
        const off = Number(fde - this.#address);
        if (!(off >= 0 && off < this.data.length)) {
          throw new DecodeError(name, r.prev, `FDE address ${hex(fde)} is outside .eh_frame`);
        }
        b.add(pc, NaN, off);
      }
      this.#finish(b);
      this.#fromHdr = true;
      return true;
    }
    if (count > (hdr.length - r.pos) / entrySize) {
      throw new DecodeError(name, r.pos, `table of ${count} entries runs past the section`);
    }
    const hi = new Uint32Array(count);
    const lo = new Uint32Array(count);
    const len = new Float64Array(count).fill(NaN);
    const off = new Float64Array(count);
    const v = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
    const ehOffsetFromHdr = Number(this.#address - hdrAddress);
    const le = this.littleEndian;
    let p = r.pos;
    for (let i = 0; i < count; i++, p += 8) {
      const pc = hdrAddress + BigInt(v.getInt32(p, le));
      const fdeOff = v.getInt32(p + 4, le) - ehOffsetFromHdr;
      if (!(fdeOff >= 0 && fdeOff < this.data.length)) {
        throw new DecodeError(name, p + 4, `FDE pointer is outside .eh_frame`);
      }
      const upc = pc & this.#addrMask;
      hi[i] = Number(upc >> 32n);
      lo[i] = Number(upc & 0xffffffffn);
      off[i] = fdeOff;
    }
    this.#setIndex(hi, lo, len, off);
    this.#fromHdr = true;
    return true;
  }

  #finish(b: IndexBuilder): void {
    const n = b.n;
    this.#setIndex(b.hi.slice(0, n), b.lo.slice(0, n), b.len.slice(0, n), b.off.slice(0, n));
  }

  /** Stores the index, sorting it by PC if it is not sorted already. */
  #setIndex(hi: Uint32Array, lo: Uint32Array, len: Float64Array, off: Float64Array): void {
    const n = hi.length;
    let sorted = true;
    for (let i = 1; i < n; i++) {
      if (hi[i]! < hi[i - 1]! || (hi[i] === hi[i - 1] && lo[i]! < lo[i - 1]!)) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      const perm = new Uint32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      perm.sort((a, b) => (hi[a]! - hi[b]!) || (lo[a]! - lo[b]!) || (a - b));
      const h2 = new Uint32Array(n), l2 = new Uint32Array(n);
      const len2 = new Float64Array(n), off2 = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const j = perm[i]!;
        h2[i] = hi[j]!;
        l2[i] = lo[j]!;
        len2[i] = len[j]!;
        off2[i] = off[j]!;
      }
      hi = h2;
      lo = l2;
      len = len2;
      off = off2;
    }
    this.#hi = hi;
    this.#lo = lo;
    this.#len = len;
    this.#off = off;
  }

  /** Index of the last FDE starting at or before `pc`, or -1. */
  #search(pc: bigint): number {
    if (pc < 0n || pc > this.#addrMask) return -1;
    const phi = Number(pc >> 32n);
    const plo = Number(pc & 0xffffffffn);
    const hi = this.#hi, lo = this.#lo;
    let l = 0, u = hi.length;
    while (l < u) {
      const mid = (l + u) >>> 1;
      const h = hi[mid]!;
      if (h < phi || (h === phi && lo[mid]! <= plo)) l = mid + 1;
      else u = mid;
    }
    return l - 1;
  }

  // ---- CFA programs ----

  /**
   * Runs the instructions `[start, end)` on `state`. With `target` ≥ 0,
   * stops before the first advance past location `target` (an offset from
   * the FDE start) and returns the row's `[begin, end)` offsets. With `emit`,
   * calls it as `readelf` prints rows. `initial` is the CIE's state (for
   * `DW_CFA_restore`; null while running the CIE itself).
   */
  #execute(
    cie: Cie,
    start: number,
    end: number,
    state: RowState,
    initial: RowState | null,
    target: number,
    emit: ((loc: number, s: RowState) => void) | null,
    fde?: Fde,
  ): [number, number] {
    const r = new ByteReader(this.data, this.littleEndian, this.section).sub(0, end);
    r.pos = start;
    const caf = cie.codeAlignmentFactor;
    const daf = cie.dataAlignmentFactor;
    const stack: RowState[] = [];
    let loc = 0;
    let allNops = true;
    const inCie = initial === null;
    const setReg = (reg: number, rule: CfiRule | undefined, at: number) => {
      if (reg > MAX_CFI_REGISTER) this.#error(at, `register ${reg} out of range`);
      state.rules[reg] = rule;
    };
    const advance = (newLoc: number, at: number): boolean => {
      if (inCie) return false; // locations in a CIE's initial instructions are meaningless
      if (newLoc < loc) this.#error(at, "CFA program moves the location backwards");
      if (target >= 0 && newLoc > target) {
        return true;
      }
      emit?.(loc, state);
      loc = newLoc;
      return false;
    };
    while (r.pos < end) {
      const at = r.pos;
      const byte = r.u8();
      const high = byte & 0xc0;
      const low = byte & 0x3f;
      if (byte !== DW_CFA.nop) allNops = false;
      if (high === DW_CFA.advance_loc) {
        const nl = loc + low * caf;
        if (advance(nl, at)) return [loc, nl];
        continue;
      }
      if (high === DW_CFA.offset) {
        setReg(low, { kind: "offset", offset: r.uleb128() * daf }, at);
        continue;
      }
      if (high === DW_CFA.restore) {
        if (inCie) this.#error(at, "DW_CFA_restore in a CIE");
        setReg(low, initial.rules[low], at);
        continue;
      }
      switch (byte) {
        case DW_CFA.nop:
          break;
        case DW_CFA.set_loc: {
          let addr: bigint;
          if (this.isEhFrame) {
            addr = this.#readEncoded(r, cie.fdeEncoding, cie.addressSize, at, 0n, true);
          } else {
            addr = r.addr(cie.addressSize);
          }
          if (fde === undefined) {
            if (inCie) break;
            this.#error(at, "DW_CFA_set_loc outside an FDE");
          }
          if (addr < fde.pcBegin || addr > fde.pcEnd) {
            this.#error(at, `DW_CFA_set_loc to ${hex(addr)} outside the FDE`);
          }
          const nl = Number(addr - fde.pcBegin);
          if (advance(nl, at)) return [loc, nl];
          break;
        }
        case DW_CFA.advance_loc1: {
          const nl = loc + r.u8() * caf;
          if (advance(nl, at)) return [loc, nl];
          break;
        }
        case DW_CFA.advance_loc2: {
          const nl = loc + r.u16() * caf;
          if (advance(nl, at)) return [loc, nl];
          break;
        }
        case DW_CFA.advance_loc4: {
          const nl = loc + r.u32() * caf;
          if (advance(nl, at)) return [loc, nl];
          break;
        }
        case DW_CFA.MIPS_advance_loc8: {
          const nl = loc + r.u64n() * caf;
          if (advance(nl, at)) return [loc, nl];
          break;
        }
        case DW_CFA.offset_extended: {
          const reg = r.uleb128();
          setReg(reg, { kind: "offset", offset: r.uleb128() * daf }, at);
          break;
        }
        case DW_CFA.restore_extended: {
          const reg = r.uleb128();
          if (inCie) this.#error(at, "DW_CFA_restore_extended in a CIE");
          setReg(reg, initial.rules[reg], at);
          break;
        }
        case DW_CFA.undefined:
          setReg(r.uleb128(), U, at);
          break;
        case DW_CFA.same_value:
          setReg(r.uleb128(), S, at);
          break;
        case DW_CFA.register: {
          const reg = r.uleb128();
          const reg2 = r.uleb128();
          if (reg2 > MAX_CFI_REGISTER) this.#error(at, `register ${reg2} out of range`);
          setReg(reg, { kind: "register", register: reg2 }, at);
          break;
        }
        case DW_CFA.remember_state:
          if (stack.length >= MAX_REMEMBERED_STATES) {
            this.#error(at, "DW_CFA_remember_state nested too deeply");
          }
          stack.push(state.clone());
          break;
        case DW_CFA.restore_state: {
          const s = stack.pop();
          if (s === undefined) this.#error(at, "DW_CFA_restore_state without remember_state");
          state.cfa = s.cfa;
          state.rules = s.rules;
          state.argsSize = s.argsSize;
          break;
        }
        case DW_CFA.def_cfa: {
          const reg = r.uleb128();
          const off = r.uleb128();
          if (reg > MAX_CFI_REGISTER) this.#error(at, `register ${reg} out of range`);
          state.cfa = { kind: "register", register: reg, offset: off };
          break;
        }
        case DW_CFA.def_cfa_sf: {
          const reg = r.uleb128();
          const off = r.sleb128() * daf;
          if (reg > MAX_CFI_REGISTER) this.#error(at, `register ${reg} out of range`);
          state.cfa = { kind: "register", register: reg, offset: off };
          break;
        }
        case DW_CFA.def_cfa_register: {
          const reg = r.uleb128();
          if (reg > MAX_CFI_REGISTER) this.#error(at, `register ${reg} out of range`);
          if (state.cfa.kind !== "register") {
            this.#error(at, "DW_CFA_def_cfa_register after DW_CFA_def_cfa_expression");
          }
          state.cfa = { kind: "register", register: reg, offset: state.cfa.offset };
          break;
        }
        case DW_CFA.def_cfa_offset:
        case DW_CFA.def_cfa_offset_sf: {
          const off = byte === DW_CFA.def_cfa_offset ? r.uleb128() : r.sleb128() * daf;
          if (state.cfa.kind !== "register") {
            this.#error(at, "DW_CFA_def_cfa_offset after DW_CFA_def_cfa_expression");
          }
          state.cfa = { kind: "register", register: state.cfa.register, offset: off };
          break;
        }
        case DW_CFA.def_cfa_expression: {
          const n = r.uleb128();
          const offset = r.pos;
          state.cfa = { kind: "expression", expression: r.bytes(n), offset };
          break;
        }
        case DW_CFA.expression:
        case DW_CFA.val_expression: {
          const reg = r.uleb128();
          const n = r.uleb128();
          const offset = r.pos;
          const expression = r.bytes(n);
          const kind = byte === DW_CFA.expression ? "expression" : "val_expression";
          setReg(reg, { kind, expression, offset }, at);
          break;
        }
        case DW_CFA.offset_extended_sf: {
          const reg = r.uleb128();
          setReg(reg, { kind: "offset", offset: r.sleb128() * daf }, at);
          break;
        }
        case DW_CFA.val_offset: {
          const reg = r.uleb128();
          setReg(reg, { kind: "val_offset", offset: r.uleb128() * daf }, at);
          break;
        }
        case DW_CFA.val_offset_sf: {
          const reg = r.uleb128();
          setReg(reg, { kind: "val_offset", offset: r.sleb128() * daf }, at);
          break;
        }
        case DW_CFA.GNU_args_size:
          state.argsSize = r.uleb128();
          break;
        case DW_CFA.GNU_negative_offset_extended: {
          const reg = r.uleb128();
          setReg(reg, { kind: "offset", offset: -r.uleb128() * daf }, at);
          break;
        }
        case DW_CFA.GNU_window_save:
          this.#error(at, "DW_CFA_GNU_window_save (SPARC/AArch64) is not supported");
          break;
        default:
          this.#error(at, `unknown call frame instruction 0x${byte.toString(16)}`);
      }
    }
    if (emit !== null && !allNops) emit(loc, state);
    return [loc, Number.MAX_SAFE_INTEGER];
  }
}

/** readelf's spelling of a rule (`u`, `s`, `c-16`, `v+8`, a register name, `exp`, `vexp`). */
export function formatCfiRule(
  rule: CfiRule | undefined,
  registerName: (regno: number) => string,
): string {
  if (rule === undefined) return "u";
  switch (rule.kind) {
    case "undefined":
      return "u";
    case "same_value":
      return "s";
    case "offset":
      return `c${rule.offset >= 0 ? "+" : ""}${rule.offset}`;
    case "val_offset":
      return `v${rule.offset >= 0 ? "+" : ""}${rule.offset}`;
    case "register":
      return registerName(rule.register);
    case "expression":
      return "exp";
    case "val_expression":
      return "vexp";
  }
}

/** readelf's spelling of a CFA rule (`rsp+8`, `exp`). */
export function formatCfaRule(cfa: CfaRule, registerName: (regno: number) => string): string {
  if (cfa.kind === "expression") return "exp";
  return `${registerName(cfa.register)}${cfa.offset >= 0 ? "+" : ""}${cfa.offset}`;
}
