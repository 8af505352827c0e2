/**
 * Block devices, as drgn's `drgn.helpers.linux.block`: the disks
 * (`struct gendisk`) and partitions (`struct block_device`, whose number 0
 * is the whole disk; `struct hd_struct` before Linux 5.11) that the
 * kernel's `block_class` lists. Names are strings.
 *
 * @example The disks of the kernel fixture (ram disks and loop devices)
 * ```ts
 * import { diskName, forEachDisk } from "./block.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const names = [...forEachDisk(prog)].map(diskName);
 * if (!names.includes("ram0") || !names.includes("loop0")) throw new Error(names.join());
 * ```
 *
 * @module
 */

import { LookupError } from "../../lib/errors.ts";
import { containerOf } from "../../lib/object/operators.ts";
import { makeObject, type TypedObject } from "../../lib/object/typed_object.ts";
import type { Program } from "../../lib/program/program.ts";
import { escapeAsciiString } from "../common/format.ts";
import { MKDEV } from "./device.ts";
import { listForEachEntry } from "./list.ts";

/** The `struct subsys_private *` of `block_class`. */
function blockClassPrivate(prog: Program): TypedObject {
  const cls = prog.object("block_class");
  if (cls.hasMember_("p")) return cls.member_("p");
  // Linux 6.4 (commit 2df418cf4b72, "driver core: class: remove subsystem
  // private pointer from struct class"): found in class_kset by its class.
  const want = cls.address_!;
  const kset = prog.object("class_kset");
  for (
    const sp of listForEachEntry(
      "struct subsys_private",
      kset.member_("list").addressOf_(),
      "subsys.kobj.entry",
    )
  ) {
    if ((sp.member_("class").value_() as bigint) === want) return sp;
  }
  throw new LookupError("block_class is not registered in class_kset", "object", "block_class");
}

/** The `struct device *` of every block device (disks and partitions). */
function* blockDevices(prog: Program): Generator<TypedObject> {
  const head = blockClassPrivate(prog).member_("klist_devices").member_("k_list").addressOf_();
  // Linux 5.1 (commit 570d0200123f) moved the list node to device_private.
  if (prog.type("struct device_private").hasMember("knode_class")) {
    for (const dp of listForEachEntry("struct device_private", head, "knode_class.n_node")) {
      yield dp.member_("device");
    }
  } else {
    yield* listForEachEntry("struct device", head, "knode_class.n_node");
  }
}

/** Whether partitions are `struct block_device` (Linux 5.11 and later). */
function hasBdDevice(prog: Program): boolean {
  return prog.type("struct block_device").hasMember("bd_device");
}

/**
 * Iterates over all disks.
 *
 * @returns `struct gendisk *` objects
 */
export function* forEachDisk(prog: Program): Generator<TypedObject> {
  const bd = hasBdDevice(prog);
  for (const dev of blockDevices(prog)) {
    if (bd) {
      const bdev = containerOf(dev, "struct block_device", "bd_device");
      if (Number(bdev.member_("bd_partno").value_()) === 0) yield bdev.member_("bd_disk");
    } else {
      const part = containerOf(dev, "struct hd_struct", "__dev");
      if (Number(part.member_("partno").value_()) === 0) {
        yield containerOf(part, "struct gendisk", "part0");
      }
    }
  }
}

/**
 * Iterates over all partitions (whole disks included, as partition 0).
 *
 * @returns `struct block_device *` objects (`struct hd_struct *` before Linux 5.11)
 */
export function* forEachPartition(prog: Program): Generator<TypedObject> {
  const bd = hasBdDevice(prog);
  for (const dev of blockDevices(prog)) {
    yield bd
      ? containerOf(dev, "struct block_device", "bd_device")
      : containerOf(dev, "struct hd_struct", "__dev");
  }
}

/** A disk's device number (`dev_t`). @param disk `struct gendisk *` */
export function diskDevt(disk: TypedObject): TypedObject {
  const dev = MKDEV(
    disk.member_("major").value_() as number,
    disk.member_("first_minor").value_() as number,
  );
  return makeObject(disk.prog_, "dev_t", { value: dev });
}

/** A disk's name (e.g., `sda`). @param disk `struct gendisk *` */
export function diskName(disk: TypedObject): string {
  return disk.member_("disk_name").string_();
}

/** A partition's device number (`dev_t`). @param part `struct block_device *` or `struct hd_struct *` */
export function partDevt(part: TypedObject): TypedObject {
  return part.hasMember_("bd_dev") ? part.member_("bd_dev") : part.member_("__dev").member_("devt");
}

/** A partition's name (e.g., `sda1`). @param part `struct block_device *` or `struct hd_struct *` */
export function partName(part: TypedObject): string {
  const dev = part.hasMember_("bd_device") ? part.member_("bd_device") : part.member_("__dev");
  return dev.member_("kobj").member_("name").string_();
}

/** drgn's line for a disk or partition: `major:minor name (type)0x…`. */
function deviceLine(major: bigint, minor: bigint, name: Uint8Array, obj: TypedObject): string {
  const n = escapeAsciiString(name, { escapeBackslash: true });
  return `${major}:${minor} ${n} (${obj.type_.typeName()})0x${
    (obj.value_() as bigint).toString(16)
  }`;
}

/** Prints every disk, as drgn's print_disks(): `major:minor name (struct gendisk *)0x…`. */
export function printDisks(prog: Program): void {
  for (const disk of forEachDisk(prog)) {
    console.log(deviceLine(
      BigInt(disk.member_("major").value_() as number),
      BigInt(disk.member_("first_minor").value_() as number),
      disk.member_("disk_name").stringBytes_(),
      disk,
    ));
  }
}

/** Prints every partition, as drgn's print_partitions(). */
export function printPartitions(prog: Program): void {
  for (const part of forEachPartition(prog)) {
    const devt = BigInt(partDevt(part).value_() as number | bigint);
    const dev = part.hasMember_("bd_device") ? part.member_("bd_device") : part.member_("__dev");
    console.log(deviceLine(
      devt >> 20n,
      devt & 0xfffffn,
      dev.member_("kobj").member_("name").stringBytes_(),
      part,
    ));
  }
}
