// dmesg: print a kernel's log buffer as dmesg(1) does: "[seconds.micros] message" per line.
//
//   deno run -A scripts/dmesg.ts VMCORE -s VMLINUX
//   deno run -A mod.ts -c VMCORE -s VMLINUX scripts/dmesg.ts
import "../lib/runtime/prelude.ts";
import { getDmesg } from "../helpers/mod.ts";

const bytes = new TextEncoder().encode(getDmesg(prog));
for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
