/**
 * x86-64 register facts: `struct pt_regs` against the vmlinux DWARF (read
 * by drgn), NT_PRSTATUS registers against drgn's frame-0 registers, DWARF
 * register names against readelf's.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  PT_REGS,
  PT_REGS_SIZE,
  ptRegsToDwarf,
  x86_64RegisterName,
  x86_64RegisterNumber,
} from "../../../lib/arch/x86_64.ts";
import { run, USER, vmlinux } from "../elf/_fixtures.ts";
import { openUserCore } from "../unwind/_user_core.ts";

Deno.test({
  name: "PT_REGS matches struct pt_regs of the vmlinux (drgn)",
  sanitizeResources: false,
  async fn() {
    const path = await vmlinux();
    const out = await run("/usr/bin/python3", [
      "-c",
      `import drgn
prog = drgn.Program()
prog.load_debug_info([${JSON.stringify(path)}])
t = prog.type("struct pt_regs")
print(" ".join(f"{m.name}={m.bit_offset // 8}" for m in t.members), drgn.sizeof(t))`,
    ]);
    const [members, size] = out.trim().split(/ (?=\d+$)/);
    const ref = Object.fromEntries(
      members!.split(" ").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]),
    );
    assert.deepEqual(ref, { ...PT_REGS });
    assert.equal(Number(size), PT_REGS_SIZE);
  },
});

Deno.test("ptRegsToDwarf maps pt_regs members to DWARF registers", () => {
  const b = new Uint8Array(PT_REGS_SIZE);
  const v = new DataView(b.buffer);
  for (const off of Object.values(PT_REGS)) v.setBigUint64(off, BigInt(off + 1), true);
  const r = ptRegsToDwarf(b);
  assert.equal(r[x86_64RegisterNumber("rip")!], BigInt(PT_REGS.ip + 1));
  assert.equal(r[x86_64RegisterNumber("rsp")!], BigInt(PT_REGS.sp + 1));
  assert.equal(r[x86_64RegisterNumber("rbx")!], BigInt(PT_REGS.bx + 1));
  assert.equal(r[x86_64RegisterNumber("rdx")!], BigInt(PT_REGS.dx + 1));
  assert.equal(r[x86_64RegisterNumber("eflags")!], BigInt(PT_REGS.flags + 1));
  assert.equal(r.filter((x) => x !== undefined).length, 20); // all but orig_ax
  const partial = ptRegsToDwarf(b.subarray(PT_REGS.ip), true);
  assert.equal(partial[16], BigInt(PT_REGS.ip + 1));
  assert.equal(partial[7], BigInt(PT_REGS.sp + 1));
  assert.equal(partial[3], undefined);
  assert.throws(() => ptRegsToDwarf(b.subarray(0, 100)), RangeError);
});

Deno.test("prstatusToDwarf gives drgn's frame-0 registers for every thread of a core", () => {
  const ref = JSON.parse(
    Deno.readTextFileSync(join(USER, "reference/gcc-O0/threads.gcore.json")),
  ) as { stack_traces: { tid: number; frames: { registers: Record<string, string> }[] }[] };
  const core = openUserCore("gcc-O0", "threads.gcore");
  for (const trace of ref.stack_traces) {
    const t = core.threads.find((x) => x.tid === trace.tid)!;
    const regs = trace.frames[0]!.registers;
    assert.ok(Object.keys(regs).length >= 20);
    for (const [name, value] of Object.entries(regs)) {
      const n = x86_64RegisterNumber(name);
      assert.ok(n !== undefined, name);
      assert.equal(x86_64RegisterName(n), name);
      assert.equal(t.registers[n], BigInt(value), `${trace.tid} ${name}`);
    }
  }
  core.close();
});

Deno.test("x86_64RegisterName agrees with readelf's DWARF register names", async () => {
  // readelf prints register operands of CFA instructions as "rN (name)".
  // (It exits 1 on libc.so.6 without a message, so its status is ignored.)
  const out = await new Deno.Command("readelf", {
    args: ["--debug-dump=frames", "/usr/lib/x86_64-linux-gnu/libc.so.6"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const seen = new Map<number, string>();
  for (const m of text.matchAll(/\br(\d+) \(([a-z0-9.]+)\)/g)) seen.set(Number(m[1]), m[2]!);
  assert.ok(seen.size >= 10);
  for (const [n, name] of seen) assert.equal(x86_64RegisterName(n), name, `r${n}`);
  assert.equal(x86_64RegisterName(17), "xmm0");
  assert.equal(x86_64RegisterName(49), "rflags");
  assert.equal(x86_64RegisterName(58), "fs.base");
  assert.equal(x86_64RegisterName(118), "k0");
  assert.equal(x86_64RegisterName(200), "r200");
  assert.equal(x86_64RegisterNumber("nope"), undefined);
});
