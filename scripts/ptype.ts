// ptype: print the C definition of types, or of the types of objects, by name.
//
//   deno run --allow-read scripts/ptype.ts VMCORE 'struct task_struct' init_task
//   deno run --allow-read scripts/ptype.ts -s ./a.out 'struct foo'      # debug info only
import { LookupError } from "../dist/prelude.js";

if (Deno.args.length === 0) {
  console.error("usage: ptype.ts [VMCORE | -c CORE | -p PID | -k] [-s FILE]... NAME...");
  Deno.exit(2);
}
let status = 0;
for (const name of Deno.args) {
  try {
    console.log(String(prog.type(name)));
  } catch (e) {
    if (!(e instanceof LookupError) && !(e instanceof SyntaxError)) throw e;
    try {
      console.log(String(prog.object(name).type_));
    } catch {
      console.error(`ptype: no type or object named '${name}'`);
      status = 1;
    }
  }
}
Deno.exit(status);
