/**
 * helpers/common/memory.ts on the kernel dumps: identifyAddress against
 * drgn 0.0.22's identify_address() (slab objects allocated and free,
 * symbols, unknown addresses; tests/data/helpers/mm_slab_fs_goldens.json),
 * plus the vmap-stack wording of later drgn releases where 0.0.22 says
 * nothing; printAnnotatedMemory over task memory.
 */

import assert from "node:assert/strict";
import { identifyAddress, printAnnotatedMemory } from "../../../helpers/common/memory.ts";
import { findTask } from "../../../helpers/linux/pid.ts";
import { FaultError } from "../../../lib/errors.ts";
import { HELPER_DUMPS, helperGolden, helperProgram, hx } from "../linux/_mm_slab_fs.ts";

for (const dump of HELPER_DUMPS) {
  Deno.test(`identifyAddress on ${dump}: as drgn, and vmap stacks`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    const cache = new Map<string, unknown>();
    let stacks = 0;
    for (const a of g.addresses) {
      const addr = BigInt(a.address);
      let want = a.identify;
      const m = /^task (\d+) stack\+0x100$/.exec(a.label);
      if (m !== null) {
        // drgn 0.0.22 does not know vmap stacks; later drgn prints this.
        assert.equal(want, null);
        const s = g.stacks.find((x: { pid: number }) => x.pid === Number(m[1]));
        want = `vmap stack: ${s.pid} (${s.comm}) +${hx(addr - BigInt(s.stack))}`;
        stacks++;
      }
      assert.equal(identifyAddress(prog, addr), want, `${dump} ${a.label}`);
      assert.equal(identifyAddress(prog, addr, { cache }), want, `${dump} ${a.label} (cached)`);
    }
    assert.equal(stacks, 3);
    // Other vmalloc areas (ioremap, per-CPU IRQ stacks, idle tasks' stacks).
    assert.ok(g.vmaps.length >= 3);
    for (const v of g.vmaps) {
      const want = `vmap: ${v.start}-${v.end}${v.caller === null ? "" : ` caller ${v.caller}`}`;
      assert.equal(identifyAddress(prog, BigInt(v.start) + 0x10n, { cache }), want);
    }
    // The object form.
    const init = prog.object("init_task");
    assert.equal(
      identifyAddress(init.comm.addressOf_()),
      "object symbol: init_task+" + hx(
        (init.comm.addressOf_().value_() as bigint) - (init.addressOf_().value_() as bigint),
      ),
    );
  });

  Deno.test(`printAnnotatedMemory on ${dump}: words with what they point to`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    const byAddress = new Map<string, string | null>(
      g.addresses.map((a: { address: string; identify: string | null }) => [a.address, a.identify]),
    );
    const task = findTask(prog, 1);
    const at = task.mm.address_!;
    const lines: string[] = [];
    printAnnotatedMemory(prog, at, 8, false, (l) => lines.push(l));
    const mm = hx(task.mm);
    assert.deepEqual(lines, [
      "ADDRESS           VALUE",
      `${at.toString(16).padStart(16, "0")}: ${mm.slice(2).padStart(16, "0")} [${
        byAddress.get(mm)
      }]`,
    ]);
    // Physical addresses, and a trailing partial word.
    const phys = task.files.address_! - (prog.object("page_offset_base").value_() as bigint);
    lines.length = 0;
    printAnnotatedMemory(prog, phys, 12, true, (l) => lines.push(l));
    assert.equal(lines.length, 3);
    assert.equal(
      lines[1],
      `${phys.toString(16).padStart(16, "0")}: ${hx(task.files).slice(2)} [${
        byAddress.get(hx(task.files))
      }]`,
    );
    assert.throws(() => printAnnotatedMemory(prog, 0x10n, 8, false, () => {}), FaultError);
  });
}
