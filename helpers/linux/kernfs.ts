/**
 * kernfs (sysfs, cgroupfs) nodes, as drgn's `drgn.helpers.linux.kernfs`:
 * a node's name and path, and looking a path up under a node. Names are
 * strings (the bytes decoded as UTF-8).
 *
 * @example The path of a cgroup's kernfs node
 * ```ts
 * import { kernfsName, kernfsPath } from "./kernfs.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const kn = prog.object("cgrp_dfl_root").member_("cgrp").member_("kn");
 * if (kernfsName(kn) !== "/" || kernfsPath(kn) !== "/") throw new Error();
 * ```
 *
 * @module
 */

import { NULL } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { rbtreeInorderForEachEntry } from "./rbtree.ts";

const encoder = new TextEncoder();

/**
 * The name of a kernfs node: `"/"` for a root, `"(null)"` for NULL.
 *
 * @param kn `struct kernfs_node *`
 */
export function kernfsName(kn: TypedObject): string {
  if (kn.isNull_()) return "(null)";
  return kn.member_("parent").isNull_() ? "/" : kn.member_("name").string_();
}

/** The `struct kernfs_root *` of a node's hierarchy. */
function kernfsRoot(kn: TypedObject): TypedObject {
  const parent = kn.member_("parent");
  return (parent.isNull_() ? kn : parent).member_("dir").member_("root");
}

/**
 * The full path of a kernfs node from its hierarchy's root (`"/"` for the
 * root, `"(null)"` for NULL).
 *
 * @param kn `struct kernfs_node *`
 */
export function kernfsPath(kn: TypedObject): string {
  if (kn.isNull_()) return "(null)";
  const root = kernfsRoot(kn).member_("kn").value_() as bigint;
  if ((kn.value_() as bigint) === root) return "/";
  const names: string[] = [];
  const seen = new Set<bigint>();
  let n = kn;
  while ((n.value_() as bigint) !== root) {
    const a = n.value_() as bigint;
    if (a === 0n || seen.has(a)) break; // not under its root: a damaged chain
    seen.add(a);
    names.push(n.member_("name").string_());
    n = n.member_("parent");
  }
  names.push(n.isNull_() ? "" : n.member_("name").string_());
  return names.reverse().join("/");
}

/**
 * The node at `path` (components separated by `/`) under `parent`, or a
 * NULL `struct kernfs_node *` if there is none (namespaced nodes are not
 * matched, as in drgn).
 *
 * @param parent `struct kernfs_node *`
 * @param path e.g. `"system.slice/cron.service"`
 */
export function kernfsWalk(parent: TypedObject, path: string): TypedObject {
  const ptrType = parent.type_;
  let node = parent;
  for (const part of path.split("/")) {
    if (part === "") continue;
    const want = encoder.encode(part);
    let found: TypedObject | null = null;
    const children = node.member_("dir").member_("children").addressOf_();
    for (const child of rbtreeInorderForEachEntry("struct kernfs_node", children, "rb")) {
      if (
        child.member_("ns").isNull_() &&
        sameBytes(child.member_("name").stringBytes_(), want)
      ) {
        found = child;
        break;
      }
    }
    if (found === null) return NULL(parent.prog_, ptrType);
    node = found;
  }
  return node;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
