/**
 * helpers/linux/fs.ts on the kernel dumps, against drgn 0.0.22's answers
 * (tests/data/helpers/mm_slab_fs_goldens.json): the mount table, tasks'
 * open files, path lookups in the dentry cache and the paths of dentries,
 * inodes and mounts.
 */

import assert from "node:assert/strict";
import { LookupError, ValidationError } from "../../../lib/errors.ts";
import { offsetof } from "../../../lib/object/operators.ts";
import { findTask } from "../../../helpers/linux/pid.ts";
import {
  dentryPath,
  dPath,
  fget,
  forEachFile,
  forEachMount,
  inodePath,
  inodePaths,
  mountDst,
  mountFstype,
  mountSrc,
  pathLookup,
  printFiles,
  printMounts,
} from "../../../helpers/linux/fs.ts";
import {
  corruptedSampleProgram,
  HELPER_DUMPS,
  helperGolden,
  helperProgram,
  hx,
} from "./_mm_slab_fs.ts";

for (const dump of HELPER_DUMPS) {
  Deno.test(`fs on ${dump}: mounts as drgn`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    const mounts = [...forEachMount(prog)].map((
      m,
    ) => [mountSrc(m), mountDst(m), mountFstype(m), hx(m)]);
    assert.deepEqual(mounts, g.mounts);
    const lines: string[] = [];
    printMounts(prog, {}, (l) => lines.push(l));
    assert.equal(lines.join("\n") + "\n", g.scripts.mounts);
    // Filters, and the namespace form of the argument.
    const ns = prog.object("init_task").nsproxy.mnt_ns;
    assert.deepEqual([...forEachMount(ns)].map(hx), g.mounts.map((m: string[]) => m[3]));
    for (const m of g.mounts) {
      assert.deepEqual([...forEachMount(prog, { dst: m[1] })].map(hx), [m[3]]);
      assert.ok([...forEachMount(prog, { src: m[0], fstype: m[2] })].map(hx).includes(m[3]));
    }
    assert.deepEqual([...forEachMount(prog, { fstype: "no such fs" })], []);
  });

  Deno.test(`fs on ${dump}: tasks' open files as drgn`, async () => {
    const prog = await helperProgram(dump);
    for (const t of helperGolden(dump).tasks) {
      const task = findTask(prog, t.pid);
      const what = `${dump} pid ${t.pid}`;
      const files = [...forEachFile(task)].map(([fd, f]) => [fd, dPath(f.f_path), hx(f)]);
      // drgn also yields reserved descriptors with a NULL file; Wyvern skips them.
      assert.deepEqual(files, t.files.filter((f: unknown[]) => f[2] !== "0x0"), what);
      for (const [fd, , file] of t.files) assert.equal(hx(fget(task, fd)), file, what);
      const lines: string[] = [];
      printFiles(task, (l) => lines.push(l));
      if (typeof t.printFiles === "string") {
        assert.equal(lines.map((l) => l + "\n").join(""), t.printFiles, what);
      } else {
        assert.ok(t.files.some((f: unknown[]) => f[2] === "0x0"), what);
        assert.equal(lines.length, files.length, what);
      }
    }
  });

  Deno.test(`fs on ${dump}: path lookups and paths as drgn`, async () => {
    const prog = await helperProgram(dump);
    const g = helperGolden(dump);
    assert.equal(dPath(prog.object("init_task").fs.root), g.rootPath);
    let found = 0;
    for (const l of g.lookups) {
      if (l.error !== undefined) {
        assert.throws(() => pathLookup(prog, l.path), (e: unknown) => {
          assert.ok(e instanceof LookupError);
          assert.equal(`Exception: ${e.message}`, l.error);
          return true;
        });
        continue;
      }
      found++;
      const p = pathLookup(prog, l.path);
      assert.equal(p.type_.typeName(), "struct path");
      assert.equal(hx(p.dentry), l.dentry, l.path);
      assert.equal(hx(p.mnt), l.mnt, l.path);
      assert.equal(dPath(p), l.dPath, l.path);
      assert.equal(dPath(p.mnt, p.dentry), l.dPath, l.path);
      assert.equal(dentryPath(p.dentry), l.dentryPath, l.path);
      assert.equal(inodePath(p.dentry.d_inode), l.inodePath, l.path);
      assert.ok([...inodePaths(p.dentry.d_inode)].includes(l.inodePath), l.path);
    }
    assert.ok(found >= 5);
    // ".." crosses back over mount points (drgn 0.0.22 loops forever here).
    const init = g.lookups.find((l: { path: string }) => l.path === "/init");
    for (const path of ["/dev/../init", "/proc/../init", "/./init", "//init"]) {
      assert.equal(hx(pathLookup(prog, path).dentry), init.dentry, path);
    }
    assert.equal(dPath(pathLookup(prog, "/..")), "/");
  });
}

Deno.test("fs: a dentry parent cycle gives ValidationError, not a hang (sample kernel)", async () => {
  const prog = await helperProgram("sample");
  const console = pathLookup(prog, "/dev/console").dentry;
  const dev = console.d_parent;
  // /dev's parent becomes /dev/console: console -> dev -> console -> …
  const bad = await corruptedSampleProgram(
    new Map([[
      dev.value_() as bigint + BigInt(offsetof(prog.type("struct dentry"), "d_parent")),
      console.value_() as bigint,
    ]]),
  );
  const badConsole = bad.objectAt("struct dentry", console.value_() as bigint).addressOf_();
  assert.throws(() => dentryPath(badConsole), ValidationError);
  assert.equal(dentryPath(console), "console");
});
