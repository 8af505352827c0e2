/** Helpers for scripts: drgn.helpers in camelCase with the kernel argument order. @module */
export {};
