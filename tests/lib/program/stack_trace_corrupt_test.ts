/**
 * Corrupt stacks on a program whose memory the test builds: a frame record
 * that points at itself, a return address into nothing, a CFA far above the
 * stack, an unreadable frame and an endless (but sane) chain; and a
 * fixture binary whose .eh_frame disagrees with its .eh_frame_hdr. Each ends the
 * trace with a marker ({@link StackTrace.truncated} and a last line of
 * `String(trace)`), never hangs, and keeps the frames unwound so far.
 */

import assert from "node:assert/strict";
import { Program } from "../../../lib/program/program.ts";
import { Module } from "../../../lib/program/module.ts";
import { MAX_FRAMES, type Unwinder, unwindStack } from "../../../lib/program/stack_trace.ts";
import { cfiUnwindStep } from "../../../lib/unwind/cfi_step.ts";
import type { CfiRow } from "../../../lib/dwarf/cfi.ts";
import { type DwarfRegisters, X86_64_DWARF } from "../../../lib/arch/x86_64.ts";
import { X86_64 as PLATFORM } from "../../../lib/platform.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import "../../../lib/targets.ts";
import { USER, userCorePath } from "../../_programs.ts";
import { join } from "node:path";

const RIP = X86_64_DWARF.rip, RSP = X86_64_DWARF.rsp, RBP = X86_64_DWARF.rbp;
const CODE = 0x400000n, CODE_SIZE = 0x10000n;
const STACK = 0x7ffff0000000n, STACK_SIZE = 0x10000;

/** A program with a code module (no debug info) and a stack the test fills. */
function mockProgram(): { prog: Program; stack: DataView } {
  const prog = new Program(PLATFORM);
  const bytes = new Uint8Array(STACK_SIZE);
  prog.addMemorySegment(STACK, STACK_SIZE, (address, count) => {
    const off = Number(BigInt(address) - STACK);
    return bytes.slice(off, off + count);
  });
  prog.addMemorySegment(CODE, CODE_SIZE, (_a, count) => new Uint8Array(count).fill(0x90));
  prog.addModule(new Module("code", "main", CODE, CODE + CODE_SIZE, 0n));
  return { prog, stack: new DataView(bytes.buffer) };
}

function put(stack: DataView, address: bigint, value: bigint): void {
  stack.setBigUint64(Number(address - STACK), value, true);
}

/** A CFI row applied at every PC (the unwinder a real `.eh_frame` FDE would give). */
function rowUnwinder(row: Partial<CfiRow>): Unwinder {
  const full = {
    cfa: { kind: "register", register: RBP, offset: 16 },
    rules: Object.assign([], {
      [RIP]: { kind: "offset", offset: -8 },
      [RBP]: { kind: "offset", offset: -16 },
    }),
    returnAddressRegister: RIP,
    isSignalFrame: false,
    argsSize: 0,
    ...row,
  } as unknown as CfiRow;
  return (prog, frame) => {
    const step = cfiUnwindStep(full, frame.registers, { read: (a, n) => prog.read(a, n) });
    if (step.kind === "frame") {
      return { kind: "frame", registers: step.registers, cfa: step.cfa, interrupted: false };
    }
    if (step.kind === "end") return { kind: "end" };
    return { kind: "stop", reason: step.reason, truncated: "fault" };
  };
}

function start(sp: bigint, bp: bigint, pc = CODE + 0x100n): DwarfRegisters {
  const r: DwarfRegisters = [];
  r[RIP] = pc;
  r[RSP] = sp;
  r[RBP] = bp;
  return r;
}

Deno.test("corrupt stack: a frame record pointing at itself ends as a loop", () => {
  const { prog, stack } = mockProgram();
  const bp = STACK + 0x100n;
  put(stack, bp, bp); // saved rbp = itself
  put(stack, bp + 8n, CODE + 0x200n);
  const trace = unwindStack(prog, null, start(STACK + 0xf0n, bp), true, {
    unwinders: [rowUnwinder({})],
    framePointers: false,
  });
  assert.equal(trace.truncated, "loop");
  assert.equal(trace.length, 2);
  assert.match(
    String(trace),
    /^#0 {2}0x400100\n#1 {2}0x400200\n\.\.\. stack trace truncated \(loop\)/,
  );
});

Deno.test("corrupt stack: a wild return address ends the trace", () => {
  const { prog, stack } = mockProgram();
  const bp = STACK + 0x100n;
  put(stack, bp, bp + 0x40n);
  put(stack, bp + 8n, 0xdeadbeef000n);
  const trace = unwindStack(prog, null, start(STACK + 0xf0n, bp), true, {
    unwinders: [rowUnwinder({})],
  });
  assert.equal(trace.truncated, "wild_pc");
  assert.equal(trace.length, 2);
  assert.equal(trace[1]!.pc, 0xdeadbeef000n);
  assert.match(String(trace), /truncated \(wild_pc\)/);
});

Deno.test("corrupt stack: an absurd CFA ends the trace", () => {
  const { prog } = mockProgram();
  const unwinder = rowUnwinder({
    cfa: { kind: "register", register: RSP, offset: 0x40000000 },
    rules: Object.assign([], { [RIP]: { kind: "val_offset", offset: 0 } }),
  } as unknown as Partial<CfiRow>);
  const trace = unwindStack(prog, null, start(STACK + 0xf0n, 0n), true, {
    unwinders: [unwinder],
  });
  assert.equal(trace.truncated, "absurd_cfa");
  assert.equal(trace.length, 1);
});

Deno.test("corrupt stack: an unreadable frame ends with a fault marker", () => {
  const { prog } = mockProgram();
  const trace = unwindStack(prog, null, start(STACK + 0xf0n, 0x1000n), true, {
    unwinders: [rowUnwinder({})],
  });
  assert.equal(trace.truncated, "fault");
  assert.equal(trace.length, 1);
  assert.match(trace.stopReason ?? "", /cannot read the return address/);
});

Deno.test("corrupt stack: an endless frame-pointer chain is capped", () => {
  const { prog, stack } = mockProgram();
  // Frame records 16 bytes apart, each pointing at the next, to the top of the stack.
  for (let a = STACK; a + 16n < STACK + BigInt(STACK_SIZE); a += 16n) {
    put(stack, a, a + 16n);
    put(stack, a + 8n, CODE + 0x300n + (a & 0xffn));
  }
  const trace = unwindStack(prog, null, start(STACK, STACK), true, { unwinders: [] });
  assert.equal(trace.truncated, "cap");
  assert.equal(trace.machineFrames.length, MAX_FRAMES);
  assert.match(String(trace).split("\n").pop()!, /truncated \(cap\): 1024 frames unwound/);
  const small = unwindStack(prog, null, start(STACK, STACK), true, {
    unwinders: [],
    maxFrames: 10,
  });
  assert.equal(small.length, 10);
  assert.equal(small.truncated, "cap");
});

Deno.test("corrupt stack: a frame-pointer cycle ends as a loop (rbp must move up the stack)", () => {
  const { prog, stack } = mockProgram();
  const a = STACK + 0x100n, b = STACK + 0x200n;
  put(stack, a, b);
  put(stack, a + 8n, CODE + 0x10n);
  put(stack, b, a); // back down
  put(stack, b + 8n, CODE + 0x20n);
  const trace = unwindStack(prog, null, start(STACK + 0xf0n, a), true, { unwinders: [] });
  assert.equal(trace.length, 3);
  assert.equal(trace.truncated, "loop");
  assert.match(trace.stopReason ?? "", /rbp is below rsp/);
});

Deno.test("corrupt CFI: an .eh_frame that disagrees with .eh_frame_hdr ends the trace there", async () => {
  // The threads fixture's binary with every FDE's pc_begin (pcrel sdata4,
  // as gcc writes it) moved 0x40 bytes on: .eh_frame_hdr still lists each
  // at its old start, so each FDE found for a PC starts elsewhere.
  const bin = join(USER, "out/bin/gcc-O0/threads");
  const bytes = Deno.readFileSync(bin);
  const eh = ElfFile.open(bin).sections.find((s) => s.name === ".eh_frame")!;
  const dv = new DataView(bytes.buffer);
  let moved = 0;
  for (let p = Number(eh.offset), end = p + Number(eh.size); p + 12 <= end;) {
    const len = dv.getUint32(p, true);
    if (len === 0) break;
    if (dv.getUint32(p + 4, true) !== 0) {
      dv.setInt32(p + 8, dv.getInt32(p + 8, true) + 0x40, true);
      moved++;
    }
    p += 4 + len;
  }
  assert.ok(moved > 10, `${moved} FDEs`);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeFileSync(`${dir}/threads`, bytes);
    const core = await userCorePath("gcc-O0", "threads", "gcore");
    const traces = (path: string) => {
      const prog = new Program();
      prog.setCoreDump(core);
      prog.loadDebugInfo([path], { default: false });
      return [...prog.threads()].map((t) => prog.stackTrace(t));
    };
    const good = traces(bin);
    const bad = traces(`${dir}/threads`);
    let cut = 0;
    for (const [i, b] of bad.entries()) {
      const g = good[i]!;
      // The frames up to the first one in the binary's code are kept.
      assert.ok(b.length >= 1 && b.length <= g.length);
      for (let f = 0; f < b.length; f++) assert.equal(b[f]!.summary(), g[f]!.summary());
      if (b.truncated === null) {
        assert.equal(b.length, g.length);
        continue;
      }
      cut++;
      assert.equal(b.truncated, "corrupt_cfi");
      assert.ok(b.length < g.length);
      assert.match(
        String(b).split("\n").at(-1)!,
        /^\.\.\. stack trace truncated \(corrupt_cfi\): Cannot decode .*threads \.eh_frame at offset 0x[0-9a-f]+: FDE starts at 0x[0-9a-f]+, but the search table lists it at 0x[0-9a-f]+$/,
      );
    }
    assert.ok(cut >= 3, `${cut} traces cut`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
