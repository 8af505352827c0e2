#!/usr/bin/python3
"""drgn 0.0.22's answers to prog.symbol(address) on the kernel fixture
(vmlinux + its 5 modules) and on a userspace core, for
tests/lib/program/symbol_test.ts.

Kernel addresses: every vmlinux address where two or more symbols start
(where elfutils' search order decides) and a deterministic 1% of the other
symbols, each at its start, start + 1, middle, last byte, end and past it;
and every 24th byte of each module's core layout. Userspace: 6,000 addresses
spread over the core's PT_LOAD segments (program, libc, ld.so, vdso, stack).
By name: every name that more than one vmlinux symbol has.

  /usr/bin/python3 tests/data/symbols/gen_symbol_goldens.py FIXTURES CACHE > tests/data/symbols/symbol_goldens.json

FIXTURES is ../shared/fixtures, CACHE the decompressed fixture cache (the
vmlinux). The userspace core names its binary by the path it was built at,
/opt/wyvern-fixtures/user: make that a link to FIXTURES/user while this runs.
"""
import collections, json, os, random, subprocess, sys
import drgn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from drgn_fixtures import kernel_program, user_core_program  # noqa: E402

fixtures, cache = sys.argv[1:3]
vmlinux = f"{cache}/vmlinux-6.1.0-56-amd64"
user_core = f"{fixtures}/user/out/core/gcc-O0/datastructs.gcore"
user_bin = f"{fixtures}/user/out/bin/gcc-O0/datastructs"


def readelf(*args):
    return subprocess.run(["readelf", *args], capture_output=True, text=True, check=True).stdout


def answers(prog, addrs):
    res = []
    for a in addrs:
        try:
            s = prog.symbol(a)
            res.append([hex(a), s.name, hex(s.address), s.size])
        except LookupError:
            res.append([hex(a), None])
    return res


kprog = kernel_program(fixtures, cache)
offset = kprog.symbol("_stext").address - 0xFFFFFFFF81000000
syms = []
names = collections.Counter()
for line in readelf("-sW", vmlinux).splitlines():
    f = line.split()
    if len(f) >= 8 and f[0][:-1].isdigit() and f[6] != "UND":
        names[f[7]] += 1
    if len(f) >= 8 and f[0][:-1].isdigit() and f[6] != "UND" and f[3] not in ("SECTION", "FILE"):
        a = int(f[1], 16)
        if a >= 0xFFFFFFFF80000000:
            syms.append((a, int(f[2], 0)))
starts = collections.Counter(a for a, _ in syms)
rng = random.Random(1)
kaddrs = set()
for a, size in syms:
    if starts[a] > 1 or rng.random() < 0.01:
        for d in {0, 1, size // 2, max(size - 1, 0), size, size + 1}:
            kaddrs.add(a + offset + d)
head = kprog["modules"].address_
node = kprog["modules"].next
while node.value_() != head:
    mod = drgn.container_of(node, "struct module", "list")
    base = mod.core_layout.base.value_()
    kaddrs.update(range(base, base + mod.core_layout.size.value_(), 24))
    node = node.next

uprog = user_core_program(fixtures, "gcc-O0", "datastructs", binaries=[user_bin])
loads = []
for line in readelf("-lW", user_core).splitlines():
    f = line.split()
    if f and f[0] == "LOAD":
        loads.append((int(f[2], 16), int(f[5], 16)))
total = sum(size for _, size in loads)
uaddrs = set()
for start, size in loads:
    n = max(1, 6000 * size // total)
    uaddrs.update(start + size * i // n + i % 7 for i in range(n))

by_name = []
for n in sorted(n for n, c in names.items() if c > 1):
    s = kprog.symbol(n)
    by_name.append([n, hex(s.address), s.size, s.binding.name])

json.dump({
    "generator": "tests/data/symbols/gen_symbol_goldens.py",
    "drgn_version": drgn.__version__,
    "kaslr_offset": hex(offset),
    "kernel": answers(kprog, sorted(kaddrs)),
    "kernel_by_name": by_name,
    "user": answers(uprog, sorted(uaddrs)),
}, sys.stdout, separators=(",", ":"))
print()
