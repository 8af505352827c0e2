/**
 * The dump readers on the real kernel dump fixture and on every format made
 * from it: each variant's physical pages are compared byte for byte with the
 * `makedumpfile -E` ELF's (whose PT_LOADs give physical memory directly),
 * and the metadata with drgn's reference answers.
 */

import assert from "node:assert/strict";
import { FileReader } from "../../../../lib/binary/file_reader.ts";
import { FaultError, isFaultError } from "../../../../lib/errors.ts";
import { MemoryReader } from "../../../../lib/memory/memory_reader.ts";
import { resolveDumpFormat } from "../../../../lib/linux/dump/detect.ts";
import { DiskDump, DUMP_DH } from "../../../../lib/linux/dump/diskdump.ts";
import { FlattenedReader } from "../../../../lib/linux/dump/flattened.ts";
import {
  ElfImage,
  elfImageFixture,
  flatElf,
  flatKdump,
  hasMakedumpfile,
  KDUMP_FIXTURE,
  KDUMP_REFERENCE,
  lzoKdump,
  qemuStyleFiles,
  reencodedKdump,
} from "./_fixtures.ts";
import { bytesEqual, compareAllPages, vmcoreinfoMap } from "./_compare.ts";

const noMakedumpfile = !hasMakedumpfile();

interface Reference {
  vmcoreinfo: Record<string, string>;
  vmcoreinfo_facts: Record<string, string | number | null>;
  init_uts_ns: Record<string, string>;
  prstatus: { index: number; pr_pid: number; rip: string; rsp: string; cs: string }[];
}
const reference = JSON.parse(Deno.readTextFileSync(KDUMP_REFERENCE)) as Reference;

function openKdump(path: string): DiskDump {
  const resolved = resolveDumpFormat(FileReader.open(path));
  assert.equal(resolved.format, "kdump");
  return DiskDump.open(resolved.reader);
}

/** Counts descriptors by compression flags. */
function flagCounts(dump: DiskDump): Map<number, number> {
  const counts = new Map<number, number>();
  for (let pfn = 0; pfn < dump.maxPfn; pfn++) {
    const d = dump.pageDescriptor(pfn);
    if (d !== null) counts.set(d.flags, (counts.get(d.flags) ?? 0) + 1);
  }
  return counts;
}

Deno.test("DiskDump reads the zlib kdump fixture's headers as drgn does", () => {
  const dump = openKdump(KDUMP_FIXTURE);
  try {
    assert.equal(dump.signature, "KDUMP   ");
    assert.equal(dump.headerVersion, 6);
    assert.equal(dump.wordSize, 8);
    assert.equal(dump.littleEndian, true);
    assert.equal(dump.pageSize, 4096);
    assert.deepEqual({ ...dump.utsname }, reference.init_uts_ns);
    assert.equal(dump.status & DUMP_DH.COMPRESSED_ZLIB, DUMP_DH.COMPRESSED_ZLIB);
    assert.equal(dump.dumpLevel, 31);
    assert.equal(dump.nrCpus, 2);
    assert.equal(dump.physBase, BigInt(reference.vmcoreinfo_facts.phys_base as string));
    // 256 MiB of RAM.
    assert.equal(dump.maxPfn, (256 << 20) / 4096);

    // VMCOREINFO: every key drgn saw, with the same value.
    const vmci = vmcoreinfoMap(dump.vmcoreinfo!);
    assert.equal(vmci.get("OSRELEASE"), "6.1.0-56-amd64");
    assert.equal(vmci.get("KERNELOFFSET"), "6800000");
    assert.equal(vmci.get("BUILD-ID"), "eb4fbcd037e7253717950bf2b93bd5566f47c56f");
    for (const [k, v] of Object.entries(reference.vmcoreinfo)) assert.equal(vmci.get(k), v, k);

    // Notes: NT_PRSTATUS per CPU, QEMU's CPU state, VMCOREINFO.
    assert.deepEqual(
      dump.notes.map((n) => [n.name, n.type, n.desc.length]),
      [["CORE", 1, 336], ["CORE", 1, 336], ["QEMU", 0, 440], ["QEMU", 0, 440], [
        "VMCOREINFO",
        0,
        3277,
      ]],
    );
    const prstatus = dump.notes.filter((n) => n.name === "CORE" && n.type === 1);
    assert.equal(prstatus.length, 2);
    // struct elf_prstatus on x86-64: pr_pid at 32, pr_reg at 112 (rip = reg 16, cs 17, rsp 19).
    prstatus.forEach((n, i) => {
      const v = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
      const ref = reference.prstatus[i]!;
      assert.equal(v.getInt32(32, true), ref.pr_pid);
      assert.equal("0x" + v.getBigUint64(112 + 16 * 8, true).toString(16), ref.rip);
      assert.equal("0x" + v.getBigUint64(112 + 17 * 8, true).toString(16), ref.cs);
      assert.equal("0x" + v.getBigUint64(112 + 19 * 8, true).toString(16), ref.rsp);
    });
    assert.equal(
      new TextDecoder().decode(dump.notes[4]!.desc).replace(/\0+$/, ""),
      dump.vmcoreinfo,
    );
  } finally {
    dump.close();
  }
});

Deno.test("DiskDump reads every page of the zlib kdump fixture as the ELF has it", () => {
  const dump = openKdump(KDUMP_FIXTURE);
  try {
    const n = compareAllPages(dump, elfImageFixture());
    assert.ok(n > 15000, `only ${n} pages`);
    // ranges() covers exactly the dumpable pages.
    let pages = 0;
    let prevEnd = -1n;
    for (const r of dump.ranges()) {
      assert.ok(r.start > prevEnd && r.end > r.start);
      assert.ok(dump.isDumpable(Number(r.start / 4096n)));
      assert.ok(dump.isDumpable(Number(r.end / 4096n) - 1));
      assert.ok(!dump.isDumpable(Number(r.start / 4096n) - 1));
      assert.ok(!dump.isDumpable(Number(r.end / 4096n)));
      pages += Number((r.end - r.start) / 4096n);
      prevEnd = r.end;
    }
    assert.equal(pages, dump.dumpablePages);
  } finally {
    dump.close();
  }
});

Deno.test("DiskDump faults on the fixture's excluded pages and past max_mapnr", () => {
  const dump = openKdump(KDUMP_FIXTURE);
  try {
    // drgn 0.0.22 reports "Excluded page: 0x643efab" for init's cmdline.
    assert.equal(dump.isDumpable(0x643efab >> 12), false);
    const buf = new Uint8Array(16);
    assert.throws(
      () => dump.readPhysical(0x643efabn, buf, 0, 16),
      (e: unknown) =>
        e instanceof FaultError && e.address === 0x643efabn && e.physical &&
        e.message === "could not read memory from kdump: excluded page: 0x643efab",
    );
    // A read that starts in a dumpable page and runs into an excluded one
    // faults at the first byte of the excluded page.
    let pfn = 1;
    while (!(dump.isDumpable(pfn) && !dump.isDumpable(pfn + 1))) pfn++;
    const start = BigInt((pfn + 1) * 4096 - 8);
    assert.throws(
      () => dump.readPhysical(start, new Uint8Array(64), 0, 64),
      (e: unknown) => isFaultError(e) && e.address === BigInt((pfn + 1) * 4096),
    );
    assert.throws(
      () => dump.readPhysical(BigInt(dump.maxPfn) * 4096n + 5n, buf, 0, 1),
      (e: unknown) =>
        e instanceof FaultError && e.address === BigInt(dump.maxPfn) * 4096n + 5n &&
        /beyond the end of the dump/.test(e.message),
    );
    // Through MemoryReader: one physical segment, the dump's own faults.
    const mem = new MemoryReader();
    dump.addToMemory(mem);
    assert.throws(
      () => mem.read(0x643efabn, 8, true),
      (e: unknown) => isFaultError(e) && /excluded page/.test(e.message),
    );
  } finally {
    dump.close();
  }
});

Deno.test("DiskDump serves memory through MemoryReader, physical and virtual", () => {
  const dump = openKdump(KDUMP_FIXTURE);
  const image = elfImageFixture();
  try {
    const mem = new MemoryReader();
    dump.addToMemory(mem);
    // The kernel image: KERNELOFFSET and phys_base give _stext's physical address.
    const stextVirt = 0xffffffff87800000n;
    const stextPhys = stextVirt - 0xffffffff80000000n + dump.physBase!;
    const got = mem.read(stextPhys, 6000, true);
    const pfn = Number(stextPhys / 4096n);
    const want = new Uint8Array(8192);
    want.set(image.page(pfn)!, 0);
    want.set(image.page(pfn + 1)!, 4096);
    assert.ok(bytesEqual(got, want.subarray(0, 6000)));
    // Mapped at a virtual base (the kernel's direct map), faults name the virtual address.
    const directMap = 0xffff8a8040000000n;
    for (const r of dump.ranges()) {
      mem.virtual.add(directMap + r.start, directMap + r.end, dump.memorySource(r.start));
    }
    assert.ok(bytesEqual(mem.read(directMap + stextPhys, 6000), got));
    const excluded = directMap + 0x643efabn;
    assert.throws(() => mem.read(excluded, 4), (e: unknown) => isFaultError(e) && !e.physical);
    // A source over an excluded page reports the caller's address.
    const src = dump.memorySource(0x643e000n);
    assert.throws(
      () => src.readInto(0xfabn, new Uint8Array(4), 0, 4, 0x1000fabn, false),
      (e: unknown) => e instanceof FaultError && e.address === 0x1000fabn && !e.physical,
    );
  } finally {
    dump.close();
  }
});

Deno.test("DiskDump reads a kdump with every page re-encoded with snappy", () => {
  const dump = openKdump(reencodedKdump("snappy"));
  try {
    assert.equal(dump.status & 0x25, DUMP_DH.COMPRESSED_SNAPPY);
    const flags = flagCounts(dump);
    assert.ok((flags.get(DUMP_DH.COMPRESSED_SNAPPY) ?? 0) > 15000, `${[...flags]}`);
    assert.ok(compareAllPages(dump, elfImageFixture()) > 15000);
    assert.equal(vmcoreinfoMap(dump.vmcoreinfo!).get("OSRELEASE"), "6.1.0-56-amd64");
  } finally {
    dump.close();
  }
});

Deno.test("DiskDump reads a kdump with every page re-encoded with zstd", () => {
  const dump = openKdump(reencodedKdump("zstd"));
  try {
    assert.equal(dump.status & 0x25, DUMP_DH.COMPRESSED_ZSTD);
    const flags = flagCounts(dump);
    assert.ok((flags.get(DUMP_DH.COMPRESSED_ZSTD) ?? 0) > 15000, `${[...flags]}`);
    assert.ok(compareAllPages(dump, elfImageFixture()) > 15000);
  } finally {
    dump.close();
  }
});

Deno.test({
  name: "DiskDump reads makedumpfile's LZO kdump page for page as the zlib one",
  ignore: noMakedumpfile,
  fn() {
    const lzo = openKdump(lzoKdump());
    const zlibDump = openKdump(KDUMP_FIXTURE);
    try {
      assert.equal(lzo.status & DUMP_DH.COMPRESSED_LZO, DUMP_DH.COMPRESSED_LZO);
      const flags = flagCounts(lzo);
      assert.ok((flags.get(DUMP_DH.COMPRESSED_LZO) ?? 0) > 10000, `${[...flags]}`);
      // Every page decompresses to exactly block_size and matches the ELF it was made from.
      assert.ok(compareAllPages(lzo, elfImageFixture()) > 15000);
      // And matches the zlib kdump wherever both saved the page.
      const a = new Uint8Array(4096);
      const b = new Uint8Array(4096);
      let both = 0;
      for (let pfn = 0; pfn < lzo.maxPfn; pfn++) {
        if (!lzo.isDumpable(pfn) || !zlibDump.isDumpable(pfn)) continue;
        lzo.readPhysical(BigInt(pfn) * 4096n, a, 0, 4096);
        zlibDump.readPhysical(BigInt(pfn) * 4096n, b, 0, 4096);
        assert.ok(bytesEqual(a, b), `pfn ${pfn.toString(16)}`);
        both++;
      }
      assert.ok(both > 15000, `${both}`);
      assert.equal(lzo.vmcoreinfo, zlibDump.vmcoreinfo);
    } finally {
      lzo.close();
      zlibDump.close();
    }
  },
});

Deno.test({
  name: "DiskDump reads makedumpfile's flattened kdump through detection and reassembly",
  ignore: noMakedumpfile,
  fn() {
    const resolved = resolveDumpFormat(FileReader.open(flatKdump()));
    assert.equal(resolved.format, "kdump");
    assert.equal(resolved.flattened, true);
    assert.ok(resolved.reader instanceof FlattenedReader);
    const dump = DiskDump.open(resolved.reader);
    try {
      assert.equal(dump.utsname.release, "6.1.0-56-amd64");
      assert.equal(dump.notes.filter((n) => n.name === "CORE" && n.type === 1).length, 2);
      assert.equal(vmcoreinfoMap(dump.vmcoreinfo!).get("KERNELOFFSET"), "6800000");
      assert.ok(compareAllPages(dump, elfImageFixture()) > 15000);
    } finally {
      dump.close();
    }
  },
});

Deno.test({
  name: "makedumpfile's flattened ELF reassembles to the ELF's physical memory",
  ignore: noMakedumpfile,
  fn() {
    const resolved = resolveDumpFormat(FileReader.open(flatElf()));
    try {
      assert.equal(resolved.format, "elf");
      assert.equal(resolved.flattened, true);
      const image = new ElfImage(resolved.reader.readAt(0, resolved.reader.size).slice());
      const original = elfImageFixture();
      assert.ok(image.loads.length > 0);
      let pages = 0;
      for (const s of image.loads) {
        for (let a = s.paddr; a + 4096 <= s.paddr + s.filesz; a += 4096) {
          const want = original.page(a / 4096);
          assert.ok(want !== null && bytesEqual(image.page(a / 4096)!, want), a.toString(16));
          pages++;
        }
      }
      assert.ok(pages > 15000, `${pages}`);
      assert.ok(bytesEqual(image.notes, original.notes));
    } finally {
      resolved.reader.close();
    }
  },
});

Deno.test("DiskDump reads a QEMU-style kdump, flattened and plain", () => {
  const { flat, plain } = qemuStyleFiles();
  const image = elfImageFixture();
  // The flattened stream reassembles to exactly the plain file.
  const flatReader = FlattenedReader.open(FileReader.open(flat));
  const plainBytes = Deno.readFileSync(plain);
  assert.equal(flatReader.size, plainBytes.length);
  assert.ok(bytesEqual(flatReader.readAt(0, flatReader.size), plainBytes));
  flatReader.close();

  for (const path of [flat, plain]) {
    const dump = openKdump(path);
    try {
      // QEMU fills only utsname.machine; the release comes from VMCOREINFO.
      assert.deepEqual({ ...dump.utsname }, {
        sysname: "",
        nodename: "",
        release: "",
        version: "",
        machine: "x86_64",
        domainname: "",
      });
      assert.equal(dump.dumpLevel, 1);
      assert.equal(dump.physBase, -35651584n);
      assert.equal(vmcoreinfoMap(dump.vmcoreinfo!).get("OSRELEASE"), "6.1.0-56-amd64");
      assert.equal(dump.notes.filter((n) => n.name === "CORE" && n.type === 1).length, 2);
      // Every page of every PT_LOAD is there (dump level 1); zero pages share one descriptor.
      let expected = 0;
      for (const s of image.loads) expected += s.memsz / 4096;
      assert.equal(dump.dumpablePages, expected);
      assert.equal(compareAllPages(dump, image), expected);
      for (let pfn = 0; pfn < dump.maxPfn; pfn += 97) {
        assert.equal(dump.isValid(pfn), dump.isDumpable(pfn));
      }
      const zero = dump.pageDescriptor(0x200)!; // in [filesz, memsz) of the first PT_LOAD
      assert.equal(zero.flags, 0);
      assert.equal(zero.offset, dump.pageDescriptor(0x201)!.offset);
    } finally {
      dump.close();
    }
  }
});
