/**
 * scripts/eager_functions.ts: the bundle's top-level function declarations
 * become parenthesized expressions at the top of the module, class members
 * are defined by a static block, nested functions are parenthesized, and
 * the module behaves as before (hoisting, names, text, exports, property
 * attributes, private names); V8 then compiles them with the module.
 */

import assert from "node:assert/strict";
import { eagerFunctions, functionKeys, importCycle } from "../../scripts/eager_functions.ts";
import { profileNames } from "../../scripts/bundle.ts";

const load = (text: string) =>
  import(`data:text/javascript,${encodeURIComponent(text)}`) as Promise<Record<string, unknown>>;

const MODULE = `
let count = 0;
const early = twice(21);
function twice(x) { count++; return 2 * x; }
async function later() { return early + 1; }
function* gen(n) { for (let i = 0; i < n; i++) yield inner(i); function inner(i) { return i * i; } }
{ function blockScoped() { return "block"; } }
export function exported() { return typeof blockScoped; }
const arrow = (a, b) => twice(a) + b;
export { early, later, gen, arrow, twice as renamed };
export const seen = () => count;
`;

Deno.test("top-level function declarations become eager expressions, and the module is unchanged", async () => {
  const out = eagerFunctions(MODULE);
  // Hoisted before the first statement, in source order, each one parenthesized.
  assert.ok(
    out.startsWith(
      "\nvar twice=(function twice(x) { count++; return 2 * x; });" +
        "var later=(async function later() { return early + 1; });" +
        "var gen=(function* gen(n) {",
    ),
    out.slice(0, 200),
  );
  // Nested, block-scoped and exported declarations stay where they were.
  assert.match(out, /function inner\(i\)/);
  assert.match(out, /\{ function blockScoped\(\)/);
  assert.match(out, /export function exported\(\)/);
  assert.equal((out.match(/function twice/g) ?? []).length, 1);

  const [before, after] = await Promise.all([load(MODULE), load(out)]);
  for (const m of [before, after]) {
    assert.equal(m.early, 42);
    assert.equal(await (m.later as () => Promise<number>)(), 43);
    assert.deepEqual([...(m.gen as (n: number) => Iterable<number>)(4)], [0, 1, 4, 9]);
    assert.equal((m.arrow as (a: number, b: number) => number)(1, 5), 7);
    assert.equal((m.exported as () => string)(), "undefined"); // block-scoped in a module
    assert.equal((m.renamed as () => number).name, "twice");
    assert.equal((m.renamed as () => number).length, 1);
  }
  assert.equal(String(after.renamed), String(before.renamed));
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
});

Deno.test("imports stay first; a module without declarations is returned as it is", () => {
  const text = 'import { a } from "./a.js";\nimport "./b.js";\nfunction f() { return a; }\nf();\n';
  assert.equal(
    eagerFunctions(text),
    'import { a } from "./a.js";\nimport "./b.js";\nvar f=(function f() { return a; });\nf();\n',
  );
  const none = "const x = 1;\nexport { x };\n";
  assert.equal(eagerFunctions(none), none);
});

Deno.test("with a profile, only the functions it names become eager", async () => {
  const out = eagerFunctions(MODULE, new Set(["later", "exported", "inner", "absent"]));
  assert.ok(out.startsWith("\nvar later=(async function later() { return early + 1; });let count"));
  // The others (and the exported, nested ones even if named) stay declarations where they were.
  assert.match(out, /\nfunction twice\(x\)/);
  assert.match(out, /\nfunction\* gen\(n\)/);
  assert.match(out, /function inner\(i\)/);
  assert.match(out, /export function exported\(\)/);
  const [before, after] = await Promise.all([load(MODULE), load(out)]);
  assert.equal(after.early, before.early);
  assert.equal(await (after.later as () => Promise<number>)(), 43);
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  assert.equal(eagerFunctions(MODULE, new Set()), MODULE);
});

Deno.test("functionKeys() finds declared and eager functions at their keyword, nested ones by number", () => {
  const text = eagerFunctions(MODULE, new Set(["twice"]));
  const fns = functionKeys(text);
  assert.deepEqual([...fns.values()].sort(), ["arrow/1", "gen", "later", "twice"]);
  for (const [at, name] of fns) {
    if (name.includes("/")) continue;
    assert.match(text.slice(at), new RegExp(`^(async )?function\\*? ?${name}\\(`));
  }
  assert.match(text.slice([...fns].find(([, k]) => k === "arrow/1")![0]), /^\(a, b\) =>/);
});

Deno.test("an eager profile lists one name per line; # and a space start a comment", () => {
  assert.deepEqual(
    [...profileNames("# header\nalpha\n\n  beta  # note\n#\nalpha\nC.#m # private\nC.static #n\n")],
    ["alpha", "beta", "C.#m", "C.static #n"],
  );
});

Deno.test("importCycle() finds a cycle of static imports, and none where there is none", () => {
  const modules = new Map([
    ["a.js", 'import { b } from "./b.js";\nexport const a = 1;\n'],
    ["b.js", 'export * from "./c.js";\nexport const b = 2;\n'],
    ["c.js", 'import "node:fs";\nexport { a } from "./a.js";\n'],
    ["d.js", 'import { a } from "./a.js";\nconst m = import("./d.js");\n'],
  ]);
  assert.deepEqual(importCycle(modules), ["a.js", "b.js", "c.js", "a.js"]);
  modules.set("c.js", 'import "node:fs";\nexport const c = 3;\n');
  assert.equal(importCycle(modules), null, "a dynamic import of itself is no cycle");
});

// Classes as esbuild writes them (`var C = class C {…}`), with every kind of member.
const CLASSES = `
const log = [];
function outer() { return 9; }
var Base = class Base {
  #secret = 41;
  static made = Base.make(4);
  constructor(a, b = 2) {
    this.a = a;
    this.b = b;
    log.push("constructed " + a);
    // A constructor this long (${"x".repeat(500)}) is moved.
  }
  static make(x) { return x * 2; }
  get secret() { return this.#secret + 1; }
  set secret(v) { this.#secret = v; }
  #twice(x) { return this.#plus(x) * 2; }
  #plus(x) { return x + this.#secret; }
  #kept() { return 7; }
  viaReference() { const f = this.#kept; return f.call(this); }
  run(x) { return this.#twice(this.#plus(x)); }
  nested(xs) { return xs.map((x) => x + 1).filter(function keep(x) { return x > 2; }); }
  recursive(n) { return n <= 0 ? 0 : 1 + this.recursive(n - 1); }
  ownName() { const ownName = 3; return ownName; }
  outer() { return outer() + 1; }
  [Symbol.iterator]() { return [1, 2][Symbol.iterator](); }
  *gen() { yield this.a; yield this.b; }
  async later() { return this.a + 5; }
  "quoted name"() { return "q"; }
  delete() { return "a reserved word"; }
};
var Derived = class extends Base {
  constructor() { super(10); this.d = true; }
  run(x) { return super.run(x) + 1; }
  made() { return new.target === undefined; }
  plain() { return this.d; }
};
Base.hook = (x) => x * 3;
Base.hook2 = function (x) { return x * 4; };
export { Base, Derived, log };
`;

Deno.test("class members become eager and behave as before", async () => {
  const out = eagerFunctions(CLASSES);
  // One static block first in each class; super, new.target, computed keys,
  // reserved names, a body using an outer variable of the member's name and
  // a private method used other than by calls stay in place.
  assert.match(out, /var Base = class Base \{static\{/);
  assert.match(
    out,
    /var Derived = class extends Base \{static\{Object\.defineProperty\(this\.prototype,"plain"/,
  );
  assert.match(out, /\n {2}run\(x\) \{ return super\.run\(x\) \+ 1; \}/);
  assert.match(out, /\n {2}made\(\) \{ return new\.target/);
  assert.match(out, /\n {2}\[Symbol\.iterator\]\(\)/);
  assert.match(out, /\n {2}delete\(\)/);
  assert.match(out, /\n {2}outer\(\) \{ return outer\(\) \+ 1; \}/);
  assert.match(out, /"ownName",\{value:\(function ownName\(\)/, "its own variable hides its name");
  assert.match(out, /\n {2}#kept\(\) \{ return 7; \}/);
  assert.doesNotMatch(out, /\n {2}#twice\(/);
  assert.match(
    out,
    /__eager\$\d+\.call\(this,__eager\$\d+\.call\(this,x\)\)/,
    "nested private calls",
  );
  // (A default value: the arguments are passed on as they are.)
  assert.match(out, /constructor\(a\)\{return __eager\$\d+\.apply\(this,arguments\)\}/);
  assert.match(out, /filter\(\(function keep/);
  assert.match(out, /map\(\(\(x\) => x \+ 1\)\)/);

  const [before, after] = await Promise.all([load(CLASSES), load(out)]);
  const results = [];
  for (const m of [before, after]) {
    // deno-lint-ignore no-explicit-any
    const { Base, Derived, log } = m as any;
    const b = new Base(3);
    const r: unknown[] = [Base.made, b.a, b.b, b.secret, b.run(1), b.viaReference()];
    b.secret = 1;
    r.push(b.secret, b.run(1), b.nested([1, 2, 3]), b.recursive(3), b.ownName(), b.outer(), [...b]);
    r.push([...b.gen()], await b.later(), b["quoted name"](), b.delete());
    const d = new Derived();
    r.push(d.run(1), d.made(), d.plain(), d.a, d instanceof Base, [...log], Base.hook(2));
    r.push(Base.hook2(2));
    // Every own property of the prototypes and classes: same attributes,
    // names, lengths (in another order: those moved are defined last).
    for (const o of [Base.prototype, Base, Derived.prototype, Derived]) {
      const keys = Reflect.ownKeys(o).sort((a, b) => String(a).localeCompare(String(b)));
      for (const k of keys) {
        const desc = Object.getOwnPropertyDescriptor(o, k)!;
        const f = desc.value ?? desc.get;
        r.push([
          String(k),
          desc.enumerable,
          desc.configurable,
          desc.writable,
          typeof desc.set,
          typeof f === "function" ? [f.name.replace(/^get /, ""), f.length] : typeof f,
        ]);
      }
    }
    results.push(r);
  }
  assert.deepEqual(results[1], results[0]);
});

Deno.test("a profile picks members and nested functions by key", () => {
  const keys = [...functionKeys(CLASSES).values()];
  for (
    const k of [
      "Base.constructor",
      "Base.static make",
      "Base.get secret",
      "Base.set secret",
      "Base.#twice",
      "Base.run",
      "Base.nested/1",
      "Base.nested/2",
      "Derived.plain",
      "@Base.hook/1",
      "@Base.hook2/1",
    ]
  ) assert.ok(keys.includes(k), k);
  const out = eagerFunctions(CLASSES, new Set(["Base.run", "Base.nested/2", "@Base.hook2/1"]));
  assert.match(out, /\nBase\.hook = \(x\) => x \* 3;\nBase\.hook2 = \(function \(x\)/);
  assert.match(
    out,
    /static\{Object\.defineProperty\(this\.prototype,"run",\{value:\(function run\(x\)/,
  );
  assert.match(out, /filter\(\(function keep/);
  assert.match(out, /map\(\(x\) => x \+ 1\)/, "not in the profile");
  assert.match(out, /\n {2}#twice\(x\)/, "not in the profile");
  assert.equal(eagerFunctions(CLASSES, new Set()), CLASSES);
});

Deno.test("V8 compiles the functions made eager with the module (Deno caches them)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-eager-" });
  try {
    Deno.writeTextFileSync(`${dir}/classes.js`, eagerFunctions(CLASSES));
    Deno.writeTextFileSync(
      `${dir}/main.js`,
      'import { Base } from "./classes.js";\nconst b = new Base(1);\n' +
        "console.log(b.run(1), b.nested([3]), b.secret, Base.make(1), b.outer());\n",
    );
    const parsed = async () => {
      const log = `${dir}/v8.log`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--v8-flags=--log-function-events,--logfile=" + log, "main.js"],
        cwd: dir,
        env: { DENO_DIR: `${dir}/deno` },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      // V8 names its log isolate-<address>-<pid>-v8.log beside the one asked for.
      const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith("v8.log"))!.name;
      const text = Deno.readTextFileSync(`${dir}/${file}`);
      Deno.removeSync(`${dir}/${file}`);
      const script = /^script-details,(\d+),[^\n]*classes\.js/m.exec(text)?.[1];
      assert.ok(script !== undefined, "the log names the module");
      return text.split("\n").filter((l) => l.startsWith(`function,parse-function,${script},`))
        .map((l) => l.split(",").at(-1));
    };
    await parsed(); // the first run fills Deno's code cache
    const lazy = await parsed();
    // Only what is no function of the profile's kinds (a constructor wrapper
    // is one line) is parsed on the second run.
    // The constructor's wrapper and a member left in place are parsed on their first call.
    assert.ok(lazy.includes("Base") && lazy.includes("outer"), lazy.join(" "));
    for (const name of ["run", "nested", "secret", "make", "twice", "plus", "keep"]) {
      assert.ok(!lazy.includes(name), `${name} compiled lazily: ${lazy.join(" ")}`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
