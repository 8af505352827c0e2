/**
 * Stack traces of every thread of every stored userspace fixture core (all
 * five variants, gcore, kernel core and the SIGSEGV core), compared with
 * drgn 0.0.22's reference JSON: `str(trace)`, each frame's name, inline and
 * interrupted flags, PC, SP, `str(frame)`, symbol, source position and
 * registers, the names of its locals and each local's type, address,
 * absence and `str()`. Where drgn could not give a local (entry values, TLS,
 * implicit pointers, locations it left absent) the value is compared with
 * gdb's `bt full` in the fixture's `*.gdb.txt`, including entry values that
 * gdb recovers through a tail call (`cancel` of glibc's
 * `__futex_abstimed_wait_common`, called through
 * `__futex_abstimed_wait_cancelable64`'s jump).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import type { StackFrame } from "../../../lib/program/stack_trace.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";
import { underlyingType } from "../../../lib/types/type.ts";
import { USER, userCorePath } from "../../_programs.ts";
import { type GdbFrame, parseGdbBacktraces } from "./_gdb_bt.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface IndexEntry {
  reference: string;
  variant: string;
  core: string | null;
  core_stored_as: string | null;
  binary: string;
  gdb_txt: string;
}

const INDEX: IndexEntry[] = JSON.parse(
  Deno.readTextFileSync(join(USER, "reference/index.json")),
);
const CORES = INDEX.filter((e) => e.core !== null && e.core_stored_as !== null);

async function open(e: IndexEntry): Promise<Program> {
  const file = e.core!.split("/").pop()!;
  const dot = file.indexOf(".");
  const p = new Program();
  p.setCoreDump(await userCorePath(e.variant, file.slice(0, dot), file.slice(dot + 1)));
  const bin = join(USER, e.binary);
  p.loadDebugInfo(e.variant === "gcc-split" ? [bin, bin + ".debug"] : [bin], { default: true });
  return p;
}

const hx = (v: bigint) => "0x" + v.toString(16);

function attempt<T>(f: () => T): T | "error" {
  try {
    return f();
  } catch {
    return "error";
  }
}

/** The frame as drgn_ref.py records it. */
function describeFrame(f: StackFrame): Json {
  return {
    name: f.name,
    is_inline: f.isInline,
    interrupted: f.interrupted,
    pc: attempt(() => hx(f.pc)),
    sp: attempt(() => hx(f.sp)),
    str: String(f),
    symbol: attempt(() => {
      const s = f.symbol();
      return { name: s.name, address: hx(s.address), size: Number(s.size) };
    }),
    source: attempt(() => {
      const s = f.source();
      return [s.file, s.line, s.column];
    }),
    registers: Object.fromEntries(Object.entries(f.registers()).map(([k, v]) => [k, hx(v)])),
  };
}

function refFrame(rf: Json): Json {
  const err = (v: Json) => (v !== null && typeof v === "object" && "error" in v ? "error" : v);
  const sym = err(rf.symbol);
  return {
    name: rf.name,
    is_inline: rf.is_inline,
    interrupted: rf.interrupted,
    pc: err(rf.pc),
    sp: err(rf.sp),
    str: rf.str,
    symbol: sym === "error" ? sym : { name: sym.name, address: sym.address, size: sym.size },
    source: err(rf.source),
    registers: rf.registers,
  };
}

/** String literals: read from the ELF file here, unreadable in cores for drgn 0.0.22. */
const STRING_LITERAL = / = "(?:[^"\\]|\\.)*"/g;

function sameStr(mine: string, ref: string): boolean {
  if (mine === ref) return true;
  const refStrings = ref.match(STRING_LITERAL) ?? [];
  const mineStrings = new Set(mine.match(STRING_LITERAL) ?? []);
  return mine.replace(STRING_LITERAL, "") === ref.replace(STRING_LITERAL, "") &&
    refStrings.every((s) => mineStrings.has(s));
}

/** A scalar as gdb prints it (`8`, `0x5555555581a0`, `true`, `<optimized out>`), or null. */
function gdbScalar(o: TypedObject): string | null {
  if (o.absent_) return "<optimized out>";
  const t = underlyingType(o.type_);
  switch (t.kind) {
    case "int":
      return t.size === 1 ? null : String(o.value_());
    case "bool":
      return String(o.value_());
    case "enum": {
      const v = BigInt(o.value_() as number | bigint);
      return t.enumerators?.find((e) => BigInt(e.value) === v)?.name ?? String(v);
    }
    case "pointer":
      return hx(o.value_() as bigint);
    case "float":
      return String(o.value_());
    default:
      return null;
  }
}

function normalizeGdb(v: string): string {
  if (v === "<synthetic pointer>") return "<optimized out>";
  return v.startsWith("<") ? v : v.split(" ")[0]!;
}

/** The gdb frame for one of ours: same function (gdb may add `__GI_` prefixes) and line. */
function findGdbFrame(frames: GdbFrame[], from: number, f: StackFrame): number {
  let line: number;
  try {
    line = f.source().line;
  } catch {
    return -1;
  }
  const name = f.name;
  if (name === null) return -1;
  for (let j = from; j < frames.length; j++) {
    const g = frames[j]!;
    if ((g.name === name || g.name.endsWith(name) || name.endsWith(g.name)) && g.line === line) {
      return j;
    }
  }
  return -1;
}

/**
 * Locals where we and gdb both improve on drgn but disagree: `argc`/`argv`
 * of `main` at -O2. gdb refuses the entry value because glibc calls `main`
 * through a pointer; we take it from the call site's parameters, and it
 * equals the caller's own `argc`/`argv` (checked instead).
 */
function indirectCallEntryValue(fn: string, local: string): boolean {
  return fn === "main" && (local === "argc" || local === "argv");
}

for (const e of CORES) {
  const name = e.reference.replace(/^reference\//, "").replace(/\.json$/, "");
  Deno.test(`stack traces of ${name} match drgn 0.0.22 (and gdb where drgn fails)`, async () => {
    const prog = await open(e);
    const ref: Json = JSON.parse(Deno.readTextFileSync(join(USER, e.reference)));
    const gdb = parseGdbBacktraces(Deno.readTextFileSync(join(USER, e.gdb_txt)));
    let drgnLocals = 0, gdbLocals = 0;
    for (const st of ref.stack_traces as Json[]) {
      const trace = prog.stackTrace(st.tid);
      assert.equal(String(trace), st.str, `thread ${st.tid}`);
      assert.equal(trace.length, st.frames.length);
      assert.equal(trace.truncated, null);
      const gframes = gdb.get(st.tid)!;
      assert.ok(gframes !== undefined && gframes.length > 0, `gdb backtrace of ${st.tid}`);
      let gi = 0;
      for (const rf of st.frames as Json[]) {
        const f = trace[rf.index]!;
        const where = `thread ${st.tid} frame ${rf.index}`;
        assert.deepEqual(describeFrame(f), refFrame(rf), where);
        assert.deepEqual(f.locals(), rf.locals.map((l: Json) => l.name), where);
        const j = findGdbFrame(gframes, gi, f);
        const g = j >= 0 ? gframes[j]! : null;
        if (j >= 0) gi = j + 1;
        for (const rl of rf.locals as Json[]) {
          const o = f.get(rl.name);
          const at = `${where} ${f.name} ${rl.name}`;
          if (rl.error === undefined && !rl.absent && typeof rl.str === "string") {
            assert.equal(o.type_.typeName(), rl.type, at);
            assert.equal(o.absent_, false, at);
            assert.equal(o.address_ === null ? null : hx(o.address_), rl.address, at);
            assert.ok(sameStr(String(o), rl.str), `${at}: ${String(o)} !== ${rl.str}`);
            drgnLocals++;
            continue;
          }
          // drgn failed or said absent: gdb is the reference (its backtraces stop at main).
          if (g === null && trace.frames.slice(0, rf.index).some((x) => x.name === "main")) {
            continue;
          }
          assert.ok(g !== null, `${at}: no gdb frame`);
          const gv = g.args.get(rl.name) ?? g.locals.find(([n]) => n === rl.name)?.[1];
          assert.ok(gv !== undefined, `${at}: not in gdb's frame`);
          if (gv.startsWith('"')) {
            // A string drgn could not read (.rodata is not in cores): we read it from the file.
            assert.ok(String(o).endsWith(gv), `${at}: ${String(o)} !== gdb ${gv}`);
            gdbLocals++;
            continue;
          }
          const mine = gdbScalar(o);
          if (mine === null || gv.startsWith("{")) continue;
          const want = normalizeGdb(gv);
          if (indirectCallEntryValue(f.name!, rl.name) && want === "<optimized out>") {
            const caller = trace.frames.find((c) => c.name === "__libc_start_call_main")!;
            assert.equal(mine, gdbScalar(caller.get(rl.name)), at);
            continue;
          }
          assert.ok(mine === want || Number(mine) === Number(want), `${at}: ${mine} !== gdb ${gv}`);
          gdbLocals++;
        }
      }
    }
    assert.ok(drgnLocals > 0);
    // Only some cores have locals drgn could not read.
    if (name.includes("threads")) assert.ok(gdbLocals > 0);
  });
}

Deno.test("stack frames: thread-local variables (DW_OP_form_tls_address, DW_OP_GNU_push_tls_address) as gdb", async () => {
  for (const variant of ["gcc-O0", "clang-O0", "gcc-dwarf4-O2"]) {
    const e = CORES.find((c) => c.reference === `reference/${variant}/threads.gcore.json`)!;
    const prog = await open(e);
    const gdb = Deno.readTextFileSync(join(USER, e.gdb_txt));
    let tls = 0;
    for (const m of gdb.matchAll(/^TLS thread \d+ \(LWP (\d+)\) tls_id = (-?\d+)$/gm)) {
      const tid = Number(m[1]);
      // The innermost frame of the program's own code sees threads.c's globals.
      const frame = prog.stackTrace(tid).frames.find((f) => f.has("tls_id"));
      assert.ok(frame !== undefined, `${variant} ${tid}`);
      assert.equal(frame.get("tls_id").value_(), Number(m[2]), `${variant} ${tid}`);
      assert.equal(prog.thread(tid).variable("tls_id").value_(), Number(m[2]));
      tls++;
    }
    assert.equal(tls, 5, variant);
  }
});

Deno.test("stack frames: entry values drgn 0.0.22 cannot read (-O2), as gdb", async () => {
  const e = CORES.find((c) => c.reference === "reference/gcc-dwarf4-O2/threads.gcore.json")!;
  const prog = await open(e);
  const ref: Json = JSON.parse(Deno.readTextFileSync(join(USER, e.reference)));
  const role = (r: string) => ref.walks.g_threads.find((t: Json) => t.role === r).tid;
  // recurse(depth=depth@entry=0, acc=acc@entry=74321, ...): DW_OP_GNU_entry_value.
  const recurse = prog.stackTrace(role("ROLE_SLEEPER")).frames.filter((f) => f.name === "recurse");
  assert.deepEqual(recurse.map((f) => f.get("depth").value_()), [0, 1, 2, 3, 4]);
  assert.deepEqual(recurse.map((f) => Number(f.get("acc").value_())), [74321, 7432, 743, 74, 7]);
  // cancel=cancel@entry=true: through the tail call of __futex_abstimed_wait_cancelable64.
  const futex = prog.stackTrace(role("ROLE_COND")).frames.filter((f) =>
    f.name?.startsWith("__futex_abstimed_wait_common")
  );
  assert.equal(futex.length, 2);
  for (const f of futex) assert.equal(f.variable("cancel").value_(), true);
});
