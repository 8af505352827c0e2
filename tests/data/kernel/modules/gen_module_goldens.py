#!/usr/bin/python3
"""drgn 0.0.22 on the kernel fixture with vmlinux and its 5 module debug
files: str() of every global variable the modules define (and of those no
read can give: the error's type), and str() of every struct and union a
module defines, looked up by name (SHA-256 of the strings), for
tests/lib/linux/kernel_module_objects_test.ts.

  /usr/bin/python3 tests/data/kernel/modules/gen_module_goldens.py FIXTURES CACHE > tests/data/kernel/modules/module_goldens.json
"""
import hashlib, json, os, re, subprocess, sys
import drgn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from drgn_fixtures import KERNEL_MODULES, kernel_program  # noqa: E402

fixtures, cache = sys.argv[1:3]
modules = [f"{fixtures}/kernel/debug/{m}.ko" for m in KERNEL_MODULES]
prog = kernel_program(fixtures, cache)

sha = lambda s: hashlib.sha256(s.encode()).hexdigest()
variables, types = {}, {}
seen = {}
for ko in modules:
    for line in subprocess.run(["readelf", "-sW", ko], capture_output=True, text=True, check=True).stdout.splitlines():
        f = line.split()
        if len(f) >= 8 and f[0][:-1].isdigit() and f[3] == "OBJECT" and f[6] != "UND" and "." not in f[7]:
            seen[f[7]] = seen.get(f[7], 0) + 1
    info = subprocess.run(["readelf", "--debug-dump=info", ko], capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"DW_TAG_(structure|union)_type.*\n.*DW_AT_name\s*:.*?([A-Za-z_]\w*)\s*\n.*DW_AT_byte_size", info):
        types[("struct " if m.group(1) == "structure" else "union ") + m.group(2)] = None
for name in sorted(n for n, c in seen.items() if c == 1):
    try:
        variables[name] = {"str_sha256": sha(str(prog.variable(name)))}
    except Exception as e:
        variables[name] = {"error": type(e).__name__}
for t in sorted(types):
    types[t] = sha(str(prog.type(t)))
json.dump({
    "generator": "tests/data/kernel/modules/gen_module_goldens.py",
    "drgn_version": drgn.__version__,
    "variables": variables,
    "types": types,
}, sys.stdout, indent=0)
print()
