// mounts: list the mounts of the initial mount namespace, as drgn's
// print_mounts(): source, mount point, filesystem type and `struct mount *`.
//
//   deno run -A scripts/mounts.ts VMCORE -s VMLINUX
//   deno run -A mod.ts -c VMCORE -s VMLINUX scripts/mounts.ts
import "../lib/runtime/prelude.ts";
import { printMounts } from "../helpers/linux/fs.ts";

printMounts(prog);
