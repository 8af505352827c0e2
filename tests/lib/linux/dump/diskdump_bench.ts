/**
 * Times the kdump reader on the fixture and its variants: opening (headers,
 * bitmap, rank table, notes) and reading every dumpable page once with a
 * cold cache, then 100k 8-byte reads at random dumpable addresses (mostly
 * page-cache misses), then 100k within 1000 pages (page-cache hits). Prints
 * medians of 5 runs.
 *
 *     deno run -A tests/lib/linux/dump/diskdump_bench.ts
 *
 * Variants that need makedumpfile are made into the cache first, as the tests do.
 */

import { FileReader } from "../../../../lib/binary/file_reader.ts";
import { resolveDumpFormat } from "../../../../lib/linux/dump/detect.ts";
import { DiskDump } from "../../../../lib/linux/dump/diskdump.ts";
import {
  flatKdump,
  hasMakedumpfile,
  KDUMP_FIXTURE,
  lzoKdump,
  qemuStyleFiles,
  reencodedKdump,
} from "./_fixtures.ts";

const RUNS = 5;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

function open(path: string): DiskDump {
  return DiskDump.open(resolveDumpFormat(FileReader.open(path)).reader);
}

function bench(label: string, path: string): void {
  const opens: number[] = [];
  const reads: number[] = [];
  const randoms: number[] = [];
  const hits: number[] = [];
  let pages = 0;
  for (let run = 0; run < RUNS; run++) {
    let t = performance.now();
    const dump = open(path);
    opens.push(performance.now() - t);
    const buf = new Uint8Array(dump.pageSize);
    const ps = BigInt(dump.pageSize);
    t = performance.now();
    pages = 0;
    for (let pfn = 0; pfn < dump.maxPfn; pfn++) {
      if (!dump.isDumpable(pfn)) continue;
      dump.readPhysical(BigInt(pfn) * ps, buf, 0, dump.pageSize);
      pages++;
    }
    reads.push(performance.now() - t);
    // Random 8-byte reads over the dumpable pages (a pointer chase's pattern).
    const ranges = dump.ranges();
    const addrs: bigint[] = [];
    let x = 12345;
    for (let i = 0; i < 100000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const r = ranges[x % ranges.length]!;
      const span = Number(r.end - r.start) - 8;
      addrs.push(r.start + BigInt((x >>> 3) % span));
    }
    const small = new Uint8Array(8);
    dump.clearCache();
    t = performance.now();
    for (const a of addrs) dump.readPhysical(a, small, 0, 8);
    randoms.push(performance.now() - t);
    // The same reads again over a 1000-page working set: cache hits.
    const hotPfns: number[] = [];
    for (let pfn = 0; hotPfns.length < 1000 && pfn < dump.maxPfn; pfn++) {
      if (dump.isDumpable(pfn)) hotPfns.push(pfn);
    }
    const hot = addrs.map((a, i) => BigInt(hotPfns[i % hotPfns.length]!) * ps + (a % (ps - 8n)));
    for (const a of hot) dump.readPhysical(a, small, 0, 8);
    t = performance.now();
    for (const a of hot) dump.readPhysical(a, small, 0, 8);
    hits.push(performance.now() - t);
    dump.close();
  }
  const readMs = median(reads);
  console.log(
    `${label.padEnd(24)} open ${median(opens).toFixed(1).padStart(6)} ms   ` +
      `read ${pages} pages ${readMs.toFixed(0).padStart(5)} ms = ${
        Math.round(pages / readMs * 1000).toString().padStart(7)
      } pages/s (${(pages * 4096 / readMs / 1000).toFixed(0)} MB/s)   ` +
      `100k random 8-byte reads ${median(randoms).toFixed(0)} ms, ` +
      `cached ${(median(hits) * 10).toFixed(0)} ns each`,
  );
}

bench("zlib (mdf -c -d 31)", KDUMP_FIXTURE);
bench("snappy (re-encoded)", reencodedKdump("snappy"));
bench("zstd (re-encoded)", reencodedKdump("zstd"));
if (hasMakedumpfile()) {
  bench("lzo (mdf -l -d 31)", lzoKdump());
  bench("flattened zlib (mdf -F)", flatKdump());
}
const qemu = qemuStyleFiles();
bench("QEMU-style zlib, flat", qemu.flat);
bench("QEMU-style zlib, plain", qemu.plain);
