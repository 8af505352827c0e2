// Wyvern against drgn 0.0.22 on the same inputs, in the same run: each
// round runs every workload in a fresh process on both sides, and the
// medians and the ratio Wyvern/drgn are printed as a markdown table (with
// the machine it ran on) for the README.
//
//   deno run -A scripts/bench.ts [--rounds N] [--json FILE]
//
// Workloads (goals of issue 8):
// 1. Kernel: open the kdump, load the Debian vmlinux and the 5 module debug
//    files, list every task (pid, comm). Process wall time, start to exit.
//    The script imports Wyvern's bundle (dist/prelude.js), as a script that
//    starts often should; a warm run importing the sources is shown too.
//    Cold: an empty index cache; Wyvern indexes the vmlinux's units as
//    lookups need them (and saves nothing: the index is not whole). Cold,
//    full: the same with WYVERN_FULL_INDEX=1 (the whole index is built, as
//    drgn does, and saved). Warm: the cache filled by the full run. Peak RSS
//    (`/usr/bin/time`).
// 2. User `big` core: walk the 1,000,000-node list summing `value` through
//    the object API (time of the walk in the process).
// 3. User `big` core: `g_big_array[i].key` for 1,000,000 elements.
// 5. Extra (no goal): after 1 (warm), the stack trace of every task, each
//    frame formatted (time of that part in the process). The frame counts
//    differ: drgn 0.0.22 unwinds the tasks on CPUs wrongly (see the kernel
//    fixtures' README).
//
// Children: scripts/bench_tasks.ts, scripts/bench_big.ts (Wyvern) and
// scripts/bench_drgn.py (drgn, run with /usr/bin/python3).

import { join } from "node:path";
import { cache, fixtures, modules, requireFixtures, vmcore, vmlinux } from "./fixture_paths.ts";

const args = [...Deno.args];
const option = (f: string, dflt: string) => {
  const i = args.indexOf(f);
  if (i < 0) return dflt;
  const v = args[i + 1] ?? dflt;
  args.splice(i, 2);
  return v;
};
const rounds = Number(option("--rounds", "5"));
const jsonOut = option("--json", "");

const here = new URL(".", import.meta.url).pathname;
const bigCore = join(cache, "user/gcc-O0-big.gcore");
const bigBin = join(fixtures, "user/out/bin/gcc-O0/big");
const python = "/usr/bin/python3";
const deno = Deno.execPath();

requireFixtures("bench", { vmlinux, "big core": bigCore });

interface Run {
  /** Wall time of the process, ms. */
  wall: number;
  /** Peak RSS, bytes. */
  rss: number;
  /** The child's JSON line. */
  out: Record<string, unknown>;
}

const cacheDir = Deno.makeTempDirSync({ prefix: "wyvern-bench-cache-" });
const timeFile = join(cacheDir, "..", `${cacheDir.split("/").pop()}.time`);

/** Runs `cmd` under /usr/bin/time: wall time measured here, peak RSS from time(1). */
async function run(cmd: string[], env: Record<string, string> = {}): Promise<Run> {
  const t = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", timeFile, ...cmd],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wall = performance.now() - t;
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `${cmd.join(" ")} failed:\n${text}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const rss = parseInt(Deno.readTextFileSync(timeFile).trim().split("\n").pop()!) * 1024;
  return { wall, rss, out: JSON.parse(text.split("\n").pop()!) };
}

const preludeArgs = (
  debug: string[],
) => [...debug.flatMap((d) => ["-s", d]), "--no-default-symbols", "-q"];
const wyvernTasks = [
  deno,
  "run",
  "-A",
  join(here, "bench_tasks.ts"),
  vmcore,
  ...preludeArgs([vmlinux, ...modules]),
];
const drgnTasks = [python, join(here, "bench_drgn.py"), "tasks", vmcore, vmlinux, ...modules];
const wyvernTraces = [deno, "run", "-A", join(here, "bench_tasks.ts"), vmcore, "-s", vmlinux];
const drgnTraces = [python, join(here, "bench_drgn.py"), "traces", vmcore, vmlinux];
const wyvernBig = (what: string) => [
  deno,
  "run",
  "-A",
  join(here, "bench_big.ts"),
  what,
  bigCore,
  bigBin,
];
const drgnBig = (what: string, bias: string) => [
  python,
  join(here, "bench_drgn.py"),
  what,
  bigCore,
  bigBin,
  bias,
];

const samples: Record<string, number[]> = {};
/** Frames of workload 5 (Wyvern, drgn) in the last round. */
let frames = [0, 0];
const add = (k: string, v: number) => (samples[k] ??= []).push(v);
const check = (cond: boolean, what: string) => {
  if (!cond) throw new Error(`bench: wrong answer: ${what}`);
};

try {
  for (let r = 0; r < rounds; r++) {
    // 1. Kernel task list: cold (empty cache, indexed on demand), cold with
    // the whole index (saved), warm (cache from the full run), drgn.
    for (const e of Deno.readDirSync(cacheDir)) Deno.removeSync(join(cacheDir, e.name));
    const env = { WYVERN_CACHE_DIR: cacheDir };
    const cold = await run(wyvernTasks, env);
    check([...Deno.readDirSync(cacheDir)].length === 0, "the on-demand run saved an index");
    const full = await run(wyvernTasks, { ...env, WYVERN_FULL_INDEX: "1" });
    // The full run saves the index, and the layouts of the big structures
    // its script read (lib/dwarf/layout_cache.ts), which the warm run uses.
    const saved = [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort();
    check(
      saved.length === 2 && saved[0]!.startsWith("dwarf-index-") &&
        saved[1]!.startsWith("dwarf-layouts-"),
      `the full run saved ${saved.join(", ") || "nothing"}, not an index and layouts`,
    );
    const warm = await run(wyvernTasks, env);
    const warmSources = await run(wyvernTasks, { ...env, WYVERN_BENCH_SOURCES: "1" });
    const dt = await run(drgnTasks);
    check(
      [cold, full, warm, warmSources].every((w) => w.out.tasks === dt.out.tasks),
      `task counts differ: cold ${cold.out.tasks}, full ${full.out.tasks}, warm ${warm.out.tasks}, warm from the sources ${warmSources.out.tasks}, drgn ${dt.out.tasks}`,
    );
    add("tasks.warmsrc.wall", warmSources.wall);
    add("tasks.cold.wall", cold.wall);
    add("tasks.cold.rss", cold.rss);
    add("tasks.full.wall", full.wall);
    add("tasks.full.rss", full.rss);
    add("tasks.warm.wall", warm.wall);
    add("tasks.warm.rss", warm.rss);
    add("tasks.drgn.wall", dt.wall);
    add("tasks.drgn.rss", dt.rss);
    // 5 (extra). Stack traces of every task (index cache warm).
    const wt = await run([...wyvernTraces, ...preludeArgs(modules)], {
      ...env,
      WYVERN_BENCH_TRACES: "1",
    });
    const dtr = await run([...drgnTraces, ...modules]);
    check(wt.out.tasks === dtr.out.tasks, "trace task counts differ");
    add("traces.wyvern.ms", wt.out.ms as number);
    add("traces.drgn.ms", dtr.out.ms as number);
    frames = [wt.out.frames as number, dtr.out.frames as number];
    // 2 and 3. The big core.
    for (const what of ["list", "array"]) {
      const w = await run(wyvernBig(what));
      const d = await run(drgnBig(what, String(w.out.bias)));
      check(w.out.sum === d.out.sum && w.out.count === d.out.count, `${what} sums differ`);
      add(`${what}.wyvern.ms`, w.out.ms as number);
      add(`${what}.drgn.ms`, d.out.ms as number);
    }
    console.error(`round ${r + 1}/${rounds} done`);
  }
} finally {
  Deno.removeSync(cacheDir, { recursive: true });
  try {
    Deno.removeSync(timeFile);
  } catch { /* not created */ }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const med = (k: string) => median(samples[k]!);
const sec = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const mb = (b: number) => `${Math.round(b / (1 << 20))} MiB`;
const ratio = (a: number, b: number) => (a / b).toFixed(2);

const cpu =
  Deno.readTextFileSync("/proc/cpuinfo").split("\n").find((l) => l.startsWith("model name"))?.split(
    ":",
  )[1]?.trim() ?? "unknown CPU";
const cores = navigator.hardwareConcurrency;
const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

/** A table row: the label, Wyvern's and drgn's medians (formatted with `fmt`), their ratio, the goal. */
const row = (
  label: string,
  fmt: (x: number) => string,
  wyvern: string,
  drgn: string,
  goal: string,
): [string, string, string, string, string] => [
  label,
  fmt(med(wyvern)),
  fmt(med(drgn)),
  ratio(med(wyvern), med(drgn)),
  goal,
];

const rows: [string, string, string, string, string][] = [
  row(
    "1. kdump + vmlinux + 5 modules + task list, cold (empty index cache, units indexed as lookups need them)",
    sec,
    "tasks.cold.wall",
    "tasks.drgn.wall",
    "≤ 1.0",
  ),
  row(
    "1. same, cold, whole index built and saved (`WYVERN_FULL_INDEX=1`, as drgn indexes)",
    sec,
    "tasks.full.wall",
    "tasks.drgn.wall",
    "—",
  ),
  row(
    "1. same, warm (index cache and member layouts saved by the full run)",
    sec,
    "tasks.warm.wall",
    "tasks.drgn.wall",
    "≤ 0.2",
  ),
  row(
    "1. same, warm, the script importing the TypeScript sources (`lib/runtime/prelude.ts`) instead of the bundle (`dist/prelude.js`)",
    sec,
    "tasks.warmsrc.wall",
    "tasks.drgn.wall",
    "—",
  ),
  row(
    "2. walk the 1,000,000-node list, sum `value` (object API)",
    sec,
    "list.wyvern.ms",
    "list.drgn.ms",
    "≤ 0.33",
  ),
  row(
    "3. `g_big_array[i].key` × 1,000,000 (object API)",
    sec,
    "array.wyvern.ms",
    "array.drgn.ms",
    "≤ 0.33",
  ),
  row("4. peak RSS of 1, cold", mb, "tasks.cold.rss", "tasks.drgn.rss", "≤ 1.0"),
  row("4. peak RSS of 1, cold, whole index", mb, "tasks.full.rss", "tasks.drgn.rss", "≤ 1.0"),
  row("4. peak RSS of 1, warm", mb, "tasks.warm.rss", "tasks.drgn.rss", "≤ 1.0"),
  row(
    `5. (extra) stack traces of all tasks, frames formatted (${frames[0]} / ${frames[1]} frames)`,
    sec,
    "traces.wyvern.ms",
    "traces.drgn.ms",
    "—",
  ),
];

const lines = [
  `Wyvern vs drgn 0.0.22, medians of ${rounds} rounds (fresh process each), ${
    new Date().toISOString().slice(0, 16).replace("T", " ")
  } UTC on ${cpu}, ${cores} cores (load average ${load}; Deno ${Deno.version.deno}).`,
  "1: process start to exit; 2, 3 and 5: the work alone, timed in the process.",
  "",
  "| workload | Wyvern | drgn | Wyvern/drgn | goal |",
  "|---|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.join(" | ")} |`),
];
console.log(lines.join("\n"));
if (jsonOut) {
  Deno.writeTextFileSync(
    jsonOut,
    JSON.stringify({ cpu, cores, load, rounds, samples }, null, 2) + "\n",
  );
}
