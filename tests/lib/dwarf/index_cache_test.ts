/**
 * The on-disk DWARF index cache: entries are used only for the file they
 * were built from (build ID, format versions, checksum, and size and mtime
 * or else the debug sections' fingerprint: copies of a file share one),
 * damaged entries are ignored and rebuilt, `WYVERN_NO_CACHE` is honoured,
 * and an unwritable cache directory is tolerated. Answers are always those
 * of a fresh index.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import {
  checksum,
  decodeCacheFile,
  encodeCacheFile,
  indexCacheDir,
  type IndexCacheKey,
} from "../../../lib/dwarf/index_cache.ts";
import { deserializeUnits, parseUnitHeaders, serializeUnits } from "../../../lib/dwarf/unit.ts";
import { DecodeError, LookupError } from "../../../lib/errors.ts";
import { crc32 } from "../../../lib/binary/checksum.ts";
import type { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { Program } from "../../../lib/program/program.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { USER } from "../elf/_fixtures.ts";

const TYPES = join(USER, "out/bin/gcc-O0/types");
const DATASTRUCTS = join(USER, "out/bin/gcc-O0/datastructs");
const CACHE_VARS = ["WYVERN_CACHE_DIR", "WYVERN_NO_CACHE", "XDG_CACHE_HOME"];

/** Runs `fn` with the cache variables set as given (others unset), then restores them. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = new Map(CACHE_VARS.map((k) => [k, Deno.env.get(k)]));
  try {
    for (const k of CACHE_VARS) Deno.env.delete(k);
    for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
    return fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

/** A no-target program with `path`'s debug info. */
function load(path: string): Program {
  const p = new Program();
  p.loadDebugInfo([path]);
  return p;
}

/**
 * Runs `fn` in a fresh directory `tmp` holding a copy of the `types`
 * binary (`bin`), with `dir` for the cache; removes it after.
 */
function inTempDir(fn: (tmp: string, dir: string, bin: string) => void): void {
  const tmp = Deno.makeTempDirSync();
  try {
    const bin = join(tmp, "prog");
    Deno.copyFileSync(TYPES, bin);
    fn(tmp, join(tmp, "cache"), bin);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

/** `p` with its first file's full index built (and so saved to the cache). */
function indexed(p: Program): Program {
  (p.modules[0]!.data.get("dwarf") as DwarfInfo).buildIndex();
  return p;
}

/** What the tests ask a program: answers that differ between `types` and `datastructs`. */
function answers(p: Program): Record<string, string> {
  const ask = (f: () => unknown): string => {
    try {
      return String(f());
    } catch (e) {
      if (e instanceof LookupError) return "LookupError";
      throw e;
    }
  };
  return {
    point: ask(() => p.type("struct point")),
    task: ask(() => p.type("struct task")),
    listHead: ask(() => p.type("struct list_head")),
    main: ask(() => p.function("main").type_),
  };
}

const fresh = new Map<string, Record<string, string>>();
/** Answers with the cache disabled (the reference). */
function freshAnswers(path: string): Record<string, string> {
  let a = fresh.get(path);
  if (a === undefined) {
    a = withEnv({ WYVERN_NO_CACHE: "1" }, () => answers(load(path)));
    fresh.set(path, a);
  }
  return a;
}

function cacheFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function buildIdOf(path: string): string {
  const out = new Deno.Command("readelf", { args: ["-n", path], stdout: "piped" }).outputSync();
  const m = /Build ID: ([0-9a-f]+)/.exec(new TextDecoder().decode(out.stdout));
  assert.ok(m, `${path} has a build ID`);
  return m[1]!;
}

/** The unit headers of the ELF file at `path`, read from its .debug_info. */
function unitsOf(path: string) {
  const elf = ElfFile.open(path);
  try {
    return parseUnitHeaders(elf.sectionData(".debug_info"), "info", elf.littleEndian);
  } finally {
    elf.close();
  }
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
}

/** Replaces every occurrence of `from` in `data` by `to` (same length); returns the count. */
function replaceBytes(data: Uint8Array, from: Uint8Array, to: Uint8Array): number {
  let n = 0;
  outer: for (let i = 0; i + from.length <= data.length; i++) {
    for (let k = 0; k < from.length; k++) if (data[i + k] !== from[k]) continue outer;
    data.set(to, i);
    n++;
  }
  return n;
}

Deno.test("index cache: the fixtures' answers differ (so a stale cache would show)", () => {
  const a = freshAnswers(TYPES);
  const b = freshAnswers(DATASTRUCTS);
  assert.notEqual(a.point, "LookupError");
  assert.equal(b.point, "LookupError");
  assert.notEqual(b.task, "LookupError");
  assert.notDeepEqual(a, b);
});

Deno.test("index cache: written on first load, used on the next, same answers", () =>
  inTempDir((_tmp, dir, bin) => {
    withEnv({ WYVERN_CACHE_DIR: dir }, () => {
      assert.equal(indexCacheDir(), dir);
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      const files = cacheFiles(dir);
      assert.deepEqual(files, [`dwarf-index-${buildIdOf(TYPES)}.bin`]);
      const before = Deno.statSync(join(dir, files[0]!)).mtime!.getTime();
      // The second load reads the entry (and does not rewrite it).
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      assert.equal(Deno.statSync(join(dir, files[0]!)).mtime!.getTime(), before);
      assert.deepEqual(cacheFiles(dir), files);
    });
  }));

Deno.test("index cache: written once the full index is needed, not for lookups that find", () =>
  inTempDir((_tmp, dir, bin) => {
    withEnv({ WYVERN_CACHE_DIR: dir }, () => {
      const p = load(bin);
      const dwarf = p.modules[0]!.data.get("dwarf") as DwarfInfo;
      assert.equal(String(p.type("struct point")), freshAnswers(TYPES).point);
      assert.equal(dwarf.hasIndex, false);
      assert.deepEqual(cacheFiles(dir), [], "nothing saved while indexing on demand");
      // A name that is not there needs every unit: the index is then whole, and saved.
      assert.throws(() => p.type("struct no_such_type"), LookupError);
      assert.equal(dwarf.hasIndex, true);
      assert.deepEqual(cacheFiles(dir), [`dwarf-index-${buildIdOf(TYPES)}.bin`]);
      // WYVERN_FULL_INDEX=1: indexed whole on load (and saved).
      Deno.removeSync(dir, { recursive: true });
      Deno.env.set("WYVERN_FULL_INDEX", "1");
      try {
        assert.equal((load(bin).modules[0]!.data.get("dwarf") as DwarfInfo).hasIndex, true);
      } finally {
        Deno.env.delete("WYVERN_FULL_INDEX");
      }
      assert.equal(cacheFiles(dir).length, 1);
    });
  }));

Deno.test("index cache: another file at the same path gets fresh answers", () => {
  const tmp = Deno.makeTempDirSync();
  try {
    const dir = join(tmp, "cache");
    const bin = join(tmp, "vmlinux");
    withEnv({ WYVERN_CACHE_DIR: dir }, () => {
      // 1. Another build ID (and size).
      Deno.copyFileSync(TYPES, bin);
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      Deno.removeSync(bin);
      Deno.copyFileSync(DATASTRUCTS, bin);
      assert.deepEqual(answers(load(bin)), freshAnswers(DATASTRUCTS));
      assert.equal(cacheFiles(dir).length, 2);

      // 2. The same build ID as the cached `types` entry, but another file:
      // neither the size and mtime nor the debug sections match, so the
      // entry is not used.
      const data = Deno.readFileSync(DATASTRUCTS);
      const n = replaceBytes(data, hexBytes(buildIdOf(DATASTRUCTS)), hexBytes(buildIdOf(TYPES)));
      assert.ok(n >= 1);
      Deno.removeSync(bin);
      Deno.writeFileSync(bin, data);
      Deno.copyFileSync(TYPES, join(tmp, "types"));
      assert.deepEqual(answers(load(join(tmp, "types"))), freshAnswers(TYPES));
      assert.equal(buildIdOf(bin), buildIdOf(TYPES));
      assert.deepEqual(answers(load(bin)), freshAnswers(DATASTRUCTS));

      // 3. The same build ID, size and debug sections, another mtime (the
      // file touched) or another path (a copy): the entry is used as it is.
      Deno.copyFileSync(TYPES, bin);
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      const file = join(dir, `dwarf-index-${buildIdOf(TYPES)}.bin`);
      const entry = Deno.readFileSync(file);
      const later = new Date(Date.now() + 60_000);
      Deno.utimeSync(bin, later, later);
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      const copy = join(tmp, "copy-of-types");
      Deno.copyFileSync(TYPES, copy);
      assert.deepEqual(answers(load(copy)), freshAnswers(TYPES));
      assert.deepEqual(Deno.readFileSync(file), entry, "entry shared, not rewritten");
      assert.equal(cacheFiles(dir).length, 2);

      // The same with compressed sections (gcc -gz): the fingerprint is of
      // the bytes as stored, so checking it inflates nothing.
      const GZ = join(USER, "out/bin/gcc-gz/types");
      const gzCopy = join(tmp, "gz-types");
      Deno.copyFileSync(GZ, gzCopy);
      indexed(load(gzCopy));
      const gzFile = join(dir, `dwarf-index-${buildIdOf(GZ)}.bin`);
      const gzEntry = Deno.readFileSync(gzFile);
      Deno.utimeSync(gzCopy, later, later);
      assert.deepEqual(answers(load(gzCopy)), freshAnswers(GZ));
      assert.deepEqual(Deno.readFileSync(gzFile), gzEntry, "gz entry shared, not rewritten");

      // 4. The same build ID and size, a byte of .debug_str changed (in its
      // first 4 KiB, which the entry's fingerprint covers): rebuilt.
      const edited = Deno.readFileSync(TYPES);
      const str = ElfFile.open(TYPES).section(".debug_str")!;
      const at = Number(str.offset) + Math.min(100, Number(str.size) - 2);
      edited[at] = edited[at] === 0x78 ? 0x79 : 0x78;
      Deno.writeFileSync(bin, edited);
      Deno.utimeSync(bin, later, later);
      assert.deepEqual(answers(load(bin)), freshAnswers(bin));
      assert.notDeepEqual(Deno.readFileSync(file), entry, "entry rewritten for other content");
    });
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("index cache: a corrupt or truncated entry is ignored and rebuilt", () =>
  inTempDir((_tmp, dir, bin) => {
    withEnv({ WYVERN_CACHE_DIR: dir }, () => {
      indexed(load(bin));
      const file = join(dir, `dwarf-index-${buildIdOf(TYPES)}.bin`);
      const good = Deno.readFileSync(file);
      const damages: [string, Uint8Array][] = [
        ["truncated", good.slice(0, good.length >> 1)],
        ["header only", good.slice(0, 48)],
        ["empty", new Uint8Array(0)],
        ["garbage", Uint8Array.from(good, (_, i) => (i * 131) & 0xff)],
      ];
      // One flipped bit anywhere in the index part.
      for (const at of [64, good.length >> 1, good.length - 5]) {
        const d = good.slice();
        d[at]! ^= 0x10;
        damages.push([`bit flipped at ${at}`, d]);
      }
      // And in the unit table (read row by row as lookups need units): a
      // unit's end, still in order and inside .debug_info, so that only
      // the page checksum tells.
      const table = serializeUnits(unitsOf(bin));
      const row = table.slice(0, 60);
      const moved = row.slice();
      new DataView(moved.buffer).setUint32(
        12,
        new DataView(row.buffer).getUint32(12, true) - 1,
        true,
      );
      const d = good.slice();
      assert.equal(replaceBytes(d, row, moved), 1);
      damages.push(["a unit's end moved", d]);
      for (const [what, bytes] of damages) {
        Deno.writeFileSync(file, bytes);
        const p = load(bin);
        assert.deepEqual(answers(p), freshAnswers(TYPES), what);
        // Pages are checked as they are read: reading the whole index meets
        // the damage wherever it is, and the entry is rebuilt.
        const dwarf = p.modules[0]!.data.get("dwarf") as DwarfInfo;
        const all = [...dwarf.index.entries(~0)].length;
        assert.equal(all, dwarf.index.count, what);
        assert.deepEqual(Deno.readFileSync(file), good, `${what}: rebuilt`);
      }
      // A directory where the entry should be: tolerated.
      Deno.removeSync(file);
      Deno.mkdirSync(file);
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
    });
  }));

Deno.test("index cache: WYVERN_NO_CACHE=1 neither reads nor writes", () =>
  inTempDir((tmp, dir, bin) => {
    withEnv({ WYVERN_CACHE_DIR: dir, WYVERN_NO_CACHE: "1" }, () => {
      assert.equal(indexCacheDir(), null);
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      assert.deepEqual(cacheFiles(dir), []);
    });
    // An entry that would give wrong answers is not even read.
    withEnv({ WYVERN_CACHE_DIR: dir }, () => indexed(load(bin)));
    const file = join(dir, `dwarf-index-${buildIdOf(TYPES)}.bin`);
    Deno.writeFileSync(file, new Uint8Array(100));
    withEnv({ WYVERN_CACHE_DIR: dir, WYVERN_NO_CACHE: "1" }, () => {
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
      assert.deepEqual(Deno.readFileSync(file), new Uint8Array(100), "not rewritten either");
    });
    // "0" and "" mean enabled; XDG_CACHE_HOME is the fallback.
    withEnv({ WYVERN_NO_CACHE: "0", XDG_CACHE_HOME: tmp }, () => {
      assert.equal(indexCacheDir(), join(tmp, "wyvern"));
    });
  }));

Deno.test("index cache: an unwritable cache directory is tolerated silently", () => {
  const tmp = Deno.makeTempDirSync();
  try {
    const bin = join(tmp, "prog");
    Deno.copyFileSync(TYPES, bin);
    // A regular file where a directory is needed: mkdir and writes fail
    // (also for root, unlike permission bits).
    const blocker = join(tmp, "not-a-dir");
    Deno.writeTextFileSync(blocker, "x");
    for (const dir of [join(blocker, "cache"), blocker, "/proc/wyvern-cache"]) {
      withEnv({ WYVERN_CACHE_DIR: dir }, () => {
        assert.deepEqual(answers(load(bin)), freshAnswers(TYPES), dir);
      });
    }
    assert.equal(Deno.readTextFileSync(blocker), "x");
    // A read-only directory (when permissions are enforced for this user).
    const ro = join(tmp, "ro");
    Deno.mkdirSync(ro);
    Deno.chmodSync(ro, 0o555);
    withEnv({ WYVERN_CACHE_DIR: ro }, () => {
      assert.deepEqual(answers(load(bin)), freshAnswers(TYPES));
    });
    Deno.chmodSync(ro, 0o755);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("index cache: file images are checked against their key", () => {
  const key: IndexCacheKey = {
    buildId: "0123456789abcdef",
    size: 5_000_000_123,
    mtimeMs: 1_764_000_000_123,
    variant: [1, 2, 0xdeadbeef],
  };
  const parts = [
    Uint8Array.of(1, 2, 3),
    new Uint8Array(0),
    Uint8Array.from({ length: 77 }, (_, i) => i),
  ];
  const file = encodeCacheFile(key, parts);
  const back = decodeCacheFile(file, key);
  assert.ok(back);
  assert.deepEqual(back.map((p) => [...p]), parts.map((p) => [...p]));
  for (const p of back) assert.equal(p.byteOffset % 8, 0);
  const other = (k: Partial<IndexCacheKey>) => decodeCacheFile(file, { ...key, ...k });
  assert.equal(other({ buildId: "0123456789abcdee" }), null);
  assert.equal(other({ size: key.size + 1 }), null);
  assert.equal(other({ mtimeMs: key.mtimeMs + 1 }), null);
  assert.equal(other({ variant: [1, 2, 0xdeadbeee] }), null);
  assert.equal(other({ variant: [1, 2] }), null);
  // With content words: another size or mtime is accepted when they match.
  const words = [7, 0xffffffff, 12345];
  const withContent = encodeCacheFile({ ...key, content: () => words }, parts);
  const reopen = (k: Partial<IndexCacheKey>) => decodeCacheFile(withContent, { ...key, ...k });
  assert.ok(reopen({ content: () => [1] }), "same file: the content is not even compared");
  assert.ok(reopen({ mtimeMs: 1, content: () => [...words] }));
  assert.ok(reopen({ size: 9, mtimeMs: 1, content: () => [...words] }));
  assert.equal(reopen({ mtimeMs: 1, content: () => [7, 0xffffffff, 12346] }), null);
  assert.equal(reopen({ mtimeMs: 1, content: () => [7, 0xffffffff] }), null);
  assert.equal(reopen({ mtimeMs: 1 }), null, "no content words: size and mtime must match");
  assert.equal(reopen({ mtimeMs: 1, buildId: "0123456789abcdee", content: () => words }), null);
  for (let i = 0; i < file.length; i++) {
    const d = file.slice();
    d[i]! ^= 1;
    assert.equal(decodeCacheFile(d, key), null, `byte ${i}`);
  }
  for (let n = 0; n < file.length; n += 7) {
    assert.equal(decodeCacheFile(file.slice(0, n), key), null, `${n} bytes`);
  }
  const longer = new Uint8Array(file.length + 8);
  longer.set(file);
  assert.equal(decodeCacheFile(longer, key), null);
});

Deno.test("index cache: unit tables round-trip and damaged ones are refused", () => {
  const data = Deno.readFileSync(TYPES);
  // .debug_info of the fixture, located with readelf.
  const out = new Deno.Command("readelf", { args: ["-SW", TYPES], stdout: "piped" }).outputSync();
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
    l.includes(" .debug_info ")
  )!;
  const f = line.slice(line.indexOf(".debug_info")).trim().split(/\s+/);
  const off = parseInt(f[3]!, 16);
  const size = parseInt(f[4]!, 16);
  const info = data.subarray(off, off + size);
  const units = parseUnitHeaders(info, "info", true);
  assert.ok(units.length >= 1);
  const sizes = { info: info.length, types: 0, abbrev: 1 << 20 };
  const bytes = serializeUnits(units);
  assert.deepEqual(deserializeUnits(bytes, sizes), units);
  // Not 4-byte aligned in its buffer (as inside a cache file): the same units.
  const odd = new Uint8Array(bytes.length + 3);
  odd.set(bytes, 3);
  assert.deepEqual(deserializeUnits(odd.subarray(3), sizes), units);
  assert.throws(() => deserializeUnits(bytes.subarray(0, bytes.length - 4), sizes), DecodeError);
  assert.throws(() => deserializeUnits(bytes, { ...sizes, info: info.length - 1 }), DecodeError);
  assert.throws(() => deserializeUnits(bytes, { ...sizes, abbrev: 0 }), DecodeError);
  const bad = bytes.slice();
  new DataView(bad.buffer).setUint32(16, 9, true); // version 9
  assert.throws(
    () => deserializeUnits(bad, sizes),
    (e) => e instanceof DecodeError && e.offset === 0 && /unit 0: bad version/.test(e.message),
  );
  // Two entries for the same unit: the second overlaps the first, named by its table offset.
  const twice = new Uint8Array(120);
  twice.set(bytes.subarray(0, 60));
  twice.set(bytes.subarray(0, 60), 60);
  assert.throws(
    () => deserializeUnits(twice, sizes),
    (e) => e instanceof DecodeError && e.offset === 60 && /unit 1: bounds/.test(e.message),
  );
});

Deno.test("the page checksum is the same at any alignment, and the same as the files written", () => {
  const bytes = new Uint8Array(4200);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 255;
  // Values of the format written so far (a changed function would make
  // every cache damaged): the CRC-32s Python's zlib.crc32 gives.
  assert.equal(checksum(bytes.subarray(0, 4096)), 1270670946);
  assert.equal(checksum(bytes.subarray(0, 17), 5), 1940583355);
  assert.equal(
    checksum(bytes.subarray(17, 60), checksum(bytes.subarray(0, 17))),
    crc32(bytes.subarray(0, 60)),
  );
  for (const n of [0, 1, 3, 4, 5, 15, 16, 17, 31, 4096, 4099]) {
    const aligned = new Uint8Array(bytes.subarray(1, 1 + n));
    for (const off of [1, 2, 3]) {
      const copy = new Uint8Array(n + 4);
      copy.set(aligned, off);
      assert.equal(
        checksum(copy.subarray(off, off + n), 9),
        checksum(aligned, 9),
        `${n} at ${off}`,
      );
    }
  }
});
