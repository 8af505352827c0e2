/**
 * Unwinding through a signal frame, on a live process built here: `busy()`
 * is interrupted by SIGALRM, whose handler blocks in `pause()`. The trace
 * goes from `pause()` through the handler and glibc's `__restore_rt`
 * trampoline (CFI with the `S` augmentation) to the interrupted `busy()`
 * (`interrupted`, looked up at its exact PC) and `main()`, as gdb 13's
 * `bt` on the same process shows it (gdb prints the trampoline as
 * `<signal handler called>`).
 *
 * Build command (run by the test): `gcc -g -O0 -o sig sig.c`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import "../../../lib/targets.ts";
import { Program } from "../../../lib/program/program.ts";

const SOURCE = `#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile unsigned long counter;

static void handler(int sig)
{
	printf("READY %d %d\\n", getpid(), sig);
	fflush(stdout);
	for (;;)
		pause();
}

__attribute__((noinline)) static void busy(int limit)
{
	for (;;) {
		counter++;
		if (counter == (unsigned long)limit)
			counter = 0;
	}
}

int main(void)
{
	signal(SIGALRM, handler);
	ualarm(20000, 0);
	busy(1000);
	return 0;
}
`;

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("live process: unwinding through a signal handler's frame as gdb", async () => {
  const dir = Deno.makeTempDirSync();
  const bin = join(dir, "sig");
  Deno.writeTextFileSync(join(dir, "sig.c"), SOURCE);
  await run("gcc", ["-g", "-O0", "-o", bin, join(dir, "sig.c")]);
  const child = new Deno.Command(bin, { stdout: "piped", stderr: "null", cwd: dir }).spawn();
  const reader = child.stdout.getReader();
  try {
    let text = "";
    while (!/READY (\d+)/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error("sig exited before READY");
      text += new TextDecoder().decode(value);
    }
    const pid = Number(/READY (\d+)/.exec(text)![1]);
    const p = new Program();
    p.setPid(pid);
    p.loadDebugInfo([bin], { default: true });
    const trace = p.mainThread().stackTrace();
    // gdb on the same (still blocked) process.
    const gdb = (await run("gdb", ["-p", String(pid), "-batch", "-ex", "bt"]))
      .split("\n").filter((l) => l.startsWith("#"));
    const want = gdb.map((l) => {
      if (l.includes("<signal handler called>")) return "<signal handler called>";
      const m = /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at (\S+):(\d+)$/.exec(l)!;
      return `${m[1]}:${m[3]}`;
    });
    const got = trace.frames.slice(0, want.length).map((f) => {
      if (f.name === null && f.symbol().name === "__restore_rt") return "<signal handler called>";
      return `${f.name}:${f.source().line}`;
    });
    assert.deepEqual(got, want);
    const i = want.indexOf("<signal handler called>");
    assert.equal(trace[i + 1]!.name, "busy");
    assert.equal(trace[i + 1]!.interrupted, true);
    assert.equal(trace[i + 1]!.get("limit").value_(), 1000);
    assert.equal(trace[i - 1]!.get("sig").value_(), 14);
    assert.equal(trace.truncated, null);
  } finally {
    reader.releaseLock();
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
});
