// slabinfo: list the slab caches with their object size, slot size, number
// of allocated objects, reference count (above 1: merged caches) and address.
//
//   deno run -A scripts/slabinfo.ts VMCORE -s VMLINUX
//   deno run -A dist/mod.js -c VMCORE -s VMLINUX scripts/slabinfo.ts
import {
  escapeAsciiString,
  forEachSlabCache,
  slabCacheForEachAllocatedObject,
} from "../dist/prelude.js";

const lines = [
  `${"NAME".padEnd(24)} ${"OBJSIZE".padStart(8)} ${"SIZE".padStart(8)} ${
    "ALLOCATED".padStart(10)
  } ${"REFS".padStart(5)}  ADDRESS`,
];
for (const s of forEachSlabCache(prog)) {
  let allocated = 0;
  for (const _ of slabCacheForEachAllocatedObject(s, "void")) allocated++;
  const name = escapeAsciiString(s.name.stringBytes_(), { escapeBackslash: true });
  lines.push(
    `${name.padEnd(24)} ${String(s.object_size.value_()).padStart(8)} ${
      String(s.size.value_()).padStart(8)
    } ${String(allocated).padStart(10)} ${String(s.refcount.value_()).padStart(5)}  0x${
      s.value_().toString(16)
    }`,
  );
}
console.log(lines.join("\n"));
