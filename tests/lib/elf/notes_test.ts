import assert from "node:assert/strict";
import { join } from "node:path";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { noteTypeName, NT, PT, SHT } from "../../../lib/elf/constants.ts";
import { parseNotes } from "../../../lib/elf/notes.ts";
import { isDecodeError } from "../../../lib/errors.ts";
import { buildElf, buildNote, concat, patch } from "../../_elf_writer.ts";
import { KERNEL, mdfElfVmcore, pagingVmcore, userBinaries, userCores } from "./_fixtures.ts";
import { readelfNotes } from "./_readelf.ts";

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** readelf's spelling where it differs from the spec constant names. */
const READELF_ALIASES: Record<string, string> = { NT_FPREGSET: "NT_PRFPREG" };

async function compareNotes(path: string): Promise<number> {
  const elf = ElfFile.open(path);
  const ours = elf.notes();
  const theirs = await readelfNotes(path);
  assert.equal(ours.length, theirs.length, `${path}: note count`);
  theirs.forEach((t, i) => {
    const n = ours[i]!;
    const where = `${path} note ${i} (${t.owner} ${t.description})`;
    assert.equal(n.name, t.owner, where);
    assert.equal(n.desc.length, t.size, where);
    const token = t.description.split(" ")[0]!;
    if (token.startsWith("NT_")) {
      assert.equal(noteTypeName(n.name, n.type), READELF_ALIASES[token] ?? token, where);
    }
    const unknown = /^Unknown note type: \((0x[0-9a-f]+)\)/.exec(t.description);
    if (unknown !== null) assert.equal(n.type, Number(unknown[1]), where);
    for (const d of t.details) {
      const data = /^description data: ((?:[0-9a-f]{2} ?)*)$/.exec(d);
      if (data !== null) assert.equal(toHex(n.desc), data[1]!.replace(/ /g, ""), where);
      if (d.startsWith("Build ID: ")) assert.equal(toHex(n.desc), d.slice(10), where);
    }
    // The descriptor is where the note says it is in the file.
    const descOffset = n.offset + 12 + Math.ceil((n.name.length + 1) / 4) * 4;
    if (n.desc.length > 0) {
      assert.deepEqual(n.desc, elf.reader.readAt(descOffset, n.desc.length).slice(), where);
    }
  });
  elf.close();
  return ours.length;
}

Deno.test("notes() matches readelf -nW for binaries, cores, modules and vmcores", async () => {
  const modules = ["brd", "dummy", "loop", "minix", "qemu_fw_cfg"].flatMap((m) => [
    join(KERNEL, "modules", m + ".ko"),
    join(KERNEL, "debug", m + ".ko"),
  ]);
  let total = 0;
  for (const path of [...userBinaries(), ...userCores(), ...modules]) {
    total += await compareNotes(path);
  }
  assert.equal(await compareNotes(await mdfElfVmcore()), 5);
  assert.equal(await compareNotes(await pagingVmcore()), 5);
  assert.ok(total > 300, `${total} notes`);
});

Deno.test("notes() of a core come from PT_NOTE; the gcore's note0 section is the same data", () => {
  const elf = ElfFile.open(join(KERNEL, "../user/out/core/gcc-O0/threads.gcore"));
  const seg = elf.segments.find((s) => s.type === PT.NOTE)!;
  const sec = elf.sections.find((s) => s.type === SHT.NOTE)!;
  assert.equal(seg.offset, sec.offset);
  const notes = elf.notes();
  assert.equal(notes[0]!.offset, seg.offset);
  assert.equal(notes.filter((n) => n.type === NT.PRSTATUS && n.name === "CORE").length, 5);
  elf.close();
});

Deno.test("parseNotes() handles 8-byte alignment, missing NUL, and trailing zero padding", () => {
  const desc = new Uint8Array([1, 2, 3, 4, 5]);
  for (const littleEndian of [true, false]) {
    const a8 = concat(
      buildNote("GNU", 5, desc, { littleEndian, align: 8 }),
      buildNote("GNU", 3, new Uint8Array(8).fill(7), { littleEndian, align: 8 }),
    );
    const notes = parseNotes(a8, { littleEndian, align: 8, baseOffset: 100 });
    assert.equal(notes.length, 2);
    assert.deepEqual(notes[0]!.desc, desc);
    assert.equal(notes[0]!.offset, 100);
    // 12 + "GNU\0" = 16, 8-aligned; desc 5 → 8: next note at 24.
    assert.equal(notes[1]!.offset, 124);
    assert.equal(notes[1]!.type, 3);

    const a4 = concat(buildNote("LINUX", 0x202, desc, { littleEndian }), new Uint8Array(8));
    const n4 = parseNotes(a4, { littleEndian });
    assert.equal(n4.length, 1);
    assert.equal(n4[0]!.name, "LINUX");
    // "LINUX\0" is 6 bytes, padded to 8: desc at 20.
    assert.equal(n4[0]!.desc.byteOffset - a4.byteOffset, 20);
  }
  // A name without its NUL, an empty name, and a last descriptor without padding.
  const raw = new Uint8Array([
    3,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    65,
    66,
    67,
    0,
    1,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    5,
    6,
    7,
  ]);
  const n = parseNotes(raw, { littleEndian: true });
  assert.deepEqual(n.map((x) => [x.name, x.type, [...x.desc]]), [["ABC", 9, [1, 2]], ["", 1, [
    5,
    6,
    7,
  ]]]);
});

Deno.test("parseNotes() rejects sizes that run past the data, naming what and where", () => {
  const good = buildNote("CORE", 1, new Uint8Array(16));
  const check = (bytes: Uint8Array, pattern: RegExp, offset: number) => {
    assert.throws(
      () => parseNotes(bytes, { littleEndian: true, what: "PT_NOTE of x", baseOffset: 1000 }),
      (e: unknown) => {
        assert.ok(isDecodeError(e));
        assert.equal(e.section, "PT_NOTE of x");
        assert.equal(e.offset, offset);
        assert.match(e.message, pattern);
        return true;
      },
    );
  };
  let b = concat(good, good);
  patch(b, good.length + 4, 0x7fffffff, 4); // descsz of note 2
  check(b, /descriptor size 2147483647 runs past the end/, 1000 + good.length);
  b = good.slice();
  patch(b, 0, 1000, 4); // namesz
  check(b, /name size 1000 runs past the end/, 1000);
  check(concat(good, new Uint8Array([1, 0, 0])), /truncated note header/, 1000 + good.length);
});

Deno.test("ElfFile.notes() reports bad PT_NOTE contents with the file and offset", () => {
  const note = buildNote("CORE", 1, new Uint8Array(8));
  const img = buildElf({
    type: 4,
    noSectionHeaders: true,
    segments: [{ type: PT.NOTE, data: note }],
  });
  patch(img.bytes, img.segmentOffsets[0]! + 4, 4096, 4);
  const elf = ElfFile.fromBytes(img.bytes, "core.img");
  assert.throws(() => elf.notes(), (e: unknown) => {
    assert.ok(isDecodeError(e));
    assert.equal(e.offset, img.segmentOffsets[0]);
    assert.match(e.message, /PT_NOTE segment 0 of core\.img/);
    return true;
  });
  // A PT_NOTE past the end of the file.
  const img2 = buildElf({
    type: 4,
    noSectionHeaders: true,
    segments: [{ type: PT.NOTE, data: note }],
  });
  patch(img2.bytes, img2.programHeaderOffsets[0]! + 32, 1 << 20, 8); // p_filesz
  assert.throws(
    () => ElfFile.fromBytes(img2.bytes, "core.img").notes(),
    /segment 0 of core\.img .*past the end of the file/,
  );
});
