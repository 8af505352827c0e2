/**
 * Finding the vmlinux (and kernel module debug files) that match a kernel,
 * in the standard places distributions install them, and checking that a
 * candidate really matches the dump (by build ID, or by release when the
 * kernel exports no build ID).
 *
 * @module
 */

import { decodeUtf8 } from "../binary/byte_reader.ts";
import { join } from "../path.ts";
import type { ElfFile } from "../elf/elf_file.ts";
import { ET } from "../elf/constants.ts";
import { sysroot } from "../env.ts";

/** Where vmlinux is looked for, for release `r` (drgn's list), under `$WYVERN_SYSROOT` (see `sysroot`). */
export function vmlinuxCandidates(release: string): string[] {
  const root = sysroot();
  return [
    `/usr/lib/debug/boot/vmlinux-${release}`,
    `/usr/lib/debug/lib/modules/${release}/vmlinux`,
    `/boot/vmlinux-${release}`,
    `/lib/modules/${release}/build/vmlinux`,
    `/lib/modules/${release}/vmlinux`,
  ].map((p) => root + p);
}

/** Directories searched for kernel module `.ko` files of release `r`, under `$WYVERN_SYSROOT`. */
export function moduleDirs(release: string): string[] {
  const root = sysroot();
  return [`${root}/usr/lib/debug/lib/modules/${release}`, `${root}/lib/modules/${release}`];
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Finds the vmlinux for `release`: the first existing candidate in `dirs`
 * (files or directories to look in first) and the standard places. Returns
 * the path or null.
 *
 * @example
 * ```ts ignore
 * const path = findVmlinux("6.1.0-56-amd64");
 * ```
 */
export function findVmlinux(release: string, dirs: string[] = []): string | null {
  const cands: string[] = [];
  for (const d of dirs) {
    cands.push(d, join(d, `vmlinux-${release}`), join(d, "vmlinux"));
  }
  cands.push(...vmlinuxCandidates(release));
  for (const c of cands) if (isFile(c)) return c;
  return null;
}

/**
 * The release a vmlinux was built as, from its `linux_banner`
 * ("Linux version 6.1.0-56-amd64 (…)"), or null.
 */
export function vmlinuxRelease(elf: ElfFile): string | null {
  const sym = elf.symbols("symtab").find((s) => s.name === "linux_banner");
  if (!sym || sym.section === undefined) return null;
  const sec = elf.section(sym.section);
  if (!sec) return null;
  const off = Number(sym.value - sec.addr);
  if (off < 0 || off >= sec.size) return null;
  const data = elf.sectionData(sec);
  const end = data.indexOf(0, off);
  const text = decodeUtf8(
    data.subarray(off, end < 0 ? Math.min(data.length, off + 512) : end),
  );
  const m = /^Linux version (\S+)/.exec(text);
  return m ? m[1]! : null;
}

/** Whether `elf` is a kernel module (`ET_REL` with module sections). */
export function isKernelModuleFile(elf: ElfFile): boolean {
  return elf.type === ET.REL &&
    (elf.section(".gnu.linkonce.this_module") !== undefined ||
      elf.section(".modinfo") !== undefined);
}

const MODULE_SECTIONS = [".gnu.linkonce.this_module", ".modinfo"].map((n) =>
  Uint8Array.from(n + "\0", (c) => c.charCodeAt(0))
);

/**
 * Whether the file at `path` is a kernel module (as {@link isKernelModuleFile}
 * says of it opened), from its ELF header and section names alone, without
 * making an {@link ElfFile}: a file given for a kernel's modules is then
 * opened only once the modules are listed (many sessions never list them).
 * Null when it cannot tell (not an ELF file, unreadable, an odd or damaged
 * section table): opening the file says why. Three small reads, not a map
 * of the file (a map costs a stat and four native calls: 0.15 ms a file).
 */
export function peekKernelModule(path: string): boolean | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return null;
  }
  // `length` bytes at `offset`, or null past the end of the file.
  const readAt = (offset: number, length: number): Uint8Array | null => {
    file.seekSync(offset, Deno.SeekMode.Start);
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const n = file.readSync(out.subarray(done));
      if (n === null || n === 0) return null;
      done += n;
    }
    return out;
  };
  try {
    const h = readAt(0, 64);
    if (h === null || h[0] !== 0x7f || h[1] !== 0x45 || h[2] !== 0x4c || h[3] !== 0x46) {
      return null;
    }
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    if ((!is64 && h[4] !== 1) || (!le && h[5] !== 2)) return null;
    const v = new DataView(h.buffer, h.byteOffset, 64);
    if (v.getUint16(16, le) !== ET.REL) return false;
    const shoff = is64 ? Number(v.getBigUint64(40, le)) : v.getUint32(32, le);
    const entSize = v.getUint16(is64 ? 58 : 46, le);
    const shnum = v.getUint16(is64 ? 60 : 48, le);
    const shstrndx = v.getUint16(is64 ? 62 : 50, le);
    // (Extended numbering, 0 or 0xffff, is left to ElfFile.)
    if (
      shnum === 0 || shstrndx === 0 || shstrndx >= shnum || entSize < (is64 ? 64 : 40) ||
      !Number.isSafeInteger(shoff) || shnum * entSize > 1 << 24
    ) return null;
    const table = readAt(shoff, shnum * entSize);
    if (table === null) return null;
    const t = new DataView(table.buffer);
    const at = shstrndx * entSize;
    const strOff = is64 ? Number(t.getBigUint64(at + 24, le)) : t.getUint32(at + 16, le);
    const strSize = is64 ? Number(t.getBigUint64(at + 32, le)) : t.getUint32(at + 20, le);
    if (!Number.isSafeInteger(strOff) || strSize > 1 << 24) return null;
    const names = readAt(strOff, strSize);
    if (names === null) return null;
    for (let i = 1; i < shnum; i++) {
      const name = t.getUint32(i * entSize, le);
      for (const want of MODULE_SECTIONS) {
        if (name + want.length > names.length) continue;
        let k = 0;
        while (k < want.length && names[name + k] === want[k]) k++;
        if (k === want.length) return true;
      }
    }
    return false;
  } catch {
    return null;
  } finally {
    file.close();
  }
}

/** A kernel module file's name (from `.modinfo` `name=`, else its file name). */
export function kernelModuleName(elf: ElfFile): string {
  const mi = elf.section(".modinfo");
  if (mi) {
    const text = decodeUtf8(elf.sectionData(mi));
    for (const kv of text.split("\0")) {
      if (kv.startsWith("name=")) return kv.slice(5);
    }
  }
  const base = elf.path.slice(elf.path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.debug)?$/, "").replace(/-/g, "_");
}

/** Result of checking a vmlinux against the dump. */
export type VmlinuxCheck =
  | { ok: true }
  | { ok: false; reason: string };

/** Checks that `elf` is the vmlinux of a kernel with `buildId`/`release`. */
export function checkVmlinux(
  elf: ElfFile,
  buildId: string | null,
  release: string,
): VmlinuxCheck {
  if (elf.type !== ET.EXEC) {
    return { ok: false, reason: "not a vmlinux (ELF type is not ET_EXEC)" };
  }
  const id = elf.buildIdHex();
  if (buildId !== null && id !== null) {
    return id === buildId
      ? { ok: true }
      : { ok: false, reason: `build ID ${id} does not match the kernel's ${buildId}` };
  }
  const rel = vmlinuxRelease(elf);
  if (rel === null) return { ok: false, reason: "cannot tell its release (no linux_banner)" };
  return rel === release
    ? { ok: true }
    : { ok: false, reason: `release ${rel} does not match the kernel's ${release}` };
}
