// mounts: list the mounts of the initial mount namespace, as drgn's
// print_mounts(): source, mount point, filesystem type and `struct mount *`.
//
//   deno run -A scripts/mounts.ts VMCORE -s VMLINUX
//   deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/mounts.ts
import { printMounts } from "../dist/prelude.js";

printMounts(prog);
