// Writes scripts/eager_profile.txt: the bundle's functions (top-level
// functions, class members, nested functions) that typical sessions call,
// which scripts/bundle.ts then makes eagerly compiled (see
// scripts/eager_functions.ts). Runs each session below on the current dist/
// under V8's coverage (`deno run --coverage`), after one run that fills an
// index cache (so the profile is of warm starts, not of indexing, which a
// cache spares), and keeps every function of dist/ that two sessions or
// more ran, by the key functionKeys() gives it. The sessions run on dist/
// as esbuild makes it (no function eager, so each is where the keys say);
// dist/ is then rebuilt with the new profile.
//
//   deno run -A scripts/gen_eager_profile.ts
//
// Sessions: on the kernel fixture (kdump, Debian vmlinux, its modules'
// debug files): scripts/ps.ts, lsmod.ts and dmesg.ts; a task list walked
// by hand, every task's stack trace, an object and a type printed. On the
// user fixture `threads` (core and binary, libc's debug info if
// installed): every thread's stack trace with its frames' locals printed,
// through the runner (dist/mod.js). The fixtures are those of
// scripts/bench.ts (scripts/fixture_paths.ts: WYVERN_FIXTURES,
// WYVERN_CACHE; run the tests once to decompress the vmlinux).

import { join } from "node:path";
import { functionKeys } from "./eager_functions.ts";
import { bundle, EAGER_PROFILE, writeDist } from "./bundle.ts";
import { fixtures, modules, requireFixtures, vmcore, vmlinux } from "./fixture_paths.ts";

const root = join(new URL(".", import.meta.url).pathname, "..");
const userCore = join(fixtures, "user/out/core/gcc-O0/threads.gcore");
const userBinary = join(fixtures, "user/out/bin/gcc-O0/threads");
requireFixtures("gen_eager_profile", {
  kdump: vmcore,
  vmlinux,
  "user core": userCore,
  "user binary": userBinary,
});

const work = Deno.makeTempDirSync({ prefix: "wyvern-eager-profile-" });
const dist = (f: string) => new URL(`file://${join(root, "dist", f)}`).href;

// A kernel session as users write them, from the prelude.
const kernelSession = join(work, "kernel_session.ts");
Deno.writeTextFileSync(
  kernelSession,
  `import { containerOf, prog } from ${JSON.stringify(dist("prelude.js"))};
const init = prog.object("init_task");
const taskType = prog.type("struct task_struct");
const tasks = [];
for (let n = init.tasks.next, i = 0; n.value_() !== init.tasks.address_ && i < 100000; n = n.next, i++) {
  const t = containerOf(n, taskType, "tasks");
  tasks.push([t.pid.value_(), t.comm.string_()]);
  for (const f of prog.stackTrace(t)) String(f);
}
console.log(tasks.length, String(init.comm), String(prog.type("struct list_head")));
`,
);
// A user-space session, run by dist/mod.js (\`prog\` is a global there).
const userSession = join(work, "user_session.ts");
Deno.writeTextFileSync(
  userSession,
  `const prog = (globalThis as any).prog;
let lines = 0;
for (const thread of prog.threads()) {
  for (const frame of prog.stackTrace(thread)) {
    lines++;
    String(frame);
    for (const name of frame.locals()) {
      try {
        String(frame.get(name));
      } catch {
        // optimized out, or not readable in the core
      }
    }
  }
}
console.log(lines);
`,
);

const kernelArgs = ["-s", vmlinux, ...modules.flatMap((m) => ["-s", m]), "-q"];
const sessions: string[][] = [
  ...["ps", "lsmod", "dmesg"].map((s) => [join(root, "scripts", `${s}.ts`), vmcore, ...kernelArgs]),
  [kernelSession, vmcore, ...kernelArgs],
  [join(root, "dist/mod.js"), "-q", "-c", userCore, "-s", userBinary, userSession],
];

const deno = Deno.execPath();
const indexCache = join(work, "index-cache");
async function run(args: string[], env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(deno, {
    args: ["run", "-A", ...args],
    env: { WYVERN_CACHE_DIR: indexCache, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

// The sessions run on the bundle without eager functions: its functions
// are where esbuild put them, as functionKeys() names them.
const plain = await bundle({ eager: false });
writeDist(plain);
const covDir = join(work, "coverage");
// Functions of dist/ → how many sessions ran them.
const starts = new Map<string, Map<number, string>>();
const ran = new Map<string, number>();
let all = 0;
try {
  for (const [i, s] of sessions.entries()) {
    await run(s, { WYVERN_FULL_INDEX: "1" });
    await run([`--coverage=${join(covDir, String(i))}`, ...s], {});
    collect(join(covDir, String(i)));
  }
} catch (e) {
  // dist/ as it was (with the old profile), not the plain bundle.
  writeDist(await bundle());
  throw e;
} finally {
  Deno.removeSync(work, { recursive: true });
}

function collect(dir: string): void {
  const seen = new Set<string>();
  for (const entry of Deno.readDirSync(dir)) {
    const cov = JSON.parse(Deno.readTextFileSync(join(dir, entry.name))) as {
      url: string;
      functions: { ranges: { startOffset: number; count: number }[] }[];
    };
    if (!cov.url.startsWith(dist(""))) continue;
    let fns = starts.get(cov.url);
    if (fns === undefined) {
      fns = functionKeys(Deno.readTextFileSync(new URL(cov.url)));
      starts.set(cov.url, fns);
      all += fns.size;
    }
    for (const f of cov.functions) {
      const r = f.ranges[0];
      const name = r === undefined || r.count === 0 ? undefined : fns.get(r.startOffset);
      if (name !== undefined) seen.add(name);
    }
  }
  for (const name of seen) ran.set(name, (ran.get(name) ?? 0) + 1);
}
if (ran.size === 0) {
  console.error("gen_eager_profile: no coverage of dist/");
  Deno.exit(1);
}
for (let k = 1; k <= sessions.length; k++) {
  console.log(`${[...ran.values()].filter((n) => n >= k).length} functions ran in ${k}+ sessions`);
}
// Functions that only one session ran stay lazy: every eager function costs
// each import its share of the code cache to read. Warm task list
// (scripts/bench_tasks.ts, 30 runs ABBA): all 926 functions that ran 45.9 ms,
// the 613 that two sessions ran 44.1, the 435 of three 44.9 (and its stack
// traces of all tasks 5 ms slower); 48.5 before class members and nested
// functions were made eager.
const MIN_SESSIONS = 2;
const names = [...ran].filter(([, n]) => n >= MIN_SESSIONS).map(([name]) => name).sort();
Deno.writeTextFileSync(
  EAGER_PROFILE,
  `# Functions of the bundle (dist/) that scripts/bundle.ts makes
# eagerly compiled: those that at least ${MIN_SESSIONS} typical sessions ran. Written by
# scripts/gen_eager_profile.ts (do not edit; run it again when the
# sources change much): ${names.length} of the bundle's ${all}.
${names.join("\n")}
`,
);
console.log(`${EAGER_PROFILE}: ${names.length} of ${all} functions`);
// dist/ again, with the new profile.
console.log(writeDist(await bundle()));
