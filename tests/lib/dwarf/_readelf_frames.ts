/**
 * Parses `readelf --debug-dump=frames-interp` output: per FDE, its PC range,
 * the register columns and the interpreted rows, as the oracle of the CFI
 * tests.
 *
 * @module
 */

/** One FDE as readelf interprets it. */
export interface ReadelfFde {
  offset: number;
  cie: number;
  pcBegin: bigint;
  pcEnd: bigint;
  /** Column names after `CFA` (`rbx`, `rbp`, `ra`, …); empty if no rows were printed. */
  columns: string[];
  /** Rows: location, CFA rule, one value per column. */
  rows: { pc: bigint; cfa: string; values: string[] }[];
}

const FDE_RE =
  /^([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)$/;
const CIE_RE = /^[0-9a-f]+ (?:[0-9a-f]+ [0-9a-f]+ CIE|ZERO terminator)/;
const HEAD_RE = /^\s+LOC\s+CFA\s*(.*)$/;
const ROW_RE = /^([0-9a-f]+) (\S+)\s*(.*)$/;

/** Parses the text of one section's dump (the first section in `text`). */
export function parseReadelfFrames(text: string): Map<number, ReadelfFde> {
  const out = new Map<number, ReadelfFde>();
  let cur: ReadelfFde | null = null;
  let inCie = false;
  for (const line of text.split("\n")) {
    let m = FDE_RE.exec(line);
    if (m !== null) {
      cur = {
        offset: parseInt(m[1]!, 16),
        cie: parseInt(m[4]!, 16),
        pcBegin: BigInt("0x" + m[5]),
        pcEnd: BigInt("0x" + m[6]),
        columns: [],
        rows: [],
      };
      out.set(cur.offset, cur);
      inCie = false;
      continue;
    }
    if (CIE_RE.test(line)) {
      cur = null;
      inCie = true;
      continue;
    }
    if (inCie || cur === null) continue;
    m = HEAD_RE.exec(line);
    if (m !== null) {
      cur.columns = m[1]!.trim() === "" ? [] : m[1]!.trim().split(/\s+/);
      continue;
    }
    m = ROW_RE.exec(line);
    if (m !== null) {
      const values = m[3]!.trim() === "" ? [] : m[3]!.trim().split(/\s+/);
      cur.rows.push({ pc: BigInt("0x" + m[1]), cfa: m[2]!, values });
    }
  }
  return out;
}

/**
 * `readelf --debug-dump=frames-interp PATH` output. readelf's exit status is
 * ignored (it exits 1 on libc.so.6 with no message), but it must print.
 */
export async function readelfFramesInterp(path: string): Promise<string> {
  const out = await new Deno.Command("readelf", {
    args: ["--debug-dump=frames-interp", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!text.includes("FDE")) throw new Error(`readelf printed no FDE for ${path}`);
  return text;
}
