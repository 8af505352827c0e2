/**
 * The object formatter on the user fixture cores, against drgn 0.0.22: for
 * every variant (gcc-O0, gcc-dwarf4-O2, clang-O0, gcc-gz, gcc-split), program
 * (types, datastructs, threads, big) and core (gcore, kernel core), every
 * variable's `str`, its 12 `format_()` option sets, `deref_str` and
 * `variable_api_str`, and every function's `str`.
 *
 * The objects come from {@link CoreProgram} (the core's memory, the binary's
 * DWARF types, drgn's symbols), so this checks the formatter alone, whatever
 * state the `Program` pipeline is in.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import "../../../lib/object/format_object.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";
import { CoreProgram } from "./_core_program.ts";
import { camelOptions, REF_FORMATS } from "./_format_options.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const FIXTURES = Deno.env.get("WYVERN_FIXTURES") ?? "/work/shared/fixtures";
const CACHE = Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";
const USER = `${FIXTURES}/user`;
const VARIANTS = ["gcc-O0", "gcc-dwarf4-O2", "clang-O0", "gcc-gz", "gcc-split"];
const PROGRAMS = ["types", "datastructs", "threads", "big"];
const KINDS = ["gcore", "kcore", "kcore-crash"];

/**
 * Variables whose output differs on purpose: drgn 0.0.22 prints a function
 * returning a function pointer's type wrongly (see lib/types/format_type.ts),
 * and a pointer into libc is symbolized with libc's symbols, which
 * CoreProgram does not have.
 */
const EXPECTED_DIFFERENCES: Record<string, string> = {
  g_fp_returning_fp: "drgn's type name is not C: void (*(*))(int)(int)",
  fn_returns_fp: "drgn's type name is not C: void (*)(int)(int which)",
  g_printf_fp: "libc symbol (printf+0x0)",
};

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The core a reference names, decompressed into the cache once if stored as .zst. */
function corePath(ref: Json): string | null {
  const path = `${USER}/${ref.core}`;
  if (exists(path)) return path;
  if (!exists(path + ".zst")) return null;
  const cached = `${CACHE}/user/${ref.core}`;
  if (!exists(cached)) {
    Deno.mkdirSync(cached.slice(0, cached.lastIndexOf("/")), { recursive: true });
    execFileSync("zstd", ["-q", "-f", "-d", "-o", cached + ".tmp", path + ".zst"]);
    Deno.renameSync(cached + ".tmp", cached);
  }
  return cached;
}

function outcome(f: () => string): Json {
  try {
    return { value: f() };
  } catch (e) {
    const err = e as Error;
    return { error: err.name, message: err.message };
  }
}

interface Tally {
  checked: number;
  drgnCannot: number;
  failures: string[];
}

/** Compares our outcome with drgn's (a string, or `{error, message}`). */
function check(t: Tally, what: string, want: Json, f: () => string): void {
  if (want === undefined || want === null) return;
  if (typeof want === "object" && want.error === "NotImplementedError") {
    // drgn 0.0.22 cannot read 128-bit integers or long double; ours must print something.
    t.drgnCannot++;
    const got = outcome(f);
    if (got.value === undefined) t.failures.push(`${what}: ${JSON.stringify(got)}`);
    return;
  }
  t.checked++;
  const got = outcome(f);
  const ok = typeof want === "string" ? got.value === want : got.error === want.error;
  if (!ok) {
    t.failures.push(`${what}\n  drgn: ${JSON.stringify(want)}\n  ours: ${JSON.stringify(got)}`);
  }
}

let total = 0;
for (const variant of VARIANTS) {
  for (const program of PROGRAMS) {
    for (const kind of KINDS) {
      const refPath = `${USER}/reference/${variant}/${program}.${kind}.json`;
      if (!exists(refPath)) continue;
      const ref: Json = JSON.parse(Deno.readTextFileSync(refPath));
      const name = `${variant}/${program}.${kind}`;
      Deno.test({
        name: `formatObject() matches drgn on ${name}`,
        ignore: !exists(`${USER}/${ref.core}`) && !exists(`${USER}/${ref.core}.zst`),
        fn() {
          const prog = new CoreProgram(corePath(ref)!, `${USER}/${ref.debug_file}`, ref);
          const t: Tally = { checked: 0, drgnCannot: 0, failures: [] };
          try {
            for (const [v, e] of Object.entries(ref.variables as Record<string, Json>)) {
              if (e.address === undefined || e.address === null || v in EXPECTED_DIFFERENCES) {
                continue;
              }
              const obj = (): TypedObject => {
                const o = prog.objectAt(v, "variable", e.address);
                if (o === null) throw new Error(`no DWARF variable ${v}`);
                return o;
              };
              if (prog.dwarf.findObject(v, "variable") === null) continue; // libc's (stdout)
              check(t, `${name} ${v} str`, e.str, () => String(obj()));
              for (const [set, want] of Object.entries((e.formats ?? {}) as Record<string, Json>)) {
                check(
                  t,
                  `${name} ${v} [${set}]`,
                  want,
                  () => obj().format_(camelOptions(REF_FORMATS[set]!)),
                );
              }
              check(t, `${name} ${v} deref_str`, e.deref_str, () => String(obj().subscript_(0)));
              check(t, `${name} ${v} variable_api_str`, e.variable_api_str, () => String(obj()));
            }
            for (const [f, e] of Object.entries(ref.functions as Record<string, Json>)) {
              if (e.address === undefined || e.address === null || f in EXPECTED_DIFFERENCES) {
                continue;
              }
              const o = prog.objectAt(f, "function", e.address);
              if (o === null) continue;
              check(t, `${name} function ${f}`, e.str, () => String(o));
            }
          } finally {
            prog.close();
          }
          total += t.checked;
          console.log(
            `${name}: ${t.checked - t.failures.length}/${t.checked} match drgn` +
              (t.drgnCannot ? `, ${t.drgnCannot} drgn cannot format` : ""),
          );
          assert.ok(t.checked > 20, `${t.checked}`);
          assert.deepEqual(t.failures, []);
        },
      });
    }
  }
}

Deno.test({
  name: "formatObject() prints __int128 and long double as the C source defines them",
  ignore: !exists(`${USER}/out/core/gcc-O0/types.gcore`),
  fn() {
    const ref: Json = JSON.parse(
      Deno.readTextFileSync(`${USER}/reference/gcc-O0/types.gcore.json`),
    );
    const prog = new CoreProgram(`${USER}/${ref.core}`, `${USER}/${ref.debug_file}`, ref);
    const v = (n: string) => String(prog.objectAt(n, "variable", ref.variables[n].address));
    try {
      // types.c: g_int128 = -((__int128)1 << 100) - 7;
      assert.equal(v("g_int128"), `(__int128)${-(1n << 100n) - 7n}`);
      // g_uint128 = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
      assert.equal(
        v("g_uint128"),
        `(__int128 unsigned)${(0x0123456789abcdefn << 64n) | 0xfedcba9876543210n}`,
      );
      // g_ldouble = 1.0L / 3.0L: glibc's printf("%.21Lg", 1.0L / 3.0L).
      assert.equal(v("g_ldouble"), "(long double)0.333333333333333333342");
    } finally {
      prog.close();
    }
  },
});
