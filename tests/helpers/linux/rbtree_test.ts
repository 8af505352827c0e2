/**
 * Red-black trees (helpers/linux/rbtree.ts): the datastructs fixture's
 * kernel-layout tree against drgn's reference JSON, the kernel's
 * `vmap_area_root` against drgn's goldens, and corrupted trees built in
 * memory (a cycle or a broken invariant must throw ValidationError).
 */

import assert from "node:assert/strict";
import { ValidationError } from "../../../lib/errors.ts";
import { containerOf, objectAt } from "../../../lib/object/operators.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";
import {
  RB_EMPTY_NODE,
  RB_EMPTY_ROOT,
  rbFind,
  rbFirst,
  rbIsBlack,
  rbIsRed,
  rbLast,
  rbNext,
  rbParent,
  rbPrev,
  rbtreeInorderForEach,
  rbtreeInorderForEachEntry,
  validateRbtree,
  validateRbtreeInorderForEachEntry,
} from "../../../helpers/linux/rbtree.ts";
import { userProgram, userReference } from "../../_programs.ts";
import { dumpProgram, golden, hex, mapWords, validationGoldens } from "./_dumps.ts";

const byKey = (a: TypedObject, b: TypedObject) => {
  const x = a.key.value_() as bigint, y = b.key.value_() as bigint;
  return x < y ? -1 : x > y ? 1 : 0;
};

for (const variant of ["gcc-O0", "clang-O0", "gcc-dwarf4-O2"]) {
  Deno.test(`rbtree helpers on the ${variant} datastructs core: as drgn`, async () => {
    const prog = await userProgram(variant, "datastructs");
    // deno-lint-ignore no-explicit-any
    const w = (userReference(variant, "datastructs") as any).walks;
    const root = prog.object("g_rbtree").addressOf_();
    const key = (node: TypedObject) => containerOf(node, "struct item", "rb").key.value_();
    const got = [...rbtreeInorderForEachEntry("struct item", root, "rb")].map((it) => {
      const parent = rbParent(it.rb.addressOf_());
      return {
        key: Number(it.key.value_()),
        label: it.label.string_(),
        hits: it.hits.value_(),
        color: rbIsRed(it.rb.addressOf_()) ? "red" : "black",
        parent_key: parent.value_() === 0n ? null : Number(key(parent)),
      };
    });
    assert.deepEqual(got, w.rbtree_inorder);
    assert.equal(Number(key(rbFirst(root))), w.rb_first_key);
    assert.equal(Number(key(rbLast(root))), w.rb_last_key);
    assert.equal(Number(key(rbNext(rbFirst(root)))), w.rb_next_of_first_key);
    assert.equal(Number(key(rbPrev(rbLast(root)))), w.rb_prev_of_last_key);
    assert.equal(rbNext(rbLast(root)).value_(), 0n);
    assert.equal(rbPrev(rbFirst(root)).value_(), 0n);
    assert.equal(Number(key(root.rb_node)), w.rb_root_key);
    assert.equal(rbIsBlack(root.rb_node), true);
    assert.deepEqual(
      [RB_EMPTY_ROOT(root), RB_EMPTY_ROOT(prog.object("g_empty_rbtree").addressOf_())],
      w.rb_empty_root,
    );
    assert.equal(RB_EMPTY_NODE(root.rb_node), false);
    assert.equal(rbFirst(prog.object("g_empty_rbtree").addressOf_()).value_(), 0n);
    assert.deepEqual([...rbtreeInorderForEach(prog.object("g_empty_rbtree").addressOf_())], []);
    const find = (k: bigint) =>
      rbFind("struct item", root, "rb", k, (k2, it) => {
        const x = it.key.value_() as bigint;
        return k2 < x ? -1 : k2 > x ? 1 : 0;
      });
    assert.equal(String(find(84n)), w.rb_find_84);
    assert.equal(String(find(1000n)), w.rb_find_missing_1000);
    assert.equal(w.validate_rbtree, "ok");
    validateRbtree("struct item", root, "rb", byKey, false);
    assert.deepEqual(
      [...validateRbtreeInorderForEachEntry("struct item", root, "rb", byKey, false)].map(hex),
      [...rbtreeInorderForEachEntry("struct item", root, "rb")].map(hex),
    );
    assert.deepEqual(
      [...rbtreeInorderForEach(root)].map(hex),
      [...rbtreeInorderForEachEntry("struct item", root, "rb")].map((it) =>
        hex(it.rb.addressOf_())
      ),
    );
  });
}

Deno.test("rbtree helpers on the kernel's vmap_area_root: as drgn", async () => {
  for (const dump of ["mdf-c-d31.kdump", "sample"] as const) {
    const prog = await dumpProgram(dump);
    const g = golden(dump).rbtree;
    const root = prog.object("vmap_area_root").addressOf_();
    const entries = [...rbtreeInorderForEachEntry("struct vmap_area", root, "rb_node")];
    assert.deepEqual(entries.map(hex), g.entries);
    assert.deepEqual(entries.map((e) => hex(e.va_start.value_() as bigint)), g.va_start);
    assert.equal(hex(rbFirst(root)), g.rb_first);
    assert.equal(hex(rbLast(root)), g.rb_last);
    assert.equal(hex(rbNext(rbFirst(root))), g.rb_next_first);
    assert.equal(hex(rbPrev(rbLast(root))), g.rb_prev_last);
    assert.equal(hex(rbNext(rbLast(root))), g.rb_next_last);
    assert.equal(hex(rbPrev(rbFirst(root))), g.rb_prev_first);
    // Walking with rbNext from the first node visits the same nodes.
    const seen = [];
    for (let n = rbFirst(root); n.value_() !== 0n; n = rbNext(n)) seen.push(hex(n));
    assert.deepEqual(seen, [...rbtreeInorderForEach(root)].map(hex));
    for (const [key, want] of Object.entries(g.rb_find) as [string, string][]) {
      const found = rbFind("struct vmap_area", root, "rb_node", BigInt(key), (k, va) => {
        const s = va.va_start.value_() as bigint;
        return k < s ? -1 : k > s ? 1 : 0;
      });
      assert.equal(hex(found), want, key);
    }
    validateRbtree("struct vmap_area", root, "rb_node", (a, b) => {
      const x = a.va_start.value_() as bigint, y = b.va_start.value_() as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }, false);
  }
});

// ---------------------------------------------------------------- corrupted trees

/**
 * The generator's small trees (R key 20 black, children L 10 and X 30 red,
 * then one edit per case) mapped into a fresh datastructs program.
 */
async function goldenTree(name: string) {
  const prog = await userProgram("gcc-O0", "datastructs");
  const c = validationGoldens().rbtree[name];
  const words = (c.words as string[]).map((w) => BigInt(w));
  mapWords(prog, BigInt(validationGoldens().base), words);
  return { root: objectAt(prog, "struct rb_root", BigInt(c.root)).addressOf_(), drgn: c.drgn };
}

const validate = (root: TypedObject) => validateRbtree("struct item", root, "rb", byKey, false);

Deno.test("validateRbtree() on corrupted trees: drgn's verdict and message for each", async () => {
  for (const name of Object.keys(validationGoldens().rbtree)) {
    const { root, drgn } = await goldenTree(name);
    if (drgn === "ok") {
      validate(root);
      continue;
    }
    assert.equal(drgn.error, "ValidationError");
    assert.throws(
      () => validate(root),
      (e: Error) => e instanceof ValidationError && e.message === drgn.message,
      name,
    );
  }
});

Deno.test("rbtree walks throw ValidationError on a cycle, never hang", async () => {
  // L's left child is R again: an endless left spine (drgn's plain walks never return).
  const { root } = await goldenTree("cycle");
  const walks: [string, () => unknown][] = [
    ["rbFirst", () => rbFirst(root)],
    ["inorder", () => [...rbtreeInorderForEach(root)]],
    ["inorder entries", () => [...rbtreeInorderForEachEntry("struct item", root, "rb")]],
    ["validate", () => validate(root)],
  ];
  for (const [name, f] of walks) assert.throws(f, ValidationError, name);
  // rbNext() from L (no right child) climbs to its parent R, and from R
  // descends X's left spine: neither path meets the cycle.
  const r = root.rb_node.read_();
  const l = r.rb_left.read_();
  assert.equal(hex(rbNext(l)), hex(r));
  assert.equal(hex(rbNext(r)), hex(r.rb_right));
});
