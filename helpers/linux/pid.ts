/**
 * Process IDs and tasks: the PID namespace's IDR (Linux 4.15+) or the
 * older `pid_hash` table, as drgn's `drgn.helpers.linux.pid`.
 *
 * @example Every task with its PID
 * ```ts
 * import { forEachTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const pids = [...forEachTask(prog)].map((t) => t.pid.value_());
 * if (pids.length !== 69 || pids[0] !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type { Program } from "../../lib/program/program.ts";
import { cast, NULL, offsetof } from "../../lib/object/operators.ts";
import { TypedObject } from "../../lib/object/typed_object.ts";
import { type Container, container, containerAt, pointerValue, readWord } from "./_util.ts";
import { idrFind, idrForEach } from "./idr.ts";
import { hlistForEachEntry } from "./list.ts";
import { xaForEachValue } from "./xarray.ts";

/** A program, or a `struct pid_namespace *` for a namespace other than the initial one. */
export type ProgramOrNamespace = Program | TypedObject;

function resolve(progOrNs: ProgramOrNamespace): { prog: Program; ns: TypedObject } {
  if (progOrNs instanceof TypedObject) return { prog: progOrNs.prog_ as Program, ns: progOrNs };
  return { prog: progOrNs, ns: progOrNs.object("init_pid_ns").addressOf_() };
}

function pidPointerType(prog: Program) {
  return prog.type("struct pid *");
}

/**
 * Iterates over the PIDs of a namespace (`struct pid *`, in PID order for
 * the IDR).
 *
 * @param progOrNs the program (initial namespace) or a `struct pid_namespace *`
 * @returns an iterator of `struct pid *`
 *
 * @example
 * ```ts
 * import { forEachPid } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const [first] = forEachPid(prog);
 * if (first!.numbers[0].nr.value_() !== 1) throw new Error();
 * ```
 */
export function* forEachPid(progOrNs: ProgramOrNamespace): Generator<TypedObject> {
  const { prog, ns } = resolve(progOrNs);
  const pidType = pidPointerType(prog);
  if (ns.hasMember_("idr")) {
    for (const [, entry] of idrForEach(ns.member_("idr").addressOf_())) {
      yield cast(pidType, entry);
    }
    return;
  }
  // Before Linux kernel commit 95846ecf9dac ("pid: replace pid bitmap
  // implementation with IDR API") (in v4.15): a global hash of upids.
  yield* forEachPidHash(prog, ns);
}

function* forEachPidHash(prog: Program, ns: TypedObject): Generator<TypedObject> {
  const table = prog.object("pid_hash");
  const n = 1 << (prog.object("pidhash_shift").value_() as number);
  const level = ns.member_("level").value_() as number;
  const nsAddr = pointerValue(ns);
  const c = container(prog, "struct pid", `numbers[${level}]`);
  for (let i = 0; i < n; i++) {
    for (const upid of hlistForEachEntry("struct upid", table.subscript_(i), "pid_chain")) {
      if (pointerValue(upid.member_("ns")) === nsAddr) yield containerAt(c, pointerValue(upid));
    }
  }
}

/**
 * The `struct pid` of PID `nr` in a namespace (`find_pid_ns()`), or NULL.
 *
 * @param progOrNs the program (initial namespace) or a `struct pid_namespace *`
 * @param nr the PID
 * @returns `struct pid *`
 *
 * @example
 * ```ts
 * import { findPid } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (findPid(prog, 113).numbers[0].nr.value_() !== 113) throw new Error();
 * ```
 */
export function findPid(progOrNs: ProgramOrNamespace, nr: number): TypedObject {
  const { prog, ns } = resolve(progOrNs);
  const pidType = pidPointerType(prog);
  if (ns.hasMember_("idr")) return cast(pidType, idrFind(ns.member_("idr").addressOf_(), nr));
  const level = ns.member_("level").value_() as number;
  for (const pid of forEachPidHash(prog, ns)) {
    if (pid.member_("numbers").subscript_(level).member_("nr").value_() === nr) return pid;
  }
  return NULL(prog, pidType);
}

const taskContainers = new WeakMap<object, Map<number, Container>>();
/** Offset of `tasks[PIDTYPE_PID].first` in `struct pid`, per program. */
const pidTasksOffsets = new WeakMap<object, bigint>();

/** `container_of(node, struct task_struct, pid_links[type])`, cached per program. */
function taskContainer(prog: Program, type: number): Container {
  let byType = taskContainers.get(prog);
  if (!byType) taskContainers.set(prog, byType = new Map());
  let c = byType.get(type);
  if (!c) {
    const t = prog.type("struct task_struct");
    // Linux kernel commit 2c4704756cab ("pids: Move the pgrp and session pid
    // pointers from task_struct to signal_struct") (in v4.19) replaced
    // pids[type].node with pid_links[type].
    const member = t.hasMember("pid_links") ? `pid_links[${type}]` : `pids[${type}].node`;
    c = container(prog, t, member);
    byType.set(type, c);
  }
  return c;
}

/**
 * The first task using a PID for `pidType` (`pid_task()`), or NULL.
 *
 * @param pid `struct pid *`
 * @param pidType an `enum pid_type` value (`PIDTYPE_PID` is 0)
 * @returns `struct task_struct *`
 *
 * @example
 * ```ts
 * import { findPid, pidTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (pidTask(findPid(prog, 1), 0).comm.string_() !== "init") throw new Error();
 * ```
 */
export function pidTask(pid: TypedObject, pidType: number | TypedObject): TypedObject {
  const prog = pid.prog_ as Program;
  const type = typeof pidType === "number" ? pidType : (pidType.value_() as number);
  const c = taskContainer(prog, type);
  const p = pointerValue(pid);
  if (p === 0n) return NULL(prog, c.pointerType);
  const head = pid.member_("tasks").subscript_(type).member_("first");
  const first = readWord(prog, head.address_!, prog.platform.wordSize);
  if (first === 0n) return NULL(prog, c.pointerType);
  return containerAt(c, first);
}

/**
 * Iterates over the tasks of a namespace, in PID order (`for_each_task`).
 *
 * @param progOrNs the program (initial namespace) or a `struct pid_namespace *`
 * @returns an iterator of `struct task_struct *`
 *
 * @example
 * ```ts
 * import { forEachTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const comms = [...forEachTask(prog)].map((t) => t.comm.string_());
 * if (!comms.includes("kfix_spin")) throw new Error();
 * ```
 */
export function* forEachTask(progOrNs: ProgramOrNamespace): Generator<TypedObject> {
  const { prog, ns } = resolve(progOrNs);
  const pidtypePid = prog.constant("PIDTYPE_PID").value_() as number;
  if (!ns.hasMember_("idr")) {
    for (const pid of forEachPid(progOrNs)) {
      const task = pidTask(pid, pidtypePid);
      if (pointerValue(task) !== 0n) yield task;
    }
    return;
  }
  // The fast path: raw pid addresses from the IDR, pid->tasks[PIDTYPE_PID].first
  // read directly, one object per task.
  const c = taskContainer(prog, pidtypePid);
  let first = pidTasksOffsets.get(prog);
  if (first === undefined) {
    first = BigInt(offsetof(prog.type("struct pid"), `tasks[${pidtypePid}].first`));
    pidTasksOffsets.set(prog, first);
  }
  const w = prog.platform.wordSize;
  const rt = ns.member_("idr").member_("idr_rt").addressOf_();
  for (const pid of xaForEachValue(rt, { index: 0n })) {
    const node = readWord(prog, pid + first, w);
    if (node !== 0n) yield containerAt(c, node);
  }
}

/**
 * The task with PID `pid` in the initial namespace (`find_task()`), or NULL.
 *
 * @param prog the program
 * @param pid the PID
 * @returns `struct task_struct *`
 *
 * @example
 * ```ts
 * import { findTask } from "./pid.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * if (findTask(prog, 113).comm.string_() !== "kfix_spin") throw new Error();
 * ```
 */
export function findTask(prog: Program, pid: number): TypedObject {
  return pidTask(findPid(prog, pid), prog.constant("PIDTYPE_PID").value_() as number);
}
