// demo: a short analysis of the sample kernel crash dump shipped in
// scripts/sample/ (a QEMU kdump-zlib dump of a minimal Linux 6.1 kernel,
// which drgn 0.0.22 cannot open). Run with `deno task demo`.
//
// It is also a template: replace `sampleFiles()` with your own vmcore and
// vmlinux, or run the same lines from a script that imports the prelude.
import {
  cpuCurr,
  cpumaskToCpulist,
  findTask,
  forEachOnlineCpu,
  forEachTask,
  getPrintkRecords,
  kaslrOffset,
  listForEachEntry,
  perCpu,
  Program,
  taskCpu,
  taskStateToChar,
} from "../mod.ts";
import { sampleFiles } from "../lib/runtime/sample.ts";

const files = sampleFiles();
const prog = new Program();
prog.setCoreDump(files.vmcore);
prog.loadDebugInfo([files.vmlinux, files.module]);

const uts = prog.object("init_uts_ns").name;
console.log(`Sample dump: ${files.vmcore}`);
console.log(`Kernel ${uts.release.string_()} ${uts.version.string_()} (${uts.machine.string_()})`);
console.log(`KASLR offset: 0x${kaslrOffset(prog).toString(16)}`);
console.log(`Online CPUs: ${cpumaskToCpulist(prog.object("__cpu_online_mask"))}`);
console.log();

console.log("Tasks:");
console.log("    PID   PPID CPU ST COMM");
let tasks = 0;
for (const t of forEachTask(prog)) {
  const pid = String(t.pid.value_()).padStart(7);
  const ppid = String(t.real_parent.pid.value_()).padStart(6);
  const cpu = String(taskCpu(t)).padStart(3);
  console.log(`${pid} ${ppid} ${cpu}  ${taskStateToChar(t)} ${t.comm.string_()}`);
  tasks++;
}
console.log(`(${tasks} tasks)`);
console.log();

console.log("Per-CPU run queues:");
for (const cpu of forEachOnlineCpu(prog)) {
  const rq = perCpu(prog.object("runqueues"), cpu);
  const curr = rq.curr;
  console.log(
    `  CPU ${cpu}: nr_running=${rq.nr_running.value_()} ` +
      `curr=${curr.comm.string_()} (pid ${curr.pid.value_()})`,
  );
}
console.log();

console.log("The demo module's list (struct wyvern_demo_item):");
const items = prog.object("wyvern_demo_items");
for (const item of listForEachEntry("struct wyvern_demo_item", items.addressOf_(), "node")) {
  console.log(`  ${item.name.string_()}: value=${item.value.value_()}`);
}
console.log();

// Stack traces: a sleeping kernel thread (through the module's own ORC
// table) and the tasks running on each CPU (from the dump's per-CPU
// registers, matched by CPU; drgn 0.0.22 cannot open this dump at all).
const demoTask = findTask(prog, Number(prog.object("wyvern_demo_task").pid.value_()));
console.log(`Stack trace of ${demoTask.comm.string_()} (pid ${demoTask.pid.value_()}):`);
console.log(String(prog.stackTrace(demoTask)));
console.log();
for (const cpu of forEachOnlineCpu(prog)) {
  const curr = cpuCurr(prog, cpu);
  console.log(`Running on CPU ${cpu}: ${curr.comm.string_()} (pid ${curr.pid.value_()})`);
  console.log(String(prog.stackTrace(curr)));
}
console.log();

const records = getPrintkRecords(prog);
console.log(`Kernel log (last 8 of ${records.length} records):`);
for (const r of records.slice(-8)) {
  // As the kernel prints it: seconds and microseconds, truncated.
  const sec = String(r.timestamp / 1_000_000_000n).padStart(5);
  const usec = String((r.timestamp % 1_000_000_000n) / 1000n).padStart(6, "0");
  console.log(`[${sec}.${usec}] ${r.text}`);
}
