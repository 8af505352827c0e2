/** lib/path.ts gives node:path's (POSIX) and node:url's answers. */

import assert from "node:assert/strict";
import * as node from "node:path";
import { pathToFileURL } from "node:url";
import { dirname, isAbsolute, join, resolve, toFileUrl } from "../../lib/path.ts";

const PATHS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "a",
  "a/",
  "a//b",
  "/a/b/c",
  "/a/b/c/",
  "a/./b/../c",
  "../../x",
  "/../x",
  "/a/../../b",
  "a/b/../../..",
  "./a",
  "/usr/lib/debug/.build-id/ab/cdef.debug",
  "dir with space/f#1?.ko",
];

Deno.test("path: join, dirname, isAbsolute, resolve as node:path (POSIX)", () => {
  for (const a of PATHS) {
    assert.equal(dirname(a), node.posix.dirname(a), `dirname(${JSON.stringify(a)})`);
    assert.equal(isAbsolute(a), node.posix.isAbsolute(a), a);
    assert.equal(resolve("/base/dir", a), node.posix.resolve("/base/dir", a), `resolve(${a})`);
    for (const b of PATHS) {
      assert.equal(
        join(a, b),
        node.posix.join(a, b),
        `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`,
      );
      assert.equal(join(a, b, "c"), node.posix.join(a, b, "c"));
    }
  }
  assert.equal(join(), node.posix.join());
});

Deno.test("path: toFileUrl as node:url's pathToFileURL", () => {
  for (
    const p of [
      "/a/b.ts",
      "/dir with space/x.ts",
      "/100%/x#y?z.ts",
      "/back\\slash/tab\t/nl\n.ts",
      "/ünïcödé/файл.ts",
      "/",
    ]
  ) {
    assert.equal(toFileUrl(p).href, pathToFileURL(p).href, JSON.stringify(p));
  }
  assert.throws(() => toFileUrl("relative/x.ts"), TypeError);
});
