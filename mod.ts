/**
 * Wyvern: a programmable debugger for the Linux kernel and userspace
 * programs. Import the API, or run this file as the CLI:
 *
 * ```sh
 * deno run -A mod.ts -c /var/crash/vmcore script.ts arg...
 * deno run -A mod.ts            # REPL on the running kernel
 * ```
 *
 * @example
 * ```ts ignore
 * import { programFromCoreDump } from "./mod.ts";
 * const prog = programFromCoreDump("/var/crash/vmcore");
 * console.log(prog.object("init_task").comm.string_());
 * ```
 *
 * @module
 */

import "./lib/targets.ts";
export * from "./lib/runtime/api.ts";
export * from "./helpers/mod.ts";

if (import.meta.main) {
  // No top-level await here: scripts run by the CLI may import this module,
  // which must finish evaluating first.
  import("./lib/runtime/cli.ts").then(({ main }) => main(Deno.args)).then(Deno.exit);
}
