# drgn 0.0.22 side of scripts/bench.ts: the same work as scripts/bench_tasks.ts
# ("tasks", and "traces" for its --traces) and scripts/bench_big.ts ("list",
# "array"), printing the same JSON line.
#
#   /usr/bin/python3 scripts/bench_drgn.py tasks|traces VMCORE VMLINUX [MODULE.ko...]
#   /usr/bin/python3 scripts/bench_drgn.py list|array CORE BINARY BIAS
import json
import sys
import time

import drgn

what, core, *debug = sys.argv[1:]
prog = drgn.Program()
prog.set_core_dump(core)
if what == "tasks":
    from drgn.helpers.linux.pid import for_each_task

    try:
        prog.load_debug_info(debug)
    except drgn.MissingDebugInfoError:
        pass
    rows = [(t.pid.value_(), t.comm.string_()) for t in for_each_task(prog)]
    print(json.dumps({"tasks": len(rows)}))
elif what == "traces":
    from drgn.helpers.linux.pid import for_each_task

    try:
        prog.load_debug_info(debug)
    except drgn.MissingDebugInfoError:
        pass
    tasks = list(for_each_task(prog))
    frames = 0
    t = time.perf_counter()
    for task in tasks:
        try:
            for f in prog.stack_trace(task):
                str(f)
                frames += 1
        except Exception:
            pass  # a task whose stack cannot be unwound counts no frames
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({"tasks": len(tasks), "frames": frames, "ms": ms}))
else:
    # drgn 0.0.22 cannot relocate an explicitly given PIE executable (it
    # resolves globals to link-time addresses; see the user fixtures'
    # README), and the core names the executable by a path that does not
    # exist here. So load it as is and place the two globals at their
    # run-time addresses with BIAS (the executable's load bias, which
    # scripts/bench_big.ts prints): the walk itself is then the same
    # Object API work. Loading is not timed.
    bin_path, bias = debug[0], int(debug[1], 0)
    try:
        prog.load_debug_info([bin_path])
    except drgn.MissingDebugInfoError:
        pass

    def relocated(name):
        o = prog[name]
        return drgn.Object(prog, o.type_, address=o.address_ + bias)

    total = 0
    count = 0
    t = time.perf_counter()
    if what == "list":
        node = relocated("g_big_head")
        while node:
            total += node.value.value_()
            count += 1
            node = node.next
    else:
        arr = relocated("g_big_array")
        for i in range(len(arr)):
            total += arr[i].key.value_()
            count += 1
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({"count": count, "sum": str(total), "ms": ms}))
