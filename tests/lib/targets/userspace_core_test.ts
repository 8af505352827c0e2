import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { DecodeError, FaultError, LookupError, TargetError } from "../../../lib/errors.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { PT } from "../../../lib/elf/constants.ts";
import { USER, VARIANTS } from "../elf/_fixtures.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

function open(variant: string, prog: string, kind: string): Program {
  const p = new Program();
  p.setCoreDump(join(USER, "out/core", variant, `${prog}.${kind}`));
  const bin = join(USER, "out/bin", variant, prog);
  p.loadDebugInfo(variant === "gcc-split" ? [bin, bin + ".debug"] : [bin], { default: true });
  return p;
}

function ref(variant: string, prog: string, kind: string): Json {
  return JSON.parse(
    Deno.readTextFileSync(join(USER, "reference", variant, `${prog}.${kind}.json`)),
  );
}

for (const variant of VARIANTS) {
  for (const kind of ["gcore", "kcore"]) {
    Deno.test(`userspace core ${variant}/threads.${kind}: threads and registers as drgn`, () => {
      const p = open(variant, "threads", kind);
      const r = ref(variant, "threads", kind);
      assert.deepEqual([...p.threads()].map((t) => t.tid).sort((a, b) => a - b), r.thread_tids);
      assert.equal(p.mainThread().tid, r.main_thread);
      assert.equal(p.crashedThread().tid, r.crashed_thread);
      for (const st of r.stack_traces) {
        const regs = p.thread(st.tid).registers()!;
        const f0 = st.frames[0];
        assert.equal("0x" + regs.rip!.toString(16), f0.registers.rip, `tid ${st.tid} rip`);
        assert.equal("0x" + regs.rsp!.toString(16), f0.registers.rsp, `tid ${st.tid} rsp`);
      }
      assert.equal(p.language, r.language);
      assert.deepEqual(p.warnings.filter((w) => !/vdso/.test(w)), []);
    });
  }

  Deno.test(`userspace core ${variant}/types.gcore: symbols as drgn`, () => {
    const p = open(variant, "types", "gcore");
    const r = ref(variant, "types", "gcore");
    let n = 0;
    for (const [name, e] of Object.entries(r.symbols as Record<string, Json>)) {
      const fmt = (s: Json) => ({
        name: s.name,
        address: "0x" + s.address.toString(16),
        size: Number(s.size),
        binding: s.binding,
        kind: s.kind,
      });
      const outcome = (f: () => Json) => {
        try {
          return fmt(f());
        } catch (err) {
          if (err instanceof LookupError) return { error: "LookupError", message: err.message };
          throw err;
        }
      };
      const all = p.symbols(name).map(fmt);
      if (all.length > 1) {
        // Defined in several modules (a LOCAL in libc too): drgn returns any of them.
        assert.ok(all.some((x) => JSON.stringify(x) === JSON.stringify(e.by_name)), name);
      } else {
        assert.deepEqual(outcome(() => p.symbol(name)), e.by_name, `${name} by name`);
      }
      if (typeof e.by_name.address === "string") {
        const a = BigInt(e.by_name.address);
        assert.deepEqual(outcome(() => p.symbol(a)), e.by_address, `${name} by address`);
        assert.deepEqual(outcome(() => p.symbol(a + 1n)), e.by_address_plus_1, `${name} +1`);
      }
      n++;
    }
    assert.ok(n > 100);
    const edge = r.symbol_edge_cases;
    assert.throws(() => p.symbol(0x10n), LookupError);
    assert.equal(p.symbol("printf").address, BigInt(edge.name_printf.address));
    assert.throws(() => p.symbol("no_such_symbol_xyz"), /could not find symbol with name/);
  });

  Deno.test(`userspace core ${variant}/types: .rodata reads from the ELF file (drgn cannot)`, () => {
    for (const kind of ["gcore", "kcore"]) {
      const p = open(variant, "types", kind);
      // Values from src/types.c.
      assert.equal(p.object("g_const_int").value_(), 42);
      assert.deepEqual(p.object("g_const_point").value_(), { x: 7, y: 8 });
      assert.equal(p.object("g_str_ptr").string_(), "pointer to string literal");
      assert.equal(p.object("g_const_ptr_const").string_(), "cpc");
      assert.deepEqual(
        p.object("g_strv").value_().slice(0, 3).map((a: bigint) => p.readCString(a)),
        ["alpha", "beta", "gamma"],
      );
    }
  });
}

Deno.test("userspace core: bad input gives typed errors naming the file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const core = Deno.readFileSync(join(USER, "out/core/gcc-O0/types.gcore"));
    const cases: [string, Uint8Array | null, RegExp][] = [
      [
        "garbage",
        new TextEncoder().encode("this is not a core dump at all".repeat(10)),
        /not a core dump/,
      ],
      ["empty", new Uint8Array(0), /empty/],
      ["truncated", core.subarray(0, 40), /ELF|truncated|past the end/],
    ];
    for (const [name, bytes, re] of cases) {
      const path = join(dir, name);
      Deno.writeFileSync(path, bytes!);
      assert.throws(
        () => new Program().setCoreDump(path),
        (e: unknown) =>
          (e instanceof TargetError || e instanceof Error) && re.test(String(e)) &&
          String(e).includes(path),
      );
    }
    assert.throws(
      () => new Program().setCoreDump(dir),
      (e: unknown) => e instanceof TargetError && /directory/.test(e.message),
    );
    assert.throws(
      () => new Program().setCoreDump(join(dir, "nope")),
      (e: unknown) => e instanceof TargetError && /no such file/.test(e.message),
    );
    assert.throws(
      () => new Program().setCoreDump(join(USER, "out/bin/gcc-O0/types")),
      (e: unknown) => e instanceof TargetError && /not a core dump/.test(e.message),
    );
    // gdb writes its notes last: a cut gcore has no threads, a typed error naming the file.
    const half = join(dir, "half.gcore");
    Deno.writeFileSync(half, core.subarray(0, core.length >> 1));
    assert.throws(
      () => new Program().setCoreDump(half),
      (e: unknown) =>
        e instanceof Error && /truncated|past the end/.test(e.message) && e.message.includes(half),
    );
    // The kernel writes notes first: a cut kcore opens with a warning; missing bytes fault.
    const kcore = Deno.readFileSync(join(USER, "out/core/gcc-O0/types.kcore"));
    const halfK = join(dir, "half.kcore");
    Deno.writeFileSync(halfK, kcore.subarray(0, kcore.length >> 1));
    const p = new Program();
    p.setCoreDump(halfK);
    assert.ok(p.warnings.some((w) => /truncated/.test(w)), p.warnings.join());
    const lastLoad = [...p.memory.virtual.segments].pop()!;
    assert.throws(() => p.read(lastLoad.start, 8), FaultError);
    // A core whose executable cannot be found: loads, warns, objects are missing.
    const q = new Program();
    q.setCoreDump(join(USER, "out/core/gcc-O0/types.gcore"));
    q.loadDebugInfo([], { default: true });
    assert.ok(q.warnings.some((w) => /missing debug info for .*types/.test(w)), q.warnings.join());
    assert.throws(() => q.object("g_int"), LookupError);
    assert.throws(() => q.read(0x10n, 4), FaultError);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("userspace core: a PT_TLS alignment that is no power of 2 is a DecodeError naming it", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const bin = Deno.readFileSync(join(USER, "out/bin/gcc-O0/types"));
    const tls = ElfFile.fromBytes(bin).segments.find((s) => s.type === PT.TLS)!;
    const v = new DataView(bin.buffer);
    const phoff = Number(v.getBigUint64(0x20, true));
    const phentsize = v.getUint16(0x36, true);
    v.setBigUint64(phoff + tls.index * phentsize + 48, 1032n, true); // p_align
    const path = join(dir, "types");
    Deno.writeFileSync(path, bin);
    const p = new Program();
    p.setCoreDump(join(USER, "out/core/gcc-O0/types.gcore"));
    p.loadDebugInfo([path], { default: false });
    assert.equal(p.object("g_int").value_(), -123456);
    assert.throws(
      () => p.object("tls_int").value_(),
      (e: unknown) =>
        e instanceof DecodeError && e.message.includes(path) && /PT_TLS/.test(e.message) &&
        /p_align 1032/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** `TLS thread N (LWP tid) name = value` lines of a gdb reference file. */
function gdbTls(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of Deno.readTextFileSync(path).split("\n")) {
    const m = /^TLS thread \d+ \(LWP (\d+)\) (\w+) = (.*)$/.exec(line);
    if (m) out.set(`${m[1]} ${m[2]}`, m[3]!);
  }
  return out;
}

for (const variant of VARIANTS) {
  for (const kind of ["gcore", "kcore"]) {
    Deno.test(`TLS of every thread of ${variant}/threads.${kind} as gdb prints it (drgn cannot)`, () => {
      const p = open(variant, "threads", kind);
      const gdb = gdbTls(join(USER, "reference", variant, `threads.${kind}.gdb.txt`));
      let n = 0;
      for (const t of p.threads()) {
        const id = gdb.get(`${t.tid} tls_id`);
        const tag = gdb.get(`${t.tid} tls_tag`);
        assert.ok(id !== undefined && tag !== undefined, `gdb has TLS of ${t.tid}`);
        assert.equal(String(t.variable("tls_id").value_()), id);
        // gdb: "tls-reader\000\000…": the string up to the first NUL.
        assert.equal(`"${t.variable("tls_tag").string_()}`, tag.replace(/(\\000)+"?$/, ""));
        n++;
      }
      assert.equal(n, 5);
    });
  }
}
