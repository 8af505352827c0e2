/**
 * For tests that damage real input and run a session on it: the names of
 * Wyvern's typed errors (what a damaged file may give, besides answers),
 * and the seeded random source that picks the damage, so that every run
 * tests the same files.
 *
 * @module
 */

/** The `name`s of Wyvern's typed errors (lib/errors.ts). */
export const TYPED_ERRORS: ReadonlySet<string> = new Set([
  "FaultError",
  "LookupError",
  "ObjectAbsentError",
  "OutOfBoundsError",
  "MissingDebugInfoError",
  "DecodeError",
  "ValidationError",
  "TargetError",
]);

/** xorshift32 in [0, 1), from `seed`. */
export function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
