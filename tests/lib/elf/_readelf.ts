/**
 * Parsers for `readelf -W` output, the independent oracle of the ELF tests.
 *
 * @module
 */

import { run } from "./_fixtures.ts";

/** A section as readelf -SW prints it. */
export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: number;
  size: number;
  entsize: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

const SECTION_RE =
  /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/;

/** `readelf -SW` sections. */
export async function readelfSections(path: string): Promise<ReadelfSection[]> {
  const text = await run("readelf", ["-SW", path]);
  const out: ReadelfSection[] = [];
  for (const line of text.split("\n")) {
    const m = SECTION_RE.exec(line);
    if (m === null) continue;
    out.push({
      index: Number(m[1]),
      name: m[2]!,
      type: m[3]!,
      addr: BigInt("0x" + m[4]),
      offset: parseInt(m[5]!, 16),
      size: parseInt(m[6]!, 16),
      entsize: parseInt(m[7]!, 16),
      flags: m[8]!,
      link: Number(m[9]),
      info: Number(m[10]),
      align: Number(m[11]),
    });
  }
  return out;
}

/** A program header as readelf -lW prints it. */
export interface ReadelfSegment {
  type: string;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
  flags: string;
  align: number;
}

const SEGMENT_RE =
  /^\s+([A-Z_0-9+x]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (.*) (0x[0-9a-f]+|\d+)$/;

/** `readelf -lW` program headers. */
export async function readelfSegments(path: string): Promise<ReadelfSegment[]> {
  const text = await run("readelf", ["-lW", path]);
  const out: ReadelfSegment[] = [];
  for (const line of text.split("\n")) {
    const m = SEGMENT_RE.exec(line);
    if (m === null) continue;
    out.push({
      type: m[1]!,
      offset: parseInt(m[2]!, 16),
      vaddr: BigInt("0x" + m[3]),
      paddr: BigInt("0x" + m[4]),
      filesz: parseInt(m[5]!, 16),
      memsz: parseInt(m[6]!, 16),
      flags: m[7]!.replace(/\s/g, ""),
      align: Number(m[8]),
    });
  }
  return out;
}

/** A symbol as readelf -sW prints it. */
export interface ReadelfSymbol {
  table: string;
  num: number;
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

const SYMBOL_RE =
  /^\s*(\d+): ([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/;

/** `readelf -sW` symbols of every table (entry 0 included). */
export async function readelfSymbols(path: string): Promise<ReadelfSymbol[]> {
  const text = await run("readelf", ["-sW", path]);
  const out: ReadelfSymbol[] = [];
  let table = "";
  for (const line of text.split("\n")) {
    const t = /^Symbol table '([^']+)'/.exec(line);
    if (t !== null) {
      table = t[1]!;
      continue;
    }
    const m = SYMBOL_RE.exec(line);
    if (m === null) continue;
    out.push({
      table,
      num: Number(m[1]),
      value: BigInt("0x" + m[2]),
      size: BigInt(m[3]!),
      type: m[4]!,
      bind: m[5]!,
      vis: m[6]!,
      ndx: m[7]!,
      name: m[8]!,
    });
  }
  return out;
}

/** A note as readelf -nW lists it. */
export interface ReadelfNote {
  owner: string;
  size: number;
  description: string;
  /** The decoded lines under the note (e.g. `Build ID: …`). */
  details: string[];
}

/** `readelf -nW` notes, in order. */
export async function readelfNotes(path: string): Promise<ReadelfNote[]> {
  const text = await run("readelf", ["-nW", path]);
  const out: ReadelfNote[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s{2}(\S+)\s+0x([0-9a-f]+)\t([^\t]*)\t?(.*)$/.exec(line);
    if (m !== null) {
      const details = m[4]!.trim() === "" ? [] : [m[4]!.trim()];
      out.push({ owner: m[1]!, size: parseInt(m[2]!, 16), description: m[3]!.trim(), details });
      continue;
    }
    if (out.length > 0 && /^\s{4}/.test(line)) out[out.length - 1]!.details.push(line.trim());
  }
  return out;
}

/** `readelf -hW` fields by label. */
export async function readelfHeader(path: string): Promise<Map<string, string>> {
  const text = await run("readelf", ["-hW", path]);
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\s+([^:]+):\s+(.*)$/.exec(line);
    if (m !== null) out.set(m[1]!.trim(), m[2]!.trim());
  }
  return out;
}
