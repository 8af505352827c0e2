import assert from "node:assert/strict";
import { join } from "node:path";
import { EM, ET, R_X86_64, SHF, SHN, SHT, STT } from "../../../lib/elf/constants.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { relocatedSectionData } from "../../../lib/elf/relocations.ts";
import { isDecodeError, TargetError } from "../../../lib/errors.ts";
import {
  buildElf,
  buildRela,
  buildSymtab,
  type RelaSpec,
  type SymbolSpec,
} from "../../_elf_writer.ts";
import { KERNEL, run, USER } from "./_fixtures.ts";

const MODULES = ["brd", "dummy", "loop", "minix", "qemu_fw_cfg"];

/** Values readelf --debug-dump=info shows (with relocations applied), by .debug_info offset. */
async function readelfInfoValues(
  path: string,
): Promise<{ u32: Map<number, number>; u64: Map<number, bigint> }> {
  const text = await run("readelf", ["--debug-dump=info", path]);
  const u32 = new Map<number, number>();
  const u64 = new Map<number, bigint>();
  for (const line of text.split("\n")) {
    let m =
      /^\s+<([0-9a-f]+)>\s+DW_AT_\w+\s*: \(indirect (?:line )?string, offset: (0x[0-9a-f]+|0)\)/
        .exec(line);
    if (m !== null) {
      u32.set(parseInt(m[1]!, 16), Number(m[2]));
      continue;
    }
    m = /^\s+<([0-9a-f]+)>\s+DW_AT_stmt_list\s*: (0x[0-9a-f]+|0)$/.exec(line);
    if (m !== null) {
      u32.set(parseInt(m[1]!, 16), Number(m[2]));
      continue;
    }
    m = /^\s+<([0-9a-f]+)>\s+DW_AT_low_pc\s*: (0x[0-9a-f]+|0)$/.exec(line);
    if (m !== null) u64.set(parseInt(m[1]!, 16), BigInt(m[2]!));
  }
  return { u32, u64 };
}

Deno.test("relocatedSectionData() of module .debug_info matches readelf --debug-dump=info", async () => {
  for (const mod of MODULES) {
    const path = join(KERNEL, "debug", mod + ".ko");
    const { u32, u64 } = await readelfInfoValues(path);
    assert.ok(u32.size > 1000 && u64.size > 10, `${mod}: ${u32.size} strp, ${u64.size} low_pc`);
    const elf = ElfFile.open(path);
    assert.equal(elf.type, ET.REL);
    const raw = elf.sectionData(".debug_info");
    const data = relocatedSectionData(elf, ".debug_info");
    assert.notEqual(data, raw);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const rv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    let changed = 0;
    for (const [off, value] of u32) {
      assert.equal(v.getUint32(off, true), value, `${mod} .debug_info+0x${off.toString(16)}`);
      if (rv.getUint32(off, true) !== value) changed++;
    }
    for (const [off, value] of u64) {
      assert.equal(v.getBigUint64(off, true), value, `${mod} .debug_info+0x${off.toString(16)}`);
    }
    // The raw section holds zeros where RELA addends supply the values.
    assert.ok(changed > u32.size / 2, `${mod}: only ${changed} values changed`);
    // Cached for the default (zero) addresses.
    assert.equal(relocatedSectionData(elf, ".debug_info"), data);
    elf.close();
  }
});

/** `readelf -rW` entries of one relocation section. */
async function readelfRelocs(path: string, section: string) {
  const text = await run("readelf", ["-rW", path]);
  const out: { offset: number; sym: number; type: string; addend: bigint }[] = [];
  let inSection = false;
  for (const line of text.split("\n")) {
    const head = /^Relocation section '([^']+)'/.exec(line);
    if (head !== null) {
      inSection = head[1] === section;
      continue;
    }
    if (!inSection) continue;
    const m =
      /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(R_X86_64_\w+)\s+[0-9a-f]+\s+.*? ([+-]) ([0-9a-f]+)$/
        .exec(line);
    if (m === null) continue;
    const addend = BigInt("0x" + m[5]);
    out.push({
      offset: parseInt(m[1]!, 16),
      sym: Number(BigInt("0x" + m[2]) >> 32n),
      type: m[3]!,
      addend: m[4] === "-" ? -addend : addend,
    });
  }
  return out;
}

Deno.test("relocatedSectionData() uses section addresses: module loaded at known addresses", async () => {
  const path = join(KERNEL, "debug/minix.ko");
  const elf = ElfFile.open(path);
  // A plausible load layout: each SHF_ALLOC section at its own 1 MiB slot.
  const address = (shndx: number) =>
    (elf.sections[shndx]!.flags & SHF.ALLOC) !== 0n
      ? 0xffffffffc0000000n + BigInt(shndx) * 0x100000n
      : 0n;
  const syms = elf.symbols("symtab");
  for (const name of [".debug_info", ".debug_aranges", ".debug_rnglists", ".debug_line"]) {
    const relocs = await readelfRelocs(path, ".rela" + name);
    assert.ok(relocs.length > 10, name);
    const data = relocatedSectionData(elf, name, address);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (const r of relocs) {
      const s = syms[r.sym - 1]!;
      const base = s.shndx !== SHN.UNDEF && s.shndx < SHN.LORESERVE ? address(s.shndx) : 0n;
      const value = s.value + base + r.addend;
      const where = `${name}+0x${r.offset.toString(16)} ${r.type}`;
      if (r.type === "R_X86_64_64") {
        assert.equal(v.getBigUint64(r.offset, true), BigInt.asUintN(64, value), where);
      } else if (r.type === "R_X86_64_32") {
        assert.equal(v.getUint32(r.offset, true), Number(BigInt.asUintN(32, value)), where);
      } else {
        assert.fail(`unexpected ${where}`);
      }
    }
  }
  elf.close();
});

Deno.test("relocatedSectionData() returns sections of linked files unchanged", () => {
  const elf = ElfFile.open(join(USER, "out/bin/gcc-O0/types"));
  assert.equal(relocatedSectionData(elf, ".debug_info"), elf.sectionData(".debug_info"));
  elf.close();
  const ko = ElfFile.open(join(KERNEL, "debug/dummy.ko"));
  // .debug_str has no relocations.
  assert.equal(relocatedSectionData(ko, ".debug_str"), ko.sectionData(".debug_str"));
  assert.throws(() => relocatedSectionData(ko, ".nope"), /has no section \.nope/);
  ko.close();
});

function relocatable(
  symbols: SymbolSpec[],
  relocs: RelaSpec[],
  options: { machine?: number; target?: Uint8Array; relType?: number } = {},
) {
  const { symtab, strtab } = buildSymtab(symbols);
  return buildElf({
    type: ET.REL,
    machine: options.machine ?? EM.X86_64,
    sections: [
      {
        name: ".text",
        type: SHT.PROGBITS,
        flags: SHF.ALLOC | SHF.EXECINSTR,
        data: new Uint8Array(0x40),
      },
      {
        name: ".data",
        type: SHT.PROGBITS,
        flags: SHF.ALLOC | SHF.WRITE,
        data: options.target ?? new Uint8Array(0x40),
      },
      {
        name: ".rela.data",
        type: options.relType ?? SHT.RELA,
        flags: SHF.INFO_LINK,
        data: buildRela(relocs),
        link: ".symtab",
        info: ".data",
        entsize: 24,
      },
      { name: ".symtab", type: SHT.SYMTAB, data: symtab, link: ".strtab", entsize: 24 },
      { name: ".strtab", type: SHT.STRTAB, data: strtab },
    ],
  });
}

Deno.test("relocatedSectionData() applies each x86-64 relocation type", () => {
  const symbols: SymbolSpec[] = [
    { name: ".text", type: STT.SECTION, binding: 0, shndx: 1 },
    { name: "func", value: 0x10n, size: 0x30n, type: STT.FUNC, shndx: 1 },
    { name: "abs", value: 0xfedcba9876543210n, shndx: SHN.ABS },
    { name: "ext", shndx: SHN.UNDEF },
  ];
  const relocs: RelaSpec[] = [
    { offset: 0x00, type: R_X86_64["64"], sym: 2, addend: 8n }, // S + A
    { offset: 0x08, type: R_X86_64.PC64, sym: 2, addend: 0n }, // S + A - P
    { offset: 0x10, type: R_X86_64["32"], sym: 1, addend: 0x20n },
    { offset: 0x14, type: R_X86_64["32S"], sym: 1, addend: -4n },
    { offset: 0x18, type: R_X86_64.PC32, sym: 2, addend: -4n },
    { offset: 0x1c, type: R_X86_64.PLT32, sym: 4, addend: -4n },
    { offset: 0x20, type: R_X86_64.SIZE32, sym: 2, addend: 1n },
    { offset: 0x28, type: R_X86_64.SIZE64, sym: 2, addend: 0n },
    { offset: 0x30, type: R_X86_64["64"], sym: 3, addend: 1n },
    { offset: 0x38, type: R_X86_64.NONE, sym: 0 },
  ];
  const target = new Uint8Array(0x40).fill(0xee, 0x38, 0x40);
  const img = relocatable(symbols, relocs, { target });
  const elf = ElfFile.fromBytes(img.bytes, "rel.o");
  const text = 0xffffffffa0001000n;
  const data = 0xffffffffa0002000n;
  const addr = (i: number) => (i === 1 ? text : i === 2 ? data : 0n);
  const out = relocatedSectionData(elf, ".data", addr, {
    resolveUndefined: (n) => (n === "ext" ? 0xffffffff81000000n : undefined),
  });
  const v = new DataView(out.buffer, out.byteOffset);
  const u32 = (x: bigint) => Number(BigInt.asUintN(32, x));
  assert.equal(v.getBigUint64(0x00, true), text + 0x10n + 8n);
  assert.equal(v.getBigUint64(0x08, true), BigInt.asUintN(64, text + 0x10n - (data + 8n)));
  assert.equal(v.getUint32(0x10, true), u32(text + 0x20n));
  assert.equal(v.getUint32(0x14, true), u32(text - 4n));
  assert.equal(v.getUint32(0x18, true), u32(text + 0x10n - 4n - (data + 0x18n)));
  assert.equal(v.getUint32(0x1c, true), u32(0xffffffff81000000n - 4n - (data + 0x1cn)));
  assert.equal(v.getUint32(0x20, true), 0x31);
  assert.equal(v.getBigUint64(0x28, true), 0x30n);
  assert.equal(v.getBigUint64(0x30, true), 0xfedcba9876543211n);
  assert.deepEqual([...out.subarray(0x38)], new Array(8).fill(0xee));
  // The section data itself is untouched.
  assert.ok(elf.sectionData(".data").subarray(0, 0x38).every((b) => b === 0));
  // Default: every section at 0, undefined symbols 0.
  const zero = relocatedSectionData(elf, ".data");
  const z = new DataView(zero.buffer, zero.byteOffset);
  assert.equal(z.getBigUint64(0x00, true), 0x18n);
  assert.equal(z.getUint32(0x18, true), u32(0x10n - 4n - 0x18n));
  assert.equal(z.getUint32(0x1c, true), u32(-4n - 0x1cn));
});

function expectDecode(fn: () => unknown, pattern: RegExp, offset?: number) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDecodeError(e), String(e));
    assert.match(e.message, pattern);
    assert.match(e.message, /rel\.o/);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  });
}

Deno.test("relocatedSectionData() rejects bad relocations with the entry's file offset", () => {
  const syms: SymbolSpec[] = [{ name: "f", shndx: 1 }];
  let img = relocatable(syms, [{ offset: 0, type: R_X86_64.GOTPCREL, sym: 1 }]);
  const relOff = img.sectionOffsets[3]!;
  expectDecode(
    () => relocatedSectionData(ElfFile.fromBytes(img.bytes, "rel.o"), ".data"),
    /relocation section \.rela\.data of rel\.o .*unsupported relocation type R_X86_64_GOTPCREL/,
    relOff,
  );
  img = relocatable(syms, [{ offset: 0, type: R_X86_64["64"], sym: 1 }, {
    offset: 0,
    type: R_X86_64["64"],
    sym: 9,
  }]);
  expectDecode(
    () => relocatedSectionData(ElfFile.fromBytes(img.bytes, "rel.o"), ".data"),
    /refers to symbol 9, past the end of the symbol table \(2 symbols\)/,
    img.sectionOffsets[3]! + 24,
  );
  img = relocatable(syms, [{ offset: 0x3c, type: R_X86_64["64"], sym: 1 }]);
  expectDecode(
    () => relocatedSectionData(ElfFile.fromBytes(img.bytes, "rel.o"), ".data"),
    /at offset 60 is outside section \.data \(64 bytes\)/,
  );
  img = relocatable([{ name: "ext", shndx: 0 }], [{ offset: 0, type: R_X86_64["64"], sym: 1 }]);
  expectDecode(
    () =>
      relocatedSectionData(ElfFile.fromBytes(img.bytes, "rel.o"), ".data", undefined, {
        resolveUndefined: () => undefined,
      }),
    /undefined symbol ext/,
  );
  img = relocatable(syms, [{ offset: 0, type: 1, sym: 1 }], { relType: SHT.REL });
  expectDecode(
    () => relocatedSectionData(ElfFile.fromBytes(img.bytes, "rel.o"), ".data"),
    /must be SHT_RELA/,
  );
  img = relocatable(syms, [{ offset: 0, type: 1, sym: 1 }], { machine: EM.AARCH64 });
  assert.throws(
    () => relocatedSectionData(ElfFile.fromBytes(img.bytes, "rel.o"), ".data"),
    (e: unknown) => e instanceof TargetError && /EM_AARCH64/.test(e.message) && e.path === "rel.o",
  );
});
