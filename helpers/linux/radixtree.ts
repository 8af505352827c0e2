/**
 * Radix trees (`struct radix_tree_root`) from the kernel's
 * `include/linux/radix-tree.h`, as drgn's `drgn.helpers.linux.radixtree`.
 * Since Linux 4.20 a radix tree is an XArray; both layouts work (see
 * `xarray.ts`).
 *
 * @example Look up an interrupt descriptor
 * ```ts
 * import { radixTreeLookup } from "./radixtree.ts";
 * import { cast } from "../../lib/object/operators.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const desc = cast("struct irq_desc *",
 *   radixTreeLookup(prog.object("irq_desc_tree").addressOf_(), 0));
 * if (desc.irq_data.irq.value_() !== 0) throw new Error();
 * ```
 *
 * @module
 */

import type { TypedObject } from "../../lib/object/typed_object.ts";
import { xaForEach, xaLoad } from "./xarray.ts";

/**
 * The entry at `index`, or NULL (`radix_tree_lookup()`).
 *
 * @param root `struct radix_tree_root *` (or `struct xarray *`)
 * @param index the index
 * @returns `void *`
 *
 * @example
 * ```ts
 * import { radixTreeLookup } from "./radixtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const e = radixTreeLookup(prog.object("irq_desc_tree").addressOf_(), 1 << 20);
 * if (e.value_() !== 0n) throw new Error("no such irq");
 * ```
 */
export function radixTreeLookup(root: TypedObject, index: number | bigint): TypedObject {
  return xaLoad(root, index);
}

/**
 * Iterates over the entries of a radix tree in index order.
 *
 * @param root `struct radix_tree_root *` (or `struct xarray *`)
 * @returns an iterator of `[index, entry]` pairs (`bigint`, `void *`)
 *
 * @example
 * ```ts
 * import { radixTreeForEach } from "./radixtree.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const [first] = radixTreeForEach(prog.object("irq_desc_tree").addressOf_());
 * if (first![0] !== 0n) throw new Error();
 * ```
 */
export function radixTreeForEach(root: TypedObject): Generator<[bigint, TypedObject]> {
  return xaForEach(root);
}
