// Benchmark child (goals 2 and 3 of scripts/bench.ts) on the `big` user
// fixture: walks the 1,000,000-node list from `g_big_head` summing `value`
// ("list"), or reads `g_big_array[i].key` for every element ("array"),
// through the object API. Prints one JSON line: the result and the time of
// the walk alone (the core and debug info are loaded first, untimed).
//
//   deno run -A scripts/bench_big.ts list|array CORE BINARY
import "../lib/targets.ts";
import { Program } from "../lib/program/program.ts";

const [what, core, binary] = Deno.args;
if ((what !== "list" && what !== "array") || core === undefined || binary === undefined) {
  console.error("usage: bench_big.ts list|array CORE BINARY");
  Deno.exit(2);
}
const prog = new Program();
prog.setCoreDump(core);
prog.loadDebugInfo([binary], { default: true });
let sum = 0n;
let count = 0;
const t = performance.now();
if (what === "list") {
  let node = prog.object("g_big_head");
  // `while (node)`: a null pointer ends the list.
  while (node.value_() !== 0n) {
    sum += node.value.value_() as bigint;
    count++;
    node = node.next;
  }
} else {
  const arr = prog.object("g_big_array");
  const n = arr.type_.length ?? 0;
  for (let i = 0; i < n; i++) {
    sum += arr[i]!.key.value_() as bigint;
    count++;
  }
}
const ms = performance.now() - t;
const main = prog.modules.find((m) => m.kind === "main");
console.log(JSON.stringify({ count, sum: String(sum), ms, bias: `0x${main?.bias.toString(16)}` }));
