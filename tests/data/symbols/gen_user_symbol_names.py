#!/usr/bin/python3
"""drgn 0.0.22's prog.symbol(name) for every symbol name the `types`
fixture binary defines (functions, objects, TLS variables; names that
ld.so and libc define too, such as _DYNAMIC, show which module drgn
searches first), on its gcore, for the gcc-O0 and clang-O0 builds; for
tests/lib/program/symbol_test.ts.

  /usr/bin/python3 tests/data/symbols/gen_user_symbol_names.py FIXTURES > tests/data/symbols/user_symbol_names.json

The core names its binary by the path it was built at,
/opt/wyvern-fixtures/user: make that a link to FIXTURES/user while this runs.
"""
import json, os, subprocess, sys
import drgn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from drgn_fixtures import user_core_program  # noqa: E402

fixtures = sys.argv[1]
out = {"generator": "tests/data/symbols/gen_user_symbol_names.py", "drgn_version": drgn.__version__}
for variant in ["gcc-O0", "clang-O0"]:
    binary = f"{fixtures}/user/out/bin/{variant}/types"
    # The binary is found through the core (by its path there): drgn 0.0.22
    # loads a binary given explicitly without the core's bias.
    prog = user_core_program(fixtures, variant, "types")
    names = set()
    text = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 8 and f[0][:-1].isdigit() and f[6] != "UND" and f[3] not in ("SECTION", "FILE"):
            names.add(f[7].split("@")[0])
    rows = []
    for n in sorted(names):
        try:
            s = prog.symbol(n)
            rows.append([n, hex(s.address), s.size, s.binding.name, s.kind.name])
        except LookupError:
            rows.append([n, None])
    out[variant] = rows
json.dump(out, sys.stdout, indent=0)
print()
