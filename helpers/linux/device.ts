/**
 * Device numbers (`dev_t`), as drgn's `drgn.helpers.linux.device`: the
 * kernel's `MAJOR()`, `MINOR()` and `MKDEV()` (20 minor bits, as the kernel
 * stores them, not the user-space encoding).
 *
 * @example
 * ```ts
 * import { MAJOR, MINOR, MKDEV } from "./device.ts";
 * const dev = MKDEV(7, 3);
 * if (dev !== 0x700003 || MAJOR(dev) !== 7 || MINOR(dev) !== 3) throw new Error();
 * ```
 *
 * @module
 */

import { type IntegerLike, toBigInt } from "../common/_args.ts";

const MINORBITS = 20n;
const MINORMASK = (1n << MINORBITS) - 1n;

/** The major number of a kernel device number. */
export function MAJOR(dev: IntegerLike): number {
  return Number(toBigInt(dev) >> MINORBITS);
}

/** The minor number of a kernel device number. */
export function MINOR(dev: IntegerLike): number {
  return Number(toBigInt(dev) & MINORMASK);
}

/** The kernel device number of a major and a minor number. */
export function MKDEV(major: IntegerLike, minor: IntegerLike): number {
  return Number((toBigInt(major) << MINORBITS) | toBigInt(minor));
}
