// lsmod: list a kernel's loaded modules as lsmod(8) does: name, size, use count and users.
//
//   deno run -A scripts/lsmod.ts VMCORE -s VMLINUX
//   deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/lsmod.ts
import { forEachModule, listForEachEntry, moduleAddressRegions } from "../dist/prelude.js";

const lines = ["Module                  Size  Used by"];
for (const mod of forEachModule(prog)) {
  // /proc/modules: the size of all the module's memory; the use count is
  // module_refcount(), the counter less its base of 1; the users are the
  // modules on its source_list.
  const size = moduleAddressRegions(mod).reduce((sum, r) => sum + r.size, 0n);
  const used = Number(mod.refcnt.counter.value_()) - 1;
  const users = [...listForEachEntry("struct module_use", mod.source_list, "source_list")]
    .map((use) => use.source.name.string_());
  const line = `${mod.name.string_().padEnd(19)} ${String(size).padStart(8)}  ${used}`;
  lines.push(users.length > 0 ? `${line} ${users.join(",")}` : line);
}
console.log(lines.join("\n"));
