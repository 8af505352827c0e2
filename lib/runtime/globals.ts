/**
 * What scripts and the REPL get in scope: `prog` and every helper, as
 * drgn's CLI puts `prog`, `drgn` and the helpers into a script's globals.
 * Names that would shadow a JavaScript global (`Symbol`) are only under
 * `wyvern.` (`wyvern.Symbol`). lib/runtime/global_types.ts types them.
 *
 * @module
 */

import type { Program } from "../program/program.ts";
import { shadowsBuiltin } from "./builtins.ts";
import { allExports } from "./global_values.ts";

/** The names installed as globals (besides `prog` and `wyvern`), with their values. */
export function globalEntries(all: Record<string, unknown> = allExports()): [string, unknown][] {
  return Object.entries(all).filter(([k]) => !shadowsBuiltin(k));
}

/** Puts `prog`, the public API and the helpers on `globalThis`. */
export function installGlobals(prog: Program): void {
  const g = globalThis as Record<string, unknown>;
  const all = allExports();
  for (const [k, v] of globalEntries(all)) g[k] = v;
  g.wyvern = all;
  g.prog = prog;
}
