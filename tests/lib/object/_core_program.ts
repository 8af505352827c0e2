/**
 * Test-only program over a user fixture core, independent of `Program`:
 * memory from the core's PT_LOAD segments (faulting past `p_filesz`, "memory
 * not saved in core dump", as drgn does), symbols from drgn's own answers in the reference JSON, and
 * variable and function types from the binary's DWARF. It is enough to
 * check the object formatter on real data.
 */

import { FileReader } from "../../../lib/binary/file_reader.ts";
import { DwarfInfo } from "../../../lib/dwarf/dwarf_info.ts";
import { dwarfSectionsFromMap } from "../../../lib/dwarf/sections.ts";
import { PT } from "../../../lib/elf/constants.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { FaultSource, FileSource } from "../../../lib/memory/memory_reader.ts";
import { makeObject, type TypedObject } from "../../../lib/object/typed_object.ts";
import { MockProgram } from "../../_mock_program.ts";
import { readElfSections } from "../dwarf/_sections.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Sym {
  readonly name: string;
  readonly address: bigint;
  readonly size: bigint;
}

/** A program made of a core dump, a reference's symbols and a binary's DWARF. */
export class CoreProgram extends MockProgram {
  readonly dwarf: DwarfInfo;
  readonly #symbols: Sym[] = [];
  readonly #reader: FileReader;

  /**
   * @param corePath the core dump
   * @param debugPath the file with the binary's DWARF
   * @param ref the drgn reference JSON (its `symbols`)
   */
  constructor(corePath: string, debugPath: string, ref: Json) {
    super();
    this.#reader = FileReader.open(corePath);
    const elf = ElfFile.fromReader(this.#reader);
    for (const seg of elf.segments) {
      if (seg.type !== PT.LOAD || seg.memsz === 0) continue;
      if (seg.filesz > 0) {
        this.memory.addSegment(
          seg.vaddr,
          BigInt(seg.filesz),
          new FileSource(this.#reader, seg.offset, seg.filesz),
        );
      }
      if (seg.memsz > seg.filesz) {
        this.memory.addSegment(
          seg.vaddr + BigInt(seg.filesz),
          BigInt(seg.memsz - seg.filesz),
          new FaultSource("memory not saved in core dump"),
        );
      }
    }
    const { sections, littleEndian } = readElfSections(debugPath);
    this.dwarf = new DwarfInfo(dwarfSectionsFromMap(sections), { littleEndian, name: debugPath });
    for (const s of Object.values(ref.symbols as Record<string, Json>)) {
      const b = s.by_name;
      if (b && b.address) {
        this.#symbols.push({ name: b.name, address: BigInt(b.address), size: BigInt(b.size) });
      }
    }
  }

  /** `Program.symbolize`'s spelling (`name+0xoff/0xsize`); the formatter drops the size. */
  symbolize(address: bigint): string | null {
    for (const s of this.#symbols) {
      if (address >= s.address && address < s.address + s.size) {
        return `${s.name}+0x${(address - s.address).toString(16)}/0x${s.size.toString(16)}`;
      }
    }
    return null;
  }

  /** The variable or function `name` at the address drgn reported, with its DWARF type. */
  objectAt(name: string, kind: "variable" | "function", address: string): TypedObject | null {
    const o = this.dwarf.findObject(name, kind);
    if (o === null || (o.kind !== "variable" && o.kind !== "function")) return null;
    return makeObject(this, o.type, { address: BigInt(address) });
  }

  close(): void {
    this.#reader.close();
  }
}
