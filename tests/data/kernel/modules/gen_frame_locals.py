#!/usr/bin/python3
"""drgn 0.0.22's values of the parameters and local variables of every
frame of every task of the kernel fixture (vmlinux and its 5 module debug
files): for each task, its frames (function name, pc) and, per frame, each
name frame.locals() gives (in its order, repeats included) with str(frame[name]) as SHA-256, or the
exception drgn raised. For tests/lib/linux/kernel_frame_locals_test.ts.

  /usr/bin/python3 tests/data/kernel/modules/gen_frame_locals.py FIXTURES CACHE > tests/data/kernel/modules/frame_locals.json
"""
import hashlib, json, os, sys
import drgn
from drgn.helpers.linux.pid import for_each_task

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from drgn_fixtures import kernel_program  # noqa: E402

fixtures, cache = sys.argv[1:3]
prog = kernel_program(fixtures, cache)
tasks = {}
for t in for_each_task(prog):
    frames = []
    for f in prog.stack_trace(t):
        values = []
        for n in f.locals():
            try:
                s = str(f[n])
                values.append([n, {"absent": True} if s.endswith("<absent>") else {"sha256": hashlib.sha256(s.encode()).hexdigest()}])
            except Exception as e:
                values.append([n, {"error": str(e)[:120]}])
        frames.append({"name": f.name, "pc": hex(f.pc), "locals": values})
    tasks[str(t.pid.value_())] = frames
json.dump({"generator": "tests/data/kernel/modules/gen_frame_locals.py", "drgn_version": drgn.__version__, "tasks": tasks}, sys.stdout, separators=(",", ":"))
print()
