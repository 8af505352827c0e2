// ps: list a kernel's tasks: PID, parent's PID, CPU, state letter (as ps(1)) and command.
//
//   deno run -A scripts/ps.ts VMCORE -s VMLINUX
//   deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/ps.ts
import { forEachTask, taskCpu, taskStateToChar } from "../dist/prelude.js";

const lines = ["    PID    PPID CPU ST COMM"];
for (const task of forEachTask(prog)) {
  const pid = String(task.pid.value_()).padStart(7);
  const ppid = String(task.real_parent.tgid.value_()).padStart(7);
  const cpu = String(taskCpu(task)).padStart(3);
  lines.push(`${pid} ${ppid} ${cpu} ${taskStateToChar(task).padEnd(2)} ${task.comm.string_()}`);
}
console.log(lines.join("\n"));
