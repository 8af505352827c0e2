/**
 * The bitops, block, cgroup, device, kernfs, net, nodemask, tc, tcp and
 * user helpers on the kernel fixture, against drgn 0.0.22's answers
 * (tests/data/helpers/gen_device_cgroup_helpers.py): its 3 disks (loop0,
 * loop1, ram0) and their partitions, printed as drgn prints them, the NUMA
 * node, root's user_struct, the cgroup hierarchy (the root only, on this
 * machine: a hand-built tree tests the walks), a bitmap, the network
 * devices (lo, dummy0), their queues and qdiscs, and the two listening TCP
 * sockets.
 */

import assert from "node:assert/strict";
import "../../../lib/targets.ts";
import { containerOf } from "../../../lib/object/operators.ts";
import { makeObject, type TypedObject } from "../../../lib/object/typed_object.ts";
import { Program } from "../../../lib/program/program.ts";
import {
  bpfBtfForEach,
  bpfLinkForEach,
  bpfMapForEach,
  bpfProgForEach,
  cgroupBpfProgForEach,
  cgroupBpfProgForEachEffective,
  cgroupGetFromPath,
  cgroupName,
  cgroupParent,
  cgroupPath,
  cssForEachChild,
  cssForEachDescendantPre,
  cssNextChild,
  cssNextDescendantPre,
  diskDevt,
  diskName,
  enumTypeToClass,
  findUser,
  forEachClearBit,
  forEachDisk,
  forEachFile,
  forEachNet,
  forEachNode,
  forEachOnlineNode,
  forEachPartition,
  forEachSetBit,
  forEachTask,
  forEachUser,
  getNetNsByInode,
  kernfsName,
  kernfsPath,
  kernfsWalk,
  llistFirstEntryOrNull,
  MAJOR,
  MINOR,
  MKDEV,
  netdevForEachTxQueue,
  netdevGetByIndex,
  netdevGetByName,
  nodeState,
  partDevt,
  partName,
  printDisks,
  printPartitions,
  qdiscLookup,
  skFullsock,
  skNullsForEach,
  skTcpstate,
  SOCK_INODE,
  SOCKET_I,
  testBit,
} from "../../../helpers/mod.ts";
import { kernelDumpPath, kernelProgram } from "../../_programs.ts";
import { vmlinux } from "../../lib/elf/_fixtures.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const REF: Json = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../data/helpers/device_cgroup_helpers.json", import.meta.url),
  ),
);
const hx = (o: TypedObject) => "0x" + (o.value_() as bigint).toString(16);

/** What `f` prints with console.log. */
function printed(f: () => void): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    f();
  } finally {
    console.log = log;
  }
  return lines.map((l) => l + "\n").join("");
}

Deno.test("bitops: set and clear bits of a bitmap, as drgn", async () => {
  const prog = await kernelProgram();
  const bits = prog.object("__cpu_online_mask").member_("bits");
  assert.deepEqual([...forEachSetBit(bits, 64)], REF.bitops.set_64);
  assert.deepEqual([...forEachClearBit(bits, 8)], REF.bitops.clear_8);
  assert.deepEqual([0, 1, 2, 3].map((i) => testBit(i, bits)), REF.bitops.test);
  // A pointer to the words works as the array does.
  const p = bits.subscript_(0).addressOf_();
  assert.deepEqual([...forEachSetBit(p, 64)], REF.bitops.set_64);
});

Deno.test("block: disks and partitions, their names and numbers, printed as drgn", async () => {
  const prog = await kernelProgram();
  assert.deepEqual(
    [...forEachDisk(prog)].map((d) => {
      const devt = diskDevt(d).value_();
      return { address: hx(d), name: diskName(d), devt, major: MAJOR(devt), minor: MINOR(devt) };
    }),
    REF.disks,
  );
  assert.deepEqual(
    [...forEachPartition(prog)].map((p) => ({
      address: hx(p),
      name: partName(p),
      devt: partDevt(p).value_(),
    })),
    REF.partitions,
  );
  assert.equal(MKDEV(259, 65537), REF.mkdev);
  assert.equal(printed(() => printDisks(prog)), REF.print_disks);
  assert.equal(printed(() => printPartitions(prog)), REF.print_partitions);
});

Deno.test("nodemask and user: NUMA nodes and user_structs, as drgn", async () => {
  const prog = await kernelProgram();
  assert.deepEqual([...forEachNode(prog)], REF.nodes.all);
  assert.deepEqual([...forEachOnlineNode(prog)], REF.nodes.online);
  assert.equal(nodeState(0, prog.object("N_MEMORY")), REF.nodes.memory0);
  assert.equal(nodeState(0, prog.object("N_CPU")), REF.nodes.cpu0);
  assert.deepEqual(
    [...forEachUser(prog)].map((u) => ({
      address: hx(u),
      uid: Number(u.member_("uid").member_("val").value_()),
    })),
    REF.users,
  );
  for (const [uid, addr] of Object.entries(REF.find_user as Record<string, string>)) {
    assert.equal(hx(findUser(prog, Number(uid))), addr, `uid ${uid}`);
  }
  // A kuid_t works too.
  const root = [...forEachUser(prog)][0]!;
  assert.equal(hx(findUser(prog, root.member_("uid"))), hx(root));
});

Deno.test("cgroup and kernfs: the default hierarchy walked, named and looked up, as drgn", async () => {
  const prog = await kernelProgram();
  const root = prog.object("cgrp_dfl_root").member_("cgrp");
  const got = [...cssForEachDescendantPre(root.member_("self").addressOf_())].map((css) => {
    const cg = containerOf(css, "struct cgroup", "self");
    const path = cgroupPath(cg);
    return {
      address: hx(cg),
      name: cgroupName(cg),
      path,
      parent: hx(cgroupParent(cg)),
      children: [...cssForEachChild(css)].map(hx),
      from_path: hx(cgroupGetFromPath(prog, path)),
      kn_name: kernfsName(cg.member_("kn")),
      kn_path: kernfsPath(cg.member_("kn")),
    };
  });
  assert.deepEqual(got, REF.cgroups);
  assert.equal(hx(cgroupGetFromPath(prog, "no/such/cgroup")), REF.cgroup_missing);
  assert.equal(hx(kernfsWalk(root.member_("kn"), "nonexistent")), REF.kernfs_walk_null);
});

Deno.test("cgroup: css walks over a hand-built tree (offline and released nodes)", async () => {
  // The fixture has no cgroup but the root: a tree in memory of our own,
  // laid out with the vmlinux's struct cgroup_subsys_state.
  const prog = new Program();
  prog.setCoreDump(await kernelDumpPath("mdf-c-d31.kdump"));
  prog.loadDebugInfo([await vmlinux()], { default: false });
  const t = prog.type("struct cgroup_subsys_state");
  const off = (m: string) => t.member(m).bitOffset / 8;
  const online = Number(prog.object("CSS_ONLINE").value_());
  const released = Number(prog.object("CSS_RELEASED").value_());
  const BASE = 0x10000000n;
  const SIZE = 256;
  const mem = new Uint8Array(SIZE * 6);
  const v = new DataView(mem.buffer);
  const at = (i: number) => BASE + BigInt(i * SIZE);
  const put = (i: number, o: number, x: bigint) => v.setBigUint64(i * SIZE + o, x, true);
  // R(0) has the children A(1), B(2, offline), D(3); A has C(4); X(5) was
  // released (off its list) between B and D.
  const [R, A, B, D, C, X] = [0, 1, 2, 3, 4, 5];
  const nodes: [number, number, number, number][] = [ // index, parent, flags, serial
    [R, -1, online, 1],
    [A, R, online, 2],
    [B, R, 0, 3],
    [D, R, online, 6],
    [C, A, online, 5],
    [X, R, released, 4],
  ];
  for (const [i, parent, flags, serial] of nodes) {
    put(i, off("parent"), parent < 0 ? 0n : at(parent));
    v.setUint32(i * SIZE + off("flags"), flags, true);
    put(i, off("serial_nr"), BigInt(serial));
    // Empty children lists point at themselves.
    put(i, off("children"), at(i) + BigInt(off("children")));
    put(i, off("children") + 8, at(i) + BigInt(off("children")));
  }
  const link = (parent: number, kids: number[]) => {
    const head = at(parent) + BigInt(off("children"));
    const sib = (k: number) => at(k) + BigInt(off("sibling"));
    const ring = [head, ...kids.map(sib)];
    ring.forEach((_a, j) => {
      const next = ring[(j + 1) % ring.length]!;
      const prev = ring[(j + ring.length - 1) % ring.length]!;
      const [i, o] = j === 0 ? [parent, off("children")] : [kids[j - 1]!, off("sibling")];
      put(i, o, next);
      put(i, o + 8, prev);
    });
  };
  link(R, [A, B, D]);
  link(A, [C]);
  prog.addMemorySegment(
    BASE,
    mem.length,
    (a, n) => mem.slice(Number(a - BASE), Number(a - BASE) + n),
  );
  const css = (i: number) => makeObject(prog, "struct cgroup_subsys_state *", { value: at(i) });
  const idx = (o: TypedObject) =>
    o.isNull_() ? -1 : Number(((o.value_() as bigint) - BASE) / BigInt(SIZE));
  assert.deepEqual([...cssForEachChild(css(R))].map(idx), [A, D]);
  assert.deepEqual([...cssForEachDescendantPre(css(R))].map(idx), [R, A, C, D]);
  // From a released position: the first child added after it.
  assert.equal(idx(cssNextChild(css(X), css(R))), D);
  put(X, off("serial_nr"), 10n);
  assert.equal(idx(cssNextChild(css(X), css(R))), -1);
  // Pre-order goes on from a leaf to its parent's next sibling, offline or not.
  assert.equal(idx(cssNextDescendantPre(css(C), css(R))), B);
  assert.equal(idx(cssNextDescendantPre(css(D), css(R))), -1);
});

Deno.test("net, tc and tcp: namespaces, devices, queues, qdiscs and sockets, as drgn", async () => {
  const prog = await kernelProgram();
  assert.deepEqual([...forEachNet(prog)].map(hx), REF.nets);
  assert.deepEqual([0, 1, 2, 3].map((i) => hx(netdevGetByIndex(prog, i))), REF.netdev_by_index);
  const initNet = prog.object("init_net").addressOf_();
  for (const [name, addr] of Object.entries(REF.netdev_by_name as Record<string, string>)) {
    assert.equal(hx(netdevGetByName(prog, name)), addr, name);
    assert.equal(hx(netdevGetByName(initNet, name)), addr, name);
  }
  for (const [name, queues] of Object.entries(REF.tx_queues as Record<string, string[]>)) {
    assert.deepEqual([...netdevForEachTxQueue(netdevGetByName(prog, name))].map(hx), queues);
    assert.equal(hx(qdiscLookup(netdevGetByName(prog, name), 0)), REF.qdisc[name]);
  }
  const sockets: Json[] = [];
  for (const task of forEachTask(prog)) {
    for (const [fd, f] of forEachFile(task)) {
      const inode = f.member_("f_inode");
      if (inode.isNull_() || (Number(inode.member_("i_mode").value_()) & 0o170000) !== 0o140000) {
        continue;
      }
      const sock = SOCKET_I(inode);
      const sk = sock.member_("sk");
      let nsError: string | null = null;
      try {
        getNetNsByInode(inode);
      } catch (e) {
        assert.ok(e instanceof RangeError);
        nsError = e.message;
      }
      sockets.push({
        pid: Number(task.member_("pid").value_()),
        fd,
        socket: hx(sock),
        inode_back: SOCK_INODE(sock).value_() === inode.value_(),
        tcpstate: sk.isNull_() ? null : String(skTcpstate(sk)),
        fullsock: sk.isNull_() ? null : skFullsock(sk),
        ns_error: nsError,
      });
    }
  }
  assert.deepEqual(sockets, REF.sockets);
  // A file's inode that is not a socket's.
  const [, file] = [...forEachFile([...forEachTask(prog)][0]!)][0]!;
  assert.throws(() => SOCKET_I(file.member_("f_inode")), RangeError);
  const hash = prog.object("tcp_hashinfo");
  const lhash2 = hash.member_("lhash2");
  const listening: string[] = [];
  for (let i = 0; i <= Number(hash.member_("lhash2_mask").value_()); i++) {
    const head = lhash2.add_(i).member_("nulls_head").addressOf_();
    for (const sk of skNullsForEach(head)) listening.push(hx(sk));
  }
  assert.deepEqual(listening.sort(), REF.listening);
});

Deno.test("bpf, llist and enum helpers, as drgn", async () => {
  const prog = await kernelProgram();
  assert.deepEqual([...bpfProgForEach(prog)].map(hx), REF.bpf.progs);
  assert.deepEqual([...bpfMapForEach(prog)].map(hx), REF.bpf.maps);
  assert.deepEqual([...bpfLinkForEach(prog)].map(hx), REF.bpf.links);
  assert.deepEqual([...bpfBtfForEach(prog)].map(hx), REF.bpf.btfs);
  assert.ok(REF.bpf.btfs.length > 0);
  const root = prog.object("cgrp_dfl_root").member_("cgrp").addressOf_();
  for (let t = 0; t < 4; t++) {
    assert.deepEqual([...cgroupBpfProgForEach(root, t)].map(hx), REF.bpf.cgroup[t]);
    assert.deepEqual([...cgroupBpfProgForEachEffective(root, t)].map(hx), REF.bpf.effective[t]);
  }
  const head = prog.object("delayed_fput_list").addressOf_();
  assert.equal(hx(llistFirstEntryOrNull(head, "struct file", "f_llist")), REF.llist_first_or_null);
  const PidType = enumTypeToClass(
    prog.type("enum pid_type"),
    "PidType",
    ["__PIDTYPE_TGID"],
    "PIDTYPE_",
  );
  assert.deepEqual({ ...PidType }, REF.enum_class);
  assert.equal(PidType.name, "PidType");
  assert.throws(() => enumTypeToClass(prog.type("int"), "X"), TypeError);
});
