/**
 * Helpers for scripts: drgn's helpers in camelCase, with the kernel's
 * argument order. Everything here is also in scope in the REPL and in
 * scripts that import the prelude.
 *
 * @module
 */
export * from "./common/format.ts";
export * from "./common/memory.ts";
export * from "./common/stack.ts";
export * from "./common/type.ts";
export * from "./linux/bitops.ts";
export * from "./linux/block.ts";
export * from "./linux/bpf.ts";
export * from "./linux/boot.ts";
export * from "./linux/cgroup.ts";
export * from "./linux/cpumask.ts";
export * from "./linux/device.ts";
export * from "./linux/fs.ts";
export * from "./linux/idr.ts";
export * from "./linux/kconfig.ts";
export * from "./linux/kernfs.ts";
export * from "./linux/list.ts";
export * from "./linux/list_nulls.ts";
export * from "./linux/llist.ts";
export * from "./linux/mapletree.ts";
export * from "./linux/mm.ts";
export * from "./linux/module.ts";
export * from "./linux/net.ts";
export * from "./linux/nodemask.ts";
export * from "./linux/percpu.ts";
export * from "./linux/pid.ts";
export * from "./linux/printk.ts";
export * from "./linux/radixtree.ts";
export * from "./linux/rbtree.ts";
export * from "./linux/sched.ts";
export * from "./linux/slab.ts";
export * from "./linux/user.ts";
export * from "./linux/xarray.ts";
