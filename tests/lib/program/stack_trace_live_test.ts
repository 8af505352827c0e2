/**
 * Stack traces of a running process (drgn 0.0.22: "stack unwinding is not
 * yet supported for live processes"): the `threads` fixture program started
 * here as the cores were made (ASLR off, empty environment), each thread
 * stopped briefly with ptrace, and its trace compared with drgn's trace of
 * the same thread role in the gcore reference. The process keeps running
 * afterwards. The /proc fallback (no ptrace) gives the same first frame.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";
import { TargetError } from "../../../lib/errors.ts";
import { blockedThreadRegisters } from "../../../lib/targets/live_stack.ts";
import { unwindStack } from "../../../lib/program/stack_trace.ts";
import { startFixtureProcess as start, USER, userReference } from "../../_programs.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** `State:` of a thread from /proc (S, R, t, …). */
function state(pid: number, tid: number): string {
  return /^State:\s+(\S)/m.exec(Deno.readTextFileSync(`/proc/${pid}/task/${tid}/status`))![1]!;
}

Deno.test("live process: every thread's stack trace as drgn's on the gcore (ptrace stop)", async () => {
  const ref: Json = userReference("gcc-O0", "threads", "gcore");
  const roleOfRef = new Map<number, string>(
    ref.walks.g_threads.map((t: Json) => [t.tid, t.role]),
  );
  roleOfRef.set(ref.main_thread, "main");
  const refByRole = new Map<string, Json>(
    ref.stack_traces.map((st: Json) => [roleOfRef.get(st.tid)!, st]),
  );
  const p0 = await start("threads");
  try {
    const p = new Program();
    p.setPid(p0.pid);
    p.loadDebugInfo([join(USER, "out/bin/gcc-O0/threads")], { default: true });
    // Give the workers time to block where the cores caught them.
    await new Promise((r) => setTimeout(r, 200));
    const roles = new Map<number, string>([[p0.pid, "main"]]);
    for (const t of p.object("g_threads").value_() as Json[]) {
      if (t.tid !== 0) {
        roles.set(t.tid, ["", "ROLE_READER", "ROLE_COND", "ROLE_SLEEPER", "ROLE_LOCKER"][t.id]!);
      }
    }
    const threads = [...p.threads()];
    assert.equal(threads.length, 5);
    for (const t of threads) {
      const trace = t.stackTrace();
      const want = refByRole.get(roles.get(t.tid)!)!;
      assert.equal(String(trace), want.str, `thread ${t.tid} (${roles.get(t.tid)})`);
      assert.equal(trace.truncated, null);
      assert.equal(trace[0]!.interrupted, true);
      // Detached: not left in a tracing stop (it restarts its system call).
      assert.ok(["S", "R"].includes(state(p0.pid, t.tid)), state(p0.pid, t.tid));
    }
    // Locals of the running process.
    const sleeper = threads.find((t) => roles.get(t.tid) === "ROLE_SLEEPER")!;
    const depths = [...sleeper.stackTrace()].filter((f) => f.name === "recurse")
      .map((f) => f.get("depth").value_());
    assert.deepEqual(depths, [0, 1, 2, 3, 4]);
    // The /proc fallback: sp and pc of the blocked thread, as ptrace saw them.
    const main = p.mainThread().stackTrace();
    // Just detached, the thread restarts pause() and is briefly running.
    let regs = null;
    for (let i = 0; i < 200 && regs === null; i++) {
      try {
        regs = blockedThreadRegisters(p0.pid, p0.pid);
      } catch (e) {
        if (!(e instanceof TargetError) || !/is running/.test(e.message)) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    assert.ok(regs !== null, "main thread never blocked again");
    assert.equal(regs[16], main[0]!.pc);
    assert.equal(regs[7], main[0]!.sp);
    const fromProc = unwindStack(p, p.mainThread(), regs, true);
    assert.equal(fromProc[0]!.name, "__libc_pause");
    assert.equal(fromProc[1]!.name, "fixture_wait");
  } finally {
    await p0.kill();
  }
});
