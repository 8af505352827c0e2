/**
 * Control groups, as drgn's `drgn.helpers.linux.cgroup`: a cgroup's name,
 * path and parent, the lookup of a path in the default (v2) hierarchy, and
 * the walks of a `struct cgroup_subsys_state` tree the kernel's
 * `css_for_each_child()` and `css_for_each_descendant_pre()` do. Names and
 * paths are strings.
 *
 * @example The root cgroup of the default hierarchy and its children
 * ```ts
 * import { cgroupPath, cssForEachChild } from "./cgroup.ts";
 * import { containerOf } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const root = prog.object("cgrp_dfl_root").member_("cgrp");
 * if (cgroupPath(root.addressOf_()) !== "/") throw new Error();
 * for (const css of cssForEachChild(root.member_("self").addressOf_())) {
 *   cgroupPath(containerOf(css, "struct cgroup", "self"));
 * }
 * ```
 *
 * @module
 */

import { cast, containerOf, NULL } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import type { Program } from "../../lib/program/program.ts";
import { kernfsName, kernfsPath, kernfsWalk } from "./kernfs.ts";
import { listForEachEntry } from "./list.ts";

const CSS = "struct cgroup_subsys_state *";

/** The cgroup of a socket's `struct sock_cgroup_data *` (`sk->sk_cgrp_data`). */
export function sockCgroupPtr(skcd: TypedObject): TypedObject {
  return cast("struct cgroup *", skcd.member_("val"));
}

/** A cgroup's parent, or NULL for a root. @param cgrp `struct cgroup *` */
export function cgroupParent(cgrp: TypedObject): TypedObject {
  const parent = cgrp.member_("self").member_("parent");
  return parent.isNull_()
    ? NULL(cgrp.prog_, "struct cgroup *")
    : containerOf(parent, "struct cgroup", "self");
}

/** A cgroup's name (`"/"` for a root). @param cgrp `struct cgroup *` */
export function cgroupName(cgrp: TypedObject): string {
  return kernfsName(cgrp.member_("kn"));
}

/** A cgroup's path in its hierarchy. @param cgrp `struct cgroup *` */
export function cgroupPath(cgrp: TypedObject): string {
  return kernfsPath(cgrp.member_("kn"));
}

/**
 * The cgroup at `path` in the default (cgroup v2) hierarchy, or a NULL
 * `struct cgroup *`.
 */
export function cgroupGetFromPath(prog: Program, path: string): TypedObject {
  const root = prog.object("cgrp_dfl_root").member_("cgrp").member_("kn");
  const kn = kernfsWalk(root, path);
  return cast("struct cgroup *", kn.isNull_() ? kn : kn.member_("priv"));
}

function flagSet(css: TypedObject, name: string): boolean {
  const flag = BigInt((css.prog_ as Program).object(name).value_() as number | bigint);
  return (BigInt(css.member_("flags").value_() as number | bigint) & flag) !== 0n;
}

/**
 * The child of `parent` after `pos` (NULL `pos`: the first), or NULL: the
 * kernel's `css_next_child()`, which copes with a `pos` that was released.
 *
 * @param pos `struct cgroup_subsys_state *`
 * @param parent `struct cgroup_subsys_state *`
 */
export function cssNextChild(pos: TypedObject, parent: TypedObject): TypedObject {
  const head = parent.member_("children").address_!;
  let next: TypedObject | null = null;
  if (pos.isNull_()) {
    next = containerOf(
      parent.member_("children").member_("next"),
      "struct cgroup_subsys_state",
      "sibling",
    );
  } else if (!flagSet(pos, "CSS_RELEASED")) {
    next = containerOf(
      pos.member_("sibling").member_("next"),
      "struct cgroup_subsys_state",
      "sibling",
    );
  } else {
    // The first child added after pos (none: the walk is over, as in the
    // kernel, where the loop ends on the list head).
    const serial = BigInt(pos.member_("serial_nr").value_() as number | bigint);
    for (
      const c of listForEachEntry(
        "struct cgroup_subsys_state",
        parent.member_("children").addressOf_(),
        "sibling",
      )
    ) {
      if (BigInt(c.member_("serial_nr").value_() as number | bigint) > serial) {
        next = c;
        break;
      }
    }
    if (next === null) return NULL(pos.prog_, CSS);
  }
  return next.member_("sibling").address_ !== head ? next : NULL(pos.prog_, CSS);
}

/**
 * The next css after `pos` in a pre-order walk of `root`'s tree (NULL
 * `pos`: `root` itself), or NULL: the kernel's `css_next_descendant_pre()`.
 */
export function cssNextDescendantPre(pos: TypedObject, root: TypedObject): TypedObject {
  if (pos.isNull_()) return root;
  const first = cssNextChild(NULL(pos.prog_, CSS), pos);
  if (!first.isNull_()) return first;
  const stop = root.value_() as bigint;
  let p = pos;
  while ((p.value_() as bigint) !== stop) {
    const parent = p.member_("parent");
    const next = cssNextChild(p, parent);
    if (!next.isNull_()) return next;
    p = parent;
    if (p.isNull_()) break;
  }
  return NULL(pos.prog_, CSS);
}

function* onlineWalk(
  next: (pos: TypedObject, css: TypedObject) => TypedObject,
  css: TypedObject,
): Generator<TypedObject> {
  let pos = NULL(css.prog_, CSS);
  for (let guard = 0; guard < 1 << 24; guard++) {
    pos = next(pos, css);
    if (pos.isNull_()) return;
    if (flagSet(pos, "CSS_ONLINE")) yield pos;
  }
}

/** Iterates over the online children of a css. @param css `struct cgroup_subsys_state *` */
export function cssForEachChild(css: TypedObject): Generator<TypedObject> {
  return onlineWalk(cssNextChild, css);
}

/** Iterates over a css and its online descendants, in pre-order. @param css `struct cgroup_subsys_state *` */
export function cssForEachDescendantPre(css: TypedObject): Generator<TypedObject> {
  return onlineWalk(cssNextDescendantPre, css);
}
