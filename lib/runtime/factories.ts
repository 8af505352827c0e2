/**
 * One-call program constructors: a target plus its default debug info.
 *
 * @module
 */

import { Program } from "../program/program.ts";

function finish(prog: Program, paths: string[], defaults: boolean): Program {
  prog.loadDebugInfo(paths, { default: defaults });
  return prog;
}

/** A program for a core dump (kernel vmcore or process core), with default debug info. */
export function programFromCoreDump(
  path: string,
  options: { debugInfo?: string[]; defaultDebugInfo?: boolean } = {},
): Program {
  const prog = new Program();
  prog.setCoreDump(path);
  return finish(prog, options.debugInfo ?? [], options.defaultDebugInfo ?? true);
}

/** A program for the running kernel, with default debug info. */
export function programFromKernel(
  options: { debugInfo?: string[]; defaultDebugInfo?: boolean } = {},
): Program {
  const prog = new Program();
  prog.setKernel();
  return finish(prog, options.debugInfo ?? [], options.defaultDebugInfo ?? true);
}

/** A program for a running process, with default debug info. */
export function programFromPid(
  pid: number,
  options: { debugInfo?: string[]; defaultDebugInfo?: boolean } = {},
): Program {
  const prog = new Program();
  prog.setPid(pid);
  return finish(prog, options.debugInfo ?? [], options.defaultDebugInfo ?? true);
}
