#!/usr/bin/python3
"""drgn 0.0.22's answers from its bitops, block, cgroup, device, kernfs,
net, nodemask, tc, tcp and user helpers on the kernel fixture (vmlinux and its 5
modules), for tests/helpers/linux/device_cgroup_test.ts.

  /usr/bin/python3 tests/data/helpers/gen_device_cgroup_helpers.py FIXTURES CACHE > tests/data/helpers/device_cgroup_helpers.json
"""
import contextlib, io, json, os, sys
import drgn
from drgn import NULL
from drgn.helpers.linux.bitops import for_each_clear_bit, for_each_set_bit, test_bit
from drgn.helpers.linux.block import (
    disk_devt, disk_name, for_each_disk, for_each_partition, part_devt, part_name,
    print_disks, print_partitions,
)
from drgn.helpers.linux.cgroup import (
    cgroup_get_from_path, cgroup_name, cgroup_parent, cgroup_path,
    css_for_each_child, css_for_each_descendant_pre,
)
from drgn.helpers.linux.device import MAJOR, MINOR, MKDEV
from drgn.helpers.linux.kernfs import kernfs_name, kernfs_path, kernfs_walk
from drgn.helpers.linux.nodemask import for_each_node, for_each_online_node, node_state
from drgn.helpers.linux.user import find_user, for_each_user
from drgn.helpers.linux.fs import for_each_file
from drgn.helpers.linux.net import (
    SOCK_INODE, SOCKET_I, for_each_net, get_net_ns_by_inode, netdev_for_each_tx_queue,
    netdev_get_by_index, netdev_get_by_name, sk_fullsock, sk_nulls_for_each,
)
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.tc import qdisc_lookup
from drgn.helpers.linux.tcp import sk_tcpstate
from drgn.helpers.linux.bpf import (
    bpf_btf_for_each, bpf_link_for_each, bpf_map_for_each, bpf_prog_for_each,
    cgroup_bpf_prog_for_each, cgroup_bpf_prog_for_each_effective,
)
from drgn.helpers.linux.llist import llist_first_entry_or_null
from drgn.helpers.common.type import enum_type_to_class

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from drgn_fixtures import kernel_program  # noqa: E402

fixtures, cache = sys.argv[1:3]
prog = kernel_program(fixtures, cache)
hx = lambda o: hex(o.value_())
out = {"generator": "tests/data/helpers/gen_device_cgroup_helpers.py", "drgn_version": drgn.__version__}

bits = prog["__cpu_online_mask"].bits
out["bitops"] = {
    "set_64": list(for_each_set_bit(bits, 64)),
    "clear_8": list(for_each_clear_bit(bits, 8)),
    "test": [test_bit(i, bits) for i in range(4)],
}
disks = list(for_each_disk(prog))
out["disks"] = [
    {"address": hx(d), "name": disk_name(d).decode(), "devt": disk_devt(d).value_(),
     "major": MAJOR(disk_devt(d)), "minor": MINOR(disk_devt(d))} for d in disks
]
out["partitions"] = [
    {"address": hx(p), "name": part_name(p).decode(), "devt": part_devt(p).value_()}
    for p in for_each_partition(prog)
]
out["mkdev"] = MKDEV(259, 65537)
for fn, key in [(print_disks, "print_disks"), (print_partitions, "print_partitions")]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(prog)
    out[key] = buf.getvalue()
out["nodes"] = {
    "all": list(for_each_node(prog)),
    "online": list(for_each_online_node(prog)),
    "memory0": node_state(0, prog["N_MEMORY"]),
    "cpu0": node_state(0, prog["N_CPU"]),
}
out["users"] = [{"address": hx(u), "uid": u.uid.val.value_()} for u in for_each_user(prog)]
out["find_user"] = {str(uid): hx(find_user(prog, uid)) for uid in [0, 1, 1000, 65534]}

root = prog["cgrp_dfl_root"].cgrp
cgroups = []
for css in css_for_each_descendant_pre(root.self.address_of_()):
    cg = drgn.container_of(css, "struct cgroup", "self")
    path = cgroup_path(cg).decode()
    cgroups.append({
        "address": hx(cg), "name": cgroup_name(cg).decode(), "path": path,
        "parent": hx(cgroup_parent(cg)),
        "children": [hx(c) for c in css_for_each_child(css)],
        "from_path": hx(cgroup_get_from_path(prog, path)),
        "kn_name": kernfs_name(cg.kn).decode(), "kn_path": kernfs_path(cg.kn).decode(),
    })
out["cgroups"] = cgroups
out["cgroup_missing"] = hx(cgroup_get_from_path(prog, "no/such/cgroup"))
out["kernfs_walk_null"] = hx(kernfs_walk(root.kn, "nonexistent"))
out["nets"] = [hx(n) for n in for_each_net(prog)]
out["netdev_by_index"] = [hx(netdev_get_by_index(prog, i)) for i in range(4)]
out["netdev_by_name"] = {n: hx(netdev_get_by_name(prog, n)) for n in ["lo", "dummy0", "eth0"]}
out["tx_queues"] = {
    n: [hx(q) for q in netdev_for_each_tx_queue(netdev_get_by_name(prog, n))] for n in ["lo", "dummy0"]
}
out["qdisc"] = {n: hx(qdisc_lookup(netdev_get_by_name(prog, n), 0)) for n in ["lo", "dummy0"]}
sockets = []
for task in for_each_task(prog):
    if not task.files:
        continue
    for fd, f in for_each_file(task):
        inode = f.f_inode
        if not f or not inode or inode.i_mode & 0o170000 != 0o140000:
            continue
        sock = SOCKET_I(inode)
        sk = sock.sk
        try:
            get_net_ns_by_inode(inode)
            ns_error = None
        except ValueError as e:
            ns_error = str(e)
        sockets.append({
            "pid": task.pid.value_(), "fd": fd, "socket": hx(sock),
            "inode_back": SOCK_INODE(sock).value_() == inode.value_(),
            "tcpstate": str(sk_tcpstate(sk)) if sk else None,
            "fullsock": sk_fullsock(sk) if sk else None,
            "ns_error": ns_error,
        })
out["sockets"] = sockets
lh = prog["tcp_hashinfo"].lhash2
out["listening"] = sorted(
    hx(sk) for i in range(prog["tcp_hashinfo"].lhash2_mask.value_() + 1)
    for sk in sk_nulls_for_each(lh[i].nulls_head.address_of_())
)
out["bpf"] = {
    "progs": [hx(p) for p in bpf_prog_for_each(prog)],
    "maps": [hx(p) for p in bpf_map_for_each(prog)],
    "links": [hx(p) for p in bpf_link_for_each(prog)],
    "btfs": [hx(p) for p in bpf_btf_for_each(prog)],
    "cgroup": [[hx(p) for p in cgroup_bpf_prog_for_each(root.address_of_(), t)] for t in range(4)],
    "effective": [[hx(p) for p in cgroup_bpf_prog_for_each_effective(root.address_of_(), t)] for t in range(4)],
}
out["llist_first_or_null"] = hx(llist_first_entry_or_null(
    prog["delayed_fput_list"].address_of_(), "struct file", "f_llist"))
PidType = enum_type_to_class(prog.type("enum pid_type"), "PidType", exclude=("__PIDTYPE_TGID",), prefix="PIDTYPE_")
out["enum_class"] = {e.name: e.value for e in PidType}
json.dump(out, sys.stdout, indent=1)
print()
