/**
 * The interactive shell: JavaScript evaluated in the global scope with
 * `prog` and every helper in scope, `await` allowed, results printed in
 * drgn's C syntax for objects and types, line editing and a history file
 * (`~/.wyvern_history`) on a terminal.
 *
 * @module
 */

import { TypedObject } from "../object/typed_object.ts";
import { Type } from "../types/type.ts";
import type { Program } from "../program/program.ts";

/** How the REPL prints a value: objects and types in C syntax, the rest like console.log. */
export function formatResult(v: unknown): string {
  if (v instanceof TypedObject || v instanceof Type) return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  return Deno.inspect(v, { colors: false, depth: 4 });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function write(s: string): void {
  Deno.stdout.writeSync(enc.encode(s));
}

function historyPath(): string | null {
  const home = Deno.env.get("HOME");
  return home ? `${home}/.wyvern_history` : null;
}

function loadHistory(): string[] {
  const p = historyPath();
  if (!p) return [];
  try {
    return Deno.readTextFileSync(p).split("\n").filter((l) => l.length > 0).slice(-1000);
  } catch {
    return [];
  }
}

function saveHistory(h: string[]): void {
  const p = historyPath();
  if (!p) return;
  try {
    Deno.writeTextFileSync(p, h.slice(-1000).join("\n") + "\n");
  } catch {
    // No write permission: history stays in memory.
  }
}

/**
 * Rewrites top-level `const`/`let`/`class`/`function` declarations so they
 * persist across REPL lines (indirect eval keeps only `var` and functions).
 */
export function persistDeclarations(code: string): string {
  return code.replace(/^(\s*)(?:const|let)\s+/gm, "$1var ");
}

/** Evaluates one REPL input in the global scope; supports top-level await. */
export async function evaluate(code: string): Promise<unknown> {
  const src = persistDeclarations(code);
  if (/\bawait\b/.test(src)) {
    // Wrap so `await` works; the last expression's value is returned when simple.
    const trimmed = src.trim().replace(/;$/, "");
    const isExpr = !/^(var|if|for|while|do|try|switch|function|class|return)\b/.test(trimmed) &&
      !trimmed.includes(";");
    return await (0, eval)(
      isExpr ? `(async () => (${trimmed}))()` : `(async () => { ${src} })()`,
    );
  }
  return (0, eval)(src);
}

/** Reads one line with editing (arrows, home/end, history) in raw mode. */
async function readLineRaw(prompt: string, history: string[]): Promise<string | null> {
  let buf = "";
  let cur = 0;
  let hpos = history.length;
  const redraw = () => {
    write(`\r\x1b[2K${prompt}${buf}`);
    const back = buf.length - cur;
    if (back > 0) write(`\x1b[${back}D`);
  };
  write(prompt);
  Deno.stdin.setRaw(true);
  try {
    const chunk = new Uint8Array(64);
    for (;;) {
      const n = await Deno.stdin.read(chunk);
      if (n === null) return null;
      const s = dec.decode(chunk.subarray(0, n));
      for (let i = 0; i < s.length; i++) {
        const c = s[i]!;
        const code = c.charCodeAt(0);
        if (c === "\r" || c === "\n") {
          write("\r\n");
          return buf;
        } else if (code === 3) { // Ctrl-C
          write("^C\r\n");
          return "";
        } else if (code === 4) { // Ctrl-D
          if (buf.length === 0) {
            write("\r\n");
            return null;
          }
        } else if (code === 127 || code === 8) {
          if (cur > 0) {
            buf = buf.slice(0, cur - 1) + buf.slice(cur);
            cur--;
          }
        } else if (code === 1) cur = 0;
        else if (code === 5) cur = buf.length;
        else if (code === 21) { // Ctrl-U
          buf = buf.slice(cur);
          cur = 0;
        } else if (code === 27 && s[i + 1] === "[") {
          const k = s[i + 2];
          i += 2;
          if (k === "A" && hpos > 0) {
            hpos--;
            buf = history[hpos]!;
            cur = buf.length;
          } else if (k === "B") {
            if (hpos < history.length) hpos++;
            buf = hpos < history.length ? history[hpos]! : "";
            cur = buf.length;
          } else if (k === "C" && cur < buf.length) cur++;
          else if (k === "D" && cur > 0) cur--;
          else if (k === "H") cur = 0;
          else if (k === "F") cur = buf.length;
          else if (k === "3" && s[i + 1] === "~") {
            i++;
            buf = buf.slice(0, cur) + buf.slice(cur + 1);
          }
        } else if (code >= 32) {
          buf = buf.slice(0, cur) + c + buf.slice(cur);
          cur++;
        }
        redraw();
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
  }
}

/** Reads lines from a non-terminal stdin. */
async function* plainLines(): AsyncGenerator<string> {
  let pending = "";
  const chunk = new Uint8Array(65536);
  for (;;) {
    const n = await Deno.stdin.read(chunk);
    if (n === null) break;
    pending += dec.decode(chunk.subarray(0, n), { stream: true });
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
  }
  if (pending.length) yield pending;
}

/** Whether `code` looks unfinished (open brackets or a trailing backslash). */
function incomplete(code: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return depth > 0 || quote === "`";
}

/** Runs the interactive shell until end of input. */
export async function startRepl(prog: Program, opts: { quiet?: boolean } = {}): Promise<void> {
  const tty = Deno.stdin.isTerminal();
  if (!opts.quiet && tty) {
    console.log(
      `Wyvern ${prog.targetDescription}. prog and the helpers are in scope; Ctrl-D exits.`,
    );
  }
  const history = tty ? loadHistory() : [];
  const lines = tty ? null : plainLines();
  let code = "";
  for (;;) {
    const prompt = code ? "... " : ">>> ";
    let line: string | null;
    if (lines) {
      const r = await lines.next();
      line = r.done ? null : r.value;
    } else {
      line = await readLineRaw(prompt, history);
    }
    if (line === null) break;
    code = code ? `${code}\n${line}` : line;
    if (incomplete(code)) continue;
    const input = code;
    code = "";
    if (!input.trim()) continue;
    if (tty) {
      history.push(input.replace(/\n/g, " "));
      saveHistory(history);
    }
    try {
      const r = await evaluate(input);
      if (r !== undefined) console.log(formatResult(r));
    } catch (e) {
      console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
  }
}
