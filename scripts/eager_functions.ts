// A step of scripts/bundle.ts: the functions of a bundled module that
// sessions usually call become eagerly compiled.
//
// V8 compiles a function lazily, on its first call, unless it is wrapped in
// parentheses (its hint for immediately invoked functions): those it
// compiles with the module, and Deno caches their bytecode with the
// module's. So a script that starts from the bundle no longer parses and
// compiles, on every run, each of Wyvern's functions it calls. A kernel
// task list from a warm index cache called about 640 of them: the 380
// top-level functions made eager first saved 1.7 ms; the ~260 others,
// class members and nested functions (V8's own log, `--log-function-events`:
// 4 ms parsing them, 2.3 ms making their bytecode) now are too. Every
// function made eager costs each import its share of the code cache to
// read, used or not, so only those of scripts/eager_profile.txt are (the
// functions that typical sessions ran, written by
// scripts/gen_eager_profile.ts; all of them would make the cache 60% larger
// and the start slower: `--v8-flags=--no-lazy`, which a script cannot set).
//
// Each function of the profile is named by a key (`functionKeys`), and
// made eager as its kind allows:
//
// - a top-level function declaration (`f`) becomes a parenthesized named
//   expression assigned at the top of the module:
//   `function f(a) {…}` → `var f=(function f(a) {…});`
// - a public method or accessor of a top-level class (`C.m`, `C.static m`,
//   `C.get x`, `C.set x`) is defined by a static block put first in the
//   class body: `static{Object.defineProperty(this.prototype,"m",
//   {value:(function m(a){…}),writable:!0,configurable:!0});}` (a function
//   parenthesized in a class's static block is compiled with the module,
//   and sees the class's private names);
// - a private method (`C.#m`) becomes a function of that static block
//   (`__eager$1=(function m(a){…});`) and its calls call it
//   (`this.#m(x)` → `__eager$1.call(this,x)`), unless it is used otherwise;
// - a base class's constructor (`C.constructor`) of 500 characters or more
//   keeps a one-line body that calls its old body, made such a function:
//   `constructor(a){return __eager$2.call(this,a)}`;
// - a function or arrow function nested in a function, a member, a
//   top-level variable's value or a top-level statement (`f/3`: the third
//   function in `f`, in source order; `@Program.targetOpeners.coreDump/1`)
//   is wrapped in parentheses.
//
// Semantics are kept: declarations are hoisted to the top of their scope
// anyway, so the assignments are put before the module's first statement
// (after its imports), in source order; each keeps its name (a named
// expression), its text, `length` and `toString()`. Declarations under
// `export` are left alone. A moved method keeps its name, `this`, its
// property's attributes (not enumerable; writable and configurable) and
// its access to private names; it is defined before any static field or
// block of its class runs (after the class's own members: the order of
// `Reflect.ownKeys` on the prototype differs). One Object.defineProperty()
// per member: one Object.defineProperties() per class was 1-2 ms slower.
// Members that use `super` or `new.target`, whose body uses an outer
// variable of their name (a named function expression would bind it), with
// a computed key, and constructors of derived classes stay as they are.
// Differences remain: a moved private method's calls no longer check that
// the object has it (a TypeError before), and across an import cycle, a
// module evaluated first could call the other's functions before that one
// runs (declarations are bound at instantiation); scripts/bundle.ts checks
// that its modules import no cycle (see `importCycle`).

import * as acorn from "acorn";

// deno-lint-ignore no-explicit-any
type Node = acorn.Node & Record<string, any>;

/** A function that can be made eager. */
interface Site {
  /** Its profile key (see the module doc). */
  key: string;
  /** Where V8's coverage starts it (its keyword, or its member's name). */
  at: number;
  kind: "top" | "eagerTop" | "member" | "nested";
  /** The function node (for a member: its MethodDefinition). */
  node: Node;
  /** For a member: its class; for a nested function: its parent node. */
  owner: Node | null;
}

function parse(text: string): Node {
  return acorn.parse(text, {
    ecmaVersion: "latest",
    sourceType: "module",
    preserveParens: true,
  }) as Node;
}

/** The child nodes of `node`. */
function* children(node: Node): Generator<Node> {
  for (const k in node) {
    if (k === "type" || k === "start" || k === "end") continue;
    const v = node[k];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") yield c;
    } else if (v && typeof v.type === "string") yield v;
  }
}

/**
 * Whether `node` or a node under it satisfies `pred` (called with each
 * node's parent; `parent` is `node`'s), in source order: a predicate that
 * never holds visits every node.
 */
function anyNode(
  node: Node,
  pred: (n: Node, parent: Node | null) => boolean,
  parent: Node | null = null,
): boolean {
  if (pred(node, parent)) return true;
  for (const c of children(node)) if (anyNode(c, pred, node)) return true;
  return false;
}

const isFunction = (n: Node) =>
  n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression" ||
  n.type === "FunctionDeclaration";

/** The function-valued expression under parentheses, or null. */
function unparen(n: Node | null | undefined): Node | null {
  while (n?.type === "ParenthesizedExpression") n = n.expression;
  return n ?? null;
}

/** The profile key of a class member, or null for a computed key or a field. */
function memberKey(cls: string, m: Node): string | null {
  if (m.type !== "MethodDefinition") return null;
  let name: string;
  if (m.key.type === "PrivateIdentifier") name = `#${m.key.name}`;
  else if (m.computed) return null;
  else if (m.key.type === "Identifier") name = m.key.name;
  else if (m.key.type === "Literal") name = String(m.key.value);
  else return null;
  if (m.kind === "constructor") return `${cls}.constructor`;
  const kind = m.kind === "get" || m.kind === "set" ? `${m.kind} ` : "";
  return `${cls}.${m.static ? "static " : ""}${kind}${name}`;
}

/** Every function of `text` (an ES module) that can be made eager, by key. */
function sites(text: string, ast: Node): Site[] {
  const out: Site[] = [];
  // Functions nested in `root` (not itself), numbered in source order.
  const nested = (owner: string, root: Node) => {
    let n = 0;
    anyNode(root, (c, node) => {
      if (c === root || !isFunction(c)) return false;
      n++;
      const method = node!.type === "MethodDefinition" ||
        (node!.type === "Property" && (node!.method || node!.kind !== "init"));
      if (c.type !== "FunctionDeclaration" && !method) {
        out.push({ key: `${owner}/${n}`, at: c.start, kind: "nested", node: c, owner: node });
      }
      return false;
    });
  };
  const classSites = (name: string, cls: Node) => {
    for (const m of cls.body.body as Node[]) {
      const key = memberKey(name, m);
      if (key === null) continue;
      // V8 starts a member at its name, or at `get`/`set`/`async`/`*`, after `static`.
      let at = m.start;
      if (m.static) {
        at += "static".length;
        while (/\s/.test(text[at]!)) at++;
      }
      out.push({ key, at, kind: "member", node: m, owner: cls });
      nested(key, m.value);
    }
  };
  const leads = new Map<string, number>();
  for (const node of ast.body as Node[]) {
    if (node.type === "FunctionDeclaration") {
      out.push({ key: node.id.name, at: node.start, kind: "top", node, owner: null });
      nested(node.id.name, node);
    } else if (node.type === "ClassDeclaration") {
      classSites(node.id.name, node);
    } else if (node.type === "VariableDeclaration") {
      for (const d of node.declarations as Node[]) {
        if (d.id.type !== "Identifier") continue;
        const init = unparen(d.init);
        if (init?.type === "FunctionExpression") {
          // Made eager already: `var f=(function f…)`.
          out.push({ key: d.id.name, at: init.start, kind: "eagerTop", node: init, owner: null });
          nested(d.id.name, init);
        } else if (init?.type === "ClassExpression") classSites(d.id.name, init);
        else if (d.init) nested(d.id.name, d);
      }
    } else if (node.type === "ExpressionStatement") {
      // `Program.targetOpeners.coreDump = (…) => {…}`, `register((…) => …)`:
      // named by what the statement starts with (`@Program.targetOpeners.coreDump`),
      // numbered if several statements start so.
      const lead = /^[\w$.]+/.exec(text.slice(node.start, node.start + 80))?.[0];
      if (lead === undefined) continue;
      const n = (leads.get(lead) ?? 0) + 1;
      leads.set(lead, n);
      nested(`@${lead}${n > 1 ? `#${n}` : ""}`, node);
    }
  }
  return out;
}

/**
 * The functions of `text` (an ES module) that `eagerFunctions` can make
 * eager: where V8's coverage starts each one → its profile key.
 */
export function functionKeys(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of sites(text, parse(text))) out.set(s.at, s.key);
  return out;
}

/** Text edits of one source, applied at once. */
class Edits {
  #list: { start: number; end: number; text: string; seq: number }[] = [];
  constructor(readonly src: string) {}

  /** Replaces `[start, end)` (an insertion if they are equal). */
  add(start: number, end: number, text: string): void {
    this.#list.push({ start, end, text, seq: this.#list.length });
  }

  /** `src[start, end)` with the edits inside it applied (an edit over a range hides those in it). */
  render(start: number, end: number): string {
    const inside = this.#list
      .filter((e) => e.start >= start && e.end <= end)
      // By start; at one start, insertions (in order) before the longest replacement.
      .sort((a, b) =>
        a.start - b.start || Number(a.end > a.start) - Number(b.end > b.start) ||
        b.end - a.end || a.seq - b.seq
      );
    let out = "";
    let pos = start;
    for (const e of inside) {
      if (e.start < pos) continue;
      out += this.src.slice(pos, e.start) + e.text;
      pos = e.end;
    }
    return out + this.src.slice(pos, end);
  }
}

/** Whether `name` can name a function expression (no reserved word). */
function bindable(name: string): boolean {
  if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === "arguments" || name === "eval") return false;
  try {
    acorn.parse(`(function ${name}(){})`, { ecmaVersion: "latest", sourceType: "module" });
    return true;
  } catch {
    return false;
  }
}

/** The text of function `fn` (a method's value: params and body) as an eager expression named `name`. */
function functionText(edits: Edits, fn: Node, name: string): string {
  const head = `${fn.async ? "async " : ""}function${fn.generator ? "*" : ""} ${name}`;
  return `(${head}${edits.render(fn.start, fn.end)})`;
}

/** A member's name as its property key (a private one without `#`). */
function memberName(m: Node): string {
  return m.key.type === "Identifier" || m.key.type === "PrivateIdentifier"
    ? m.key.name
    : String(m.key.value);
}

/** The name of a member's function once moved (a constructor's: its class's). */
function memberFunctionName(s: Site): string {
  return s.node.kind === "constructor"
    ? s.key.slice(0, -".constructor".length)
    : memberName(s.node);
}

/**
 * Constructors smaller than this stay as they are: the call of their moved
 * body would cost more than parsing them (a `Die` is made per DIE read).
 */
const MIN_CONSTRUCTOR = 500;

/** Whether member `s` can be made eager (see the module doc). */
function movableMember(s: Site): boolean {
  const m = s.node;
  const fn = m.value as Node;
  if (anyNode(fn, (n) => n.type === "Super" || n.type === "MetaProperty")) return false;
  const name = memberFunctionName(s);
  if (!bindable(name) || refersTo(fn, name)) return false;
  if (m.kind === "constructor") {
    return !s.owner!.superClass && !fn.async && !fn.generator && m.end - m.start >= MIN_CONSTRUCTOR;
  }
  if (m.key.type === "PrivateIdentifier") return m.kind === "method";
  return true;
}

/** The names a binding pattern (a parameter, a declarator's id) binds. */
function boundNames(p: Node, out: Set<string>): Set<string> {
  if (p.type === "Identifier") out.add(p.name);
  else if (p.type === "AssignmentPattern") boundNames(p.left, out);
  else if (p.type === "RestElement") boundNames(p.argument, out);
  else if (p.type === "ArrayPattern") { for (const e of p.elements) e && boundNames(e, out); }
  else if (p.type === "ObjectPattern") {
    for (const q of p.properties) boundNames(q.type === "RestElement" ? q : q.value, out);
  }
  return out;
}

/**
 * Whether function `fn` uses the identifier `name` for something else than
 * itself: a variable of an outer scope (not a property name, nor one of its
 * parameters or top-level declarations, which hide its own name too).
 * Naming a function expression `name` would bind such uses to it.
 */
function refersTo(fn: Node, name: string): boolean {
  const own = new Set<string>();
  for (const p of fn.params) boundNames(p, own);
  if (fn.body.type === "BlockStatement") {
    for (const st of fn.body.body as Node[]) {
      if (st.type === "VariableDeclaration") {
        for (const d of st.declarations) boundNames(d.id, own);
      }
      if ((st.type === "FunctionDeclaration" || st.type === "ClassDeclaration") && st.id) {
        own.add(st.id.name);
      }
    }
  }
  if (own.has(name)) return false;
  return usesName(fn, name);
}

/** Whether `node` uses the identifier `name` (not as a property name). */
function usesName(node: Node, name: string): boolean {
  return anyNode(node, (n, parent) => {
    if (n.type !== "Identifier" || n.name !== name) return false;
    const property = parent !== null && !parent.computed &&
      ((parent.type === "MemberExpression" && parent.property === n) ||
        ((parent.type === "Property" || parent.type === "MethodDefinition" ||
          parent.type === "PropertyDefinition") && parent.key === n && !parent.shorthand));
    return !property;
  });
}

/** The uses of a private name in its class. */
interface PrivateUses {
  /** Its plain calls: `obj.#m(…)` (not optional). */
  readonly calls: Node[];
  /** Whether it has other uses: a reference, an optional call, `#m in obj`. */
  other: boolean;
}

/** Every private name used in class `cls` → its uses. */
function privateUses(cls: Node): Map<string, PrivateUses> {
  const out = new Map<string, PrivateUses>();
  const of = (name: string) => {
    let u = out.get(name);
    if (u === undefined) out.set(name, u = { calls: [], other: false });
    return u;
  };
  anyNode(cls.body, (node, parent) => {
    if (node.type === "MemberExpression" && node.property.type === "PrivateIdentifier") {
      const u = of(node.property.name);
      if (
        parent?.type === "CallExpression" && parent.callee === node && !parent.optional &&
        !node.optional
      ) {
        u.calls.push(parent);
      } else u.other = true;
    } else if (node.type === "PrivateIdentifier" && parent?.type === "BinaryExpression") {
      of(node.name).other = true; // `#m in obj`
    }
    return false;
  });
  return out;
}

/**
 * `text` (an ES module) with the functions `eager` names (all those it can,
 * if no profile is given) made eagerly compiled (see the module doc).
 */
export function eagerFunctions(text: string, eager?: ReadonlySet<string>): string {
  const ast = parse(text);
  const all = sites(text, ast);
  const want = (s: Site) => eager === undefined || eager.has(s.key);
  const edits = new Edits(text);
  let helpers = 0;
  const helper = () => `__eager$${helpers++}`;
  if (text.includes("__eager$")) throw new Error("module already uses the name __eager$");
  // Nested functions first: moved text includes them.
  for (const s of all) {
    if (s.kind !== "nested" || !want(s)) continue;
    if (s.owner?.type === "ParenthesizedExpression") continue;
    edits.add(s.node.start, s.node.start, "(");
    edits.add(s.node.end, s.node.end, ")");
  }
  // Class members, into one static block per class. First the calls of the
  // private methods to move (innermost first: a call's text includes those
  // in its arguments), then the members (a body's text includes its calls).
  const blocks = new Map<Node, string[]>();
  const movable = all.filter((s) => s.kind === "member" && want(s) && movableMember(s));
  const privates = new Map<Node, Map<string, string>>(); // class → private method → helper
  const calls: { node: Node; helper: string }[] = [];
  const uses = new Map<Node, Map<string, PrivateUses>>();
  for (const s of movable) {
    const m = s.node;
    const cls = s.owner!;
    if (m.key.type !== "PrivateIdentifier") continue;
    let classUses = uses.get(cls);
    if (classUses === undefined) uses.set(cls, classUses = privateUses(cls));
    const u = classUses.get(m.key.name);
    if (u?.other) continue;
    const h = helper();
    const map = privates.get(cls) ?? new Map<string, string>();
    map.set(m.key.name, h);
    privates.set(cls, map);
    for (const node of u?.calls ?? []) calls.push({ node, helper: h });
  }
  calls.sort((a, b) => (a.node.end - a.node.start) - (b.node.end - b.node.start));
  for (const { node: call, helper: h } of calls) {
    const obj = edits.render(call.callee.object.start, call.callee.object.end);
    const args = call.arguments.length === 0
      ? ""
      : "," + edits.render(call.arguments[0].start, call.arguments.at(-1).end);
    edits.add(call.start, call.end, `${h}.call(${obj}${args})`);
  }
  for (const s of movable) {
    const m = s.node;
    const fn = m.value as Node;
    const cls = s.owner!;
    const block = blocks.get(cls) ?? [];
    const name = memberFunctionName(s);
    if (m.key.type === "PrivateIdentifier") {
      const h = privates.get(cls)?.get(m.key.name);
      if (h === undefined) continue;
      block.push(`${h}=${functionText(edits, fn, name)};`);
      edits.add(m.start, m.end, "");
    } else if (m.kind === "constructor") {
      const h = helper();
      // The parameters up to the first default, rest or pattern (the
      // constructor's `length`); the arguments passed on as they are.
      const params = fn.params as Node[];
      let n = params.findIndex((p) => p.type !== "Identifier");
      if (n < 0) n = params.length;
      const args = params.slice(0, n).map((p) => p.name).join(",");
      const call = n === params.length
        ? `${h}.call(this${args ? "," + args : ""})`
        : `${h}.apply(this,arguments)`;
      block.push(`${h}=${functionText(edits, fn, name)};`);
      edits.add(fn.start, fn.end, `(${args}){return ${call}}`);
    } else {
      const target = m.static ? "this" : "this.prototype";
      const f = functionText(edits, fn, name);
      const desc = m.kind === "method"
        ? `{value:${f},writable:!0,configurable:!0}`
        : `{${m.kind}:${f},configurable:!0}`;
      block.push(`Object.defineProperty(${target},${JSON.stringify(memberName(m))},${desc});`);
      edits.add(m.start, m.end, "");
    }
    blocks.set(cls, block);
  }
  for (const [cls, block] of blocks) {
    if (block.length > 0) {
      edits.add(cls.body.start + 1, cls.body.start + 1, `static{${block.join("")}}`);
    }
  }
  // Top-level declarations, hoisted.
  const hoisted: string[] = [];
  for (const s of all) {
    if (s.kind !== "top" || !want(s)) continue;
    hoisted.push(`var ${s.node.id.name}=(${edits.render(s.node.start, s.node.end)});`);
    edits.add(s.node.start, s.node.end, "");
  }
  const first = (ast.body as Node[]).find((n) => n.type !== "ImportDeclaration");
  if (first === undefined) return text;
  const vars = helpers > 0
    ? `var ${Array.from({ length: helpers }, (_, i) => `__eager$${i}`).join(",")};`
    : "";
  if (hoisted.length > 0 || vars !== "") {
    edits.add(first.start, first.start, vars + hoisted.join(""));
  }
  return edits.render(0, text.length);
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
