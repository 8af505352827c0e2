#!/usr/bin/python3
"""Reference facts from a Linux vmcore, printed as JSON, using real drgn.

Usage: /usr/bin/python3 drgn_ref.py VMCORE VMLINUX [MODULE_DEBUG.ko ...] > out.json

Copied from the kernel fixture's pipeline (/work/shared/fixtures/kernel/pipeline/
scripts/drgn_ref.py) and extended for scripts/sample/make.sh: with
WYVERN_REF_PROFILE=sample the traced tasks, module symbols and types are those of
the sample guest (guest/sample_init.c, guest/wyvern_demo.c); the default profile
("debian") is the fixture's busybox guest.  Added sections: "paging" (the paging
mode variables), "translations" (virtual -> physical pairs whose physical side
does not come from a page-table walk: vmap'ed stack pages from
task->stack_vm_area->pages[], direct-map and kernel-image addresses by
arithmetic, each checked by reading the same bytes both ways), "kconfig"
(CONFIG_IKCONFIG data, when present) and, for the sample, "wyvern_demo" (the
module's list and counter).

Every section is computed independently; a section that raises is recorded
under "errors" as "ExceptionType: message" instead of aborting the run, so the
JSON also documents which drgn features fail on which dump format.
Paths in the output are as given on the command line (make.sh passes paths
relative to the fixture directory).
"""
import hashlib
import json
import os
import struct
import sys
import time
import traceback

import drgn
from drgn import Object, cast
from drgn.helpers.linux.cpumask import for_each_online_cpu, for_each_possible_cpu
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.pid import find_task, for_each_task
from drgn.helpers.linux.sched import task_state_to_char

PF_KTHREAD = 0x00200000

# Tasks (by comm) whose stack traces are recorded in addition to the CPUs'
# current tasks and pids 1 and 2.
PROFILE = os.environ.get("WYVERN_REF_PROFILE", "debian")

TRACE_COMMS_DEBIAN = [
    "kfix_vfork_par",  # D: blocked in vfork()
    "kfix_sleeper",    # S: pause()
    "kfix_thr1",       # S: pause() in a secondary thread
    "kfix_zparent",    # S: pause(), parent of the zombie
    "kfix_spin",       # R: user-space busy loop, current on CPU 1
    "httpd",           # S: poll/select in busybox httpd
    "nc",              # S: accept() in busybox nc -l
    "kworker/0:0",     # I: idle kernel worker
    "ksoftirqd/0",     # S: kernel thread
    "kfix_stopped",    # T: stopped by SIGSTOP
]

TRACE_COMMS_SAMPLE = [
    "wyv_vfork_par",   # D: blocked in vfork()
    "wyv_sleeper",     # S: clock_nanosleep()
    "wyv_pipe_rd",     # S: read() on an empty pipe
    "wyv_thr0",        # S: pthread_join() (futex)
    "wyv_thr1",        # S: clock_nanosleep() in a secondary thread
    "wyv_zparent",     # S: pause(), parent of the zombie
    "wyv_zombie",      # Z
    "wyv_spin",        # R: user-space busy loop, current on CPU 1
    "wyv_stopped",     # T: stopped by SIGSTOP
    "wyvern_demo",     # S: kernel thread of the wyvern_demo module
    "kworker/0:0",     # I: idle kernel worker
    "ksoftirqd/0",     # S: kernel thread
]

TRACE_COMMS = TRACE_COMMS_SAMPLE if PROFILE == "sample" else TRACE_COMMS_DEBIAN
TYPES = ["struct list_head", "struct task_struct", "struct module", "struct rq"] + (
    ["struct wyvern_demo_item"] if PROFILE == "sample"
    else ["struct loop_device", "struct minix_sb_info"])
MODULE_SYMBOLS = (["wyvern_demo_thread", "wyvern_demo_wait", "wyvern_demo_counter",
                   "wyvern_demo_items", "wyvern_demo_greeting"] if PROFILE == "sample"
                  else ["lo_ioctl", "brd_submit_bio", "dummy_xmit", "minix_lookup",
                        "fw_cfg_sysfs_probe"])
CMDLINE_COMMS = (("init", "wyv_sleeper", "wyv_pipe_rd") if PROFILE == "sample"
                 else ("httpd", "nc", "kfix_sleeper", "init"))


def err(e):
    return f"{type(e).__name__}: {e}"


def hexaddr(v):
    return None if v is None else f"0x{v:x}"


def core_format(path):
    with open(path, "rb") as f:
        magic = f.read(16)
    if magic[:4] == b"\x7fELF":
        return "elf"
    if magic[:8] == b"KDUMP   ":
        return "kdump-compressed"
    if magic.startswith(b"makedumpfile"):
        return "makedumpfile-flattened"
    return "unknown:" + magic.hex()


def elf_phdr_table(f):
    """(e_phoff, e_phentsize, real e_phnum), honouring PN_XNUM (QEMU's
    paging dumps have more than 65535 program headers)."""
    f.seek(0)
    eh = f.read(64)
    e_phoff, e_shoff = struct.unpack_from("<QQ", eh, 0x20)
    e_phentsize, e_phnum = struct.unpack_from("<HH", eh, 0x36)
    if e_phnum == 0xFFFF and e_shoff:
        f.seek(e_shoff + 44)  # Elf64_Shdr[0].sh_info
        e_phnum, = struct.unpack("<I", f.read(4))
    return e_phoff, e_phentsize, e_phnum


def read_notes(path, fmt):
    """Return a list of (name, type, desc) from the core's ELF notes.

    Handles ELF (PT_NOTE segments) and kdump-compressed (notes in the
    sub-header).  Independent of drgn, so it documents what is in the file."""
    with open(path, "rb") as f:
        if fmt == "elf":
            e_phoff, e_phentsize, e_phnum = elf_phdr_table(f)
            f.seek(e_phoff)
            ph = f.read(e_phentsize * e_phnum)
            blobs = []
            for i in range(e_phnum):
                p_type, _, p_offset = struct.unpack_from("<IIQ", ph, i * e_phentsize)
                p_filesz, = struct.unpack_from("<Q", ph, i * e_phentsize + 32)
                if p_type == 4:  # PT_NOTE
                    f.seek(p_offset)
                    blobs.append(f.read(p_filesz))
        elif fmt == "kdump-compressed":
            # struct disk_dump_header: signature[8], header_version,
            # new_utsname (6*65), pad to 8, timeval, status, block_size
            hdr = f.read(4096)
            block_size, = struct.unpack_from("<i", hdr, 428)
            f.seek(block_size)
            sub = f.read(4096)
            # struct kdump_sub_header (header_version >= 4)
            (phys_base, dump_level, split, start_pfn, end_pfn, off_vmci,
             size_vmci, off_note, size_note) = struct.unpack_from("<QiiQQQQQQ", sub, 0)
            f.seek(off_note)
            blobs = [f.read(size_note)]
            if off_vmci and size_vmci:
                f.seek(off_vmci)
                vmci = f.read(size_vmci)
                # Expose it like the VMCOREINFO note unless the notes have it.
                blobs.append(struct.pack("<III", 11, len(vmci), 0) + b"VMCOREINFO\0\0"
                             + vmci + b"\0" * (-len(vmci) % 4))
        else:
            return []
    notes = []
    for blob in blobs:
        off = 0
        while off + 12 <= len(blob):
            namesz, descsz, ntype = struct.unpack_from("<III", blob, off)
            off += 12
            name = blob[off:off + namesz].rstrip(b"\0").decode(errors="replace")
            off += (namesz + 3) & ~3
            desc = blob[off:off + descsz]
            off += (descsz + 3) & ~3
            notes.append((name, ntype, desc))
    return notes


PRSTATUS_REGS = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9",
                 "r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip",
                 "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es",
                 "fs", "gs"]


def symbolize(prog, addr):
    try:
        sym = prog.symbol(addr)
        return f"{sym.name}+0x{addr - sym.address:x}/0x{sym.size:x}"
    except Exception as e:
        return None


def frame_info(prog, frame):
    d = {"pc": hexaddr(frame.pc), "name": frame.name, "is_inline": frame.is_inline,
         "interrupted": frame.interrupted}
    try:
        d["sp"] = hexaddr(frame.sp)
    except Exception as e:
        d["sp"] = None
    try:
        sym = frame.symbol()
        d["symbol"] = sym.name
        d["symbol_offset"] = frame.pc - sym.address
    except Exception as e:
        d["symbol"] = None
    try:
        fn, line, col = frame.source()
        d["source"] = f"{fn}:{line}"
    except Exception:
        d["source"] = None
    return d


def trace_info(prog, task, label):
    out = {"label": label}
    try:
        out["pid"] = task.pid.value_()
        out["comm"] = task.comm.string_().decode()
        out["state"] = task_state_to_char(task)
    except Exception as e:
        out["task_error"] = err(e)
    try:
        tr = prog.stack_trace(task)
        out["frames"] = [frame_info(prog, f) for f in tr]
        out["function_names"] = [f.name for f in tr]
        out["text"] = str(tr)
    except Exception as e:
        out["error"] = err(e)
    return out


def main():
    core, vmlinux, *mod_debug = sys.argv[1:]
    R = {"errors": {}}
    E = R["errors"]

    def section(name):
        def deco(fn):
            try:
                R[name] = fn()
            except Exception as e:
                E[name] = err(e)
                R[name] = None
            return fn
        return deco

    R["drgn_version"] = drgn.__version__
    R["profile"] = PROFILE
    R["with_libkdumpfile"] = getattr(drgn, "_with_libkdumpfile", None)
    fmt = core_format(core)
    R["core"] = {"path": core, "format": fmt, "size": os.path.getsize(core)}
    if fmt == "elf":
        with open(core, "rb") as f:
            e_phoff, _, e_phnum = elf_phdr_table(f)
        R["core"]["e_phoff"] = e_phoff
        R["core"]["e_phnum"] = e_phnum
    R["debug_files"] = [vmlinux] + mod_debug
    timing = R["timing_seconds"] = {}

    # ---- raw notes (independent of drgn) ------------------------------------
    @section("notes")
    def _():
        notes = read_notes(core, fmt)
        return [{"name": n, "type": t, "descsz": len(d)} for n, t, d in notes]

    prog = drgn.Program()
    t0 = time.monotonic()
    try:
        prog.set_core_dump(core)
    except Exception as e:
        E["set_core_dump"] = err(e)
        R["loaded"] = False
        print(json.dumps(R, indent=1, sort_keys=True))
        return 0
    timing["set_core_dump"] = round(time.monotonic() - t0, 3)
    R["program_flags"] = str(prog.flags)
    R["platform"] = {"arch": str(prog.platform.arch), "flags": str(prog.platform.flags)}

    t0 = time.monotonic()
    try:
        prog.load_debug_info([vmlinux] + mod_debug)
    except drgn.MissingDebugInfoError as e:
        E["load_debug_info"] = err(e)
    except Exception as e:
        E["load_debug_info"] = err(e)
    timing["load_debug_info"] = round(time.monotonic() - t0, 3)
    t0 = time.monotonic()
    try:
        prog.type("struct task_struct")  # forces the DWARF index
    except Exception as e:
        pass
    timing["first_type_lookup"] = round(time.monotonic() - t0, 3)
    R["loaded"] = True

    # ---- vmcoreinfo ---------------------------------------------------------
    @section("uts_release")
    def _():
        return prog["UTS_RELEASE"].string_().decode()

    @section("vmcoreinfo")
    def _():
        # drgn 0.0.22 has no prog["VMCOREINFO"] object (added in a later
        # release), so parse the note from the file directly.
        raws = [d for n, t, d in read_notes(core, fmt) if n == "VMCOREINFO"]
        if not raws:
            raise LookupError("no VMCOREINFO note in the core")
        raw = raws[0].rstrip(b"\0").decode()
        d = {}
        for line in raw.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
        return d

    @section("vmcoreinfo_facts")
    def _():
        vi = R.get("vmcoreinfo") or {}
        return {
            "OSRELEASE": vi.get("OSRELEASE"),
            "BUILD-ID": vi.get("BUILD-ID"),
            "PAGESIZE": int(vi["PAGESIZE"]) if "PAGESIZE" in vi else None,
            "KERNELOFFSET": vi.get("KERNELOFFSET"),
            "phys_base": vi.get("NUMBER(phys_base)"),
            "pgtable_l5_enabled": vi.get("NUMBER(pgtable_l5_enabled)"),
            "SYMBOL(_stext)": vi.get("SYMBOL(_stext)"),
            "SYMBOL(init_top_pgt)": vi.get("SYMBOL(init_top_pgt)"),
            "CRASHTIME": vi.get("CRASHTIME"),
        }

    @section("page_size")
    def _():
        return prog["PAGE_SIZE"].value_()

    @section("kaslr_offset")
    def _():
        # KERNELOFFSET in VMCOREINFO is hex without 0x.
        return "0x" + R["vmcoreinfo"]["KERNELOFFSET"]

    @section("prog_VMCOREINFO")
    def _():
        # Probe: the object exists only in newer drgn releases.
        return len(prog["VMCOREINFO"].string_())

    @section("kaslr_offset_from_stext")
    def _():
        # _stext of the unrelocated vmlinux is 0xffffffff81000000.
        return hexaddr(prog.symbol("_stext").address - 0xffffffff81000000)

    @section("symbol_addresses")
    def _():
        return {s: hexaddr(prog.symbol(s).address)
                for s in ["_stext", "init_task", "jiffies", "runqueues", "modules", "start_kernel"]}

    # ---- basic objects --------------------------------------------------------
    @section("init_task_comm")
    def _():
        return prog["init_task"].comm.string_().decode()

    @section("init_uts_ns")
    def _():
        n = prog["init_uts_ns"].name
        return {f: getattr(n, f).string_().decode()
                for f in ["sysname", "nodename", "release", "version", "machine", "domainname"]}

    @section("jiffies")
    def _():
        # On x86-64 "jiffies" is a linker-script alias of jiffies_64 with no
        # DWARF variable, so drgn 0.0.22 raises KeyError here.
        return prog["jiffies"].value_()

    @section("jiffies_via_symbol")
    def _():
        return prog.read_u64(prog.symbol("jiffies").address)

    @section("jiffies_64")
    def _():
        return prog["jiffies_64"].value_()

    @section("init_task_tasks_str")
    def _():
        return str(prog["init_task"].tasks)

    @section("init_task_comm_str")
    def _():
        return str(prog["init_task"].comm)

    @section("init_task_address")
    def _():
        return hexaddr(prog["init_task"].address_)

    # ---- types ------------------------------------------------------------
    @section("types")
    def _():
        out = {}
        for name in TYPES:
            try:
                t = prog.type(name)
                s = str(t)
                ent = {"sizeof": drgn.sizeof(t), "str_len": len(s),
                       "str_lines": s.count("\n") + 1,
                       "str_sha256": hashlib.sha256(s.encode()).hexdigest()}
                if name == "struct list_head":
                    ent["str"] = s
                else:
                    ent["str_head"] = s.splitlines()[:4]
                out[name] = ent
            except Exception as e:
                out[name] = {"error": err(e)}
        return out

    # ---- tasks --------------------------------------------------------------
    def task_cpu(t):
        try:
            return t.cpu.value_()
        except AttributeError:
            return t.thread_info.cpu.value_()

    @section("tasks")
    def _():
        out = []
        for t in for_each_task(prog):
            out.append({
                "pid": t.pid.value_(),
                "tgid": t.tgid.value_(),
                "ppid": t.real_parent.pid.value_(),
                "comm": t.comm.string_().decode(),
                "state": task_state_to_char(t),
                "cpu": task_cpu(t),
                "kthread": bool(t.flags.value_() & PF_KTHREAD),
                "on_cpu": t.on_cpu.value_(),
            })
        return out

    @section("task_state_counts")
    def _():
        c = {}
        for t in R["tasks"] or []:
            c[t["state"]] = c.get(t["state"], 0) + 1
        return c

    # ---- per-CPU --------------------------------------------------------------
    @section("cpus")
    def _():
        return {"online": list(for_each_online_cpu(prog)),
                "possible_count": len(list(for_each_possible_cpu(prog))),
                "nr_cpu_ids": prog["nr_cpu_ids"].value_()}

    @section("percpu")
    def _():
        out = []
        for cpu in for_each_online_cpu(prog):
            rq = per_cpu(prog["runqueues"], cpu)
            out.append({
                "cpu": cpu,
                "cpu_number": per_cpu(prog["cpu_number"], cpu).value_(),
                "rq_cpu": rq.cpu.value_(),
                "nr_running": rq.nr_running.value_(),
                "nr_switches": rq.nr_switches.value_(),
                "curr_pid": rq.curr.pid.value_(),
                "curr_comm": rq.curr.comm.string_().decode(),
                "idle_comm": rq.idle.comm.string_().decode(),
                "rq_address": hexaddr(rq.address_),
            })
        return out

    # ---- modules ------------------------------------------------------------
    @section("modules")
    def _():
        out = []
        for m in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
            ent = {"name": m.name.string_().decode(), "state": m.state.format_(type_name=False)}
            try:
                ent["core_base"] = hexaddr(m.core_layout.base.value_())
                ent["core_size"] = m.core_layout.size.value_()
            except Exception as e:
                ent["core_layout_error"] = err(e)
            try:
                ent["refcnt"] = m.refcnt.counter.value_()
            except Exception:
                pass
            out.append(ent)
        return out

    @section("module_debug_info")
    def _():
        out = {}
        for sym in MODULE_SYMBOLS:
            try:
                s = prog.symbol(sym)
                out[sym] = {"address": hexaddr(s.address), "size": s.size}
            except Exception as e:
                out[sym] = {"error": err(e)}
            try:
                out[sym]["function_object"] = hexaddr(prog.function(sym).address_)
            except Exception as e:
                out[sym]["function_error"] = err(e)
        return out

    # ---- CPU registers from the notes (ground truth, not drgn's) --------------
    @section("prstatus")
    def _():
        out = []
        for i, (name, ntype, desc) in enumerate(
                n for n in read_notes(core, fmt) if n[0] == "CORE" and n[1] == 1):
            pr_pid, = struct.unpack_from("<i", desc, 32)
            regs = dict(zip(PRSTATUS_REGS, struct.unpack_from("<27Q", desc, 112)))
            out.append({
                "index": i, "pr_pid": pr_pid,
                "rip": hexaddr(regs["rip"]), "rsp": hexaddr(regs["rsp"]),
                "rbp": hexaddr(regs["rbp"]), "cs": hexaddr(regs["cs"]),
                "user_mode": (regs["cs"] & 3) == 3,
                "rip_symbol": symbolize(prog, regs["rip"]),
            })
        return out

    @section("crashed_thread")
    def _():
        th = prog.crashed_thread()
        return {"tid": th.tid, "comm": th.object.comm.string_().decode()}

    # ---- stack traces -------------------------------------------------------
    @section("stack_traces")
    def _():
        out = {}
        for cpu in for_each_online_cpu(prog):
            rq = per_cpu(prog["runqueues"], cpu)
            out[f"cpu{cpu}_curr"] = trace_info(prog, rq.curr, f"rq[{cpu}].curr")
        for pid in (1, 2):
            out[f"pid{pid}"] = trace_info(prog, find_task(prog, pid), f"pid {pid}")
        wanted = set(TRACE_COMMS)
        for t in for_each_task(prog):
            c = t.comm.string_().decode()
            if c in wanted:
                wanted.discard(c)
                out[c] = trace_info(prog, t, c)
        return out

    # ---- user memory (needs user pages: absent with makedumpfile -d 31) -----
    @section("cmdlines")
    def _():
        from drgn.helpers.linux.mm import cmdline
        out = {}
        for t in for_each_task(prog):
            c = t.comm.string_().decode()
            if c in CMDLINE_COMMS and not t.mm.value_() == 0:
                try:
                    out[f"{t.pid.value_()}:{c}"] = [a.decode() for a in cmdline(t)]
                except Exception as e:
                    out[f"{t.pid.value_()}:{c}"] = {"error": err(e)}
        return out

    # ---- printk -------------------------------------------------------------
    @section("dmesg")
    def _():
        from drgn.helpers.linux.printk import get_dmesg
        lines = get_dmesg(prog).decode(errors="replace").splitlines()
        return {"lines": len(lines), "first": lines[:2], "last": lines[-5:],
                "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest()}

    # ---- paging mode ----------------------------------------------------------
    @section("paging")
    def _():
        out = {}
        for name in ["__pgtable_l5_enabled", "pgdir_shift", "ptrs_per_p4d"]:
            try:
                out[name] = prog[name].value_()
            except Exception as e:
                out[name] = {"error": err(e)}
        for name in ["page_offset_base", "vmalloc_base", "vmemmap_base"]:
            try:
                out[name] = hexaddr(prog[name].value_())
            except Exception as e:
                out[name] = {"error": err(e)}
        # phys_base is defined in assembly (no DWARF variable): read its symbol.
        try:
            out["phys_base"] = int.from_bytes(prog.read(prog.symbol("phys_base").address, 8), "little", signed=True)
        except Exception as e:
            out["phys_base"] = {"error": err(e)}
        for name in ["init_top_pgt", "init_task"]:
            try:
                out[name + "_address"] = hexaddr(prog.symbol(name).address)
            except Exception as e:
                out[name + "_address"] = {"error": err(e)}
        return out

    # ---- virtual -> physical pairs not derived from a page-table walk --------
    @section("translations")
    def _():
        from drgn.helpers.linux.mm import page_to_phys, virt_to_phys
        out = []

        def check(kind, what, virt, phys):
            # Compares the 4 KiB from virt (through drgn's page-table walk) and
            # phys; records the SHA-256 of those bytes.
            ent = {"kind": kind, "what": what, "virt": hexaddr(virt), "phys": hexaddr(phys)}
            try:
                a = prog.read(virt, 4096)
                b = prog.read(phys, 4096, True)
                ent["same_bytes"] = a == b
                ent["sha256_4k"] = hashlib.sha256(a).hexdigest()
                ent["nonzero_4k"] = any(a)
            except Exception as e:
                ent["read_error"] = err(e)
            out.append(ent)

        # Kernel image: __pa_symbol(x) = x - __START_KERNEL_map + phys_base.
        phys_base = int.from_bytes(prog.read(prog.symbol("phys_base").address, 8), "little", signed=True)
        for name in ["init_task", "_stext", "jiffies_64", "init_uts_ns"]:
            a = prog.symbol(name).address
            check("kernel-image", name, a, a - 0xffffffff80000000 + phys_base)
        # vmap'ed task stacks: the pages come from stack_vm_area->pages[].
        # Tasks: pid 1 and the traced ones; the first and last page of each stack.
        n = 0
        for t in for_each_task(prog):
            if n >= 8:
                break
            try:
                comm = t.comm.string_().decode()
                if t.pid.value_() != 1 and comm not in TRACE_COMMS:
                    continue
                area = t.stack_vm_area
                if not area.value_():
                    continue
                stack = t.stack.value_()
                last = area.nr_pages.value_() - 1
                for i in sorted({0, last}):
                    check("vmap-stack", f"pid {t.pid.value_()} ({comm}) stack page {i}",
                          stack + i * 4096, page_to_phys(area.pages[i]).value_())
                n += 1
            except Exception as e:
                out.append({"kind": "vmap-stack", "error": err(e)})
                break
        # Direct map: task_structs of a few tasks (slab memory).
        for pid in (1, 2):
            t = find_task(prog, pid)
            check("direct-map", f"task_struct of pid {pid}", t.value_(),
                  virt_to_phys(t).value_())
        return out

    # ---- kernel configuration (CONFIG_IKCONFIG) ------------------------------
    @section("kconfig")
    def _():
        from drgn.helpers.linux.kconfig import get_kconfig
        k = get_kconfig(prog)
        keys = ["CONFIG_SMP", "CONFIG_NR_CPUS", "CONFIG_HZ", "CONFIG_LOCALVERSION",
                "CONFIG_UNWINDER_ORC", "CONFIG_RANDOMIZE_BASE", "CONFIG_X86_5LEVEL",
                "CONFIG_MODULES", "CONFIG_SLUB", "CONFIG_DEBUG_INFO_DWARF5", "CONFIG_KEXEC"]
        return {"count": len(k), "sha256": hashlib.sha256(
                    "\n".join(f"{a}={b}" for a, b in sorted(k.items())).encode()).hexdigest(),
                "some": {key: k.get(key) for key in keys}}

    # ---- the sample's own module ----------------------------------------------
    if PROFILE == "sample":
        @section("wyvern_demo")
        def _():
            items = []
            for it in list_for_each_entry("struct wyvern_demo_item",
                                          prog["wyvern_demo_items"].address_of_(), "node"):
                items.append({"address": hexaddr(it.value_()), "id": it.id.value_(),
                              "name": it.name.string_().decode(), "value": it.value.value_()})
            task = prog["wyvern_demo_task"]
            return {"counter": prog["wyvern_demo_counter"].value_(),
                    "greeting": prog["wyvern_demo_greeting"].string_().decode(),
                    "items": items, "task_pid": task.pid.value_(),
                    "task_comm": task.comm.string_().decode()}

    # ---- threads API ----------------------------------------------------------
    @section("threads_count")
    def _():
        return sum(1 for _ in prog.threads())

    print(json.dumps(R, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
