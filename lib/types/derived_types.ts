/**
 * Pointer and array types derived from another type, created once per
 * (target, shape) and cached on the target's {@link TypeCore.slots}, so
 * `prog.type("struct task_struct *")` and `task.addressOf_()` hand out the
 * same `Type` object every time and per-type caches (read plans, object
 * classes, formatted names) are built once.
 *
 * @module
 */

import { type Language, Type, type TypeParameter } from "./type.ts";

/** Slot of a target's {@link TypeCore.slots} holding its derived types. */
const SLOT = "derived";

function derivedCache(target: Type): Map<string, Type> {
  const slots = target.core.slots;
  let cache = slots.get(SLOT) as Map<string, Type> | undefined;
  if (cache === undefined) {
    cache = new Map();
    slots.set(SLOT, cache);
  }
  return cache;
}

/**
 * The unqualified pointer type to `target` (qualifiers of `target`
 * included: `const char *` and `char *` are different pointers), of
 * `size` bytes. Cached per target, size and byte order.
 *
 * @param target the pointed-to type
 * @param size pointer size in bytes (the program's word size)
 * @param littleEndian byte order of the pointer value
 * @returns the pointer type, e.g. `` `struct list_head *` ``
 * @example
 * ```ts
 * import { makeType } from "./type.ts";
 * import { pointerType } from "./derived_types.ts";
 * const int = makeType.int("int", 4, true);
 * pointerType(int, 8) === pointerType(int, 8); // true
 * ```
 */
export function pointerType(target: Type, size = 8, littleEndian = true): Type {
  const cache = derivedCache(target);
  const key = `*${target.qualifiers}:${size}${littleEndian ? "l" : "b"}`;
  let t = cache.get(key);
  if (t === undefined) {
    t = new Type({ kind: "pointer", size, littleEndian, type: target, language: target.language });
    cache.set(key, t);
  }
  return t;
}

/**
 * The unqualified array type of `length` elements of `element` (`null`
 * for an incomplete array, `int []`). Cached per element type and length.
 *
 * @param element the element type
 * @param length number of elements, or `null`
 * @returns the array type, e.g. `` `int [4]` ``
 */
export function arrayType(element: Type, length: number | null): Type {
  const cache = derivedCache(element);
  const key = `[${element.qualifiers}:${length ?? ""}`;
  let t = cache.get(key);
  if (t === undefined) {
    t = new Type({ kind: "array", length, type: element, language: element.language });
    cache.set(key, t);
  }
  return t;
}

/**
 * A function type returning `returnType` (not cached: parameter lists
 * rarely repeat).
 *
 * @param returnType the return type
 * @param parameters the parameters, in order
 * @param isVariadic whether the function takes `...` (or, with no
 *   parameters, is unprototyped: `int ()`)
 * @param language the language of the type (default: the return type's)
 */
export function functionType(
  returnType: Type,
  parameters: readonly TypeParameter[],
  isVariadic: boolean,
  language: Language = returnType.language,
): Type {
  return new Type({ kind: "function", type: returnType, parameters, isVariadic, language });
}
