/**
 * The type-name parser and the C formatter on real debug info, through the
 * DWARF reader: every type, type-name query and variable type of the user
 * fixture references (5 variants, 4 programs), and drgn's `str()` of kernel
 * types (`struct task_struct` and the others the kernel reference hashes)
 * from the Debian vmlinux.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { isLookupError } from "../../../lib/errors.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { relocatedSectionData } from "../../../lib/elf/relocations.ts";
import { functionType } from "../../../lib/types/derived_types.ts";
import { formatTypeDefinition, formatTypeName } from "../../../lib/types/format_type.ts";
import {
  parseTypeName,
  type TypeLookup,
  TypeNameSyntaxError,
} from "../../../lib/types/type_parser.ts";
import { Type, TypeParameter } from "../../../lib/types/type.ts";

const FIXTURES = Deno.env.get("WYVERN_FIXTURES") ?? "/work/shared/fixtures";
const CACHE = Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";
const VMLINUX = `${CACHE}/vmlinux-6.1.0-56-amd64`;
const VARIANTS = ["gcc-O0", "gcc-dwarf4-O2", "clang-O0", "gcc-gz", "gcc-split"];
const PROGS = ["types", "datastructs", "threads", "big"];

// deno-lint-ignore no-explicit-any
type Json = any;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The `.debug_*` sections of an ELF file, relocated if it is a kernel module. */
function debugSections(elf: ElfFile): Map<string, Uint8Array> {
  const sections = new Map<string, Uint8Array>();
  for (const s of elf.sections) {
    if (s.name.startsWith(".debug_")) sections.set(s.name, relocatedSectionData(elf, s));
  }
  return sections;
}

function openDwarf(path: string, name: string): { dwarf: DwarfInfo; elf: ElfFile } {
  const elf = ElfFile.open(path);
  const dwarf = new DwarfInfo(dwarfSectionsFromMap(debugSections(elf)), {
    littleEndian: elf.littleEndian,
    name,
  });
  return { dwarf, elf };
}

/** An outcome as plain data, for comparisons and messages. */
function plain(o: Outcome): unknown {
  return "type" in o ? { type_name: formatTypeName(o.type) } : o;
}

function lookupIn(dwarf: DwarfInfo): TypeLookup {
  return (kind, name) => dwarf.findType(name, kind);
}

type Outcome = { type: Type } | { error: string; message: string };

function parse(q: string, lookup: TypeLookup): Outcome {
  try {
    return { type: parseTypeName(q, lookup) };
  } catch (e) {
    if (e instanceof TypeNameSyntaxError) return { error: "SyntaxError", message: e.message };
    if (isLookupError(e)) return { error: "LookupError", message: e.message };
    throw e;
  }
}

const parserGoldens = JSON.parse(
  await Deno.readTextFile(new URL("../../data/types/parser_goldens.json", import.meta.url)),
) as { variants: Record<string, { gdb: Record<string, Json>; gdb_objects: Record<string, Json> }> };

/** Names drgn 0.0.22 cannot look up, which Wyvern finds (checked by kind). */
const DRGN_CANNOT_FIND: Record<string, string> = {
  "__int128": "int",
  "__int128 unsigned": "int",
  "unsigned __int128": "int",
  "complex double": "complex",
  "complex float": "complex",
  "complex": "complex",
  "__ARRAY_SIZE_TYPE__": "int",
};

/** Variables whose type drgn 0.0.22 names wrongly (a function returning a function pointer). */
const DRGN_WRONG_NAMES = new Set(["g_fp_returning_fp"]);

const totals = { types: 0, queries: 0, variables: 0, better: 0, declarations: 0 };

for (const variant of VARIANTS) {
  for (const prog of PROGS) {
    const refPath = `${FIXTURES}/user/reference/${variant}/${prog}.gcore.json`;
    const bin = `${FIXTURES}/user/out/bin/${variant}/${prog}${
      variant === "gcc-split" ? ".debug" : ""
    }`;
    Deno.test({
      name: `prog.type() and str() match drgn 0.0.22 on ${variant}/${prog}`,
      ignore: !exists(refPath) || !exists(bin),
      fn() {
        const ref = JSON.parse(Deno.readTextFileSync(refPath));
        const { dwarf, elf } = openDwarf(bin, prog);
        const lookup = lookupIn(dwarf);
        const mismatches: string[] = [];
        const want = (what: string, got: unknown, expected: unknown) => {
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            mismatches.push(
              `${what}: got ${JSON.stringify(got)}, drgn ${JSON.stringify(expected)}`,
            );
          }
        };

        // Every top-level type, by name, as `prog.type(name)`.
        for (const [key, r] of Object.entries(ref.types as Record<string, Json>)) {
          const got = parse(key, lookup);
          if (r.error !== undefined) {
            if (key in DRGN_CANNOT_FIND) {
              assert.ok("type" in got, `${key}: ${JSON.stringify(plain(got))}`);
              assert.equal(got.type.kind, DRGN_CANNOT_FIND[key], key);
              totals.better++;
            } else if ("type" in got && r.error === "LookupError" && !got.type.isComplete()) {
              // Only declared in this file (`struct opaque;`): drgn 0.0.22's
              // lookup skips declarations; DwarfInfo returns the incomplete
              // type, as gdb's `ptype struct opaque` does.
              assert.equal(formatTypeDefinition(got.type), key);
              totals.declarations++;
            } else {
              want(`type ${key}`, plain(got), { error: r.error, message: r.message });
            }
            continue;
          }
          if (!("type" in got)) {
            mismatches.push(`type ${key}: ${JSON.stringify(got)}`);
            continue;
          }
          want(`type ${key} type_name`, formatTypeName(got.type), r.type_name);
          want(`type ${key} str`, formatTypeDefinition(got.type), r.str);
          totals.types++;
        }

        // Type-name queries.
        const gdb = parserGoldens.variants[variant]!.gdb;
        for (
          const [q, r] of Object.entries((ref.type_name_queries ?? {}) as Record<string, Json>)
        ) {
          const got = parse(q, lookup);
          if (r.message === "function pointer types are not implemented") {
            assert.ok("type" in got, q);
            assert.equal(formatTypeName(got.type), gdb[q].value, q);
            totals.better++;
          } else if (r.error !== undefined) {
            want(`query ${q}`, plain(got), { error: r.error, message: r.message });
          } else if (!("type" in got)) {
            mismatches.push(`query ${q}: ${JSON.stringify(got)}`);
          } else {
            want(`query ${q} type_name`, formatTypeName(got.type), r.type_name);
            want(`query ${q} str`, formatTypeDefinition(got.type), r.str);
            totals.queries++;
          }
        }

        // Variable types, and parsing each type name back.
        const gdbObjects = parserGoldens.variants[variant]!.gdb_objects;
        for (const [name, r] of Object.entries(ref.variables as Record<string, Json>)) {
          if (r.error !== undefined || r.dwarf_declaration_only || typeof r.type !== "string") {
            continue;
          }
          const o = dwarf.findObject(name, "variable");
          if (o === null) continue;
          const typeName = formatTypeName(o.type);
          if (DRGN_WRONG_NAMES.has(name)) {
            assert.equal(typeName, gdbObjects[name].value, name);
            totals.better++;
          } else {
            want(`variable ${name} type`, typeName, r.type);
            totals.variables++;
          }
          // The printed name parses back to a type with the same name
          // (`struct <anonymous>` has no name to look up, in drgn either).
          if (typeName.includes("<anonymous>")) continue;
          const back = parse(typeName, lookup);
          if (!("type" in back)) {
            mismatches.push(`variable ${name}: '${typeName}' does not parse: ${back.message}`);
          } else {
            want(`variable ${name} round trip`, formatTypeName(back.type), typeName);
          }
        }

        // A function returning a function pointer, named as gdb names it.
        if (prog === "types") {
          const f = dwarf.findObject("fn_returns_fp", "function");
          assert.ok(f !== null);
          assert.deepEqual(f.type.parameters.map((p) => p.name), ["which"]);
          const nameless = functionType(
            f.type.type,
            f.type.parameters.map((p) => new TypeParameter(p.type, null)),
            f.type.isVariadic,
          );
          assert.equal(formatTypeName(nameless), gdbObjects.fn_returns_fp.value);
          assert.equal(formatTypeName(f.type), "void (*(int which))(int)");
        }
        elf.close();
        assert.deepEqual(mismatches, []);
      },
    });
  }
}

Deno.test({
  name: "fixture totals",
  fn() {
    console.log(
      `user fixtures: ${totals.types} types, ${totals.queries} queries, ` +
        `${totals.variables} variable types identical to drgn; ${totals.better} answers better; ` +
        `${totals.declarations} declaration-only names found (drgn: LookupError)`,
    );
  },
});

Deno.test({
  name: "kernel types print exactly as drgn's str() (task_struct and the hashed ones)",
  ignore: !exists(VMLINUX),
  async fn() {
    const elf = ElfFile.open(VMLINUX);
    let t0 = performance.now();
    const dwarf = await DwarfInfo.load(dwarfSectionsFromMap(debugSections(elf)), {
      littleEndian: elf.littleEndian,
      name: "vmlinux",
    });
    const loadMs = performance.now() - t0;
    // Module types (struct loop_device, struct minix_sb_info) come from the
    // modules' debug files, after vmlinux, as in drgn.
    const modules = [...Deno.readDirSync(`${FIXTURES}/kernel/debug`)]
      .filter((e) => e.name.endsWith(".ko"))
      .map((e) => openDwarf(`${FIXTURES}/kernel/debug/${e.name}`, e.name));
    const lookup: TypeLookup = (kind, name) => {
      const t = dwarf.findType(name, kind);
      if (t !== null) return t;
      for (const m of modules) {
        const mt = m.dwarf.findType(name, kind);
        if (mt !== null) return mt;
      }
      return null;
    };

    const taskStruct = parseTypeName("struct task_struct", lookup);
    t0 = performance.now();
    const text = formatTypeDefinition(taskStruct);
    const firstMs = performance.now() - t0;
    const want = await Deno.readTextFile(`${FIXTURES}/kernel/reference/task_struct.txt`);
    assert.equal(text, want.replace(/\n$/, ""));

    const ref = JSON.parse(
      await Deno.readTextFile(`${FIXTURES}/kernel/reference/kaslr-256m/mdf-c-d31.kdump.json`),
    );
    let matched = 0;
    for (const [name, r] of Object.entries(ref.types as Record<string, Json>)) {
      const t = parseTypeName(name, lookup);
      const s = formatTypeDefinition(t);
      const sha = createHash("sha256").update(s).digest("hex");
      assert.equal(s.split("\n").length, r.str_lines, name);
      assert.equal(s.length, r.str_len, name);
      assert.equal(sha, r.str_sha256, name);
      if (r.str !== undefined) assert.equal(s, r.str, name);
      if (r.str_head !== undefined) {
        assert.deepEqual(s.split("\n").slice(0, r.str_head.length), r.str_head);
      }
      matched++;
    }

    // str() of a struct whose definition is not cached (a fresh Type over
    // the same definition), once its member types have been seen: the
    // formatting work alone, without DIE reading.
    const n = 500;
    t0 = performance.now();
    for (let i = 0; i < n; i++) formatTypeDefinition(new Type(taskStruct.core));
    const uncachedMs = (performance.now() - t0) / n;
    t0 = performance.now();
    for (let i = 0; i < n; i++) formatTypeDefinition(taskStruct);
    const cachedMs = (performance.now() - t0) / n;
    console.log(
      `vmlinux: index ${loadMs.toFixed(0)} ms; struct task_struct: ${
        text.split("\n").length
      } lines, first str() ${firstMs.toFixed(1)} ms (DIE reading included), ` +
        `uncached ${(uncachedMs * 1000).toFixed(1)} µs, cached ${
          (cachedMs * 1000).toFixed(2)
        } µs; ` +
        `${matched}/${Object.keys(ref.types).length} hashed kernel types identical`,
    );
    for (const m of modules) m.elf.close();
    elf.close();
  },
});
