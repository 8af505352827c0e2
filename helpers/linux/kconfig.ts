/**
 * The kernel's build configuration, when it was built with
 * `CONFIG_IKCONFIG`, as drgn's `drgn.helpers.linux.kconfig`.
 *
 * The kernel embeds its `.config`, gzipped, between the magic strings
 * `IKCFG_ST` and `IKCFG_ED`; since Linux kernel commit 13610aa908dc
 * ("kernel/configs: use .incbin directive to embed config_data.gz") (in
 * v5.1) the symbols `kernel_config_data` and `kernel_config_data_end`
 * delimit the gzip data, before it a `kernel_config_data` array holds the
 * magic strings too.
 *
 * @example
 * ```ts
 * import { getKconfig } from "./kconfig.ts";
 * import { Program } from "../../lib/program/program.ts";
 * import "../../lib/targets.ts";
 * import { sampleVmlinux } from "../../tests/_programs.ts";
 * const prog = new Program();
 * prog.setCoreDump(new URL("../../tests/data/sample/vmcore.mdf-c-d31.kdump", import.meta.url).pathname);
 * prog.loadDebugInfo([await sampleVmlinux()]);
 * if (getKconfig(prog).get("CONFIG_HZ") !== "250") throw new Error();
 * ```
 *
 * @module
 */

import { decodeUtf8 } from "../../lib/binary/byte_reader.ts";
import { gunzip } from "../../lib/binary/inflate.ts";
import { LookupError } from "../../lib/errors.ts";
import type { Program } from "../../lib/program/program.ts";

const cache = new WeakMap<object, ReadonlyMap<string, string>>();

function configData(prog: Program): Uint8Array {
  let start: bigint | null = null;
  let end: bigint | null = null;
  try {
    start = prog.symbol("kernel_config_data").address;
    end = prog.symbol("kernel_config_data_end").address;
  } catch (e) {
    if (!(e instanceof LookupError)) throw e;
  }
  if (start !== null && end !== null) return prog.read(start, Number(end - start));
  const v = prog.tryObject("kernel_config_data");
  if (v === null || v.address_ === null) {
    throw new LookupError(
      "kernel configuration data not found; kernel must be compiled with CONFIG_IKCONFIG",
      "object",
      "kernel_config_data",
    );
  }
  // "IKCFG_ST" + gzip data + "IKCFG_ED" + NUL.
  const size = (v.type_.length ?? 0) - 17;
  return prog.read(v.address_ + 8n, size);
}

/**
 * The kernel's configuration as a map from option name to value
 * (`CONFIG_SMP` → `y`); options that are not set are absent.
 *
 * @param prog the program (a kernel)
 * @returns the options
 * @throws {LookupError} if the kernel was built without `CONFIG_IKCONFIG`
 *
 * @example
 * ```ts
 * import { getKconfig } from "./kconfig.ts";
 * import { LookupError } from "../../lib/errors.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * try {
 *   getKconfig(await kernelProgram());
 *   throw new Error("Debian kernels have no IKCONFIG");
 * } catch (e) {
 *   if (!(e instanceof LookupError)) throw e;
 * }
 * ```
 */
export function getKconfig(prog: Program): ReadonlyMap<string, string> {
  const hit = cache.get(prog);
  if (hit) return hit;
  const text = decodeUtf8(gunzip(configData(prog), "kernel_config_data"));
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const value = line.slice(eq + 1);
    if (value !== "") map.set(line.slice(0, eq), value);
  }
  cache.set(prog, map);
  return map;
}
