/**
 * Damaged input on the real fixtures, beside damaged_binaries_test.ts
 * (which damages the contents of a binary's DWARF, symbol and unwind
 * sections): a user binary's ELF header, program headers and section
 * header table; a user core's headers and notes; a kernel module's debug
 * file (any of its sections) and the kdump's metadata. Each file has a few
 * bytes changed (seeded, so every run tests the same files), then a session
 * runs on it: globals, functions and types printed, every thread's stack
 * trace with its locals; for the kernel, the module list, the task list
 * with stack traces, a module's type, variable and symbol. Every failure
 * must be one of Wyvern's typed errors, as in damaged_binaries_test.ts; a
 * hang would time the test out. 24 damaged files per user case, 12 per
 * kernel case; `WYVERN_FUZZ_ROUNDS=N` for a longer campaign (a campaign of
 * about 4,000 damaged files found one bug, the RangeError of a bad PT_TLS
 * alignment, now a DecodeError: see userspace_core_test.ts).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { KERNEL, KERNEL_MODULES, USER } from "./_programs.ts";
import { vmlinux } from "./lib/elf/_fixtures.ts";
import { Program } from "../lib/program/program.ts";
import { forEachTask } from "../helpers/linux/pid.ts";
import { ElfFile } from "../lib/elf/elf_file.ts";
import { PT, SHT } from "../lib/elf/constants.ts";
import { rng, TYPED_ERRORS } from "./_damage.ts";

const ROUNDS = Number(Deno.env.get("WYVERN_FUZZ_ROUNDS") ?? "24");

/** Failures that are no typed error, by message (one example each). */
class Failures {
  readonly bad = new Map<string, string>();
  typed = 0;
  run(where: string, f: () => unknown): void {
    try {
      f();
    } catch (e) {
      if (TYPED_ERRORS.has((e as Error)?.name)) {
        this.typed++;
        return;
      }
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      const key = msg.replace(/0x[0-9a-f]+|\d+/g, "N").slice(0, 120);
      if (!this.bad.has(key)) {
        this.bad.set(key, `${where}: ${(e as Error)?.stack ?? msg}`);
      }
    }
  }
  check(): void {
    assert.equal(this.bad.size, 0, [...this.bad.values()].join("\n\n"));
    assert.ok(this.typed > 0, "the damage was never noticed: the mutations miss");
  }
}

/**
 * Ranges of an ELF file to damage: its header, program headers and section
 * headers; with `sections`, each section's contents too; with `notes`, the
 * contents of its PT_NOTE segments.
 */
function elfRanges(d: Uint8Array, sections: boolean, notes: boolean): [number, number][] {
  const elf = ElfFile.fromBytes(d);
  const out: [number, number][] = [
    [0, elf.is64 ? 64 : 52],
    [elf.phoff, elf.phoff + elf.segments.length * (elf.is64 ? 56 : 32)],
    [elf.shoff, elf.shoff + elf.sections.length * (elf.is64 ? 64 : 40)],
  ];
  for (const sec of sections ? elf.sections : []) {
    if (sec.type !== SHT.NOBITS) out.push([sec.offset, sec.offset + sec.size]);
  }
  for (const seg of notes ? elf.segments : []) {
    if (seg.type === PT.NOTE) out.push([seg.offset, seg.offset + seg.filesz]);
  }
  return out.filter(([a, b]) => b > a && b <= d.length);
}

/** `d` with 1 to `most` bytes changed inside `ranges` (random, bit flip, 0xff or 0), from `seed`. */
function mutate(d: Uint8Array, ranges: [number, number][], seed: number, most: number): Uint8Array {
  const rand = rng(seed);
  const out = d.slice();
  const n = 1 + Math.floor(rand() * most);
  for (let j = 0; j < n; j++) {
    const [lo, hi] = ranges[Math.floor(rand() * ranges.length)]!;
    const at = lo + Math.floor(rand() * (hi - lo));
    const mode = rand();
    out[at] = mode < 0.4
      ? Math.floor(rand() * 256)
      : mode < 0.7
      ? out[at]! ^ (1 << Math.floor(rand() * 8))
      : mode < 0.85
      ? 0xff
      : 0;
  }
  return out;
}

/** A user session: the reference's globals, functions and types, every thread's trace and locals. */
function userSession(f: Failures, p: Program, ref: Record<string, Record<string, unknown>>) {
  for (const v of Object.keys(ref.variables ?? {})) {
    f.run(`variable ${v}`, () => String(p.object(v)));
  }
  for (const v of Object.keys(ref.functions ?? {})) {
    f.run(`function ${v}`, () => String(p.object(v)));
  }
  for (const t of Object.keys(ref.types ?? {})) f.run(`type ${t}`, () => String(p.type(t)));
  f.run("threads", () => {
    for (const th of p.threads()) {
      f.run(`trace of ${th.tid}`, () => {
        for (const frame of p.stackTrace(th)) {
          String(frame);
          for (const n of frame.locals()) f.run(`local ${n}`, () => String(frame.get(n)));
        }
      });
    }
  });
}

for (const [prog, variant] of [["types", "gcc-O0"], ["threads", "gcc-dwarf4-O2"]]) {
  for (const target of ["binary", "core"] as const) {
    Deno.test(`fuzz: damaged ${variant}/${prog} ${target}: typed errors only`, () => {
      const binPath = join(USER, "out/bin", variant!, prog!);
      const corePath = join(USER, "out/core", variant!, `${prog}.gcore`);
      const ref = JSON.parse(
        Deno.readTextFileSync(join(USER, "reference", variant!, `${prog}.gcore.json`)),
      );
      const orig = Deno.readFileSync(target === "binary" ? binPath : corePath);
      // Sections' contents are damaged by damaged_binaries_test.ts; here the headers.
      const ranges = elfRanges(orig, false, target === "core");
      const dir = Deno.makeTempDirSync();
      const f = new Failures();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const path = join(dir, `${prog}-${round}`);
          Deno.writeFileSync(path, mutate(orig, ranges, round + 1, 12));
          const p = new Program();
          f.run(`round ${round}: open`, () => {
            p.setCoreDump(target === "core" ? path : corePath);
            p.loadDebugInfo([target === "binary" ? path : binPath], { default: false });
            userSession(f, p, ref);
          });
        }
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
      f.check();
    });
  }
}

for (const target of ["loop.ko", "kdump"] as const) {
  Deno.test(`fuzz: damaged kernel ${target}: typed errors only`, async () => {
    const vml = await vmlinux();
    const dump = join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump");
    const modPath = (m: string) => join(KERNEL, "debug", `${m}.ko`);
    const orig = Deno.readFileSync(target === "kdump" ? dump : modPath("loop"));
    // The kdump: its header, sub-header, bitmaps and the first page descriptors.
    const ranges: [number, number][] = target === "kdump"
      ? [[0, 4096], [4096, 3 * 4096], [3 * 4096, 7 * 4096], [7 * 4096, 7 * 4096 + 65536]]
      : elfRanges(orig, true, false);
    const dir = Deno.makeTempDirSync();
    const f = new Failures();
    try {
      for (let round = 0; round < Math.ceil(ROUNDS / 2); round++) {
        const path = join(dir, target);
        Deno.writeFileSync(path, mutate(orig, ranges, round + 1, 12));
        const p = new Program();
        f.run(`round ${round}: open`, () => {
          p.setCoreDump(target === "kdump" ? path : dump);
          p.loadDebugInfo([
            vml,
            ...KERNEL_MODULES.map((m) => target === "loop.ko" && m === "loop" ? path : modPath(m)),
          ], { default: false });
          f.run("modules", () => [...p.modules].map((m) => m.name));
          f.run("tasks", () => {
            for (const t of forEachTask(p)) {
              t.comm.string_();
              for (const frame of p.stackTrace(t)) String(frame);
            }
          });
          f.run("type", () => String(p.type("struct loop_device")));
          f.run("variable", () => String(p.object("max_loop")));
          f.run("symbol", () => String(p.symbol("loop_exit")));
        });
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
    f.check();
  });
}
