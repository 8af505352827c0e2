/**
 * BPF objects, as drgn's `drgn.helpers.linux.bpf`: the programs, maps,
 * links and BTF objects the kernel's ID tables hold, and the programs
 * attached to a cgroup.
 *
 * @example Every BPF program (none on the kernel fixture)
 * ```ts
 * import { bpfProgForEach } from "./bpf.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * for (const p of bpfProgForEach(prog)) p.member_("aux").member_("id").value_();
 * ```
 *
 * @module
 */

import { cast } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import type { Program } from "../../lib/program/program.ts";
import { type IntegerLike, toBigInt } from "../common/_args.ts";
import { idrForEach } from "./idr.ts";
import { hlistForEachEntry, listForEachEntry } from "./list.ts";

function* fromIdr(prog: Program, idr: string, type: string): Generator<TypedObject> {
  const t = prog.type(type);
  for (const [, entry] of idrForEach(prog.object(idr).addressOf_())) yield cast(t, entry);
}

/** Iterates over all BPF programs (`struct bpf_prog *`; Linux 4.13 and later). */
export function bpfProgForEach(prog: Program): Generator<TypedObject> {
  return fromIdr(prog, "prog_idr", "struct bpf_prog *");
}

/** Iterates over all BPF maps (`struct bpf_map *`; Linux 4.13 and later). */
export function bpfMapForEach(prog: Program): Generator<TypedObject> {
  return fromIdr(prog, "map_idr", "struct bpf_map *");
}

/** Iterates over all BPF links (`struct bpf_link *`; Linux 5.8 and later). */
export function bpfLinkForEach(prog: Program): Generator<TypedObject> {
  return fromIdr(prog, "link_idr", "struct bpf_link *");
}

/** Iterates over all BTF objects (`struct btf *`; Linux 4.18 and later). */
export function bpfBtfForEach(prog: Program): Generator<TypedObject> {
  return fromIdr(prog, "btf_idr", "struct btf *");
}

/**
 * Iterates over the BPF programs of an attach type attached to a cgroup
 * (`struct bpf_prog *`); none without `CONFIG_CGROUP_BPF`.
 *
 * @param cgrp `struct cgroup *`
 * @param attachType an `enum bpf_attach_type` value (or `enum cgroup_bpf_attach_type`)
 */
export function* cgroupBpfProgForEach(
  cgrp: TypedObject,
  attachType: IntegerLike,
): Generator<TypedObject> {
  if (!cgrp.hasMember_("bpf")) return;
  const bpf = cgrp.member_("bpf");
  const i = Number(toBigInt(attachType));
  if (!bpf.hasMember_("progs")) {
    // Before Linux 4.15 one program per attach type (an empty struct
    // without CONFIG_CGROUP_BPF).
    if (!bpf.hasMember_("prog")) return;
    const p = bpf.member_("prog").subscript_(i).read_();
    if (!p.isNull_()) yield p;
    return;
  }
  const head = bpf.member_("progs").subscript_(i);
  // Linux 6.0 (commit 00442143a2ab) made the lists hlists.
  const entries = head.hasMember_("first")
    ? hlistForEachEntry("struct bpf_prog_list", head.addressOf_(), "node")
    : listForEachEntry("struct bpf_prog_list", head.addressOf_(), "node");
  for (const pl of entries) yield pl.member_("prog");
}

/**
 * Iterates over the BPF programs of an attach type in effect for a cgroup
 * (its own and its ancestors', as the kernel runs them).
 *
 * @param cgrp `struct cgroup *`
 * @param attachType an `enum bpf_attach_type` value (or `enum cgroup_bpf_attach_type`)
 */
export function* cgroupBpfProgForEachEffective(
  cgrp: TypedObject,
  attachType: IntegerLike,
): Generator<TypedObject> {
  if (!cgrp.hasMember_("bpf") || !cgrp.member_("bpf").hasMember_("effective")) return;
  const effective = cgrp.member_("bpf").member_("effective").subscript_(
    Number(toBigInt(attachType)),
  )
    .read_();
  if (effective.isNull_()) return;
  // Before Linux 4.15 a single struct bpf_prog *.
  if (!effective.deref_().hasMember_("items")) {
    yield effective;
    return;
  }
  const items = effective.member_("items");
  for (let i = 0; i < 1 << 16; i++) {
    const p = items.subscript_(i).member_("prog").read_();
    if (p.isNull_()) return;
    yield p;
  }
}
