/**
 * Wyvern's environment settings, read without `--allow-env` failing: a
 * variable that cannot be read counts as unset.
 *
 * @module
 */

/** The variable `name`, or undefined if unset, empty, or not readable. */
export function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: treat as unset
  }
}

/** Whether the switch `name` is on: set to anything but `""` or `"0"`. */
export function envFlag(name: string): boolean {
  const v = envVar(name);
  return v !== undefined && v !== "0";
}

/**
 * Wyvern's cache directory: `$WYVERN_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/wyvern`, else `~/.cache/wyvern`; null when none can be
 * named (no environment access and no home).
 */
export function wyvernCacheDir(): string | null {
  const explicit = envVar("WYVERN_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = envVar("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/wyvern`;
  const home = envVar("HOME");
  return home ? `${home}/.cache/wyvern` : null;
}

/**
 * The directory the standard places for debug files (`/usr/lib/debug`,
 * `/boot`, `/lib/modules`) are looked up under: `$WYVERN_SYSROOT` (a tree
 * holding another machine's or another release's debug packages), else ""
 * (the root).
 */
export function sysroot(): string {
  return (envVar("WYVERN_SYSROOT") ?? "").replace(/\/+$/, "");
}
