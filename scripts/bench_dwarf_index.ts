// Benchmarks the DWARF name index on a big file (default: the Debian vmlinux):
// section reading, single-threaded and parallel index builds, the serialized
// index (size, write, read), peak RSS, and the first `struct task_struct`
// lookup; with --drgn, drgn 0.0.22's load_debug_info on the same file.
//
//   deno run --allow-read --allow-env --allow-run --allow-ffi scripts/bench_dwarf_index.ts [FILE] [--runs N] [--drgn]
//
// Times are wall-clock medians; the machine may be shared, so also watch
// the min.

import { DwarfInfo } from "../lib/dwarf/dwarf_info.ts";
import { toShared } from "../lib/dwarf/index_parallel.ts";
import { dwarfSectionsFromMap, sectionOrigin } from "../lib/dwarf/sections.ts";
import { buildNameIndex } from "../lib/dwarf/name_index.ts";
import { dwarfSectionsOf } from "../lib/program/dwarf_source.ts";
import { ElfFile } from "../lib/elf/elf_file.ts";
import "../lib/types/format_type.ts";

const args = [...Deno.args];
const flag = (f: string) => {
  const i = args.indexOf(f);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
};
const option = (f: string, dflt: number) => {
  const i = args.indexOf(f);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const runDrgn = flag("--drgn");
const runs = option("--runs", 5);
let cache = "/var/cache/wyvern-fixtures";
try {
  cache = Deno.env.get("WYVERN_CACHE") ?? cache;
} catch { /* no --allow-env */ }
const path = args[0] ?? `${cache}/vmlinux-6.1.0-56-amd64`;

const ms = (t: number) => `${t.toFixed(1)} ms`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${ms(s[s.length >> 1]!)}, min ${ms(s[0]!)} (${xs.length} runs)`;
};
let peakRss = 0;
const rss = () => {
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
};

// 1. Sections.
let t = performance.now();
const elf = ElfFile.open(path);
const names = [
  ".debug_info",
  ".debug_abbrev",
  ".debug_str",
  ".debug_line_str",
  ".debug_str_offsets",
  ".debug_addr",
  ".debug_types",
  ".debug_line",
  ".debug_rnglists",
  ".debug_ranges",
  ".debug_loclists",
  ".debug_loc",
  ".debug_aranges",
];
const map = new Map<string, Uint8Array>();
for (const n of names) if (elf.section(n) !== undefined) map.set(n, elf.sectionData(n));
const tRead = performance.now() - t;
t = performance.now();
const shared = new Map([...map].map(([k, v]) => [k, toShared(v)]));
const tShare = performance.now() - t;
const sections = dwarfSectionsFromMap(shared);
const littleEndian = elf.littleEndian;
rss();
console.log(`file: ${path}`);
console.log(
  `.debug_info ${(sections.info.length / 1e6).toFixed(1)} MB, .debug_abbrev ${
    (sections.abbrev.length / 1e6).toFixed(1)
  } MB, .debug_str ${((sections.str?.length ?? 0) / 1e6).toFixed(1)} MB`,
);
console.log(`read sections (ElfFile): ${ms(tRead)}; copy into SharedArrayBuffers: ${ms(tShare)}`);

// 2. Index builds.
const serial: number[] = [];
const parallel: number[] = [];
let info!: DwarfInfo;
for (let i = 0; i < runs; i++) {
  t = performance.now();
  const d = await DwarfInfo.load(sections, { littleEndian, parallel: false });
  serial.push(performance.now() - t);
  rss();
  t = performance.now();
  info = await DwarfInfo.load(sections, { littleEndian, parallel: true });
  parallel.push(performance.now() - t);
  rss();
  if (d.index.count !== info.index.count) throw new Error("parallel and serial indexes differ");
}
console.log(`index, single thread: ${stats(serial)}`);
console.log(
  `index, parallel (${navigator.hardwareConcurrency} cores: workers + main thread): ${
    stats(parallel)
  }`,
);
console.log(
  `entries: ${info.index.count}, index arrays: ${(info.index.byteSize / 1e6).toFixed(1)} MB`,
);

// 2b. The way a program opens the file: sections mapped in place (with FFI
// permission), index built on 1, 2 and 3 threads (scanShared).
{
  const melf = ElfFile.open(path);
  const ms = dwarfSectionsOf(melf, undefined, true, true);
  if (ms !== null && sectionOrigin(ms.info) !== null) {
    const units = new DwarfInfo(ms, { littleEndian }).units;
    for (const threads of [1, 2, 3]) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        t = performance.now();
        const idx = buildNameIndex(ms, units, { littleEndian, threads });
        times.push(performance.now() - t);
        if (idx.count !== info.index.count) throw new Error("mapped index differs");
      }
      console.log(`index over the mapped file, ${threads} thread(s): ${stats(times)}`);
    }
  } else {
    console.log("index over the mapped file: no map (run with --allow-ffi)");
  }
}

// 3. Serialized index (the warm-start cache).
t = performance.now();
const bytes = info.serializeIndex();
const tSer = performance.now() - t;
const loads: number[] = [];
for (let i = 0; i < runs; i++) {
  t = performance.now();
  const d = await DwarfInfo.load(sections, { littleEndian, index: bytes });
  loads.push(performance.now() - t);
  if (d.index.count !== info.index.count) throw new Error("round trip differs");
}
console.log(`serialized index: ${(bytes.length / 1e6).toFixed(1)} MB, write ${ms(tSer)}`);
console.log(`DwarfInfo.load from the serialized index: ${stats(loads)}`);

// 4. First type lookup and conversion.
t = performance.now();
const ts = info.findType("struct task_struct")!;
const tFind = performance.now() - t;
t = performance.now();
const text = ts.toString();
const tStr = performance.now() - t;
t = performance.now();
const it = info.findObject("init_task");
const tObj = performance.now() - t;
rss();
console.log(
  `first findType("struct task_struct"): ${ms(tFind)}; toString() (all members): ${ms(tStr)}, ${
    text.split("\n").length
  } lines; findObject("init_task"): ${ms(tObj)} (${it?.kind})`,
);
console.log(`peak RSS: ${(peakRss / 1e6).toFixed(0)} MB`);

// 5. drgn for comparison.
if (runDrgn) {
  const py = `import drgn,time
ts=[]
for i in range(${runs}):
    p=drgn.Program(); t=time.time(); p.load_debug_info([${
    JSON.stringify(path)
  }]); ts.append(time.time()-t)
ts.sort(); print("%.1f %.1f" % (ts[len(ts)//2]*1000, ts[0]*1000))`;
  const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", py], stdout: "piped" })
    .output();
  const [med, min] = new TextDecoder().decode(out.stdout).trim().split(" ");
  console.log(`drgn 0.0.22 load_debug_info: median ${med} ms, min ${min} ms (${runs} runs)`);
}
