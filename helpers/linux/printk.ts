/**
 * The kernel log buffer, as drgn's `drgn.helpers.linux.printk`: the
 * lockless ring buffer `prb` (Linux kernel commit 896fbe20b4e2 ("printk:
 * use the lockless ringbuffer") (in v5.10)) and, before it, the
 * structured `log_buf` of `struct printk_log` records (v3.5–v5.9). Which
 * one a kernel has is told by whether it has a `prb` variable.
 *
 * @example The last message
 * ```ts
 * import { getPrintkRecords } from "./printk.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const last = getPrintkRecords(prog).at(-1)!;
 * if (!last.text.startsWith("loop0: detected capacity change")) throw new Error();
 * ```
 *
 * @module
 */

import { decodeUtf8 } from "../../lib/binary/byte_reader.ts";
import type { Program } from "../../lib/program/program.ts";
import { objectAt } from "../../lib/object/operators.ts";
import type { TypedObject } from "../../lib/object/typed_object.ts";

/** A kernel log record (drgn's `PrintkRecord`). */
export interface PrintkRecord {
  /** The message (UTF-8 decoded; invalid bytes become U+FFFD). */
  readonly text: string;
  /** The syslog(3) facility. */
  readonly facility: number;
  /** The log level (0 `KERN_EMERG` … 7 `KERN_DEBUG`). */
  readonly level: number;
  /** The sequence number. */
  readonly seq: bigint;
  /** When it was logged, in nanoseconds since boot. */
  readonly timestamp: bigint;
  /** The thread that logged it, if known and logged from task context. */
  readonly callerTid: number | null;
  /** The CPU that logged it, if known and logged outside task context. */
  readonly callerCpu: number | null;
  /** Whether it continues the previous record (`LOG_CONT`). */
  readonly continuation: boolean;
  /** Extra metadata (`SUBSYSTEM`, `DEVICE`, or the old dictionary's keys). */
  readonly context: ReadonlyMap<string, string>;
}

function callerId(id: number): [number | null, number | null] {
  return (id & 0x80000000) !== 0 ? [null, id & 0x7fffffff] : [id, null];
}

/** Reads `n` bytes of text, or as much as can be read when the end faults. */
function readText(prog: Program, address: bigint, n: number): Uint8Array {
  return n === 0 ? new Uint8Array(0) : prog.read(address, n);
}

function lockless(prog: Program, prb: TypedObject): PrintkRecord[] {
  const ulongSize = prog.platform.wordSize;
  const bits = BigInt(ulongSize * 8);
  const flagsShift = bits - 2n;
  const idMask = (1n << flagsShift) - 1n;
  const logCont = Number(prog.constant("LOG_CONT").value_());
  const committed = BigInt(prog.constant("desc_committed").value_());
  const finalized = BigInt(prog.constant("desc_finalized").value_());

  const descRing = prb.member_("desc_ring");
  const descs = descRing.member_("descs").read_();
  const infos = descRing.member_("infos").read_();
  const countBits = BigInt(descRing.member_("count_bits").value_());
  const descMask = (1n << countBits) - 1n;
  const textRing = prb.member_("text_data_ring");
  const data = textRing.member_("data").value_() as bigint;
  const dataSize = 1n << BigInt(textRing.member_("size_bits").value_());
  const dataMask = dataSize - 1n;
  const wraps = (lpos: bigint) => lpos >> BigInt(textRing.member_("size_bits").value_());

  const out: PrintkRecord[] = [];
  const add = (id: bigint) => {
    const idx = Number(id & descMask);
    const desc = descs.subscript_(idx).read_();
    const stateVar = BigInt.asUintN(
      64,
      BigInt(desc.member_("state_var").member_("counter").value_()),
    );
    const state = (stateVar >> flagsShift) & 3n;
    if ((stateVar & idMask) !== id || (state !== committed && state !== finalized)) return;
    const lpos = desc.member_("text_blk_lpos");
    const begin = BigInt.asUintN(64, BigInt(lpos.member_("begin").value_()));
    const next = BigInt.asUintN(64, BigInt(lpos.member_("next").value_()));
    const info = infos.subscript_(idx).read_();
    let textLen = Number(info.member_("text_len").value_());
    let start: bigint;
    // Data-less blocks have bit 0 set in both positions: NO_LPOS (3) is a
    // record with empty text, FAILED_LPOS (1) one whose text was lost.
    if ((begin & 1n) !== 0n && (next & 1n) !== 0n) {
      if (begin !== 3n || next !== 3n) return;
      start = 0n;
      textLen = 0;
    } else {
      let size: bigint;
      if (wraps(begin) === wraps(next) && begin < next) {
        start = begin & dataMask;
        size = next - begin;
      } else if (wraps(begin + dataSize) === wraps(next)) {
        // The block wrapped: it starts over at the beginning of the ring.
        start = 0n;
        size = next & dataMask;
      } else {
        return;
      }
      if (size < BigInt(ulongSize)) return;
      start += BigInt(ulongSize); // skip the block's ID
      size -= BigInt(ulongSize);
      // A truncated record keeps what there is (drgn does the same).
      if (size < BigInt(textLen)) textLen = Number(size);
    }
    const [callerTid, callerCpu] = callerId(Number(info.member_("caller_id").value_()));
    const context = new Map<string, string>();
    const devInfo = info.member_("dev_info");
    const subsystem = devInfo.member_("subsystem").string_();
    const device = devInfo.member_("device").string_();
    if (subsystem) context.set("SUBSYSTEM", subsystem);
    if (device) context.set("DEVICE", device);
    out.push({
      text: decodeUtf8(readText(prog, data + start, textLen)),
      facility: Number(info.member_("facility").value_()),
      level: Number(info.member_("level").value_()),
      seq: BigInt(info.member_("seq").value_()),
      timestamp: BigInt(info.member_("ts_nsec").value_()),
      callerTid,
      callerCpu,
      continuation: (Number(info.member_("flags").value_()) & logCont) !== 0,
      context,
    });
  };
  const head = BigInt.asUintN(64, BigInt(descRing.member_("head_id").member_("counter").value_())) &
    idMask;
  let id = BigInt.asUintN(64, BigInt(descRing.member_("tail_id").member_("counter").value_())) &
    idMask;
  // At most one pass over the descriptor ring, however corrupt the IDs.
  for (let n = 0n; id !== head && n <= descMask; n++) {
    add(id);
    id = (id + 1n) & idMask;
  }
  add(id);
  return out;
}

function structured(prog: Program): PrintkRecord[] {
  const logType = prog.type("struct printk_log");
  const haveCaller = logType.hasMember("caller_id");
  const headerSize = BigInt(logType.size ?? 16);
  const logCont = Number(prog.constant("LOG_CONT").value_());
  const buf = prog.object("log_buf").value_() as bigint;
  const bufLen = BigInt(prog.object("log_buf_len").value_());
  let idx = BigInt(prog.object("log_first_idx").value_());
  const nextIdx = BigInt(prog.object("log_next_idx").value_());
  let seq = BigInt(prog.object("log_first_seq").value_());
  const out: PrintkRecord[] = [];
  // Every record is at least a header long: that bounds the walk.
  for (let n = 0n; idx !== nextIdx && n <= bufLen / headerSize + 1n; n++) {
    const log = objectAt(prog, logType, buf + idx).read_();
    const len = BigInt(log.member_("len").value_());
    if (len === 0n) {
      // A zero length marks the wrap to the start of the buffer; it is not
      // a record (log_from_idx()). drgn 0.0.22 reports it as an empty record
      // and counts it in the sequence numbers.
      if (idx < nextIdx) break; // a second wrap: a corrupted buffer
      idx = 0n;
      continue;
    }
    const textLen = Number(log.member_("text_len").value_());
    const dictLen = Number(log.member_("dict_len").value_());
    const bytes = readText(prog, buf + idx + headerSize, textLen + dictLen);
    const context = new Map<string, string>();
    if (dictLen > 0) {
      for (const kv of decodeUtf8(bytes.subarray(textLen)).split("\0")) {
        const eq = kv.indexOf("=");
        if (eq >= 0) context.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
    }
    const [callerTid, callerCpu] = haveCaller
      ? callerId(Number(log.member_("caller_id").value_()))
      : [null, null];
    out.push({
      text: decodeUtf8(bytes.subarray(0, textLen)),
      facility: Number(log.member_("facility").value_()),
      level: Number(log.member_("level").value_()),
      seq,
      timestamp: BigInt(log.member_("ts_nsec").value_()),
      callerTid,
      callerCpu,
      continuation: (Number(log.member_("flags").value_()) & logCont) !== 0,
      context,
    });
    idx += len;
    seq++;
  }
  return out;
}

/**
 * The records in the kernel log buffer, oldest first.
 *
 * @param prog the program (a kernel)
 * @returns the records
 *
 * @example
 * ```ts
 * import { getPrintkRecords } from "./printk.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const [first] = getPrintkRecords(prog);
 * if (first!.timestamp !== 0n || !first!.text.startsWith("Linux version")) throw new Error();
 * ```
 */
export function getPrintkRecords(prog: Program): PrintkRecord[] {
  const prb = prog.tryObject("prb");
  if (prb === null) return structured(prog);
  return lockless(prog, prb);
}

/**
 * The kernel log formatted as dmesg(1) prints it: one
 * `[seconds.microseconds] text` line per record, as drgn's `get_dmesg()`
 * (a record whose text has newlines spans several lines).
 *
 * @param prog the program (a kernel)
 * @returns the log, each line ending in a newline
 *
 * @example
 * ```ts
 * import { getDmesg } from "./printk.ts";
 * import { kernelProgram } from "../../tests/_programs.ts";
 * const prog = await kernelProgram();
 * const lines = getDmesg(prog).split("\n");
 * if (lines[1] !== "[    0.000000] Command line: console=ttyS0 panic=-1") throw new Error();
 * ```
 */
export function getDmesg(prog: Program): string {
  const lines: string[] = [];
  for (const r of getPrintkRecords(prog)) {
    const sec = r.timestamp / 1000000000n;
    const usec = (r.timestamp % 1000000000n) / 1000n;
    // Python's "% 5d": a space where the sign goes, then padded to 5.
    const secField = (" " + sec.toString()).padStart(5);
    lines.push(`[${secField}.${usec.toString().padStart(6, "0")}] ${r.text}`);
  }
  lines.push("");
  return lines.join("\n");
}
