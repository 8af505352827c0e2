#!/usr/bin/python3
"""Writes kernel_goldens.json: drgn 0.0.22's str(obj) and format_() of big
kernel types (struct task_struct, struct rq, ...) over the Debian 6.1
vmlinux's debug info: value objects made from pseudo-random bytes with
Object.from_bytes_, and reference objects over a memory segment holding
such bytes (every third word zeroed, for implicit members). The bytes come
from xorshift32 (a seed per case), which the test repeats, so only the text
is stored.

Run: /usr/bin/python3 tests/data/object/gen_kernel_goldens.py [VMLINUX]
(default ${WYVERN_CACHE:-/var/cache/wyvern-fixtures}/vmlinux-6.1.0-56-amd64).
"""

import json
import os
import sys

import drgn
from drgn import Object, Program

CACHE = os.environ.get("WYVERN_CACHE", "/var/cache/wyvern-fixtures")
VMLINUX = sys.argv[1] if len(sys.argv) > 1 else CACHE + "/vmlinux-6.1.0-56-amd64"

TYPES = ["struct task_struct", "struct rq", "struct mm_struct", "struct page", "struct sk_buff",
         "struct kmem_cache"]
OPTIONS = {
    "str": None,
    "columns_80_same_line": dict(columns=80, members_same_line=True),
    "no_type_names": dict(type_name=False, member_type_names=False),
    "no_implicit_members": dict(implicit_members=False),
    "char_indices": dict(char=True, element_indices=True, string=False),
}


def xorshift_bytes(seed, n, zero_every):
    """n pseudo-random bytes; every `zero_every`-th 8-byte word is zeroed (if > 0)."""
    x = seed
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
        out[i] = x & 0xff
    if zero_every:
        for w in range(0, n // 8, zero_every):
            out[8 * w:8 * w + 8] = bytes(8)
    return bytes(out)


prog = Program(drgn.host_platform)
prog.load_debug_info([VMLINUX])
segments = {}


def read_segment(address, count, offset, physical):
    base = address - offset
    return segments[base][offset:offset + count]


cases = []
for i, name in enumerate(TYPES):
    t = prog.type(name)
    size = drgn.sizeof(t)
    for kind, seed, zero_every in (("value", 0x1234567 + i, 0), ("reference", 0x7654321 + i, 3)):
        data = xorshift_bytes(seed, size, zero_every)
        address = 0x10000000 * (i + 1)
        if kind == "value":
            try:
                obj = Object.from_bytes_(prog, t, data)
            except Exception:  # drgn 0.0.22 cannot make values with flexible arrays
                continue
        else:
            segments[address] = data
            prog.add_memory_segment(address, size, read_segment)
            obj = Object(prog, t, address=address)
        formats = {}
        for k, opts in OPTIONS.items():
            try:
                formats[k] = {"value": str(obj) if opts is None else obj.format_(**opts)}
            except Exception as e:  # the error is the golden answer
                formats[k] = {"error": type(e).__name__, "message": str(e)}
        cases.append({"type": name, "kind": kind, "address": hex(address), "seed": seed,
                      "zero_every": zero_every, "formats": formats})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_goldens.json")
with open(out, "w") as f:
    json.dump({"generator": "gen_kernel_goldens.py", "drgn_version": drgn.__version__,
               "vmlinux": os.path.basename(VMLINUX), "option_sets": OPTIONS, "cases": cases}, f, indent=0)
    f.write("\n")
print(len(cases), "cases", os.path.getsize(out), "bytes")
