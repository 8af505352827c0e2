/**
 * Line tables: every row of the fixture binaries and of libc's debug file
 * against `eu-readelf --debug-dump=decodedline`; PC lookups on the vmlinux
 * against `eu-addr2line` (libdw, what drgn uses); parse time of all 2,900
 * vmlinux units; malformed programs.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import {
  LINE_FLAG,
  lineProgramOffsets,
  type LineSections,
  LineTable,
  LineTables,
} from "../../../lib/dwarf/line.ts";
import { run, USER, vmlinux } from "../elf/_fixtures.ts";

const LIBC_DEBUG = "/usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug";

function lineSections(elf: ElfFile): LineSections {
  const opt = (n: string) => elf.section(n) ? elf.sectionData(n) : undefined;
  return {
    line: elf.sectionData(".debug_line"),
    lineStr: opt(".debug_line_str"),
    str: opt(".debug_str"),
  };
}

interface EuRow {
  file: string;
  line: number;
  column: number;
  flags: string;
  disc: number;
  address: bigint;
}

/** `eu-readelf --debug-dump=decodedline` rows, grouped by unit (in .debug_info order). */
async function euDecodedLine(path: string): Promise<EuRow[][]> {
  const text = await run("eu-readelf", ["--debug-dump=decodedline", path]);
  const units: EuRow[][] = [];
  let file = "";
  const rowRe = /^\s+(\d+):(\d+)\s+([SBPE* ]*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+\+?0x([0-9a-f]+)/;
  for (const line of text.split("\n")) {
    if (line.startsWith(" CU [")) {
      units.push([]);
      continue;
    }
    const m = rowRe.exec(line);
    if (m !== null) {
      units[units.length - 1]!.push({
        file,
        line: Number(m[1]),
        column: Number(m[2]),
        flags: m[3]!.replace(/ /g, ""),
        disc: Number(m[4]),
        address: BigInt("0x" + m[7]),
      });
      continue;
    }
    const f = /^ {2}(\S.*) \(mtime: /.exec(line);
    if (f !== null) file = f[1]!;
  }
  return units;
}

function flagString(flags: number): string {
  let s = "";
  if (flags & LINE_FLAG.isStmt) s += "S";
  if (flags & LINE_FLAG.basicBlock) s += "B";
  if (flags & LINE_FLAG.prologueEnd) s += "P";
  if (flags & LINE_FLAG.epilogueBegin) s += "E";
  if (flags & LINE_FLAG.endSequence) s += "*";
  return s;
}

/**
 * Compares every row. libdw lists a unit's rows sorted by address (stable)
 * and shows end_sequence rows (and rows at a sequence's end address, which
 * cover no PC) at the end address minus 1, so the rows that cover PCs are
 * compared in that order and the end rows are counted.
 */
function compareUnit(t: LineTable, ref: EuRow[], comparePaths: boolean, where: string): number {
  const seqEnd: bigint[] = [];
  for (let i = t.rowCount - 1, end = 0n; i >= 0; i--) {
    if (t.flags[i]! & LINE_FLAG.endSequence) end = t.address(i);
    seqEnd[i] = end;
  }
  const isEnd = (i: number) =>
    (t.flags[i]! & LINE_FLAG.endSequence) !== 0 || t.address(i) === seqEnd[i];
  const idx = Array.from({ length: t.rowCount }, (_, i) => i).filter((i) => !isEnd(i));
  idx.sort((a, b) => {
    const d = t.address(a) - t.address(b);
    return d !== 0n ? (d < 0n ? -1 : 1) : a - b;
  });
  // libdw sometimes keeps a row at a sequence's end address as an ordinary
  // row: such rows cover no PC and are left out of the comparison.
  const ends = new Set(seqEnd.map((a) => a.toString()));
  const covered = new Set(idx.map((i) => t.address(i).toString()));
  const theirs = ref.filter((r) =>
    !r.flags.includes("*") && (covered.has(r.address.toString()) || !ends.has(r.address.toString()))
  );
  assert.equal(idx.length, theirs.length, `${where}: row count`);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const r = theirs[k]!;
    const w = `${where} row ${k}`;
    assert.equal(t.address(i), r.address, w);
    assert.equal(t.lines[i], r.line, w);
    assert.equal(t.columns[i], r.column, w);
    assert.equal(flagString(t.flags[i]!), r.flags, w);
    assert.equal(t.discriminators[i], r.disc, w);
    if (comparePaths) assert.equal(t.files[t.fileIndices[i]!]?.path, r.file, w);
  }
  return t.rowCount;
}

Deno.test("LineTable matches eu-readelf decodedline on every fixture binary, row by row", async () => {
  const binaries: string[] = [];
  for (const v of ["gcc-O0", "gcc-dwarf4-O2", "clang-O0", "gcc-gz"]) {
    for (const p of ["types", "datastructs", "threads", "big"]) {
      binaries.push(join(USER, "out/bin", v, p));
    }
  }
  binaries.push(join(USER, "out/bin/gcc-split/threads.debug"));
  for (const path of binaries) {
    const elf = ElfFile.open(path);
    const s = lineSections(elf);
    const offsets = lineProgramOffsets(s.line);
    const ref = await euDecodedLine(path);
    assert.equal(offsets.length, ref.length, path);
    let rows = 0;
    for (let u = 0; u < offsets.length; u++) {
      // DWARF 4 paths of directory 0 need DW_AT_comp_dir, which the fixtures document.
      const t = LineTable.parse(s, offsets[u]!, { compDir: "/fixtures/user/src" });
      rows += compareUnit(t, ref[u]!, true, `${path} unit ${u}`);
      // Lookups: every row's address finds a row at that address.
      for (let i = 0; i < t.rowCount; i++) {
        if (t.flags[i]! & LINE_FLAG.endSequence) continue;
        const found = t.find(t.address(i))!;
        assert.equal(found.address, t.address(i));
      }
    }
    assert.ok(rows > 50, path);
    elf.close();
  }
});

Deno.test("LineTable matches eu-readelf on every row of libc's debug file (DWARF 5)", async () => {
  const elf = ElfFile.open(LIBC_DEBUG);
  const s = lineSections(elf);
  const offsets = lineProgramOffsets(s.line);
  const ref = await euDecodedLine(LIBC_DEBUG);
  assert.equal(offsets.length, ref.length);
  const t0 = performance.now();
  const tables = offsets.map((o) => LineTable.parse(s, o));
  const ms = performance.now() - t0;
  let rows = 0;
  for (let u = 0; u < tables.length; u++) {
    rows += compareUnit(tables[u]!, ref[u]!, true, `libc unit ${u}`);
  }
  console.log(
    `libc .debug_line: ${offsets.length} units, ${rows} rows parsed in ${ms.toFixed(1)} ms`,
  );
  assert.ok(rows > 100000);
  elf.close();
});

Deno.test({
  name: "LineTable on the vmlinux: parse time of every unit, lookups agree with eu-addr2line",
  sanitizeResources: false,
  async fn() {
    const path = await vmlinux();
    const elf = ElfFile.open(path);
    const s = lineSections(elf);
    const offsets = lineProgramOffsets(s.line);
    const t0 = performance.now();
    const tables = new LineTables(s);
    let rows = 0;
    const seqs: { start: bigint; table: LineTable }[] = [];
    for (const o of offsets) {
      const t = tables.get(o);
      rows += t.rowCount;
    }
    const ms = performance.now() - t0;
    console.log(
      `vmlinux .debug_line: ${s.line.length} bytes, ${offsets.length} units, ${rows} rows, ` +
        `all parsed in ${ms.toFixed(0)} ms`,
    );
    assert.ok(offsets.length > 2000 && rows > 1_000_000);
    // Index sequences of every table to find the unit of a PC.
    for (const o of offsets) {
      const t = tables.get(o);
      for (let i = 0; i < t.rowCount; i++) {
        if (i === 0 || (t.flags[i - 1]! & LINE_FLAG.endSequence)) {
          if (t.address(i) !== 0n) seqs.push({ start: t.address(i), table: t });
        }
      }
    }
    seqs.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    // Sample PCs: function symbols plus small offsets.
    const funcs = elf.symbols().filter((x) =>
      x.type === 2 && x.size > 8 && x.value >= 0xffffffff81000000n
    );
    const pcs: bigint[] = [];
    for (
      let i = 0;
      i < funcs.length && pcs.length < 3000;
      i += Math.max(1, Math.floor(funcs.length / 1000))
    ) {
      const f = funcs[i]!;
      pcs.push(f.value, f.value + 1n, f.value + BigInt(f.size) / 2n);
    }
    const out = await new Deno.Command("eu-addr2line", {
      args: ["-e", path],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const w = out.stdin.getWriter();
    await w.write(
      new TextEncoder().encode(pcs.map((p) => "0x" + p.toString(16)).join("\n") + "\n"),
    );
    await w.close();
    const answers = new TextDecoder().decode((await out.output()).stdout).trimEnd().split("\n");
    assert.equal(answers.length, pcs.length);
    let checked = 0;
    for (let i = 0; i < pcs.length; i++) {
      const a = answers[i]!;
      if (a.startsWith("??")) continue;
      const m = /^(.*):(\d+):(\d+)$/.exec(a) ?? /^(.*):(\d+)$/.exec(a);
      assert.ok(m !== null, a);
      let row = null;
      let l = 0, u = seqs.length;
      while (l < u) {
        const mid = (l + u) >>> 1;
        if (seqs[mid]!.start <= pcs[i]!) l = mid + 1;
        else u = mid;
      }
      for (let k = l - 1; k >= 0 && k >= l - 8 && row === null; k--) {
        row = seqs[k]!.table.find(pcs[i]!);
      }
      assert.ok(row !== null, `no row for 0x${pcs[i]!.toString(16)}`);
      assert.equal(
        `${row.line}:${row.column}`,
        `${m[2]}:${m[3] ?? 0}`,
        `0x${pcs[i]!.toString(16)}`,
      );
      const base = m[1]!.split("/").pop()!;
      assert.ok(
        row.file!.path.endsWith("/" + base) || row.file!.path === base,
        `${row.file!.path} vs ${a}`,
      );
      checked++;
    }
    assert.ok(checked > 2500, `checked ${checked}`);
    elf.close();
  },
});

// ---- synthetic programs ----

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** A DWARF 4 unit with one include directory and files a.c (dir 0) and b.h (dir 1). */
function v4Unit(program: number[], opcodeBase = 13): Uint8Array {
  const lengths = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1].slice(0, opcodeBase - 1);
  while (lengths.length < opcodeBase - 1) lengths.push(2);
  const enc = (s: string) => [...new TextEncoder().encode(s), 0];
  const header = [
    1,
    1,
    1,
    0xfb,
    14,
    opcodeBase,
    ...lengths,
    ...enc("inc"),
    0,
    ...enc("a.c"),
    0,
    0,
    0,
    ...enc("b.h"),
    1,
    0,
    0,
    0,
  ];
  const afterLength = [4, 0, ...le32(header.length), ...header, ...program];
  return new Uint8Array([...le32(afterLength.length), ...afterLength]);
}

const setAddress = (a: number) => [0, 9, 2, ...le32(a), 0, 0, 0, 0];
const endSeq = [0, 1, 1];

Deno.test("LineTable runs every opcode and looks up the last row at or before a PC", () => {
  const prog = [
    ...setAddress(0x1000),
    0x05,
    3, // set_column 3
    0x01, // copy: 0x1000 line 1 col 3
    0x0a, // prologue_end
    0x13, // special: adj 6 → addr +0, line +1 (line_base -5 + 6)
    0x02,
    4, // advance_pc 4
    0x03,
    0x0a, // advance_line +10
    0x04,
    2, // set_file 2
    0x06, // negate_stmt
    0x07, // basic_block
    0x0b, // epilogue_begin
    0,
    2,
    4,
    7, // set_discriminator 7
    0x01, // copy: 0x1004 line 12 file 2
    0x08, // const_add_pc: (255-13)/14 = 17
    0x09,
    0x10,
    0x00, // fixed_advance_pc 16 → 0x1025
    0x0c,
    1, // set_isa
    0x01,
    0x02,
    3,
    ...endSeq, // end at 0x1028
    ...setAddress(0x800),
    0x01,
    0x02,
    0x10,
    ...endSeq,
  ];
  const t = LineTable.parse({ line: v4Unit(prog) }, 0, { compDir: "/src", unitName: "a.c" });
  assert.equal(t.version, 4);
  assert.deepEqual(t.files.map((f) => f.path), ["/src/a.c", "/src/a.c", "inc/b.h"]);
  assert.equal(t.rowCount, 7);
  assert.equal(t.sequenceCount, 2);
  let r = t.find(0x1000n)!;
  assert.equal(r.line, 2); // the last of the two rows at 0x1000
  assert.equal(r.column, 3);
  assert.ok(t.flags[r.index]! & LINE_FLAG.prologueEnd);
  r = t.find(0x1003n)!;
  assert.equal(r.line, 2);
  r = t.find(0x1004n)!;
  assert.equal(r.line, 12);
  assert.equal(r.file!.path, "inc/b.h");
  assert.equal(r.isStmt, false);
  assert.equal(r.discriminator, 7);
  assert.equal(t.flags[r.index]! & (LINE_FLAG.basicBlock | LINE_FLAG.epilogueBegin), 18);
  r = t.find(0x1025n)!;
  assert.equal(r.address, 0x1025n);
  assert.equal(r.discriminator, 0);
  assert.equal(t.find(0x1027n)!.address, 0x1025n);
  assert.equal(t.find(0x1028n), null); // the end of the sequence
  assert.equal(t.find(0x80fn)!.address, 0x800n);
  assert.equal(t.find(0x810n), null);
  assert.equal(t.find(0x7ffn), null);
  // Unknown standard opcode 13 with a 2-operand length table entry is skipped.
  const t2 = LineTable.parse({
    line: v4Unit([...setAddress(0x10), 13, 0x81, 0x01, 5, 0x01, ...endSeq], 14),
  }, 0);
  assert.equal(t2.rowCount, 2);
});

Deno.test("LineTable: malformed programs give DecodeError with the offset", () => {
  const check = (bytes: Uint8Array, offset: number) =>
    assert.throws(() => LineTable.parse({ line: bytes }, 0), (e: unknown) => {
      assert.ok(isDecodeError(e), String(e));
      assert.equal(e.section, ".debug_line");
      assert.equal(e.offset, offset, e.message);
      return true;
    });
  const good = v4Unit([...setAddress(0x10), 0x01, ...endSeq]);
  // Unit length past the end.
  check(good.subarray(0, good.length - 1), 0);
  // Bad version.
  const badVer = good.slice();
  badVer[4] = 9;
  check(badVer, 0);
  // line_range 0.
  const lr0 = good.slice();
  lr0[14] = 0;
  check(lr0, 14);
  // Extended opcode running past the unit, LEB128 past the end.
  const headerEnd = good.length - 3 - 1 - 11;
  check(v4Unit([0, 0x20, 2]), headerEnd);
  check(v4Unit([0x02, 0x80]), headerEnd + 1);
  // Bad set_address size.
  check(v4Unit([0, 3, 2, 1, 2]), headerEnd);
  // Offset out of range.
  assert.throws(() => LineTable.parse({ line: good }, good.length + 4), isDecodeError);
});
