/**
 * Encoding and decoding of scalar values (integers of any width, bit fields,
 * IEEE floats including x87 80-bit `long double` and binary128) from target
 * bytes. These are the leaf operations of every object read.
 *
 * @module
 */

/** Reads an unsigned integer of `size` bytes at `offset` (any size) as a bigint. */
export function readUintBig(
  bytes: Uint8Array,
  offset: number,
  size: number,
  littleEndian: boolean,
): bigint {
  if (size === 8) {
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(
      offset,
      littleEndian,
    );
  }
  if (size <= 4) return BigInt(readUintNum(bytes, offset, size, littleEndian));
  let v = 0n;
  if (littleEndian) {
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  } else {
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  }
  return v;
}

/** Reads an unsigned integer of at most 6 bytes as a number. */
export function readUintNum(
  bytes: Uint8Array,
  offset: number,
  size: number,
  littleEndian: boolean,
): number {
  switch (size) {
    case 1:
      return bytes[offset]!;
    case 2:
      return littleEndian
        ? bytes[offset]! | (bytes[offset + 1]! << 8)
        : (bytes[offset]! << 8) | bytes[offset + 1]!;
    case 4:
      return littleEndian
        ? (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16)) +
          bytes[offset + 3]! * 0x1000000
        : bytes[offset]! * 0x1000000 +
          ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
    default: {
      let v = 0;
      if (littleEndian) {
        for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[offset + i]!;
      } else {
        for (let i = 0; i < size; i++) v = v * 256 + bytes[offset + i]!;
      }
      return v;
    }
  }
}

/** Writes the low `size` bytes of `value` at `offset`. */
export function writeUintBig(
  bytes: Uint8Array,
  offset: number,
  size: number,
  value: bigint,
  littleEndian: boolean,
): void {
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    const b = Number(v & 0xffn);
    v >>= 8n;
    bytes[littleEndian ? offset + i : offset + size - 1 - i] = b;
  }
}

/** Truncates `v` to `bits` bits, sign-extending if `signed`. */
export function truncate(v: bigint, bits: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/**
 * Reads a bit field of `bitSize` bits starting `bitOffset` bits into the
 * bytes at `offset` (bit order follows the byte order, as compilers lay out
 * bit fields: LSB-first for little-endian targets, MSB-first for big-endian).
 */
export function readBits(
  bytes: Uint8Array,
  offset: number,
  bitOffset: number,
  bitSize: number,
  littleEndian: boolean,
): bigint {
  const first = offset + (bitOffset >> 3);
  const shift = bitOffset & 7;
  const nbytes = (shift + bitSize + 7) >> 3;
  if (littleEndian) {
    let v = readUintBig(bytes, first, nbytes, true);
    v >>= BigInt(shift);
    return BigInt.asUintN(bitSize, v);
  }
  const v = readUintBig(bytes, first, nbytes, false);
  const tail = nbytes * 8 - shift - bitSize;
  return BigInt.asUintN(bitSize, v >> BigInt(tail));
}

/** Writes a bit field (inverse of {@link readBits}). */
export function writeBits(
  bytes: Uint8Array,
  offset: number,
  bitOffset: number,
  bitSize: number,
  value: bigint,
  littleEndian: boolean,
): void {
  const first = offset + (bitOffset >> 3);
  const shift = bitOffset & 7;
  const nbytes = (shift + bitSize + 7) >> 3;
  const mask = (1n << BigInt(bitSize)) - 1n;
  const cur = readUintBig(bytes, first, nbytes, littleEndian);
  const pos = littleEndian ? BigInt(shift) : BigInt(nbytes * 8 - shift - bitSize);
  const nv = (cur & ~(mask << pos)) | ((BigInt.asUintN(bitSize, value) & mask) << pos);
  writeUintBig(bytes, first, nbytes, nv, littleEndian);
}

const f80buf = new DataView(new ArrayBuffer(8));

/** Decodes an x87 80-bit extended float (10 bytes) to the nearest double. */
export function decodeFloat80(bytes: Uint8Array, offset: number, littleEndian: boolean): number {
  // Layout (little-endian): 64-bit significand with explicit integer bit, then 16-bit sign+exponent.
  const b = littleEndian ? bytes.subarray(offset, offset + 10) : reverse(bytes, offset, 10);
  let mant = 0n;
  for (let i = 7; i >= 0; i--) mant = (mant << 8n) | BigInt(b[i]!);
  const se = b[8]! | (b[9]! << 8);
  const sign = se & 0x8000 ? -1 : 1;
  const exp = se & 0x7fff;
  if (exp === 0x7fff) {
    const frac = mant & ((1n << 63n) - 1n);
    return frac === 0n ? sign * Infinity : NaN;
  }
  if (exp === 0 && mant === 0n) return sign * 0;
  // value = mant * 2^(exp - 16383 - 63)
  return sign * bigToDoubleScaled(mant, (exp === 0 ? 1 : exp) - 16383 - 63);
}

/** Decodes an IEEE binary128 float (16 bytes) to the nearest double. */
export function decodeFloat128(bytes: Uint8Array, offset: number, littleEndian: boolean): number {
  const b = littleEndian ? bytes.subarray(offset, offset + 16) : reverse(bytes, offset, 16);
  let bits = 0n;
  for (let i = 15; i >= 0; i--) bits = (bits << 8n) | BigInt(b[i]!);
  const sign = bits >> 127n ? -1 : 1;
  const exp = Number((bits >> 112n) & 0x7fffn);
  const frac = bits & ((1n << 112n) - 1n);
  if (exp === 0x7fff) return frac === 0n ? sign * Infinity : NaN;
  if (exp === 0 && frac === 0n) return sign * 0;
  const mant = exp === 0 ? frac : frac | (1n << 112n);
  return sign * bigToDoubleScaled(mant, (exp === 0 ? 1 : exp) - 16383 - 112);
}

function reverse(bytes: Uint8Array, offset: number, n: number): Uint8Array {
  const r = new Uint8Array(n);
  for (let i = 0; i < n; i++) r[i] = bytes[offset + n - 1 - i]!;
  return r;
}

/** `mant * 2^exp` rounded to a double (round half to even on the significand). */
function bigToDoubleScaled(mant: bigint, exp: number): number {
  if (mant === 0n) return 0;
  const bitLen = mant.toString(2).length;
  // Keep 53 significant bits, rounding the rest to nearest even.
  let m = mant;
  let e = exp;
  if (bitLen > 53) {
    const drop = BigInt(bitLen - 53);
    const rem = m & ((1n << drop) - 1n);
    m >>= drop;
    e += Number(drop);
    const half = 1n << (drop - 1n);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  // Number(m) is exact (≤ 2^53); scale in steps to avoid intermediate overflow/underflow.
  let r = Number(m);
  while (e > 0) {
    const s = Math.min(e, 1000);
    r *= 2 ** s;
    e -= s;
  }
  while (e < 0) {
    const s = Math.min(-e, 1000);
    r /= 2 ** s;
    e += s;
  }
  return r;
}

/** Encodes a double into `size` bytes (4 or 8; 10/16 for long double). */
export function encodeFloat(
  value: number,
  size: number,
  littleEndian: boolean,
): Uint8Array {
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  if (size === 4) dv.setFloat32(0, value, littleEndian);
  else if (size === 8) dv.setFloat64(0, value, littleEndian);
  else if (size === 10 || size === 12 || size === 16) {
    // x87 extended: encode from the double's bits.
    f80buf.setFloat64(0, value, true);
    const bits = f80buf.getBigUint64(0, true);
    const sign = Number(bits >> 63n);
    const exp = Number((bits >> 52n) & 0x7ffn);
    const frac = bits & ((1n << 52n) - 1n);
    let e80 = 0;
    let m80 = 0n;
    if (exp === 0x7ff) {
      e80 = 0x7fff;
      m80 = (1n << 63n) | (frac << 11n);
    } else if (exp === 0 && frac === 0n) {
      e80 = 0;
      m80 = 0n;
    } else if (exp === 0) {
      // Subnormal double: normalize.
      let m = frac;
      let e = -1022;
      while ((m & (1n << 52n)) === 0n) {
        m <<= 1n;
        e--;
      }
      e80 = e + 16383;
      m80 = m << 11n;
    } else {
      e80 = exp - 1023 + 16383;
      m80 = (1n << 63n) | (frac << 11n);
    }
    const tmp = new Uint8Array(10);
    writeUintBig(tmp, 0, 8, m80, true);
    tmp[8] = e80 & 0xff;
    tmp[9] = ((e80 >> 8) & 0x7f) | (sign << 7);
    if (littleEndian) out.set(tmp, 0);
    else for (let i = 0; i < 10; i++) out[i] = tmp[9 - i]!;
  } else {
    throw new RangeError(`unsupported float size ${size}`);
  }
  return out;
}

/** Decodes a float of `size` bytes (4, 8, 10/12/16 as x87 extended, or 16 as binary128). */
export function decodeFloat(
  bytes: Uint8Array,
  offset: number,
  size: number,
  littleEndian: boolean,
  binary128 = false,
): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (size) {
    case 4:
      return dv.getFloat32(offset, littleEndian);
    case 8:
      return dv.getFloat64(offset, littleEndian);
    case 2:
      return decodeFloat16(readUintNum(bytes, offset, 2, littleEndian));
    case 10:
    case 12:
      return decodeFloat80(bytes, offset, littleEndian);
    case 16:
      return binary128
        ? decodeFloat128(bytes, offset, littleEndian)
        : decodeFloat80(bytes, offset, littleEndian);
    default:
      throw new RangeError(`unsupported float size ${size}`);
  }
}

function decodeFloat16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
