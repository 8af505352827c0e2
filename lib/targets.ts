/**
 * Installs the target openers on `Program`: core dumps (any kernel vmcore
 * format or a userspace core, told apart by content), the running kernel and
 * live processes. Imported by `mod.ts` and the runtime.
 *
 * @module
 */

import { openFile } from "./binary/file_reader.ts";
import { ElfFile } from "./elf/elf_file.ts";
import { ET } from "./elf/constants.ts";
import { TargetError } from "./errors.ts";
import { resolveDumpFormat } from "./linux/dump/detect.ts";
import { type KernelTargetOptions, Program } from "./program/program.ts";
import { openUserspaceCore } from "./targets/userspace_core.ts";
import { openLiveProcess } from "./targets/live_process.ts";
import { openKernelDump, openLiveKernel } from "./linux/kernel.ts";
import "./program/dwarf_source.ts";

Program.targetOpeners.coreDump = (prog: Program, path: string, options: KernelTargetOptions) => {
  const file = openFile(path);
  try {
    if (file.size === 0) throw new TargetError(path, "file is empty");
    const { format, reader } = resolveDumpFormat(file);
    switch (format) {
      case "kdump":
        openKernelDump(prog, reader, "kdump", undefined, options.vmcoreinfo);
        return;
      case "elf": {
        const elf = ElfFile.fromReader(reader);
        if (elf.type !== ET.CORE) {
          throw new TargetError(
            path,
            `not a core dump: an ELF ${
              elf.type === ET.EXEC || elf.type === ET.DYN ? "executable or shared object" : "file"
            } (give it with -s to load its debug info)`,
          );
        }
        if (
          options.vmcoreinfo !== undefined || elf.notes().some((n) => n.name === "VMCOREINFO")
        ) {
          openKernelDump(prog, reader, "elf", elf, options.vmcoreinfo);
        } else {
          openUserspaceCore(prog, reader, elf);
        }
        return;
      }
      default:
        throw new TargetError(
          path,
          "not a core dump: not ELF, kdump-compressed or makedumpfile flattened format",
        );
    }
  } catch (e) {
    file.close();
    throw e;
  }
};

Program.targetOpeners.kernel = (prog: Program, options: KernelTargetOptions) =>
  openLiveKernel(prog, "/proc/kcore", options.vmcoreinfo);
Program.targetOpeners.pid = (prog: Program, pid: number) => openLiveProcess(prog, pid);
import "./program/location.ts";
