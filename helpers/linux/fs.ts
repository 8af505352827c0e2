/**
 * Virtual filesystem helpers (drgn's `drgn.helpers.linux.fs`): paths of
 * dentries, inodes and mounts, looking a path up in the dentry cache, the
 * mount table, and a task's open files.
 *
 * Paths are returned as strings (the bytes decoded as UTF-8); names are
 * compared as bytes.
 *
 * @module
 */

import { decodeUtf8 } from "../../lib/binary/byte_reader.ts";
import { LookupError, ValidationError } from "../../lib/errors.ts";
import type { Program } from "../../lib/program/program.ts";
import { makeObject, type TypedObject } from "../../lib/object/typed_object.ts";
import { containerOf, sizeof } from "../../lib/object/operators.ts";
import {
  hlistEmpty,
  hlistForEachEntry,
  listForEachEntry,
  listForEachEntryReverse,
} from "./list.ts";
import { rbtreeInorderForEachEntry } from "./rbtree.ts";
import { escapeAsciiString } from "../common/format.ts";
import { progOf, toBigInt } from "../common/_args.ts";

const encoder = new TextEncoder();

function decode(b: Uint8Array): string {
  return decodeUtf8(b);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const SLASH = encoder.encode("/");

/** Bound on path depth and mount stacking: the kernel's PATH_MAX allows at most 2048 components. */
const MAX_DEPTH = 4096;

function same(a: TypedObject, b: TypedObject): boolean {
  return toBigInt(a) === toBigInt(b);
}

function dentryName(dentry: TypedObject): Uint8Array {
  return dentry.member_("d_name").member_("name").stringBytes_();
}

// ---------------------------------------------------------------------------
// Mounts

/** The mounts of a namespace, as `struct mount *`, in mount order (or reverse). */
function* nsMounts(ns: TypedObject, reverse = false): IterableIterator<TypedObject> {
  if (ns.hasMember_("list")) {
    const head = ns.member_("list").addressOf_();
    yield* reverse
      ? listForEachEntryReverse("struct mount", head, "mnt_list")
      : listForEachEntry("struct mount", head, "mnt_list");
    return;
  }
  // Linux 6.8 keeps a namespace's mounts in an rbtree ordered by mount ID.
  const all = [
    ...rbtreeInorderForEachEntry("struct mount", ns.member_("mounts").addressOf_(), "mnt_node"),
  ];
  if (reverse) all.reverse();
  yield* all;
}

/**
 * The source device name of a mount (`/proc/mounts`' first field).
 *
 * @param mnt `struct mount *`
 * @returns The device name.
 *
 * @example
 * ```ts
 * import { forEachMount, mountSrc } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (mountSrc(forEachMount(prog).next().value!) !== "rootfs") throw new Error();
 * ```
 */
export function mountSrc(mnt: TypedObject): string {
  return decode(mnt.member_("mnt_devname").stringBytes_());
}

function mountDstBytes(mnt: TypedObject): Uint8Array {
  const vfs = mnt.member_("mnt");
  return dPathBytes(vfs.addressOf_(), vfs.member_("mnt_root"));
}

/**
 * The path a mount is mounted on.
 *
 * @param mnt `struct mount *`
 * @returns The mount point's path.
 *
 * @example
 * ```ts
 * import { forEachMount, mountDst } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const dsts = [...forEachMount(prog)].map(mountDst);
 * if (dsts.join() !== "/,/proc,/sys,/dev,/tmp") throw new Error(dsts.join());
 * ```
 */
export function mountDst(mnt: TypedObject): string {
  return decode(mountDstBytes(mnt));
}

function mountFstypeBytes(mnt: TypedObject): Uint8Array {
  const sb = mnt.member_("mnt").member_("mnt_sb").read_();
  let fstype = sb.member_("s_type").member_("name").stringBytes_();
  const sub = sb.member_("s_subtype").read_();
  if (toBigInt(sub) !== 0n) {
    const s = sub.stringBytes_();
    if (s.length > 0) fstype = concat([fstype, encoder.encode("."), s]);
  }
  return fstype;
}

/**
 * The filesystem type of a mount (`type.subtype` for FUSE-style subtypes).
 *
 * @param mnt `struct mount *`
 * @returns The filesystem type name.
 *
 * @example
 * ```ts
 * import { forEachMount, mountFstype } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (![...forEachMount(prog)].map(mountFstype).includes("tmpfs")) throw new Error();
 * ```
 */
export function mountFstype(mnt: TypedObject): string {
  return decode(mountFstypeBytes(mnt));
}

/** Filters for {@link forEachMount}. */
export interface MountFilter {
  /** Only mounts of this source device name. */
  src?: string;
  /** Only mounts on this path. */
  dst?: string;
  /** Only mounts of this filesystem type. */
  fstype?: string;
}

/**
 * Iterates over the mounts of a mount namespace.
 *
 * @param progOrNs `struct mnt_namespace *`, or the program for the initial
 *   namespace (`init_task.nsproxy->mnt_ns`).
 * @param filter Only mounts matching these.
 * @returns Iterator of `struct mount *`.
 *
 * @example
 * ```ts
 * import { forEachMount } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachMount(prog, { fstype: "proc" })].length !== 1) throw new Error();
 * ```
 */
export function* forEachMount(
  progOrNs: Program | TypedObject,
  filter: MountFilter = {},
): IterableIterator<TypedObject> {
  const ns = "member_" in progOrNs
    ? progOrNs as TypedObject
    : (progOrNs as Program).object("init_task").member_("nsproxy").member_("mnt_ns");
  const src = filter.src !== undefined ? encoder.encode(filter.src) : null;
  const dst = filter.dst !== undefined ? encoder.encode(filter.dst) : null;
  const fstype = filter.fstype ? encoder.encode(filter.fstype) : null;
  for (const mnt of nsMounts(ns)) {
    if (src !== null && !bytesEqual(mnt.member_("mnt_devname").stringBytes_(), src)) continue;
    if (dst !== null && !bytesEqual(mountDstBytes(mnt), dst)) continue;
    if (fstype !== null && !bytesEqual(mountFstypeBytes(mnt), fstype)) continue;
    yield mnt;
  }
}

/**
 * Prints the mount table of a namespace as drgn's `print_mounts()` does:
 * `src dst fstype (struct mount *)0x…`, names escaped.
 *
 * @param progOrNs `struct mnt_namespace *` or the program.
 * @param filter Only mounts matching these.
 * @param write Where lines go (default `console.log`).
 *
 * @example
 * ```ts ignore
 * printMounts(prog);
 * ```
 */
export function printMounts(
  progOrNs: Program | TypedObject,
  filter: MountFilter = {},
  write: (line: string) => void = console.log,
): void {
  const esc = (b: Uint8Array) => escapeAsciiString(b, { escapeBackslash: true });
  for (const mnt of forEachMount(progOrNs, filter)) {
    write(
      `${esc(mnt.member_("mnt_devname").stringBytes_())} ${esc(mountDstBytes(mnt))} ${
        esc(mountFstypeBytes(mnt))
      } (${mnt.type_.typeName()})0x${toBigInt(mnt).toString(16)}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Paths

function dPathBytes(vfsmnt: TypedObject, dentryIn: TypedObject): Uint8Array {
  let dentry = dentryIn.read_();
  let mnt = containerOf(vfsmnt.read_(), "struct mount", "mnt");
  const dOp = dentry.member_("d_op").read_();
  if (toBigInt(dOp) !== 0n && toBigInt(dOp.member_("d_dname")) !== 0n) {
    const name = dentry.member_("d_inode").member_("i_sb").member_("s_type").member_("name");
    return concat([encoder.encode("["), name.stringBytes_(), encoder.encode("]")]);
  }
  const parts: Uint8Array[] = [];
  for (let steps = 0;; steps++) {
    if (steps > MAX_DEPTH) {
      throw new ValidationError(`path of dentry 0x${toBigInt(dentryIn).toString(16)} is too deep`);
    }
    const root = mnt.member_("mnt").member_("mnt_root");
    if (same(dentry, root)) {
      const parent = mnt.member_("mnt_parent").read_();
      if (same(mnt, parent)) break;
      dentry = mnt.member_("mnt_mountpoint").read_();
      mnt = parent;
      continue;
    }
    const dParent = dentry.member_("d_parent").read_();
    if (same(dentry, dParent)) break;
    parts.push(dentryName(dentry), SLASH);
    dentry = dParent;
  }
  if (parts.length === 0) return SLASH;
  return concat(parts.reverse());
}

/**
 * The full path of a dentry on a mount, following mounts up to the root
 * (`d_path()`). Dentries whose `d_op->d_dname` names them (pipes, sockets,
 * anonymous inodes) give `[fstype]`, as drgn prints them.
 *
 * @param pathOrVfsmnt `struct path` or `struct path *`, or a
 *   `struct vfsmount *` with `dentry`.
 * @param dentry `struct dentry *` (with a `struct vfsmount *`).
 * @returns The path.
 *
 * @example
 * ```ts
 * import { dPath } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (dPath(prog.object("init_task").fs.root) !== "/") throw new Error();
 * ```
 */
export function dPath(pathOrVfsmnt: TypedObject, dentry?: TypedObject): string {
  if (dentry === undefined) {
    return decode(dPathBytes(pathOrVfsmnt.member_("mnt"), pathOrVfsmnt.member_("dentry")));
  }
  return decode(dPathBytes(pathOrVfsmnt, dentry));
}

function dentryPathBytes(dentryIn: TypedObject): Uint8Array {
  let dentry = dentryIn.read_();
  const parts: Uint8Array[] = [];
  for (let steps = 0;; steps++) {
    if (steps > MAX_DEPTH) {
      throw new ValidationError(`path of dentry 0x${toBigInt(dentryIn).toString(16)} is too deep`);
    }
    const parent = dentry.member_("d_parent").read_();
    if (same(dentry, parent)) break;
    parts.push(dentryName(dentry));
    dentry = parent;
  }
  parts.reverse();
  const out: Uint8Array[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(SLASH);
    out.push(p);
  });
  return concat(out);
}

/**
 * The path of a dentry from the root of its filesystem (no leading `/`;
 * the root itself gives `""`).
 *
 * @param dentry `struct dentry *`
 * @returns The path.
 *
 * @example
 * ```ts
 * import { dentryPath, pathLookup } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (dentryPath(pathLookup(prog, "/dev/console").dentry) !== "console") throw new Error();
 * ```
 */
export function dentryPath(dentry: TypedObject): string {
  return decode(dentryPathBytes(dentry));
}

/**
 * A path of an inode from the root of its filesystem (through its first
 * dentry alias).
 *
 * @param inode `struct inode *`
 * @returns The path, or null if the inode has no dentry.
 *
 * @example
 * ```ts
 * import { inodePath, pathLookup } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (inodePath(pathLookup(prog, "/init").dentry.d_inode) !== "init") throw new Error();
 * ```
 */
export function inodePath(inode: TypedObject): string | null {
  const head = inode.member_("i_dentry");
  if (hlistEmpty(head.addressOf_())) return null;
  return dentryPath(containerOf(head.member_("first"), "struct dentry", "d_u.d_alias"));
}

/**
 * Every path of an inode from the root of its filesystem, one per dentry
 * alias (hard links).
 *
 * @param inode `struct inode *`
 * @returns Iterator of paths.
 *
 * @example
 * ```ts
 * import { inodePaths, pathLookup } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...inodePaths(pathLookup(prog, "/init").dentry.d_inode)].join() !== "init") throw new Error();
 * ```
 */
export function* inodePaths(inode: TypedObject): IterableIterator<string> {
  const head = inode.member_("i_dentry").addressOf_();
  for (const d of hlistForEachEntry("struct dentry", head, "d_u.d_alias")) yield dentryPath(d);
}

// ---------------------------------------------------------------------------
// Path lookup

/** DCACHE_MOUNTED (a macro, unchanged since v2.6.38). */
const DCACHE_MOUNTED = 0x10000n;

function followMount(mnt: TypedObject, dentry: TypedObject): [TypedObject, TypedObject] {
  for (let steps = 0; (BigInt(dentry.member_("d_flags").value_()) & DCACHE_MOUNTED) !== 0n;) {
    if (++steps > MAX_DEPTH) throw new ValidationError("mounts stacked too deep");
    let found = false;
    for (const mounted of nsMounts(mnt.member_("mnt_ns"), true)) {
      // A namespace's root mount is its own parent and "mounted" on its own
      // root, but is not mounted on anything (the kernel never hashes it):
      // skip it, or the walk would go round forever (drgn 0.0.22 does, on
      // "/proc/.." with this kernel's rootfs, whose root has DCACHE_MOUNTED).
      if (same(mounted, mounted.member_("mnt_parent"))) continue;
      if (
        same(mounted.member_("mnt_parent"), mnt) && same(mounted.member_("mnt_mountpoint"), dentry)
      ) {
        mnt = mounted.read_();
        dentry = mounted.member_("mnt").member_("mnt_root").read_();
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  return [mnt, dentry];
}

function followDotdot(
  mnt: TypedObject,
  dentry: TypedObject,
  rootMnt: TypedObject,
  rootDentry: TypedObject,
): [TypedObject, TypedObject] {
  for (let steps = 0; !same(dentry, rootDentry) || !same(mnt, rootMnt); steps++) {
    if (steps > MAX_DEPTH) throw new ValidationError("mounts stacked too deep");
    const dParent = dentry.member_("d_parent").read_();
    if (!same(dentry, dParent)) {
      dentry = dParent;
      break;
    }
    const mntParent = mnt.member_("mnt_parent").read_();
    if (same(mnt, mntParent)) break;
    dentry = mnt.member_("mnt_mountpoint").read_();
    mnt = mntParent;
  }
  return followMount(mnt, dentry);
}

/** The children of a directory dentry. */
function dentryChildren(dentry: TypedObject): IterableIterator<TypedObject> {
  if (dentry.hasMember_("d_subdirs")) {
    return listForEachEntry("struct dentry", dentry.member_("d_subdirs").addressOf_(), "d_child");
  }
  // Linux 6.8 turned the children list into an hlist (d_children / d_sib).
  return hlistForEachEntry("struct dentry", dentry.member_("d_children").addressOf_(), "d_sib");
}

/**
 * Looks a path up in the dentry cache, following mounts and `..`, as
 * drgn's `path_lookup()` does.
 *
 * @param progOrRoot The root: a `struct path *` (or `struct path`), or the
 *   program for the initial root (`init_task.fs->root`).
 * @param path The path.
 * @param allowNegative Whether a negative dentry (a cached non-existent
 *   name) may be returned.
 * @returns `struct path` (`mnt`, `dentry`).
 * @throws {LookupError} If a component is not in the dentry cache (the
 *   file may exist but be uncached) or the dentry is negative (drgn raises
 *   a plain `Exception` with the same message).
 *
 * @example
 * ```ts
 * import { dPath, pathLookup } from "./fs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (dPath(pathLookup(prog, "/proc/../dev/console")) !== "/dev/console") throw new Error();
 * ```
 */
export function pathLookup(
  progOrRoot: Program | TypedObject,
  path: string,
  allowNegative = false,
): TypedObject {
  const root = "member_" in progOrRoot
    ? progOrRoot as TypedObject
    : (progOrRoot as Program).object("init_task").member_("fs").member_("root");
  const rootMnt = containerOf(root.member_("mnt").read_(), "struct mount", "mnt");
  const rootDentry = root.member_("dentry").read_();
  let mnt = rootMnt;
  let dentry = rootDentry;
  const components = path.split("/");
  for (let i = 0; i < components.length; i++) {
    const c = components[i]!;
    if (c === "" || c === ".") continue;
    if (c === "..") {
      [mnt, dentry] = followDotdot(mnt, dentry, rootMnt, rootDentry);
      continue;
    }
    const want = encoder.encode(c);
    let next: TypedObject | null = null;
    for (const child of dentryChildren(dentry)) {
      if (bytesEqual(dentryName(child), want)) {
        next = child;
        break;
      }
    }
    if (next === null) {
      const prefix = components.slice(0, i + 1).join("/");
      throw new LookupError(`could not find '${prefix}' in dcache`, "path", prefix);
    }
    [mnt, dentry] = followMount(mnt, next);
  }
  if (!allowNegative && toBigInt(dentry.member_("d_inode")) === 0n) {
    throw new LookupError(`'${path}' dentry is negative`, "path", path);
  }
  const prog = progOf(mnt);
  return makeObject(prog, "struct path", {
    value: { mnt: mnt.member_("mnt").addressOf_(), dentry },
  });
}

// ---------------------------------------------------------------------------
// Files

/**
 * The file of a task's file descriptor (`task->files->fdt->fd[fd]`; no bound
 * check, as drgn's `fget()`).
 *
 * @param task `struct task_struct *`
 * @param fd The file descriptor.
 * @returns `struct file *`
 *
 * @example
 * ```ts
 * import { dPath, fget } from "./fs.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const task = findTask(prog, 1);
 * if (dPath(fget(task, 0).f_path) !== "/dev/console") throw new Error();
 * ```
 */
export function fget(task: TypedObject, fd: number): TypedObject {
  return task.member_("files").member_("fdt").member_("fd").subscript_(fd).read_();
}

/**
 * Iterates over a task's open files in descriptor order (the set bits of
 * `fdt->open_fds`). A descriptor that is reserved but has no file yet (its
 * bit is set while `fd[i]` is still NULL, as in a task blocked in
 * `accept()`) is skipped, as `/proc/PID/fd` skips it; drgn 0.0.22 yields
 * its NULL `struct file *` (and its `print_files()` then fails).
 *
 * @param task `struct task_struct *`
 * @returns Iterator of `[fd, struct file *]`.
 *
 * @example
 * ```ts
 * import { dPath, forEachFile } from "./fs.ts";
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const task = findTask(prog, 1);
 * const fds = [...forEachFile(task)].map(([fd, f]) => `${fd} ${dPath(f.f_path)}`);
 * if (fds.length !== 4) throw new Error(fds.join());
 * ```
 */
export function* forEachFile(task: TypedObject): IterableIterator<[number, TypedObject]> {
  // An exited task has no files (drgn 0.0.22 faults reading through NULL).
  const files = task.member_("files");
  if (files.isNull_()) return;
  const fdt = files.member_("fdt").read_();
  const openFds = fdt.member_("open_fds").read_();
  const bitsPerLong = sizeof(openFds.type_.type!) * 8;
  const maxFds = Number(fdt.member_("max_fds").value_());
  if (maxFds > 1 << 26) throw new ValidationError(`fdtable max_fds ${maxFds} is implausible`);
  const fds = fdt.member_("fd").read_();
  const words = Math.ceil(maxFds / bitsPerLong);
  for (let i = 0; i < words; i++) {
    const word = toBigInt(openFds.subscript_(i));
    if (word === 0n) continue;
    for (let j = 0; j < bitsPerLong; j++) {
      if (((word >> BigInt(j)) & 1n) === 1n) {
        const fd = i * bitsPerLong + j;
        const file = fds.subscript_(fd).read_();
        if (toBigInt(file) !== 0n) yield [fd, file];
      }
    }
  }
}

/**
 * Prints a task's open files as drgn's `print_files()` does:
 * `fd path (struct file *)0x…`.
 *
 * @param task `struct task_struct *`
 * @param write Where lines go (default `console.log`).
 *
 * @example
 * ```ts ignore
 * printFiles(findTask(prog, 1));
 * ```
 */
export function printFiles(
  task: TypedObject,
  write: (line: string) => void = console.log,
): void {
  for (const [fd, file] of forEachFile(task)) {
    const fp = file.member_("f_path");
    const path = escapeAsciiString(dPathBytes(fp.member_("mnt"), fp.member_("dentry")), {
      escapeBackslash: true,
    });
    write(`${fd} ${path} (${file.type_.typeName()})0x${toBigInt(file).toString(16)}`);
  }
}
