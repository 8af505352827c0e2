/**
 * scripts/eager_functions.ts: the bundle's top-level function declarations
 * become parenthesized expressions at the top of the module, and the module
 * behaves as before (hoisting, names, text, exports).
 */

import assert from "node:assert/strict";
import {
  eagerTopLevelFunctions,
  importCycle,
  topLevelFunctions,
} from "../../scripts/eager_functions.ts";
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
  const out = eagerTopLevelFunctions(MODULE);
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
    eagerTopLevelFunctions(text),
    'import { a } from "./a.js";\nimport "./b.js";\nvar f=(function f() { return a; });\nf();\n',
  );
  const none = "const x = 1;\nexport { x };\n";
  assert.equal(eagerTopLevelFunctions(none), none);
});

Deno.test("with a profile, only the functions it names become eager", async () => {
  const out = eagerTopLevelFunctions(MODULE, new Set(["later", "exported", "inner", "absent"]));
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
  assert.equal(eagerTopLevelFunctions(MODULE, new Set()), MODULE);
});

Deno.test("topLevelFunctions() finds declared and eager functions at their keyword", () => {
  const text = eagerTopLevelFunctions(MODULE, new Set(["twice"]));
  const fns = topLevelFunctions(text);
  assert.deepEqual([...fns.values()].sort(), ["gen", "later", "twice"]);
  for (const [at, name] of fns) {
    assert.match(text.slice(at), new RegExp(`^(async )?function\\*? ?${name}\\(`));
  }
});

Deno.test("an eager profile lists one name per line; # starts a comment", () => {
  assert.deepEqual(
    [...profileNames("# header\nalpha\n\n  beta  # note\n#gamma\nalpha\n")],
    ["alpha", "beta"],
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
