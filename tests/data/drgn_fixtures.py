"""drgn 0.0.22 programs on the shared fixtures, for the golden generators
(tests/data/**/gen_*.py): the kernel fixture's kdump with the Debian vmlinux
(and its 5 module debug files), and a user fixture's core.

A generator imports it after putting tests/data on sys.path:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from drgn_fixtures import kernel_program, user_core_program
"""
import sys

import drgn

KERNEL_MODULES = ("qemu_fw_cfg", "loop", "brd", "dummy", "minix")


def kernel_dump(fixtures):
    """The kernel fixture's kdump (makedumpfile -c -d 31)."""
    return f"{fixtures}/kernel/vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump"


def kernel_program(fixtures, cache, modules=KERNEL_MODULES):
    """The kernel fixture's kdump with the vmlinux (decompressed in `cache`) and `modules`' debug files."""
    prog = drgn.Program()
    prog.set_core_dump(kernel_dump(fixtures))
    prog.load_debug_info(
        [f"{cache}/vmlinux-6.1.0-56-amd64"] + [f"{fixtures}/kernel/debug/{m}.ko" for m in modules],
        default=False,
    )
    return prog


def user_core_program(fixtures, variant, name, kind="gcore", binaries=()):
    """A user fixture core with its default debug info (and `binaries`); what is missing goes to stderr.

    The core names its binary by the path it was built at,
    /opt/wyvern-fixtures/user: make that a link to FIXTURES/user while a
    generator runs."""
    prog = drgn.Program()
    prog.set_core_dump(f"{fixtures}/user/out/core/{variant}/{name}.{kind}")
    try:
        prog.load_debug_info(list(binaries), default=True)
    except drgn.MissingDebugInfoError as e:
        print(e, file=sys.stderr)
    return prog
