/**
 * Fixture paths, the decompression cache, and running binutils/elfutils for
 * the ELF tests.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The shared fixture folder (`WYVERN_FIXTURES` overrides). */
export const FIXTURES: string = Deno.env.get("WYVERN_FIXTURES") ??
  join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/fixtures");

/** The user-space fixtures. */
export const USER: string = join(FIXTURES, "user");
/** The kernel fixtures. */
export const KERNEL: string = join(FIXTURES, "kernel");

/** Where decompressed fixtures are kept between runs. */
export const CACHE: string = Deno.env.get("WYVERN_CACHE") ?? "/var/cache/wyvern-fixtures";

/** The user-space variants. */
export const VARIANTS = ["gcc-O0", "gcc-dwarf4-O2", "clang-O0", "gcc-gz", "gcc-split"] as const;
/** The user-space programs. */
export const PROGRAMS = ["types", "datastructs", "threads", "big"] as const;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `source` decompressed into the cache as `name` (done once; later calls
 * reuse the file). Written to a temporary name and renamed, so a concurrent
 * or interrupted run never sees a partial file.
 */
export async function cached(source: string, name: string, tool: "zstd" | "xz"): Promise<string> {
  const out = join(CACHE, name);
  if (exists(out)) return out;
  Deno.mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp.${Deno.pid}`;
  const args = tool === "zstd" ? ["-q", "-d", "-f", "-o", tmp, source] : ["-d", "-c", source];
  if (tool === "zstd") {
    await run("zstd", args);
  } else {
    const file = Deno.openSync(tmp, { write: true, create: true, truncate: true });
    const p = new Deno.Command("xz", { args, stdout: "piped" }).spawn();
    await p.stdout.pipeTo(file.writable);
    if (!(await p.status).success) throw new Error(`xz failed on ${source}`);
  }
  Deno.renameSync(tmp, out);
  return out;
}

/** The QEMU paging vmcore (65,754 program headers), decompressed. */
export function pagingVmcore(): Promise<string> {
  return cached(
    join(KERNEL, "vmcores/kaslr-256m/vmcore.paging.elf.zst"),
    "vmcore.paging.elf",
    "zstd",
  );
}

/** The makedumpfile -E vmcore, decompressed. */
export function mdfElfVmcore(): Promise<string> {
  return cached(
    join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-E-d31.elf.zst"),
    "vmcore.mdf-E-d31.elf",
    "zstd",
  );
}

/** The Debian vmlinux, decompressed. */
export function vmlinux(): Promise<string> {
  return cached(join(KERNEL, "vmlinux-6.1.0-56-amd64.xz"), "vmlinux-6.1.0-56-amd64", "xz");
}

/** Runs a command and returns its stdout; throws with stderr if it fails. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A fixture's reference JSON (paths relative to the user or kernel folder). */
export function readJson(path: string): unknown {
  return JSON.parse(Deno.readTextFileSync(path));
}

/** Every user-space binary in the fixtures (executables and split debug files). */
export function userBinaries(): string[] {
  const out: string[] = [];
  for (const v of VARIANTS) {
    for (const p of PROGRAMS) {
      out.push(join(USER, "out/bin", v, p));
      if (v === "gcc-split") out.push(join(USER, "out/bin", v, p + ".debug"));
    }
  }
  return out;
}

/** Every stored (uncompressed) user-space core. */
export function userCores(): string[] {
  const out: string[] = [];
  for (const v of VARIANTS) {
    for (const entry of Deno.readDirSync(join(USER, "out/core", v))) {
      if (entry.name.endsWith(".gcore") || entry.name.endsWith(".kcore")) {
        out.push(join(USER, "out/core", v, entry.name));
      }
    }
  }
  return out.sort();
}
