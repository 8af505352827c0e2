/**
 * What scripts and the REPL get in scope: `prog` and every helper, as
 * drgn's CLI puts `prog`, `drgn` and the helpers into a script's globals.
 *
 * @module
 */

import type { Program } from "../program/program.ts";
import * as helpers from "../../helpers/mod.ts";
import * as api from "./api.ts";

/** Puts `prog`, the public API and the helpers on `globalThis`. */
export function installGlobals(prog: Program): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(api)) g[k] = v;
  for (const [k, v] of Object.entries(helpers)) g[k] = v;
  g.wyvern = { ...api, ...helpers };
  g.prog = prog;
}
