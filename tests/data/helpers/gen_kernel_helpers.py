#!/usr/bin/python3
"""Writes kernel_helpers.json: drgn 0.0.22's answers for the Linux helpers
(lists, hlists, rbtree, xarray/radix tree/IDR, pids and tasks, per-CPU,
CPU masks, boot facts, kconfig, printk, modules) on the kernel dumps the
tests open, and scripts_goldens.json: the output of the drgn equivalents of
scripts/ps.ts, scripts/dmesg.ts and scripts/lsmod.ts on the same dumps.

Where drgn 0.0.22 has no helper (modules, loadavg, cpu_curr,
thread_group_leader, cpumask_to_cpulist), the answer is computed here in
Python over drgn objects, following the kernel's definition.

Run: /usr/bin/python3 tests/data/helpers/gen_kernel_helpers.py
(needs the decompressed vmlinux and sample files in
${WYVERN_CACHE:-/var/cache/wyvern-fixtures}, which the Deno tests create).
"""

import hashlib
import json
import os

import drgn
from drgn import Object, offsetof, sizeof
from drgn.helpers.linux.boot import kaslr_offset, pgtable_l5_enabled
from drgn.helpers.linux.cpumask import (
    for_each_online_cpu,
    for_each_possible_cpu,
    for_each_present_cpu,
)
from drgn.helpers.linux.idr import idr_find, idr_for_each
from drgn.helpers.linux.kconfig import get_kconfig
from drgn.helpers.linux.list import (
    hlist_for_each_entry,
    list_empty,
    list_first_entry,
    list_for_each,
    list_for_each_entry,
    list_for_each_entry_reverse,
    list_is_singular,
    list_last_entry,
    validate_list,
)
from drgn.helpers.linux.list_nulls import hlist_nulls_for_each_entry
from drgn.helpers.linux.percpu import per_cpu, per_cpu_ptr, percpu_counter_sum
from drgn.helpers.linux.pid import find_pid, find_task, for_each_pid, for_each_task, pid_task
from drgn.helpers.linux.printk import get_dmesg, get_printk_records
from drgn.helpers.linux.radixtree import radix_tree_for_each, radix_tree_lookup
from drgn.helpers.linux.rbtree import (
    rb_find,
    rb_first,
    rb_last,
    rb_next,
    rb_prev,
    rbtree_inorder_for_each_entry,
    validate_rbtree,
)
from drgn.helpers.linux.sched import idle_task, task_cpu, task_state_to_char
from drgn.helpers.linux.xarray import xa_for_each, xa_load

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../../.."))
CACHE = os.environ.get("WYVERN_CACHE", "/var/cache/wyvern-fixtures")
KERNEL = "/work/shared/fixtures/kernel"
MODULES = ["qemu_fw_cfg", "loop", "brd", "dummy", "minix"]
DEBIAN = [CACHE + "/vmlinux-6.1.0-56-amd64"] + [f"{KERNEL}/debug/{m}.ko" for m in MODULES]

DUMPS = {
    "mdf-c-d31.kdump": (f"{KERNEL}/vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump", DEBIAN),
    "la57.kdump": (f"{ROOT}/tests/data/kernel/la57-128m/vmcore.mdf-c-d31.kdump", DEBIAN),
    "sample": (
        f"{ROOT}/tests/data/sample/vmcore.mdf-c-d31.kdump",
        [CACHE + "/sample/vmlinux", CACHE + "/sample/wyvern_demo.ko"],
    ),
}


def hx(v):
    return hex(v.value_() if isinstance(v, Object) else v)


def error(f):
    try:
        f()
        return None
    except Exception as e:  # noqa: BLE001
        return {"error": type(e).__name__, "message": str(e)}


def cpulist(cpus):
    """The kernel's "%*pbl" format: ranges a-b joined by commas."""
    out = []
    cpus = list(cpus)
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


def module_layouts(mod):
    """(base, size) of each memory region of a module, as the kernel has them."""
    if mod.prog_.type("struct module").has_member("mem"):
        return [(m.base.value_(), m.size.value_()) for m in mod.mem]
    out = []
    for name in ("core_layout", "init_layout", "data_layout"):
        if mod.type_.type.has_member(name):
            layout = getattr(mod, name)
            out.append((layout.base.value_(), layout.size.value_()))
    return out


def module_size(mod):
    """What /proc/modules prints as the size (`m_show()`)."""
    return sum(size for _, size in module_layouts(mod))


def modules_of(prog):
    return list(list_for_each_entry("struct module", prog["modules"].address_of_(), "list"))


def address_to_module(prog, address):
    for mod in modules_of(prog):
        for base, size in module_layouts(mod):
            if base <= address < base + size:
                return mod.name.string_().decode()
    return None


def gen_tasks(prog):
    tasks = []
    for t in for_each_task(prog):
        children = list(list_for_each_entry("struct task_struct", t.children.address_of_(), "sibling"))
        entry = {
            "address": hx(t),
            "pid": t.pid.value_(),
            "tgid": t.tgid.value_(),
            "ppid": t.real_parent.tgid.value_(),
            "comm": t.comm.string_().decode(),
            "state": task_state_to_char(t),
            "raw_state": (t.__state if t.type_.type.has_member("__state") else t.state).value_(),
            "exit_state": t.exit_state.value_(),
            "cpu": task_cpu(t),
            "on_cpu": t.on_cpu.value_(),
            "leader": t.exit_signal.value_() >= 0,
            "thread_info": hx(t.thread_info.address_of_()),
            "children": [c.pid.value_() for c in children],
            "children_empty": list_empty(t.children.address_of_()),
            "children_singular": list_is_singular(t.children.address_of_()),
        }
        if children:
            entry["children_first"] = hx(list_first_entry(t.children.address_of_(), "struct task_struct", "sibling"))
            entry["children_last"] = hx(list_last_entry(t.children.address_of_(), "struct task_struct", "sibling"))
        threads = list(list_for_each_entry("struct task_struct", t.signal.thread_head.address_of_(), "thread_node")) \
            if t.signal.type_.type.has_member("thread_head") else []
        entry["threads"] = [x.pid.value_() for x in threads]
        tasks.append(entry)
    return tasks


def gen_pids(prog):
    pids = []
    for pid in for_each_pid(prog):
        hl = []
        for ty in range(4):
            hl.append([
                x.pid.value_()
                for x in hlist_for_each_entry("struct task_struct", pid.tasks[ty].address_of_(), f"pid_links[{ty}]")
            ])
        task = pid_task(pid, 0)
        pids.append({
            "nr": pid.numbers[0].nr.value_(),
            "address": hx(pid),
            "task": hx(task),
            "tasks": hl,
        })
    finds = {}
    for nr in [0, 1, 2, 113, 4000, 99999]:
        finds[str(nr)] = {"pid": hx(find_pid(prog, nr)), "task": hx(find_task(prog, nr))}
    return pids, finds


def gen_idr(prog):
    idr = prog["init_pid_ns"].idr.address_of_()
    out = {
        "idr_for_each": [[i, hx(p)] for i, p in idr_for_each(idr)],
        "idr_find": {str(i): hx(idr_find(idr, i)) for i in [0, 1, 2, 50, 113, 1000, 1 << 40]},
        "idr_base": idr.idr_base.value_(),
    }
    rt = idr.idr_rt.address_of_()
    out["xa_for_each"] = [[i, hx(p)] for i, p in xa_for_each(rt)]
    out["xa_load"] = {str(i): hx(xa_load(rt, i)) for i in [0, 1, 2, 63, 64, 113, 4095, 4096, 1 << 40]}
    out["radix_tree_for_each"] = [[i, hx(p)] for i, p in radix_tree_for_each(rt)]
    out["radix_tree_lookup"] = {str(i): hx(radix_tree_lookup(rt, i)) for i in [1, 2, 113, 200]}
    irq = prog["irq_desc_tree"].address_of_()
    out["irq_desc_tree"] = [[i, hx(p)] for i, p in radix_tree_for_each(irq)]
    out["irq_desc_lookup"] = {str(i): hx(radix_tree_lookup(irq, i)) for i in [0, 1, 24, 25, 63, 64, 1000]}
    return out


def gen_page_cache(prog):
    """The inode with the most cached pages (a multi-level xarray)."""
    best = None
    for sb in list_for_each_entry("struct super_block", prog["super_blocks"].address_of_(), "s_list"):
        for inode in list_for_each_entry("struct inode", sb.s_inodes.address_of_(), "i_sb_list"):
            n = inode.i_mapping.nrpages.value_()
            if best is None or n > best[0]:
                best = (n, inode)
    if best is None:
        return None
    inode = best[1]
    xa = inode.i_mapping.i_pages.address_of_()
    entries = [[i, hx(p)] for i, p in xa_for_each(xa)]
    loads = {}
    for i in [0, 1, 63, 64, 65, 511, 512, 4096, 1 << 30]:
        loads[str(i)] = hx(xa_load(xa, i))
    return {"inode": hx(inode), "nrpages": best[0], "entries": entries, "xa_load": loads}


def gen_rbtree(prog):
    root = prog["vmap_area_root"].address_of_()
    entries = list(rbtree_inorder_for_each_entry("struct vmap_area", root, "rb_node"))
    starts = [e.va_start.value_() for e in entries]
    first = rb_first(root)
    last = rb_last(root)

    def cmp(key, va):
        s = va.va_start.value_()
        return -1 if key < s else 1 if key > s else 0

    finds = {}
    for key in [starts[0], starts[len(starts) // 2], starts[-1], starts[0] + 1, 0]:
        finds[hex(key)] = hx(rb_find("struct vmap_area", root, "rb_node", key, cmp))
    validate_rbtree("struct vmap_area", root, "rb_node",
                    lambda a, b: (a.va_start > b.va_start) - (a.va_start < b.va_start), False)
    return {
        "entries": [hx(e) for e in entries],
        "va_start": [hex(s) for s in starts],
        "rb_first": hx(first),
        "rb_last": hx(last),
        "rb_next_first": hx(rb_next(first)),
        "rb_prev_last": hx(rb_prev(last)),
        "rb_next_last": hx(rb_next(last)),
        "rb_prev_first": hx(rb_prev(first)),
        "rb_find": finds,
    }


def gen_hlist_nulls(prog):
    """Listening and established TCP sockets on the hash tables' nulls lists."""
    out = {}
    try:
        hi = prog["tcp_hashinfo"]
    except KeyError:
        return None
    lb = []
    for i in range(hi.lhash2_mask.value_() + 1):
        b = hi.lhash2[i]
        if not b.type_.has_member("nulls_head"):
            break
        socks = [hx(s) for s in hlist_nulls_for_each_entry("struct sock", b.nulls_head.address_of_(),
                                                           "__sk_common.skc_nulls_node")]
        if socks:
            lb.append([i, socks])
    out["lhash2"] = lb
    eb = []
    for i in range(hi.ehash_mask.value_() + 1):
        socks = [hx(s) for s in hlist_nulls_for_each_entry("struct sock", hi.ehash[i].chain.address_of_(),
                                                           "__sk_common.skc_nulls_node")]
        if socks:
            eb.append([i, socks])
    out["ehash"] = eb
    return out


def gen_lists(prog):
    mods = prog["modules"].address_of_()
    init = prog["init_task"]
    validate_list(init.tasks.address_of_())
    return {
        "modules": [m.name.string_().decode() for m in list_for_each_entry("struct module", mods, "list")],
        "modules_reverse": [m.name.string_().decode() for m in list_for_each_entry_reverse("struct module", mods, "list")],
        "modules_nodes": [hx(n) for n in list_for_each(mods)],
        "init_tasks_count": len(list(list_for_each(init.tasks.address_of_()))),
        "init_tasks_first": hx(list_first_entry(init.tasks.address_of_(), "struct task_struct", "tasks")),
        "init_tasks_entries": [hx(t) for t in list_for_each_entry("struct task_struct", init.tasks.address_of_(), "tasks")],
    }


def gen_percpu(prog):
    rows = []
    for cpu in for_each_possible_cpu(prog):
        rq = per_cpu(prog["runqueues"], cpu)
        rows.append({
            "cpu": cpu,
            "rq": hx(rq.address_of_()),
            "rq_cpu": rq.cpu.value_(),
            "curr": hx(rq.curr),
            "idle": hx(idle_task(prog, cpu)),
            "curr_ptr": hx(per_cpu_ptr(prog["runqueues"].address_of_(), cpu).curr),
        })
    counters = {}
    for name in ["vm_committed_as", "nr_files"]:
        try:
            counters[name] = percpu_counter_sum(prog[name].address_of_())
        except KeyError:
            pass
    avenrun = prog["avenrun"]
    return {
        "rows": rows,
        "percpu_counter_sum": counters,
        "loadavg": [avenrun[i].value_() / (1 << 11) for i in range(3)],
    }


def gen_cpus(prog):
    possible = list(for_each_possible_cpu(prog))
    online = list(for_each_online_cpu(prog))
    present = list(for_each_present_cpu(prog))
    return {
        "possible": possible,
        "online": online,
        "present": present,
        "possible_list": cpulist(possible),
        "online_list": cpulist(online),
        "present_list": cpulist(present),
        "num_online": len(online),
    }


def gen_modules(prog):
    mods = []
    for mod in modules_of(prog):
        mods.append({
            "name": mod.name.string_().decode(),
            "address": hx(mod),
            "layouts": [[hex(b), s] for b, s in module_layouts(mod)],
        })
    probes = []
    for m in mods:
        base, size = int(m["layouts"][0][0], 16), m["layouts"][0][1]
        probes += [base, base + size - 1, base + size]
    probes += [prog.symbol("_stext").address, 0]
    return {
        "list": mods,
        "address_to_module": [[hex(a), address_to_module(prog, a)] for a in probes],
    }


def gen_printk(prog):
    recs = []
    for r in get_printk_records(prog):
        recs.append([
            r.seq, r.timestamp, r.level, r.facility, r.caller_tid, r.caller_cpu, r.continuation,
            {k.decode(): v.decode() for k, v in r.context.items()}, r.text.decode(errors="replace"),
        ])
    dmesg = get_dmesg(prog)
    return {"records": recs, "dmesg_sha256": hashlib.sha256(dmesg).hexdigest(), "dmesg_len": len(dmesg)}


def gen_kconfig(prog):
    try:
        cfg = get_kconfig(prog)
    except Exception as e:  # noqa: BLE001
        return {"error": type(e).__name__, "message": str(e)}
    text = "".join(f"{k}={v}\n" for k, v in sorted(cfg.items()))
    return {
        "count": len(cfg),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "some": {k: cfg.get(k) for k in ["CONFIG_HZ", "CONFIG_SMP", "CONFIG_LOCALVERSION", "CONFIG_IKCONFIG",
                                         "CONFIG_MODULES", "CONFIG_NOT_THERE"]},
    }


# The pre-5.10 log buffer on a mock program ---------------------------------

LOG_BUF = 0xFFFF888000100000
LOG_BUF_LEN = 512
LOG_CONT = 8
# (ts_nsec, text, dict, facility, level, flags, caller_id)
LOG_RECORDS = [
    (0, b"Linux version 4.19.0 (mock)", b"", 0, 5, 0, 0),
    (1500, b"first part ", b"", 0, 6, 0, 1),
    (1600, b"continued", b"", 0, 6, LOG_CONT, 1),
    (2000001, b"usb 1-1: new device", b"SUBSYSTEM=usb\0DEVICE=c189:1", 0, 6, 0, 0x80000001),
    (3000000002, b"bad utf-8 \xff\xfe here", b"", 3, 3, 0, 42),
    (4123456789, b"last", b"", 0, 4, 0, 0x80000000),
]


def gen_log_buf(with_caller):
    """A log_buf whose records start at offset 300 and wrap to 0 (drgn's mock of Linux < 5.10)."""
    header = 24 if with_caller else 16
    buf = bytearray(LOG_BUF_LEN)
    first_idx = 300
    idx = first_idx
    for ts, text, dct, facility, level, flags, caller in LOG_RECORDS:
        n = (header + len(text) + len(dct) + 7) & ~7
        if idx + n + header > LOG_BUF_LEN:  # log_store() keeps room for the marker
            buf[idx:idx + header] = bytes(header)  # len == 0: the wrap marker
            idx = 0
        rec = bytearray(n)
        rec[0:8] = ts.to_bytes(8, "little")
        rec[8:10] = n.to_bytes(2, "little")
        rec[10:12] = len(text).to_bytes(2, "little")
        rec[12:14] = len(dct).to_bytes(2, "little")
        rec[14] = facility
        rec[15] = flags | (level << 5)
        if with_caller:
            rec[16:20] = caller.to_bytes(4, "little")
        rec[header:header + len(text) + len(dct)] = text + dct
        buf[idx:idx + n] = rec
        idx += n
    next_idx = idx
    first_seq = 1000

    prog = drgn.Program(drgn.Platform(drgn.Architecture.X86_64,
                                      drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN))
    u8 = prog.int_type("u8", 1, False)
    u16 = prog.int_type("u16", 2, False)
    u32 = prog.int_type("u32", 4, False)
    u64 = prog.int_type("u64", 8, False)
    members = [
        drgn.TypeMember(u64, "ts_nsec", 0),
        drgn.TypeMember(u16, "len", 64),
        drgn.TypeMember(u16, "text_len", 80),
        drgn.TypeMember(u16, "dict_len", 96),
        drgn.TypeMember(u8, "facility", 112),
        drgn.TypeMember(Object(prog, u8, bit_field_size=5), "flags", 120),
        drgn.TypeMember(Object(prog, u8, bit_field_size=3), "level", 125),
    ]
    if with_caller:
        members.append(drgn.TypeMember(u32, "caller_id", 128))
    printk_log = prog.struct_type("printk_log", header, members)

    def find_type(kind, name, filename):
        if kind == drgn.TypeKind.STRUCT and name == "printk_log":
            return printk_log
        return None

    char_p = prog.pointer_type(prog.int_type("char", 1, True))
    objects = {
        "log_buf": Object(prog, char_p, value=LOG_BUF),
        "log_buf_len": Object(prog, u32, value=LOG_BUF_LEN),
        "log_first_idx": Object(prog, u32, value=first_idx),
        "log_next_idx": Object(prog, u32, value=next_idx),
        "log_first_seq": Object(prog, u64, value=first_seq),
        "LOG_CONT": Object(prog, prog.int_type("int", 4, True), value=LOG_CONT),
    }

    def find_object(prog_, name, flags, filename):
        return objects.get(name)

    prog.add_type_finder(find_type)
    prog.add_object_finder(find_object)
    prog.add_memory_segment(LOG_BUF, LOG_BUF_LEN, lambda a, n, off, phys: bytes(buf[off:off + n]))
    recs = [[r.seq, r.timestamp, r.level, r.facility, r.caller_tid, r.caller_cpu, r.continuation,
             {k.decode(): v.decode() for k, v in r.context.items()}, r.text.decode(errors="replace")]
            for r in get_printk_records(prog)]
    # What the buffer holds, from how it was built: drgn 0.0.22 differs in
    # reporting the wrap marker as an empty record with a sequence number.
    built = [[first_seq + i, ts, level, facility,
              (None if caller & 0x80000000 else caller) if with_caller else None,
              (caller & 0x7FFFFFFF if caller & 0x80000000 else None) if with_caller else None,
              bool(flags & LOG_CONT),
              dict(kv.split("=", 1) for kv in dct.decode().split("\0")) if dct else {},
              text.decode(errors="replace")]
             for i, (ts, text, dct, facility, level, flags, caller) in enumerate(LOG_RECORDS)]
    return {
        "built": built,
        "header_size": header,
        "buffer": buf.hex(),
        "vars": {"log_buf": hex(LOG_BUF), "log_buf_len": LOG_BUF_LEN, "log_first_idx": first_idx,
                 "log_next_idx": next_idx, "log_first_seq": first_seq, "LOG_CONT": LOG_CONT},
        "records": recs,
        "dmesg": get_dmesg(prog).decode(errors="replace"),
    }


# Corrupted lists and trees in the datastructs fixture's types -------------

USER = "/work/shared/fixtures/user"
MOCK_BASE = 0x10000000


def small_tree_words(prog, edit):
    """Three struct items R (key 20, black), L (10, red), X (30, red) and an rb_root after them."""
    t = prog.type("struct item")
    size = sizeof(t)
    rb = offsetof(t, "rb")
    R, L, X = MOCK_BASE, MOCK_BASE + size, MOCK_BASE + 2 * size
    root = MOCK_BASE + 3 * size
    w = {"R.key": 20, "R.pc": 1, "R.right": X + rb, "R.left": L + rb,
         "L.key": 10, "L.pc": R + rb, "L.right": 0, "L.left": 0,
         "X.key": 30, "X.pc": R + rb, "X.right": 0, "X.left": 0, "root": R + rb}
    edit(w)
    words = [0] * ((3 * size + 8) // 8)
    for name, node in (("R", R), ("L", L), ("X", X)):
        i = (node - MOCK_BASE) // 8
        words[i] = w[name + ".key"]
        words[i + rb // 8] = w[name + ".pc"]
        words[i + rb // 8 + 1] = w[name + ".right"]
        words[i + rb // 8 + 2] = w[name + ".left"]
    words[(root - MOCK_BASE) // 8] = w["root"]
    return words, root


def set_(k, v):
    return lambda w: w.__setitem__(k, v)


def red_red(w):
    w["X.left"] = w["R.left"]
    w["R.left"] = 0
    w["L.key"] = 25
    w["L.pc"] = w["R.right"]


RB_CASES = {
    "ok": lambda w: None,
    "order": set_("L.key", 25),
    "equal": set_("X.key", 20),
    "red root": set_("R.pc", 0),
    "red-red": red_red,
    "parent": lambda w: w.__setitem__("X.pc", w["R.left"]),
    "black height": lambda w: w.__setitem__("L.pc", w["L.pc"] | 1),
    "cycle": lambda w: w.__setitem__("L.left", w["L.pc"]),
}

H, A, B, C = MOCK_BASE, MOCK_BASE + 16, MOCK_BASE + 32, MOCK_BASE + 48
LIST_CASES = {
    # H -> A -> B -> C -> B: a cycle that never returns to H.
    "cycle": [A, C, B, H, C, A, B, B],
    # H <-> A -> B, but B.prev is H.
    "bad prev": [A, B, B, H, H, H],
}


def gen_validation():
    prog = drgn.Program()
    prog.set_core_dump(f"{USER}/out/core/gcc-O0/datastructs.gcore")
    prog.load_debug_info([f"{USER}/out/bin/gcc-O0/datastructs"])
    words = []
    prog.add_memory_segment(MOCK_BASE, 4096, lambda a, n, off, phys: b"".join(
        w.to_bytes(8, "little") for w in words)[off:off + n].ljust(n, b"\0"))

    def cmp(a, b):
        return (a.key > b.key) - (a.key < b.key)

    out = {"base": hex(MOCK_BASE), "rbtree": {}, "list": {}}
    for name, edit in RB_CASES.items():
        words[:], root = small_tree_words(prog, edit)
        root_obj = Object(prog, "struct rb_root *", value=root)
        # (On "cycle", drgn's validation meets the bad rb_parent before it
        # would recurse forever; its plain walks would not return.)
        result = error(lambda: validate_rbtree("struct item", root_obj, "rb", cmp, False)) or "ok"
        out["rbtree"][name] = {"words": [hex(w) for w in words], "root": hex(root), "drgn": result}
    for name, ws in LIST_CASES.items():
        words[:] = ws
        head = Object(prog, "struct list_head *", value=H)
        out["list"][name] = {"words": [hex(w) for w in ws], "head": hex(H),
                             "drgn": error(lambda: validate_list(head)) or "ok"}
    return out


# The drgn equivalents of the Wyvern scripts ----------------------------------


def ps(prog):
    lines = ["    PID    PPID CPU ST COMM"]
    for t in for_each_task(prog):
        lines.append("%7d %7d %3d %-2s %s" % (t.pid.value_(), t.real_parent.tgid.value_(), task_cpu(t),
                                             task_state_to_char(t), t.comm.string_().decode()))
    return "\n".join(lines) + "\n"


def dmesg(prog):
    return get_dmesg(prog).decode(errors="replace")


def lsmod(prog):
    lines = ["Module                  Size  Used by"]
    for mod in modules_of(prog):
        holders = [u.source.name.string_().decode()
                   for u in list_for_each_entry("struct module_use", mod.source_list.address_of_(), "source_list")]
        used = mod.refcnt.counter.value_() - 1  # module_refcount(): MODULE_REF_BASE is 1
        line = "%-19s %8d  %d" % (mod.name.string_().decode(), module_size(mod), used)
        if holders:
            line += " " + ",".join(holders)
        lines.append(line)
    return "\n".join(lines) + "\n"


def main():
    helpers = {}
    scripts = {}
    for name, (core, debug) in DUMPS.items():
        prog = drgn.Program()
        prog.set_core_dump(core)
        prog.load_debug_info(debug)
        pids, finds = gen_pids(prog)
        helpers[name] = {
            "uts_release": prog["UTS_RELEASE"].string_().decode(),
            "kaslr_offset": hex(kaslr_offset(prog)),
            "pgtable_l5_enabled": bool(pgtable_l5_enabled(prog)),
            "tasks": gen_tasks(prog),
            "pids": pids,
            "find": finds,
            "idr": gen_idr(prog),
            "page_cache": gen_page_cache(prog),
            "rbtree": gen_rbtree(prog),
            "hlist_nulls": gen_hlist_nulls(prog),
            "lists": gen_lists(prog),
            "percpu": gen_percpu(prog),
            "cpus": gen_cpus(prog),
            "modules": gen_modules(prog),
            "printk": gen_printk(prog),
            "kconfig": gen_kconfig(prog),
        }
        scripts[name] = {"ps": ps(prog), "dmesg": dmesg(prog), "lsmod": lsmod(prog)}
    with open(os.path.join(HERE, "kernel_helpers.json"), "w") as f:
        log_buf = {"caller_id": gen_log_buf(True), "no_caller_id": gen_log_buf(False)}
        json.dump({"drgn_version": drgn.__version__, "dumps": helpers, "log_buf_mock": log_buf,
                   "validation": gen_validation()}, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(HERE, "scripts_goldens.json"), "w") as f:
        json.dump({"drgn_version": drgn.__version__, "dumps": scripts}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
