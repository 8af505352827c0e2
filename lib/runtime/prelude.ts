/**
 * Import this first in a script to get a ready `prog` from the command line:
 *
 * ```ts
 * import "jsr:@wyvern/wyvern/prelude"; // or a relative path to lib/runtime/prelude.ts
 * for (const t of forEachTask(prog)) console.log(t.pid.value_(), t.comm.string_());
 * ```
 *
 * `deno run --allow-read script.ts VMCORE [ARGS...]` opens VMCORE;
 * `-k`, `-p PID`, `-c CORE`, `-s FILE`, `--no-default-symbols`, `-q` work as
 * in the CLI; with no target it opens the running kernel. `Deno.args` is then
 * the script's own arguments. When the script runs under `mod.ts`, which
 * already set `prog`, the prelude does nothing. `dist/prelude.js` is this
 * module bundled (it starts faster; see scripts/bundle.ts): run scripts that
 * import it under `dist/mod.js`.
 *
 * @module
 */

import { parseRuntimeArgs, UsageError } from "./args.ts";
import { openProgram } from "./open.ts";
import { installGlobals } from "./globals.ts";
import { oneLine, setScriptArgs } from "./cli.ts";
import { Program } from "../program/program.ts";
import type * as Helpers from "../../helpers/mod.ts";
import type * as Api from "./api.ts";
import "./global_types.ts";

declare global {
  /** The program being debugged, set by the prelude or the `wyvern` CLI. */
  var prog: Program;
  /** The public API and the helpers, also in scope as globals. */
  var wyvern: typeof Api & typeof Helpers;
}

const g = globalThis as { prog?: Program };
if (g.prog === undefined) {
  let prog: Program;
  try {
    const args = parseRuntimeArgs(Deno.args, true);
    prog = openProgram(args);
    setScriptArgs(args.scriptArgs);
  } catch (e) {
    console.error(`wyvern: ${e instanceof UsageError ? e.message : oneLine(e)}`);
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
  installGlobals(prog);
  exitWhenDone();
} else if (!(g.prog instanceof Program)) {
  // Set by another copy of Wyvern: the runner of the sources (mod.ts) and a
  // script importing the bundle (dist/), or the other way round. Their
  // objects and helpers do not mix.
  console.error(
    "wyvern: the script imports a different copy of Wyvern than the runner that opened the " +
      "target: run dist/ scripts with dist/mod.js and lib/ scripts with mod.ts",
  );
  Deno.exit(2);
}

/**
 * Once the script is done (nothing left in its event loop, its own `unload`
 * listeners run), the process exits at once with `Deno.exitCode`, as it
 * would anyway, but without Deno first tearing down the V8 isolate, which
 * waits for background compilations: 5–7 ms of a 60 ms script. The
 * `unload` listener is registered again at each `beforeunload`, so that it
 * runs after every listener the script added. (Under `mod.ts` the runner
 * exits the same way.)
 */
function exitWhenDone(): void {
  const exit = () => Deno.exit();
  globalThis.addEventListener("beforeunload", () => {
    globalThis.removeEventListener("unload", exit);
    globalThis.addEventListener("unload", exit);
  });
}

/** The program (same as the global `prog`). */
export const prog: Program = (globalThis as unknown as { prog: Program }).prog;
export * from "./api.ts";
export * from "../../helpers/mod.ts";
