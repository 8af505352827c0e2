/**
 * The kernel's boot facts: release, KASLR offset, paging mode, and where
 * its vmlinux is, as drgn's `drgn.helpers.linux.boot` (plus `UTS_RELEASE`).
 *
 * @example
 * ```ts
 * import { kaslrOffset, pgtableL5Enabled, utsRelease } from "./boot.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (utsRelease(prog) !== "6.1.0-56-amd64") throw new Error();
 * if (kaslrOffset(prog) !== 0x6800000n || pgtableL5Enabled(prog)) throw new Error();
 * ```
 *
 * @module
 */

import type { Program } from "../../lib/program/program.ts";
import type { KernelInfo } from "../../lib/linux/kernel.ts";
import { findVmlinux as find } from "../../lib/linux/find_vmlinux.ts";

function kernel(prog: Program): KernelInfo | null {
  return (prog.targetData.get("kernel") as KernelInfo | undefined) ?? null;
}

/**
 * The kernel release (`uname -r`): VMCOREINFO's `OSRELEASE`, else
 * `init_uts_ns.name.release`.
 *
 * @param prog the program
 * @returns the release, e.g. `6.1.0-56-amd64`
 *
 * @example
 * ```ts
 * import { utsRelease } from "./boot.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (!utsRelease(prog).startsWith("6.1.")) throw new Error();
 * ```
 */
export function utsRelease(prog: Program): string {
  const k = kernel(prog);
  if (k !== null && k.vmcoreinfo.osrelease !== "") return k.vmcoreinfo.osrelease;
  return prog.object("init_uts_ns").member_("name").member_("release").string_();
}

/**
 * How far KASLR moved the kernel image from its link address
 * (VMCOREINFO's `KERNELOFFSET`; 0 without KASLR).
 *
 * @param prog the program (a kernel)
 * @returns the offset
 * @throws {TypeError} if `prog` is not a Linux kernel
 *
 * @example
 * ```ts
 * import { kaslrOffset } from "./boot.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const stext = prog.symbol("_stext").address;
 * if (stext - kaslrOffset(prog) !== 0xffffffff81000000n) throw new Error();
 * ```
 */
export function kaslrOffset(prog: Program): bigint {
  const k = kernel(prog);
  if (k === null) throw new TypeError("not a Linux kernel program");
  return k.vmcoreinfo.kaslrOffset;
}

/**
 * Whether the kernel uses 5-level page tables (x86-64 LA57):
 * VMCOREINFO's `NUMBER(pgtable_l5_enabled)`, else `__pgtable_l5_enabled`.
 *
 * @param prog the program (a kernel)
 * @returns true with 5-level paging
 * @throws {TypeError} if `prog` is not a Linux kernel
 *
 * @example
 * ```ts
 * import { pgtableL5Enabled } from "./boot.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * if (!pgtableL5Enabled(await kernelProgram("la57.kdump"))) throw new Error();
 * ```
 */
export function pgtableL5Enabled(prog: Program): boolean {
  const k = kernel(prog);
  if (k === null) throw new TypeError("not a Linux kernel program");
  if (k.vmcoreinfo.entries.has("NUMBER(pgtable_l5_enabled)")) return k.vmcoreinfo.pgtableL5Enabled;
  const v = prog.tryObject("__pgtable_l5_enabled");
  return v !== null && Number(v.value_()) !== 0;
}

/**
 * Finds the vmlinux with debug info for a kernel release: the first file
 * that exists among `dirs` (each a file, or a directory holding
 * `vmlinux-RELEASE` or `vmlinux`), then the places distributions install
 * it (`/usr/lib/debug/boot/vmlinux-RELEASE`,
 * `/usr/lib/debug/lib/modules/RELEASE/vmlinux`, `/boot/vmlinux-RELEASE`,
 * `/lib/modules/RELEASE/build/vmlinux`, `/lib/modules/RELEASE/vmlinux`).
 * It does not check the file's build ID against a dump (the program does
 * that when it loads it).
 *
 * @param release the kernel release (`utsRelease(prog)`, `uname -r`)
 * @param dirs files or directories to look in first
 * @returns the path, or null if there is none
 *
 * @example
 * ```ts
 * import { findVmlinux, utsRelease } from "./boot.ts";
 * import { CACHE, kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const path = findVmlinux(utsRelease(prog), [CACHE]);
 * if (path !== `${CACHE}/vmlinux-6.1.0-56-amd64`) throw new Error(String(path));
 * ```
 */
export function findVmlinux(release: string, dirs: readonly string[] = []): string | null {
  return find(release, [...dirs]);
}
