/**
 * CFI unwinding of every thread of the `threads` cores (four compilers and
 * flags, gcore and kernel cores) against drgn 0.0.22's stack traces: the PC,
 * SP and every register drgn recovers, frame by frame.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { cfiUnwindStep } from "../../../lib/unwind/cfi_step.ts";
import { CfiTable, DW_CFA } from "../../../lib/dwarf/cfi.ts";
import { type DwarfRegisters, x86_64RegisterNumber } from "../../../lib/arch/x86_64.ts";
import { USER } from "../elf/_fixtures.ts";
import { openUserCore } from "./_user_core.ts";

interface RefFrame {
  pc: string | { error: string };
  sp: string;
  is_inline: boolean;
  interrupted: boolean;
  registers: Record<string, string>;
}
interface RefTrace {
  tid: number;
  frames: RefFrame[];
}

const CASES: [string, string][] = [];
for (const v of ["gcc-O0", "gcc-dwarf4-O2", "clang-O0", "gcc-split"]) {
  for (const kind of ["gcore", "kcore", "kcore-crash"]) CASES.push([v, kind]);
}

Deno.test("cfiUnwindStep unwinds every thread of the threads cores as drgn does", () => {
  let framesChecked = 0;
  for (const [variant, kind] of CASES) {
    const coreName = kind === "kcore-crash" ? "threads-crash.kcore" : `threads.${kind}`;
    const ref = JSON.parse(
      Deno.readTextFileSync(join(USER, "reference", variant, `threads.${kind}.json`)),
    ) as { stack_traces: RefTrace[] };
    const core = openUserCore(variant, coreName);
    for (const trace of ref.stack_traces) {
      const thread = core.threads.find((t) => t.tid === trace.tid)!;
      assert.ok(thread !== undefined, `thread ${trace.tid}`);
      const frames = trace.frames.filter((f) => !f.is_inline);
      let regs: DwarfRegisters = thread.registers;
      let signal = true; // frame 0's PC is exact
      for (let i = 1; i < frames.length; i++) {
        const where = `${variant} ${kind} tid ${trace.tid} frame ${i}`;
        const pc = regs[16]!;
        const lookup = signal ? pc : pc - 1n;
        const mod = core.module(lookup);
        assert.ok(mod !== undefined, `${where}: no module for 0x${pc.toString(16)}`);
        const row = mod.cfi.rowForPc(lookup);
        assert.ok(row !== null, `${where}: no CFI for 0x${lookup.toString(16)}`);
        const step = cfiUnwindStep(row, regs, { read: core.read });
        const f = frames[i]!;
        if (typeof f.pc !== "string") {
          // drgn's last frame: the return address is undefined.
          assert.equal(step.kind, "end", where);
          assert.ok(step.kind === "end");
          regs = step.registers;
        } else {
          assert.equal(step.kind, "frame", where);
          assert.ok(step.kind === "frame");
          regs = step.registers;
          assert.equal(regs[16], BigInt(f.pc), `${where} pc`);
        }
        assert.equal(regs[7], BigInt(f.sp), `${where} sp`);
        for (const [name, value] of Object.entries(f.registers)) {
          assert.equal(regs[x86_64RegisterNumber(name)!], BigInt(value), `${where} ${name}`);
        }
        signal = row.isSignalFrame;
        framesChecked++;
      }
    }
    core.close();
  }
  assert.ok(framesChecked > 300, `${framesChecked} frames`);
});

Deno.test("cfiUnwindStep evaluates expression rules and reports unknown CFAs", () => {
  // CIE: CFA = rsp+8, RA at CFA-8; FDE: rbx = [CFA-16] via DW_CFA_expression
  // (breg... uses the pushed CFA: DW_OP_lit16 DW_OP_minus), r12 = CFA+0 (val_expression: nothing).
  const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  const le64 = (n: bigint) =>
    Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  const entry = (b: number[]) => [...le32(b.length), ...b];
  const cie = entry([
    ...le32(0xffffffff),
    4,
    0,
    8,
    0,
    1,
    0x78,
    16,
    DW_CFA.def_cfa,
    7,
    8,
    DW_CFA.offset | 16,
    1,
  ]);
  const fde = entry([
    ...le32(0),
    ...le64(0x1000n),
    ...le64(0x100n),
    DW_CFA.expression,
    3,
    2,
    0x40,
    0x1c, // lit16; minus
    DW_CFA.val_expression,
    12,
    0,
    DW_CFA.register,
    13,
    0,
  ]);
  const t = CfiTable.parseDebugFrame(new Uint8Array([...cie, ...fde]));
  const mem = new Map<bigint, bigint>([[0x7ff8n + 8n - 8n, 0x2222n], [0x8000n - 16n, 0x3333n]]);
  const read = (a: bigint, n: number) => {
    const v = mem.get(a);
    if (v === undefined) throw new Error(`unmapped 0x${a.toString(16)}`);
    const out = new Uint8Array(n);
    new DataView(out.buffer).setBigUint64(0, v, true);
    return out;
  };
  const regs: DwarfRegisters = [];
  regs[16] = 0x1010n;
  regs[7] = 0x7ff8n;
  regs[0] = 0x42n;
  regs[6] = 0x99n;
  const step = cfiUnwindStep(t.rowForPc(0x1010n)!, regs, { read, section: ".debug_frame" });
  assert.ok(step.kind === "frame");
  assert.equal(step.cfa, 0x8000n);
  assert.equal(step.registers[16], 0x2222n);
  assert.equal(step.registers[3], 0x3333n);
  assert.equal(step.registers[12], 0x8000n); // empty val_expression: the pushed CFA
  assert.equal(step.registers[13], 0x42n);
  assert.equal(step.registers[6], 0x99n); // rbp: same value by default
  assert.equal(step.registers[0], undefined); // rax: undefined by default
  assert.equal(step.registers[7], 0x8000n); // rsp = CFA by default
  // Unknown CFA register.
  const noSp: DwarfRegisters = [];
  noSp[16] = 0x1010n;
  assert.equal(cfiUnwindStep(t.rowForPc(0x1010n)!, noSp, { read }).kind, "unknown");
  // Unreadable return address.
  const far: DwarfRegisters = [];
  far[16] = 0x1010n;
  far[7] = 0x100000n;
  assert.equal(cfiUnwindStep(t.rowForPc(0x1010n)!, far, { read }).kind, "unknown");
});
