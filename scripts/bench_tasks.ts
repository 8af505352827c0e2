// Benchmark child (goal 1 of scripts/bench.ts): a script as users write
// them. Its prelude opens the kernel dump and loads the vmlinux and module
// debug files named on the command line (no others: --no-default-symbols,
// as drgn's side loads only those); then it lists every task (pid, comm)
// through the object API, walking `init_task.tasks` and each group's
// `signal->thread_head` as the kernel's for_each_process_thread() (the same
// 69 tasks as drgn's for_each_task() on the fixture). Prints one JSON line:
// task count, ms since the isolate started (the parent times the whole
// process), peak RSS (VmHWM).
//
//   deno run -A scripts/bench_tasks.ts VMCORE -s VMLINUX [-s MODULE.ko...] --no-default-symbols -q
//
// It imports Wyvern's bundle (dist/prelude.js), as a script that starts
// often should; with WYVERN_BENCH_SOURCES=1, the TypeScript sources
// (lib/runtime/prelude.ts). Dynamically either way, so both pay the same.
// With WYVERN_BENCH_TRACES=1 (the extra workload 5), after the task list:
// the stack trace of every task, each frame formatted; prints the frame
// count and the ms of that part alone.
import type { TypedObject } from "../mod.ts";

// (Specifiers in variables: Deno would otherwise load both module graphs
// before the script starts, since it follows literal dynamic imports.)
const sources = "../lib/runtime/prelude.ts";
const bundle = "../dist/prelude.js";
const { prog, containerOf }: typeof import("../dist/prelude.js") =
  Deno.env.get("WYVERN_BENCH_SOURCES") === "1" ? await import(sources) : await import(bundle);
const tLoad = performance.now();
// Every thread of every thread group, as the kernel's for_each_process_thread.
const init = prog.object("init_task");
const head = init.tasks.address_!;
const taskType = prog.type("struct task_struct");
const rows: [number, string][] = [];
const tasks: TypedObject[] = [];
let node = init.tasks.next;
for (let i = 0; i < 1_000_000 && node.value_() !== head; i++) {
  const leader = containerOf(node, taskType, "tasks");
  const sig = leader.signal.thread_head.address_!;
  let t = leader.signal.thread_head.next;
  let nThreads = 0;
  for (let j = 0; j < 1_000_000 && t.value_() !== sig; j++) {
    const task = containerOf(t, taskType, "thread_node");
    rows.push([task.pid.value_() as number, task.comm.string_()]);
    tasks.push(task);
    t = t.next;
    nThreads++;
  }
  if (nThreads === 0) {
    rows.push([leader.pid.value_() as number, leader.comm.string_()]);
    tasks.push(leader);
  }
  node = node.next;
}
const ms = performance.now();
if (Deno.env.get("WYVERN_BENCH_TRACES") === "1") {
  // Workload 5: every task's stack trace, each frame formatted.
  let frames = 0;
  for (const task of tasks) {
    try {
      for (const f of prog.stackTrace(task)) {
        String(f);
        frames++;
      }
    } catch {
      // a task whose stack cannot be unwound counts no frames
    }
  }
  const traceMs = performance.now() - ms;
  console.log(JSON.stringify({ tasks: rows.length, frames, ms: traceMs }));
} else {
  let hwm = 0;
  for (const line of Deno.readTextFileSync("/proc/self/status").split("\n")) {
    if (line.startsWith("VmHWM:")) hwm = parseInt(line.slice(6)) * 1024;
  }
  console.log(JSON.stringify({ tasks: rows.length, ms, loadMs: tLoad, rss: hwm }));
}
