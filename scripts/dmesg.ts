// dmesg: print a kernel's log buffer as dmesg(1) does: "[seconds.micros] message" per line.
//
//   deno run -A scripts/dmesg.ts VMCORE -s VMLINUX
//   deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/dmesg.ts
import { getDmesg } from "../dist/prelude.js";

const bytes = new TextEncoder().encode(getDmesg(prog));
for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
