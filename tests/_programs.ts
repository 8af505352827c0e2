/**
 * Ready programs on the real fixtures, for tests: the kernel crash dump in
 * each format (with the Debian vmlinux and module debug files) and the
 * userspace cores (with their binaries). Decompressed files are cached once
 * in `${WYVERN_CACHE:-/var/cache/wyvern-fixtures}`.
 *
 * @module
 */

import { join } from "node:path";
import "../lib/targets.ts";
import { Program } from "../lib/program/program.ts";
import {
  CACHE,
  cached,
  KERNEL,
  mdfElfVmcore,
  pagingVmcore,
  USER,
  vmlinux,
} from "./lib/elf/_fixtures.ts";

export { CACHE, KERNEL, USER };

/** The kernel fixture's dump formats. */
export type KernelFormat = "mdf-c-d31.kdump" | "mdf-E-d31.elf" | "paging.elf" | "la57.kdump";

/** The five modules loaded in the fixture guest. */
export const KERNEL_MODULES = ["qemu_fw_cfg", "loop", "brd", "dummy", "minix"];

/** The file of a kernel fixture format (decompressed into the cache when needed). */
export async function kernelDumpPath(format: KernelFormat): Promise<string> {
  switch (format) {
    case "mdf-c-d31.kdump":
      return join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump");
    case "mdf-E-d31.elf":
      return await mdfElfVmcore();
    case "paging.elf":
      return await pagingVmcore();
    case "la57.kdump":
      return new URL("./data/kernel/la57-128m/vmcore.mdf-c-d31.kdump", import.meta.url).pathname;
  }
}

/** drgn 0.0.22's reference JSON for a kernel format. */
export function kernelReference(format: KernelFormat): Record<string, unknown> {
  const path = format === "la57.kdump"
    ? new URL("./data/kernel/la57-128m/mdf-c-d31.kdump.json", import.meta.url).pathname
    : join(KERNEL, "reference/kaslr-256m", `${format}.json`);
  return JSON.parse(Deno.readTextFileSync(path));
}

const kernelCache = new Map<string, Program>();

/**
 * A program on a kernel fixture dump with vmlinux and module debug info
 * (shared between the tests of one process: treat it as read-only).
 */
export async function kernelProgram(format: KernelFormat = "mdf-c-d31.kdump"): Promise<Program> {
  const hit = kernelCache.get(format);
  if (hit) return hit;
  const prog = new Program();
  prog.setCoreDump(await kernelDumpPath(format));
  prog.loadDebugInfo([
    await vmlinux(),
    ...KERNEL_MODULES.map((m) => join(KERNEL, "debug", `${m}.ko`)),
  ]);
  kernelCache.set(format, prog);
  return prog;
}

/** The path of a userspace core (decompressing the `big` cores into the cache). */
export async function userCorePath(variant: string, prog: string, kind: string): Promise<string> {
  const rel = `out/core/${variant}/${prog}.${kind}`;
  const path = join(USER, rel);
  try {
    Deno.statSync(path);
    return path;
  } catch {
    return await cached(path + ".zst", `user/${variant}-${prog}.${kind}`, "zstd");
  }
}

/** A program on a userspace fixture core with its binary's debug info and the default search. */
export async function userProgram(variant: string, prog: string, kind = "gcore"): Promise<Program> {
  const p = new Program();
  p.setCoreDump(await userCorePath(variant, prog, kind));
  const bin = join(USER, "out/bin", variant, prog);
  p.loadDebugInfo(variant === "gcc-split" ? [bin, bin + ".debug"] : [bin], { default: true });
  return p;
}

/** drgn 0.0.22's reference JSON for a userspace core. */
export function userReference(
  variant: string,
  prog: string,
  kind = "gcore",
): Record<string, unknown> {
  return JSON.parse(
    Deno.readTextFileSync(join(USER, "reference", variant, `${prog}.${kind}.json`)),
  );
}

/** The sample kernel's vmlinux (scripts/sample/vmlinux.zst), decompressed into the cache. */
export function sampleVmlinux(): Promise<string> {
  return cached(
    new URL("../scripts/sample/vmlinux.zst", import.meta.url).pathname,
    "sample/vmlinux",
    "zstd",
  );
}

/** The sample kernel's QEMU kdump-zlib dump (flattened, as QEMU writes it), decompressed. */
export function sampleQemuDump(): Promise<string> {
  return cached(
    new URL("../scripts/sample/vmcore.qemu-kdump-zlib.flat.zst", import.meta.url).pathname,
    "sample/vmcore.qemu-kdump-zlib.flat",
    "zstd",
  );
}

/** The sample kernel's demo module debug file, decompressed. */
export function sampleModule(): Promise<string> {
  return cached(
    new URL("../scripts/sample/wyvern_demo.ko.zst", import.meta.url).pathname,
    "sample/wyvern_demo.ko",
    "zstd",
  );
}

/**
 * Starts a gcc-O0 fixture program as the live references were made (ASLR off,
 * empty environment) and waits for its `READY <pid>` line.
 */
export async function startFixtureProcess(
  prog: string,
): Promise<{ pid: number; kill: () => Promise<void> }> {
  const dir = Deno.makeTempDirSync();
  const child = new Deno.Command("setarch", {
    args: [
      "x86_64",
      "-R",
      "env",
      "-i",
      "PATH=/usr/bin:/bin",
      "LC_ALL=C",
      join(USER, "out/bin/gcc-O0", prog),
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!/READY (\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${prog} exited before READY`);
    text += new TextDecoder().decode(value);
  }
  const pid = Number(/READY (\d+)/.exec(text)![1]);
  return {
    pid,
    kill: async () => {
      reader.releaseLock();
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel().catch(() => {});
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** What a `deno` subprocess printed. */
export interface DenoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs this Deno with `args` (colours off, plus `env`) and collects its output. */
export async function runDeno(args: string[], env: Record<string, string> = {}): Promise<DenoRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * What a fresh process (whose `env` Wyvern reads once) reads from kernel
 * dumps: first `head`, a JavaScript expression over `imports` (name →
 * module path from the repository root), then for each dump 64 bytes of
 * every `step`th page of the first 256 MiB, or the error reading them.
 */
export async function kernelPageSamples(
  dumps: string[],
  step: number,
  env: Record<string, string>,
  head: { imports: Record<string, string>; expr: string },
): Promise<string[]> {
  const url = (path: string) => JSON.stringify(new URL(`../${path}`, import.meta.url).href);
  const script = `
    import { Program } from ${url("mod.ts")};
    ${Object.entries(head.imports).map(([k, v]) => `import { ${k} } from ${url(v)};`).join("\n")}
    const out = [String(${head.expr})];
    for (const dump of ${JSON.stringify(dumps)}) {
      const p = new Program();
      p.setCoreDump(dump);
      for (let pfn = 0n; pfn < 0x10000n; pfn += ${step}n) {
        try {
          out.push(Array.from(p.read(pfn * 4096n + 8n * pfn % 4032n, 64, true)).join(","));
        } catch (e) {
          out.push(e.name + ": " + e.message);
        }
      }
    }
    console.log(JSON.stringify(out));`;
  const r = await runDeno(["eval", script], env);
  if (r.code !== 0) throw new Error(`reading pages failed (${JSON.stringify(env)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}
