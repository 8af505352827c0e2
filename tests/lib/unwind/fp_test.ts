/**
 * Frame-pointer unwinding: the gcc -O0 `threads` frames in the executable
 * (built with frame pointers) against drgn's CFI-based stack traces, and
 * the sanity checks on synthetic stacks.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { framePointerStep } from "../../../lib/unwind/fp.ts";
import { type DwarfRegisters, x86_64RegisterNumber } from "../../../lib/arch/x86_64.ts";
import { USER } from "../elf/_fixtures.ts";
import { openUserCore } from "./_user_core.ts";

Deno.test("framePointerStep follows the rbp chain of the gcc -O0 threads core as drgn's CFI does", () => {
  const ref = JSON.parse(
    Deno.readTextFileSync(join(USER, "reference/gcc-O0/threads.gcore.json")),
  ) as {
    stack_traces: {
      frames: { pc: unknown; sp: string; is_inline: boolean; registers: Record<string, string> }[];
    }[];
  };
  const core = openUserCore("gcc-O0", "threads.gcore");
  const exe = core.modules.find((m) => m.path.endsWith("/threads"))!;
  const inExe = (pc: bigint) => pc >= exe.start && pc < exe.end;
  let checked = 0;
  for (const trace of ref.stack_traces) {
    const frames = trace.frames.filter((f) => !f.is_inline && typeof f.pc === "string");
    for (let i = 0; i + 1 < frames.length; i++) {
      const f = frames[i]!;
      if (!inExe(BigInt(f.pc as string))) continue;
      const regs: DwarfRegisters = [];
      for (const [name, v] of Object.entries(f.registers)) {
        regs[x86_64RegisterNumber(name)!] = BigInt(v);
      }
      const step = framePointerStep(regs, { read: core.read });
      assert.ok(step.kind === "frame", step.kind === "unknown" ? step.reason : step.kind);
      const next = frames[i + 1]!;
      assert.equal(step.registers[16], BigInt(next.pc as string));
      assert.equal(step.registers[7], BigInt(next.sp));
      assert.equal(step.registers[6], BigInt(next.registers.rbp!));
      checked++;
    }
  }
  assert.ok(checked >= 15, `${checked} frames`);
  core.close();
});

Deno.test("framePointerStep: sanity checks", () => {
  const mem = new Map<bigint, bigint>([
    [0x1000n, 0x1100n],
    [0x1008n, 0x4444n],
    [0x1100n, 0x1000n], // points back down: a loop
    [0x1108n, 0x5555n],
    [0x1200n, 0n],
    [0x1208n, 0x6666n],
  ]);
  const read = (a: bigint, n: number) => {
    const out = new Uint8Array(n);
    const v = new DataView(out.buffer);
    for (let i = 0; i < n; i += 8) {
      const w = mem.get(a + BigInt(i));
      if (w === undefined) throw new Error("unmapped");
      v.setBigUint64(i, w, true);
    }
    return out;
  };
  const regs = (rbp: bigint | undefined, rsp: bigint) => {
    const r: DwarfRegisters = [];
    r[7] = rsp;
    if (rbp !== undefined) r[6] = rbp;
    return r;
  };
  const s = framePointerStep(regs(0x1000n, 0xff0n), { read });
  assert.ok(s.kind === "frame");
  assert.deepEqual([s.registers[16], s.registers[7], s.registers[6]], [0x4444n, 0x1010n, 0x1100n]);
  // A loop: 0x1100 -> 0x1000 is found at the next step (rbp below rsp).
  const s2 = framePointerStep(regs(0x1100n, 0x1010n), { read });
  assert.ok(s2.kind === "frame");
  assert.equal(framePointerStep(s2.registers, { read }).kind, "unknown");
  assert.ok(framePointerStep(regs(0x1200n, 0x1010n), { read }).kind === "frame"); // caller rbp 0 ok
  assert.equal(framePointerStep(regs(0n, 0x1010n), { read }).kind, "end");
  assert.equal(framePointerStep(regs(undefined, 0x1010n), { read }).kind, "unknown");
  assert.equal(framePointerStep(regs(0x1004n, 0xff0n), { read }).kind, "unknown"); // misaligned
  assert.equal(framePointerStep(regs(0x1000n, 0x2000n), { read }).kind, "unknown"); // below rsp
  assert.equal(framePointerStep(regs(0x3000n, 0x2000n), { read }).kind, "unknown"); // unreadable
  assert.equal(
    framePointerStep(regs(0x1000n, 0xff0n), { read, stackBounds: [0x1100n, 0x2000n] }).kind,
    "unknown",
  );
});
