/**
 * Bad arguments to Program lookups are TypeErrors that say what is wrong,
 * not JavaScript's own errors from deep inside.
 */

import assert from "node:assert/strict";
import { Program } from "../../../lib/program/program.ts";

Deno.test("prog.object(): a name that is not a string, flags that are not FindObjectFlags", () => {
  const prog = new Program();
  assert.throws(
    () => prog.object("x", 0xffff0000n as never),
    (e: Error) =>
      e instanceof TypeError && /flags must be FindObjectFlags .*not bigint/.test(e.message) &&
      /makeObject\(prog, type, \{ address \}\)/.test(e.message),
  );
  assert.throws(() => prog.object("x", -1), /flags must be FindObjectFlags .*not -1/);
  assert.throws(() => prog.object(42 as never), /name must be a string, not number/);
});
