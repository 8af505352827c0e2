/**
 * Tasks and pids (helpers/linux/pid.ts, sched.ts) on the fixture kernel
 * dumps, compared with drgn 0.0.22's answers.
 */

import assert from "node:assert/strict";
import { objectAt } from "../../../lib/object/operators.ts";
import { findPid, findTask, forEachPid, forEachTask, pidTask } from "../../../helpers/linux/pid.ts";
import {
  cpuCurr,
  idleTask,
  loadavg,
  taskCpu,
  taskOnCpu,
  taskState,
  taskStateToChar,
  taskThreadInfo,
  threadGroupLeader,
} from "../../../helpers/linux/sched.ts";
import { hlistEmpty, hlistForEach, hlistForEachEntry } from "../../../helpers/linux/list.ts";
import { kernelReference } from "../../_programs.ts";
import { dumpProgram, DUMPS, golden, hex } from "./_dumps.ts";

for (const dump of DUMPS) {
  Deno.test(`forEachTask() and the sched helpers on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump);
    const got = [];
    for (const t of forEachTask(prog)) {
      got.push({
        address: hex(t),
        pid: t.pid.value_(),
        tgid: t.tgid.value_(),
        ppid: t.real_parent.tgid.value_(),
        comm: t.comm.string_(),
        state: taskStateToChar(t),
        raw_state: taskState(t),
        exit_state: t.exit_state.value_(),
        cpu: taskCpu(t),
        on_cpu: taskOnCpu(t) ? 1 : 0,
        leader: threadGroupLeader(t),
        thread_info: hex(taskThreadInfo(t)),
      });
    }
    const want = g.tasks.map((t: Record<string, unknown>) => {
      const {
        children: _c,
        children_empty: _e,
        children_singular: _s,
        children_first: _f,
        children_last: _l,
        threads: _t,
        ...rest
      } = t;
      return rest;
    });
    assert.deepEqual(got, want);
  });

  Deno.test(`forEachPid(), pidTask() and the pid hlists on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump);
    const got = [];
    for (const pid of forEachPid(prog)) {
      const tasks = [];
      for (let ty = 0; ty < 4; ty++) {
        const head = pid.tasks[ty].addressOf_();
        const pids = [];
        for (const t of hlistForEachEntry("struct task_struct", head, `pid_links[${ty}]`)) {
          pids.push(t.pid.value_());
        }
        assert.equal(hlistEmpty(head), pids.length === 0);
        assert.equal([...hlistForEach(head)].length, pids.length);
        tasks.push(pids);
      }
      got.push({
        nr: pid.numbers[0].nr.value_(),
        address: hex(pid),
        task: hex(pidTask(pid, 0)),
        tasks,
      });
    }
    assert.deepEqual(got, g.pids);
    // The PIDTYPE_PID enumerator works as the type too.
    const one = findPid(prog, 1);
    assert.equal(hex(pidTask(one, prog.object("PIDTYPE_PID"))), g.find["1"].task);
  });

  Deno.test(`findPid() and findTask() on ${dump}: as drgn, NULL when absent`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump);
    for (const [nr, want] of Object.entries(g.find) as [string, { pid: string; task: string }][]) {
      const pid = findPid(prog, Number(nr));
      assert.equal(pid.type_.toString(), "struct pid *");
      assert.equal(hex(pid), want.pid, `pid ${nr}`);
      const task = findTask(prog, Number(nr));
      assert.equal(task.type_.toString(), "struct task_struct *");
      assert.equal(hex(task), want.task, `task ${nr}`);
    }
  });

  Deno.test(`cpuCurr(), idleTask() and loadavg() on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump);
    for (const row of g.percpu.rows) {
      assert.equal(hex(cpuCurr(prog, row.cpu)), row.curr);
      assert.equal(hex(idleTask(prog, row.cpu)), row.idle);
      assert.equal(cpuCurr(prog, row.cpu).type_.toString(), "struct task_struct *");
    }
    assert.deepEqual(loadavg(prog), g.percpu.loadavg);
    assert.throws(() => cpuCurr(prog, g.cpus.possible.length), RangeError); // past nr_cpu_ids
  });
}

Deno.test("forEachTask() on the fixture: the reference JSON's tasks and state counts", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const ref = kernelReference("mdf-c-d31.kdump");
  const byPid = new Map(
    (ref.tasks as { pid: number; state: string; comm: string; cpu: number }[]).map((
      t,
    ) => [t.pid, t]),
  );
  const counts: Record<string, number> = {};
  for (const t of forEachTask(prog)) {
    const s = taskStateToChar(t);
    counts[s] = (counts[s] ?? 0) + 1;
    const r = byPid.get(t.pid.value_() as number)!;
    assert.equal(s, r.state);
    assert.equal(t.comm.string_(), r.comm);
    assert.equal(taskCpu(t), r.cpu);
  }
  assert.deepEqual(counts, ref.task_state_counts);
  // The guest's test tasks, as kernel/README.md describes them.
  const st = (pid: number) => taskStateToChar(findTask(prog, pid));
  assert.deepEqual([st(109), st(107), st(115), st(113)], ["D", "T", "Z", "R"]);
  assert.equal(taskOnCpu(findTask(prog, 113)), true);
  assert.equal(hex(cpuCurr(prog, 1)), hex(findTask(prog, 113)));
});

Deno.test("taskStateToChar(): the kernel's __task_state_index() for every state bit", async () => {
  // A task_struct copy in a fresh segment with chosen __state/exit_state.
  const prog = await dumpProgram("sample");
  const init = prog.object("init_task");
  const size = Number(init.type_.size);
  const bytes = new Uint8Array(size);
  const addr = 0x7000_0000_0000n;
  // Mapped at a user address the kernel dump has no memory at, so the
  // shared program answers as before everywhere else.
  prog.addMemorySegment(addr, size, (_a, count, offset) => {
    const o = Number(offset);
    return bytes.slice(o, o + count);
  });
  const t = objectAt(prog, "struct task_struct", addr);
  const stateOff = Number(t.__state.address_! - addr);
  const exitOff = Number(t.exit_state.address_! - addr);
  const dv = new DataView(bytes.buffer);
  const cases: [number, number, string][] = [
    [0x0, 0, "R"],
    [0x1, 0, "S"],
    [0x2, 0, "D"],
    [0x4, 0, "T"],
    [0x8, 0, "t"],
    [0x0, 0x10, "X"],
    [0x0, 0x20, "Z"],
    [0x40, 0, "P"],
    [0x402, 0, "I"], // TASK_IDLE
    [0x2402, 0, "I"], // TASK_IDLE | TASK_FREEZABLE: still idle for the kernel
    [0x1000, 0, "D"], // TASK_RTLOCK_WAIT
    [0x101, 0, "S"], // TASK_INTERRUPTIBLE | TASK_WAKEKILL-style extra bits outside TASK_REPORT
  ];
  for (const [state, exit, want] of cases) {
    dv.setUint32(stateOff, state, true);
    dv.setUint32(exitOff, exit, true);
    assert.equal(taskStateToChar(t), want, `state 0x${state.toString(16)}/${exit}`);
    assert.equal(taskState(t), state);
  }
});

Deno.test("forEachTask(), forEachPid() and findPid() take a pid namespace too", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const ns = prog.object("init_pid_ns").addressOf_();
  const tasks = [...forEachTask(prog)].map(hex);
  assert.deepEqual([...forEachTask(ns)].map(hex), tasks);
  assert.deepEqual([...forEachPid(ns)].map(hex), [...forEachPid(prog)].map(hex));
  assert.equal(hex(findPid(ns, 113)), hex(findPid(prog, 113)));
  // The fast path agrees with pid_task() on every pid.
  const viaPidTask = [...forEachPid(prog)].map((p) => pidTask(p, 0)).filter((t) =>
    t.value_() !== 0n
  );
  assert.deepEqual(viaPidTask.map(hex), tasks);
});
