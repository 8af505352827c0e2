import assert from "node:assert/strict";
import { join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { SHN, SHT, STB, STT, STV } from "../../../lib/elf/constants.ts";
import type { ElfSymbol } from "../../../lib/elf/symbols.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { buildElf, buildSymtab, patch } from "../../_elf_writer.ts";
import { KERNEL, run, userBinaries, vmlinux } from "./_fixtures.ts";
import { type ReadelfSymbol, readelfSymbols } from "./_readelf.ts";

const READELF_STT: Record<string, number> = {
  NOTYPE: STT.NOTYPE,
  OBJECT: STT.OBJECT,
  FUNC: STT.FUNC,
  SECTION: STT.SECTION,
  FILE: STT.FILE,
  COMMON: STT.COMMON,
  TLS: STT.TLS,
  IFUNC: STT.GNU_IFUNC,
};
const READELF_STB: Record<string, number> = {
  LOCAL: STB.LOCAL,
  GLOBAL: STB.GLOBAL,
  WEAK: STB.WEAK,
  UNIQUE: STB.GNU_UNIQUE,
};
const READELF_STV: Record<string, number> = {
  DEFAULT: STV.DEFAULT,
  INTERNAL: STV.INTERNAL,
  HIDDEN: STV.HIDDEN,
  PROTECTED: STV.PROTECTED,
};

function ndx(s: ElfSymbol): string {
  if (s.shndx === SHN.UNDEF) return "UND";
  if (s.shndx === SHN.ABS) return "ABS";
  if (s.shndx === SHN.COMMON) return "COM";
  return String(s.shndx);
}

function compareSymbols(
  path: string,
  table: string,
  ours: readonly ElfSymbol[],
  theirs: ReadelfSymbol[],
) {
  const rows = theirs.filter((t) => t.table === table && t.num !== 0);
  assert.equal(ours.length, rows.length, `${path} ${table}: count`);
  for (const t of rows) {
    const s = ours[t.num - 1]!;
    const where = `${path} ${table}[${t.num}] ${t.name}`;
    let name = s.name;
    // readelf names section symbols after their section, and adds versions to .dynsym names.
    if (s.type === STT.SECTION && name === "") name = s.section ?? "";
    const expected = table === ".dynsym" ? t.name.replace(/@.*$/, "") : t.name;
    assert.equal(name, expected, where);
    assert.equal(s.value, t.value, `${where}: value`);
    assert.equal(s.size, t.size, `${where}: size`);
    assert.equal(s.type, READELF_STT[t.type] ?? -1, `${where}: type ${t.type}`);
    assert.equal(s.binding, READELF_STB[t.bind] ?? -1, `${where}: bind ${t.bind}`);
    assert.equal(s.visibility, READELF_STV[t.vis] ?? -1, `${where}: vis ${t.vis}`);
    assert.equal(ndx(s), t.ndx, `${where}: ndx`);
  }
}

async function compareFile(path: string): Promise<number> {
  const elf = ElfFile.open(path);
  const theirs = await readelfSymbols(path);
  let n = 0;
  for (const [kind, table] of [["symtab", ".symtab"], ["dynsym", ".dynsym"]] as const) {
    const ours = elf.symbols(kind);
    compareSymbols(path, table, ours, theirs);
    n += ours.length;
    for (const s of ours) {
      if (s.shndx > 0 && s.shndx < SHN.LORESERVE) {
        assert.equal(s.section, elf.sections[s.shndx]!.name);
      } else assert.equal(s.section, undefined);
    }
  }
  elf.close();
  return n;
}

Deno.test("symbols() matches readelf -sW for every user binary and kernel module", async () => {
  let total = 0;
  const modules = ["brd", "dummy", "loop", "minix", "qemu_fw_cfg"].flatMap((m) => [
    join(KERNEL, "modules", m + ".ko"),
    join(KERNEL, "debug", m + ".ko"),
  ]);
  for (const path of [...userBinaries(), ...modules]) total += await compareFile(path);
  assert.ok(total > 3000, `${total} symbols compared`);
});

Deno.test("symbols() matches readelf -sW for an ELF32 object", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-sym-" });
  Deno.writeTextFileSync(
    join(dir, "a.c"),
    "int g = 5; static int s; __thread int t; int f(int x) { return x + g + s + t; }\n",
  );
  await run("gcc", ["-m32", "-c", "-o", join(dir, "a.o"), join(dir, "a.c")]);
  assert.ok((await compareFile(join(dir, "a.o"))) >= 4);
});

Deno.test("symbols() reads vmlinux's 129,791 symbols as readelf does", async () => {
  const path = await vmlinux();
  const theirs = await readelfSymbols(path);
  const elf = ElfFile.open(path);
  const syms = elf.symbols();
  compareSymbols(path, ".symtab", syms, theirs);
  assert.equal(syms.length, 129791);
  const initTask = syms.find((s) => s.name === "init_task")!;
  assert.equal(initTask.type, STT.OBJECT);
  assert.equal(initTask.section, ".data");
  elf.close();
});

Deno.test("symbols() decodes ELF32 and big-endian tables and SHN_XINDEX", () => {
  for (const is64 of [true, false]) {
    for (const littleEndian of [true, false]) {
      const { symtab, strtab } = buildSymtab([
        { name: "f", value: 0x1000n, size: 16n, type: STT.FUNC, binding: STB.GLOBAL, shndx: 1 },
        {
          name: "v",
          value: 0x2000n,
          size: 8n,
          type: STT.OBJECT,
          binding: STB.LOCAL,
          visibility: STV.HIDDEN,
          shndx: 0xffff,
        },
        { name: "älpha", value: 3n, type: STT.NOTYPE, binding: STB.WEAK, shndx: SHN.ABS },
      ], { is64, littleEndian });
      const shndx = new Uint8Array(16);
      new DataView(shndx.buffer).setUint32(8, 2, littleEndian); // symbol 2 → section 2
      const img = buildElf({
        is64,
        littleEndian,
        sections: [
          { name: ".text", type: SHT.PROGBITS, data: new Uint8Array(4) },
          { name: ".data", type: SHT.PROGBITS, data: new Uint8Array(4) },
          {
            name: ".symtab",
            type: SHT.SYMTAB,
            data: symtab,
            link: ".strtab",
            entsize: is64 ? 24 : 16,
          },
          { name: ".strtab", type: SHT.STRTAB, data: strtab },
          { name: ".symtab_shndx", type: SHT.SYMTAB_SHNDX, data: shndx, link: ".symtab" },
        ],
      });
      const elf = ElfFile.fromBytes(img.bytes);
      const syms = elf.symbols();
      // The same entries as columns.
      const cols = elf.symbolColumns("symtab")!;
      assert.deepEqual(
        Array.from({ length: cols.length }, (_, i) => ({
          name: cols.strtab.get(cols.nameOff[i]!),
          value: cols.value[i],
          size: cols.size[i],
          type: cols.info[i]! & 0xf,
          binding: cols.info[i]! >> 4,
          shndx: cols.shndx[i],
        })),
        syms.map(({ name, value, size, type, binding, shndx }) => ({
          name,
          value,
          size,
          type,
          binding,
          shndx,
        })),
        `ELF${is64 ? 64 : 32} ${littleEndian ? "LE" : "BE"}`,
      );
      assert.deepEqual(syms, [
        {
          name: "f",
          value: 0x1000n,
          size: 16n,
          type: STT.FUNC,
          binding: STB.GLOBAL,
          visibility: 0,
          shndx: 1,
          section: ".text",
        },
        {
          name: "v",
          value: 0x2000n,
          size: 8n,
          type: STT.OBJECT,
          binding: STB.LOCAL,
          visibility: STV.HIDDEN,
          shndx: 2,
          section: ".data",
        },
        {
          name: "älpha",
          value: 3n,
          size: 0n,
          type: STT.NOTYPE,
          binding: STB.WEAK,
          visibility: 0,
          shndx: SHN.ABS,
          section: undefined,
        },
      ]);
    }
  }
});

Deno.test("symbols() rejects a name offset outside the string table and a bad link", () => {
  const { symtab, strtab } = buildSymtab([{ name: "f", shndx: 1 }]);
  const img = buildElf({
    sections: [
      { name: ".symtab", type: SHT.SYMTAB, data: symtab, link: ".strtab", entsize: 24 },
      { name: ".strtab", type: SHT.STRTAB, data: strtab },
    ],
  });
  let b = img.bytes.slice();
  patch(b, img.sectionOffsets[1]! + 24, 500, 4); // st_name of symbol 1
  // The same errors, read whole or as columns.
  const both = (bytes: Uint8Array, check: (e: unknown) => boolean) => {
    assert.throws(() => ElfFile.fromBytes(bytes, "img").symbols(), check);
    assert.throws(() => ElfFile.fromBytes(bytes, "img").symbolColumns("symtab"), check);
  };
  both(b, (e: unknown) => {
    assert.ok(isDecodeError(e));
    assert.match(e.message, /symbol table \.symtab of img .*symbol 1 name offset 500/);
    return true;
  });
  b = img.bytes.slice();
  patch(b, img.sectionHeaderOffsets[1]! + 40, 99, 4); // sh_link
  both(b, (e) => /string table index 99 is out of range/.test(String(e)));
  b = img.bytes.slice();
  patch(b, img.sectionHeaderOffsets[1]! + 56, 8, 8); // sh_entsize
  both(b, (e) => /bad entry size 8/.test(String(e)));
});
