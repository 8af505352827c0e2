/**
 * The Debian 6.1 vmlinux (174 MB of DWARF 5): indexed with workers, the
 * same index as on one thread, and answers checked against drgn's text of
 * `struct task_struct` and gdb (`ptype/o struct task_struct`,
 * `print &init_task`, `print (int)PIDTYPE_PID`, …).
 */

import assert from "node:assert/strict";
import { DW_TAG } from "../../../lib/dwarf/constants.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { locationList } from "../../../lib/dwarf/loclists.ts";
import { NameIndex } from "../../../lib/dwarf/name_index.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { formatTypeName } from "../../../lib/types/format_type.ts";
import { sizeOf } from "../../../lib/types/type.ts";
import { ensureVmlinux, FIXTURES } from "./_sections.ts";
import { readElfSections } from "./_sections.ts";

const path = ensureVmlinux();

Deno.test({
  name: "DwarfInfo on the Debian vmlinux agrees with drgn and gdb",
  ignore: path === null,
  sanitizeResources: false,
  async fn() {
    const { sections, littleEndian } = readElfSections(path!, { shared: true });
    const s = dwarfSectionsFromMap(sections);
    const d = await DwarfInfo.load(s, { littleEndian, name: "vmlinux", parallel: true });

    // drgn's str(prog.type("struct task_struct")), character for character.
    const ts = d.findType("struct task_struct")!;
    const drgnText = Deno.readTextFileSync(`${FIXTURES}/kernel/reference/task_struct.txt`);
    assert.equal(ts.toString(), drgnText.trimEnd());
    // gdb ptype/o: total size and member offsets.
    assert.equal(sizeOf(ts), 9792);
    const off = (m: string) => ts.member(m).bitOffset / 8;
    assert.equal(off("thread_info"), 0);
    assert.equal(off("__state"), 24);
    assert.equal(off("stack"), 32);
    assert.equal(off("tasks"), 2192);
    assert.equal(off("mm"), 2272);
    assert.equal(off("pid"), 2416);
    assert.equal(off("tgid"), 2420);
    assert.equal(off("real_parent"), 2432);
    assert.equal(off("comm"), 2976);
    assert.equal(off("thread"), 5376);
    assert.equal(formatTypeName(ts.member("comm").type), "char [16]");
    assert.equal(sizeOf(d.findType("struct rq")!), 3264);

    // gdb: print &init_task (unrelocated; the dump's KASLR offset is 0x6800000).
    const it = d.findObject("init_task", "variable");
    assert.ok(it !== null && it.kind === "variable");
    assert.equal(it.address, 0xffffffff82a1aa40n);
    assert.equal(formatTypeName(it.type), "struct task_struct");
    // init/init_task.c's copy of the struct is the one the lookup found (the
    // same header definition, made one Type); so are its members' types.
    assert.equal(it.type, ts);
    assert.equal(it.type.member("signal").type, ts.member("signal").type);
    assert.equal(d.findType("struct list_head"), ts.member("tasks").type);
    // With the KASLR offset as bias, the address drgn reports on the dump.
    const biased = new DwarfInfo(s, { littleEndian, bias: 0x6800000n });
    biased.buildIndex();
    const it2 = biased.findObject("init_task");
    assert.ok(it2 !== null && it2.kind === "variable");
    assert.equal(it2.address, 0xffffffff8921aa40n);

    // Enumerators (gdb: print (int)PIDTYPE_PID etc.). TASK_COMM_LEN is an
    // enumerator in 6.1 (`enum { TASK_COMM_LEN = 16 }`).
    for (
      const [name, value] of [["PIDTYPE_PID", 0n], ["MODULE_STATE_LIVE", 0n], [
        "TASK_COMM_LEN",
        16n,
      ]] as const
    ) {
      const c = d.findObject(name, "constant");
      assert.ok(c !== null && c.kind === "constant", name);
      assert.equal(c.value, value, name);
    }
    // jiffies is a linker alias with no DWARF variable (drgn: KeyError too).
    assert.equal(d.findObject("jiffies"), null);
    assert.equal(d.findObject("jiffies_64", "variable")?.kind, "variable");
    assert.equal(d.language, null, "no main(): the caller's default language applies");

    // PC lookups: .debug_aranges, the unit's DW_AT_ranges (.debug_rnglists),
    // and the function's location lists (.debug_loclists).
    const sched = d.findObject("schedule", "function");
    assert.ok(sched !== null && sched.kind === "function" && sched.address !== null);
    const unit = d.unitForPc(sched.address + 4n)!;
    assert.equal(d.reader.unitInfo(unit).name, "kernel/sched/core.c");
    const scopes = d.scopesAt(sched.address + 4n);
    assert.equal(d.nameOf(scopes[0]!), "schedule");
    const noAranges = new DwarfInfo({ ...s, aranges: undefined }, { littleEndian });
    assert.equal(noAranges.unitForPc(sched.address + 4n)?.offset, unit.offset);
    let lists = 0;
    for (const c of d.reader.children(d.reader.die(d.findObject("do_exit", "function")!.die))) {
      if (c.tag !== DW_TAG.formal_parameter && c.tag !== DW_TAG.variable) continue;
      const l = locationList(c);
      if (l === null || l.length < 2) continue;
      lists++;
      for (const e of l) assert.ok(e.end > e.start && e.expr.length > 0);
    }
    assert.ok(lists > 0, "do_exit has location lists");

    // Single-threaded index: the same entries; and the serialized form round-trips.
    const serial = new DwarfInfo(s, { littleEndian });
    const a = d.index;
    const b = serial.buildIndex();
    assert.equal(a.count, b.count);
    for (const k of ["die", "unit", "aux", "nameOff", "hash", "kind", "flags"] as const) {
      assert.deepEqual(a[k], b[k], k);
    }
    const bytes = a.serialize();
    const back = NameIndex.deserialize(bytes, s, d.reader.units);
    assert.equal(back.count, a.count);
    assert.deepEqual(back.bucketStart, a.bucketStart);
  },
});
