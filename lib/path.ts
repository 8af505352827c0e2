/**
 * POSIX path helpers (the few the debugger needs), so that the start-up
 * path does not import `node:path`: Deno's Node layer costs ~5 ms to load.
 * Same results as `node:path`'s POSIX functions (tests/lib/path_test.ts).
 *
 * @module
 */

/** `node:path`'s `normalize` of a non-empty POSIX path. */
function normalize(path: string): string {
  const abs = path.startsWith("/");
  const body = components(path).join("/");
  const trailing = path.endsWith("/") ? "/" : "";
  if (abs) return body === "" ? "/" : "/" + body + trailing;
  return (body === "" ? "." : body) + trailing;
}

/** Joins path segments and normalizes the result (`"."` for nothing). */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The directory part of `path` (`"."` if it has none, `"/"` for the root), as `node:path`'s. */
export function dirname(path: string): string {
  if (path === "") return ".";
  const root = path[0] === "/";
  let end = -1;
  let inTrailingSlashes = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") inTrailingSlashes = false;
    else if (!inTrailingSlashes) {
      end = i;
      break;
    }
  }
  if (end === -1) return root ? "/" : ".";
  if (root && end === 1) return "//";
  return path.slice(0, end);
}

/** Whether `path` is absolute. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** `path` made absolute against `base` (both POSIX), normalized, without a trailing slash. */
export function resolve(base: string, path: string): string {
  const r = normalize(isAbsolute(path) ? path : `${base}/${path}`);
  return r.length > 1 && r.endsWith("/") ? r.slice(0, -1) : r;
}

/** The `file:` URL of an absolute path (every character that URLs treat specially escaped). */
export function toFileUrl(path: string): URL {
  if (!isAbsolute(path)) throw new TypeError(`not an absolute path: ${path}`);
  const url = new URL("file:///");
  url.pathname = path.replace(
    /[%\\\n\r\t]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`,
  );
  return url;
}

/** The components of `path` with `.` and empty ones dropped and `..` applied (kept at the start of a relative path). */
function components(path: string): string[] {
  const out: string[] = [];
  const abs = path.startsWith("/");
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
      continue;
    }
    out.push(part);
  }
  return out;
}

/**
 * drgn's `filename_matches(haystack, needle)`: whether a file containing a
 * definition (`haystack`, e.g. a DWARF `DW_AT_decl_file` path) is the one
 * searched for (`needle`). Paths are compared by components from the right,
 * so `stdio.h`, `include/stdio.h` and `/usr/include/stdio.h` all match
 * `/usr/include/stdio.h` (but `io.h` does not); an absolute needle must
 * match the whole of an absolute haystack. An empty or missing needle
 * matches anything; an empty or missing haystack only such a needle.
 */
export function filenameMatches(haystack: string | null, needle: string | null): boolean {
  if (needle === null || needle === "") return true;
  if (haystack === null || haystack === "") return false;
  const h = components(haystack);
  const n = components(needle);
  if (needle.startsWith("/")) {
    if (!haystack.startsWith("/") || h.length !== n.length) return false;
  } else if (n.length > h.length) return false;
  for (let i = 1; i <= n.length; i++) {
    if (h[h.length - i] !== n[n.length - i]) return false;
  }
  return true;
}
