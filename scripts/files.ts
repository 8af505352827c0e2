// files: list the open files of a task, as drgn's print_files(): descriptor,
// path and `struct file *`.
//
//   deno run -A scripts/files.ts VMCORE -s VMLINUX PID
//   deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/files.ts PID
import { findTask, printFiles } from "../dist/prelude.js";

const pid = Number(Deno.args[0]);
if (Deno.args.length !== 1 || !Number.isInteger(pid) || pid < 0) {
  console.error("usage: files.ts [VMCORE | -c CORE | -k] [-s FILE]... PID");
  Deno.exit(2);
}
const task = findTask(prog, pid);
if (task.value_() === 0n) {
  console.error(`files: no task with PID ${pid}`);
  Deno.exit(1);
}
printFiles(task);
