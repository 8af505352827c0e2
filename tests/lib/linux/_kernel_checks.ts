/**
 * Checks shared by the kernel dump tests: a program's answers against drgn
 * 0.0.22's reference JSON of a dump (tests/data/kernel/…, the fixture's
 * reference/), and frames as that JSON records them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Program } from "../../../lib/program/program.ts";
import type { StackTrace } from "../../../lib/program/stack_trace.ts";
import { LookupError } from "../../../lib/errors.ts";
import { containerOf } from "../../../lib/object/operators.ts";
import type { TypedObject } from "../../../lib/object/typed_object.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The entries of the `list_head` list at `head`, as `type` objects by their `member`. */
export function listEntries(head: TypedObject, type: string, member: string): TypedObject[] {
  const out = [];
  let pos = head.member_("next");
  while (pos.value_() !== head.address_) {
    out.push(containerOf(pos, type, member));
    pos = pos.member_("next");
  }
  return out;
}

/** `0x…`, as the references write addresses. */
export const hex = (v: bigint) => "0x" + v.toString(16);

/**
 * The answers of drgn's kernel reference that do not depend on the format:
 * release, KASLR offset, VMCOREINFO, init_task, init_uts_ns, jiffies,
 * symbols, type strings, the module list, module functions, and the per-CPU
 * run queues.
 */
export function checkKernel(p: Program, ref: Json, name: string): void {
  assert.equal(p.object("UTS_RELEASE").string_(), ref.uts_release, name);
  assert.equal(p.object("PAGE_SIZE").value_(), BigInt(ref.page_size));
  assert.equal(p.flags.isLinuxKernel, true);
  const info = p.targetData.get("kernel") as Json;
  assert.equal(hex(info.vmcoreinfo.kaslrOffset), ref.kaslr_offset);
  for (const [k, v] of Object.entries(ref.vmcoreinfo as Record<string, string>)) {
    assert.equal(info.vmcoreinfo.entries.get(k), v, `${name} VMCOREINFO ${k}`);
  }
  assert.equal(p.object("init_task").comm.string_(), ref.init_task_comm);
  assert.equal(String(p.object("init_task").comm), ref.init_task_comm_str);
  assert.equal(String(p.object("init_task").tasks), ref.init_task_tasks_str);
  assert.equal(hex(p.object("init_task").address_!), ref.init_task_address);
  for (const [k, v] of Object.entries(ref.init_uts_ns as Record<string, string>)) {
    assert.equal(p.object("init_uts_ns").name[k].string_(), v, `${name} init_uts_ns ${k}`);
  }
  assert.equal(String(p.object("jiffies_64").value_()), String(ref.jiffies_64));
  // drgn 0.0.22: KeyError for `jiffies`; here it is the alias of jiffies_64.
  assert.equal(String(p.object("jiffies").value_()), String(ref.jiffies_via_symbol));
  for (const [sym, addr] of Object.entries(ref.symbol_addresses as Record<string, string>)) {
    const a = p.symbol(sym).address;
    // drgn adds the KASLR offset to per-CPU symbols too (runqueues: 0x6831c40),
    // which are offsets, not addresses; we leave them as the kernel does.
    if (sym === "runqueues") assert.equal(hex(a + info.vmcoreinfo.kaslrOffset), addr);
    else assert.equal(hex(a), addr, `${name} symbol ${sym}`);
  }
  // Types.
  for (const [t, e] of Object.entries(ref.types as Record<string, Json>)) {
    const s = String(p.type(t));
    const sha = createHash("sha256").update(s).digest("hex");
    assert.equal(sha, e.str_sha256, `${name} ${t}`);
  }
  // Modules, in list order.
  const mods = listEntries(p.object("modules"), "struct module", "list").map((m) => ({
    core_base: hex(m.core_layout.base.value_()),
    core_size: Number(m.core_layout.size.value_()),
    name: m.name.string_(),
    refcnt: Number(m.refcnt.counter.value_()),
    state: String(m.state.format_({ typeName: false })),
  }));
  assert.deepEqual(mods, ref.modules, name);
  assert.deepEqual(
    p.modules.filter((m) => m.kind === "linux_kernel_module").map((m) => [m.name, m.hasDebugInfo]),
    (ref.modules as Json[]).map((m) => [m.name, true]),
  );
  for (const [fn, e] of Object.entries(ref.module_debug_info as Record<string, Json>)) {
    const s = p.symbol(fn);
    assert.equal(hex(s.address), e.address);
    assert.equal(Number(s.size), e.size);
    // drgn 0.0.22 finds no function object for some static module functions; we do.
    assert.equal(hex(p.function(fn).address_!), e.address, `${name} function ${fn}`);
  }
  // Per-CPU runqueues through __per_cpu_offset.
  const rq = p.symbol("runqueues").address;
  for (const c of ref.percpu as Json[]) {
    const off = p.object("__per_cpu_offset").subscript_(c.cpu).value_() as bigint;
    const r = p.objectAt("struct rq", rq + off) as Json;
    assert.equal(hex(r.address_), c.rq_address);
    assert.equal(r.cpu.value_(), c.rq_cpu);
    assert.equal(Number(r.nr_running.value_()), c.nr_running);
    assert.equal(Number(r.nr_switches.value_()), c.nr_switches);
    assert.equal(r.curr.pid.value_(), c.curr_pid);
    assert.equal(r.curr.comm.string_(), c.curr_comm);
    assert.equal(r.idle.comm.string_(), c.idle_comm);
  }
}

/** A trace's frames as the kernel reference records them. */
export function describeFrames(trace: StackTrace): Json[] {
  return trace.frames.map((f) => {
    let symbol: string | null = null, offset: number | undefined;
    try {
      const s = f.symbol();
      symbol = s.name;
      offset = Number(f.pc - s.address);
    } catch (e) {
      if (!(e instanceof LookupError)) throw e;
    }
    let source: string | null = null;
    try {
      const s = f.source();
      source = `${s.file}:${s.line}`;
    } catch (e) {
      if (!(e instanceof LookupError)) throw e;
    }
    const d: Json = {
      interrupted: f.interrupted,
      is_inline: f.isInline,
      name: f.name,
      pc: hex(f.pc),
      source,
      sp: hex(f.sp),
      symbol,
    };
    if (offset !== undefined) d.symbol_offset = offset;
    return d;
  });
}
