/**
 * The CPU scheduler: task states, CPUs, runqueues and the load average, as
 * drgn's `drgn.helpers.linux.sched`.
 *
 * @example Count the tasks by state
 * ```ts
 * import { forEachTask } from "./pid.ts";
 * import { taskStateToChar } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const counts: Record<string, number> = {};
 * for (const t of forEachTask(prog)) {
 *   const c = taskStateToChar(t);
 *   counts[c] = (counts[c] ?? 0) + 1;
 * }
 * if (counts.D !== 1 || counts.Z !== 1 || counts.T !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type { Program } from "../../lib/program/program.ts";
import { cast } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";
import { pointerValue } from "./_util.ts";
import { perCpu } from "./percpu.ts";

/** `TASK_UNINTERRUPTIBLE`. */
const TASK_UNINTERRUPTIBLE = 0x2;
/** `TASK_IDLE`: `TASK_UNINTERRUPTIBLE | TASK_NOLOAD`. */
const TASK_IDLE = TASK_UNINTERRUPTIBLE | 0x400;
/** `TASK_RTLOCK_WAIT` (PREEMPT_RT sleeping spinlocks). */
const TASK_RTLOCK_WAIT = 0x1000;

interface StateTable {
  /** The state letters, by bit index + 1 (`R` is state 0). */
  readonly chars: string;
  /** `TASK_REPORT`: the states /proc reports. */
  readonly report: number;
  /** The index of the last letter inside `TASK_REPORT` (`P` on 6.1). */
  readonly reportIndex: number;
  /** `__state` or `state`. */
  readonly member: string;
}

const stateTables = new WeakMap<object, StateTable>();

function stateTable(task: TypedObject): StateTable {
  const prog = task.prog_ as Program;
  const hit = stateTables.get(prog);
  if (hit) return hit;
  // task_state_array holds "R (running)", "S (sleeping)", … in TASK_REPORT
  // bit order. The largest index whose letter is one of RSDTtXZP bounds
  // TASK_REPORT; later entries (I) are special states.
  const arr = prog.object("task_state_array");
  const n = arr.type_.length ?? 0;
  const letters: string[] = [];
  let report = -1;
  let reportIndex = -1;
  for (let i = n - 1; i >= 0; i--) {
    const c = String.fromCharCode(arr.subscript_(i).subscript_(0).value_() as number);
    if (report < 0 && "RSDTtXZP".includes(c)) {
      report = (1 << i) - 1;
      reportIndex = i;
    }
    letters[i] = c;
  }
  if (report < 0) throw new TypeError("cannot parse task_state_array");
  // Linux kernel commit 2f064a59a11f ("sched: Change task_struct::state")
  // (in v5.14) renamed state to __state.
  const member = task.hasMember_("__state") ? "__state" : "state";
  const table = { chars: letters.join(""), report, reportIndex, member };
  stateTables.set(prog, table);
  return table;
}

/**
 * A task's scheduler state bits (`READ_ONCE(task->__state)`, `task->state`
 * before Linux 5.14): `TASK_RUNNING` (0), `TASK_INTERRUPTIBLE` (1),
 * `TASK_UNINTERRUPTIBLE` (2), … See {@link taskStateToChar} for the letter.
 *
 * @param task `struct task_struct *`
 * @returns the state
 *
 * @example
 * ```ts
 * import { findTask } from "./pid.ts";
 * import { taskState } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (taskState(findTask(prog, 113)) !== 0) throw new Error("kfix_spin is running");
 * ```
 */
export function taskState(task: TypedObject): number {
  return Number(task.member_(stateTable(task).member).value_());
}

/**
 * A task's state as `ps` shows it: `R` running, `S` sleeping, `D` disk
 * sleep, `T` stopped, `t` traced, `X` dead, `Z` zombie, `P` parked, `I`
 * idle. This is the kernel's `task_state_index()`: the state and
 * `exit_state` bits within `TASK_REPORT` select the letter, and
 * `TASK_IDLE` (`TASK_UNINTERRUPTIBLE | TASK_NOLOAD`) reports as `I`.
 *
 * @param task `struct task_struct *`
 * @returns one letter
 *
 * @example
 * ```ts
 * import { findTask } from "./pid.ts";
 * import { taskStateToChar } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (taskStateToChar(findTask(prog, 109)) !== "D") throw new Error("blocked in vfork()");
 * if (taskStateToChar(findTask(prog, 115)) !== "Z") throw new Error("a zombie");
 * ```
 */
export function taskStateToChar(task: TypedObject): string {
  const t = stateTable(task);
  const state = Number(task.member_(t.member).value_());
  const exitState = Number(task.member_("exit_state").value_());
  // __task_state_index() in include/linux/sched.h: TASK_IDLE reports as
  // TASK_REPORT_IDLE (the entry after TASK_REPORT, "I") where the array
  // has one, and TASK_RTLOCK_WAIT as TASK_UNINTERRUPTIBLE.
  let reported = (state | exitState) & t.report;
  if ((state & TASK_IDLE) === TASK_IDLE && t.chars.length > t.reportIndex + 1) {
    reported = t.report + 1;
  } else if (state === TASK_RTLOCK_WAIT) {
    reported = TASK_UNINTERRUPTIBLE;
  }
  // fls(): the index of the highest set bit, plus one; 0 for none.
  const index = reported === 0 ? 0 : 32 - Math.clz32(reported);
  const c = t.chars[index];
  if (c === undefined) throw new RangeError(`task state ${state} has no letter`);
  return c;
}

/**
 * The CPU a task last ran on, or is running on (`task_cpu()`).
 *
 * @param task `struct task_struct *`
 * @returns the CPU number
 *
 * @example
 * ```ts
 * import { findTask } from "./pid.ts";
 * import { taskCpu } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (taskCpu(findTask(prog, 113)) !== 1) throw new Error("kfix_spin is pinned to CPU 1");
 * ```
 */
export function taskCpu(task: TypedObject): number {
  // Linux kernel commit bcf9033e5449 ("sched: move CPU field back into
  // thread_info if THREAD_INFO_IN_TASK=y") (in v5.16): thread_info.cpu;
  // from v4.9 to v5.15 with THREAD_INFO_IN_TASK: task->cpu; otherwise the
  // thread_info at the bottom of the stack.
  if (task.hasMember_("thread_info")) {
    const ti = task.member_("thread_info");
    if (ti.hasMember_("cpu")) return Number(ti.member_("cpu").value_());
  }
  if (task.hasMember_("cpu")) return Number(task.member_("cpu").value_());
  return Number(taskThreadInfo(task).member_("cpu").value_());
}

/**
 * The `struct thread_info` of a task (`task_thread_info()`): inside the
 * task with `CONFIG_THREAD_INFO_IN_TASK`, otherwise at the bottom of its
 * stack.
 *
 * @param task `struct task_struct *`
 * @returns `struct thread_info *`
 *
 * @example
 * ```ts
 * import { findTask } from "./pid.ts";
 * import { taskThreadInfo } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const t = findTask(prog, 1);
 * if (taskThreadInfo(t).value_() !== t.value_()) throw new Error("thread_info comes first");
 * ```
 */
export function taskThreadInfo(task: TypedObject): TypedObject {
  if (task.hasMember_("thread_info")) return task.member_("thread_info").addressOf_();
  return cast("struct thread_info *", task.member_("stack"));
}

/**
 * Whether a task is running on a CPU right now (`task_on_cpu()`): its
 * `on_cpu` flag, or being its CPU's current task on a kernel without SMP.
 *
 * @param task `struct task_struct *`
 * @returns true if it is on a CPU
 *
 * @example
 * ```ts
 * import { findTask } from "./pid.ts";
 * import { taskOnCpu } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (!taskOnCpu(findTask(prog, 113))) throw new Error();
 * ```
 */
export function taskOnCpu(task: TypedObject): boolean {
  if (task.hasMember_("on_cpu")) return Number(task.member_("on_cpu").value_()) !== 0;
  const prog = task.prog_ as Program;
  return pointerValue(cpuCurr(prog, taskCpu(task))) === pointerValue(task);
}

/**
 * The task running on a CPU (`cpu_curr()`: its runqueue's `curr`).
 *
 * @param prog the program
 * @param cpu the CPU number
 * @returns `struct task_struct *`
 *
 * @example
 * ```ts
 * import { cpuCurr } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (cpuCurr(prog, 1).comm.string_() !== "kfix_spin") throw new Error();
 * ```
 */
export function cpuCurr(prog: Program, cpu: number): TypedObject {
  return perCpu(prog.object("runqueues"), cpu).member_("curr").read_();
}

/**
 * A CPU's idle task (`idle_task()`: its runqueue's `idle`).
 *
 * @param prog the program
 * @param cpu the CPU number
 * @returns `struct task_struct *`
 *
 * @example
 * ```ts
 * import { idleTask } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (idleTask(prog, 1).comm.string_() !== "swapper/1") throw new Error();
 * ```
 */
export function idleTask(prog: Program, cpu: number): TypedObject {
  return perCpu(prog.object("runqueues"), cpu).member_("idle").read_();
}

/** `FSHIFT`: `avenrun` holds fixed-point values with 11 fractional bits. */
const FSHIFT = 11;

/**
 * The 1-, 5- and 15-minute load averages (`avenrun`, as /proc/loadavg
 * shows them before rounding).
 *
 * @param prog the program
 * @returns the three averages
 *
 * @example
 * ```ts
 * import { loadavg } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const [one] = loadavg(prog);
 * if (!(one >= 0)) throw new Error();
 * ```
 */
export function loadavg(prog: Program): [number, number, number] {
  const avenrun = prog.object("avenrun");
  const v = (i: number) => Number(avenrun.subscript_(i).value_()) / (1 << FSHIFT);
  return [v(0), v(1), v(2)];
}

/**
 * Whether a task leads its thread group (`thread_group_leader()`:
 * `exit_signal >= 0`; secondary threads have -1).
 *
 * @param task `struct task_struct *`
 * @returns true for a group leader
 *
 * @example
 * ```ts
 * import { forEachTask } from "./pid.ts";
 * import { threadGroupLeader } from "./sched.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * for (const t of forEachTask(prog)) {
 *   if (threadGroupLeader(t) !== (t.pid.value_() === t.tgid.value_())) throw new Error();
 * }
 * ```
 */
export function threadGroupLeader(task: TypedObject): boolean {
  return Number(task.member_("exit_signal").value_()) >= 0;
}
