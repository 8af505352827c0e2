/**
 * The CLI and the prelude end to end, as users run them: `deno run mod.ts
 * [-c CORE] [-s FILE] SCRIPT ARGS` and `deno run --allow-read script.ts CORE
 * ARGS` (least permissions), on a userspace fixture core and the kernel dump.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { KERNEL, runDeno, USER } from "../../_programs.ts";
import { vmlinux } from "../elf/_fixtures.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const MOD = join(ROOT, "mod.ts");
const PRELUDE = join(ROOT, "lib/runtime/prelude.ts");
const KDUMP = join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump");
const CORE = join(USER, "out/core/gcc-O0/types.gcore");
const BIN = join(USER, "out/bin/gcc-O0/types");

async function run(args: string[], perms = ["-A"], env: Record<string, string> = {}) {
  return await runDeno(["run", ...perms, ...args], env);
}

/** An empty sysroot: the standard places for debug files hold nothing (whatever this machine has installed). */
const NOTHING_INSTALLED = { WYVERN_SYSROOT: Deno.makeTempDirSync() };

function script(body: string): string {
  const dir = Deno.makeTempDirSync();
  const path = join(dir, "s.ts");
  Deno.writeTextFileSync(path, body);
  return path;
}

Deno.test("cli: a script gets prog, the helpers as globals, and its own arguments", async () => {
  const s = script(
    `console.log(JSON.stringify(Deno.args));\n` +
      `console.log(String(prog.object("g_int")));\n` +
      `console.log(typeof globalThis.cast, prog.flags.isLinuxKernel);\n`,
  );
  const r = await run([MOD, "-q", "-c", CORE, "-s", BIN, s, "a", "-b", "--c"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    '["a","-b","--c"]\n(int)-123456\nfunction false\n',
  );
});

Deno.test("cli: -e evaluates an expression and prints objects in C syntax", async () => {
  const r = await run([
    MOD,
    "-q",
    "-c",
    KDUMP,
    "-s",
    await vmlinux(),
    "-e",
    'prog.object("init_task").comm',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '(char [16])"swapper/0"\n');
});

Deno.test("cli: --index builds the whole index and saves it; without it, lookups that find save none", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const env = { WYVERN_CACHE_DIR: dir };
    const args = [MOD, "-q", "-c", CORE, "-s", BIN, "-e", 'prog.object("g_int")'];
    const plain = await runDeno(["run", "-A", ...args], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "an on-demand lookup saves nothing");
    const indexed = await runDeno(["run", "-A", MOD, "--index", ...args.slice(1)], env);
    assert.equal(indexed.code, 0, indexed.stderr);
    assert.equal(indexed.stdout, plain.stdout);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.ok(files.some((f) => f.startsWith("dwarf-index-")), files.join(" "));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("prelude: deno run --allow-read script.ts CORE args works with read permission alone", async () => {
  const s = script(
    `import ${JSON.stringify(PRELUDE)};\n` +
      `console.log(Deno.args.join(" "), prog.object("init_task").comm.string_());\n`,
  );
  const r = await run([s, KDUMP, "-s", await vmlinux(), "x", "y"], ["--allow-read"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "x y swapper/0\n");
});

Deno.test("prelude: the script's unload listeners run, late ones too, and its exit code holds", async () => {
  const s = script(
    `import ${JSON.stringify(PRELUDE)};\n` +
      `addEventListener("unload", () => console.log("unload 1"));\n` +
      `let again = true;\n` +
      `addEventListener("beforeunload", (e) => {\n` +
      `  if (!again) return;\n` +
      `  again = false;\n` +
      `  e.preventDefault();\n` +
      `  setTimeout(() => {\n` +
      `    addEventListener("unload", () => console.log("unload 2", prog.flags.isLinuxKernel));\n` +
      `    Deno.exitCode = 3;\n` +
      `  }, 1);\n` +
      `});\n`,
  );
  const r = await run([s, CORE, "-q", "-s", BIN], ["--allow-read"]);
  assert.equal(r.stdout, "unload 1\nunload 2 false\n", r.stderr);
  assert.equal(r.code, 3, r.stderr);
});

Deno.test("cli: bad input gives one line and a non-zero exit", async () => {
  let r = await run([MOD, "--bogus"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "wyvern: unknown option '--bogus' (see --help)\n");
  r = await run([MOD, "-c", "/nonexistent/vmcore", "-e", "1"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^wyvern: TargetError: \/nonexistent\/vmcore: no such file or directory\n$/,
  );
  r = await run([MOD, "-c", KDUMP, "/nonexistent/script.ts"]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "wyvern: script '/nonexistent/script.ts' not found or not a file\n");
  r = await run([MOD, "-p", "abc"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "wyvern: invalid PID 'abc'\n");
  r = await run([MOD, "-p", "1", "--vmcoreinfo", KDUMP]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "wyvern: --vmcoreinfo is for kernel targets, not -p\n");
  r = await run([MOD, "-c", BIN, "-e", "1"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not a core dump/);
  assert.equal(r.stderr.split("\n").length, 2);
});

Deno.test("cli: a core without debug info warns and still runs", async () => {
  const r = await run(
    [MOD, "-c", KDUMP, "-e", 'prog.object("UTS_RELEASE").string_()'],
    ["-A"],
    NOTHING_INSTALLED,
  );
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "6.1.0-56-amd64\n");
  assert.match(r.stderr, /^warning: missing debug info for the kernel 6\.1\.0-56-amd64/);
  assert.ok(
    r.stderr.includes(`(looked in ${NOTHING_INSTALLED.WYVERN_SYSROOT}/usr/lib/debug/boot, `),
  );
});

Deno.test("cli: module warnings come when a script needs the modules, not before", async () => {
  const kernelOnly = ["-c", KDUMP, "-s", await vmlinux()];
  // Stays in vmlinux: the kernel's modules are never walked, nothing to warn about.
  let r = await run([MOD, ...kernelOnly, "-e", 'prog.object("init_task").pid']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "(pid_t)0\n");
  assert.equal(r.stderr, "");
  // Needs them: the warning is printed then, once.
  const s = script(
    `console.log("before");\n` +
      `console.log(prog.modules.filter((m) => m.kind === "linux_kernel_module").length);\n` +
      `console.log(prog.warnings.length);\n`,
  );
  r = await run([MOD, ...kernelOnly, s], ["-A"], NOTHING_INSTALLED);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "before\n5\n1\n");
  assert.equal(
    r.stderr,
    "warning: missing debug info for kernel modules: minix, dummy, brd, loop, qemu_fw_cfg\n",
  );
});

Deno.test("cli: a script that throws prints its own stack trace and exits 1", async () => {
  const s = script(`function inner() {\n  prog.object("no_such_thing");\n}\ninner();\n`);
  const r = await run([MOD, "-q", "-c", CORE, "-s", BIN, s]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LookupError: could not find 'no_such_thing'/);
  assert.match(r.stderr, /at inner \(file:\/\/.*s\.ts:2:8\)/);
});

Deno.test("repl: reads lines, keeps declarations, prints objects in C syntax", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, "-q", "-c", CORE, "-s", BIN],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(
      'prog.object("g_int")\nconst t = prog.type("struct rect")\nt.members.length\n' +
        'for (const m of t.members) {\n  console.log(m.name)\n}\nprog.object("nope")\n',
    ),
  );
  await w.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0);
  assert.equal(stdout, "(int)-123456\n3\ntl\nbr\nname\n");
  assert.match(new TextDecoder().decode(out.stderr), /LookupError: could not find 'nope'/);
});
