import assert from "node:assert/strict";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ElfFile, type ElfSection } from "../../../lib/elf/elf_file.ts";
import { elfName, EM, ET, PF, PT, SHF, SHT } from "../../../lib/elf/constants.ts";
import { isDecodeError, LookupError, TargetError } from "../../../lib/errors.ts";
import { buildElf, buildNote, concat, patch } from "../../_elf_writer.ts";
import {
  KERNEL,
  pagingVmcore,
  readJson,
  run,
  USER,
  userBinaries,
  userCores,
  vmlinux,
} from "./_fixtures.ts";
import {
  readelfHeader,
  readelfNotes,
  type ReadelfSection,
  readelfSections,
  type ReadelfSegment,
  readelfSegments,
} from "./_readelf.ts";

const KERNEL_MODULES = ["brd", "dummy", "loop", "minix", "qemu_fw_cfg"].flatMap((m) => [
  join(KERNEL, "modules", m + ".ko"),
  join(KERNEL, "debug", m + ".ko"),
]);

/** readelf's section type names. */
const READELF_SHT: Record<string, number> = {
  NULL: SHT.NULL,
  PROGBITS: SHT.PROGBITS,
  SYMTAB: SHT.SYMTAB,
  STRTAB: SHT.STRTAB,
  RELA: SHT.RELA,
  HASH: SHT.HASH,
  DYNAMIC: SHT.DYNAMIC,
  NOTE: SHT.NOTE,
  NOBITS: SHT.NOBITS,
  REL: SHT.REL,
  DYNSYM: SHT.DYNSYM,
  INIT_ARRAY: SHT.INIT_ARRAY,
  FINI_ARRAY: SHT.FINI_ARRAY,
  PREINIT_ARRAY: SHT.PREINIT_ARRAY,
  GROUP: SHT.GROUP,
  GNU_HASH: SHT.GNU_HASH,
  VERDEF: SHT.GNU_verdef,
  VERNEED: SHT.GNU_verneed,
  VERSYM: SHT.GNU_versym,
  X86_64_UNWIND: SHT.X86_64_UNWIND,
  LLVM_ADDRSIG: 0x6fff4c03,
};

/** readelf's section flag letters. */
const READELF_SHF: [string, bigint][] = [
  ["W", SHF.WRITE],
  ["A", SHF.ALLOC],
  ["X", SHF.EXECINSTR],
  ["M", SHF.MERGE],
  ["S", SHF.STRINGS],
  ["I", SHF.INFO_LINK],
  ["L", SHF.LINK_ORDER],
  ["O", SHF.OS_NONCONFORMING],
  ["G", SHF.GROUP],
  ["T", SHF.TLS],
  ["C", SHF.COMPRESSED],
  ["E", SHF.EXCLUDE],
  ["R", SHF.GNU_RETAIN],
];

function flagLetters(flags: bigint): string {
  return READELF_SHF.filter(([, f]) => (flags & f) !== 0n).map(([l]) => l).sort().join("");
}

function segmentFlags(flags: number): string {
  return (flags & PF.R ? "R" : "") + (flags & PF.W ? "W" : "") + (flags & PF.X ? "E" : "");
}

function compareSections(path: string, ours: readonly ElfSection[], theirs: ReadelfSection[]) {
  assert.equal(ours.length, theirs.length, `${path}: section count`);
  for (const t of theirs) {
    const s = ours[t.index]!;
    const where = `${path} [${t.index}] ${t.name}`;
    assert.equal(s.name, t.name, where);
    assert.equal(s.type, READELF_SHT[t.type] ?? -1, `${where}: type ${t.type}`);
    assert.equal(s.addr, t.addr, `${where}: addr`);
    assert.equal(s.offset, t.offset, `${where}: offset`);
    assert.equal(s.size, t.size, `${where}: size`);
    assert.equal(s.entsize, t.entsize, `${where}: entsize`);
    assert.equal(flagLetters(s.flags), [...t.flags].sort().join(""), `${where}: flags`);
    assert.equal(s.link, t.link, `${where}: link`);
    assert.equal(s.info, t.info, `${where}: info`);
    assert.equal(s.addralign, t.align, `${where}: align`);
  }
}

function compareSegments(path: string, elf: ElfFile, theirs: ReadelfSegment[]) {
  assert.equal(elf.segments.length, theirs.length, `${path}: segment count`);
  theirs.forEach((t, i) => {
    const g = elf.segments[i]!;
    const where = `${path} segment ${i}`;
    assert.equal(g.index, i);
    assert.equal(elfName("PT", g.type), "PT_" + t.type, where);
    assert.equal(g.offset, t.offset, `${where}: offset`);
    assert.equal(g.vaddr, t.vaddr, `${where}: vaddr`);
    assert.equal(g.paddr, t.paddr, `${where}: paddr`);
    assert.equal(g.filesz, t.filesz, `${where}: filesz`);
    assert.equal(g.memsz, t.memsz, `${where}: memsz`);
    assert.equal(segmentFlags(g.flags), t.flags, `${where}: flags`);
    assert.equal(g.align, t.align, `${where}: align`);
  });
}

const READELF_MACHINE: Record<string, number> = {
  "Advanced Micro Devices X86-64": EM.X86_64,
  "Intel 80386": EM["386"],
};

async function compareWithReadelf(path: string): Promise<ElfFile> {
  const elf = ElfFile.open(path);
  const header = await readelfHeader(path);
  assert.equal(elfName("ET", elf.type), "ET_" + header.get("Type")!.split(" ")[0], path);
  assert.equal(elf.machine, READELF_MACHINE[header.get("Machine")!], path);
  assert.equal(elf.entry, BigInt(header.get("Entry point address")!), path);
  assert.equal(elf.is64, header.get("Class") === "ELF64", path);
  compareSections(path, elf.sections, await readelfSections(path));
  compareSegments(path, elf, await readelfSegments(path));
  return elf;
}

/** A 32-bit relocatable object compiled now (gcc -m32 -c needs no 32-bit libraries). */
async function compileM32(): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-elf-" });
  const src = join(dir, "m32.c");
  Deno.writeTextFileSync(
    src,
    "int g = 5; static int s; __thread int t; int f(int x) { return x + g + s + t; }\n",
  );
  const out = join(dir, "m32.o");
  await run("gcc", ["-m32", "-g", "-c", "-o", out, src]);
  return out;
}

Deno.test("ElfFile matches readelf -hSlW on every user binary and core", async () => {
  for (const path of [...userBinaries(), ...userCores()]) {
    (await compareWithReadelf(path)).close();
  }
});

Deno.test("ElfFile matches readelf -hSlW on kernel modules, vmlinux and an ELF32 object", async () => {
  for (const path of [...KERNEL_MODULES, await vmlinux(), await compileM32()]) {
    const elf = await compareWithReadelf(path);
    if (path.endsWith("m32.o")) {
      assert.equal(elf.is64, false);
      assert.equal(elf.platform.arch, "I386");
      assert.equal(elf.platform.wordSize, 4);
    } else {
      assert.equal(elf.platform.arch, "X86_64");
      assert.equal(elf.platform.wordSize, 8);
      assert.equal(elf.platform.littleEndian, true);
    }
    elf.close();
  }
});

Deno.test("ElfFile reads the 65,754 program headers of the QEMU paging vmcore (PN_XNUM) quickly", async () => {
  const path = await pagingVmcore();
  const elf = ElfFile.open(path);
  assert.equal(elf.segments.length, 65754);
  assert.equal(elf.sections[0]!.info, 65754);
  assert.equal(elf.type, ET.CORE);
  compareSegments(path, elf, await readelfSegments(path));
  compareSections(path, elf.sections, await readelfSections(path));
  elf.close();
});

Deno.test("buildId() matches reference/index.json and readelf -n for every binary", async () => {
  const index = readJson(join(USER, "reference/index.json")) as {
    binary: string;
    debug_file: string | null;
    build_id: string;
  }[];
  const seen = new Set<string>();
  for (const entry of index) {
    for (const rel of [entry.binary, entry.debug_file]) {
      if (rel === null || seen.has(rel)) continue;
      seen.add(rel);
      const elf = ElfFile.open(join(USER, rel));
      assert.equal(elf.buildIdHex(), entry.build_id, rel);
      elf.close();
    }
  }
  assert.ok(seen.size >= 20);
  for (const path of [...userBinaries(), ...KERNEL_MODULES, await vmlinux()]) {
    const notes = await readelfNotes(path);
    const line = notes.flatMap((n) => n.details).find((d) => d.startsWith("Build ID: "));
    const elf = ElfFile.open(path);
    assert.equal(elf.buildIdHex(), line === undefined ? null : line.slice(10), path);
    elf.close();
  }
});

Deno.test("buildId() of vmlinux is the BUILD-ID in the dump's VMCOREINFO", async () => {
  const ref = readJson(join(KERNEL, "reference/kaslr-256m/mdf-E-d31.elf.json")) as {
    vmcoreinfo: Record<string, string>;
  };
  const elf = ElfFile.open(await vmlinux());
  assert.equal(elf.buildIdHex(), ref.vmcoreinfo["BUILD-ID"]);
  assert.equal(elf.buildId()!.length, 20);
  elf.close();
});

Deno.test("buildId() is null for cores, which carry no NT_GNU_BUILD_ID of their own", () => {
  const elf = ElfFile.open(join(USER, "out/core/gcc-O0/types.gcore"));
  assert.equal(elf.buildId(), null);
  assert.equal(elf.buildIdHex(), null);
  elf.close();
});

Deno.test("debugLink() of gcc-split binaries names the .debug file with its CRC-32", async () => {
  for (const prog of ["types", "datastructs", "threads", "big"]) {
    const path = join(USER, "out/bin/gcc-split", prog);
    const elf = ElfFile.open(path);
    const link = elf.debugLink();
    assert.ok(link !== null, path);
    assert.equal(link.name, `${prog}.debug`);
    const dump = await run("readelf", ["--string-dump=.gnu_debuglink", path]);
    assert.match(dump, new RegExp(`\\]\\s+${prog}\\.debug\\n`));
    const debugBytes = Deno.readFileSync(join(USER, "out/bin/gcc-split", `${prog}.debug`));
    assert.equal(link.crc, crc32(debugBytes));
    // The stripped executable has no .symtab: symbols() falls back to .dynsym.
    assert.equal(elf.section(".symtab"), undefined);
    assert.ok(elf.symbols().length > 0);
    assert.deepEqual(elf.symbols(), elf.symbols("dynsym"));
    assert.deepEqual(elf.symbols("symtab"), []);
    elf.close();
  }
  const plain = ElfFile.open(join(USER, "out/bin/gcc-O0/types"));
  assert.equal(plain.debugLink(), null);
  assert.equal(plain.gnuDebugAltLink(), null);
  plain.close();
});

/** Section bytes read straight from the file at readelf's offset and size. */
function rawSection(bytes: Uint8Array, s: ReadelfSection): Uint8Array {
  return bytes.subarray(s.offset, s.offset + s.size);
}

Deno.test("sectionData() of gcc-gz SHF_COMPRESSED sections equals objcopy --decompress-debug-sections", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-gz-" });
  for (const prog of ["types", "datastructs", "threads", "big"]) {
    const path = join(USER, "out/bin/gcc-gz", prog);
    const plain = join(dir, prog);
    await run("objcopy", ["--decompress-debug-sections", path, plain]);
    const plainBytes = Deno.readFileSync(plain);
    const plainSections = await readelfSections(plain);
    const elf = ElfFile.open(path);
    let compressed = 0;
    for (const s of elf.sections) {
      if (!s.name.startsWith(".debug_")) continue;
      const t = plainSections.find((p) => p.name === s.name)!;
      if ((s.flags & SHF.COMPRESSED) !== 0n) compressed++;
      assert.deepEqual(elf.sectionData(s), rawSection(plainBytes, t), `${prog} ${s.name}`);
      // Cached: the same array comes back.
      assert.equal(elf.sectionData(s.name), elf.sectionData(s));
    }
    assert.ok(compressed >= 4, `${prog}: ${compressed} compressed sections`);
    elf.close();
  }
});

Deno.test("sectionData() decompresses zlib-gnu .zdebug_* and zstd sections made by objcopy", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-zdebug-" });
  const path = join(USER, "out/bin/gcc-O0/types");
  const bytes = Deno.readFileSync(path);
  const original = await readelfSections(path);
  for (const method of ["zlib-gnu", "zstd"]) {
    const out = join(dir, `types.${method}`);
    await run("objcopy", [`--compress-debug-sections=${method}`, path, out]);
    const elf = ElfFile.open(out);
    let compressed = 0;
    for (const t of original) {
      if (!t.name.startsWith(".debug_")) continue;
      const s = elf.section(t.name);
      assert.ok(s !== undefined, `${method} ${t.name}`);
      // objcopy leaves a section uncompressed when compressing does not shrink it.
      if (s.name.startsWith(".zdebug") || (s.flags & SHF.COMPRESSED) !== 0n) compressed++;
      assert.deepEqual(elf.sectionData(t.name), rawSection(bytes, t), `${method} ${t.name}`);
    }
    assert.ok(compressed >= 4, `${method}: ${compressed} compressed sections`);
    elf.close();
  }
});

Deno.test("sectionData() reads plain sections as readelf locates them; NOBITS is empty", async () => {
  const path = join(USER, "out/bin/gcc-O0/types");
  const bytes = Deno.readFileSync(path);
  const elf = ElfFile.open(path);
  for (const t of await readelfSections(path)) {
    const data = elf.sectionData(elf.sections[t.index]!);
    if (t.type === "NOBITS" || t.type === "NULL") assert.equal(data.length, 0, t.name);
    else assert.deepEqual(data, rawSection(bytes, t), t.name);
  }
  assert.ok(elf.section(".bss")!.size > 0);
  assert.throws(() => elf.sectionData(".no_such_section"), LookupError);
  elf.close();
});

Deno.test("ElfFile.fromBytes() parses big-endian ELF64 and ELF32 images", () => {
  for (const is64 of [true, false]) {
    for (const littleEndian of [true, false]) {
      const note = buildNote("GNU", 3, new Uint8Array([0xde, 0xad, 0xbe, 0xef]), { littleEndian });
      const img = buildElf({
        is64,
        littleEndian,
        type: ET.DYN,
        machine: is64 ? 21 : 20, // PPC64 / PPC
        entry: 0x1234n,
        sections: [
          {
            name: ".text",
            type: SHT.PROGBITS,
            flags: SHF.ALLOC | SHF.EXECINSTR,
            addr: 0x1000n,
            data: new Uint8Array([1, 2, 3]),
            addralign: 4,
          },
          {
            name: ".note.gnu.build-id",
            type: SHT.NOTE,
            flags: SHF.ALLOC,
            data: note,
            addralign: 4,
          },
          {
            name: ".bss",
            type: SHT.NOBITS,
            flags: SHF.ALLOC | SHF.WRITE,
            addr: 0x2000n,
            size: 0x100,
          },
        ],
        segments: [
          {
            type: PT.LOAD,
            flags: PF.R | PF.X,
            vaddr: 0x1000n,
            paddr: 0x1000n,
            data: new Uint8Array(16),
            memsz: 32,
            align: 0x1000,
          },
          { type: PT.NOTE, flags: PF.R, data: note },
        ],
      });
      const elf = ElfFile.fromBytes(img.bytes, "img");
      const what = `is64=${is64} le=${littleEndian}`;
      assert.equal(elf.is64, is64, what);
      assert.equal(elf.littleEndian, littleEndian, what);
      assert.equal(elf.type, ET.DYN);
      assert.equal(elf.entry, 0x1234n);
      assert.equal(elf.platform.arch, is64 ? "PPC64" : "UNKNOWN");
      assert.equal(elf.platform.littleEndian, littleEndian);
      assert.deepEqual(elf.sections.map((s) => s.name), [
        "",
        ".text",
        ".note.gnu.build-id",
        ".bss",
        ".shstrtab",
      ]);
      const text = elf.section(".text")!;
      assert.equal(text.addr, 0x1000n);
      assert.equal(text.flags, SHF.ALLOC | SHF.EXECINSTR);
      assert.equal(text.addralign, 4);
      assert.deepEqual(elf.sectionData(text), new Uint8Array([1, 2, 3]));
      assert.equal(elf.section(".bss")!.size, 0x100);
      assert.equal(elf.sectionData(".bss").length, 0);
      assert.equal(elf.buildIdHex(), "deadbeef");
      assert.equal(elf.segments.length, 2);
      const load = elf.segments[0]!;
      assert.equal(load.type, PT.LOAD);
      assert.equal(load.flags, PF.R | PF.X);
      assert.equal(load.vaddr, 0x1000n);
      assert.equal(load.offset, img.segmentOffsets[0]);
      assert.equal(load.filesz, 16);
      assert.equal(load.memsz, 32);
      assert.equal(load.align, 0x1000);
      assert.equal(elf.segmentData(elf.segments[1]!).length, note.length);
    }
  }
});

Deno.test("ElfFile resolves extended numbering: e_shnum 0, SHN_XINDEX and PN_XNUM", () => {
  const segments = Array.from({ length: 70000 }, (_, i) => ({
    type: PT.LOAD,
    vaddr: BigInt(i) << 12n,
    offset: 0,
    filesz: 0,
    memsz: 4096,
  }));
  for (const littleEndian of [true, false]) {
    const img = buildElf({
      littleEndian,
      type: ET.CORE,
      sections: [{ name: ".data", type: SHT.PROGBITS, data: new Uint8Array([9]) }],
      segments,
      extendedPhnum: true,
      extendedShnum: true,
      extendedShstrndx: true,
    });
    const elf = ElfFile.fromBytes(img.bytes);
    assert.equal(elf.segments.length, 70000);
    assert.equal(elf.segments[69999]!.vaddr, 69999n << 12n);
    assert.equal(elf.sections.length, 3);
    assert.equal(elf.shstrndx, 2);
    assert.deepEqual(elf.sectionData(".data"), new Uint8Array([9]));
  }
});

Deno.test("ElfFile handles files without section headers", () => {
  const note = buildNote("GNU", 3, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  const img = buildElf({ noSectionHeaders: true, segments: [{ type: PT.NOTE, data: note }] });
  const elf = ElfFile.fromBytes(img.bytes);
  assert.equal(elf.sections.length, 0);
  assert.equal(elf.section(".text"), undefined);
  // Without SHT_NOTE sections, notes come from PT_NOTE.
  assert.equal(elf.buildIdHex(), "0102030405060708");
  assert.deepEqual(elf.symbols(), []);
  assert.equal(elf.debugLink(), null);
});

Deno.test("gnuDebugAltLink() and debugLink() decode their sections", () => {
  const enc = new TextEncoder();
  const alt = concat(enc.encode("/usr/lib/debug/.dwz/foo.debug\0"), new Uint8Array([0xab, 0xcd]));
  for (const littleEndian of [true, false]) {
    const link = new Uint8Array(16);
    link.set(enc.encode("foo.debug\0"));
    new DataView(link.buffer).setUint32(12, 0x11223344, littleEndian);
    const img = buildElf({
      littleEndian,
      sections: [
        { name: ".gnu_debugaltlink", type: SHT.PROGBITS, data: alt },
        { name: ".gnu_debuglink", type: SHT.PROGBITS, data: link, addralign: 4 },
      ],
    });
    const elf = ElfFile.fromBytes(img.bytes);
    const a = elf.gnuDebugAltLink()!;
    assert.equal(a.name, "/usr/lib/debug/.dwz/foo.debug");
    assert.deepEqual(a.buildId, new Uint8Array([0xab, 0xcd]));
    assert.deepEqual(elf.debugLink(), { name: "foo.debug", crc: 0x11223344 });
  }
});

// ---- malformed input ----

function assertDecodeError(fn: () => unknown, pattern: RegExp, name = "img") {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDecodeError(e), `expected DecodeError, got ${e}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(name), `message should name ${name}: ${e.message}`);
    return true;
  });
}

function assertTargetError(fn: () => unknown, pattern: RegExp, path: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TargetError, `expected TargetError, got ${e}`);
    assert.equal(e.path, path);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("ElfFile.open() rejects a missing path, a directory, and files that are not ELF", () => {
  assertTargetError(() => ElfFile.open("/nonexistent/x"), /no such file/, "/nonexistent/x");
  const dir = Deno.makeTempDirSync();
  assertTargetError(() => ElfFile.open(dir), /directory/, dir);
  const empty = join(dir, "empty");
  Deno.writeFileSync(empty, new Uint8Array(0));
  assertTargetError(() => ElfFile.open(empty), /only 0 bytes/, empty);
  const text = join(dir, "text");
  Deno.writeTextFileSync(text, "#!/bin/sh\necho not an ELF file\n");
  assertTargetError(() => ElfFile.open(text), /bad magic 23 21 2f 62/, text);
});

Deno.test("ElfFile rejects a bad class, byte order, version, and a truncated header", () => {
  const good = buildElf({}).bytes;
  const withByte = (i: number, v: number) => {
    const b = good.slice();
    b[i] = v;
    return b;
  };
  assertTargetError(() => ElfFile.fromBytes(withByte(4, 3), "img"), /ELF class 3/, "img");
  assertTargetError(() => ElfFile.fromBytes(withByte(4, 0), "img"), /ELF class 0/, "img");
  assertTargetError(() => ElfFile.fromBytes(withByte(5, 7), "img"), /data encoding 7/, "img");
  assertTargetError(() => ElfFile.fromBytes(withByte(6, 2), "img"), /ELF version 2/, "img");
  assertDecodeError(
    () => ElfFile.fromBytes(good.slice(0, 40), "img"),
    /shorter than the 64-byte ELF64 header/,
  );
  const elf32 = buildElf({ is64: false }).bytes;
  assertDecodeError(() => ElfFile.fromBytes(elf32.slice(0, 50), "img"), /52-byte ELF32 header/);
});

Deno.test("ElfFile rejects section and program header tables out of bounds", () => {
  const img = buildElf({
    sections: [{ name: ".text", type: SHT.PROGBITS, data: new Uint8Array(8) }],
    segments: [{ type: PT.LOAD, data: new Uint8Array(8) }],
  });
  // Truncated: the section header table is at the end of the file.
  assertDecodeError(
    () => ElfFile.fromBytes(img.bytes.slice(0, img.bytes.length - 10), "img"),
    /section headers of img .*extend past the end of the file/,
  );
  let b = img.bytes.slice();
  patch(b, 40, 1n << 40n, 8); // e_shoff
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /past the end of the file/);
  b = img.bytes.slice();
  patch(b, 60, 5000, 2); // e_shnum
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /5000 section headers/);
  b = img.bytes.slice();
  patch(b, 56, 3000, 2); // e_phnum
  assertDecodeError(
    () => ElfFile.fromBytes(b, "img"),
    /program headers of img .*3000 program headers/,
  );
  b = img.bytes.slice();
  patch(b, 32, 0xffffffffn, 8); // e_phoff
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /program headers/);
  b = img.bytes.slice();
  patch(b, 54, 8, 2); // e_phentsize
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /e_phentsize 8/);
  b = img.bytes.slice();
  patch(b, 58, 16, 2); // e_shentsize
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /e_shentsize 16/);
  b = img.bytes.slice();
  patch(b, 62, 77, 2); // e_shstrndx
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /string table index 77 is out of range/);
});

Deno.test("ElfFile rejects bad section names and section data past the end of the file", () => {
  const img = buildElf({
    sections: [
      { name: ".text", type: SHT.PROGBITS, data: new Uint8Array(8) },
      { name: ".data", type: SHT.PROGBITS, data: new Uint8Array(8) },
    ],
  });
  let b = img.bytes.slice();
  patch(b, img.sectionHeaderOffsets[1]!, 9999, 4); // sh_name
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /name offset 9999 of section 1/);
  b = img.bytes.slice();
  patch(b, img.sectionHeaderOffsets[2]! + 32, 1 << 30, 8); // sh_size of .data
  const elf = ElfFile.fromBytes(b, "img");
  assertDecodeError(() => elf.sectionData(".data"), /section \.data of img .*extend past the end/);
  assert.equal(elf.sectionData(".text").length, 8);
  // Unterminated name at the end of .shstrtab.
  b = img.bytes.slice();
  const strtabOff = img.sectionOffsets[img.shstrndx]!;
  const shstr = ElfFile.fromBytes(img.bytes).sectionData(".shstrtab");
  b[strtabOff + shstr.length - 1] = 0x41;
  assertDecodeError(() => ElfFile.fromBytes(b, "img"), /unterminated string/);
});

Deno.test("a truncated core keeps its program headers and notes, with a warning", () => {
  const path = join(USER, "out/core/gcc-O0/threads.gcore");
  const full = Deno.readFileSync(path);
  const complete = ElfFile.fromBytes(full, "threads.gcore");
  assert.deepEqual(complete.warnings, []);
  // gdb writes the section headers last: cut into them.
  const cut = full.slice(0, complete.shoff + 100);
  const elf = ElfFile.fromBytes(cut, "threads.gcore");
  assert.equal(elf.sections.length, 0);
  assert.equal(elf.warnings.length, 1);
  assert.match(
    elf.warnings[0]!,
    /ignoring the section headers: .*section headers of threads\.gcore/,
  );
  assert.deepEqual(elf.segments, complete.segments);
  assert.deepEqual(elf.notes(), complete.notes());
  // Not for other file types.
  const exe = Deno.readFileSync(join(USER, "out/bin/gcc-O0/types"));
  assertDecodeError(
    () => ElfFile.fromBytes(exe.slice(0, exe.length - 64), "img"),
    /section headers of img/,
  );
});

Deno.test("sectionData() rejects corrupt compressed sections", () => {
  const chdr = new Uint8Array(24 + 8);
  const v = new DataView(chdr.buffer);
  v.setUint32(0, 1, true); // ELFCOMPRESS_ZLIB
  v.setBigUint64(8, 100n, true);
  chdr.set([1, 2, 3, 4, 5, 6, 7, 8], 24); // not zlib
  const img = buildElf({
    sections: [
      { name: ".debug_info", type: SHT.PROGBITS, flags: SHF.COMPRESSED, data: chdr },
      { name: ".debug_str", type: SHT.PROGBITS, flags: SHF.COMPRESSED, data: chdr.slice(0, 10) },
    ],
  });
  const elf = ElfFile.fromBytes(img.bytes, "img");
  assertDecodeError(
    () => elf.sectionData(".debug_info"),
    /section \.debug_info of img.*corrupt zlib/,
  );
  assertDecodeError(() => elf.sectionData(".debug_str"), /unexpected end of data/);
});
