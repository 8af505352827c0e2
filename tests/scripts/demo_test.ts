/**
 * `deno task demo` end to end: the sample QEMU kdump-zlib dump (which drgn
 * 0.0.22 cannot open) analysed by scripts/demo.ts, compared with drgn's
 * answers on the makedumpfile copy of the same stopped VM
 * (tests/data/sample/mdf-c-d31.kdump.json).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { CACHE, runDeno } from "../_programs.ts";
import { sampleFiles } from "../../lib/runtime/sample.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const REF = JSON.parse(
  Deno.readTextFileSync(join(ROOT, "tests/data/sample/mdf-c-d31.kdump.json")),
);

interface RefTask {
  pid: number;
  ppid: number;
  cpu: number;
  state: string;
  comm: string;
}

async function demo(cacheDir: string) {
  // The permissions `deno task demo` gives it.
  return await runDeno(
    ["run", "--allow-read", "--allow-write", "--allow-env", join(ROOT, "scripts/demo.ts")],
    { WYVERN_CACHE_DIR: cacheDir },
  );
}

Deno.test("demo: release, tasks, run queues, module list and log tail match drgn", async () => {
  const cacheDir = join(CACHE, "wyvern-cache");
  const r = await demo(cacheDir);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");

  assert.ok(lines.some((l) => l.startsWith(`Kernel ${REF.uts_release} `)), r.stdout);
  assert.ok(lines.includes(`KASLR offset: ${REF.kaslr_offset}`), r.stdout);

  const rows = lines
    .map((l) => /^\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S)\s(.+)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ pid: +m[1]!, ppid: +m[2]!, cpu: +m[3]!, state: m[4]!, comm: m[5]! }));
  const want = (REF.tasks as RefTask[]).map((t) => ({
    pid: t.pid,
    ppid: t.ppid,
    cpu: t.cpu,
    state: t.state,
    comm: t.comm,
  }));
  assert.deepEqual(rows, want);
  assert.ok(lines.includes(`(${want.length} tasks)`));

  for (const c of REF.percpu) {
    assert.ok(
      lines.includes(
        `  CPU ${c.cpu}: nr_running=${c.nr_running} curr=${c.curr_comm} (pid ${c.curr_pid})`,
      ),
      `CPU ${c.cpu} in\n${r.stdout}`,
    );
  }
  for (const item of REF.wyvern_demo.items) {
    assert.ok(lines.includes(`  ${item.name}: value=${item.value}`), item.name);
  }
  // The module's kthread sleeps: drgn's trace of it, line for line.
  const kt = REF.stack_traces.wyvern_demo;
  assert.ok(
    r.stdout.includes(`(pid ${kt.pid}):\n${kt.text}\n`),
    `${kt.text}\nin\n${r.stdout}`,
  );
  // CPU 0 idles (drgn 0.0.22 mismatches QEMU's PRSTATUS notes: its "cpu0_curr"
  // trace is garbage); the console log shows the guest idle in native_safe_halt.
  assert.match(r.stdout, /Running on CPU 0: swapper\/0 \(pid 0\)\n#0 {2}native_safe_halt /);
  assert.match(r.stdout, /#\d+ +secondary_startup_64\+/);
  const tail = lines.slice(lines.findIndex((l) => l.startsWith("Kernel log")) + 1).filter((l) =>
    l !== ""
  );
  assert.equal(tail.length, 8);
  assert.deepEqual(tail.slice(-REF.dmesg.last.length), REF.dmesg.last);
  assert.match(
    lines.find((l) => l.startsWith("Kernel log"))!,
    new RegExp(`of ${REF.dmesg.lines} `),
  );
});

Deno.test("sampleFiles: unpacks once, verifies, and re-unpacks a damaged copy", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const first = sampleFiles(dir);
    const before = Deno.statSync(first.vmlinux).mtime;
    const again = sampleFiles(dir);
    assert.deepEqual(again, first);
    assert.deepEqual(Deno.statSync(again.vmlinux).mtime, before, "reused, not rewritten");
    // A truncated copy (size no longer matches the stamp) is detected and replaced.
    const size = Deno.statSync(first.vmcore).size;
    Deno.truncateSync(first.vmcore, 4096);
    sampleFiles(dir);
    assert.equal(Deno.statSync(first.vmcore).size, size);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
