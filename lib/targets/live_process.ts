/**
 * Live processes: memory through `/proc/PID/mem` (positioned reads, never
 * cached: the process keeps running), modules from `/proc/PID/maps` and
 * `/proc/PID/auxv`, threads from `/proc/PID/task`. Wyvern never writes to
 * the process.
 *
 * @module
 */

import { FaultError, LookupError, TargetError } from "../errors.ts";
import type { MemorySource } from "../memory/memory_reader.ts";
import type { Program } from "../program/program.ts";
import { Thread } from "../program/thread.ts";
import { X86_64 } from "../platform.ts";
import { parseAuxv } from "../elf/core_notes.ts";
import { discoverModules } from "./userspace_core.ts";
import { loadUserspaceDebugInfo } from "./userspace_debug_info.ts";
import { liveStackTrace } from "./live_stack.ts";

/** Reads `/proc/PID/mem` with a positioned read per request; EIO becomes a FaultError. */
export class ProcMemSource implements MemorySource {
  readonly path: string;
  #file: Deno.FsFile;
  constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }
  readInto(
    offset: bigint,
    dest: Uint8Array,
    destOffset: number,
    length: number,
    address: bigint,
  ): void {
    if (offset >= 1n << 63n) throw new FaultError("could not read memory", address);
    let done = 0;
    while (done < length) {
      let n: number | null;
      try {
        this.#file.seekSync(offset + BigInt(done), Deno.SeekMode.Start);
        n = this.#file.readSync(dest.subarray(destOffset + done, destOffset + length));
      } catch {
        throw new FaultError("could not read memory", address + BigInt(done));
      }
      if (n === null || n === 0) {
        throw new FaultError("could not read memory", address + BigInt(done));
      }
      done += n;
    }
  }
}

function parseMaps(
  text: string,
): { start: bigint; end: bigint; fileOffset: bigint; path: string }[] {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+\S+\s+([0-9a-f]+)\s+\S+\s+(\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const path = m[5]!.trim();
    if (!path.startsWith("/") || m[4] === "0") continue;
    out.push({
      start: BigInt("0x" + m[1]),
      end: BigInt("0x" + m[2]),
      fileOffset: BigInt("0x" + m[3]),
      path: path.replace(/ \(deleted\)$/, ""),
    });
  }
  return out;
}

/** Opens process `pid` on `prog`. */
export function openLiveProcess(prog: Program, pid: number): void {
  const base = `/proc/${pid}`;
  let file: Deno.FsFile;
  try {
    Deno.statSync(base);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new TargetError(
        base,
        "Deno lets only --allow-all programs read /proc/PID: run with -A (and as a user allowed to ptrace the process)",
      );
    }
    throw new TargetError(base, `no process with PID ${pid}`);
  }
  try {
    file = Deno.openSync(`${base}/mem`, { read: true });
  } catch (e) {
    throw new TargetError(
      `${base}/mem`,
      e instanceof Deno.errors.PermissionDenied
        ? "permission denied (ptrace access is needed: run as root or the process's owner with kernel.yama.ptrace_scope=0)"
        : String(e instanceof Error ? e.message : e),
    );
  }
  prog.setPlatform(X86_64);
  prog.setFlags({ isLive: true });
  prog.memory.addSegment(0n, 1n << 64n, new ProcMemSource(`${base}/mem`, file));
  prog.targetDescription = `live process ${pid}`;
  const auxv = (() => {
    try {
      return parseAuxv(Deno.readFileSync(`${base}/auxv`), X86_64);
    } catch {
      return [];
    }
  })();
  let maps: ReturnType<typeof parseMaps> = [];
  try {
    maps = parseMaps(Deno.readTextFileSync(`${base}/maps`));
  } catch {
    prog.warn(`${base}/maps is not readable: no modules`);
  }
  discoverModules(prog, maps, auxv);
  prog.targetData.set("loadDebugInfo", loadUserspaceDebugInfo);
  prog.targetData.set("pid", pid);
  prog.stackTraceProvider = liveStackTrace;
  const threadList = (): Thread[] => {
    const tids: number[] = [];
    for (const e of Deno.readDirSync(`${base}/task`)) {
      const n = Number(e.name);
      if (Number.isInteger(n)) tids.push(n);
    }
    tids.sort((a, b) => a - b);
    return tids.map((tid) => {
      let name: string | null = null;
      try {
        name = Deno.readTextFileSync(`${base}/task/${tid}/comm`).trimEnd();
      } catch {
        // thread exited
      }
      return new Thread(prog, tid, name, null, null, { live: true });
    });
  };
  prog.threadProvider = {
    threads: threadList,
    thread(tid: number) {
      const t = threadList().find((x) => x.tid === tid);
      if (!t) throw new LookupError(`thread with TID ${tid} not found`, "thread", String(tid));
      return t;
    },
    mainThread: () => threadList().find((t) => t.tid === pid) ?? threadList()[0]!,
    crashedThread: () => {
      throw new TypeError("a live process has no crashed thread");
    },
  };
}
