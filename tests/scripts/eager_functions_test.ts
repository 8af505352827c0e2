/**
 * scripts/eager_functions.ts: the bundle's top-level function declarations
 * become parenthesized expressions at the top of the module, and the module
 * behaves as before (hoisting, names, text, exports).
 */

import assert from "node:assert/strict";
import { eagerTopLevelFunctions, importCycle } from "../../scripts/eager_functions.ts";

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
