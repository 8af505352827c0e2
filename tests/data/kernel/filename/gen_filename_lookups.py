#!/usr/bin/python3
"""drgn 0.0.22's answers to lookups restricted to a file (the `filename`
argument of prog.object / variable / function / constant / type) for the
queries in queries.json: on the kernel fixture (vmlinux; kernel statics
defined in several files, with needles from their definitions' files) and
on the user fixture gcc-O0 types.gcore; for tests/lib/program/filename_test.ts.

  /usr/bin/python3 tests/data/kernel/filename/gen_filename_lookups.py FIXTURES CACHE > tests/data/kernel/filename/answers.json

The user core names its binary by the path it was built at,
/opt/wyvern-fixtures/user: make that a link to FIXTURES/user while this runs.
"""
import json, os, sys
import drgn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from drgn_fixtures import kernel_program, user_core_program  # noqa: E402

fixtures, cache = sys.argv[1:3]
here = os.path.dirname(os.path.abspath(__file__))
queries = json.load(open(os.path.join(here, "queries.json")))

kprog = kernel_program(fixtures, cache, modules=())
uprog = user_core_program(fixtures, "gcc-O0", "types")


def answer(prog, name, filename, kind):
    try:
        if kind == "type":
            return {"type": str(prog.type(name, filename)).split("\n")[0]}
        if kind == "object":
            o = prog.object(name, drgn.FindObjectFlags.ANY, filename)
        else:
            o = getattr(prog, kind)(name, filename)
        return {"object": str(o).split("\n")[0], "address": None if o.address_ is None else hex(o.address_)}
    except LookupError as e:
        return {"error": "LookupError", "message": str(e)}


out = {"generator": "tests/data/kernel/filename/gen_filename_lookups.py", "drgn_version": drgn.__version__}
out["filename_matches"] = [[h, n, drgn.filename_matches(h, n)] for h, n in queries["filename_matches"]]
for target, prog in (("kernel", kprog), ("user", uprog)):
    out[target] = [[n, f, k, answer(prog, n, f, k)] for n, f, k in queries[target]]
json.dump(out, sys.stdout, indent=0)
print()
