/**
 * Line-number programs (`.debug_line`, DWARF 2–5, DWARF 5 §6.2): the header
 * (version 5 directory/file entry formats with `DW_FORM_line_strp`, `strp`,
 * `string`, `udata`, `data*` and `data16` MD5s), every standard and
 * extended opcode, and the resulting row matrix, stored per unit in typed
 * arrays (about 21 bytes a row). {@link LineTable.find} maps a PC to its row
 * the way drgn (libdw) and gdb do: the last row whose address is ≤ PC in
 * the sequence that contains PC.
 *
 * Parsing is per unit and lazy ({@link LineTables} memoizes by
 * `DW_AT_stmt_list` offset), so a 17 MB vmlinux `.debug_line` is only read
 * where PCs are looked up. Malformed programs give a {@link DecodeError}
 * naming `.debug_line` and the offset of the bad header field or opcode.
 *
 * @module
 */

import { ByteReader } from "../binary/byte_reader.ts";
import { DecodeError, hex } from "../errors.ts";
import { DW_FORM } from "./constants.ts";
import { DW_LNCT, type LineSections } from "./line_header.ts";
import { ensureSection, fillSection, sectionCString } from "./sections.ts";

export type { LineSections } from "./line_header.ts";

const SECTION = ".debug_line";

/** Standard opcodes (DWARF 5 §7.22, table 7.25). */
export const DW_LNS = {
  copy: 0x01,
  advance_pc: 0x02,
  advance_line: 0x03,
  set_file: 0x04,
  set_column: 0x05,
  negate_stmt: 0x06,
  set_basic_block: 0x07,
  const_add_pc: 0x08,
  fixed_advance_pc: 0x09,
  set_prologue_end: 0x0a,
  set_epilogue_begin: 0x0b,
  set_isa: 0x0c,
} as const;

/** Extended opcodes (DWARF 5 §7.22, table 7.26). */
export const DW_LNE = {
  end_sequence: 0x01,
  set_address: 0x02,
  define_file: 0x03,
  set_discriminator: 0x04,
} as const;

/** Bits of {@link LineTable.flags}. */
export const LINE_FLAG = {
  isStmt: 1,
  basicBlock: 2,
  endSequence: 4,
  prologueEnd: 8,
  epilogueBegin: 16,
} as const;

/** A file of the file table. */
export interface LineFile {
  /** The name as written (`DW_LNCT_path`). */
  readonly name: string;
  /** Its directory entry (`""` if none). */
  readonly directory: string;
  /**
   * The directory entry and the name joined as libdw (and so drgn) does:
   * the name if it is absolute, else `directory/name`, the directory as
   * written (DWARF 5 directory 0 and, before DWARF 5, the compilation
   * directory stand for the unit's directory; other relative directories are
   * not joined to it).
   */
  readonly path: string;
  /** `DW_LNCT_MD5` (DWARF 5), or null. */
  readonly md5: Uint8Array | null;
}

/** A row, as {@link LineTable.find} returns it. */
export interface LineRow {
  /** Index in the table's row arrays. */
  readonly index: number;
  readonly address: bigint;
  /** The file (undefined if the program names a file the table does not have). */
  readonly file: LineFile | undefined;
  /** The raw file index. */
  readonly fileIndex: number;
  /** 1-based line (0: no line). */
  readonly line: number;
  /** 1-based column (0: none). */
  readonly column: number;
  readonly isStmt: boolean;
  readonly discriminator: number;
}

/** Options of {@link LineTable.parse}. */
export interface LineTableOptions {
  /** Byte order (default little-endian). */
  readonly littleEndian?: boolean;
  /** Address size for DWARF 2–4 units (default 8; version 5 gives its own). */
  readonly addressSize?: 4 | 8;
  /** `DW_AT_comp_dir` of the unit: relative paths are joined to it. */
  readonly compDir?: string;
  /** `DW_AT_name` of the unit: the name of file 0 before DWARF 5. */
  readonly unitName?: string;
}

// Scratch row columns shared by every parse (grown as needed, copied out).
let sHi = new Uint32Array(4096);
let sLo = new Uint32Array(4096);
let sFile = new Uint32Array(4096);
let sLine = new Uint32Array(4096);
let sCol = new Uint32Array(4096);
let sDisc = new Uint32Array(4096);
let sFlags = new Uint8Array(4096);

function growScratch(): void {
  const n = sHi.length * 2;
  const g = <T extends Uint32Array | Uint8Array>(a: T): T => {
    const b = new (a.constructor as new (n: number) => T)(n);
    b.set(a);
    return b;
  };
  sHi = g(sHi);
  sLo = g(sLo);
  sFile = g(sFile);
  sLine = g(sLine);
  sCol = g(sCol);
  sDisc = g(sDisc);
  sFlags = g(sFlags);
}

const TWO32 = 0x100000000;

function joinPath(dir: string, name: string): string {
  if (name.startsWith("/") || dir === "") return name;
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** One unit's line table. */
export class LineTable {
  /** Offset of the unit in `.debug_line`. */
  readonly offset: number;
  readonly version: number;
  readonly addressSize: number;
  readonly minimumInstructionLength: number;
  readonly maximumOperationsPerInstruction: number;
  readonly defaultIsStmt: boolean;
  readonly lineBase: number;
  readonly lineRange: number;
  readonly opcodeBase: number;
  /** Include directories (DWARF 5: index 0 is the compilation directory). */
  readonly directories: readonly string[];
  /** Files (DWARF 5: from index 0; before: index 0 is the unit's primary file). */
  readonly files: readonly LineFile[];
  /** Number of rows (end-of-sequence rows included). */
  readonly rowCount: number;
  /** Row addresses: high and low 32 bits. */
  readonly addressHi: Uint32Array;
  readonly addressLo: Uint32Array;
  /** Row file indices. */
  readonly fileIndices: Uint32Array;
  /** Row lines. */
  readonly lines: Uint32Array;
  /** Row columns. */
  readonly columns: Uint32Array;
  /** Row discriminators. */
  readonly discriminators: Uint32Array;
  /** Row {@link LINE_FLAG} bits. */
  readonly flags: Uint8Array;
  /** Sequences sorted by start address: first row, end row (the end_sequence row). */
  readonly #seqFirst: Uint32Array;
  readonly #seqEnd: Uint32Array;

  private constructor(
    header: Header,
    rows: number,
    seqFirst: Uint32Array,
    seqEnd: Uint32Array,
  ) {
    this.offset = header.offset;
    this.version = header.version;
    this.addressSize = header.addressSize;
    this.minimumInstructionLength = header.minInst;
    this.maximumOperationsPerInstruction = header.maxOps;
    this.defaultIsStmt = header.defaultIsStmt;
    this.lineBase = header.lineBase;
    this.lineRange = header.lineRange;
    this.opcodeBase = header.opcodeBase;
    this.directories = header.directories;
    this.files = header.files;
    this.rowCount = rows;
    this.addressHi = sHi.slice(0, rows);
    this.addressLo = sLo.slice(0, rows);
    this.fileIndices = sFile.slice(0, rows);
    this.lines = sLine.slice(0, rows);
    this.columns = sCol.slice(0, rows);
    this.discriminators = sDisc.slice(0, rows);
    this.flags = sFlags.slice(0, rows);
    this.#seqFirst = seqFirst;
    this.#seqEnd = seqEnd;
  }

  /**
   * Parses the line program at `offset` of `sections.line`.
   *
   * @example
   * ```ts ignore
   * const table = LineTable.parse({ line, lineStr }, stmtList, { compDir: "/src" });
   * const row = table.find(pc); // { file, line, column, isStmt, … } or null
   * ```
   */
  static parse(sections: LineSections, offset: number, options: LineTableOptions = {}): LineTable {
    const h = parseHeader(sections, offset, options);
    const p = runProgram(sections.line, h, options.littleEndian ?? true);
    return new LineTable(h, p.rows, p.seqFirst, p.seqEnd);
  }

  /** Number of sequences. */
  get sequenceCount(): number {
    return this.#seqFirst.length;
  }

  /** The address of row `i`. */
  address(i: number): bigint {
    return (BigInt(this.addressHi[i]!) << 32n) | BigInt(this.addressLo[i]!);
  }

  /** Row `i` as an object. */
  row(i: number): LineRow {
    const f = this.fileIndices[i]!;
    return {
      index: i,
      address: this.address(i),
      file: this.files[f],
      fileIndex: f,
      line: this.lines[i]!,
      column: this.columns[i]!,
      isStmt: (this.flags[i]! & LINE_FLAG.isStmt) !== 0,
      discriminator: this.discriminators[i]!,
    };
  }

  /** The index of the row for `pc` (see {@link find}), or -1. */
  lookup(pc: bigint): number {
    if (pc < 0n || pc > 0xffffffffffffffffn) return -1;
    const phi = Number(pc >> 32n);
    const plo = Number(pc & 0xffffffffn);
    const hi = this.addressHi, lo = this.addressLo;
    const le = (i: number) => hi[i]! < phi || (hi[i] === phi && lo[i]! <= plo);
    // Last sequence starting at or before pc.
    const first = this.#seqFirst, end = this.#seqEnd;
    let l = 0, u = first.length;
    while (l < u) {
      const m = (l + u) >>> 1;
      if (le(first[m]!)) l = m + 1;
      else u = m;
    }
    // Sequences may overlap (e.g. discarded functions at address 0): try a few.
    for (let s = l - 1, tries = 0; s >= 0 && tries < 16; s--, tries++) {
      const e = end[s]!;
      if (le(e)) continue; // pc is at or past the sequence's end
      // Last row in [first, e) with address <= pc.
      let a = first[s]!, b = e;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (le(m)) a = m + 1;
        else b = m;
      }
      return a - 1;
    }
    return -1;
  }

  /** The row for `pc`: the last row at or before it in the sequence containing it; null if none. */
  find(pc: bigint): LineRow | null {
    const i = this.lookup(pc);
    return i < 0 ? null : this.row(i);
  }
}

interface Header {
  offset: number;
  unitEnd: number;
  programStart: number;
  version: number;
  is64: boolean;
  addressSize: number;
  minInst: number;
  maxOps: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  opcodeLengths: Uint8Array;
  directories: string[];
  files: LineFile[];
  compDir: string;
}

function parseHeader(s: LineSections, offset: number, o: LineTableOptions): Header {
  const d = s.line;
  const le = o.littleEndian ?? true;
  if (offset < 0 || offset >= d.length) {
    throw new DecodeError(SECTION, offset, "line program offset out of bounds");
  }
  // The section may be lazy (see `ensureSection`): read this unit's program.
  ensureSection(d, offset, offset + 12);
  const r = new ByteReader(d, le, SECTION, offset);
  const [length, is64] = r.initialLength();
  const unitEnd = r.pos + length;
  if (unitEnd > d.length) {
    throw new DecodeError(SECTION, offset, `unit length ${length} runs past the section end`);
  }
  ensureSection(d, offset, unitEnd);
  const u = r.sub(0, unitEnd);
  u.pos = r.pos;
  const version = u.u16();
  if (version < 2 || version > 5) {
    throw new DecodeError(SECTION, offset, `unsupported line table version ${version}`);
  }
  let addressSize: number = o.addressSize ?? 8;
  if (version >= 5) {
    addressSize = u.u8();
    const seg = u.u8();
    if (addressSize !== 4 && addressSize !== 8) {
      u.error(`unsupported address size ${addressSize}`);
    }
    if (seg !== 0) u.error(`unsupported segment selector size ${seg}`);
  }
  const headerLength = u.offset(is64);
  const programStart = u.pos + headerLength;
  if (programStart > unitEnd) u.error("header length runs past the unit");
  const minInst = u.u8();
  const maxOps = version >= 4 ? u.u8() : 1;
  if (maxOps === 0) u.error("maximum_operations_per_instruction is 0");
  const defaultIsStmt = u.u8() !== 0;
  const lineBase = u.s8();
  const lineRange = u.u8();
  if (lineRange === 0) u.error("line_range is 0");
  const opcodeBase = u.u8();
  if (opcodeBase === 0) u.error("opcode_base is 0");
  const opcodeLengths = u.bytes(opcodeBase - 1);
  const hr = u.sub(0, programStart);
  hr.pos = u.pos;
  const compDir = o.compDir ?? "";
  const directories: string[] = [];
  const files: LineFile[] = [];
  if (version < 5) {
    directories.push(compDir);
    for (;;) {
      if (hr.pos >= programStart) hr.error("unterminated include_directories", hr.pos);
      if (d[hr.pos] === 0) {
        hr.pos++;
        break;
      }
      directories.push(hr.cstring());
    }
    files.push({
      name: o.unitName ?? "",
      directory: compDir,
      path: joinPath(compDir, o.unitName ?? ""),
      md5: null,
    });
    for (;;) {
      if (hr.pos >= programStart) hr.error("unterminated file_names", hr.pos);
      if (d[hr.pos] === 0) {
        hr.pos++;
        break;
      }
      files.push(readV4File(hr, directories));
    }
  } else {
    const strings = { s, is64, compDir };
    const dirFormats = readFormats(hr);
    const nDirs = hr.uleb128();
    if (nDirs > programStart - hr.pos + 1) hr.error(`directory count ${nDirs} is too large`);
    for (let i = 0; i < nDirs; i++) {
      const e = readEntry(hr, dirFormats, strings);
      directories.push(e.path);
    }
    const fileFormats = readFormats(hr);
    const nFiles = hr.uleb128();
    if (nFiles > programStart - hr.pos + 1) hr.error(`file count ${nFiles} is too large`);
    for (let i = 0; i < nFiles; i++) {
      const at = hr.pos;
      const e = readEntry(hr, fileFormats, strings);
      const dirName = directories[e.dir];
      if (dirName === undefined) {
        throw new DecodeError(SECTION, at, `file ${i} names directory ${e.dir} of ${nDirs}`);
      }
      files.push({ name: e.path, directory: dirName, path: joinPath(dirName, e.path), md5: e.md5 });
    }
  }
  return {
    offset,
    unitEnd,
    programStart,
    version,
    is64,
    addressSize,
    minInst,
    maxOps,
    defaultIsStmt,
    lineBase,
    lineRange,
    opcodeBase,
    opcodeLengths,
    directories,
    files,
    compDir,
  };
}

function readV4File(r: ByteReader, directories: readonly string[]): LineFile {
  const at = r.pos;
  const name = r.cstring();
  const dirIndex = r.uleb128();
  r.uleb128(); // mtime
  r.uleb128(); // length
  const dirName = directories[dirIndex];
  if (dirName === undefined) {
    throw new DecodeError(SECTION, at, `file ${name} names directory ${dirIndex}`);
  }
  return { name, directory: dirName, path: joinPath(dirName, name), md5: null };
}

function readFormats(r: ByteReader): number[] {
  const n = r.u8();
  const f: number[] = [];
  for (let i = 0; i < n; i++) f.push(r.uleb128(), r.uleb128());
  return f;
}

function readEntry(
  r: ByteReader,
  formats: readonly number[],
  ctx: { s: LineSections; is64: boolean },
): { path: string; dir: number; md5: Uint8Array | null } {
  let path = "";
  let dir = 0;
  let md5: Uint8Array | null = null;
  for (let k = 0; k < formats.length; k += 2) {
    const ct = formats[k]!;
    const form = formats[k + 1]!;
    const at = r.pos;
    let num = 0;
    let str: string | null = null;
    let bytes: Uint8Array | null = null;
    switch (form) {
      case DW_FORM.string:
        str = r.cstring();
        break;
      case DW_FORM.line_strp:
      case DW_FORM.strp: {
        const off = r.offset(ctx.is64);
        const sec = form === DW_FORM.line_strp ? ctx.s.lineStr : ctx.s.str;
        const name = form === DW_FORM.line_strp ? ".debug_line_str" : ".debug_str";
        if (sec === undefined) throw new DecodeError(SECTION, at, `${name} is missing`);
        str = sectionCString(sec, off, name);
        break;
      }
      case DW_FORM.udata:
        num = r.uleb128();
        break;
      case DW_FORM.data1:
        num = r.u8();
        break;
      case DW_FORM.data2:
        num = r.u16();
        break;
      case DW_FORM.data4:
        num = r.u32();
        break;
      case DW_FORM.data8:
        r.skip(8);
        break;
      case DW_FORM.data16:
        bytes = r.bytes(16);
        break;
      case DW_FORM.block:
        r.skip(r.uleb128());
        break;
      default:
        throw new DecodeError(SECTION, at, `unsupported entry form 0x${form.toString(16)}`);
    }
    if (ct === DW_LNCT.path) {
      if (str === null) throw new DecodeError(SECTION, at, "DW_LNCT_path is not a string");
      path = str;
    } else if (ct === DW_LNCT.directory_index) {
      dir = num;
    } else if (ct === DW_LNCT.MD5) {
      md5 = bytes;
    }
  }
  return { path, dir, md5 };
}

function runProgram(
  d: Uint8Array,
  h: Header,
  le: boolean,
): { rows: number; seqFirst: Uint32Array; seqEnd: Uint32Array } {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const end = h.unitEnd;
  const { minInst, maxOps, lineBase, lineRange, opcodeBase, opcodeLengths } = h;
  const defaultFlags = h.defaultIsStmt ? LINE_FLAG.isStmt : 0;
  let p = h.programStart;
  let n = 0;
  // State machine registers.
  let hi = 0, lo = 0, opIndex = 0, file = 1, line = 1, column = 0, discriminator = 0;
  let flags = defaultFlags;
  let seqStart = -1;
  const seqFirst: number[] = [];
  const seqEnd: number[] = [];
  let unsorted = false;

  const fail = (at: number, message: string): never => {
    throw new DecodeError(SECTION, at, message);
  };
  const uleb = (): number => {
    const start = p;
    let r = 0, mul = 1;
    for (;;) {
      if (p >= end) fail(start, "unterminated LEB128");
      const b = d[p++]!;
      r += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return r;
      mul *= 128;
      if (mul > 2 ** 63) fail(start, "LEB128 value too large");
    }
  };
  const sleb = (): number => {
    const start = p;
    let r = 0, mul = 1, b: number;
    for (;;) {
      if (p >= end) fail(start, "unterminated LEB128");
      b = d[p++]!;
      r += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
      if (mul > 2 ** 63) fail(start, "LEB128 value too large");
    }
    return b & 0x40 ? r - mul : r;
  };
  const advanceAddress = (ops: number) => {
    let delta: number;
    if (maxOps === 1) {
      delta = minInst * ops;
    } else {
      const t = opIndex + ops;
      delta = minInst * Math.floor(t / maxOps);
      opIndex = t % maxOps;
    }
    lo += delta;
    if (lo >= TWO32) {
      const carry = Math.floor(lo / TWO32);
      hi = (hi + carry) >>> 0;
      lo -= carry * TWO32;
    }
  };
  const emit = () => {
    if (n === sHi.length) growScratch();
    if (seqStart < 0) seqStart = n;
    else if (
      !unsorted && (hi < sHi[n - 1]! || (hi === sHi[n - 1] && lo < sLo[n - 1]!))
    ) unsorted = true;
    sHi[n] = hi;
    sLo[n] = lo;
    sFile[n] = file;
    sLine[n] = line >>> 0;
    sCol[n] = column;
    sDisc[n] = discriminator;
    sFlags[n] = flags;
    n++;
    discriminator = 0;
    flags &= ~(LINE_FLAG.basicBlock | LINE_FLAG.prologueEnd | LINE_FLAG.epilogueBegin);
  };

  while (p < end) {
    const at = p;
    const op = d[p++]!;
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      advanceAddress(Math.floor(adj / lineRange));
      line += lineBase + (adj % lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = uleb();
        if (len === 0) fail(at, "extended opcode of length 0");
        const next = p + len;
        if (next > end) fail(at, "extended opcode runs past the unit");
        const sub = d[p++]!;
        switch (sub) {
          case DW_LNE.end_sequence:
            flags |= LINE_FLAG.endSequence;
            emit();
            if (unsorted) sortSequence(seqStart, n);
            unsorted = false;
            seqFirst.push(seqStart);
            seqEnd.push(n - 1);
            seqStart = -1;
            hi = 0, lo = 0, opIndex = 0, file = 1, line = 1, column = 0, discriminator = 0;
            flags = defaultFlags;
            break;
          case DW_LNE.set_address: {
            const size = len - 1;
            if (size === 8) {
              lo = v.getUint32(p + (le ? 0 : 4), le);
              hi = v.getUint32(p + (le ? 4 : 0), le);
            } else if (size === 4) {
              lo = v.getUint32(p, le);
              hi = 0;
            } else {
              fail(at, `DW_LNE_set_address of ${size} bytes`);
            }
            opIndex = 0;
            break;
          }
          case DW_LNE.define_file:
            // Deprecated (DWARF 2–4): adds a file entry.
            {
              const r = new ByteReader(d.subarray(0, next), le, SECTION, p);
              (h.files as LineFile[]).push(readV4File(r, h.directories));
            }
            break;
          case DW_LNE.set_discriminator:
            discriminator = uleb();
            break;
          default:
            break; // unknown extended opcodes are skipped by their length
        }
        if (p > next) fail(at, "extended opcode operands run past its length");
        p = next;
        break;
      }
      case DW_LNS.copy:
        emit();
        break;
      case DW_LNS.advance_pc:
        advanceAddress(uleb());
        break;
      case DW_LNS.advance_line:
        line += sleb();
        break;
      case DW_LNS.set_file:
        file = uleb();
        break;
      case DW_LNS.set_column:
        column = uleb();
        break;
      case DW_LNS.negate_stmt:
        flags ^= LINE_FLAG.isStmt;
        break;
      case DW_LNS.set_basic_block:
        flags |= LINE_FLAG.basicBlock;
        break;
      case DW_LNS.const_add_pc:
        advanceAddress(Math.floor((255 - opcodeBase) / lineRange));
        break;
      case DW_LNS.fixed_advance_pc:
        if (p + 2 > end) fail(at, "truncated DW_LNS_fixed_advance_pc");
        lo += v.getUint16(p, le);
        p += 2;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi = (hi + 1) >>> 0;
        }
        opIndex = 0;
        break;
      case DW_LNS.set_prologue_end:
        flags |= LINE_FLAG.prologueEnd;
        break;
      case DW_LNS.set_epilogue_begin:
        flags |= LINE_FLAG.epilogueBegin;
        break;
      case DW_LNS.set_isa:
        uleb();
        break;
      default: {
        // An opcode this version does not define: skip its ULEB operands.
        const nargs = opcodeLengths[op - 1]!;
        for (let i = 0; i < nargs; i++) uleb();
      }
    }
  }
  // Rows after the last end_sequence belong to no sequence and are dropped.
  n = seqStart >= 0 ? seqStart : n;

  // Sort sequences by start address (they usually are already).
  const count = seqFirst.length;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < count && sorted; i++) {
    const a = seqFirst[i - 1]!, b = seqFirst[i]!;
    if (sHi[b]! < sHi[a]! || (sHi[b] === sHi[a] && sLo[b]! < sLo[a]!)) sorted = false;
  }
  if (!sorted) {
    order.sort((x, y) => {
      const a = seqFirst[x]!, b = seqFirst[y]!;
      return (sHi[a]! - sHi[b]!) || (sLo[a]! - sLo[b]!) || (x - y);
    });
  }
  const f = new Uint32Array(count), e = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    f[i] = seqFirst[order[i]!]!;
    e[i] = seqEnd[order[i]!]!;
  }
  return { rows: n, seqFirst: f, seqEnd: e };
}

/** Stable-sorts the rows `[start, end - 1)` of a sequence by address (the end row stays last). */
function sortSequence(start: number, end: number): void {
  const n = end - 1 - start;
  const idx = Array.from({ length: n }, (_, i) => start + i);
  idx.sort((a, b) => (sHi[a]! - sHi[b]!) || (sLo[a]! - sLo[b]!) || (a - b));
  const cols = [sHi, sLo, sFile, sLine, sCol, sDisc, sFlags] as const;
  for (const c of cols) {
    const copy = c.slice(start, end - 1);
    for (let i = 0; i < n; i++) c[start + i] = copy[idx[i]! - start]!;
  }
}

/** Offsets of every unit in a `.debug_line` section, in order. */
export function lineProgramOffsets(line: Uint8Array, littleEndian = true): number[] {
  fillSection(line);
  const out: number[] = [];
  const r = new ByteReader(line, littleEndian, SECTION);
  while (r.pos < line.length) {
    const start = r.pos;
    const [len] = r.initialLength();
    const next = r.pos + len;
    if (next > line.length) {
      throw new DecodeError(SECTION, start, `unit length ${len} runs past the section end`);
    }
    out.push(start);
    r.pos = next;
  }
  return out;
}

/**
 * The line tables of one `.debug_line` section, parsed on first use and kept
 * by offset.
 */
export class LineTables {
  readonly #sections: LineSections;
  readonly #options: LineTableOptions;
  readonly #cache = new Map<number, LineTable>();

  constructor(sections: LineSections, options: LineTableOptions = {}) {
    this.#sections = sections;
    this.#options = options;
  }

  /** The table at `offset` (`DW_AT_stmt_list`), with the unit's directory and name. */
  get(offset: number, compDir?: string, unitName?: string): LineTable {
    let t = this.#cache.get(offset);
    if (t === undefined) {
      t = LineTable.parse(this.#sections, offset, { ...this.#options, compDir, unitName });
      this.#cache.set(offset, t);
    }
    return t;
  }

  /** Number of tables parsed so far. */
  get size(): number {
    return this.#cache.size;
  }
}

/** Formats a row like `file:line:column` (for messages and tests). */
export function formatLineRow(row: LineRow): string {
  return `${row.file?.path ?? `<file ${row.fileIndex}>`}:${row.line}:${row.column} @ ${
    hex(row.address)
  }`;
}
