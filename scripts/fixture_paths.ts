// The fixtures the benchmark (bench.ts) and the eager profile
// (gen_eager_profile.ts) run on: ../shared/fixtures (or WYVERN_FIXTURES)
// and the files the tests decompress into /var/cache/wyvern-fixtures (or
// WYVERN_CACHE).

import { join } from "node:path";

export const fixtures = Deno.env.get("WYVERN_FIXTURES") ?? "/work/shared/fixtures";
export const cache = Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";
const kernel = join(fixtures, "kernel");
/** The kernel fixture's compressed kdump. */
export const vmcore = join(kernel, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump");
/** Its Debian vmlinux, decompressed. */
export const vmlinux = join(cache, "vmlinux-6.1.0-56-amd64");
/** The debug files of the 5 modules loaded in the fixture guest. */
export const modules = ["qemu_fw_cfg", "loop", "brd", "dummy", "minix"].map((m) =>
  join(kernel, "debug", `${m}.ko`)
);

/** Exits with status 2 and a message if one of `files` (description → path) is missing. */
export function requireFixtures(script: string, files: Record<string, string>): void {
  for (const [what, path] of Object.entries(files)) {
    try {
      Deno.statSync(path);
    } catch {
      console.error(`${script}: ${what} not found at ${path}: run the tests once to decompress it`);
      Deno.exit(2);
    }
  }
}
