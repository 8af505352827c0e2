/**
 * Times lib/binary/inflate.ts against node:zlib:
 *
 * - every zlib page of the makedumpfile `-c` kdump fixture, decoded into one
 *   4 KiB buffer with `inflateZlib`, and with `zlib.inflateSync` called the
 *   way diskdump.ts calls it (`maxOutputLength` and `chunkSize` of a page);
 * - 32 MiB of the vmlinux's `.debug_info` compressed with zlib (level 6),
 *   and the same as gzip;
 * - CRC-32 and Adler-32 over the same 32 MiB;
 * - the start-up cost of importing each (fresh processes).
 *
 * Prints the best and median of several rounds.
 *
 *     deno run -A scripts/bench_inflate.ts
 *
 * @module
 */

import * as zlib from "node:zlib";
import { adler32, crc32 } from "../lib/binary/checksum.ts";
import { gunzip, inflateZlib } from "../lib/binary/inflate.ts";
import { debugInfoSlice, kdumpZlibPages } from "../tests/lib/binary/_inflate_data.ts";

const ROUNDS = 11;

function times(f: () => void, rounds = ROUNDS): { best: number; median: number } {
  f(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    f();
    t.push(performance.now() - start);
  }
  t.sort((a, b) => a - b);
  return { best: t[0]!, median: t[t.length >> 1]! };
}

function row(label: string, ours: number, node: number, unit: string, digits: number): void {
  // For times, lower is better; for rates, higher: the ratio is always node / ours in time.
  const ratio = unit.endsWith("/s") ? ours / node : node / ours;
  console.log(
    `${label.padEnd(34)} ours ${ours.toFixed(digits).padStart(8)} ${unit}   node:zlib ${
      node.toFixed(digits).padStart(8)
    } ${unit}   ours is ${ratio.toFixed(2)}x as fast`,
  );
}

// --- kdump pages -----------------------------------------------------------------

const { pageSize, pages } = kdumpZlibPages();
const compressed = pages.reduce((n, p) => n + p.length, 0);
console.log(
  `${pages.length} zlib pages of ${pageSize} bytes, ${(compressed / pages.length).toFixed(0)} ` +
    `compressed bytes on average`,
);
const page = new Uint8Array(pageSize);
const oursPages = times(() => {
  for (const p of pages) inflateZlib(p, page);
});
const nodePages = times(() => {
  for (const p of pages) {
    page.set(zlib.inflateSync(p, { maxOutputLength: pageSize, chunkSize: pageSize }));
  }
});
const perPage = (ms: number) => (ms * 1000) / pages.length;
const pageRate = (ms: number) => (pages.length * pageSize) / 1e3 / ms;
row("page, best (µs/page)", perPage(oursPages.best), perPage(nodePages.best), "µs", 2);
row("page, median (µs/page)", perPage(oursPages.median), perPage(nodePages.median), "µs", 2);
row("page output rate, best", pageRate(oursPages.best), pageRate(nodePages.best), "MB/s", 0);

// --- a multi-megabyte buffer -----------------------------------------------------

const data = await debugInfoSlice(32 << 20);
const z = zlib.deflateSync(data, { level: 6 });
const gz = zlib.gzipSync(data, { level: 6 });
console.log(
  `\n.debug_info: ${(data.length / 2 ** 20).toFixed(0)} MiB, zlib level 6 to ` +
    `${(z.length / 2 ** 20).toFixed(1)} MiB`,
);
const big = new Uint8Array(data.length);
const mb = data.length / 1e6;
const oursZ = times(() => inflateZlib(z, big), 5);
const nodeZ = times(() => zlib.inflateSync(z), 5);
row("zlib 32 MiB, best (MB/s out)", mb / oursZ.best * 1e3, mb / nodeZ.best * 1e3, "MB/s", 0);
const oursG = times(() => gunzip(gz), 5);
const nodeG = times(() => zlib.gunzipSync(gz), 5);
row("gzip 32 MiB, best (MB/s out)", mb / oursG.best * 1e3, mb / nodeG.best * 1e3, "MB/s", 0);
if (!Buffer.from(big.buffer).equals(data)) throw new Error("inflateZlib output differs");

// --- checksums -------------------------------------------------------------------

const oursCrc = times(() => crc32(data), 5);
const nodeCrc = times(() => zlib.crc32(data), 5);
row("crc32 32 MiB, best", mb / oursCrc.best * 1e3, mb / nodeCrc.best * 1e3, "MB/s", 0);
const oursAdler = times(() => adler32(data), 5);
console.log(
  `${"adler32 32 MiB, best".padEnd(34)} ours ${(mb / oursAdler.best * 1e3).toFixed(0)} MB/s`,
);

// --- start-up --------------------------------------------------------------------

/** Milliseconds to import `specifier` in a fresh Deno process (median of 5). */
async function importCost(specifier: string): Promise<number> {
  const code = `const t = performance.now(); await import(${
    JSON.stringify(specifier)
  }); console.log(performance.now() - t);`;
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    t.push(Number(new TextDecoder().decode(out.stdout)));
  }
  t.sort((a, b) => a - b);
  return t[2]!;
}
const here = new URL("../lib/binary/inflate.ts", import.meta.url).href;
const oursImport = await importCost(here);
const nodeImport = await importCost("node:zlib");
console.log(
  `\nimport cost (fresh process, median of 5): inflate.ts ${oursImport.toFixed(1)} ms, ` +
    `node:zlib ${nodeImport.toFixed(1)} ms`,
);
