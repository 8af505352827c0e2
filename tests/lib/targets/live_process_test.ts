/**
 * Live processes: a fixture program started here (ASLR off, empty
 * environment, as the reference was made), read through /proc/PID/mem
 * while it runs, compared with drgn 0.0.22's live reference.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { TargetError } from "../../../lib/errors.ts";
import { startFixtureProcess as start, USER, userReference } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("live process: variables as drgn's live reference, threads from /proc", async () => {
  const ref: Json = userReference("gcc-O0", "types", "live");
  const p0 = await start("types");
  try {
    const p = new Program();
    p.setPid(p0.pid);
    p.loadDebugInfo([join(USER, "out/bin/gcc-O0/types")], { default: true });
    assert.equal(p.flags.isLive, true);
    assert.deepEqual([...p.threads()].map((t) => t.tid), [p0.pid]);
    assert.equal(p.mainThread().tid, p0.pid);
    let same = 0;
    const differ: string[] = [];
    for (const [name, e] of Object.entries(ref.variables as Record<string, Json>)) {
      if (typeof e.str !== "string") continue;
      // Stack addresses depend on what is on the initial stack (see the fixture README).
      if (/0x7fff[0-9a-f]{8}/.test(e.str)) continue;
      const got = String(p.object(name));
      // drgn 0.0.22 spells a function returning a function pointer in a way that is not C.
      const want = e.str.replace("void (*(*))(int)(int)", "void (*(*)(int))(int)");
      if (got === want) same++;
      else differ.push(`${name}: ${got} !== ${e.str}`);
    }
    assert.deepEqual(differ, []);
    assert.ok(same > 100, `${same}`);
  } finally {
    await p0.kill();
  }
});

Deno.test("live process: threads, their names and TLS-free state; a gone process is a clear error", async () => {
  const p0 = await start("threads");
  try {
    const p = new Program();
    p.setPid(p0.pid);
    p.loadDebugInfo([join(USER, "out/bin/gcc-O0/threads")], { default: true });
    const threads = [...p.threads()];
    assert.equal(threads.length, 5);
    assert.deepEqual(threads.map((t) => t.name), [
      "threads-main",
      "reader",
      "condvar",
      "sleeper",
      "locker",
    ]);
    const tids = (p.object("g_threads").value_() as Json[]).map((t) => t.tid);
    assert.deepEqual(tids, threads.slice(1).map((t) => t.tid));
  } finally {
    await p0.kill();
  }
  assert.throws(() => new Program().setPid(p0.pid), TargetError);
});
