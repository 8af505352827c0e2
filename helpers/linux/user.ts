/**
 * Users (`struct user_struct`), as drgn's `drgn.helpers.linux.user`: the
 * kernel's `uidhash_table`.
 *
 * @example root's user_struct
 * ```ts
 * import { findUser, forEachUser } from "./user.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const root = findUser(prog, 0);
 * if (root.isNull_() || [...forEachUser(prog)].length < 1) throw new Error();
 * ```
 *
 * @module
 */

import { NULL } from "../../lib/object/operators.ts";
import { TypedObject } from "../../lib/object/typed_object.ts";
import type { Program } from "../../lib/program/program.ts";
import { type IntegerLike, toBigInt } from "../common/_args.ts";
import { hlistForEachEntry } from "./list.ts";

/** A UID: a number, or a `kuid_t` (or integer) object. */
function uidValue(uid: IntegerLike): bigint {
  if (uid instanceof TypedObject && uid.type_.typeName() === "kuid_t") {
    return toBigInt(uid.member_("val"));
  }
  return toBigInt(uid);
}

/**
 * The `struct user_struct *` of a UID, or NULL if that user has none.
 *
 * @param uid a UID or a `kuid_t`
 */
export function findUser(prog: Program, uid: IntegerLike): TypedObject {
  const table = prog.object("uidhash_table");
  const size = table.type_.length ?? 0;
  const bits = BigInt(Math.log2(size) | 0);
  const u = uidValue(uid) & 0xffffffffn;
  const hash = ((u >> bits) + u) & BigInt(size - 1);
  for (
    const user of hlistForEachEntry(
      "struct user_struct",
      table.subscript_(Number(hash)).addressOf_(),
      "uidhash_node",
    )
  ) {
    if (toBigInt(user.member_("uid").member_("val")) === u) return user;
  }
  return NULL(prog, "struct user_struct *");
}

/** Iterates over all users (`struct user_struct *`), in hash table order. */
export function* forEachUser(prog: Program): Generator<TypedObject> {
  const table = prog.object("uidhash_table");
  const size = table.type_.length ?? 0;
  for (let i = 0; i < size; i++) {
    yield* hlistForEachEntry(
      "struct user_struct",
      table.subscript_(i).addressOf_(),
      "uidhash_node",
    );
  }
}
