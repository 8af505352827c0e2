/**
 * ORC: the vmlinux tables (sizes, order, function entries, agreement with
 * the compiler's `.debug_frame`), a module's relocated tables, unwinding
 * the sleeping tasks of the QEMU paging vmcore against drgn's stack traces,
 * and synthetic entries of every type and version.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { relocatedSectionData } from "../../../lib/elf/relocations.ts";
import { CfiTable } from "../../../lib/dwarf/cfi.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { guessOrcVersion, ORC_REG, OrcTable, orcUnwindStep } from "../../../lib/linux/orc.ts";
import type { DwarfRegisters } from "../../../lib/arch/x86_64.ts";
import { KERNEL, pagingVmcore, vmlinux } from "../elf/_fixtures.ts";

const STT_FUNC = 2;

function vmlinuxOrc(elf: ElfFile, relocation = 0n): OrcTable {
  return OrcTable.parse(elf.sectionData(".orc_unwind_ip"), elf.sectionData(".orc_unwind"), {
    ipSectionAddress: elf.section(".orc_unwind_ip")!.addr,
    relocation,
    hasOrcHeader: elf.section(".orc_header") !== undefined,
  });
}

Deno.test({
  name:
    "OrcTable parses the vmlinux tables: sizes, order, entries at function starts, .debug_frame agreement",
  sanitizeResources: false,
  async fn() {
    const elf = ElfFile.open(await vmlinux());
    const ipSec = elf.section(".orc_unwind_ip")!;
    const t0 = performance.now();
    const orc = vmlinuxOrc(elf);
    const ms = performance.now() - t0;
    console.log(
      `vmlinux ORC: ${orc.count} entries parsed in ${ms.toFixed(1)} ms (version ${orc.version})`,
    );
    assert.equal(orc.count, ipSec.size / 4);
    assert.equal(orc.count, elf.section(".orc_unwind")!.size / 6);
    assert.equal(orc.version, 1);
    assert.equal(guessOrcVersion(elf.sectionData(".orc_unwind")), 1);
    // The kernel release says the same (6.1 < 6.3).
    const byRelease = OrcTable.parse(
      elf.sectionData(".orc_unwind_ip"),
      elf.sectionData(".orc_unwind"),
      {
        ipSectionAddress: ipSec.addr,
        kernelRelease: "6.1.0-56-amd64",
      },
    );
    assert.equal(byRelease.version, 1);
    for (let i = 1; i < orc.count; i++) assert.ok(orc.ipAt(i - 1) <= orc.ipAt(i));
    const text = elf.section(".text")!;
    assert.equal(orc.ipAt(0), text.addr); // the first entry is .text's first byte

    // At a C function's first instruction the caller's SP is SP+8 and the
    // return address is at SP (psABI), BP untouched.
    // (Global C functions: local symbols include .cold parts and asm labels.)
    const funcs = elf.symbols().filter((s) =>
      s.type === STT_FUNC && s.binding === 1 && !s.name.includes(".") && s.size > 0 &&
      s.value >= text.addr && s.value < text.addr + BigInt(text.size)
    );
    let agree = 0;
    for (const f of funcs) {
      const e = orc.entryForPc(f.value)!;
      if (
        e.type === "call" && e.spReg === ORC_REG.SP && e.spOffset === 8 &&
        e.bpReg === ORC_REG.UNDEFINED
      ) {
        agree++;
      }
    }
    console.log(
      `${agree} of ${funcs.length} .text functions start with sp=SP+8 bp=undefined type=call`,
    );
    assert.ok(agree / funcs.length > 0.999);
    for (const name of ["schedule", "__schedule", "do_sys_open", "kthread", "vfs_read"]) {
      const f = elf.symbols().find((s) => s.name === name && s.type === STT_FUNC)!;
      assert.deepEqual(orc.entryForPc(f.value), {
        spOffset: 8,
        bpOffset: 0,
        spReg: ORC_REG.SP,
        bpReg: ORC_REG.UNDEFINED,
        type: "call",
        signal: false,
      });
    }

    // objtool's ORC and gcc's .debug_frame describe the same previous SP:
    // CFA = rsp+N ↔ sp_reg SP, sp_offset N; CFA = rbp+N ↔ sp_reg BP.
    const cfi = CfiTable.parseDebugFrame(elf.sectionData(".debug_frame"));
    let compared = 0, same = 0;
    for (let i = 0; i < cfi.fdeCount; i += 7) {
      const fde = cfi.fdeAt(i);
      for (const row of cfi.fdeRows(fde)) {
        if (row.cfa.kind !== "register" || row.pcBegin >= fde.pcEnd) continue;
        const e = orc.entryForPc(row.pcBegin);
        if (e === null) continue;
        compared++;
        const reg = row.cfa.register === 7 ? ORC_REG.SP : row.cfa.register === 6 ? ORC_REG.BP : -1;
        if (e.spReg === reg && e.spOffset === row.cfa.offset) same++;
      }
    }
    console.log(`ORC and .debug_frame agree on the CFA at ${same} of ${compared} row starts`);
    assert.ok(compared > 20000 && same / compared > 0.97);

    // KASLR: the same entries, shifted.
    const shifted = vmlinuxOrc(elf, 0x6800000n);
    assert.equal(shifted.ipAt(12345), orc.ipAt(12345) + 0x6800000n);
    assert.equal(shifted.find(orc.ipAt(500) + 0x6800000n), orc.find(orc.ipAt(500)));
    assert.equal(orc.find(text.addr - 1n), -1);
    elf.close();
  },
});

Deno.test("OrcTable reads a module's relocated tables (loop.ko)", () => {
  const elf = ElfFile.open(join(KERNEL, "modules/loop.ko"));
  // Lay the sections out as a loader would: each at its own 64 KiB slot.
  const base = 0xffffffffc0000000n;
  const addr = (i: number) => base + BigInt(i) * 0x10000n;
  const ipSec = elf.section(".orc_unwind_ip")!;
  const ip = relocatedSectionData(elf, ipSec, addr);
  const orc = OrcTable.parse(ip, elf.sectionData(".orc_unwind"), {
    ipSectionAddress: addr(ipSec.index),
  });
  assert.equal(orc.count, ipSec.size / 4);
  // Every IP lies in an executable section of the layout.
  const exec = elf.sections.filter((s) => (s.flags & 4n) !== 0n);
  for (let i = 0; i < orc.count; i++) {
    const pc = orc.ipAt(i);
    assert.ok(
      exec.some((s) => pc >= addr(s.index) && pc <= addr(s.index) + BigInt(s.size)),
      `0x${pc.toString(16)}`,
    );
  }
  // Function entries: sp=SP+8, type call.
  const funcs = elf.symbols().filter((s) =>
    s.type === STT_FUNC && s.size > 0 && s.shndx > 0 && !s.name.includes(".")
  );
  let ok = 0;
  for (const f of funcs) {
    const e = orc.entryForPc(addr(f.shndx) + f.value);
    if (e !== null && e.type === "call" && e.spReg === ORC_REG.SP && e.spOffset === 8) ok++;
  }
  assert.ok(funcs.length > 20 && ok / funcs.length > 0.9, `${ok}/${funcs.length}`);
  elf.close();
});

/** Reads virtual memory of an ELF core with virtual PT_LOADs. */
function coreReader(core: ElfFile): (address: bigint, size: number) => Uint8Array {
  const loads = core.segments.filter((s) => s.type === 1 && s.filesz > 0)
    .sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
  return (address, size) => {
    let l = 0, u = loads.length;
    while (l < u) {
      const m = (l + u) >>> 1;
      if (loads[m]!.vaddr <= address) l = m + 1;
      else u = m;
    }
    const s = loads[l - 1];
    if (s === undefined || address + BigInt(size) > s.vaddr + BigInt(s.filesz)) {
      throw new Error(`address 0x${address.toString(16)} not in the core`);
    }
    return core.reader.readAt(s.offset + Number(address - s.vaddr), size);
  };
}

Deno.test({
  name: "orcUnwindStep unwinds the paging vmcore's sleeping tasks as drgn does",
  sanitizeResources: false,
  async fn() {
    const elf = ElfFile.open(await vmlinux());
    const ref = JSON.parse(
      Deno.readTextFileSync(join(KERNEL, "reference/kaslr-256m/paging.elf.json")),
    ) as {
      kaslr_offset: string;
      stack_traces: Record<
        string,
        { frames: { pc: string; sp: string; is_inline: boolean; interrupted: boolean }[] }
      >;
    };
    const orc = vmlinuxOrc(elf, BigInt(ref.kaslr_offset));
    const core = ElfFile.open(await pagingVmcore());
    const read = coreReader(core);
    const u64 = (a: bigint) => {
      const b = read(a, 8);
      return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    };
    let tasks = 0;
    for (const [name, trace] of Object.entries(ref.stack_traces)) {
      const frames = trace.frames.filter((f) => !f.is_inline);
      if (frames.length < 3) continue; // the running tasks, which drgn 0.0.22 gets wrong
      const pc0 = BigInt(frames[0]!.pc), sp0 = BigInt(frames[0]!.sp);
      // A switched-out task: struct inactive_task_frame {r15 r14 r13 r12 bx bp ret_addr} ends at sp0.
      if (u64(sp0 - 8n) !== pc0) continue;
      let regs: DwarfRegisters = [];
      regs[16] = pc0;
      regs[7] = sp0;
      regs[6] = u64(sp0 - 16n);
      regs[3] = u64(sp0 - 24n);
      let signal = false;
      for (let i = 1; i < frames.length; i++) {
        const step = orcUnwindStep(orc, regs, signal, read);
        assert.equal(
          step.kind,
          "frame",
          `${name} frame ${i}: ${step.kind === "unknown" ? step.reason : ""}`,
        );
        if (step.kind !== "frame") break;
        regs = step.registers;
        signal = step.signal;
        assert.equal(regs[16], BigInt(frames[i]!.pc), `${name} frame ${i} pc`);
        assert.equal(regs[7], BigInt(frames[i]!.sp), `${name} frame ${i} sp`);
        assert.equal(signal, frames[i]!.interrupted, `${name} frame ${i} interrupted`);
      }
      // Kernel threads end at ret_from_fork's end-of-stack entry.
      if (!frames[frames.length - 1]!.interrupted) {
        assert.equal(orcUnwindStep(orc, regs, signal, read).kind, "end", name);
      }
      tasks++;
    }
    assert.ok(tasks >= 9, `unwound ${tasks} tasks`);
    core.close();
    elf.close();
  },
});

// ---- synthetic tables ----

function table(entries: [number, number, number, number, number, number][], version?: 1 | 2 | 3) {
  // entries: [ip, spOffset, bpOffset, spReg, bpReg, typeBits(8..11)]
  const ip = new Uint8Array(entries.length * 4);
  const un = new Uint8Array(entries.length * 6);
  const iv = new DataView(ip.buffer), uv = new DataView(un.buffer);
  entries.forEach(([pc, sp, bp, spReg, bpReg, hi], i) => {
    iv.setInt32(i * 4, pc - i * 4, true); // relative to the entry's own address (section at 0x1000000 - 0)
    uv.setInt16(i * 6, sp, true);
    uv.setInt16(i * 6 + 2, bp, true);
    uv.setUint16(i * 6 + 4, spReg | (bpReg << 4) | (hi << 8), true);
  });
  return OrcTable.parse(ip, un, { ipSectionAddress: 0n, version });
}

function memory(words: Record<string, bigint>): (a: bigint, n: number) => Uint8Array {
  return (a, n) => {
    const out = new Uint8Array(n);
    const v = new DataView(out.buffer);
    for (let i = 0; i < n; i += 8) {
      const w = words[(a + BigInt(i)).toString(16)];
      if (w === undefined) throw new Error(`unmapped 0x${(a + BigInt(i)).toString(16)}`);
      v.setBigUint64(i, w, true);
    }
    return out;
  };
}

Deno.test("orcUnwindStep: call, SP/BP/indirect rules, regs, regs_partial, end, undefined", () => {
  const t = table([
    [0x100, 8, 0, ORC_REG.SP, ORC_REG.UNDEFINED, 0], // call sp+8
    [0x200, 16, -16, ORC_REG.BP, ORC_REG.PREV_SP, 0], // frame pointer frame
    [0x300, 8, 0, ORC_REG.SP_INDIRECT, ORC_REG.UNDEFINED, 0],
    [0x400, 0, 0, ORC_REG.SP, ORC_REG.UNDEFINED, 1], // regs at sp
    [0x500, 0, 0, ORC_REG.SP, ORC_REG.UNDEFINED, 2], // iret frame at sp
    [0x600, 0, 0, ORC_REG.UNDEFINED, ORC_REG.UNDEFINED, 4], // end (v1 end bit)
    [0x700, 0, 0, ORC_REG.UNDEFINED, ORC_REG.UNDEFINED, 0], // undefined
    [0x800, 8, 0, ORC_REG.R10, ORC_REG.UNDEFINED, 0],
  ], 1);
  const regs = (rip: bigint, rsp: bigint, rbp?: bigint) => {
    const r: DwarfRegisters = [];
    r[16] = rip;
    r[7] = rsp;
    if (rbp !== undefined) r[6] = rbp;
    return r;
  };
  // call: return address at sp+8-8.
  let s = orcUnwindStep(t, regs(0x110n, 0x7000n, 0x55n), false, memory({ "7000": 0x210n }));
  assert.equal(s.kind, "frame");
  assert.deepEqual(
    s.kind === "frame" && [s.registers[16], s.registers[7], s.registers[6], s.signal],
    [
      0x210n,
      0x7008n,
      0x55n,
      false,
    ],
  );
  // The lookup uses pc-1 for a return address: 0x201 looks up 0x200.
  s = orcUnwindStep(
    t,
    regs(0x201n, 0x7008n, 0x7100n),
    false,
    memory({ "7108": 0x310n, "7100": 0x7200n }),
  );
  assert.ok(s.kind === "frame");
  assert.deepEqual([s.registers[16], s.registers[7], s.registers[6]], [0x310n, 0x7110n, 0x7200n]);
  // Without signal, pc 0x200 would look up 0x1ff (the call entry).
  s = orcUnwindStep(t, regs(0x200n, 0x7000n), false, memory({ "7000": 0x1n }));
  assert.ok(s.kind === "frame" && s.registers[7] === 0x7008n);
  // SP_INDIRECT: sp = *rsp + 8.
  s = orcUnwindStep(t, regs(0x301n, 0x7000n), false, memory({ "7000": 0x8000n, "8000": 0x410n }));
  assert.ok(s.kind === "frame");
  assert.deepEqual([s.registers[16], s.registers[7]], [0x410n, 0x8008n]);
  // REGS: a struct pt_regs at sp.
  const pt: Record<string, bigint> = {};
  for (let i = 0; i < 21; i++) pt[(0x9000 + i * 8).toString(16)] = BigInt(0x1000 + i);
  s = orcUnwindStep(t, regs(0x401n, 0x9000n), false, memory(pt));
  assert.ok(s.kind === "frame");
  assert.equal(s.signal, true);
  assert.equal(s.registers[16], 0x1010n); // ip is member 16
  assert.equal(s.registers[7], 0x1013n); // sp is member 19
  assert.equal(s.registers[15], 0x1000n); // r15 first
  assert.equal(s.registers[0], 0x100an); // ax
  // REGS_PARTIAL: the iret frame at sp; other registers carry over.
  const r5 = regs(0x501n, 0xa000n, 0x77n);
  r5[3] = 0x33n;
  s = orcUnwindStep(
    t,
    r5,
    false,
    memory({ a000: 0x123n, a008: 0x10n, a010: 0x246n, a018: 0xb000n, a020: 0x18n }),
  );
  assert.ok(s.kind === "frame");
  assert.deepEqual([
    s.registers[16],
    s.registers[7],
    s.registers[49],
    s.registers[3],
    s.registers[6],
  ], [
    0x123n,
    0xb000n,
    0x246n,
    0x33n,
    0x77n,
  ]);
  assert.equal(orcUnwindStep(t, regs(0x601n, 0n), false, memory({})).kind, "end");
  assert.equal(orcUnwindStep(t, regs(0x701n, 0n), false, memory({})).kind, "unknown");
  assert.equal(orcUnwindStep(t, regs(0x50n, 0n), false, memory({})).kind, "unknown");
  // R10 needs r10.
  assert.equal(orcUnwindStep(t, regs(0x801n, 0n), false, memory({})).kind, "unknown");
  const r10 = regs(0x801n, 0n);
  r10[10] = 0xc000n;
  s = orcUnwindStep(t, r10, false, memory({ bff8: 0x42n }));
  assert.ok(s.kind === "frame" && s.registers[16] === 0x42n && s.registers[7] === 0xc000n);
});

Deno.test("OrcTable decodes versions 2 and 3 and sorts unsorted tables", () => {
  // Version 3: type CALL = 2, END_OF_STACK = 1, REGS = 3 with the signal bit.
  const v3 = table([
    [0x100, 8, 0, ORC_REG.SP, 0, 2],
    [0x200, 0, 0, ORC_REG.UNDEFINED, 0, 1],
    [0x300, 0, 0, ORC_REG.SP, 0, 3 | 8],
    [0x400, 0, 0, ORC_REG.SP, 0, 2],
  ]);
  assert.equal(v3.version, 3);
  assert.equal(v3.entryAt(0).type, "call");
  assert.equal(v3.entryAt(1).type, "end_of_stack");
  assert.deepEqual([v3.entryAt(2).type, v3.entryAt(2).signal], ["regs", true]);
  // Version 2: end in bit 11, signal in bit 10.
  const v2 = table([
    [0x100, 8, 0, ORC_REG.SP, 0, 0],
    [0x200, 0, 0, ORC_REG.UNDEFINED, 0, 8],
    [0x300, 0, 0, ORC_REG.SP, 0, 1 | 4],
  ]);
  assert.equal(v2.version, 2);
  assert.equal(v2.entryAt(1).type, "end_of_stack");
  assert.deepEqual([v2.entryAt(2).type, v2.entryAt(2).signal], ["regs", true]);
  // Unsorted (as in a module before the kernel sorts it).
  const u = table([[0x300, 8, 0, ORC_REG.SP, 0, 0], [0x100, 16, 0, ORC_REG.SP, 0, 0]], 1);
  assert.equal(u.ipAt(0), 0x100n);
  assert.equal(u.entryForPc(0x150n)!.spOffset, 16);
  assert.equal(u.entryForPc(0x350n)!.spOffset, 8);
});

Deno.test("OrcTable: malformed section sizes give DecodeError", () => {
  assert.throws(
    () => OrcTable.parse(new Uint8Array(6), new Uint8Array(6), { ipSectionAddress: 0n }),
    isDecodeError,
  );
  assert.throws(
    () => OrcTable.parse(new Uint8Array(4), new Uint8Array(7), { ipSectionAddress: 0n }),
    isDecodeError,
  );
  assert.throws(
    () => OrcTable.parse(new Uint8Array(8), new Uint8Array(6), { ipSectionAddress: 0n }),
    isDecodeError,
  );
});
