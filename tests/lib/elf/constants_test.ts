import assert from "node:assert/strict";
import {
  elfName,
  EM,
  noteTypeName,
  NT,
  PT,
  R_X86_64,
  SHF,
  SHN,
  SHT,
  STB,
  STT,
} from "../../../lib/elf/constants.ts";
import { run } from "./_fixtures.ts";

Deno.test("elfName() gives spec names, prefers real names over range markers", () => {
  assert.equal(elfName("SHT", SHT.SYMTAB), "SHT_SYMTAB");
  assert.equal(elfName("SHT", 0x6fffffff), "SHT_GNU_versym");
  assert.equal(elfName("PT", PT.GNU_STACK), "PT_GNU_STACK");
  assert.equal(elfName("PT", 0x60000000), "PT_LOOS");
  assert.equal(elfName("EM", EM.X86_64), "EM_X86_64");
  assert.equal(elfName("EM", 3), "EM_386");
  assert.equal(elfName("R_X86_64", R_X86_64["64"]), "R_X86_64_64");
  assert.equal(elfName("R_X86_64", R_X86_64.PC32), "R_X86_64_PC32");
  assert.equal(elfName("SHF", SHF.COMPRESSED), "SHF_COMPRESSED");
  assert.equal(elfName("SHN", SHN.XINDEX), "SHN_XINDEX");
  assert.equal(elfName("STT", STT.GNU_IFUNC), "STT_GNU_IFUNC");
  assert.equal(elfName("STB", STB.WEAK), "STB_WEAK");
  assert.equal(elfName("SHT", 0x12345), "SHT_0x12345");
  assert.equal(elfName("NT", NT.SIGINFO), "NT_SIGINFO");
  assert.equal(elfName("NT", 3), "NT_PRPSINFO");
});

Deno.test("noteTypeName() names a note type by its owner", () => {
  assert.equal(noteTypeName("GNU", 3), "NT_GNU_BUILD_ID");
  assert.equal(noteTypeName("CORE", 3), "NT_PRPSINFO");
  assert.equal(noteTypeName("CORE", 2), "NT_PRFPREG");
  assert.equal(noteTypeName("LINUX", 0x202), "NT_X86_XSTATE");
  assert.equal(noteTypeName("GDB", 0xff000000), "NT_GDB_TDESC");
  assert.equal(noteTypeName("VMCOREINFO", 0), "NT_0x0");
  assert.equal(noteTypeName("GNU", 1), "NT_GNU_ABI_TAG");
});

Deno.test("constants agree with the system's <elf.h>", async () => {
  const names: [string, number | bigint][] = [
    ["SHT_SYMTAB_SHNDX", SHT.SYMTAB_SHNDX],
    ["SHT_GNU_HASH", SHT.GNU_HASH],
    ["SHT_X86_64_UNWIND", SHT.X86_64_UNWIND],
    ["SHT_RELR", SHT.RELR],
    ["PT_GNU_PROPERTY", PT.GNU_PROPERTY],
    ["PT_GNU_RELRO", PT.GNU_RELRO],
    ["SHF_COMPRESSED", SHF.COMPRESSED],
    ["SHF_GNU_RETAIN", SHF.GNU_RETAIN],
    ["SHF_EXCLUDE", SHF.EXCLUDE],
    ["STT_GNU_IFUNC", STT.GNU_IFUNC],
    ["STB_GNU_UNIQUE", STB.GNU_UNIQUE],
    ["NT_PRSTATUS", NT.PRSTATUS],
    ["NT_PRFPREG", NT.PRFPREG],
    ["NT_PRPSINFO", NT.PRPSINFO],
    ["NT_AUXV", NT.AUXV],
    ["NT_SIGINFO", NT.SIGINFO],
    ["NT_FILE", NT.FILE],
    ["NT_X86_XSTATE", NT.X86_XSTATE],
    ["NT_PRXFPREG", NT.PRXFPREG],
    ["NT_GNU_BUILD_ID", NT.GNU_BUILD_ID],
    ["NT_GNU_PROPERTY_TYPE_0", NT.GNU_PROPERTY_TYPE_0],
    ["R_X86_64_PC64", R_X86_64.PC64],
    ["R_X86_64_PLT32", R_X86_64.PLT32],
    ["R_X86_64_32S", R_X86_64["32S"]],
    ["R_X86_64_SIZE64", R_X86_64.SIZE64],
    ["R_X86_64_REX_GOTPCRELX", R_X86_64.REX_GOTPCRELX],
    ["ELFCOMPRESS_ZLIB", 1],
    ["SHN_XINDEX", SHN.XINDEX],
    ["PN_XNUM", 0xffff],
    ["EM_AARCH64", EM.AARCH64],
  ];
  const dir = Deno.makeTempDirSync({ prefix: "wyvern-elfh-" });
  const lines = names.map(([n]) => `printf("%s %llu\\n", "${n}", (unsigned long long)(${n}));`);
  Deno.writeTextFileSync(
    `${dir}/c.c`,
    `#include <elf.h>\n#include <stdio.h>\nint main(void) {\n${lines.join("\n")}\nreturn 0;\n}\n`,
  );
  await run("gcc", ["-o", `${dir}/c`, `${dir}/c.c`]);
  const out = (await run(`${dir}/c`, [])).trim().split("\n");
  assert.equal(out.length, names.length);
  out.forEach((line, i) => {
    const [name, value] = line.split(" ");
    assert.equal(name, names[i]![0]);
    assert.equal(BigInt(value!), BigInt(names[i]![1]), name);
  });
});
