/**
 * Finding the vmlinux (and kernel module debug files) that match a kernel,
 * in the standard places distributions install them, and checking that a
 * candidate really matches the dump (by build ID, or by release when the
 * kernel exports no build ID).
 *
 * @module
 */

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
  const text = new TextDecoder().decode(
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

/** A kernel module file's name (from `.modinfo` `name=`, else its file name). */
export function kernelModuleName(elf: ElfFile): string {
  const mi = elf.section(".modinfo");
  if (mi) {
    const text = new TextDecoder().decode(elf.sectionData(mi));
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
