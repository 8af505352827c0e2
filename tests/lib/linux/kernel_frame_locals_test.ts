/**
 * Parameters and local variables in kernel stack frames, against drgn
 * 0.0.22's values for every frame of every task of the kernel fixture
 * (tests/data/kernel/modules/gen_frame_locals.py). Frames above the first
 * need the caller's callee-saved registers (rbx, r12–r15), which ORC does
 * not track: they come from the DWARF CFI, as drgn's unwinding gives them.
 *
 * Where drgn has a value, Wyvern's is the same string; where drgn fails
 * (DW_OP_entry_value, which it does not implement) or gives `<absent>`
 * (DW_OP_fbreg in the frame a task switched in), Wyvern gives a value or
 * `<absent>`, never an error. One drgn value is wrong: a DW_OP_addr pointer
 * it does not relocate by the KASLR offset (rcu_gp_fqs_loop's rnp).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { forEachTask } from "../../../helpers/mod.ts";
import { kernelProgram } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const REF: Json = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../data/kernel/modules/frame_locals.json", import.meta.url),
  ),
);
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

// Tasks whose trace drgn 0.0.22 gets wrong (see kernel_test.ts and
// kernel_stack_test.ts): PID 1 gets CPU 0's idle registers, 113's user-mode
// pc is 0, and 115 is a zombie whose stack was freed.
const OTHER_TRACE = new Set(["1", "113", "115"]);

Deno.test("kernel frames: every parameter and local of every task, as drgn gives them", async () => {
  const prog = await kernelProgram();
  const bad: string[] = [];
  const counts = { same: 0, drgnAbsent: 0, drgnError: 0 };
  for (const task of forEachTask(prog)) {
    const pid = String(task.pid.value_());
    const want = REF.tasks[pid] as Json[];
    assert.ok(want !== undefined, `task ${pid} is in drgn's list`);
    if (OTHER_TRACE.has(pid)) continue;
    const frames = [...prog.stackTrace(task)];
    assert.deepEqual(
      frames.map((f) => [f.name, "0x" + f.pc.toString(16)]),
      want.map((f) => [f.name, f.pc]),
      `task ${pid}: frames`,
    );
    frames.forEach((f, i) => {
      const ref = want[i].locals as [string, Json][];
      assert.deepEqual(f.locals(), ref.map(([n]) => n), `task ${pid} #${i}: names`);
      for (const [name, r] of ref) {
        let text: string;
        try {
          text = String(f.get(name));
        } catch (e) {
          bad.push(`${pid} #${i} ${f.name} ${name}: ${(e as Error).message}`);
          continue;
        }
        if (r.sha256 !== undefined) {
          if (f.name === "rcu_gp_fqs_loop" && name === "rnp") {
            assert.match(text, /^\*\(struct rcu_node \*\)\(rcu_state\+0x0 = 0x/);
          } else if (sha(text) === r.sha256) counts.same++;
          else bad.push(`${pid} #${i} ${f.name} ${name}: ${text.slice(0, 80)}`);
        } else if (r.absent) counts.drgnAbsent++;
        else counts.drgnError++;
      }
    });
  }
  assert.deepEqual(bad, []);
  assert.ok(counts.same > 1400, JSON.stringify(counts));
});
