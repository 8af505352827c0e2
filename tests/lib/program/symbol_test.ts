/**
 * Symbols by address (lib/program/symbol.ts) as elfutils'
 * `dwfl_module_addrinfo` finds them, hence as drgn 0.0.22: each rule on a
 * hand-made table, then drgn's own answers for 13,653 addresses of the
 * kernel fixture (vmlinux and its modules; every address where several
 * symbols start among them) and 5,995 of a userspace core; and by name,
 * drgn's choice among the vmlinux symbols that share a name
 * (tests/data/symbols/gen_symbol_goldens.py).
 */

import assert from "node:assert/strict";
import type { Program } from "../../../lib/program/program.ts";
import { join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { type RawSymbol, symbolColumnsOf, SymbolTable } from "../../../lib/program/symbol.ts";
import { KERNEL, kernelProgram, userProgram } from "../../_programs.ts";
import { USER } from "../elf/_fixtures.ts";
import { ensureVmlinux, exists } from "../dwarf/_sections.ts";

const VMLINUX_CACHE = ensureVmlinux() ?? "";

const LOCAL = 0;
const GLOBAL = 1;
const WEAK = 2;
const NOTYPE = 0;
const OBJECT = 1;
const ABS = 0xfff1;

function sym(
  name: string,
  value: number,
  size: number,
  binding: number,
  shndx = 1,
  type = OBJECT,
): RawSymbol {
  return { name, value: BigInt(value), size, type: size === 0 ? NOTYPE : type, binding, shndx };
}

/** Name found at each address (null: none). */
function lookup(table: SymbolTable, ...addrs: number[]): (string | null)[] {
  return addrs.map((a) => table.byAddress(BigInt(a))?.name ?? null);
}

// Section 1: [0x1000, 0x2000), section 2: [0x2000, 0x3000) (the end of 1 is the start of 2).
const SECTIONS = [undefined, [0x1000n, 0x2000n], [0x2000n, 0x3000n]] as const;

Deno.test("symbols by address: a global symbol containing it wins over a closer local one", () => {
  // Locals come first in an ELF table, as here.
  const t = new SymbolTable(
    [
      sym("inner_local", 0x1100, 0x10, LOCAL),
      sym("outer_global", 0x1000, 0x200, GLOBAL),
    ],
    0n,
    SECTIONS,
  );
  assert.deepEqual(lookup(t, 0x1100, 0x1108, 0x1180), [
    "outer_global",
    "outer_global",
    "outer_global",
  ]);
  // Without a global one, the closest local.
  const l = new SymbolTable(
    [
      sym("outer", 0x1000, 0x200, LOCAL),
      sym("inner", 0x1100, 0x10, LOCAL),
    ],
    0n,
    SECTIONS,
  );
  assert.deepEqual(lookup(l, 0x1100, 0x1110, 0x10ff), ["inner", "outer", "outer"]);
});

Deno.test("symbols by address: a global sizeless symbol at the very address hides the locals", () => {
  // vmlinux: btf_tracing_ids (GLOBAL, size 0) and a 4-byte LOCAL __BTF_ID__ at one address.
  const t = new SymbolTable(
    [
      sym("__BTF_ID__x", 0x1200, 4, LOCAL),
      sym("btf_tracing_ids", 0x1200, 0, GLOBAL),
    ],
    0n,
    SECTIONS,
  );
  assert.deepEqual(lookup(t, 0x1200), ["btf_tracing_ids"]);
  // One byte further the locals are searched: the sized one contains it.
  assert.deepEqual(lookup(t, 0x1201, 0x1203), ["__BTF_ID__x", "__BTF_ID__x"]);
  // Past its end: the global sizeless one again (nothing ends after it).
  assert.deepEqual(lookup(t, 0x1204), [null]);
});

Deno.test("symbols by address: sizeless symbols", () => {
  const t = new SymbolTable(
    [
      sym("local_label", 0x1300, 0, LOCAL),
      sym("sized", 0x1400, 0x10, LOCAL),
      sym("global_label", 0x1300, 0, GLOBAL),
      sym("end_marker", 0x1500, 0, GLOBAL),
    ],
    0n,
    SECTIONS,
  );
  // At one address, the last in search order: the locals are searched after the globals.
  assert.deepEqual(lookup(t, 0x1301, 0x13ff), ["local_label", "local_label"]);
  // ... unless the address is the global's own.
  assert.deepEqual(lookup(t, 0x1300), ["global_label"]);
  // A sized symbol ending between a label and the address hides the label.
  assert.deepEqual(lookup(t, 0x1408, 0x1410, 0x1480), ["sized", null, null]);
  // A label covers the rest of its section only: 0x2000 is section 2's start.
  assert.deepEqual(lookup(t, 0x1500, 0x1fff, 0x2000, 0x2100), [
    "end_marker",
    "end_marker",
    null,
    null,
  ]);
  // A label at a section's end belongs to the next section when that starts there.
  const e = new SymbolTable([sym("__end_of_1", 0x2000, 0, GLOBAL, 1)], 0n, SECTIONS);
  assert.deepEqual(lookup(e, 0x2000, 0x2010, 0x1fff), ["__end_of_1", "__end_of_1", null]);
  // Without section ranges, no section check.
  const n = new SymbolTable([sym("label", 0x1500, 0, GLOBAL)], 0n, null);
  assert.deepEqual(lookup(n, 0x2100), ["label"]);
});

Deno.test("symbols by address: absolute symbols match their own address only", () => {
  const t = new SymbolTable([sym("abs", 0x1600, 0, GLOBAL, ABS)], 0n, SECTIONS);
  assert.deepEqual(lookup(t, 0x1600, 0x1601), ["abs", null]);
});

Deno.test("symbols by address: ties at one start", () => {
  // The smaller one of one binding; the stronger binding of one size.
  const t = new SymbolTable(
    [
      sym("big_local", 0x1700, 0x40, LOCAL),
      sym("small_local", 0x1700, 0x10, LOCAL),
      sym("weak", 0x1800, 0x10, WEAK),
      sym("global", 0x1800, 0x10, GLOBAL),
      sym("first", 0x1900, 0x10, GLOBAL),
      sym("second", 0x1900, 0x10, GLOBAL),
    ],
    0n,
    SECTIONS,
  );
  assert.deepEqual(lookup(t, 0x1708, 0x1720, 0x1808, 0x1908), [
    "small_local",
    "big_local",
    "global",
    "first",
  ]);
  // A stronger binding wins even from a farther start (elfutils, in table order).
  const w = new SymbolTable(
    [
      sym("weak_close", 0x1a10, 0x10, WEAK),
      sym("global_far", 0x1a00, 0x40, GLOBAL),
    ],
    0n,
    SECTIONS,
  );
  assert.deepEqual(lookup(w, 0x1a18), ["global_far"]);
});

// deno-lint-ignore no-explicit-any
type Json = any;
const GOLDENS: Json = JSON.parse(
  Deno.readTextFileSync(new URL("../../data/symbols/symbol_goldens.json", import.meta.url)),
);

function check(prog: Program, rows: [string, string | null, string?, number?][], what: string) {
  const bad: string[] = [];
  for (const [addr, name, address, size] of rows) {
    let got: string;
    try {
      const s = prog.symbol(BigInt(addr));
      got = `${s.name} 0x${s.address.toString(16)} ${s.size}`;
    } catch {
      got = "none";
    }
    const want = name === null ? "none" : `${name} ${address} ${size}`;
    if (got !== want) bad.push(`${addr}: ${got}, drgn ${want}`);
  }
  assert.deepEqual(bad.slice(0, 10), [], `${what}: ${bad.length} of ${rows.length} differ`);
}

Deno.test("symbols by address: the kernel fixture's vmlinux and modules, as drgn", async () => {
  const prog = await kernelProgram();
  assert.ok(GOLDENS.kernel.length > 10000);
  check(prog, GOLDENS.kernel, "kernel");
});

Deno.test("symbols by name: of several with one name, drgn's (global, weak, else the last)", async () => {
  const prog = await kernelProgram();
  const offset = BigInt(GOLDENS.kaslr_offset);
  const bad: string[] = [];
  for (const [name, address, size, binding] of GOLDENS.kernel_by_name as Json[]) {
    const s = prog.symbol(name);
    // drgn adds the KASLR offset to per-CPU symbols too; they are offsets
    // (see tests/lib/linux/_kernel_checks.ts).
    const want = BigInt(address);
    const perCpu = s.address < 0xffff800000000000n && s.address + offset === want;
    if ((s.address !== want && !perCpu) || Number(s.size) !== size || s.binding !== binding) {
      bad.push(`${name}: ${String(s)}, drgn ${address} ${size} ${binding}`);
    }
  }
  assert.ok(GOLDENS.kernel_by_name.length > 1000);
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} differ`);
});

Deno.test("symbols by address: a userspace core (program, libc, ld.so), as drgn", async () => {
  const prog = await userProgram("gcc-O0", "datastructs");
  // drgn 0.0.22 does not read the vDSO of a core; Wyvern does.
  const vdso = prog.modules.find((m) => m.name === "[vdso]");
  const rows = (GOLDENS.user as [string, string | null][]).filter(([a]) =>
    vdso === undefined || BigInt(a) < vdso.start || BigInt(a) >= vdso.end
  );
  assert.ok(rows.filter((r) => r[1] !== null).length > 500);
  check(prog, rows as never, "userspace");
});

Deno.test("symbols by name: every symbol of a userspace binary, in drgn's module order, as drgn", async () => {
  const names: Json = JSON.parse(
    Deno.readTextFileSync(new URL("../../data/symbols/user_symbol_names.json", import.meta.url)),
  );
  for (const variant of ["gcc-O0", "clang-O0"]) {
    const prog = await userProgram(variant, "types");
    const bad: string[] = [];
    let tls = 0;
    for (const [name, address, size, binding, kind] of names[variant] as Json[]) {
      let got = "none";
      try {
        const s = prog.symbol(name);
        got = `0x${s.address.toString(16)} ${s.size} ${s.binding} ${s.kind}`;
      } catch {
        // compared below
      }
      const want = address === null ? "none" : `${address} ${size} ${binding} ${kind}`;
      if (got !== want) bad.push(`${name}: ${got}, drgn ${want}`);
      if (kind === "TLS") tls++;
    }
    assert.ok(names[variant].length > 150 && tls >= 4, variant);
    assert.deepEqual(bad.slice(0, 10), [], `${variant}: ${bad.length} differ`);
  }
});

Deno.test("symbols by address: 64-bit addresses sorted in every digit, ties in table order, ends past 2^64", () => {
  const big = (name: string, value: bigint, size: bigint, binding = GLOBAL): RawSymbol => ({
    name,
    value,
    size,
    type: OBJECT,
    binding,
    shndx: 1,
  });
  // Given out of order, differing in each 16-bit digit of the address.
  const t = new SymbolTable([
    big("top", 0xffffffff81000000n, 0x10n),
    big("low", 0x10n, 0x10n),
    big("d1", 0x10000n, 0x10n),
    big("d2", 0x100000000n, 0x10n),
    big("d3", 0x1000000000000n, 0x10n),
    big("tieA", 0x20000n, 0x8n, LOCAL),
    big("tieB", 0x20000n, 0x8n, LOCAL),
    big("wrap", 0xfffffffffffffff0n, 0x100n),
  ], 0n);
  const at = (a: bigint) => t.byAddress(a)?.name ?? null;
  assert.deepEqual(
    [0x18n, 0x10008n, 0x100000008n, 0x1000000000008n, 0xffffffff81000008n].map(at),
    ["low", "d1", "d2", "d3", "top"],
  );
  assert.equal(at(0xf0n), null);
  // Of two locals at one start, the first in the table.
  assert.equal(at(0x20004n), "tieA");
  // A size that runs past 2^64 covers up to the top of the address space.
  assert.equal(at(0xfffffffffffffffen), "wrap");
  assert.equal(t.start, 0x10n);
  assert.equal(t.end, 0xffffffffffffffffn);
  assert.deepEqual(t.symbols.map((s) => s.name), [
    "top",
    "low",
    "d1",
    "d2",
    "d3",
    "tieA",
    "tieB",
    "wrap",
  ]);
  assert.equal(t.byAddress(0x18n), t.symbols[1], "one Symbol per symbol");
});

Deno.test("symbol columns: the same table as the symbols read one by one", () => {
  const files = [
    join(USER, "out/bin/gcc-O0/types"),
    join(KERNEL, "debug/loop.ko"),
    ...(exists(VMLINUX_CACHE) ? [VMLINUX_CACHE] : []),
  ];
  for (const path of files) {
    const elf = ElfFile.open(path);
    const raw = elf.symbols("symtab");
    const cols = elf.symbolColumns("symtab")!;
    assert.equal(cols.length, raw.length, path);
    // The columns hold what parseSymbolTable decodes.
    for (let i = 0; i < raw.length; i += 1 + (raw.length >> 12)) {
      const r = raw[i]!;
      assert.deepEqual(
        [cols.strtab.get(cols.nameOff[i]!), cols.value[i], cols.size[i], cols.info[i]! & 0xf],
        [r.name, r.value, r.size, r.type],
      );
      assert.equal(cols.shndx[i], r.shndx);
    }
    const bias = 0x1000000n;
    const address = cols.value.map((v) => BigInt.asUintN(64, v + bias));
    const a = new SymbolTable(raw, bias);
    const b = new SymbolTable(symbolColumnsOf(cols, address), bias);
    assert.deepEqual(a.symbols.map(String), b.symbols.map(String), path);
    const step = 1 + (a.symbols.length >> 11);
    for (let i = 0; i < a.symbols.length; i += step) {
      const s = a.symbols[i]!;
      for (const x of [s.address - 1n, s.address, s.address + s.size / 2n, s.address + s.size]) {
        assert.equal(String(a.byAddress(x)), String(b.byAddress(x)), `${path} ${x.toString(16)}`);
      }
      assert.deepEqual(a.byName(s.name).map(String), b.byName(s.name).map(String));
    }
    elf.close();
  }
});
