/**
 * Builds a ready `Program` from parsed arguments: opens the target, loads
 * debug info (default files plus `-s` files), and reports missing debug
 * info as warnings on stderr (never fatal).
 *
 * @module
 */

import { Program } from "../program/program.ts";
import { TargetError } from "../errors.ts";
import type { RuntimeArgs } from "./args.ts";

/** Options for {@link openProgram}. */
export interface OpenOptions {
  /** Where warnings and progress go (default: stderr). */
  log?: (line: string) => void;
}

/** Reads a `--vmcoreinfo` file (text as in the VMCOREINFO note). */
function readVmcoreinfoFile(path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new TargetError(path, `cannot read VMCOREINFO: ${e instanceof Error ? e.message : e}`);
  }
  if (!/^OSRELEASE=/m.test(text)) {
    throw new TargetError(path, "not VMCOREINFO text (no OSRELEASE= line)");
  }
  return text;
}

/** Whether stderr is a terminal (progress is shown only there). */
function stderrIsTty(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** Opens the target the arguments name and loads its debug info. */
export function openProgram(args: RuntimeArgs, opts: OpenOptions = {}): Program {
  const log = opts.log ?? ((l: string) => console.error(l));
  const prog = new Program();
  const t = args.target;
  const kernelOptions = args.vmcoreinfoFile === null ? {} : {
    vmcoreinfo: readVmcoreinfoFile(args.vmcoreinfoFile),
  };
  switch (t.kind) {
    case "core":
      prog.setCoreDump(t.path, kernelOptions);
      break;
    case "pid":
      prog.setPid(t.pid);
      break;
    case "kernel":
      prog.setKernel(kernelOptions);
      break;
    case "none":
      // drgn's default is the running kernel. With -s files and no readable
      // /proc/kcore, go on with debug info only (types, symbols, constants).
      try {
        prog.setKernel(kernelOptions);
      } catch (e) {
        // With files given and no running kernel to read, work on the files alone.
        if (args.symbols.length === 0) throw e;
      }
      break;
  }
  const progress = !args.quiet && stderrIsTty();
  const start = performance.now();
  if (progress) Deno.stderr.writeSync(new TextEncoder().encode("Loading debug info...\r"));
  prog.loadDebugInfo(args.symbols, { default: args.defaultSymbols });
  if (args.index) { for (const m of prog.modules) m.debugInfo?.indexAll?.(); }
  if (progress) {
    const ms = Math.round(performance.now() - start);
    Deno.stderr.writeSync(
      new TextEncoder().encode(ms > 500 ? `Loaded debug info in ${ms} ms   \n` : "\x1b[2K"),
    );
  }
  if (!args.quiet) {
    // The warnings so far; those of loading deferred until needed (the
    // kernel's modules) are printed when it happens.
    for (const w of prog.recordedWarnings) log(`warning: ${w}`);
    prog.onWarning = (w) => log(`warning: ${w}`);
  }
  return prog;
}
