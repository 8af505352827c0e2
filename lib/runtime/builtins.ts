/**
 * The JavaScript globals a script starts with, which Wyvern's globals must
 * not replace (drgn's `Symbol` is only `wyvern.Symbol`). Its own module so
 * that scripts/gen_global_types.ts applies the same rule without importing
 * the generated lib/runtime/global_values.ts.
 *
 * @module
 */

/** The JavaScript globals, taken before Wyvern installs anything. */
const BUILTINS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(globalThis));

/** Whether a name is a JavaScript global that Wyvern must not replace. */
export function shadowsBuiltin(name: string): boolean {
  return BUILTINS.has(name);
}
