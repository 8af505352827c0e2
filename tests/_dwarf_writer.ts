/**
 * Builds DWARF sections in memory from DIE-tree literals, for unit tests of
 * the DWARF reader (including deliberately malformed input).
 *
 * Each DIE gets its own abbreviation. References name another DIE by `id`
 * and are patched once every DIE's offset is known.
 */

import { DW_FORM, DW_UT } from "../lib/dwarf/constants.ts";

/** A reference to the DIE with this id. */
export interface Ref {
  ref: string;
}

/** An attribute value. Its meaning depends on the form. */
export type AttrValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | Ref
  | [form: number, value: number | bigint | string | Uint8Array | Ref];

/** One attribute: name, form, value. */
export type Attr = [at: number, form: number, value: AttrValue];

/** A DIE literal. */
export interface DieSpec {
  tag: number;
  id?: string;
  attrs?: Attr[];
  children?: DieSpec[];
  /** Force the DW_CHILDREN flag (default: whether `children` is non-empty). */
  hasChildren?: boolean;
}

/** A unit literal. */
export interface UnitSpec {
  /** DWARF version (2–5); default 5. */
  version?: number;
  /** DW_UT_* for version 5; default compile. */
  unitType?: number;
  /** 64-bit DWARF format. */
  is64?: boolean;
  addressSize?: number;
  /** For type units: the signature and the id of the type DIE. */
  typeSignature?: bigint;
  typeId?: string;
  /** Put this unit in .debug_types (DWARF 4). */
  inTypes?: boolean;
  root: DieSpec;
}

/** Options for {@link writeDwarf}. */
export interface WriteOptions {
  littleEndian?: boolean;
  units: UnitSpec[];
  /** Extra .debug_str_offsets / .debug_addr contents are built from strx/addrx values. */
}

/** The sections written. */
export interface WrittenDwarf {
  info: Uint8Array;
  abbrev: Uint8Array;
  str: Uint8Array;
  lineStr: Uint8Array;
  strOffsets: Uint8Array;
  addr: Uint8Array;
  types?: Uint8Array;
  /** DIE offsets by id (in the section of their unit). */
  offsets: Map<string, number>;
}

class Buf {
  bytes: number[] = [];
  constructor(readonly le: boolean) {}
  get length(): number {
    return this.bytes.length;
  }
  u8(v: number): void {
    this.bytes.push(v & 0xff);
  }
  uint(v: number | bigint, size: number): void {
    let x = BigInt.asUintN(size * 8, BigInt(v));
    const out: number[] = [];
    for (let i = 0; i < size; i++) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (!this.le) out.reverse();
    this.bytes.push(...out);
  }
  uleb(v: number | bigint): void {
    let x = BigInt(v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.bytes.push(b);
    } while (x !== 0n);
  }
  sleb(v: number | bigint): void {
    let x = BigInt(v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
      this.bytes.push(done ? b : b | 0x80);
      if (done) return;
    }
  }
  cstr(s: string): void {
    this.bytes.push(...new TextEncoder().encode(s), 0);
  }
  raw(b: Uint8Array | number[]): void {
    this.bytes.push(...b);
  }
  patch(at: number, v: number | bigint, size: number): void {
    const tmp = new Buf(this.le);
    tmp.uint(v, size);
    for (let i = 0; i < size; i++) this.bytes[at + i] = tmp.bytes[i]!;
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A string table that deduplicates (like the linker does for .debug_str). */
class StrTab {
  buf: Buf;
  map = new Map<string, number>();
  constructor(le: boolean) {
    this.buf = new Buf(le);
  }
  add(s: string): number {
    let off = this.map.get(s);
    if (off === undefined) {
      off = this.buf.length;
      this.buf.cstr(s);
      this.map.set(s, off);
    }
    return off;
  }
}

/** Writes the units. Throws on unknown forms or dangling references. */
export function writeDwarf(opts: WriteOptions): WrittenDwarf {
  const le = opts.littleEndian ?? true;
  const info = new Buf(le);
  const types = new Buf(le);
  const abbrev = new Buf(le);
  const str = new StrTab(le);
  const lineStr = new StrTab(le);
  const strOffsets = new Buf(le);
  const addr = new Buf(le);
  const offsets = new Map<string, number>();
  const fixups: { buf: Buf; at: number; size: number; id: string; base: number }[] = [];
  let hasTypes = false;

  for (const u of opts.units) {
    const version = u.version ?? 5;
    const is64 = u.is64 ?? false;
    const offSize = is64 ? 8 : 4;
    const addrSize = u.addressSize ?? 8;
    const out = u.inTypes ? types : info;
    if (u.inTypes) hasTypes = true;
    // Per-unit string offsets / address tables (DWARF 5 headers).
    const soBase = strOffsets.length + (is64 ? 16 : 8);
    strOffsets.uint(is64 ? 0xffffffff : 0, 4);
    if (is64) strOffsets.uint(0, 8);
    strOffsets.uint(5, 2);
    strOffsets.uint(0, 2);
    const soLenAt = strOffsets.length - 4 - (is64 ? 8 : 0);
    const soEntries: number[] = [];
    const adBase = addr.length + (is64 ? 16 : 8);
    const addrEntries: bigint[] = [];

    const abbrevOffset = abbrev.length;
    let code = 1;
    const unitStart = out.length;
    if (is64) {
      out.uint(0xffffffff, 4);
      out.uint(0, 8);
    } else {
      out.uint(0, 4);
    }
    const lenEnd = out.length;
    out.uint(version, 2);
    let typeOffsetAt = -1;
    if (version >= 5) {
      out.u8(u.unitType ?? DW_UT.compile);
      out.u8(addrSize);
      out.uint(abbrevOffset, offSize);
      const ut = u.unitType ?? DW_UT.compile;
      if (ut === DW_UT.skeleton || ut === DW_UT.split_compile) out.uint(0x1234n, 8);
      if (ut === DW_UT.type || ut === DW_UT.split_type) {
        out.uint(u.typeSignature ?? 0n, 8);
        typeOffsetAt = out.length;
        out.uint(0, offSize);
      }
    } else {
      out.uint(abbrevOffset, offSize);
      out.u8(addrSize);
      if (u.inTypes) {
        out.uint(u.typeSignature ?? 0n, 8);
        typeOffsetAt = out.length;
        out.uint(0, offSize);
      }
    }

    const writeDie = (d: DieSpec): void => {
      if (d.id !== undefined) offsets.set(d.id, out.length);
      const c = code++;
      const children = d.children ?? [];
      const hasChildren = d.hasChildren ?? children.length > 0;
      abbrev.uleb(c);
      abbrev.uleb(d.tag);
      abbrev.u8(hasChildren ? 1 : 0);
      out.uleb(c);
      for (const [at, form, value] of d.attrs ?? []) {
        abbrev.uleb(at);
        abbrev.uleb(form);
        if (form === DW_FORM.implicit_const) abbrev.sleb(value as number | bigint);
        writeValue(form, value);
      }
      abbrev.uleb(0);
      abbrev.uleb(0);
      for (const ch of children) writeDie(ch);
      if (hasChildren) out.u8(0);
    };

    const writeValue = (form: number, value: AttrValue): void => {
      switch (form) {
        case DW_FORM.data1:
        case DW_FORM.ref1:
        case DW_FORM.flag:
        case DW_FORM.strx1:
        case DW_FORM.addrx1:
          if (isRef(value)) return refFix(1, value, unitStart);
          return out.uint(toNum(form, value), 1);
        case DW_FORM.data2:
        case DW_FORM.ref2:
        case DW_FORM.strx2:
        case DW_FORM.addrx2:
          if (isRef(value)) return refFix(2, value, unitStart);
          return out.uint(toNum(form, value), 2);
        case DW_FORM.strx3:
        case DW_FORM.addrx3:
          return out.uint(toNum(form, value), 3);
        case DW_FORM.data4:
        case DW_FORM.ref4:
        case DW_FORM.strx4:
        case DW_FORM.addrx4:
          if (isRef(value)) return refFix(4, value, unitStart);
          return out.uint(toNum(form, value), 4);
        case DW_FORM.data8:
        case DW_FORM.ref8:
        case DW_FORM.ref_sig8:
          if (isRef(value)) return refFix(8, value, unitStart);
          return out.uint(value as number | bigint, 8);
        case DW_FORM.data16:
          return out.raw(value as Uint8Array);
        case DW_FORM.sdata:
          return out.sleb(value as number | bigint);
        case DW_FORM.udata:
        case DW_FORM.ref_udata:
          if (isRef(value)) {
            // Fixed-width (5-byte) ULEB so the value can be patched.
            fixups.push({ buf: out, at: out.length, size: -5, id: value.ref, base: unitStart });
            return out.raw([0x80, 0x80, 0x80, 0x80, 0]);
          }
          return out.uleb(value as number | bigint);
        case DW_FORM.string:
          return out.cstr(value as string);
        case DW_FORM.strp:
          return out.uint(typeof value === "string" ? str.add(value) : Number(value), offSize);
        case DW_FORM.line_strp:
          return out.uint(typeof value === "string" ? lineStr.add(value) : Number(value), offSize);
        case DW_FORM.strx: {
          soEntries.push(str.add(value as string));
          return out.uleb(soEntries.length - 1);
        }
        case DW_FORM.addrx: {
          addrEntries.push(BigInt(value as number | bigint));
          return out.uleb(addrEntries.length - 1);
        }
        case DW_FORM.sec_offset:
          // "str_offsets_base" / "addr_base": this unit's table in the sections written.
          if (value === "str_offsets_base") return out.uint(soBase, offSize);
          if (value === "addr_base") return out.uint(adBase, offSize);
          return out.uint(value as number, offSize);
        case DW_FORM.ref_addr:
          if (isRef(value)) return refFix(version <= 2 ? addrSize : offSize, value, 0);
          return out.uint(value as number, version <= 2 ? addrSize : offSize);
        case DW_FORM.addr:
          return out.uint(value as number | bigint, addrSize);
        case DW_FORM.flag_present:
        case DW_FORM.implicit_const:
          return;
        case DW_FORM.indirect: {
          // value: [actual form, value]
          const [f, v] = value as unknown as [number, AttrValue];
          out.uleb(f);
          return writeValue(f, v);
        }
        case DW_FORM.exprloc:
        case DW_FORM.block: {
          const b = value as Uint8Array;
          out.uleb(b.length);
          return out.raw(b);
        }
        case DW_FORM.block1: {
          const b = value as Uint8Array;
          out.u8(b.length);
          return out.raw(b);
        }
        default:
          throw new Error(`writer: unsupported form 0x${form.toString(16)}`);
      }
    };
    const refFix = (size: number, r: Ref, base: number) => {
      fixups.push({ buf: out, at: out.length, size, id: r.ref, base });
      out.uint(0, size);
    };

    writeDie(u.root);
    abbrev.uleb(0);
    const len = out.length - lenEnd;
    if (is64) out.patch(unitStart + 4, len, 8);
    else out.patch(unitStart, len, 4);
    if (typeOffsetAt >= 0) {
      const id = u.typeId ?? u.root.id;
      fixups.push({ buf: out, at: typeOffsetAt, size: offSize, id: id!, base: unitStart });
    }
    // Finish this unit's .debug_str_offsets and .debug_addr contributions.
    for (const e of soEntries) strOffsets.uint(e, offSize);
    const soLen = strOffsets.length - (soLenAt + (is64 ? 12 : 4));
    strOffsets.patch(soLenAt + (is64 ? 4 : 0), soLen, is64 ? 8 : 4);
    if (is64) {
      addr.uint(0xffffffff, 4);
      addr.uint(4 + addrEntries.length * addrSize, 8);
    } else {
      addr.uint(4 + addrEntries.length * addrSize, 4);
    }
    addr.uint(5, 2);
    addr.u8(addrSize);
    addr.u8(0);
    for (const a of addrEntries) addr.uint(a, addrSize);
  }

  for (const f of fixups) {
    const off = offsets.get(f.id);
    if (off === undefined) throw new Error(`writer: no DIE with id ${f.id}`);
    const v = off - f.base;
    if (f.size === -5) {
      const b = [
        v & 0x7f | 0x80,
        (v >> 7) & 0x7f | 0x80,
        (v >> 14) & 0x7f | 0x80,
        (v >> 21) & 0x7f | 0x80,
        (v >> 28) & 0x7f,
      ];
      for (let i = 0; i < 5; i++) f.buf.bytes[f.at + i] = b[i]!;
    } else {
      f.buf.patch(f.at, v, f.size);
    }
  }
  const result: WrittenDwarf = {
    info: info.toBytes(),
    abbrev: abbrev.toBytes(),
    str: str.buf.toBytes(),
    lineStr: lineStr.buf.toBytes(),
    strOffsets: strOffsets.toBytes(),
    addr: addr.toBytes(),
    offsets,
  };
  if (hasTypes) result.types = types.toBytes();
  return result;
}

function isRef(v: AttrValue): v is Ref {
  return typeof v === "object" && v !== null && "ref" in v;
}

function toNum(form: number, v: AttrValue): number | bigint {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "bigint") return v;
  throw new Error(`writer: form 0x${form.toString(16)} needs a number`);
}

/** Shorthand for a reference value. */
export function ref(id: string): Ref {
  return { ref: id };
}

/** Offsets of the first unit's .debug_str_offsets and .debug_addr entries (32-bit format). */
export const FIRST_UNIT_BASES = { strOffsetsBase: 8, addrBase: 8 } as const;
