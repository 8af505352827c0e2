/**
 * The `wyvern` command: parse arguments, open the target, then run a script
 * (with `prog` and the helpers as globals and `Deno.args` set to the
 * script's own arguments), evaluate `-e` code, or start the REPL.
 *
 * Errors before the script runs are one line on stderr and exit status 1
 * (2 for usage errors); a script that throws prints its own stack trace and
 * exits with status 1.
 *
 * @module
 */

import { isAbsolute, resolve, toFileUrl } from "../path.ts";
import { parseRuntimeArgs, USAGE, UsageError } from "./args.ts";
import { openProgram } from "./open.ts";
import { installGlobals } from "./globals.ts";
import { formatResult, startRepl } from "./repl.ts";
import type { Program } from "../program/program.ts";

/** The version printed by `--version`. */
export const VERSION = "0.1.0";

/** Sets `Deno.args` to the script's own arguments (drgn sets `sys.argv`). */
export function setScriptArgs(args: string[]): void {
  Object.defineProperty(Deno, "args", { value: Object.freeze([...args]), configurable: true });
}

/** A one-line description of an error for the user. */
export function oneLine(e: unknown): string {
  if (e instanceof Error) {
    const name = e.name && e.name !== "Error" ? `${e.name}: ` : "";
    return `${name}${e.message}`.split("\n")[0]!;
  }
  return String(e);
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseRuntimeArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`wyvern: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(`wyvern ${VERSION}`);
    return 0;
  }
  let scriptUrl: string | null = null;
  if (args.script !== null) {
    const path = isAbsolute(args.script) ? args.script : resolve(Deno.cwd(), args.script);
    try {
      const st = Deno.statSync(path);
      if (!st.isFile) throw new Error("not a file");
    } catch {
      console.error(`wyvern: script '${args.script}' not found or not a file`);
      return 1;
    }
    scriptUrl = toFileUrl(path).href;
  }
  let prog: Program;
  try {
    prog = openProgram(args);
  } catch (e) {
    console.error(`wyvern: ${oneLine(e)}`);
    return 1;
  }
  installGlobals(prog);
  if (args.evalCode !== null) {
    try {
      const r = await (0, eval)(`(async () => (${args.evalCode}))()`);
      if (r !== undefined) console.log(typeof r === "string" ? r : formatResult(r));
      return 0;
    } catch (e) {
      console.error(e instanceof Error ? e.stack ?? oneLine(e) : String(e));
      return 1;
    }
  }
  if (scriptUrl !== null) {
    setScriptArgs(args.scriptArgs);
    try {
      await import(scriptUrl);
    } catch (e) {
      // The script's own stack trace, as drgn prints Python's traceback.
      console.error(e instanceof Error ? e.stack ?? oneLine(e) : `Uncaught ${String(e)}`);
      return 1;
    }
    return 0;
  }
  await startRepl(prog, { quiet: args.quiet });
  return 0;
}
