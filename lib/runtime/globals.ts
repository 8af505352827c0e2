/**
 * What scripts and the REPL get in scope: `prog` and every helper, as
 * drgn's CLI puts `prog`, `drgn` and the helpers into a script's globals.
 * Names that would shadow a JavaScript global (`Symbol`) are only under
 * `wyvern.` (`wyvern.Symbol`). lib/runtime/global_types.ts types them.
 *
 * @module
 */

import type { Program } from "../program/program.ts";
import * as helpers from "../../helpers/mod.ts";
import * as api from "./api.ts";

/** The JavaScript globals, taken before Wyvern installs anything. */
const BUILTINS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(globalThis));

/** Whether a name is a JavaScript global that Wyvern must not replace. */
export function shadowsBuiltin(name: string): boolean {
  return BUILTINS.has(name);
}

/** The names installed as globals (besides `prog` and `wyvern`), with their values. */
export function globalEntries(): [string, unknown][] {
  const out = new Map<string, unknown>();
  for (const [k, v] of [...Object.entries(api), ...Object.entries(helpers)]) {
    if (!shadowsBuiltin(k)) out.set(k, v);
  }
  return [...out];
}

/** Puts `prog`, the public API and the helpers on `globalThis`. */
export function installGlobals(prog: Program): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of globalEntries()) g[k] = v;
  g.wyvern = { ...api, ...helpers };
  g.prog = prog;
}
