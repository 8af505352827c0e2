#!/usr/bin/python3
"""drgn 0.0.22's stack traces on the IRQ sample dump, as JSON (drgn.json).

Usage: drgn_ref.py VMCORE VMLINUX WYVERN_IRQ_KO > drgn.json
(run by scripts/sample/make.sh, step irq-ship).  Records the traces of
cpu_curr(1) (swapper/1, really in hard-IRQ context), of PID 2 (kthreadd: drgn
matches QEMU's NT_PRSTATUS notes to tasks by pr_pid = vCPU index + 1, so it gets
CPU 1's registers) and of the crashed thread (PID 1 for the same reason).
"""
import json
import sys

import drgn
from drgn.helpers.linux.percpu import per_cpu


def frames(trace):
    out = []
    for f in trace:
        try:
            pc = f.pc
        except LookupError:  # drgn 0.0.22 on the frame after the IRQ stack: "???"
            out.append({"name": f.name, "pc": None, "sp": None, "interrupted": f.interrupted,
                        "is_inline": f.is_inline, "symbol": None, "symbol_offset": None,
                        "source": None})
            continue
        try:
            sym = f.symbol()
            symbol, offset = sym.name, pc - sym.address
        except LookupError:
            symbol, offset = None, None
        try:
            file, line, _col = f.source()
            source = f"{file}:{line}"
        except LookupError:
            source = None
        out.append({
            "name": f.name, "pc": hex(pc), "sp": hex(f.sp), "interrupted": f.interrupted,
            "is_inline": f.is_inline, "symbol": symbol, "symbol_offset": offset,
            "source": source,
        })
    return out


def main():
    vmcore, vmlinux, ko = sys.argv[1:4]
    prog = drgn.Program()
    prog.set_core_dump(vmcore)
    prog.load_debug_info([vmlinux, ko])
    out = {"drgn": drgn.__version__, "traces": {}}
    for label, task in [
        ("cpu_curr(1)", per_cpu(prog["runqueues"], 1).curr),
        ("pid 2", prog.thread(2).object),
        ("crashed_thread", prog.crashed_thread().object),
    ]:
        entry = {"pid": task.pid.value_(), "comm": task.comm.string_().decode()}
        try:
            trace = prog.stack_trace(task)
            entry["text"] = str(trace)
            entry["frames"] = frames(trace)
        except Exception as e:  # recorded: what drgn does is the point
            entry["error"] = f"{type(e).__name__}: {e}"
        out["traces"][label] = entry
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


main()
