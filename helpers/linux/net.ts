/**
 * Networking, as drgn's `drgn.helpers.linux.net`, `.tcp` and `.tc`:
 * network namespaces, devices by index or name, TX queues, sockets and
 * their inodes, socket hash chains, a socket's TCP state and a device's
 * queueing disciplines.
 *
 * @example The loopback device of the initial namespace
 * ```ts
 * import { netdevGetByIndex, netdevGetByName } from "./net.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const lo = netdevGetByName(prog, "lo");
 * if (lo.isNull_() || netdevGetByIndex(prog, 1).value_() !== lo.value_()) throw new Error();
 * ```
 *
 * @module
 */

import { cast, containerOf, NULL } from "../../lib/object/operators.ts";
import { TypedObject } from "../../lib/object/typed_object.ts";
import type { Program } from "../../lib/program/program.ts";
import type { Type } from "../../lib/types/type.ts";
import { type IntegerLike, toBigInt } from "../common/_args.ts";
import { fget } from "./fs.ts";
import { hlistForEachEntry, listForEachEntry } from "./list.ts";
import { hlistNullsForEachEntry } from "./list_nulls.ts";

const S_IFMT = 0o170000n;
const S_IFSOCK = 0o140000n;
const CLONE_NEWNET = 0x40000000n;
const NETDEV_HASHENTRIES = 256;

const num = (o: TypedObject) => BigInt(o.value_() as number | bigint);

/**
 * The socket of a socket inode (`struct socket *`).
 *
 * @param inode `struct inode *`
 * @throws RangeError if the inode is not a socket's
 */
export function SOCKET_I(inode: TypedObject): TypedObject {
  if ((num(inode.member_("i_mode")) & S_IFMT) !== S_IFSOCK) {
    throw new RangeError("not a socket inode");
  }
  return containerOf(inode, "struct socket_alloc", "vfs_inode").member_("socket").addressOf_();
}

/** The inode of a socket (`struct inode *`). @param sock `struct socket *` */
export function SOCK_INODE(sock: TypedObject): TypedObject {
  return containerOf(sock, "struct socket_alloc", "socket").member_("vfs_inode").addressOf_();
}

/** Iterates over all network namespaces (`struct net *`). */
export function forEachNet(prog: Program): Generator<TypedObject> {
  return listForEachEntry("struct net", prog.object("net_namespace_list").addressOf_(), "list");
}

/**
 * The network namespace of an nsfs inode (`/proc/PID/ns/net`,
 * `/var/run/netns/NAME`).
 *
 * @param inode `struct inode *`
 * @throws RangeError if the inode is not a network namespace's
 */
export function getNetNsByInode(inode: TypedObject): TypedObject {
  const prog = inode.prog_ as Program;
  if (num(inode.member_("i_fop")) !== prog.object("ns_file_operations").address_) {
    throw new RangeError("not a namespace inode");
  }
  const ns = cast("struct ns_common *", inode.member_("i_private"));
  if (num(ns.member_("ops").member_("type")) !== CLONE_NEWNET) {
    throw new RangeError("not a network namespace inode");
  }
  return containerOf(ns, "struct net", "ns");
}

/**
 * The network namespace a task's file descriptor refers to (an nsfs file).
 *
 * @param task `struct task_struct *`
 */
export function getNetNsByFd(task: TypedObject, fd: IntegerLike): TypedObject {
  return getNetNsByInode(fget(task, Number(toBigInt(fd))).member_("f_inode"));
}

/** Iterates over a device's TX queues (`struct netdev_queue *`). @param dev `struct net_device *` */
export function* netdevForEachTxQueue(dev: TypedObject): Generator<TypedObject> {
  const n = Number(num(dev.member_("num_tx_queues")));
  const tx = dev.member_("_tx");
  for (let i = 0; i < n; i++) yield tx.add_(i);
}

/** `init_net` for a program, the namespace itself otherwise. */
function netOf(progOrNet: Program | TypedObject): TypedObject {
  return progOrNet instanceof TypedObject ? progOrNet : progOrNet.object("init_net");
}

/**
 * The device with an interface index, or a NULL `struct net_device *`.
 *
 * @param progOrNet a program (its initial namespace) or a `struct net *`
 */
export function netdevGetByIndex(
  progOrNet: Program | TypedObject,
  ifindex: IntegerLike,
): TypedObject {
  const net = netOf(progOrNet);
  const index = toBigInt(ifindex);
  const head = net.member_("dev_index_head").subscript_(
    Number(index & BigInt(NETDEV_HASHENTRIES - 1)),
  );
  for (const dev of hlistForEachEntry("struct net_device", head.addressOf_(), "index_hlist")) {
    if (num(dev.member_("ifindex")) === index) return dev;
  }
  return NULL(net.prog_, "struct net_device *");
}

/**
 * The device with an interface name, or a NULL `struct net_device *`.
 *
 * @param progOrNet a program (its initial namespace) or a `struct net *`
 */
export function netdevGetByName(progOrNet: Program | TypedObject, name: string): TypedObject {
  const net = netOf(progOrNet);
  const prog = net.prog_ as Program;
  // Linux 5.5 (commit ff92741270bf) hashes struct netdev_name_node entries.
  const nameNodes = typeOrNull(prog, "struct netdev_name_node");
  const heads = net.member_("dev_name_head");
  for (let i = 0; i < NETDEV_HASHENTRIES; i++) {
    const head = heads.subscript_(i).addressOf_();
    const entries = nameNodes !== null
      ? hlistForEachEntry(nameNodes, head, "hlist")
      : hlistForEachEntry("struct net_device", head, "name_hlist");
    for (const e of entries) {
      if (e.member_("name").string_() === name) return nameNodes !== null ? e.member_("dev") : e;
    }
  }
  return NULL(prog, "struct net_device *");
}

function typeOrNull(prog: Program, name: string): Type | null {
  try {
    return prog.type(name);
  } catch {
    return null;
  }
}

/** Whether a socket is a full socket (not a time-wait or request socket). @param sk `struct sock *` */
export function skFullsock(sk: TypedObject): boolean {
  const prog = sk.prog_ as Program;
  const state = num(sk.member_("__sk_common").member_("skc_state"));
  return state !== num(prog.object("TCP_SYN_RECV")) && state !== num(prog.object("TCP_TIME_WAIT"));
}

/** Iterates over the sockets (`struct sock *`) of a nulls hash chain. @param head `struct hlist_nulls_head *` */
export function skNullsForEach(head: TypedObject): Generator<TypedObject> {
  return hlistNullsForEachEntry("struct sock", head, "__sk_common.skc_nulls_node");
}

/** A socket's TCP state, as an `enum` value (`TCP_ESTABLISHED`, …). @param sk `struct sock *` */
export function skTcpstate(sk: TypedObject): TypedObject {
  const prog = sk.prog_ as Program;
  return cast(prog.object("TCP_ESTABLISHED").type_, sk.member_("__sk_common").member_("skc_state"));
}

/**
 * A device's queueing discipline with a major handle number (`10:` in a
 * `tc` command is 0x10), or a NULL `struct Qdisc *`.
 *
 * @param dev `struct net_device *`
 */
export function qdiscLookup(dev: TypedObject, major: IntegerLike): TypedObject {
  const handle = toBigInt(major) << 16n;
  const roots = [dev.member_("qdisc")];
  const ingress = dev.member_("ingress_queue");
  if (!ingress.isNull_()) roots.push(ingress.member_("qdisc_sleeping"));
  // Linux 4.7 (commit 59cc1f61f09c) keeps a device's qdiscs in a hash table.
  const hashed = dev.prog_.type("struct net_device").hasMember("qdisc_hash");
  for (const root of roots) {
    if (num(root.member_("handle")) === handle) return root;
    if (hashed) {
      const table = root.member_("dev_queue").member_("dev").member_("qdisc_hash");
      const n = table.type_.length ?? 0;
      for (let i = 0; i < n; i++) {
        for (
          const q of hlistForEachEntry("struct Qdisc", table.subscript_(i).addressOf_(), "hash")
        ) {
          if (num(q.member_("handle")) === handle) return q;
        }
      }
    } else {
      for (const q of listForEachEntry("struct Qdisc", root.member_("list").addressOf_(), "list")) {
        if (num(q.member_("handle")) === handle) return q;
      }
    }
  }
  return NULL(dev.prog_, "struct Qdisc *");
}
