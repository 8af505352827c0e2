/**
 * CFI: every FDE of the fixture binaries, libc and the vmlinux, interpreted
 * row by row, against `readelf --debug-dump=frames-interp`; the
 * `.eh_frame_hdr` index against a walk of `.eh_frame`; malformed input.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CfiTable,
  DW_CFA,
  type Fde,
  formatCfaRule,
  formatCfiRule,
} from "../../../lib/dwarf/cfi.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { x86_64RegisterName, x86_64RegisterNumber } from "../../../lib/arch/x86_64.ts";
import { USER, vmlinux } from "../elf/_fixtures.ts";
import { parseReadelfFrames, type ReadelfFde, readelfFramesInterp } from "./_readelf_frames.ts";

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

function ehFrameTable(elf: ElfFile, useHdr: boolean): CfiTable {
  const eh = elf.section(".eh_frame")!;
  const hdr = elf.section(".eh_frame_hdr");
  return CfiTable.parseEhFrame(elf.sectionData(eh), {
    address: eh.addr,
    hdr: useHdr && hdr !== undefined
      ? { data: elf.sectionData(hdr), address: hdr.addr }
      : undefined,
  });
}

const readelfName = (n: number) => `r${n} (${x86_64RegisterName(n)})`;

/** Compares every FDE of `table` with readelf's interpretation; returns the FDE count. */
function compareWithReadelf(table: CfiTable, text: string): number {
  const ref = parseReadelfFrames(text);
  let fdes = 0;
  for (const e of table.entries()) {
    if (!("pcBegin" in e)) continue;
    const fde = e as Fde;
    fdes++;
    const r: ReadelfFde | undefined = ref.get(fde.offset);
    assert.ok(r !== undefined, `readelf has no FDE at 0x${fde.offset.toString(16)}`);
    assert.equal(fde.pcBegin, r.pcBegin, `pc_begin of FDE 0x${fde.offset.toString(16)}`);
    assert.equal(fde.pcEnd, r.pcEnd, `pc_end of FDE 0x${fde.offset.toString(16)}`);
    assert.equal(fde.cie.offset, r.cie);
    const rows = table.fdeRows(fde);
    assert.equal(rows.length, r.rows.length, `row count of FDE 0x${fde.offset.toString(16)}`);
    const regs = r.columns.map((c) =>
      c === "ra" ? fde.cie.returnAddressRegister : x86_64RegisterNumber(c)!
    );
    for (let i = 0; i < rows.length; i++) {
      const mine = rows[i]!;
      const theirs: ReadelfFde["rows"][number] = r.rows[i]!;
      const where = `FDE 0x${fde.offset.toString(16)} row ${i}`;
      assert.equal(mine.pcBegin, theirs.pc, where);
      assert.equal(formatCfaRule(mine.cfa, x86_64RegisterName), theirs.cfa, where);
      // readelf spells a register rule "r9 (r9)", "r1 (rdx)".
      const values = regs.map((reg) => formatCfiRule(mine.rules[reg], readelfName));
      assert.equal(values.join(" "), theirs.values.join(" "), where);
    }
  }
  assert.equal(fdes, ref.size, "FDE count");
  return fdes;
}

/** Checks that rowForPc agrees with the interpreted rows at each row start and end. */
function checkLookups(table: CfiTable, maxFdes = Infinity): void {
  let n = 0;
  for (const e of table.entries()) {
    if (!("pcBegin" in e)) continue;
    const fde = e as Fde;
    if (fde.pcEnd === fde.pcBegin) continue;
    if (n++ >= maxFdes) break;
    const rows = table.fdeRows(fde);
    for (let i = 0; i < rows.length; i++) {
      const pc = rows[i]!.pcBegin;
      const next = i + 1 < rows.length ? rows[i + 1]!.pcBegin : fde.pcEnd;
      if (next === pc) continue; // superseded by the next row at the same location
      for (const probe of [pc, next - 1n]) {
        const got = table.rowForPc(probe);
        assert.ok(got !== null, `no row at 0x${probe.toString(16)}`);
        assert.equal(got.fde.offset, fde.offset);
        assert.deepEqual(got.cfa, rows[i]!.cfa);
        assert.deepEqual(got.rules, rows[i]!.rules);
        assert.ok(got.pcBegin <= probe && probe < got.pcEnd);
      }
    }
  }
}

Deno.test("CfiTable matches readelf frames-interp on every fixture binary's .eh_frame", async () => {
  for (const v of ["gcc-O0", "gcc-dwarf4-O2", "clang-O0", "gcc-gz"]) {
    for (const p of ["types", "datastructs", "threads", "big"]) {
      const path = join(USER, "out/bin", v, p);
      const elf = ElfFile.open(path);
      const text = await readelfFramesInterp(path);
      const table = ehFrameTable(elf, false);
      const n = compareWithReadelf(table, text);
      assert.ok(n > 5, path);
      const viaHdr = ehFrameTable(elf, true);
      assert.ok(viaHdr.stats.fromHdr);
      checkLookups(viaHdr);
      elf.close();
    }
  }
});

Deno.test("CfiTable matches readelf on libc's .eh_frame, with and without .eh_frame_hdr", async () => {
  const elf = ElfFile.open(LIBC);
  const text = await readelfFramesInterp(LIBC);
  let t0 = performance.now();
  const walked = ehFrameTable(elf, false);
  const walkMs = performance.now() - t0;
  t0 = performance.now();
  const viaHdr = ehFrameTable(elf, true);
  const hdrMs = performance.now() - t0;
  console.log(
    `libc .eh_frame: ${walked.fdeCount} FDEs; index by walk ${walkMs.toFixed(1)} ms, ` +
      `from .eh_frame_hdr ${hdrMs.toFixed(1)} ms`,
  );
  const n = compareWithReadelf(walked, text);
  assert.ok(n > 2000);
  // Same index either way (hdr lists every FDE with a non-empty range).
  assert.equal(viaHdr.fdeCount, walked.fdeCount);
  for (let i = 0; i < walked.fdeCount; i++) {
    assert.equal(viaHdr.fdeStart(i), walked.fdeStart(i));
    assert.equal(viaHdr.fdeAt(i).offset, walked.fdeAt(i).offset);
  }
  checkLookups(viaHdr);
  // Signal frame: __restore_rt's CIE has the S augmentation ("zRS").
  const sig = [...walked.entries()].filter((e) => !("pcBegin" in e) && e.isSignalFrame);
  assert.ok(sig.length >= 1);
  // PCs outside every FDE.
  assert.equal(viaHdr.rowForPc(0n), null);
  assert.equal(viaHdr.rowForPc(0xffffffffffffffffn), null);
  elf.close();
});

Deno.test({
  name: "CfiTable matches readelf on every FDE of the vmlinux .debug_frame",
  sanitizeResources: false,
  async fn() {
    const path = await vmlinux();
    const elf = ElfFile.open(path);
    const data = elf.sectionData(".debug_frame");
    const t0 = performance.now();
    const table = CfiTable.parseDebugFrame(data);
    const ms = performance.now() - t0;
    console.log(`vmlinux .debug_frame: ${table.fdeCount} FDEs indexed in ${ms.toFixed(1)} ms`);
    const text = await readelfFramesInterp(path);
    const n = compareWithReadelf(table, text);
    assert.ok(n > 40000);
    checkLookups(table, 5000);
    // A lookup of a function's entry: CFA = rsp+8, return address at CFA-8.
    const sym = elf.symbols().find((s) => s.name === "schedule")!;
    const row = table.rowForPc(sym.value)!;
    assert.deepEqual(row.cfa, { kind: "register", register: 7, offset: 8 });
    assert.deepEqual(row.rules[16], { kind: "offset", offset: -8 });
    elf.close();
  },
});

// ---- synthetic tables ----

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function le64(n: bigint): number[] {
  const out: number[] = [];
  for (let i = 0n; i < 8n; i++) out.push(Number((n >> (8n * i)) & 0xffn));
  return out;
}
function entry(body: number[]): number[] {
  return [...le32(body.length), ...body];
}
/** A .debug_frame CIE (version 4, 8-byte addresses, caf 1, daf -8, ra 16). */
function cie(instructions: number[], version = 4): number[] {
  const v4 = version === 4 ? [8, 0] : [];
  const ra = version === 1 ? [16] : [16];
  return entry([...le32(0xffffffff), version, 0, ...v4, 1, 0x78, ...ra, ...instructions]);
}
function fde(cieOffset: number, pc: bigint, len: bigint, instructions: number[]): number[] {
  return entry([...le32(cieOffset), ...le64(pc), ...le64(len), ...instructions]);
}

Deno.test("CFA programs: every DW_CFA op", () => {
  const c = cie([DW_CFA.def_cfa, 7, 8, DW_CFA.offset | 16, 1]);
  const prog = [
    DW_CFA.advance_loc | 1,
    DW_CFA.def_cfa_offset,
    16,
    DW_CFA.offset | 6,
    2, // rbp at cfa-16
    DW_CFA.advance_loc1,
    3,
    DW_CFA.def_cfa_register,
    6,
    DW_CFA.offset_extended,
    3,
    3, // rbx at cfa-24
    DW_CFA.offset_extended_sf,
    12,
    0x7c, // r12 at cfa+32 (-4 * -8)
    DW_CFA.val_offset,
    13,
    1, // r13 = cfa-8
    DW_CFA.val_offset_sf,
    14,
    0x7f, // r14 = cfa+8
    DW_CFA.register,
    15,
    0, // r15 in rax
    DW_CFA.undefined,
    1,
    DW_CFA.same_value,
    2,
    DW_CFA.GNU_negative_offset_extended,
    4,
    2, // rsi at cfa+16
    DW_CFA.GNU_args_size,
    32,
    DW_CFA.advance_loc2,
    0x10,
    0x00,
    DW_CFA.remember_state,
    DW_CFA.def_cfa_sf,
    7,
    0x7f, // rsp+8
    DW_CFA.restore | 6,
    DW_CFA.restore_extended,
    3,
    DW_CFA.advance_loc4,
    4,
    0,
    0,
    0,
    DW_CFA.restore_state,
    DW_CFA.def_cfa_offset_sf,
    0x7e, // cfa offset 16
    DW_CFA.expression,
    5,
    2,
    0x70,
    0x00, // rdi at [breg0+0]
    DW_CFA.val_expression,
    8,
    1,
    0x30, // r8 = lit0
    DW_CFA.advance_loc | 2,
    DW_CFA.def_cfa_expression,
    2,
    0x77,
    0x08, // CFA = rsp+8 as an expression
    DW_CFA.nop,
    DW_CFA.nop,
  ];
  const bytes = new Uint8Array([...c, ...fde(0, 0x1000n, 0x100n, prog)]);
  const t = CfiTable.parseDebugFrame(bytes);
  assert.equal(t.fdeCount, 1);
  const at = (pc: bigint) => t.rowForPc(pc)!;
  // Before the first advance: the CIE's rules.
  let row = at(0x1000n);
  assert.deepEqual(row.cfa, { kind: "register", register: 7, offset: 8 });
  assert.deepEqual(row.rules[16], { kind: "offset", offset: -8 });
  assert.equal(row.pcEnd, 0x1001n);
  row = at(0x1002n);
  assert.deepEqual(row.cfa, { kind: "register", register: 7, offset: 16 });
  assert.deepEqual(row.rules[6], { kind: "offset", offset: -16 });
  assert.equal(row.pcBegin, 0x1001n);
  assert.equal(row.pcEnd, 0x1004n);
  row = at(0x1004n);
  assert.deepEqual(row.cfa, { kind: "register", register: 6, offset: 16 });
  assert.deepEqual(row.rules[3], { kind: "offset", offset: -24 });
  assert.deepEqual(row.rules[12], { kind: "offset", offset: 32 });
  assert.deepEqual(row.rules[13], { kind: "val_offset", offset: -8 });
  assert.deepEqual(row.rules[14], { kind: "val_offset", offset: 8 });
  assert.deepEqual(row.rules[15], { kind: "register", register: 0 });
  assert.deepEqual(row.rules[1], { kind: "undefined" });
  assert.deepEqual(row.rules[2], { kind: "same_value" });
  assert.deepEqual(row.rules[4], { kind: "offset", offset: 16 });
  assert.equal(row.argsSize, 32);
  row = at(0x1014n);
  assert.deepEqual(row.cfa, { kind: "register", register: 7, offset: 8 });
  assert.equal(row.rules[6], undefined); // restored to the CIE's (none)
  assert.equal(row.rules[3], undefined);
  row = at(0x1018n);
  assert.deepEqual(row.cfa, { kind: "register", register: 6, offset: 16 }); // restore_state
  assert.deepEqual(row.rules[6], { kind: "offset", offset: -16 });
  assert.equal(row.rules[5]!.kind, "expression");
  assert.deepEqual([...(row.rules[5] as { expression: Uint8Array }).expression], [0x70, 0]);
  assert.equal(row.rules[8]!.kind, "val_expression");
  row = at(0x101an);
  assert.equal(row.cfa.kind, "expression");
  assert.equal(row.pcEnd, 0x1100n);
  assert.equal(t.rowForPc(0x1100n), null);
  assert.equal(t.rowForPc(0xfffn), null);
  // readelf-style rows: one per advance plus the final state.
  assert.equal(t.fdeRows(t.fdeAt(0)).length, 6);
});

Deno.test("CfiTable reads 64-bit DWARF .debug_frame and version 1/3 CIEs", () => {
  // 64-bit CIE (version 3, uleb return address register).
  const body64 = [...le64(0xffffffffffffffffn), 3, 0, 1, 0x78, 16, DW_CFA.def_cfa, 7, 8];
  const cie64 = [...le32(0xffffffff), ...le64(BigInt(body64.length)), ...body64];
  const fbody = [...le64(0n), ...le64(0x2000n), ...le64(0x10n), DW_CFA.advance_loc | 4];
  const fde64 = [...le32(0xffffffff), ...le64(BigInt(fbody.length)), ...fbody];
  const t = CfiTable.parseDebugFrame(new Uint8Array([...cie64, ...fde64]));
  assert.equal(t.fdeAt(0).cie.version, 3);
  assert.equal(t.rowForPc(0x2005n)!.pcBegin, 0x2004n);
  // Version 1 with 4-byte addresses.
  const c1 = entry([...le32(0xffffffff), 1, 0, 1, 0x7c, 8, DW_CFA.def_cfa, 4, 4]);
  const f1 = entry([...le32(0), ...le32(0x3000), ...le32(0x20)]);
  const t1 = CfiTable.parseDebugFrame(new Uint8Array([...c1, ...f1]), { addressSize: 4 });
  assert.deepEqual(t1.rowForPc(0x3010n)!.cfa, { kind: "register", register: 4, offset: 4 });
});

Deno.test("CfiTable decodes .eh_frame pointer encodings and augmentations", () => {
  // CIE "zPLR": personality udata8|indirect absolute, LSDA sdata4 pcrel, FDE pcrel|sdata4.
  const aug = [...le64(0x5000n)];
  const augData = [0x80 | 0x04, ...aug, 0x1b, 0x1b];
  const cieBody = [
    ...le32(0),
    1,
    ...new TextEncoder().encode("zPLR"),
    0,
    1,
    0x78,
    16,
    augData.length,
    ...augData,
    DW_CFA.def_cfa,
    7,
    8,
    DW_CFA.offset | 16,
    1,
  ];
  const c = entry(cieBody);
  const cieLen = c.length;
  // FDE at offset cieLen: pc_begin field at cieLen + 8.
  const pcField = cieLen + 8;
  const sectionAddr = 0x10000n;
  const pcBegin = 0x11000n;
  const rel = Number(pcBegin - (sectionAddr + BigInt(pcField)));
  const lsdaField = pcField + 8 + 1;
  const lsda = 0x12000n;
  const lsdaRel = Number(lsda - (sectionAddr + BigInt(lsdaField)));
  const fdeBody = [
    ...le32(cieLen + 4),
    ...le32(rel),
    ...le32(0x40),
    4,
    ...le32(lsdaRel),
    DW_CFA.advance_loc | 4,
    DW_CFA.def_cfa_offset,
    16,
  ];
  const bytes = new Uint8Array([...c, ...entry(fdeBody), 0, 0, 0, 0]);
  const t = CfiTable.parseEhFrame(bytes, { address: sectionAddr });
  const f = t.findFde(0x11010n)!;
  assert.equal(f.pcBegin, pcBegin);
  assert.equal(f.pcEnd, pcBegin + 0x40n);
  assert.equal(f.lsda, lsda);
  assert.equal(f.cie.augmentation, "zPLR");
  assert.deepEqual(f.cie.personality, { encoding: 0x84, value: 0x5000n });
  assert.deepEqual(t.rowForPc(0x11004n)!.cfa, { kind: "register", register: 7, offset: 16 });
  // textrel/datarel need their bases.
  const c2 = entry([...le32(0), 1, ...new TextEncoder().encode("zR"), 0, 1, 0x78, 16, 1, 0x23]);
  const f2 = entry([...le32(c2.length + 4), ...le32(0x100), ...le32(0x10), 0]);
  const b2 = new Uint8Array([...c2, ...f2]);
  assert.throws(() => CfiTable.parseEhFrame(b2, { address: 0n }), isDecodeError);
  const t2 = CfiTable.parseEhFrame(b2, { address: 0n, textAddress: 0x400000n });
  assert.equal(t2.fdeAt(0).pcBegin, 0x400100n);
  // S augmentation.
  const c3 = entry([...le32(0), 1, ...new TextEncoder().encode("zRS"), 0, 1, 0x78, 16, 1, 0x03]);
  const f3 = entry([...le32(c3.length + 4), ...le32(0x100), ...le32(0x10), 0]);
  const t3 = CfiTable.parseEhFrame(new Uint8Array([...c3, ...f3]), { address: 0n });
  assert.equal(t3.rowForPc(0x105n)!.isSignalFrame, true);
  // Indirect pcrel|sdata4 (0x9b): the field points at a word holding the address.
  const c5 = entry([...le32(0), 1, ...new TextEncoder().encode("zR"), 0, 1, 0x78, 16, 1, 0x9b]);
  const f5 = entry([...le32(c5.length + 4), ...le32(0x100), ...le32(0x10), 0]);
  const b5 = new Uint8Array([...c5, ...f5]);
  const slot = 0x2000n + BigInt(c5.length + 8) + 0x100n;
  const t5 = CfiTable.parseEhFrame(b5, {
    address: 0x2000n,
    readPointer: (a) => (a === slot ? 0x9000n : 0n),
  });
  assert.equal(t5.fdeAt(0).pcBegin, 0x9000n);
  assert.throws(() => CfiTable.parseEhFrame(b5, { address: 0x2000n }), isDecodeError);
  // Aligned absptr (0x50): padded to 8 bytes.
  const c4 = entry([...le32(0), 1, ...new TextEncoder().encode("zR"), 0, 1, 0x78, 16, 1, 0x50]);
  const pad = (c4.length + 8) % 8 === 0 ? [] : new Array(8 - ((c4.length + 8) % 8)).fill(0);
  const f4 = entry([...le32(c4.length + 4), ...pad, ...le64(0x7000n), ...le64(0x10n), 0]);
  const t4 = CfiTable.parseEhFrame(new Uint8Array([...c4, ...f4]), { address: 0n });
  assert.equal(t4.fdeAt(0).pcBegin, 0x7000n);
});

function assertDecodeError(fn: () => unknown, section: string, offset?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDecodeError(e), String(e));
    assert.equal(e.section, section);
    if (offset !== undefined) assert.equal(e.offset, offset, e.message);
    return true;
  });
}

Deno.test("CfiTable: malformed input gives DecodeError with section and offset", () => {
  const good = cie([DW_CFA.def_cfa, 7, 8]);
  // Truncated CIE (length past the end).
  assertDecodeError(
    () => CfiTable.parseDebugFrame(new Uint8Array(good.slice(0, good.length - 2))),
    ".debug_frame",
    0,
  );
  // Truncated FDE.
  const f = fde(0, 0x1000n, 0x10n, []);
  assertDecodeError(
    () => CfiTable.parseDebugFrame(new Uint8Array([...good, ...f.slice(0, 10)])),
    ".debug_frame",
    good.length,
  );
  // FDE pointing at a non-CIE.
  const f2 = fde(good.length, 0x1000n, 0x10n, []);
  assertDecodeError(
    () => CfiTable.parseDebugFrame(new Uint8Array([...good, ...f2])),
    ".debug_frame",
    good.length,
  );
  // Bad augmentation without 'z'.
  const badAug = entry([...le32(0xffffffff), 1, 0x51, 0, 1, 0x78, 16]);
  assertDecodeError(
    () => CfiTable.parseDebugFrame(new Uint8Array([...badAug, ...fde(0, 0n, 4n, [])])),
    ".debug_frame",
    0,
  );
  // Bad CIE version.
  const badVer = entry([...le32(0xffffffff), 2, 0, 1, 0x78, 16]);
  assertDecodeError(
    () => CfiTable.parseDebugFrame(new Uint8Array([...badVer, ...fde(0, 0n, 4n, [])])),
    ".debug_frame",
    0,
  );
  // CFA op past the end of the FDE (def_cfa missing its operands).
  const t = CfiTable.parseDebugFrame(
    new Uint8Array([...good, ...fde(0, 0x1000n, 0x10n, [DW_CFA.def_cfa, 0x87])]),
  );
  assertDecodeError(() => t.rowForPc(0x1001n), ".debug_frame");
  // Unknown opcode, restore_state underflow, remember_state overflow, bad register.
  const start = good.length + 24;
  for (
    const [prog, at] of [
      [[0x3f], start],
      [[DW_CFA.restore_state], start],
      [new Array(70).fill(DW_CFA.remember_state), start + 64],
      [[DW_CFA.undefined, 0xff, 0xff, 0x03], start],
      [[DW_CFA.advance_loc | 1, DW_CFA.set_loc, ...le64(0x900n)], start + 1],
    ] as [number[], number][]
  ) {
    const tt = CfiTable.parseDebugFrame(new Uint8Array([...good, ...fde(0, 0x1000n, 0x10n, prog)]));
    assertDecodeError(() => tt.rowForPc(0x100fn), ".debug_frame", at);
  }
  // .eh_frame_hdr with a bad version / a table past the end.
  const eh = new Uint8Array([...entry([...le32(0), 1, 0, 1, 0x78, 16]), 0, 0, 0, 0]);
  assertDecodeError(
    () =>
      CfiTable.parseEhFrame(eh, {
        address: 0n,
        hdr: { data: new Uint8Array([2, 0, 0, 0]), address: 0n },
      }),
    ".eh_frame_hdr",
    0,
  );
  const hdr = new Uint8Array([1, 0x1b, 0x03, 0x3b, ...le32(0xfffffffc), ...le32(1000)]);
  assertDecodeError(
    () => CfiTable.parseEhFrame(eh, { address: 0n, hdr: { data: hdr, address: 0n } }),
    ".eh_frame_hdr",
  );
});
