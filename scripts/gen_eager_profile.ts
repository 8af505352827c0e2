// Writes scripts/eager_profile.txt: the bundle's top-level functions that
// typical sessions call, which scripts/bundle.ts then makes eagerly
// compiled (see scripts/eager_functions.ts). Runs each session below on
// the current dist/ under V8's coverage (`deno run --coverage`), after one
// run that fills an index cache (so the profile is of warm starts, not of
// indexing, which a cache spares), and keeps every top-level function of
// dist/ that ran. Then rebuild the bundle: `deno task bundle`.
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
import { topLevelFunctions } from "./eager_functions.ts";
import { EAGER_PROFILE } from "./bundle.ts";
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

const covDir = join(work, "coverage");
// Top-level functions of dist/ that ran in any session.
const starts = new Map<string, Map<number, string>>();
const ran = new Set<string>();
let all = 0;
try {
  for (const s of sessions) {
    await run(s, { WYVERN_FULL_INDEX: "1" });
    await run([`--coverage=${covDir}`, ...s], {});
  }
  collect();
} finally {
  Deno.removeSync(work, { recursive: true });
}

function collect(): void {
  for (const entry of Deno.readDirSync(covDir)) {
    const cov = JSON.parse(Deno.readTextFileSync(join(covDir, entry.name))) as {
      url: string;
      functions: { ranges: { startOffset: number; count: number }[] }[];
    };
    if (!cov.url.startsWith(dist(""))) continue;
    let fns = starts.get(cov.url);
    if (fns === undefined) {
      fns = topLevelFunctions(Deno.readTextFileSync(new URL(cov.url)));
      starts.set(cov.url, fns);
      all += fns.size;
    }
    for (const f of cov.functions) {
      const r = f.ranges[0];
      const name = r === undefined || r.count === 0 ? undefined : fns.get(r.startOffset);
      if (name !== undefined) ran.add(name);
    }
  }
}
if (ran.size === 0) {
  console.error("gen_eager_profile: no coverage of dist/ (is dist/ built?)");
  Deno.exit(1);
}
const names = [...ran].sort();
Deno.writeTextFileSync(
  EAGER_PROFILE,
  `# Top-level functions of the bundle (dist/) that scripts/bundle.ts makes
# eagerly compiled: those that typical sessions ran. Written by
# scripts/gen_eager_profile.ts (do not edit; run it again when the
# sources change much): ${names.length} of the bundle's ${all}.
${names.join("\n")}
`,
);
console.log(`${EAGER_PROFILE}: ${names.length} of ${all} top-level functions`);
