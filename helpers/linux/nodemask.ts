/**
 * NUMA node masks (`nodemask_t`), as drgn's `drgn.helpers.linux.nodemask`.
 *
 * @example The online nodes
 * ```ts
 * import { forEachOnlineNode } from "./nodemask.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if ([...forEachOnlineNode(prog)].join() !== "0") throw new Error();
 * ```
 *
 * @module
 */

import type { TypedObject } from "../../lib/object/typed_object.ts";
import type { Program } from "../../lib/program/program.ts";
import { type IntegerLike, toBigInt } from "../common/_args.ts";
import { forEachSetBit, testBit } from "./bitops.ts";

/**
 * Iterates over the nodes in a mask, up to `nr_node_ids`.
 *
 * @param mask `nodemask_t`
 */
export function forEachNodeMask(mask: TypedObject): Generator<number> {
  const ids = (mask.prog_ as Program).tryObject("nr_node_ids");
  return forEachSetBit(mask.member_("bits"), ids === null ? 1 : Number(ids.value_()));
}

/** A `node_states` index: a number or an `enum node_states` object. */
function stateIndex(state: IntegerLike): number {
  return Number(toBigInt(state));
}

/**
 * Iterates over the nodes in a state (`N_ONLINE`, `N_MEMORY`, …).
 *
 * @param state an `enum node_states` value
 */
export function forEachNodeState(prog: Program, state: IntegerLike): Generator<number> {
  return forEachNodeMask(prog.object("node_states").subscript_(stateIndex(state)));
}

/** Iterates over all possible nodes. */
export function forEachNode(prog: Program): Generator<number> {
  return forEachNodeState(prog, prog.object("N_POSSIBLE"));
}

/** Iterates over the online nodes. */
export function forEachOnlineNode(prog: Program): Generator<number> {
  return forEachNodeState(prog, prog.object("N_ONLINE"));
}

/**
 * Whether `node` has a state.
 *
 * @param state an `enum node_states` object
 */
export function nodeState(node: IntegerLike, state: TypedObject): boolean {
  const states = (state.prog_ as Program).object("node_states");
  return testBit(node, states.subscript_(stateIndex(state)).member_("bits"));
}
