#!/usr/bin/python3
"""Writes mm_slab_fs_goldens.json: drgn 0.0.22's answers for the memory,
slab, filesystem and common helpers (helpers/linux/{mm,slab,fs}.ts,
helpers/common/*.ts) and the output of the drgn equivalents of
scripts/{mounts,slabinfo,files}.ts, on the kernel dumps the tests open:

- "kdump": the fixture's vmcore.mdf-c-d31.kdump (Debian 6.1, 4-level paging,
  SLUB with CONFIG_SLAB_FREELIST_HARDENED; user pages excluded),
- "paging": the same machine's QEMU paging ELF (all memory, so user memory
  of every process: cmdline, environ, access_remote_vm),
- "la57": the 5-level-paging Debian dump (tests/data/kernel/la57-128m),
- "sample": the sample kernel's makedumpfile dump (tinyconfig-based 6.1,
  SLUB without freelist hardening, dwz'ed DWARF).

Every value comes from drgn: its helpers where 0.0.22 has them, and its
object model where it has none (the VMAs of an address space are the
`vm_area_struct` slab objects whose `vm_mm` is that mm, found with
slab_cache_for_each_allocated_object; totalram pages are
`_totalram_pages.counter`). Addresses to probe are chosen here from drgn's
view of the dump (tasks, their files, free-list heads), and stored with
the answers.

Run: /usr/bin/python3 tests/data/helpers/gen_mm_slab_fs.py
(fixtures under ${WYVERN_FIXTURES:-/work/shared/fixtures}, decompressed
files in ${WYVERN_CACHE:-/var/cache/wyvern-fixtures}: run the Deno tests
once first so that the cache holds the vmlinux, the paging ELF and the
sample vmlinux.)
"""

import contextlib
import io
import json
import os
import sys

import drgn
from drgn import FaultError, sizeof
from drgn.helpers.common.format import (decode_enum_type_flags, decode_flags,
                                        escape_ascii_character, escape_ascii_string)
from drgn.helpers.common.memory import identify_address
from drgn.helpers.common.stack import print_annotated_stack
from drgn.helpers.linux.cpumask import for_each_online_cpu
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.fs import (d_path, dentry_path, for_each_file, for_each_mount,
                                   inode_path, mount_dst, mount_fstype, mount_src,
                                   path_lookup, print_files, print_mounts)
import drgn.helpers.linux.mm as mm_helpers
from drgn.helpers.linux.mm import (PageCompound, PageHead, PageTail, access_remote_vm,
                                   cmdline, compound_head, compound_nr, compound_order,
                                   page_size,
                                   decode_page_flags, environ, for_each_page, page_to_pfn,
                                   page_to_virt,
                                   pfn_to_page, pfn_to_virt, phys_to_virt, virt_to_page,
                                   virt_to_phys)
from drgn.helpers.linux.percpu import per_cpu_ptr
from drgn.helpers.linux.pid import find_task, for_each_task
from drgn.helpers.linux.slab import (find_containing_slab_cache, find_slab_cache,
                                     for_each_slab_cache, get_slab_cache_aliases,
                                     slab_cache_for_each_allocated_object,
                                     slab_object_info)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../../.."))
FIXTURES = os.environ.get("WYVERN_FIXTURES", os.path.join(ROOT, "../shared/fixtures"))
KERNEL = os.path.join(FIXTURES, "kernel")
CACHE = os.environ.get("WYVERN_CACHE", "/var/cache/wyvern-fixtures")
MODULES = ["qemu_fw_cfg", "loop", "brd", "dummy", "minix"]
DEBIAN_DEBUG = [os.path.join(CACHE, "vmlinux-6.1.0-56-amd64")] + [
    os.path.join(KERNEL, "debug", m + ".ko") for m in MODULES
]

DUMPS = {
    "kdump": (os.path.join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump"), DEBIAN_DEBUG),
    "paging": (os.path.join(CACHE, "vmcore.paging.elf"), DEBIAN_DEBUG),
    "la57": (os.path.join(ROOT, "tests/data/kernel/la57-128m/vmcore.mdf-c-d31.kdump"),
             DEBIAN_DEBUG),
    "sample": (os.path.join(ROOT, "tests/data/sample/vmcore.mdf-c-d31.kdump"),
               [os.path.join(CACHE, "sample/vmlinux"), os.path.join(CACHE, "sample/wyvern_demo.ko")]),
}

# Caches whose allocated objects are counted (those that exist in a dump).
COUNT_CACHES = [("task_struct", "struct task_struct"), ("mm_struct", "struct mm_struct"),
                ("files_cache", "struct files_struct"), ("vm_area_struct", "struct vm_area_struct"),
                ("dentry", "struct dentry"), ("inode_cache", "struct inode"),
                ("kmalloc-64", "char"), ("kmalloc-1k", "char"), ("filp", "struct file")]
# Caches whose CPU free-list heads are probed as free objects.
FREE_CACHES = ["task_struct", "dentry", "kmalloc-64", "kmalloc-256", "filp"]
# No ".." here: drgn 0.0.22's path_lookup() goes round forever on "/dev/.."
# with these kernels (the rootfs root has DCACHE_MOUNTED, and its
# _follow_mount() finds the root mount mounted on itself).
LOOKUP_PATHS = ["/", "/dev/console", "/init", "/proc", "/tmp", "/dev", "/sys", "/bin/sh",
                "/nonexistent"]


# Every PageXxx() flag test of drgn 0.0.22 (mm.py).
PAGE_FLAG_TESTS = sorted(n for n in dir(mm_helpers) if n.startswith("Page")
                         and n not in ("PageCompound", "PageHead", "PageTail"))


def hexa(v):
    return hex(v)


def err(e):
    return f"{type(e).__name__}: {e}"


def capture(fn, *args):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args)
    return buf.getvalue()


def esc(b):
    return escape_ascii_string(b, escape_backslash=True)


def open_prog(core, debug):
    prog = drgn.Program()
    prog.set_core_dump(core)
    prog.load_debug_info([p for p in debug if os.path.exists(p)])
    return prog


# The drgn equivalents of the scripts (scripts/mounts.ts, slabinfo.ts, files.ts).

def script_mounts(prog):
    print_mounts(prog)


def script_slabinfo(prog):
    print(f"{'NAME':<24} {'OBJSIZE':>8} {'SIZE':>8} {'ALLOCATED':>10} {'REFS':>5}  ADDRESS")
    for s in for_each_slab_cache(prog):
        n = sum(1 for _ in slab_cache_for_each_allocated_object(s, "void"))
        name = esc(s.name.string_())
        print(f"{name:<24} {s.object_size.value_():>8} {s.size.value_():>8} {n:>10} "
              f"{s.refcount.value_():>5}  0x{s.value_():x}")


def script_files(prog, pid):
    print_files(find_task(prog, pid))


def slab_info_json(info):
    if info is None:
        return None
    return {"cache": esc(info.slab_cache.name.string_()), "cacheAddress": hexa(info.slab_cache.value_()),
            "slab": hexa(info.slab.value_()), "slabType": info.slab.type_.type_name(),
            "address": hexa(info.address), "allocated": info.allocated}


def user_tasks(prog):
    return sorted((t for t in for_each_task(prog) if t.mm.value_() != 0), key=lambda t: t.pid.value_())


def gen(name, prog):
    out = {}
    # --- mounts
    out["mounts"] = [[mount_src(m).decode(), mount_dst(m).decode(), mount_fstype(m).decode(),
                      hexa(m.value_())] for m in for_each_mount(prog)]
    # --- slab caches
    caches = list(for_each_slab_cache(prog))
    out["slabCaches"] = [[c.name.string_().decode(), hexa(c.value_()), c.object_size.value_(),
                          c.size.value_()] for c in caches]
    counts = {}
    for cname, tname in COUNT_CACHES:
        c = find_slab_cache(prog, cname)
        if c is None:
            continue
        objs = [o.value_() for o in slab_cache_for_each_allocated_object(c, tname)]
        counts[cname] = {"count": len(objs), "first": hexa(min(objs)) if objs else None,
                         "last": hexa(max(objs)) if objs else None, "sum": hexa(sum(objs) & (2**64 - 1))}
    out["slabCounts"] = counts
    out["slabAliases"] = get_slab_cache_aliases(prog)

    # --- addresses to probe
    probes = []  # [label, address]
    tasks = user_tasks(prog)
    init = find_task(prog, 1)
    for t in [init] + tasks[1:3]:
        pid = t.pid.value_()
        probes.append([f"task {pid}", t.value_()])
        probes.append([f"task {pid} comm", t.comm.address_of_().value_()])
        probes.append([f"task {pid} mm", t.mm.value_()])
        probes.append([f"task {pid} files", t.files.value_()])
        probes.append([f"task {pid} stack+0x100", t.stack.value_() + 0x100])
        for fd, f in list(for_each_file(t))[:2]:
            probes.append([f"task {pid} fd {fd} file+0x10", f.value_() + 0x10])
            probes.append([f"task {pid} fd {fd} dentry", f.f_path.dentry.value_()])
    for cname in FREE_CACHES:
        c = find_slab_cache(prog, cname)
        if c is None:
            continue
        for cpu in for_each_online_cpu(prog):
            head = per_cpu_ptr(c.cpu_slab, cpu).freelist.value_()
            if head:
                probes.append([f"{cname} cpu {cpu} freelist head+8", head + 8])
                break
        # A per-CPU partial slab's own free list.
        for cpu in for_each_online_cpu(prog):
            partial = per_cpu_ptr(c.cpu_slab, cpu).partial
            if partial and partial.freelist:
                probes.append([f"{cname} cpu {cpu} partial freelist head", partial.freelist.value_()])
                break
    probes.append(["init_task+0x10", prog["init_task"].address_of_().value_() + 0x10])
    probes.append(["start_kernel+0x5", prog.symbol("start_kernel").address + 5])
    probes.append(["jiffies_64", prog["jiffies_64"].address_of_().value_()])
    probes.append(["user 0x400000", 0x400000])
    probes.append(["zero page direct map", pfn_to_virt(prog, 0).value_() + 0x20])
    probes.append(["null", 0])
    ident = []
    for label, a in probes:
        try:
            info = slab_info_json(slab_object_info(prog, a))
        except Exception as e:
            info = {"error": err(e)}
        c = find_containing_slab_cache(prog, a)
        ident.append({"label": label, "address": hexa(a), "identify": identify_address(prog, a),
                      "slabObjectInfo": info,
                      "containingCache": None if not c else esc(c.name.string_())})
    out["addresses"] = ident

    # --- vmap stacks: what later drgn releases print (0.0.22 says None)
    out["stacks"] = [{"pid": t.pid.value_(), "comm": t.comm.string_().decode(),
                      "stack": hexa(t.stack.value_())} for t in [init] + tasks[1:3]]

    # --- vmalloc areas other than stacks, from vmap_area_list (what later
    # drgn releases print for them: "vmap: START-END caller SYMBOL+OFF")
    stack_vms = {t.stack_vm_area.value_() for t in for_each_task(prog)}
    vmaps = []
    for va in list_for_each_entry("struct vmap_area", prog["vmap_area_list"].address_of_(), "list"):
        vm = va.vm.read_()
        if not vm or vm.value_() in stack_vms:
            continue
        caller = vm.caller.value_()
        try:
            sym = prog.symbol(caller)
            where = f"{sym.name}+{hex(caller - sym.address)}"
        except LookupError:
            where = None
        vmaps.append({"start": hexa(va.va_start.value_()), "end": hexa(va.va_end.value_()),
                      "caller": where})
        if len(vmaps) == 4:
            break
    out["vmaps"] = vmaps

    # --- conversions and page flags
    conv = []
    for label, a in probes:
        if not (pfn_to_virt(prog, prog["min_low_pfn"]).value_() <= a <
                pfn_to_virt(prog, prog["max_pfn"]).value_()):
            continue
        page = virt_to_page(prog, a)
        e = {"label": label, "address": hexa(a), "phys": hexa(virt_to_phys(prog, a).value_()),
             "page": hexa(page.value_()), "pfn": hexa(page_to_pfn(page).value_()),
             "pageVirt": hexa(page_to_virt(page).value_()),
             "physToVirt": hexa(phys_to_virt(prog, virt_to_phys(prog, a)).value_())}
        try:
            e["flags"] = decode_page_flags(page)
            head = compound_head(page)
            e["head"] = hexa(head.value_())
            e["headFlags"] = decode_page_flags(head)
            e["compound"] = [compound_order(page).value_(), compound_nr(page).value_(),
                             page_size(page).value_(), PageHead(page), PageTail(page),
                             PageCompound(page), compound_order(head).value_()]
            e["tests"] = [n for n in PAGE_FLAG_TESTS if getattr(mm_helpers, n)(head)]
        except FaultError as ex:
            e["error"] = err(ex)
        try:
            e["bytes"] = prog.read(a, 32).hex()
        except FaultError as ex:
            e["bytes"] = None
        conv.append(e)
    out["conversions"] = conv
    pfns = []
    lo, hi = prog["min_low_pfn"].value_(), prog["max_pfn"].value_()
    for pfn in sorted({lo, lo + 1, 0x100, 0x1000, 0x1234, 0x2000, 0x3000, hi // 2, hi - 1}):
        page = pfn_to_page(prog, pfn)
        try:
            flags = decode_page_flags(page)
            tests = [n for n in PAGE_FLAG_TESTS if getattr(mm_helpers, n)(page)]
        except FaultError as ex:
            flags = err(ex)
            tests = None
        pfns.append({"pfn": pfn, "page": hexa(page.value_()), "virt": hexa(pfn_to_virt(prog, pfn).value_()),
                     "flags": flags, "tests": tests})
    out["pfns"] = pfns
    # Kernel image addresses: what they hold (followPhys(init_mm, addr) must reach the same bytes).
    out["image"] = [{"symbol": s, "address": hexa(prog.symbol(s).address),
                     "bytes": prog.read(prog.symbol(s).address, 32).hex()}
                    for s in ["init_task", "schedule", "jiffies_64", "init_mm"]]
    out["totalramPages"] = prog["_totalram_pages"].counter.value_()
    out["pageCount"] = sum(1 for _ in for_each_page(prog))
    out["pageFlagTests"] = PAGE_FLAG_TESTS

    # --- tasks: files, user memory, VMAs
    # The caches VMAs may come from: vm_area_struct, or the cache it was
    # merged into (the sample kernel's); objects of other types in a merged
    # cache are told apart by a vm_mm that is some task's mm and a
    # page-aligned, non-empty range.
    vma_size = sizeof(prog.type("struct vm_area_struct"))
    vma_caches = [c for c in caches if c.name.string_() == b"vm_area_struct"] or [
        c for c in caches if c.object_size.value_() == vma_size]
    mms = {t.mm.value_() for t in for_each_task(prog)} - {0}
    vmas_by_mm = {}
    for vma_cache in vma_caches:
        for v in slab_cache_for_each_allocated_object(vma_cache, "struct vm_area_struct"):
            start, end = v.vm_start.value_(), v.vm_end.value_()
            if v.vm_mm.value_() not in mms or start >= end or (start | end) & 0xfff:
                continue
            vmas_by_mm.setdefault(v.vm_mm.value_(), []).append(
                [hexa(start), hexa(end), hexa(v.vm_flags.value_()), hexa(v.value_())])
    per_task = []
    for t in [init] + tasks[1:7]:
        pid = t.pid.value_()
        e = {"pid": pid, "comm": t.comm.string_().decode(), "task": hexa(t.value_())}
        # A reserved descriptor (open_fds bit set, no file installed yet, as
        # in accept()) is NULL: drgn's print_files() fails on it.
        e["files"] = [[fd, d_path(f.f_path).decode() if f else None, hexa(f.value_())]
                      for fd, f in for_each_file(t)]
        try:
            e["printFiles"] = capture(print_files, t)
        except FaultError as ex:
            e["printFiles"] = {"error": err(ex)}
        # User memory, each read in a fresh program: after a read of an
        # excluded page fails, drgn 0.0.22 (libkdumpfile) fails every later
        # read of that page's neighbours with "Decompresion failed".
        for what, fn in [("cmdline", cmdline), ("environ", environ),
                         ("argBytes", lambda t: access_remote_vm(t.mm, t.mm.arg_start, 24))]:
            fresh = open_prog(*DUMPS[name])
            try:
                r = fn(find_task(fresh, pid))
                e[what] = r.hex() if what == "argBytes" else [b.decode() for b in r]
            except FaultError as ex:
                e[what] = {"error": err(ex)}
        mm = t.mm
        e["argStart"] = hexa(mm.arg_start.value_())
        e["vmas"] = sorted(vmas_by_mm.get(mm.value_(), []), key=lambda v: int(v[0], 16))
        per_task.append(e)
    out["tasks"] = per_task

    # --- paths
    fsroot = prog["init_task"].fs.root
    out["rootPath"] = d_path(fsroot).decode()
    lookups = []
    for p in LOOKUP_PATHS:
        try:
            r = path_lookup(prog, p)
        except Exception as ex:
            lookups.append({"path": p, "error": err(ex)})
            continue
        inode = r.dentry.d_inode
        ip = inode_path(inode)
        lookups.append({"path": p, "dPath": d_path(r).decode(), "dentry": hexa(r.dentry.value_()),
                        "mnt": hexa(r.mnt.value_()), "dentryPath": dentry_path(r.dentry).decode(),
                        "inodePath": None if ip is None else ip.decode()})
    out["lookups"] = lookups

    # --- an annotated stack: a task sleeping in a known syscall
    sleeper = next(t for t in for_each_task(prog) if t.comm.string_() in (b"kfix_sleeper", b"wyv_sleeper"))
    out["annotatedStack"] = {"pid": sleeper.pid.value_(),
                             "text": capture(print_annotated_stack, prog.stack_trace(sleeper))}

    # --- scripts
    out["scripts"] = {"mounts": capture(script_mounts, prog),
                      "slabinfo": capture(script_slabinfo, prog),
                      "files 1": capture(script_files, prog, 1)}
    return out


def gen_format(prog):
    """decode_flags, decode_enum_type_flags and the ASCII escapes on sample inputs."""
    flags = [["BOLD", 0], ["ITALIC", 1], ["UNDERLINE", 2], ["BLINK", 63]]
    values = [0, 1, 2, 5, 7, 27, 1 << 63, (1 << 63) | 3, (1 << 64) - 1, -1]
    out = {"flags": flags, "decodeFlags": [[str(v), decode_flags(v, flags)] for v in values]}
    masks = [["A", 1], ["B", 6], ["C", 4], ["D", 0x100]]
    out["masks"] = masks
    out["decodeFlagsMasks"] = [[str(v), decode_flags(v, masks, bit_numbers=False)]
                               for v in [0, 1, 2, 4, 6, 7, 0x101, 0x1008]]
    # Kernel enums: page flags are bit numbers, gfp-like values are not.
    enums = {}
    for tname, bit_numbers, vals in [
            ("enum pageflags", True, [0, 1, 0x200, 0x10200, 0x3ffff, 1 << 40]),
            ("enum pid_type", False, [0, 1, 2, 3, 7, 0x10])]:
        t = prog.type(tname)
        enums[tname] = {"bitNumbers": bit_numbers, "cases": [
            [str(v), decode_enum_type_flags(v, t, bit_numbers)] for v in vals]}
    out["enums"] = enums
    data = bytes(range(256))
    out["escapeAll"] = escape_ascii_string(data)
    out["escapeAllQuoted"] = escape_ascii_string(data, escape_single_quote=True,
                                                 escape_double_quote=True, escape_backslash=True)
    out["escapeCharacters"] = [[c, escape_ascii_character(c, escape_single_quote=True)]
                               for c in [0, 7, 9, 10, 13, 27, 34, 39, 92, 127, 128, 255]]
    return out


def main():
    which = sys.argv[1:] or list(DUMPS)
    path = os.path.join(HERE, "mm_slab_fs_goldens.json")
    result = {}
    if os.path.exists(path):
        with open(path) as f:
            result = json.load(f)
    result["drgn_version"] = drgn.__version__
    for name in which:
        core, debug = DUMPS[name]
        print(f"{name}: {core}", file=sys.stderr)
        prog = open_prog(core, debug)
        if name == "kdump":
            result["format"] = gen_format(prog)
        result[name] = gen(name, prog)
        with open(path, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
