/**
 * The sample kernel crash dump shipped in `scripts/sample/` (a minimal
 * Linux 6.1 kernel dumped by QEMU in its kdump-zlib format): decompressed
 * once into the user's cache directory, checked against `SHA256SUMS`, and
 * reused on later runs.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { TargetError } from "../errors.ts";
import { wyvernCacheDir } from "../env.ts";

/** The sample's files, decompressed. */
export interface SampleFiles {
  /** The kernel's vmlinux (DWARF 5, ORC). */
  readonly vmlinux: string;
  /** QEMU's `dump-guest-memory` kdump-zlib output (flattened layout). */
  readonly vmcore: string;
  /** Debug file of the one loaded module, `wyvern_demo`. */
  readonly module: string;
}

const SAMPLE_DIR = new URL("../../scripts/sample/", import.meta.url);

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function expectedSums(): Map<string, string> {
  const sums = new Map<string, string>();
  const text = Deno.readTextFileSync(new URL("SHA256SUMS", SAMPLE_DIR));
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}

/** Whether `path` holds exactly the bytes whose SHA-256 is `sum`. */
function isIntact(path: string, size: number | null, sum: string): boolean {
  try {
    if (size !== null && Deno.statSync(path).size !== size) return false;
    return sha256(Deno.readFileSync(path)) === sum;
  } catch {
    return false;
  }
}

/**
 * Decompresses `name`.zst from `scripts/sample/` into `dir` (once: an
 * intact copy there is reused), verifying both the compressed and the
 * decompressed bytes.
 */
function unpack(name: string, dir: string, sums: Map<string, string>): string {
  const out = join(dir, name);
  const want = sums.get(name);
  if (want === undefined) throw new TargetError(name, "not listed in scripts/sample/SHA256SUMS");
  const stamp = `${out}.ok`;
  // A stamp file records that `out` was verified; re-verify only if sizes disagree.
  try {
    const [size, sum] = Deno.readTextFileSync(stamp).split(" ");
    if (sum === want && Deno.statSync(out).size === Number(size)) return out;
  } catch {
    // not unpacked yet
  }
  const srcUrl = new URL(`${name}.zst`, SAMPLE_DIR);
  const packed = Deno.readFileSync(srcUrl);
  const packedWant = sums.get(`${name}.zst`);
  if (packedWant !== undefined && sha256(packed) !== packedWant) {
    throw new TargetError(srcUrl.pathname, "SHA-256 does not match scripts/sample/SHA256SUMS");
  }
  if (!isIntact(out, null, want)) {
    const data = new Uint8Array(zstdDecompressSync(packed));
    if (sha256(data) !== want) {
      throw new TargetError(srcUrl.pathname, "decompressed data does not match SHA256SUMS");
    }
    Deno.mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${Deno.pid}.tmp`;
    Deno.writeFileSync(tmp, data);
    Deno.renameSync(tmp, out);
  }
  try {
    Deno.writeTextFileSync(stamp, `${Deno.statSync(out).size} ${want}`);
  } catch {
    // the stamp only saves time
  }
  return out;
}

/**
 * The sample dump's files, decompressed into `<cache>/sample/` (needs read
 * and write access there; a fresh machine takes about a second the first
 * time).
 */
export function sampleFiles(dir?: string): SampleFiles {
  const base = dir ?? wyvernCacheDir();
  if (base === null) {
    throw new TargetError("scripts/sample", "no cache directory: set WYVERN_CACHE_DIR or HOME");
  }
  const sampleDir = dir ?? join(base, "sample");
  const sums = expectedSums();
  return {
    vmlinux: unpack("vmlinux", sampleDir, sums),
    vmcore: unpack("vmcore.qemu-kdump-zlib.flat", sampleDir, sums),
    module: unpack("wyvern_demo.ko", sampleDir, sums),
  };
}
