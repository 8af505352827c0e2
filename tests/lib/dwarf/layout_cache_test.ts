/**
 * Saved member layouts (lib/dwarf/layout_cache.ts): the table round-trips
 * (names in UTF-8, anonymous members, bit fields, members without a type),
 * a damaged table is refused without an exception, the store saves what a
 * session added once, only when allowed, and within its size bound; and on
 * the Debian vmlinux, big structures made from a saved table have the
 * members parsing gives (names, offsets, bit fields, member types), small
 * ones are not saved, and a session with a saved table does not parse
 * them again; a table is read back only for the file it was saved for.
 * End to end, a session over a cached index saves the layouts
 * at exit and the next one gives the same answers from them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeLayout,
  encodeLayouts,
  layoutIndex,
  LayoutStore,
  MAX_SAVED_TYPES,
  type MemberMaker,
  type SavedMember,
} from "../../../lib/dwarf/layout_cache.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import {
  type IndexCacheKey,
  readCacheFile,
  writeIndexCache,
} from "../../../lib/dwarf/index_cache.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { LAYOUT_MIN_MEMBERS } from "../../../lib/dwarf/type_reader.ts";
import { formatTypeName } from "../../../lib/types/format_type.ts";
import type { Type } from "../../../lib/types/type.ts";
import { ensureVmlinux, readElfSections } from "./_sections.ts";
import { KERNEL_MODULES, kernelDumpPath } from "../../_programs.ts";
import { KERNEL, vmlinux as vmlinuxPath } from "../elf/_fixtures.ts";

const SAVED: MemberMaker<SavedMember> = (name, type, bitOffset, bitFieldSize) => ({
  name,
  type,
  bitOffset,
  bitFieldSize,
});

const sample = new Map<number, SavedMember[]>([
  [0x1234, [
    { name: "pid", type: 0x99, bitOffset: 0, bitFieldSize: null },
    { name: null, type: 0x100, bitOffset: 64, bitFieldSize: null },
    { name: "flägs", type: 0x101, bitOffset: 128, bitFieldSize: 3 },
    { name: "x", type: null, bitOffset: 131, bitFieldSize: 1 },
  ]],
  [7, [{ name: "only", type: 2 ** 40, bitOffset: 2 ** 35, bitFieldSize: null }]],
  [0, []],
]);

const pairs = new Map<number, number | null>([[0x500, 0x1234], [0x600, null], [0, 2 ** 41]]);
const tables = (layouts = sample, shared = pairs) => ({ layouts, shared });

Deno.test("layout table: encoded and decoded, every type, member and pair as given", () => {
  const blob = encodeLayouts(tables());
  const index = layoutIndex(blob);
  assert.ok(index !== null);
  assert.deepEqual([...index.types.keys()], [...sample.keys()]);
  assert.deepEqual(index.shared, pairs);
  for (const [ref, members] of sample) {
    assert.deepEqual(decodeLayout(blob, index.types.get(ref)!, SAVED), members, `type ${ref}`);
  }
  // The maker sees the fields in order.
  const seen: unknown[] = [];
  decodeLayout(blob, index.types.get(0x1234)!, (...f) => seen.push(f));
  assert.deepEqual(seen[2], ["flägs", 0x101, 128, 3]);
  const empty = layoutIndex(encodeLayouts(tables(new Map(), new Map())))!;
  assert.equal(empty.types.size + empty.shared.size, 0);
});

Deno.test("layout table: damaged tables are refused, never thrown on", () => {
  const blob = encodeLayouts(tables());
  const v = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.equal(layoutIndex(new Uint8Array(0)), null);
  for (let n = 0; n < blob.length; n++) {
    assert.equal(layoutIndex(blob.subarray(0, n)), null, `truncated at ${n}`);
  }
  const extra = new Uint8Array(blob.length + 8);
  extra.set(blob);
  assert.equal(layoutIndex(extra), null, "bytes after the last record");
  const magic = blob.slice();
  magic[0]! ^= 1;
  assert.equal(layoutIndex(magic), null);
  const version = blob.slice();
  v(version).setUint32(4, 99, true);
  assert.equal(layoutIndex(version), null);
  // A pair out of range: the table is refused.
  for (const [at, value] of [[16, -1], [16, 0.5], [24, -2], [24, 2 ** 60]] as const) {
    const bad = blob.slice();
    v(bad).setFloat64(at, value, true);
    assert.equal(layoutIndex(bad), null, `pair field at ${at} = ${value}`);
  }
  // A member's fields out of range: that type is refused.
  const at = layoutIndex(blob)!.types.get(0x1234)!;
  const m0 = at + 16;
  for (
    const [field, value] of [[0, 0.5], [0, -2], [8, -8], [8, 1.5], [16, -3], [24, 1000]] as const
  ) {
    const bad = blob.slice();
    if (field === 24) v(bad).setInt32(m0 + field, value, true);
    else v(bad).setFloat64(m0 + field, value, true);
    assert.notEqual(layoutIndex(bad), null);
    assert.equal(decodeLayout(bad, at, SAVED), null, `field ${field} = ${value}`);
  }
});

Deno.test("layout store: saves what the session added, once, when allowed and within its bound", () => {
  let stored: Uint8Array | null = encodeLayouts(
    tables(new Map([[1, sample.get(0x1234)!]]), new Map([[9, 10]])),
  );
  let saves = 0;
  let allowed = false;
  const store = new LayoutStore(() => stored, (b) => {
    stored = b;
    saves++;
  }, () => allowed);
  assert.deepEqual(store.get(1, SAVED), sample.get(0x1234));
  assert.equal(store.get(2, SAVED), null);
  assert.equal(store.shared(9), 10);
  assert.equal(store.shared(11), undefined);
  store.flush();
  assert.equal(saves, 0, "nothing added");
  store.putShared(11, null);
  store.putShared(9, 12); // already saved: kept
  assert.equal(store.shared(11), null, "a definition recorded as not shared");
  assert.equal(store.shared(9), 10);
  store.put(2, sample.get(7)!);
  store.put(1, []); // already saved: kept as it was
  assert.deepEqual(store.get(2, SAVED), sample.get(7), "added, seen before it is saved");
  store.flush();
  assert.equal(saves, 0, "not allowed");
  allowed = true;
  store.flush();
  assert.equal(saves, 1);
  const index = layoutIndex(stored!)!;
  assert.deepEqual([...index.types.keys()].sort(), [1, 2]);
  assert.deepEqual(decodeLayout(stored!, index.types.get(1)!, SAVED), sample.get(0x1234));
  assert.deepEqual(index.shared, new Map([[9, 10], [11, null]]));
  store.flush();
  assert.equal(saves, 1, "saved once");

  // A damaged table reads as none, and is replaced by the next save.
  stored = new Uint8Array([1, 2, 3]);
  const again = new LayoutStore(() => stored, (b) => (stored = b));
  assert.equal(again.get(1, SAVED), null);
  again.put(5, []);
  again.flush();
  assert.deepEqual([...layoutIndex(stored)!.types.keys()], [5]);

  // At most MAX_SAVED_TYPES types.
  stored = null;
  const many = new LayoutStore(() => stored, (b) => (stored = b));
  for (let i = 0; i < MAX_SAVED_TYPES + 10; i++) many.put(i, []);
  many.flush();
  assert.equal(layoutIndex((stored as Uint8Array | null)!)!.types.size, MAX_SAVED_TYPES);
});

Deno.test("layout table files: read back only for the file they were saved for", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const key = (over: Partial<IndexCacheKey> = {}): IndexCacheKey => ({
      buildId: "ab12",
      size: 1000,
      mtimeMs: 5,
      variant: [1],
      ...over,
    });
    const blob = encodeLayouts(tables());
    assert.ok(writeIndexCache(key(), [blob], dir, "layouts"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["dwarf-layouts-ab12.bin"]);
    assert.deepEqual(readCacheFile(key(), "layouts", dir), [blob]);
    // Another file at the same path (rebuilt: size, time), another format
    // variant, another build: not used.
    assert.equal(readCacheFile(key({ size: 1001 }), "layouts", dir), null);
    assert.equal(readCacheFile(key({ mtimeMs: 6 }), "layouts", dir), null);
    assert.equal(readCacheFile(key({ variant: [2] }), "layouts", dir), null);
    assert.equal(readCacheFile(key({ buildId: "ab13" }), "layouts", dir), null);
    assert.equal(readCacheFile(key(), "index", dir), null, "not the index's file");
    // A damaged file: not used.
    const path = join(dir, "dwarf-layouts-ab12.bin");
    const bytes = Deno.readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x10;
    Deno.writeFileSync(path, bytes);
    assert.equal(readCacheFile(key(), "layouts", dir), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const vmlinux = ensureVmlinux();

/** What a type's members are, as text: names, offsets, bit fields, member types. */
function membersText(t: Type): string[] {
  return t.members!.map((m) =>
    `${m.name} ${m.bitOffset} ${m.bitFieldSize} ${formatTypeName(m.type)} ${m.type.kind}`
  );
}

Deno.test({
  name: "layout table on the vmlinux: saved big structures have the members parsing gives",
  ignore: vmlinux === null,
  sanitizeResources: false,
  async fn() {
    const { sections, littleEndian } = readElfSections(vmlinux!, { shared: true });
    const s = dwarfSectionsFromMap(sections);
    let blob: Uint8Array | null = null;
    const first = new LayoutStore(() => null, (b) => (blob = b));
    const d1 = await DwarfInfo.load(s, { littleEndian, name: "vmlinux", layouts: first });
    const names = [
      "task_struct",
      "mm_struct",
      "signal_struct",
      "sk_buff",
      "inode",
      "super_block",
      "net_device",
      "list_head",
      "hlist_node",
      "rb_node",
    ];
    const want = new Map<string, string[]>();
    for (const n of names) want.set(n, membersText(d1.findType(`struct ${n}`)!));
    // init_task's struct, read in init/init_task.c's unit, is the index's
    // task_struct: the pair is saved too.
    const it1 = d1.findObject("init_task", "variable")!;
    assert.equal(it1.type, d1.findType("struct task_struct"));
    // Saved: those of LAYOUT_MIN_MEMBERS members or more (task_struct's 250; not
    // mm_struct's, whose members are mostly in one anonymous structure).
    const big = names.filter((n) => want.get(n)!.length >= LAYOUT_MIN_MEMBERS);
    assert.ok(big.includes("task_struct") && !big.includes("list_head"));
    first.flush();
    assert.ok(blob !== null, "saved");
    const index = layoutIndex(blob)!;
    const taskRef = [...index.types.keys()].find((r) =>
      d1.types.typeFromDie(r).tag === "task_struct"
    );
    assert.ok([...index.shared.values()].includes(taskRef!), "init_task's pair saved");
    const savedNames = [...index.types.keys()].map((ref) => d1.types.typeFromDie(ref).tag);
    assert.deepEqual(savedNames.sort(), [...big].sort(), "the big structures only");

    let hits = 0;
    let sharedHits = 0;
    const second = new LayoutStore(() => blob, () => assert.fail("nothing new to save"));
    const counting = {
      get: <T>(ref: number, make: MemberMaker<T>) => {
        const r = second.get(ref, make);
        if (r !== null) hits++;
        return r;
      },
      put: (ref: number, members: readonly SavedMember[]) => second.put(ref, members),
      shared: (def: number) => {
        const r = second.shared(def);
        if (r !== undefined) sharedHits++;
        return r;
      },
      putShared: (def: number, to: number | null) => second.putShared(def, to),
    };
    const d2 = await DwarfInfo.load(s, {
      littleEndian,
      name: "vmlinux",
      layouts: counting,
      index: d1.serializeIndex(),
    });
    for (const n of names) {
      assert.deepEqual(membersText(d2.findType(`struct ${n}`)!), want.get(n), n);
    }
    assert.equal(hits, big.length, "the big ones made from the table");
    // The saved pair makes init_task's struct the index's, as the lookup did.
    const it2 = d2.findObject("init_task", "variable")!;
    assert.equal(it2.type, d2.findType("struct task_struct"));
    assert.deepEqual(membersText(it2.type), want.get("task_struct"));
    assert.ok(sharedHits >= 1, "from the saved pair");
    second.flush();
  },
});

Deno.test({
  name: "layouts end to end: saved at exit where the index is cached, used by the next session",
  ignore: vmlinux === null,
  async fn() {
    const vml = await vmlinuxPath();
    const kos = KERNEL_MODULES.map((m) => join(KERNEL, "debug", `${m}.ko`));
    const dump = await kernelDumpPath("mdf-c-d31.kdump");
    const dir = Deno.makeTempDirSync();
    const script = join(dir, "s.ts");
    const prelude = new URL("../../../lib/runtime/prelude.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      script,
      `import { prog } from ${JSON.stringify(prelude)};
const t = prog.object("init_task");
console.log(t.comm.string_(), t.tasks.next.value_(), prog.type("struct task_struct").members.length);
`,
    );
    const run = async (env: Record<string, string>) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, dump, "-s", vml!, ...kos.flatMap((k) => ["-s", k!]), "-q"],
        env: { WYVERN_CACHE_DIR: join(dir, "cache"), ...env },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    const files = () => [...Deno.readDirSync(join(dir, "cache"))].map((e) => e.name).sort();
    try {
      const onDemand = await run({});
      assert.deepEqual(
        [...Deno.readDirSync(dir)].filter((e) => e.name === "cache").length === 0 ? [] : files(),
        [],
        "an on-demand session saves nothing",
      );
      const full = await run({ WYVERN_FULL_INDEX: "1" });
      assert.equal(full, onDemand);
      const layouts = files().filter((f) => f.startsWith("dwarf-layouts-"));
      assert.equal(layouts.length, 1, files().join(" "));
      const warm = await run({});
      assert.equal(warm, onDemand, "from the saved layouts");
      // A damaged table: the same answers, and a sound one saved again.
      const path = join(dir, "cache", layouts[0]!);
      const bytes = Deno.readFileSync(path);
      bytes[bytes.length - 1]! ^= 0xff;
      Deno.writeFileSync(path, bytes);
      assert.equal(await run({}), onDemand);
      assert.notDeepEqual(Deno.readFileSync(path), bytes, "rewritten");
      assert.equal(await run({}), onDemand);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
