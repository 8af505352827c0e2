/**
 * Lists (helpers/linux/list.ts, list_nulls.ts, llist.ts): the userspace
 * datastructs fixture's kernel-layout lists against drgn's reference JSON,
 * the kernel dump's lists against drgn's goldens, and corrupted lists in
 * memory built by the test (a cycle must throw ValidationError, not hang).
 */

import assert from "node:assert/strict";
import { ValidationError } from "../../../lib/errors.ts";
import { containerOf, objectAt } from "../../../lib/object/operators.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";
import {
  hlistEmpty,
  hlistForEach,
  hlistForEachEntry,
  listCountNodes,
  listEmpty,
  listFirstEntry,
  listFirstEntryOrNull,
  listForEach,
  listForEachEntry,
  listForEachEntryReverse,
  listForEachReverse,
  listIsSingular,
  listLastEntry,
  listNextEntry,
  listPrevEntry,
  validateList,
  validateListForEach,
  validateListForEachEntry,
} from "../../../helpers/linux/list.ts";
import {
  hlistNullsEmpty,
  hlistNullsForEachEntry,
  isANulls,
} from "../../../helpers/linux/list_nulls.ts";
import {
  llistEmpty,
  llistFirstEntry,
  llistForEach,
  llistForEachEntry,
  llistIsSingular,
  llistNextEntry,
} from "../../../helpers/linux/llist.ts";
import { userProgram, userReference } from "../../_programs.ts";
import { dumpProgram, golden, hex, mapWords, validationGoldens } from "./_dumps.ts";

// ---------------------------------------------------------------- userspace

for (const variant of ["gcc-O0", "clang-O0", "gcc-dwarf4-O2"]) {
  Deno.test(`list helpers on the ${variant} datastructs core: as drgn`, async () => {
    const prog = await userProgram(variant, "datastructs");
    // deno-lint-ignore no-explicit-any
    const w = (userReference(variant, "datastructs") as any).walks;
    const tasks = prog.object("g_tasks").addressOf_();
    const got = [...listForEachEntry("struct task", tasks, "node")].map((t) => ({
      addr: hex(t),
      id: t.id.value_(),
      name: t.name.string_(),
      state: String(t.state.format_({ typeName: false })),
      prio: t.prio.value_(),
      flags: Number(t.flags.value_()),
      weight: t.weight.value_(),
    }));
    assert.deepEqual(got, w.tasks_list_for_each_entry);
    const ids = (it: Iterable<TypedObject>) => [...it].map((t) => t.id.value_());
    assert.deepEqual(
      ids(listForEachEntryReverse("struct task", tasks, "node")),
      w.tasks_reverse_ids,
    );
    assert.deepEqual(
      ids(listForEachEntry("struct task", prog.object("g_tasks_by_prio").addressOf_(), "by_prio")),
      w.tasks_by_prio_ids,
    );
    // Plain list_head iteration and container_of by hand.
    assert.deepEqual(
      ids([...listForEach(tasks)].map((n) => containerOf(n, "struct task", "node"))),
      w.tasks_manual_container_of_ids,
    );
    assert.deepEqual(
      [...listForEachReverse(tasks)].map(hex),
      [...listForEach(tasks)].map(hex).reverse(),
    );
    const first = listFirstEntry(tasks, "struct task", "node");
    assert.equal(String(first), w.first_entry_str);
    assert.equal(listLastEntry(tasks, "struct task", "node").name.string_(), w.last_entry_name);
    assert.equal(listNextEntry(first, "node").id.value_(), 1);
    assert.equal(listPrevEntry(listNextEntry(first, "node"), "node").id.value_(), 0);
    assert.equal(listEmpty(prog.object("g_empty_list").addressOf_()), w.empty_list_empty);
    assert.equal(listEmpty(prog.object("g_tasks")), w.tasks_list_empty); // a reference works as &head
    assert.equal(listIsSingular(tasks), false);
    assert.equal(listCountNodes(tasks), 10);
    assert.equal(listCountNodes(prog.object("g_empty_list").addressOf_()), 0);
    const empty = listFirstEntryOrNull(
      prog.object("g_empty_list").addressOf_(),
      "struct task",
      "node",
    );
    assert.equal(empty.value_(), 0n);
    assert.equal(empty.type_.toString(), "struct task *");
    assert.equal(w.validate_list, "ok");
    validateList(tasks);
    assert.deepEqual([...validateListForEach(tasks)].map(hex), [...listForEach(tasks)].map(hex));
    assert.deepEqual(
      ids(validateListForEachEntry("struct task", tasks, "node")),
      w.tasks_manual_container_of_ids,
    );

    const table = prog.object("g_kv_table");
    const buckets = [];
    for (let i = 0; i < 16; i++) {
      const head = table.subscript_(i).addressOf_();
      const kvs = [...hlistForEachEntry("struct kv", head, "hnode")];
      buckets.push(kvs.map((e) => [e.key.string_(), e.value.value_()]));
      assert.equal(hlistEmpty(head), kvs.length === 0);
      assert.deepEqual([...hlistForEach(head)].map(hex), kvs.map((e) => hex(e.hnode.addressOf_())));
    }
    assert.deepEqual(buckets, w.kv_hlist_buckets);
  });
}

// ---------------------------------------------------------------- kernel

Deno.test("list helpers on the kernel dump: modules and the task list, as drgn", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const g = golden("mdf-c-d31.kdump").lists;
  const mods = prog.object("modules").addressOf_();
  const names = (it: Iterable<TypedObject>) => [...it].map((m) => m.name.string_());
  assert.deepEqual(names(listForEachEntry("struct module", mods, "list")), g.modules);
  assert.deepEqual(
    names(listForEachEntryReverse("struct module", mods, "list")),
    g.modules_reverse,
  );
  assert.deepEqual([...listForEach(mods)].map(hex), g.modules_nodes);
  assert.equal([...listForEach(mods)][0]!.type_.toString(), "struct list_head *");
  const tasks = prog.object("init_task").tasks.addressOf_();
  assert.equal(listCountNodes(tasks), g.init_tasks_count);
  assert.equal(hex(listFirstEntry(tasks, "struct task_struct", "tasks")), g.init_tasks_first);
  assert.deepEqual(
    [...listForEachEntry("struct task_struct", tasks, "tasks")].map(hex),
    g.init_tasks_entries,
  );
  validateList(tasks);
  validateList(mods);
  assert.deepEqual(
    [...validateListForEachEntry("struct task_struct", tasks, "tasks")].map(hex),
    g.init_tasks_entries,
  );
});

Deno.test("list helpers on the kernel dump: every task's children, as drgn", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  for (const t of golden("mdf-c-d31.kdump").tasks) {
    const task = objectAt(prog, "struct task_struct", BigInt(t.address));
    const head = task.children.addressOf_();
    const kids = [...listForEachEntry("struct task_struct", head, "sibling")];
    assert.deepEqual(kids.map((k) => k.pid.value_()), t.children, t.comm);
    assert.equal(listEmpty(head), t.children_empty);
    assert.equal(listIsSingular(head), t.children_singular);
    if (kids.length > 0) {
      assert.equal(hex(listFirstEntry(head, "struct task_struct", "sibling")), t.children_first);
      assert.equal(hex(listLastEntry(head, "struct task_struct", "sibling")), t.children_last);
    } else {
      assert.equal(listFirstEntryOrNull(head, "struct task_struct", "sibling").value_(), 0n);
    }
    const threads = [
      ...listForEachEntry(
        "struct task_struct",
        task.signal.thread_head.addressOf_(),
        "thread_node",
      ),
    ];
    assert.deepEqual(threads.map((k) => k.pid.value_()), t.threads);
  }
});

Deno.test("hlistNullsForEachEntry() on the kernel dump: TCP hash chains, as drgn", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const g = golden("mdf-c-d31.kdump").hlist_nulls;
  const hi = prog.object("tcp_hashinfo");
  const member = "__sk_common.skc_nulls_node";
  const lhash2 = [];
  const n = Number(hi.lhash2_mask.value_()) + 1;
  for (let i = 0; i < n; i++) {
    const head = hi.lhash2[i].nulls_head.addressOf_();
    const socks = [...hlistNullsForEachEntry("struct sock", head, member)].map(hex);
    assert.equal(hlistNullsEmpty(head), socks.length === 0);
    assert.equal(isANulls(head.first), socks.length === 0);
    if (socks.length) lhash2.push([i, socks]);
  }
  assert.deepEqual(lhash2, g.lhash2);
  const ehash = [];
  const m = Number(hi.ehash_mask.value_()) + 1;
  for (let i = 0; i < m; i++) {
    const socks = [
      ...hlistNullsForEachEntry("struct sock", hi.ehash[i].chain.addressOf_(), member),
    ];
    if (socks.length) ehash.push([i, socks.map(hex)]);
  }
  assert.deepEqual(ehash, g.ehash);
});

// ---------------------------------------------------------------- corrupted lists

/** A corrupted list from the generator, mapped into a fresh datastructs program. */
async function goldenList(name: string) {
  const prog = await userProgram("gcc-O0", "datastructs");
  const c = validationGoldens().list[name];
  mapWords(prog, BigInt(validationGoldens().base), (c.words as string[]).map((w) => BigInt(w)));
  return { head: objectAt(prog, "struct list_head", BigInt(c.head)).addressOf_(), drgn: c.drgn };
}

Deno.test("list walks throw ValidationError on a cycle that misses the head, never hang", async () => {
  // H -> A -> B -> C -> B (drgn's list_for_each() would never return).
  const { head, drgn } = await goldenList("cycle");
  const walks: [string, () => unknown][] = [
    ["listForEach", () => [...listForEach(head)]],
    ["listForEachEntry", () => [...listForEachEntry("struct task", head, "node")]],
    ["listCountNodes", () => listCountNodes(head)],
  ];
  for (const [name, f] of walks) {
    assert.throws(
      f,
      /list \(struct list_head \*\)0x10000000 has a cycle that does not return/,
      name,
    );
  }
  // validateList() reports the first bad prev pointer, as drgn does.
  assert.throws(
    () => validateList(head),
    (e: Error) => e instanceof ValidationError && e.message === drgn.message,
  );
  // Backwards the prev pointers are a proper circle: H <- A <- B <- C <- H.
  assert.deepEqual([...listForEachReverse(head)].map(hex), [
    "0x10000030",
    "0x10000020",
    "0x10000010",
  ]);
});

Deno.test("validateList() names the first node whose next does not point back, as drgn", async () => {
  // H <-> A -> B, but B.prev is H.
  const { head, drgn } = await goldenList("bad prev");
  assert.equal([...listForEach(head)].length, 2); // the plain walk does not check prev
  assert.equal(drgn.error, "ValidationError");
  assert.throws(
    () => validateList(head),
    (e: Error) => e instanceof ValidationError && e.message === drgn.message,
  );
  const seen: string[] = [];
  assert.throws(() => {
    for (const n of validateListForEach(head)) seen.push(hex(n));
  }, ValidationError);
  assert.deepEqual(seen, ["0x10000010"]); // yielded before its next is checked, as drgn
});

Deno.test("hlist, hlist_nulls and llist walks throw ValidationError on a cycle", async () => {
  const user = await userProgram("gcc-O0", "datastructs");
  // hlist: first -> A -> B -> A.
  const base = 0x1000_0000n;
  const [H, A, B] = [base, base + 16n, base + 32n];
  mapWords(user, base, [A, 0n, B, H, A, A]);
  const hhead = objectAt(user, "struct hlist_head", H).addressOf_();
  assert.throws(() => [...hlistForEach(hhead)], ValidationError);
  assert.throws(() => [...hlistForEachEntry("struct kv", hhead, "hnode")], /hlist/);

  // The kernel's hlist_nulls_head and llist_head, on an address the dump has no memory at.
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const kb = 0x7100_0000_0000n;
  const [N, X, Y] = [kb, kb + 16n, kb + 32n];
  // nulls: first -> X -> Y -> X; llist: first -> X -> Y -> X (llist_node.next at 0).
  mapWords(prog, kb, [X, 0n, Y, 0n, X, 0n]);
  const nhead = objectAt(prog, "struct hlist_nulls_head", N).addressOf_();
  assert.throws(
    () => [...hlistNullsForEachEntry("struct sock", nhead, "__sk_common.skc_nulls_node")],
    ValidationError,
  );
  const lhead = objectAt(prog, "struct llist_head", N).addressOf_();
  assert.throws(() => [...llistForEach(lhead)], ValidationError);
  assert.throws(() => [...llistForEachEntry("struct file", lhead, "f_llist")], ValidationError);
});

Deno.test("llist helpers on an llist built in memory, and the kernel's empty delayed_fput_list", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const fput = prog.object("delayed_fput_list").addressOf_();
  assert.equal(llistEmpty(fput), true);
  assert.equal(llistIsSingular(fput), false);
  assert.equal(llistFirstEntry(fput, "struct file", "f_llist").value_(), 0n);
  assert.deepEqual([...llistForEach(fput)], []);

  // head -> n1 -> n2 -> n3 -> NULL, nodes of struct llist_node at 0x..10, 0x..20, 0x..30.
  const kb = 0x7200_0000_0000n;
  mapWords(prog, kb, [kb + 16n, 0n, kb + 32n, 0n, kb + 48n, 0n, 0n, 0n]);
  const head = objectAt(prog, "struct llist_head", kb).addressOf_();
  assert.equal(llistEmpty(head), false);
  assert.equal(llistIsSingular(head), false);
  const nodes = [...llistForEach(head)];
  assert.deepEqual(nodes.map(hex), ["0x720000000010", "0x720000000020", "0x720000000030"]);
  assert.equal(nodes[0]!.type_.toString(), "struct llist_node *");
  assert.deepEqual([...llistForEach(head.first)].map(hex), nodes.map(hex));
  const off = BigInt(prog.type("struct file").member("f_llist").bitOffset / 8);
  const files = [...llistForEachEntry("struct file", head, "f_llist")];
  assert.deepEqual(files.map((f) => f.value_() as bigint + off), nodes.map((n) => n.value_()));
  const first = llistFirstEntry(head, "struct file", "f_llist");
  assert.equal(hex(first), hex(files[0]!));
  assert.equal(hex(llistNextEntry(first, "f_llist")), hex(files[1]!));
  assert.equal(llistNextEntry(files[2]!, "f_llist").value_(), 0n);
  const single = objectAt(prog, "struct llist_head", kb + 32n).addressOf_(); // -> n3 only
  assert.equal(llistIsSingular(single), true);
});
