import assert from "node:assert/strict";
import { join } from "node:path";
import { AT, NT } from "../../../lib/elf/constants.ts";
import {
  I386_REGISTER_NAMES,
  parseAuxv,
  parseNtFile,
  parsePrpsinfo,
  parsePrstatus,
  parseSiginfo,
  parseVmcoreinfo,
  X86_64_REGISTER_NAMES,
} from "../../../lib/elf/core_notes.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import type { ElfNote } from "../../../lib/elf/notes.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { Platform, X86_64 } from "../../../lib/platform.ts";
import { KERNEL, mdfElfVmcore, pagingVmcore, readJson, run, USER, userCores } from "./_fixtures.ts";

/** One note as eu-readelf -n decodes it. */
interface EuNote {
  owner: string;
  size: number;
  type: string;
  lines: string[];
}

async function euNotes(path: string): Promise<EuNote[]> {
  const text = await run("eu-readelf", ["-n", path]);
  const out: EuNote[] = [];
  for (const line of text.split("\n")) {
    const m = /^ {2}(\S+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m !== null && !line.startsWith("  Owner")) {
      out.push({ owner: m[1]!, size: Number(m[2]), type: m[3]!.trim(), lines: [] });
    } else if (out.length > 0 && line.startsWith("    ")) {
      out[out.length - 1]!.lines.push(line.slice(4));
    }
  }
  return out;
}

/** `key: value` pairs of eu-readelf's register and field lines. */
function fields(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    for (const m of line.matchAll(/([\w.]+): +(<[^>]*>|-?0x[0-9a-f]+|-?[0-9]+(?:\.[0-9]+)?)/g)) {
      out.set(m[1]!, m[2]!);
    }
  }
  return out;
}

/** An eu-readelf number as an unsigned word (it prints some registers signed). */
function uword(text: string, bits: 32 | 64): bigint {
  const neg = text.startsWith("-");
  const v = BigInt(neg ? text.slice(1) : text);
  return BigInt.asUintN(bits, neg ? -v : v);
}

/** eu-readelf's register names where they differ from the kernel's. */
const EU_REGISTER: Record<string, string> = {
  eflags: "rflags",
  fs_base: "fs.base",
  gs_base: "gs.base",
};

function seconds(text: string): bigint {
  const [s, us] = text.split(".");
  return BigInt(s!) * 1000000n + BigInt(us!);
}

function corePlatform(elf: ElfFile): Platform {
  return elf.platform;
}

async function checkCoreNotes(path: string): Promise<Map<string, number>> {
  const elf = ElfFile.open(path);
  const platform = corePlatform(elf);
  const ours = elf.notes();
  const theirs = await euNotes(path);
  assert.equal(ours.length, theirs.length, `${path}: note count`);
  const counts = new Map<string, number>();
  ours.forEach((n: ElfNote, i) => {
    const t = theirs[i]!;
    const where = `${path} note ${i} ${t.owner} ${t.type}`;
    assert.equal(n.name, t.owner, where);
    assert.equal(n.desc.length, t.size, where);
    counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
    const f = fields(t.lines);
    if (n.name !== "CORE") return;
    switch (n.type) {
      case NT.PRSTATUS: {
        assert.equal(t.type, "PRSTATUS", where);
        const p = parsePrstatus(n.desc, platform, n.offset);
        assert.equal(p.signo, Number(f.get("info.si_signo")), where);
        assert.equal(p.code, Number(f.get("info.si_code")), where);
        assert.equal(p.errno, Number(f.get("info.si_errno")), where);
        assert.equal(p.cursig, Number(f.get("cursig")), where);
        assert.equal(p.pid, Number(f.get("pid")), where);
        assert.equal(p.ppid, Number(f.get("ppid")), where);
        assert.equal(p.pgrp, Number(f.get("pgrp")), where);
        assert.equal(p.sid, Number(f.get("sid")), where);
        assert.equal(p.fpvalid, Number(f.get("fpvalid")), where);
        assert.equal(p.utimeUsec, seconds(f.get("utime")!), where);
        assert.equal(p.stimeUsec, seconds(f.get("stime")!), where);
        assert.equal(p.cutimeUsec, seconds(f.get("cutime")!), where);
        assert.equal(p.cstimeUsec, seconds(f.get("cstime")!), where);
        if (f.get("sigpend") === "<>") assert.equal(p.sigpend, 0n, where);
        if (f.get("sighold") === "<>") assert.equal(p.sighold, 0n, where);
        const is64 = platform.wordSize === 8;
        const names = is64 ? X86_64_REGISTER_NAMES : I386_REGISTER_NAMES;
        assert.deepEqual(Object.keys(p.registers), names);
        for (const name of names) {
          const text = f.get(is64 ? EU_REGISTER[name] ?? name : name);
          assert.ok(text !== undefined, `${where}: eu-readelf has no ${name}`);
          assert.equal(p.registers[name], uword(text, is64 ? 64 : 32), `${where}: ${name}`);
        }
        assert.equal(p.regs.length, names.length * platform.wordSize);
        break;
      }
      case NT.PRPSINFO: {
        assert.equal(t.type, "PRPSINFO", where);
        const p = parsePrpsinfo(n.desc, platform, n.offset);
        assert.equal(p.state, Number(f.get("state")), where);
        assert.equal(p.sname, /sname: (\S)/.exec(t.lines.join("\n"))![1], where);
        assert.equal(p.zomb, Number(f.get("zomb")), where);
        assert.equal(p.nice, Number(f.get("nice")), where);
        assert.equal(p.flag, BigInt(f.get("flag")!), where);
        assert.equal(p.uid, Number(f.get("uid")), where);
        assert.equal(p.gid, Number(f.get("gid")), where);
        assert.equal(p.pid, Number(f.get("pid")), where);
        assert.equal(p.ppid, Number(f.get("ppid")), where);
        assert.equal(p.pgrp, Number(f.get("pgrp")), where);
        assert.equal(p.sid, Number(f.get("sid")), where);
        // eu-readelf prints "fname: X, psargs: Y" on one line, or on two when long.
        const all = t.lines.join("\n");
        const fname = /fname: (.*?)(?:, psargs: |\n|$)/.exec(all)![1]!;
        const psargs = /psargs: (.*)$/m.exec(all)![1]!;
        assert.equal(p.fname, fname, where);
        assert.equal(p.psargs.trimEnd(), psargs.trimEnd(), where);
        break;
      }
      case NT.SIGINFO: {
        assert.equal(t.type, "SIGINFO", where);
        const s = parseSiginfo(n.desc, platform, n.offset);
        assert.equal(s.signo, Number(f.get("si_signo")), where);
        assert.equal(s.errno, Number(f.get("si_errno")), where);
        assert.equal(s.code, Number(f.get("si_code")), where);
        const fault = /^fault address: (\S+)/.exec(t.lines[1] ?? "");
        if (fault !== null) assert.equal(s.addr, BigInt(fault[1]!), where);
        const sender = /^sender PID: (-?\d+), sender UID: (\d+)/.exec(t.lines[1] ?? "");
        if (sender !== null) {
          assert.equal(s.pid, Number(sender[1]), where);
          assert.equal(s.uid, Number(sender[2]), where);
        }
        assert.ok(fault !== null || sender !== null || s.code > 0, where);
        break;
      }
      case NT.AUXV: {
        assert.equal(t.type, "AUXV", where);
        const entries = parseAuxv(n.desc, platform, n.offset);
        const expected = t.lines.filter((l) => l !== "NULL").map((l) => {
          const m = /^(\w+): (\S+)/.exec(l)!;
          const type = /^\d+$/.test(m[1]!) ? Number(m[1]) : AT[m[1]! as keyof typeof AT];
          return { type, value: BigInt(m[2]!) };
        });
        assert.deepEqual(entries, expected, where);
        assert.ok(entries.some((e) => e.type === AT.PAGESZ && e.value === 4096n));
        break;
      }
      case NT.FILE: {
        assert.equal(t.type, "FILE", where);
        const file = parseNtFile(n.desc, platform, n.offset);
        // The kernel counts offsets in pages, gdb's gcore in bytes (page size 1).
        assert.equal(file.pageSize, path.endsWith(".gcore") ? 1n : 4096n, where);
        const count = Number(/^(\d+) files:/.exec(t.lines[0]!)![1]);
        assert.equal(file.files.length, count, where);
        file.files.forEach((m, k) => {
          const e = /^\s*([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+) (\d+)\s+(.*)$/.exec(t.lines[k + 1]!)!;
          assert.equal(m.start, BigInt("0x" + e[1]), where);
          assert.equal(m.end, BigInt("0x" + e[2]), where);
          assert.equal(m.fileOffset, BigInt("0x" + e[3]), where);
          assert.equal(m.end - m.start, BigInt(e[4]!), where);
          assert.equal(m.path, e[5], where);
        });
        break;
      }
    }
  });
  elf.close();
  return counts;
}

Deno.test("core note parsers agree with eu-readelf -n on every user core", async () => {
  const totals = new Map<string, number>();
  for (const path of userCores()) {
    for (const [k, v] of await checkCoreNotes(path)) totals.set(k, (totals.get(k) ?? 0) + v);
  }
  for (const kind of ["PRSTATUS", "PRPSINFO", "SIGINFO", "AUXV", "FILE"]) {
    assert.ok((totals.get(kind) ?? 0) >= 10, `${kind}: ${totals.get(kind)}`);
  }
});

Deno.test("NT_PRSTATUS registers equal frame #0 registers of every thread in the drgn references", () => {
  const index = readJson(join(USER, "reference/index.json")) as {
    reference: string;
    core_stored_as: string | null;
  }[];
  let threads = 0;
  for (const entry of index) {
    const core = entry.core_stored_as;
    if (core === null || core.endsWith(".zst")) continue;
    const ref = readJson(join(USER, entry.reference)) as {
      stack_traces: { tid: number; frames: { registers: Record<string, string> }[] }[];
    };
    const elf = ElfFile.open(join(USER, core));
    const byPid = new Map<number, Record<string, bigint>>();
    for (const n of elf.notes()) {
      if (n.name === "CORE" && n.type === NT.PRSTATUS) {
        const p = parsePrstatus(n.desc, elf.platform, n.offset);
        byPid.set(p.pid, p.registers);
      }
    }
    assert.equal(byPid.size, ref.stack_traces.length, core);
    for (const trace of ref.stack_traces) {
      const regs = byPid.get(trace.tid);
      assert.ok(regs !== undefined, `${core}: no NT_PRSTATUS for ${trace.tid}`);
      const expected = trace.frames[0]!.registers;
      assert.ok(Object.keys(expected).length >= 20, core);
      for (const [name, value] of Object.entries(expected)) {
        const ours: bigint | undefined = name === "rflags"
          ? regs.eflags
          : name === "fs.base"
          ? regs.fs_base
          : name === "gs.base"
          ? regs.gs_base
          : regs[name];
        assert.equal(ours, BigInt(value), `${core} tid ${trace.tid} ${name}`);
      }
      threads++;
    }
    elf.close();
  }
  assert.ok(threads >= 60, `${threads} threads`);
});

Deno.test("kernel vmcores: NT_PRSTATUS per CPU and VMCOREINFO match the drgn references", async () => {
  for (
    const [path, refName] of [
      [await mdfElfVmcore(), "mdf-E-d31.elf.json"],
      [await pagingVmcore(), "paging.elf.json"],
    ] as const
  ) {
    const ref = readJson(join(KERNEL, "reference/kaslr-256m", refName)) as {
      vmcoreinfo: Record<string, string>;
      prstatus: {
        index: number;
        pr_pid: number;
        cs: string;
        rip: string;
        rsp: string;
        rbp: string;
      }[];
    };
    const elf = ElfFile.open(path);
    const prstatus = elf.notes().filter((n) => n.name === "CORE" && n.type === NT.PRSTATUS);
    assert.equal(prstatus.length, ref.prstatus.length);
    ref.prstatus.forEach((r, i) => {
      const p = parsePrstatus(prstatus[i]!.desc, elf.platform, prstatus[i]!.offset);
      assert.equal(p.pid, r.pr_pid);
      assert.equal(p.registers.cs, BigInt(r.cs));
      assert.equal(p.registers.rip, BigInt(r.rip));
      assert.equal(p.registers.rsp, BigInt(r.rsp));
      assert.equal(p.registers.rbp, BigInt(r.rbp));
    });
    const note = elf.notes().find((n) => n.name === "VMCOREINFO")!;
    const info = parseVmcoreinfo(note.desc);
    assert.deepEqual(Object.fromEntries(info), ref.vmcoreinfo);
    assert.equal(info.get("NUMBER(phys_base)"), "-35651584");
    elf.close();
  }
  // The eu-readelf view of the same notes.
  await checkCoreNotes(await mdfElfVmcore());
});

/** Whether the kernel writes core dumps to a file in the working directory. */
function coreDumpsToFile(): boolean {
  try {
    const pattern = Deno.readTextFileSync("/proc/sys/kernel/core_pattern").trim();
    return pattern !== "" && !pattern.startsWith("|") && !pattern.includes("/");
  } catch {
    return false;
  }
}

Deno.test({
  name: "core note parsers agree with eu-readelf -n on a real i386 kernel core dump",
  // Needs the kernel to write `core` files into the working directory.
  ignore: !coreDumpsToFile(),
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "wyvern-core32-" });
    // A static freestanding i386 program (no 32-bit libc needed) that faults.
    Deno.writeTextFileSync(
      join(dir, "s.c"),
      "void _start(void) { volatile int *p = 0; *p = 1; for (;;) ; }\n",
    );
    await run("gcc", [
      "-m32",
      "-nostdlib",
      "-static",
      "-no-pie",
      "-fno-pie",
      "-o",
      join(dir, "s32"),
      join(dir, "s.c"),
    ]);
    const child = await new Deno.Command("sh", {
      args: ["-c", "ulimit -c unlimited && exec ./s32"],
      cwd: dir,
      stderr: "null",
    }).output();
    assert.equal(child.signal, "SIGSEGV");
    const core = [...Deno.readDirSync(dir)].find((e) => e.name.startsWith("core"));
    assert.ok(core !== undefined, "no core file was written");
    const path = join(dir, core.name);
    const counts = await checkCoreNotes(path);
    for (const kind of ["PRSTATUS", "PRPSINFO", "SIGINFO", "AUXV", "FILE"]) {
      assert.equal(counts.get(kind), 1, kind);
    }
    const elf = ElfFile.open(path);
    assert.equal(elf.is64, false);
    assert.equal(elf.platform.arch, "I386");
    const exe = ElfFile.open(join(dir, "s32"));
    const n = elf.notes().find((x) => x.type === NT.PRSTATUS)!;
    const p = parsePrstatus(n.desc, elf.platform, n.offset);
    // The fault is in _start.
    const start = exe.symbols().find((s) => s.name === "_start")!;
    assert.ok(p.registers.eip! >= start.value && p.registers.eip! < start.value + start.size);
    const sig = parseSiginfo(elf.notes().find((x) => x.type === NT.SIGINFO)!.desc, elf.platform);
    assert.deepEqual([sig.signo, sig.addr], [11, 0n]);
    elf.close();
    exe.close();
  },
});

Deno.test("parseVmcoreinfo() splits at the first '=' and ignores other lines", () => {
  const m = parseVmcoreinfo("OSRELEASE=6.1.0\nCRASHTIME=1\n\nnot a pair\nKEY=a=b\0garbage=1");
  assert.deepEqual([...m], [["OSRELEASE", "6.1.0"], ["CRASHTIME", "1"], ["KEY", "a=b"]]);
});

Deno.test("core note parsers decode i386 layouts", () => {
  const i386 = new Platform("I386", 4, true);
  const pr = new Uint8Array(144);
  const v = new DataView(pr.buffer);
  v.setInt32(0, 11, true); // si_signo
  v.setInt16(12, 11, true); // pr_cursig
  v.setUint32(16, 0x100, true); // pr_sigpend
  v.setInt32(24, 1234, true); // pr_pid
  v.setInt32(40, 2, true); // utime.tv_sec
  v.setInt32(44, 5, true); // utime.tv_usec
  for (let i = 0; i < 17; i++) v.setUint32(72 + 4 * i, 0x1000 + i, true);
  v.setInt32(140, 1, true);
  const p = parsePrstatus(pr, i386);
  assert.equal(p.signo, 11);
  assert.equal(p.cursig, 11);
  assert.equal(p.sigpend, 0x100n);
  assert.equal(p.pid, 1234);
  assert.equal(p.utimeUsec, 2000005n);
  assert.equal(p.registers.ebx, 0x1000n);
  assert.equal(p.registers.eip, 0x100cn);
  assert.equal(p.registers.ss, 0x1010n);
  assert.equal(p.fpvalid, 1);

  const ps = new Uint8Array(124);
  const w = new DataView(ps.buffer);
  ps[1] = 0x53; // 'S'
  w.setUint16(8, 1000, true); // pr_uid (16 bits on i386)
  w.setUint16(10, 100, true);
  w.setInt32(12, 77, true);
  ps.set(new TextEncoder().encode("sleep"), 28);
  ps.set(new TextEncoder().encode("sleep 10"), 44);
  const info = parsePrpsinfo(ps, i386);
  assert.deepEqual([info.sname, info.uid, info.gid, info.pid, info.fname, info.psargs], [
    "S",
    1000,
    100,
    77,
    "sleep",
    "sleep 10",
  ]);

  const file = new Uint8Array(4 * 5 + 2);
  const f = new DataView(file.buffer);
  f.setUint32(0, 1, true);
  f.setUint32(4, 4096, true);
  f.setUint32(8, 0x8048000, true);
  f.setUint32(12, 0x8049000, true);
  f.setUint32(16, 3, true);
  file.set([0x78, 0], 20);
  assert.deepEqual(parseNtFile(file, i386).files, [
    { start: 0x8048000n, end: 0x8049000n, fileOffset: 3n * 4096n, path: "x" },
  ]);
  const auxv = new Uint8Array(24);
  const a = new DataView(auxv.buffer);
  a.setUint32(0, AT.PAGESZ, true);
  a.setUint32(4, 4096, true);
  assert.deepEqual(parseAuxv(auxv, i386), [{ type: AT.PAGESZ, value: 4096n }]);
});

Deno.test("core note parsers reject short or inconsistent descriptors", () => {
  const expectDecode = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(isDecodeError(e), String(e));
      assert.match(e.message, pattern);
      return true;
    });
  expectDecode(
    () => parsePrstatus(new Uint8Array(300), X86_64, 0x40),
    /NT_PRSTATUS note at offset 0x40: .*336 bytes/,
  );
  expectDecode(() => parsePrpsinfo(new Uint8Array(100), X86_64), /elf_prpsinfo \(136 bytes\)/);
  expectDecode(() => parseSiginfo(new Uint8Array(8), X86_64), /too short for siginfo_t/);
  const file = new Uint8Array(16);
  new DataView(file.buffer).setBigUint64(0, 1000000n, true);
  expectDecode(() => parseNtFile(file, X86_64), /1000000 mappings do not fit/);
  const noPath = new Uint8Array(16 + 24);
  new DataView(noPath.buffer).setBigUint64(0, 1n, true);
  expectDecode(() => parseNtFile(noPath, X86_64), /missing path of mapping 0/);
  expectDecode(
    () => parsePrstatus(new Uint8Array(400), new Platform("AARCH64", 8, true)),
    /AARCH64 is not supported/,
  );
});
