/**
 * Loaded modules (helpers/linux/module.ts) on the kernel dumps, compared
 * with the `modules` list as drgn walks it and the module whose regions
 * contain an address (drgn 0.0.22 has no module helpers: the generator
 * computes the kernel's `__module_address()` over drgn objects).
 */

import assert from "node:assert/strict";
import {
  addressToModule,
  findModule,
  forEachModule,
  moduleAddressRegions,
} from "../../../helpers/linux/module.ts";
import { kernelReference } from "../../_programs.ts";
import { dumpProgram, DUMPS, golden, hex } from "./_dumps.ts";

for (const dump of DUMPS) {
  Deno.test(`forEachModule(), findModule(), addressToModule() on ${dump}: as drgn`, async () => {
    const prog = await dumpProgram(dump);
    const g = golden(dump).modules;
    const got = [...forEachModule(prog)].map((m) => ({
      name: m.name.string_(),
      address: hex(m),
      layouts: moduleAddressRegions(m).map((r) => [hex(r.start), Number(r.size)]),
    }));
    const want = g.list.map((m: { layouts: [string, number][] }) => ({
      ...m,
      layouts: m.layouts.filter(([, size]) => size !== 0),
    }));
    assert.deepEqual(got, want);
    for (const m of g.list) assert.equal(hex(findModule(prog, m.name)), m.address);
    const none = findModule(prog, "no_such_module");
    assert.equal(none.value_(), 0n);
    assert.equal(none.type_.toString(), "struct module *");
    for (const [address, name] of g.address_to_module as [string, string | null][]) {
      const mod = addressToModule(prog, BigInt(address));
      assert.equal(mod.value_() === 0n ? null : mod.name.string_(), name, address);
    }
  });
}

Deno.test("forEachModule() and addressToModule() on the fixture: the reference JSON's modules", async () => {
  const prog = await dumpProgram("mdf-c-d31.kdump");
  const ref = kernelReference("mdf-c-d31.kdump");
  const mods = ref.modules as { name: string; core_base: string; core_size: number }[];
  assert.deepEqual([...forEachModule(prog)].map((m) => m.name.string_()), mods.map((m) => m.name));
  for (const m of mods) {
    const [core] = moduleAddressRegions(findModule(prog, m.name));
    assert.equal(hex(core!.start), m.core_base);
    assert.equal(Number(core!.size), m.core_size);
  }
  const fns = ref.module_debug_info as Record<string, { address: string }>;
  const owner: Record<string, string> = { brd_submit_bio: "brd", dummy_xmit: "dummy" };
  for (const [fn, mod] of Object.entries(owner)) {
    assert.equal(addressToModule(prog, BigInt(fns[fn]!.address)).name.string_(), mod);
  }
});
