/**
 * helpers/common/stack.ts: printAnnotatedStack on a sleeping task's kernel
 * stack against drgn 0.0.22's print_annotated_stack() on the same dumps
 * (tests/data/helpers/mm_slab_fs_goldens.json). Wyvern also names vmap
 * stack and vmalloc addresses, which drgn 0.0.22 leaves bare: those
 * annotations are checked apart.
 */

import assert from "node:assert/strict";
import { printAnnotatedStack } from "../../../helpers/common/stack.ts";
import { findTask } from "../../../helpers/linux/pid.ts";
import { type HelperDump, helperGolden, helperProgram } from "../linux/_mm_slab_fs.ts";

for (const dump of ["kdump", "la57", "sample"] as HelperDump[]) {
  Deno.test(`printAnnotatedStack on ${dump}: a sleeping task's stack as drgn`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump).annotatedStack;
    const task = findTask(prog, g.pid);
    const lines: string[] = [];
    printAnnotatedStack(prog.stackTrace(task), (l) => lines.push(l));
    let vmap = 0;
    const stack = task.stack.value_() as bigint;
    const stripped = lines.map((l) => {
      const m = / \[vmap stack: (\d+) \(([^)]*)\) \+0x([0-9a-f]+)\]$/.exec(l);
      if (m === null) return l;
      vmap++;
      // The word is an address in this task's own stack.
      assert.equal(Number(m[1]), g.pid);
      assert.equal(m[2], task.comm.string_());
      assert.equal(BigInt("0x" + l.split(" ")[1]), stack + BigInt("0x" + m[3]));
      return l.slice(0, m.index);
    });
    assert.ok(vmap > 0, "stack addresses on the stack");
    assert.equal(stripped.join("\n") + "\n", g.text);
  });
}
