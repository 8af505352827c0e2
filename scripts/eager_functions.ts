// A step of scripts/bundle.ts: each top-level function declaration of a
// bundled module that sessions usually call becomes a parenthesized named
// function expression assigned at the top of the module:
//
//   function f(a) { ... }     →     var f=(function f(a) { ... });
//
// V8 compiles a function lazily, on its first call, unless it is wrapped in
// parentheses (its hint for immediately invoked functions): those it
// compiles with the module, and Deno caches their bytecode with the
// module's. So a script that starts from the bundle no longer compiles, on
// every run, each of Wyvern's functions it calls (about 150 on a kernel
// dump's task list: 3–4 ms of a 55 ms warm start). Class methods and arrow
// functions have no such hint and stay lazy (`--v8-flags=--no-lazy`, which
// a script cannot set, would compile them too: 1.1 ms more). Which
// functions: the names in scripts/eager_profile.txt, those that typical
// sessions ran (written by scripts/gen_eager_profile.ts). Every function
// made eager costs each import its share of the code cache to read, used
// or not: all 958 of the bundle's made the main chunk's cache 950 KB, the
// 380 of the profile 590 KB, and a warm task list 1.7 ms faster (49.7 →
// 48.0 ms, 30 runs ABBA).
//
// Semantics are kept: declarations are hoisted to the top of their scope
// anyway, so the assignments are put before the module's first statement
// (after its imports), in source order; each keeps its name (a named
// expression), its text, `length` and `toString()`. Declarations under
// `export` are left alone. One difference remains: across an import cycle,
// a module evaluated first could call the other's functions before that
// one runs (declarations are bound at instantiation); scripts/bundle.ts
// checks that its modules import no cycle (see `importCycle`).

import * as acorn from "acorn";

/**
 * `text` (an ES module) with its top-level function declarations as eager
 * expressions: all of them, or those whose names `eager` has.
 */
export function eagerTopLevelFunctions(text: string, eager?: ReadonlySet<string>): string {
  const ast = acorn.parse(text, { ecmaVersion: "latest", sourceType: "module" });
  const hoisted: string[] = [];
  const cuts: [number, number][] = [];
  for (const node of ast.body) {
    if (node.type !== "FunctionDeclaration") continue;
    if (eager !== undefined && !eager.has(node.id.name)) continue;
    hoisted.push(`var ${node.id.name}=(${text.slice(node.start, node.end)});`);
    cuts.push([node.start, node.end]);
  }
  if (hoisted.length === 0) return text;
  const first = ast.body.find((n) => n.type !== "ImportDeclaration")!;
  let out = text.slice(0, first.start) + hoisted.join("");
  let pos = first.start;
  for (const [start, end] of cuts) {
    out += text.slice(pos, start);
    pos = end;
  }
  return out + text.slice(pos);
}

/**
 * The top-level functions of `text` (an ES module), declared or made eager
 * (`var f=(function f…)`): the offset of each one's `function` (or
 * `async`) keyword, where V8's coverage starts it, → its name.
 */
export function topLevelFunctions(text: string): Map<number, string> {
  const ast = acorn.parse(text, { ecmaVersion: "latest", sourceType: "module" });
  const out = new Map<number, string>();
  for (const node of ast.body) {
    if (node.type === "FunctionDeclaration") out.set(node.start, node.id.name);
    if (node.type !== "VariableDeclaration") continue;
    for (const d of node.declarations) {
      if (d.id.type === "Identifier" && d.init?.type === "FunctionExpression") {
        out.set(d.init.start, d.id.name);
      }
    }
  }
  return out;
}

/**
 * A cycle of static imports among `modules` (file name → ES module text,
 * importing each other as `"./name"`), as the list of names around it, or
 * null if there is none.
 */
export function importCycle(modules: ReadonlyMap<string, string>): string[] | null {
  const edges = new Map<string, string[]>();
  for (const [name, text] of modules) {
    const ast = acorn.parse(text, { ecmaVersion: "latest", sourceType: "module" });
    const to: string[] = [];
    for (const node of ast.body) {
      const from = node.type === "ImportDeclaration" ||
          node.type === "ExportAllDeclaration" ||
          (node.type === "ExportNamedDeclaration" && node.source)
        ? node.source!.value
        : null;
      if (typeof from === "string" && from.startsWith("./")) to.push(from.slice(2));
    }
    edges.set(name, to);
  }
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === "done") return null;
    if (s === "open") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "open");
    path.push(name);
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const name of modules.keys()) {
    const cycle = visit(name);
    if (cycle !== null) return cycle;
  }
  return null;
}
