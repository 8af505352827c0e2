/**
 * Decompression of compressed ELF sections: `SHF_COMPRESSED` sections (an
 * `Elf32_Chdr`/`Elf64_Chdr` header, then zlib or zstd data) and GNU's older
 * `.zdebug_*` sections (`"ZLIB"`, the size as 8 big-endian bytes, zlib data).
 *
 * @module
 */

import { ByteReader } from "../binary/byte_reader.ts";
import { inflateZlib } from "../binary/inflate.ts";
import { nodeZlib } from "../binary/node_zlib.ts";
import { zstdDecompressNative } from "../binary/native_codecs.ts";
import { DecodeError } from "../errors.ts";
import { ELFCOMPRESS, elfName } from "./constants.ts";

/**
 * The most a zlib stream can expand (deflate's best case is about 1032:1),
 * used to reject corrupt size headers before inflating.
 */
const ZLIB_MAX_RATIO = 1100;
/** zstd's best case (RLE blocks) is about 32768:1. */
const ZSTD_MAX_RATIO = 33000;

/** Where compressed data came from, for errors. */
export interface CompressedSource {
  /** E.g. `"section .debug_info of /path/file"`. */
  readonly what: string;
  /** File offset of the first byte of the raw section data. */
  readonly fileOffset: number;
}

/**
 * Decompresses the raw data of an `SHF_COMPRESSED` section. Throws a
 * {@link DecodeError} for a truncated header, an unknown `ch_type`, an
 * implausible `ch_size` or corrupt data, or when the data does not inflate to
 * exactly `ch_size` bytes.
 */
export function decompressChdr(
  raw: Uint8Array,
  is64: boolean,
  littleEndian: boolean,
  source: CompressedSource,
): Uint8Array {
  const r = new ByteReader(raw, littleEndian, source.what, 0, source.fileOffset);
  const type = r.u32();
  let size: number;
  if (is64) {
    r.skip(4); // ch_reserved
    size = r.u64n();
    r.skip(8); // ch_addralign
  } else {
    size = r.u32();
    r.skip(4); // ch_addralign
  }
  const body = raw.subarray(r.pos);
  const bodyOffset = source.fileOffset + r.pos;
  switch (type) {
    case ELFCOMPRESS.ZLIB:
      return inflate(body, size, source.what, bodyOffset, "zlib");
    case ELFCOMPRESS.ZSTD:
      return inflate(body, size, source.what, bodyOffset, "zstd");
    default:
      throw new DecodeError(
        source.what,
        source.fileOffset,
        `unsupported compression type ${elfName("ELFCOMPRESS", type)}`,
      );
  }
}

/** True if `raw` starts like a GNU `.zdebug_*` section (`"ZLIB"`). */
export function isZdebug(raw: Uint8Array): boolean {
  return raw.length >= 12 && raw[0] === 0x5a && raw[1] === 0x4c && raw[2] === 0x49 &&
    raw[3] === 0x42;
}

/**
 * Decompresses a GNU `.zdebug_*` section: `"ZLIB"`, the uncompressed size as
 * a big-endian 64-bit number, then a zlib stream.
 */
export function decompressZdebug(raw: Uint8Array, source: CompressedSource): Uint8Array {
  if (!isZdebug(raw)) {
    throw new DecodeError(source.what, source.fileOffset, `missing "ZLIB" header`);
  }
  const r = new ByteReader(raw, false, source.what, 4, source.fileOffset);
  const size = r.u64n();
  return inflate(raw.subarray(12), size, source.what, source.fileOffset + 12, "zlib");
}

function inflate(
  body: Uint8Array,
  size: number,
  what: string,
  offset: number,
  method: "zlib" | "zstd",
): Uint8Array {
  if (size === 0) return new Uint8Array(0);
  const ratio = method === "zlib" ? ZLIB_MAX_RATIO : ZSTD_MAX_RATIO;
  if (size > body.length * ratio + 4096) {
    throw new DecodeError(
      what,
      offset,
      `uncompressed size ${size} is implausible for ${body.length} bytes of ${method} data`,
    );
  }
  const tooBig = `data inflates to more than the declared ${size} bytes`;
  let out: Uint8Array = new Uint8Array(size);
  let n: number | null;
  if (method === "zlib") {
    try {
      n = inflateZlib(body, out, what);
    } catch (e) {
      const why = e instanceof DecodeError && /output|larger|more than/.test(e.message)
        ? tooBig
        : `corrupt zlib data (${e instanceof Error ? e.message : String(e)})`;
      throw new DecodeError(what, offset, why);
    }
  } else {
    try {
      n = zstdDecompressNative(body, out, what);
    } catch (e) {
      throw new DecodeError(what, offset, `corrupt zstd data (${(e as Error).message})`);
    }
    if (n !== null && n < 0) throw new DecodeError(what, offset, tooBig);
    if (n === null) {
      out = zstdNodeZlib(body, size, what, offset, tooBig);
      n = out.length;
    }
  }
  if (n !== size) {
    throw new DecodeError(
      what,
      offset,
      `${method} data inflates to ${n} bytes, not the declared ${size}`,
    );
  }
  return out;
}

/** zstd through `node:zlib` (without FFI): at most `size` bytes, as a plain Uint8Array. */
function zstdNodeZlib(
  body: Uint8Array,
  size: number,
  what: string,
  offset: number,
  tooBig: string,
): Uint8Array {
  const zlib = nodeZlib();
  if (zlib === null || typeof zlib.zstdDecompressSync !== "function") {
    throw new DecodeError(what, offset, "zstd data needs a runtime whose node:zlib has zstd");
  }
  let out: Uint8Array;
  try {
    out = zlib.zstdDecompressSync(body, { maxOutputLength: size });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why = code === "ERR_BUFFER_TOO_LARGE"
      ? tooBig
      : `corrupt zstd data (${e instanceof Error ? e.message : String(e)})`;
    throw new DecodeError(what, offset, why);
  }
  // A plain Uint8Array view (node:zlib returns a Buffer).
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
