/**
 * Kernel targets on every dump format of the fixture machine state, the
 * 5-level-paging dump and the sample kernel's QEMU dump: VMCOREINFO facts
 * before debug info, KASLR, objects, types, modules and per-CPU runqueues,
 * against drgn 0.0.22's answers (and, where drgn failed on a format, the
 * answers it gave on the same memory in another format).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { openLiveKernel } from "../../../lib/linux/kernel.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { PT } from "../../../lib/elf/constants.ts";
import { FileReader } from "../../../lib/binary/file_reader.ts";
import { virtToPhys } from "../../../helpers/linux/mm.ts";
import { DecodeError, FaultError, LookupError, TargetError } from "../../../lib/errors.ts";
import { peekKernelModule } from "../../../lib/linux/find_vmlinux.ts";
import { offsetof } from "../../../lib/object/operators.ts";
import {
  KERNEL,
  KERNEL_MODULES,
  kernelDumpPath,
  kernelReference,
  runDeno,
  sampleModule,
  sampleQemuDump,
  sampleVmlinux,
} from "../../_programs.ts";
import { USER, vmlinux } from "../elf/_fixtures.ts";
import { checkKernel, hex, listEntries } from "./_kernel_checks.ts";
import {
  flatElf,
  flatKdump,
  hasMakedumpfile,
  lzoKdump,
  qemuStyleFiles,
  reencodedKdump,
} from "./dump/_fixtures.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Every format of the kaslr-256m machine state: [name, path, drgn reference format]. */
async function formats(): Promise<[string, string, string][]> {
  const out: [string, string, string][] = [
    ["mdf-c-d31.kdump (zlib)", await kernelDumpPath("mdf-c-d31.kdump"), "mdf-c-d31.kdump"],
    // drgn 0.0.22 reads no kernel memory from these two: compared with its kdump answers.
    ["mdf-E-d31.elf", await kernelDumpPath("mdf-E-d31.elf"), "mdf-c-d31.kdump"],
    ["paging.elf", await kernelDumpPath("paging.elf"), "paging.elf"],
    ["kdump, snappy pages", reencodedKdump("snappy"), "mdf-c-d31.kdump"],
    ["kdump, zstd pages", reencodedKdump("zstd"), "mdf-c-d31.kdump"],
    ["QEMU-style kdump-zlib, flattened", qemuStyleFiles().flat, "mdf-c-d31.kdump"],
  ];
  if (hasMakedumpfile()) {
    out.push(
      ["kdump, LZO pages", lzoKdump(), "mdf-c-d31.kdump"],
      ["makedumpfile -F (flattened kdump)", flatKdump(), "mdf-c-d31.kdump"],
      ["makedumpfile -F -E (flattened ELF)", flatElf(), "mdf-c-d31.kdump"],
    );
  }
  return out;
}

function open(path: string, debug: string[]): Program {
  const p = new Program();
  p.setCoreDump(path);
  p.loadDebugInfo(debug);
  return p;
}

const debugFiles = async () => [
  await vmlinux(),
  ...KERNEL_MODULES.map((m) => join(KERNEL, "debug", `${m}.ko`)),
];

Deno.test("kernel dump: the module list is walked only when something needs the modules", async () => {
  const ref = kernelReference("mdf-c-d31.kdump");
  const files = await debugFiles();
  const dumpPath = await kernelDumpPath("mdf-c-d31.kdump");
  const fresh = () => {
    const p = new Program();
    p.setCoreDump(dumpPath);
    p.loadDebugInfo(files);
    return p;
  };
  const kinds = (p: Program) => p.loadedModules.map((m) => m.kind);
  const [fn, e] = Object.entries(ref.module_debug_info as Record<string, Json>)[0]!;
  // vmlinux answers: no walk.
  let p = fresh();
  assert.deepEqual(kinds(p), ["linux_kernel"]);
  assert.equal(hex(p.object("init_task").address_!), ref.init_task_address);
  String(p.type("struct task_struct"));
  assert.deepEqual(kinds(p), ["linux_kernel"], "lookups vmlinux answers do not walk");
  // The vmlinux's range (computed on first use) is [_text, _end), relocated.
  const kernel = p.loadedModules[0]!;
  assert.equal(kernel.start, p.symbol("_text").address);
  assert.equal(kernel.end, p.symbol("_end").address);
  assert.equal(p.moduleAt(p.symbol("schedule").address), kernel);
  // Each of these needs the modules, and gets them.
  const triggers: [string, (p: Program) => unknown][] = [
    ["the module list", (p) => p.modules],
    ["the warnings", (p) => p.warnings],
    ["a function only a module has", (p) => assert.equal(hex(p.function(fn).address_!), e.address)],
    [
      "a symbol by name only a module has",
      (p) => assert.equal(hex(p.symbol(fn).address), e.address),
    ],
    ["a symbol at a module address", (p) => assert.equal(p.symbol(BigInt(e.address)).name, fn)],
    ["the module at an address", (p) => assert.ok(p.moduleAt(BigInt(e.address))?.hasDebugInfo)],
  ];
  for (const [what, f] of triggers) {
    p = fresh();
    f(p);
    const mods = p.loadedModules.filter((m) => m.kind === "linux_kernel_module");
    assert.deepEqual(
      mods.map((m) => [m.name, m.hasDebugInfo]),
      (ref.modules as Json[]).map((m) => [m.name, true]),
      what,
    );
  }
});

Deno.test("kernel dump: module files are read when the modules are listed; one gone by then is a warning", async () => {
  const [vml, ...kos] = await debugFiles();
  // Told from the other files by their ELF type and section names alone.
  for (const ko of kos) assert.equal(peekKernelModule(ko!), true, ko);
  assert.equal(peekKernelModule(vml!), false);
  assert.equal(peekKernelModule(join(USER, "out/bin/gcc-O0/types")), false);
  assert.equal(peekKernelModule(join(KERNEL, "README.md")), null);
  assert.equal(peekKernelModule(join(KERNEL, "no-such.ko")), null);
  const dump = await kernelDumpPath("mdf-c-d31.kdump");
  const brd = kos.find((k) => k!.endsWith("/brd.ko"))!;
  const tmp = Deno.makeTempDirSync();
  try {
    // A truncated module file: not told, so opened at once, and refused as before.
    const cut = join(tmp, "cut.ko");
    Deno.writeFileSync(cut, Deno.readFileSync(brd).subarray(0, 200));
    assert.equal(peekKernelModule(cut), null);
    const p = new Program();
    p.setCoreDump(dump);
    assert.throws(() => p.loadDebugInfo([vml!, cut]), DecodeError);
    // A module file removed before the modules are listed: that module has
    // no debug info, and the warning names the file.
    const gone = join(tmp, "brd.ko");
    Deno.copyFileSync(brd, gone);
    const q = new Program();
    q.setCoreDump(dump);
    q.loadDebugInfo([vml!, gone, ...kos.filter((k) => k !== brd)]);
    Deno.removeSync(gone);
    const mods = q.modules.filter((m) => m.kind === "linux_kernel_module");
    assert.deepEqual(
      mods.filter((m) => !m.hasDebugInfo).map((m) => m.name),
      ["brd"],
    );
    assert.ok(q.warnings.some((w) => w.startsWith(`${gone}: not loaded`)), q.warnings.join("\n"));
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("kernel dump: module debug info given in a later loadDebugInfo() call is attached", async () => {
  const ref = kernelReference("mdf-c-d31.kdump");
  const [vml, ...kos] = await debugFiles();
  const p = new Program();
  p.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
  p.loadDebugInfo([vml!]);
  const listed = p.modules.filter((m) => m.kind === "linux_kernel_module");
  assert.ok(listed.length > 0 && listed.every((m) => !m.hasDebugInfo));
  p.loadDebugInfo(kos.slice(0, 2));
  p.loadDebugInfo(kos.slice(2));
  assert.deepEqual(
    p.modules.filter((m) => m.kind === "linux_kernel_module").map((m) => [m.name, m.hasDebugInfo]),
    (ref.modules as Json[]).map((m) => [m.name, true]),
  );
  assert.deepEqual(
    p.modules.filter((m) => m.kind === "linux_kernel_module"),
    listed,
    "same modules",
  );
  for (const [fn, e] of Object.entries(ref.module_debug_info as Record<string, Json>)) {
    assert.equal(hex(p.function(fn).address_!), e.address, fn);
  }
});

for (const [name, getPath, refName] of await formats()) {
  Deno.test(`kernel dump ${name}: release, KASLR, objects, types, modules, runqueues`, async () => {
    const p = open(getPath, await debugFiles());
    checkKernel(p, kernelReference(refName as "mdf-c-d31.kdump"), name);
    assert.deepEqual(p.warnings, []);
  });
}

Deno.test("kernel dump: a module's DWARF is opened when first needed, not when the modules are listed", async () => {
  const ref = kernelReference("mdf-c-d31.kdump");
  const p = open(await kernelDumpPath("mdf-c-d31.kdump"), await debugFiles());
  const mods = p.modules.filter((m) => m.kind === "linux_kernel_module");
  assert.equal(mods.length, (ref.modules as Json[]).length);
  // Listed, with debug info found, its DWARF not yet opened.
  for (const m of mods) {
    assert.equal(m.hasDebugInfo, true, m.name);
    assert.equal(m.data.get("dwarf"), undefined, m.name);
  }
  // A frame or a lookup in one module opens that one; a lookup vmlinux
  // cannot answer opens the others it searches.
  const [fn, e] = Object.entries(ref.module_debug_info as Record<string, Json>)[0]!;
  const owner = p.moduleAt(BigInt(e.address))!;
  assert.notEqual(owner.debugInfo, null);
  assert.notEqual(owner.data.get("dwarf"), undefined);
  assert.equal(mods.filter((m) => m.data.get("dwarf") !== undefined).length, 1);
  assert.equal(hex(p.function(fn).address_!), e.address);
  assert.throws(() => p.type("struct no_such_type_anywhere"), LookupError);
  for (const m of mods) assert.notEqual(m.data.get("dwarf"), undefined, m.name);
  assert.deepEqual(p.warnings, []);
});

Deno.test("kernel dump la57 (5-level paging): as drgn", async () => {
  const ref = kernelReference("la57.kdump");
  const p = open(await kernelDumpPath("la57.kdump"), await debugFiles());
  const info = p.targetData.get("kernel") as Json;
  assert.equal(info.vmcoreinfo.pgtableL5Enabled, true);
  assert.equal(info.pageTable.levels, 5);
  checkKernel(p, ref, "la57");
});

Deno.test("kernel: VMCOREINFO objects work before any debug info is loaded", async () => {
  const p = new Program();
  p.setCoreDump(await kernelDumpPath("mdf-E-d31.elf"));
  assert.equal(p.object("UTS_RELEASE").string_(), "6.1.0-56-amd64");
  assert.equal(String(p.object("UTS_RELEASE")), '(char [15])"6.1.0-56-amd64"');
  assert.equal(p.object("PAGE_SHIFT").value_(), 12);
  assert.equal(p.object("PAGE_MASK").value_(), 0xfffffffffffff000n);
  assert.match(p.object("VMCOREINFO").string_(), /^OSRELEASE=6\.1\.0-56-amd64\n/);
  // Kernel memory reads through the page tables even without debug info:
  // init_task's address (KASLR applied) and comm offset from a program that
  // has only the vmlinux.
  const types = new Program();
  types.loadDebugInfo([await vmlinux()]);
  const comm = offsetof(types.type("struct task_struct"), "comm");
  const initTask = types.symbol("init_task").address + 0x6800000n;
  assert.equal(p.readCString(initTask + BigInt(comm)), "swapper/0");
});

Deno.test("kernel: a mismatched vmlinux is refused with a warning, never used", async () => {
  const p = new Program();
  p.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
  p.loadDebugInfo([await sampleVmlinux()]);
  assert.ok(
    p.warnings.some((w) =>
      /not loaded: build ID [0-9a-f]+ does not match the kernel's eb4fbcd0/.test(w)
    ),
    p.warnings.join("\n"),
  );
  assert.equal(p.modules.length, 0);
  assert.throws(
    () => p.object("init_task"),
    /could not find 'init_task' \(no debug info is loaded for the kernel: give its vmlinux with -s\)/,
  );
  // The default search finds nothing (an empty sysroot, whatever this
  // machine has installed): a warning, not an error.
  const empty = Deno.makeTempDirSync();
  const q = new Program();
  q.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
  withSysroot(empty, () => q.loadDebugInfo([], { default: true }));
  assert.ok(q.warnings.some((w) => /missing debug info for the kernel 6\.1\.0-56-amd64/.test(w)));
  Deno.removeSync(empty);
});

/** Runs `fn` with `WYVERN_SYSROOT` set to `root`, then restores it. */
function withSysroot<T>(root: string, fn: () => T): T {
  const saved = Deno.env.get("WYVERN_SYSROOT");
  Deno.env.set("WYVERN_SYSROOT", root);
  try {
    return fn();
  } finally {
    if (saved === undefined) Deno.env.delete("WYVERN_SYSROOT");
    else Deno.env.set("WYVERN_SYSROOT", saved);
  }
}

Deno.test("kernel: the default search finds vmlinux and module debug files under WYVERN_SYSROOT", async () => {
  // Debian's layout of linux-image-*-dbg, in a tree of its own.
  const root = Deno.makeTempDirSync();
  try {
    const rel = "6.1.0-56-amd64";
    const mods = `${root}/usr/lib/debug/lib/modules/${rel}/kernel`;
    Deno.mkdirSync(`${root}/usr/lib/debug/boot`, { recursive: true });
    Deno.mkdirSync(`${mods}/drivers/block`, { recursive: true });
    Deno.mkdirSync(`${mods}/fs/minix`, { recursive: true });
    Deno.symlinkSync(await vmlinux(), `${root}/usr/lib/debug/boot/vmlinux-${rel}`);
    Deno.symlinkSync(join(KERNEL, "debug/loop.ko"), `${mods}/drivers/block/loop.ko`);
    Deno.symlinkSync(join(KERNEL, "debug/minix.ko"), `${mods}/fs/minix/minix.ko`);
    const p = new Program();
    p.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
    withSysroot(root, () => {
      p.loadDebugInfo([], { default: true });
      const found = p.modules.filter((m) => m.hasDebugInfo).map((m) => m.name).sort();
      assert.deepEqual(found, ["kernel", "loop", "minix"]);
    });
    assert.equal(p.object("init_task").comm.string_(), "swapper/0");
    assert.ok(
      p.warnings.some((w) =>
        w === "missing debug info for kernel modules: dummy, brd, qemu_fw_cfg"
      ),
      p.warnings.join("\n"),
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/** Copies the first `n` bytes of `from` to `to` (without reading the whole file). */
function copyPrefix(from: string, to: string, n: number): void {
  const src = Deno.openSync(from);
  const dst = Deno.openSync(to, { write: true, create: true, truncate: true });
  try {
    const buf = new Uint8Array(8 << 20);
    for (let left = n; left > 0;) {
      const got = src.readSync(buf.subarray(0, Math.min(buf.length, left)));
      if (got === null) break;
      for (let done = 0; done < got;) done += dst.writeSync(buf.subarray(done, got));
      left -= got;
    }
  } finally {
    src.close();
    dst.close();
  }
}

Deno.test("kernel: truncated and corrupted dumps give typed errors or faults", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const kdump = Deno.readFileSync(await kernelDumpPath("mdf-c-d31.kdump"));
    // Header cut: typed error naming the file.
    const cut = join(dir, "cut.kdump");
    Deno.writeFileSync(cut, kdump.subarray(0, 3000));
    assert.throws(
      () => new Program().setCoreDump(cut),
      (e: unknown) => e instanceof Error && e.message.includes(cut),
    );
    // Page data cut: opens; reads of the lost pages fault, the rest reads.
    const half = join(dir, "half.kdump");
    Deno.writeFileSync(half, kdump.subarray(0, kdump.length >> 1));
    const p = open(half, await debugFiles());
    assert.equal(p.object("UTS_RELEASE").string_(), "6.1.0-56-amd64");
    // Walking the tasks reaches lost pages: a FaultError with the address, no garbage.
    assert.throws(() => {
      for (const t of listEntries(p.object("init_task").tasks, "struct task_struct", "tasks")) {
        t.comm.string_();
      }
    }, (e: unknown) => e instanceof FaultError && e.address > 0n);
    // Cut further, the page tables are lost too: the fault says why.
    const small = join(dir, "small.kdump");
    Deno.writeFileSync(small, kdump.subarray(0, 3_000_000));
    const sp = open(small, await debugFiles());
    assert.throws(
      () => sp.object("init_task").comm.string_(),
      (e: unknown) =>
        e instanceof FaultError &&
        /^could not read page table \(level \d\) \(.*page data at file offset 0x[0-9a-f]+ \(\d+ bytes\) is past the end of the file\) at physical address: 0x[0-9a-f]+$/
          .test(e.message),
    );
    assert.ok(
      p.warnings.some((w) => /cannot list loaded kernel modules/.test(w)),
      p.warnings.join(),
    );
    // QEMU's ELF cut at 100 MB (its section headers, written last, are
    // lost): opens with a warning; memory in the file reads, memory cut off
    // faults (never zeros).
    const elfCut = join(dir, "cut.elf");
    copyPrefix(await kernelDumpPath("paging.elf"), elfCut, 100_000_000);
    const q = new Program();
    q.setCoreDump(elfCut);
    assert.ok(q.warnings.some((w) => /the dump is truncated/.test(w)), q.warnings.join());
    assert.equal(q.read(0x1000n, 8, true).length, 8);
    assert.throws(
      () => q.read(0x8000000n, 8, true),
      (e: unknown) =>
        e instanceof FaultError && e.address === 0x8000000n && /file is truncated/.test(e.message),
    );
    // Not a dump at all.
    const junk = join(dir, "junk");
    Deno.writeFileSync(junk, new Uint8Array(8192).fill(0x41));
    assert.throws(() => new Program().setCoreDump(junk), TargetError);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sample kernel: QEMU kdump-zlib (flattened, drgn 0.0.22 cannot) as drgn on the converted dump", async () => {
  const ref: Json = JSON.parse(
    Deno.readTextFileSync(new URL("../../data/sample/mdf-c-d31.kdump.json", import.meta.url)),
  );
  for (
    const path of [
      await sampleQemuDump(),
      new URL("../../data/sample/vmcore.mdf-c-d31.kdump", import.meta.url).pathname,
    ]
  ) {
    const p = open(path, [await sampleVmlinux(), await sampleModule()]);
    assert.deepEqual(p.warnings, []);
    assert.equal(p.object("UTS_RELEASE").string_(), ref.uts_release);
    assert.equal(p.object("init_task").comm.string_(), ref.init_task_comm);
    assert.equal(String(p.object("init_task").tasks), ref.init_task_tasks_str);
    assert.equal(String(p.object("jiffies_64").value_()), String(ref.jiffies_64));
    const names = listEntries(p.object("modules"), "struct module", "list").map((m) =>
      m.name.string_()
    );
    assert.deepEqual(names, (ref.modules as Json[]).map((m) => m.name));
  }
});

Deno.test("kernel: a /proc/kcore-style file opens as the live kernel (uncached reads)", async () => {
  // makedumpfile's ELF vmcore is laid out as /proc/kcore is (PT_LOADs with
  // kernel virtual and physical addresses, a VMCOREINFO note).
  const p = new Program();
  openLiveKernel(p, await kernelDumpPath("mdf-E-d31.elf"));
  assert.equal(p.flags.isLive, true);
  assert.equal((p.targetData.get("kernel") as Json).format, "kcore");
  p.loadDebugInfo(await debugFiles());
  checkKernel(p, kernelReference("mdf-c-d31.kdump"), "kcore-style");
  // Not an ELF file: a TargetError naming it.
  const bad = Deno.makeTempFileSync();
  Deno.writeTextFileSync(bad, "not a kcore");
  assert.throws(() => openLiveKernel(new Program(), bad), (e) => e instanceof TargetError);
  Deno.removeSync(bad);
  assert.throws(
    () => openLiveKernel(new Program(), "/nonexistent/kcore"),
    (e) => e instanceof TargetError && /nonexistent\/kcore/.test(e.message),
  );
});

/** A copy of the ELF vmcore whose VMCOREINFO note is renamed (as if it had none). */
async function elfWithoutVmcoreinfo(): Promise<{ path: string; vmcoreinfo: string }> {
  const src = await kernelDumpPath("mdf-E-d31.elf");
  const elf = ElfFile.fromReader(FileReader.open(src));
  const note = elf.notes().find((n) => n.name === "VMCOREINFO")!;
  const vmcoreinfo = new TextDecoder().decode(note.desc);
  elf.reader.close();
  const path = Deno.makeTempFileSync({ suffix: ".elf" });
  Deno.copyFileSync(src, path);
  Deno.chmodSync(path, 0o644);
  const f = Deno.openSync(path, { write: true });
  f.seekSync(note.offset + 12, Deno.SeekMode.Start); // the name, after namesz/descsz/type
  f.writeSync(new TextEncoder().encode("X"));
  f.close();
  return { path, vmcoreinfo };
}

Deno.test("kernel: VMCOREINFO given by the user opens a dump that has none", async () => {
  const { path, vmcoreinfo } = await elfWithoutVmcoreinfo();
  try {
    const p = new Program();
    p.setCoreDump(path, { vmcoreinfo });
    p.loadDebugInfo(await debugFiles());
    checkKernel(p, kernelReference("mdf-c-d31.kdump"), "given VMCOREINFO");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("kernel: a live kernel without the kcore note finds VMCOREINFO via /sys/kernel/vmcoreinfo", async () => {
  // What /sys/kernel/vmcoreinfo says (kernel/ksysfs.c): the physical address
  // of the buffer vmcoreinfo_note points to, and VMCOREINFO_NOTE_SIZE (two
  // note headers, the name "VMCOREINFO" padded to 12 and a page of text).
  const ref = open(await kernelDumpPath("mdf-E-d31.elf"), [await vmlinux()]);
  const phys = virtToPhys(ref, ref.object("vmcoreinfo_note")).value_() as bigint;
  const size = (2 * 12 + 4096 + 12).toString(16);
  const sys = Deno.makeTempFileSync();
  Deno.writeTextFileSync(sys, `${phys.toString(16)} ${size}\n`);
  const { path } = await elfWithoutVmcoreinfo();
  try {
    const p = new Program();
    openLiveKernel(p, path, undefined, sys);
    p.loadDebugInfo(await debugFiles());
    checkKernel(p, kernelReference("mdf-c-d31.kdump"), "VMCOREINFO via /sys");
    // A wrong address is a TargetError naming the sysfs file's note, not a wrong answer.
    Deno.writeTextFileSync(sys, `1000 ${size}\n`);
    assert.throws(() => openLiveKernel(new Program(), path, undefined, sys), TargetError);
    Deno.writeTextFileSync(sys, "garbage\n");
    assert.throws(
      () => openLiveKernel(new Program(), path, undefined, sys),
      (e) => e instanceof TargetError && /unexpected contents/.test(e.message),
    );
    assert.throws(
      () => openLiveKernel(new Program(), path, undefined, "/nonexistent/vmcoreinfo"),
      (e) => e instanceof TargetError && /not readable/.test(e.message),
    );
  } finally {
    Deno.removeSync(path);
    Deno.removeSync(sys);
  }
});

Deno.test("cli: --vmcoreinfo FILE opens a dump without VMCOREINFO; a bad file is one line", async () => {
  const { path, vmcoreinfo } = await elfWithoutVmcoreinfo();
  const info = Deno.makeTempFileSync();
  Deno.writeTextFileSync(info, vmcoreinfo);
  const mod = new URL("../../../mod.ts", import.meta.url).pathname;
  const run = (...args: string[]) =>
    runDeno(["run", "-A", mod, "-q", "--no-default-symbols", ...args]);
  try {
    const ok = await run("-c", path, "--vmcoreinfo", info, "-e", 'prog.object("UTS_RELEASE")');
    assert.equal(ok.code, 0, ok.stderr);
    const release = kernelReference("mdf-c-d31.kdump").uts_release as string;
    assert.equal(ok.stdout.trim(), `(char [${release.length + 1}])"${release}"`);
    const bad = await run("-c", path, "--vmcoreinfo", mod, "-e", "1");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^wyvern: TargetError: .*not VMCOREINFO text/);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
  } finally {
    Deno.removeSync(path);
    Deno.removeSync(info);
  }
});

Deno.test("kernel: a pre-4.11 /proc/kcore (p_paddr 0) gets physical addresses from the direct map", async () => {
  const ref = open(await kernelDumpPath("mdf-E-d31.elf"), [await vmlinux()]);
  const phys = virtToPhys(ref, ref.object("vmcoreinfo_note")).value_() as bigint;
  const sys = Deno.makeTempFileSync();
  Deno.writeTextFileSync(sys, `${phys.toString(16)} 1024\n`);
  const { path } = await elfWithoutVmcoreinfo();
  try {
    // Make it look like Linux < 4.11's /proc/kcore: RAM at its direct-map
    // address (the KASLR-randomized page_offset_base) and p_paddr 0.
    const pageOffset = ref.object("page_offset_base").value_() as bigint;
    const elf = ElfFile.fromReader(FileReader.open(path));
    const phoff = elf.phoff;
    const phentsize = 56; // Elf64_Phdr
    const segments = elf.segments;
    elf.reader.close();
    const f = Deno.openSync(path, { read: true, write: true });
    segments.forEach((seg, i) => {
      const addrs = new DataView(new ArrayBuffer(16));
      if (seg.type === PT.LOAD) addrs.setBigUint64(0, pageOffset + seg.paddr, true); // p_vaddr
      else addrs.setBigUint64(0, seg.vaddr, true);
      f.seekSync(phoff + i * phentsize + 16, Deno.SeekMode.Start);
      f.writeSync(new Uint8Array(addrs.buffer)); // p_vaddr, then p_paddr = 0
    });
    f.close();
    const p = new Program();
    openLiveKernel(p, path, undefined, sys);
    p.loadDebugInfo(await debugFiles());
    checkKernel(p, kernelReference("mdf-c-d31.kdump"), "kcore without p_paddr");
    // Physical reads agree with the original dump's.
    assert.deepEqual(p.read(phys, 64, true), ref.read(phys, 64, true));
  } finally {
    Deno.removeSync(path);
    Deno.removeSync(sys);
  }
});
