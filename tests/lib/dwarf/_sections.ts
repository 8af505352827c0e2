/**
 * Test-only ELF section reader: enough of the ELF section table to hand
 * `.debug_*` bytes to the DWARF code (SHF_COMPRESSED sections are inflated
 * with node:zlib). To be replaced by `ElfFile.sectionData`.
 */

import { inflateSync } from "node:zlib";

const SHF_COMPRESSED = 0x800;

export interface ElfSections {
  sections: Map<string, Uint8Array>;
  littleEndian: boolean;
  addressSize: 4 | 8;
  /** ELF e_type (2 = EXEC, 3 = DYN). */
  type: number;
}

/**
 * Reads the named sections (default: every `.debug_*` section) of an ELF
 * file. With `shared`, section bytes are read into SharedArrayBuffers.
 */
export function readElfSections(
  path: string,
  opts: { names?: string[]; shared?: boolean } = {},
): ElfSections {
  const file = Deno.openSync(path, { read: true });
  try {
    const readAt = (off: number, len: number, shared = false): Uint8Array => {
      const buf = shared ? new Uint8Array(new SharedArrayBuffer(len)) : new Uint8Array(len);
      // Deno cannot read into shared memory directly: read in chunks through a bounce buffer.
      const chunk = shared ? new Uint8Array(Math.min(len, 8 << 20)) : buf;
      file.seekSync(off, Deno.SeekMode.Start);
      let done = 0;
      while (done < len) {
        const want = Math.min(len - done, chunk.length);
        const target = shared ? chunk.subarray(0, want) : buf.subarray(done, done + want);
        let got = 0;
        while (got < want) {
          const n = file.readSync(target.subarray(got));
          if (n === null || n === 0) throw new Error(`${path}: short read`);
          got += n;
        }
        if (shared) buf.set(target, done);
        done += want;
      }
      return buf;
    };
    const ident = readAt(0, 64);
    if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
      throw new Error(`${path}: not an ELF file`);
    }
    const is64 = ident[4] === 2;
    const le = ident[5] === 1;
    const v = new DataView(ident.buffer);
    const type = v.getUint16(16, le);
    const shoff = is64 ? Number(v.getBigUint64(0x28, le)) : v.getUint32(0x20, le);
    const shentsize = v.getUint16(is64 ? 0x3a : 0x2e, le);
    let shnum = v.getUint16(is64 ? 0x3c : 0x30, le);
    let shstrndx = v.getUint16(is64 ? 0x3e : 0x32, le);
    const first = readAt(shoff, shentsize);
    const fv = new DataView(first.buffer);
    if (shnum === 0) shnum = Number(is64 ? fv.getBigUint64(0x20, le) : fv.getUint32(0x14, le));
    if (shstrndx === 0xffff) shstrndx = fv.getUint32(is64 ? 0x2c : 0x18, le);
    const table = readAt(shoff, shnum * shentsize);
    const tv = new DataView(table.buffer);
    const hdr = (i: number) => {
      const b = i * shentsize;
      return is64
        ? {
          name: tv.getUint32(b, le),
          type: tv.getUint32(b + 4, le),
          flags: Number(tv.getBigUint64(b + 8, le)),
          offset: Number(tv.getBigUint64(b + 0x18, le)),
          size: Number(tv.getBigUint64(b + 0x20, le)),
        }
        : {
          name: tv.getUint32(b, le),
          type: tv.getUint32(b + 4, le),
          flags: tv.getUint32(b + 8, le),
          offset: tv.getUint32(b + 0x10, le),
          size: tv.getUint32(b + 0x14, le),
        };
    };
    const strHdr = hdr(shstrndx);
    const shstr = readAt(strHdr.offset, strHdr.size);
    const dec = new TextDecoder();
    const sections = new Map<string, Uint8Array>();
    for (let i = 1; i < shnum; i++) {
      const h = hdr(i);
      const end = shstr.indexOf(0, h.name);
      const name = dec.decode(shstr.subarray(h.name, end));
      const wanted = opts.names ? opts.names.includes(name) : name.startsWith(".debug_");
      if (!wanted || h.type === 8 /* SHT_NOBITS */) continue;
      if (h.flags & SHF_COMPRESSED) {
        const raw = readAt(h.offset, h.size);
        const rv = new DataView(raw.buffer);
        const chType = rv.getUint32(0, le);
        if (chType !== 1) throw new Error(`${path}: ${name}: unsupported compression ${chType}`);
        const hsize = is64 ? 24 : 12;
        const out = new Uint8Array(inflateSync(raw.subarray(hsize)));
        if (opts.shared) {
          const s = new Uint8Array(new SharedArrayBuffer(out.length));
          s.set(out);
          sections.set(name, s);
        } else {
          sections.set(name, out);
        }
      } else {
        sections.set(name, readAt(h.offset, h.size, opts.shared));
      }
    }
    return { sections, littleEndian: le, addressSize: is64 ? 8 : 4, type };
  } finally {
    file.close();
  }
}

/** Where the fixtures are. */
export const FIXTURES = "/work/shared/fixtures";

function cacheDir(): string {
  try {
    return Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";
  } catch {
    return "/var/cache/wyvern-fixtures"; // no --allow-env
  }
}

/** The decompressed Debian vmlinux (see the kernel fixtures README). */
export const VMLINUX = `${cacheDir()}/vmlinux-6.1.0-56-amd64`;

/**
 * The path of the decompressed vmlinux, unpacking it once into the cache
 * directory (`xz -dc`, ~20 s) if it is not there; null if the compressed
 * fixture is missing too.
 */
export function ensureVmlinux(): string | null {
  if (exists(VMLINUX)) return VMLINUX;
  const xz = `${FIXTURES}/kernel/vmlinux-6.1.0-56-amd64.xz`;
  if (!exists(xz)) return null;
  Deno.mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${VMLINUX}.tmp${Deno.pid}`;
  const r = new Deno.Command("sh", { args: ["-c", 'xz -dc "$1" > "$2"', "sh", xz, tmp] })
    .outputSync();
  if (!r.success) throw new Error(`xz -dc ${xz} failed`);
  Deno.renameSync(tmp, VMLINUX);
  return VMLINUX;
}

/** Whether a file exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
