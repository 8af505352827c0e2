/**
 * Command-line arguments shared by the CLI (`mod.ts`) and the prelude:
 * `[-c CORE | -k | -p PID] [-s FILE]... [--no-default-symbols] [-q] [SCRIPT [ARGS...]]`.
 * Options stop at the first positional argument; everything after the
 * script belongs to the script.
 *
 * @module
 */

/** What the arguments ask for. */
export interface RuntimeArgs {
  /** The target. */
  target:
    | { kind: "core"; path: string }
    | { kind: "kernel" }
    | { kind: "pid"; pid: number }
    | { kind: "none" };
  /** Extra debug info files (`-s`). */
  symbols: string[];
  /** `--vmcoreinfo FILE`: VMCOREINFO text for a kernel dump without one. */
  vmcoreinfoFile: string | null;
  /** Load the target's default debug info (off with `--no-default-symbols`). */
  defaultSymbols: boolean;
  /** Quiet: no progress or warnings on stderr. */
  quiet: boolean;
  /** `--index`: build the whole debug-info index now (saved to the cache). */
  index: boolean;
  /** The script to run, if any. */
  script: string | null;
  /** The script's own arguments. */
  scriptArgs: string[];
  /** `-e CODE`: evaluate code instead of a script. */
  evalCode: string | null;
  /** `-h`/`--help`. */
  help: boolean;
  /** `--version`. */
  version: boolean;
}

/** A bad command line: the message is one line for the user. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The usage text. */
export const USAGE = `usage: wyvern [-c CORE | -k | -p PID] [-s FILE]... [--no-default-symbols] [-q]
              [-e CODE | SCRIPT [ARGS...]]

Programmable debugger for the Linux kernel and userspace programs.

  -c, --core CORE         debug a core dump (kernel vmcore in any format, or a process core)
  -k, --kernel            debug the running kernel (/proc/kcore; the default with no target)
  -p, --pid PID           debug a running process (read-only)
  -s, --symbols FILE      load debug info from FILE (may be repeated)
      --no-default-symbols  do not load the target's default debug info
      --index             index all of the debug info now and save the index to the cache
                          (lookups otherwise index it as they need; later runs start warm)
      --vmcoreinfo FILE   VMCOREINFO text for a kernel dump that has none (QEMU without
                          -device vmcoreinfo) or for a running kernel
  -q, --quiet             no progress or warnings
  -e CODE                 evaluate CODE (JavaScript) with prog in scope, print the result
  -h, --help              this help
      --version           print the version

With SCRIPT, run it with the global \`prog\` set; otherwise start an interactive shell.`;

/**
 * Parses arguments. With `positionalCore`, a first positional argument
 * that is not an option is the core dump (the prelude's form:
 * `deno run script.ts vmcore`), and the rest are the script's.
 */
export function parseRuntimeArgs(argv: readonly string[], positionalCore = false): RuntimeArgs {
  const r: RuntimeArgs = {
    target: { kind: "none" },
    symbols: [],
    vmcoreinfoFile: null,
    defaultSymbols: true,
    quiet: false,
    index: false,
    script: null,
    scriptArgs: [],
    evalCode: null,
    help: false,
    version: false,
  };
  const setTarget = (t: RuntimeArgs["target"]) => {
    if (r.target.kind !== "none") {
      throw new UsageError("only one of -c, -k and -p may be given");
    }
    r.target = t;
  };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`option ${flag} needs an argument`);
    i++;
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      // The prelude's form: `script.ts VMCORE [options] args…`: a first
      // argument naming an existing file is the core dump, and options may
      // follow it.
      if (positionalCore && r.target.kind === "none" && isFile(a)) {
        r.target = { kind: "core", path: a };
        continue;
      }
      break;
    }
    let flag = a;
    let inline: string | null = null;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      flag = a.slice(0, eq);
      inline = a.slice(eq + 1);
    }
    const arg = (f: string) => inline ?? value(f);
    switch (flag) {
      case "-c":
      case "--core":
        setTarget({ kind: "core", path: arg(flag) });
        break;
      case "-k":
      case "--kernel":
        setTarget({ kind: "kernel" });
        break;
      case "-p":
      case "--pid": {
        const v = arg(flag);
        if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`invalid PID '${v}'`);
        setTarget({ kind: "pid", pid: Number(v) });
        break;
      }
      case "-s":
      case "--symbols":
        r.symbols.push(arg(flag));
        break;
      case "--vmcoreinfo":
        r.vmcoreinfoFile = arg(flag);
        break;
      case "--no-default-symbols":
        r.defaultSymbols = false;
        break;
      case "--index":
        r.index = true;
        break;
      case "-q":
      case "--quiet":
        r.quiet = true;
        break;
      case "-e":
        r.evalCode = arg(flag);
        break;
      case "-h":
      case "--help":
        r.help = true;
        break;
      case "--version":
        r.version = true;
        break;
      default:
        throw new UsageError(`unknown option '${a}' (see --help)`);
    }
  }
  if (r.vmcoreinfoFile !== null && r.target.kind === "pid") {
    throw new UsageError("--vmcoreinfo is for kernel targets, not -p");
  }
  const rest = argv.slice(i);
  if (positionalCore) {
    r.scriptArgs = rest;
    return r;
  }
  if (rest.length > 0) {
    r.script = rest[0]!;
    r.scriptArgs = rest.slice(1);
  }
  return r;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
