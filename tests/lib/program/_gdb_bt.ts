/**
 * Parses the `bt full` part of the user fixtures' `*.gdb.txt` files (gdb 13.1
 * batch output): per thread (by LWP), frames with the function name, the
 * arguments of the frame line, the source line and the locals' printed
 * values (compound values, which span lines, are kept as `{...}`).
 *
 * @module
 */

/** One frame of gdb's `bt full`. */
export interface GdbFrame {
  /** gdb's frame number. */
  readonly index: number;
  /** The function as gdb names it (`__GI___libc_read`, `recurse`). */
  readonly name: string;
  /** Arguments in the frame line: name → printed value (`8`, `0x5555555581a0 <g_lock>`, `<optimized out>`). */
  readonly args: ReadonlyMap<string, string>;
  /** Entry values gdb shows as `x=x@entry=V` (name → V). */
  readonly entryArgs: ReadonlyMap<string, string>;
  /** The file gdb names (`threads.c`, `../sysdeps/unix/sysv/linux/read.c`), or null. */
  readonly file: string | null;
  readonly line: number | null;
  /** Locals in gdb's order (innermost block first): [name, printed value]. */
  readonly locals: readonly (readonly [string, string])[];
}

/** Splits `a=1, b=0x2 <x>, c={...}` at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = false, cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      cur += c;
      if (c === "\\") cur += s[++i] ?? "";
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    else if (c === "{" || c === "(" || c === "<") depth++;
    else if (c === "}" || c === ")" || c === ">") depth--;
    if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
}

const FRAME_RE = /^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \((.*)\)(?: at (\S+):(\d+))?(?: from \S+)?$/;

/** Parses the `bt full` sections of a gdb batch log: LWP → frames, outermost last. */
export function parseGdbBacktraces(text: string): Map<number, GdbFrame[]> {
  const out = new Map<number, GdbFrame[]>();
  let frames: GdbFrame[] | null = null;
  let cur: { locals: [string, string][] } | null = null;
  let nested = 0;
  for (const line of text.split("\n")) {
    const th = /^Thread \d+ \(.*\(LWP (\d+)\)\):$/.exec(line);
    if (th) {
      const lwp = Number(th[1]);
      // The first section per thread is the backtrace; later ones ($_siginfo) are not.
      if (out.has(lwp)) {
        frames = null;
        cur = null;
        continue;
      }
      frames = [];
      out.set(lwp, frames);
      cur = null;
      continue;
    }
    if (frames === null) continue;
    if (nested > 0) {
      for (const c of line) {
        if (c === "{") nested++;
        else if (c === "}") nested--;
      }
      continue;
    }
    const m = FRAME_RE.exec(line);
    if (m) {
      const args = new Map<string, string>();
      const entryArgs = new Map<string, string>();
      for (const a of splitArgs(m[3]!)) {
        const eq = a.indexOf("=");
        if (eq < 0) continue;
        const name = a.slice(0, eq);
        let value = a.slice(eq + 1);
        const entry = `${name}@entry=`;
        if (value.startsWith(entry)) {
          value = value.slice(entry.length);
          entryArgs.set(name, value);
        } else if (value.startsWith(`${name}@entry=`)) entryArgs.set(name, value);
        args.set(name, value);
      }
      const locals: [string, string][] = [];
      frames.push({
        index: Number(m[1]),
        name: m[2]!,
        args,
        entryArgs,
        file: m[4] ?? null,
        line: m[5] === undefined ? null : Number(m[5]),
        locals,
      });
      cur = { locals };
      continue;
    }
    const l = /^ {8}(\S+) = (.*)$/.exec(line);
    if (l && cur !== null) {
      let value = l[2]!;
      let open = 0;
      for (const c of value) {
        if (c === "{") open++;
        else if (c === "}") open--;
      }
      if (open > 0) {
        nested = open;
        value = "{...}";
      }
      cur.locals.push([l[1]!, value]);
    }
  }
  return out;
}
