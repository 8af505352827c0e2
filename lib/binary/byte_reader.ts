/**
 * Bounds-checked cursor over a byte buffer: fixed-width integers in either
 * byte order, LEB128, C strings. Every read past the end throws a
 * {@link DecodeError} naming the section and the offset where the value starts.
 *
 * Widths decide the JavaScript type: up to 32 bits give `number`, 64-bit
 * values give `bigint` (`u64`), or `number` where the caller knows the value
 * is an offset that fits (`u64n`, which throws when it does not).
 *
 * @module
 */

import { DecodeError } from "../errors.ts";

/** Whether this machine stores multi-byte words least significant byte first. */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * In a `Uint32Array` view of 64-bit values (a `BigUint64Array`'s buffer),
 * the position of value `i`'s low half is `2 * i + LO32`, its high half's
 * `2 * i + HI32`: 64-bit columns read and written without a bigint.
 */
export const LO32: number = HOST_LITTLE_ENDIAN ? 0 : 1;
/** See {@link LO32}. */
export const HI32: number = 1 - LO32;

const textDecoder = new TextDecoder("utf-8");
const latin1Decoder = new TextDecoder("latin1");

/** Decodes bytes as UTF-8 (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** Decodes bytes one character per byte (no validation). */
export function decodeLatin1(bytes: Uint8Array): string {
  return latin1Decoder.decode(bytes);
}

/**
 * Reads the NUL-terminated string at `offset` of `data` (UTF-8). Throws a
 * {@link DecodeError} if there is no terminator.
 */
export function cstringAt(data: Uint8Array, offset: number, section = "string table"): string {
  if (offset < 0 || offset >= data.length) {
    throw new DecodeError(section, offset, "string offset out of bounds");
  }
  const end = data.indexOf(0, offset);
  if (end < 0) throw new DecodeError(section, offset, "unterminated string");
  // Fast path for ASCII, which almost every symbol and DWARF name is: one
  // string made from the bytes (building it a character at a time made a
  // string per character: ~0.3 MB of garbage opening a kernel's files).
  if (end - offset < 64) {
    for (let i = offset; i < end; i++) {
      if (data[i]! >= 0x80) return textDecoder.decode(data.subarray(offset, end));
    }
    return String.fromCharCode.apply(null, data.subarray(offset, end) as unknown as number[]);
  }
  return textDecoder.decode(data.subarray(offset, end));
}

/** A cursor over `data`; `pos` is the next byte to read. */
export class ByteReader {
  /** The bytes being read. */
  readonly data: Uint8Array;
  /** View over the same bytes. */
  readonly view: DataView;
  /** Little-endian (true) or big-endian (false) fixed-width reads. */
  readonly littleEndian: boolean;
  /** Name used in error messages (a section name, file, or structure). */
  readonly section: string;
  /** Added to `pos` in error messages (the offset of `data` within `section`). */
  readonly baseOffset: number;
  /** The next byte to read. */
  pos: number;
  /** Where the last value read started (for error messages). */
  prev = 0;

  constructor(
    data: Uint8Array,
    littleEndian = true,
    section = "data",
    pos = 0,
    baseOffset = 0,
  ) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.littleEndian = littleEndian;
    this.section = section;
    this.pos = pos;
    this.baseOffset = baseOffset;
  }

  /** Number of bytes left. */
  get remaining(): number {
    return this.data.length - this.pos;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.pos >= this.data.length;
  }

  /** Throws a {@link DecodeError} at `offset` (default: the start of the last value). */
  error(message: string, offset = this.prev): never {
    throw new DecodeError(this.section, this.baseOffset + offset, message);
  }

  #need(n: number): number {
    const p = this.pos;
    if (n < 0 || p + n > this.data.length || p < 0) {
      this.prev = p;
      this.error(
        `unexpected end of data (need ${n} bytes, ${Math.max(0, this.data.length - p)} left)`,
        p,
      );
    }
    this.prev = p;
    this.pos = p + n;
    return p;
  }

  /** Moves to `pos`, which must be within the data (or at its end). */
  seek(pos: number): this {
    if (pos < 0 || pos > this.data.length) this.error(`offset out of bounds`, pos);
    this.pos = pos;
    return this;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    this.#need(n);
  }

  u8(): number {
    return this.data[this.#need(1)]!;
  }
  s8(): number {
    return this.view.getInt8(this.#need(1));
  }
  u16(): number {
    return this.view.getUint16(this.#need(2), this.littleEndian);
  }
  s16(): number {
    return this.view.getInt16(this.#need(2), this.littleEndian);
  }
  u32(): number {
    return this.view.getUint32(this.#need(4), this.littleEndian);
  }
  s32(): number {
    return this.view.getInt32(this.#need(4), this.littleEndian);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.#need(8), this.littleEndian);
  }
  s64(): bigint {
    return this.view.getBigInt64(this.#need(8), this.littleEndian);
  }

  /** A 64-bit unsigned value that must fit in a safe integer (an offset or size). */
  u64n(): number {
    const p = this.#need(8);
    const lo = this.view.getUint32(p + (this.littleEndian ? 0 : 4), this.littleEndian);
    const hi = this.view.getUint32(p + (this.littleEndian ? 4 : 0), this.littleEndian);
    if (hi > 0x1fffff) this.error("64-bit value too large");
    return hi * 0x100000000 + lo;
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8) as a bigint. */
  uint(size: number): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8());
      case 2:
        return BigInt(this.u16());
      case 4:
        return BigInt(this.u32());
      case 8:
        return this.u64();
      default:
        return this.error(`unsupported integer size ${size}`, this.pos);
    }
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8) as a number (throws if unsafe). */
  uintn(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64n();
      default:
        return this.error(`unsupported integer size ${size}`, this.pos);
    }
  }

  /** An address of `size` bytes (4 or 8). */
  addr(size: number): bigint {
    return size === 8 ? this.u64() : BigInt(this.u32());
  }

  /** Unsigned LEB128 as a number; throws if it does not fit in 53 bits. */
  uleb128(): number {
    const start = this.pos;
    const d = this.data;
    let result = 0;
    let mul = 1;
    let p = start;
    for (;;) {
      if (p >= d.length) {
        this.prev = start;
        this.error("unterminated LEB128", start);
      }
      const b = d[p++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
      if (mul > 2 ** 56) {
        // Allow redundant zero padding but not values over 2^53.
        if ((b & 0x7f) !== 0 || mul > 2 ** 70) {
          this.prev = start;
          this.pos = p;
          return this.#ulebSlowRest(start);
        }
      }
    }
    this.prev = start;
    this.pos = p;
    if (result > Number.MAX_SAFE_INTEGER) this.error("LEB128 value too large", start);
    return result;
  }

  #ulebSlowRest(start: number): number {
    this.pos = start;
    const v = this.uleb128Big();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.error("LEB128 value too large", start);
    return Number(v);
  }

  /** Unsigned LEB128 as a bigint (any size). */
  uleb128Big(): bigint {
    const start = this.pos;
    const d = this.data;
    let result = 0n;
    let shift = 0n;
    let p = start;
    for (;;) {
      if (p >= d.length) {
        this.prev = start;
        this.error("unterminated LEB128", start);
      }
      const b = d[p++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    this.prev = start;
    this.pos = p;
    return BigInt.asUintN(Math.max(64, Number(shift)), result);
  }

  /** Signed LEB128 as a number; throws if it does not fit in 53 bits. */
  sleb128(): number {
    const start = this.pos;
    const d = this.data;
    let result = 0;
    let mul = 1;
    let p = start;
    let b: number;
    for (;;) {
      if (p >= d.length) {
        this.prev = start;
        this.error("unterminated LEB128", start);
      }
      b = d[p++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
      if (mul > 2 ** 56) {
        this.pos = start;
        const v = this.sleb128Big();
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          this.error("LEB128 value too large", start);
        }
        return Number(v);
      }
    }
    if (b & 0x40) result -= mul;
    this.prev = start;
    this.pos = p;
    return result;
  }

  /** Signed LEB128 as a bigint (any size). */
  sleb128Big(): bigint {
    const start = this.pos;
    const d = this.data;
    let result = 0n;
    let shift = 0n;
    let p = start;
    let b: number;
    for (;;) {
      if (p >= d.length) {
        this.prev = start;
        this.error("unterminated LEB128", start);
      }
      b = d[p++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    if (b & 0x40) result -= 1n << shift;
    this.prev = start;
    this.pos = p;
    return result;
  }

  /** A NUL-terminated UTF-8 string; the cursor moves past the NUL. */
  cstring(): string {
    const start = this.pos;
    const end = this.data.indexOf(0, start);
    if (end < 0) {
      this.prev = start;
      this.error("unterminated string", start);
    }
    this.prev = start;
    this.pos = end + 1;
    return cstringAt(this.data, start, this.section);
  }

  /** `n` bytes as a view into the data (not a copy). */
  bytes(n: number): Uint8Array {
    const p = this.#need(n);
    return this.data.subarray(p, p + n);
  }

  /** A section offset of DWARF's 4-byte (32-bit format) or 8-byte (64-bit format) size. */
  offset(is64: boolean): number {
    return is64 ? this.u64n() : this.u32();
  }

  /**
   * A DWARF initial length: returns `[length, is64]`. `0xffffffff` introduces
   * the 64-bit format; `0xfffffff0`–`0xfffffffe` are reserved.
   */
  initialLength(): [number, boolean] {
    const start = this.pos;
    const len = this.u32();
    if (len === 0xffffffff) {
      const l = this.u64n();
      this.prev = start;
      return [l, true];
    }
    if (len >= 0xfffffff0) this.error(`reserved unit length 0x${len.toString(16)}`, start);
    return [len, false];
  }

  /** A reader over `[start, end)` of the same data, keeping section and byte order. */
  sub(start: number, end: number): ByteReader {
    if (start < 0 || end > this.data.length || start > end) {
      this.error(`range ${start}..${end} out of bounds`, start);
    }
    return new ByteReader(
      this.data.subarray(start, end),
      this.littleEndian,
      this.section,
      0,
      this.baseOffset + start,
    );
  }
}
