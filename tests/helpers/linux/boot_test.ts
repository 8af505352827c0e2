/**
 * Boot facts and the kernel configuration (helpers/linux/boot.ts,
 * kconfig.ts) on the kernel dumps, compared with drgn 0.0.22's answers
 * (the Debian kernel has no IKCONFIG; the sample kernel has it built in).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { LookupError } from "../../../lib/errors.ts";
import {
  findVmlinux,
  kaslrOffset,
  pgtableL5Enabled,
  utsRelease,
} from "../../../helpers/linux/boot.ts";
import { getKconfig } from "../../../helpers/linux/kconfig.ts";
import { CACHE, kernelReference } from "../../_programs.ts";
import { dumpProgram, DUMPS, golden } from "./_dumps.ts";

for (const dump of DUMPS) {
  Deno.test(`utsRelease(), kaslrOffset(), pgtableL5Enabled() on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump);
    assert.equal(utsRelease(prog), g.uts_release);
    assert.equal("0x" + kaslrOffset(prog).toString(16), g.kaslr_offset);
    assert.equal(pgtableL5Enabled(prog), g.pgtable_l5_enabled);
  });

  Deno.test(`getKconfig() on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).kconfig;
    if (g.error) {
      assert.equal(g.error, "LookupError");
      assert.throws(
        () => getKconfig(prog),
        (e: Error) => e instanceof LookupError && e.message === g.message,
      );
      return;
    }
    const cfg = getKconfig(prog);
    assert.equal(cfg.size, g.count);
    const text = [...cfg].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([k, v]) =>
      `${k}=${v}\n`
    )
      .join("");
    assert.equal(createHash("sha256").update(text).digest("hex"), g.sha256);
    for (const [k, v] of Object.entries(g.some)) assert.equal(cfg.get(k) ?? null, v, k);
    assert.equal(getKconfig(prog), cfg); // cached per program
  });
}

Deno.test("getKconfig() on the sample kernel: the same options as its config file", async () => {
  const prog = await dumpProgram("sample");
  const cfg = getKconfig(prog);
  const file = Deno.readTextFileSync(new URL("../../../scripts/sample/config", import.meta.url));
  const want = new Map<string, string>();
  for (const line of file.split("\n")) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) want.set(m[1]!, m[2]!);
  }
  assert.deepEqual(new Map([...cfg].sort()), new Map([...want].sort()));
});

Deno.test("utsRelease() and kaslrOffset() agree with the fixture reference JSON", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const ref = kernelReference("mdf-c-d31.kdump");
  assert.equal(utsRelease(prog), ref.uts_release);
  assert.equal("0x" + kaslrOffset(prog).toString(16), ref.kaslr_offset);
});

Deno.test("findVmlinux() looks in the given directories first, then the standard places", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const release = utsRelease(prog);
  assert.equal(findVmlinux(release, [CACHE]), join(CACHE, `vmlinux-${release}`));
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(findVmlinux("0.0.0-none", [dir]), null);
    Deno.writeTextFileSync(join(dir, "vmlinux"), "");
    assert.equal(findVmlinux("0.0.0-none", [dir]), join(dir, "vmlinux"));
    Deno.writeTextFileSync(join(dir, "vmlinux-0.0.0-none"), "");
    assert.equal(findVmlinux("0.0.0-none", [dir]), join(dir, "vmlinux-0.0.0-none"));
    assert.equal(findVmlinux("0.0.0-none", [join(dir, "vmlinux")]), join(dir, "vmlinux"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
