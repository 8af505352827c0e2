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
import json, subprocess, sys
import drgn

fixtures = sys.argv[1]
out = {"generator": "tests/data/symbols/gen_user_symbol_names.py", "drgn_version": drgn.__version__}
for variant in ["gcc-O0", "clang-O0"]:
    binary = f"{fixtures}/user/out/bin/{variant}/types"
    prog = drgn.Program()
    prog.set_core_dump(f"{fixtures}/user/out/core/{variant}/types.gcore")
    try:
        # The binary is found through the core (by its path there): drgn
        # 0.0.22 loads a binary given explicitly without the core's bias.
        prog.load_debug_info(default=True)
    except drgn.MissingDebugInfoError as e:
        print(e, file=sys.stderr)
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
