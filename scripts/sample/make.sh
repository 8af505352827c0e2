#!/bin/bash
# Makes Wyvern's shipped kernel crash dumps:
#
#  * the SAMPLE (scripts/sample/): a minimal x86-64 Linux 6.1 kernel with DWARF 5
#    built from Debian's linux-source-6.1 (`make tinyconfig` + sample.config), booted
#    under QEMU (TCG, 2 CPUs, KASLR) with a static C /init (guest/sample_init.c) that
#    loads a tiny module of ours (guest/wyvern_demo.c) and creates tasks in every
#    state, then stopped and dumped with QMP dump-guest-memory in QEMU's kdump-zlib
#    format.  `deno task demo` runs on these files.
#  * the LA57 dump (tests/data/kernel/la57-128m/): Debian's own 6.1.0-56-amd64
#    kernel booted with `-cpu max` (5-level paging on), 128 MiB, KASLR, with the same
#    busybox guest as the fixture in /work/shared/fixtures/kernel (guest/init.debian,
#    guest/kfixproc.c), dumped, and converted with `makedumpfile -c -d 31`.
#  * the KEXEC dump (tests/data/kernel/kexec-512m/, kexec-* steps): the same kernel
#    crashed (sysrq c) and captured by a kexec'd crash kernel with makedumpfile: a real
#    kdump, with the kernel's own NT_PRSTATUS notes.
#
# Usage (as root for `deps`; the other steps need no root):
#   bash scripts/sample/make.sh                      # every step; skips what is up to date
#   STEPS="sample-dump sample-convert" bash scripts/sample/make.sh
#   FORCE=1 bash scripts/sample/make.sh              # redo the selected steps
# Knobs: SCRATCH (/var/tmp/wyvern-dumps), ACCEL (tcg), JOBS (2), LA57_MEM (128M),
# SAMPLE_MEM (64M), SAMPLE_DWZ (1), WYVERN_CACHE, FIXTURES.
#
# Steps (run in this order; each skips its work when its outputs exist, unless FORCE=1):
#   deps              apt-get install qemu-system-x86 busybox-static linux-source-6.1
#                     makedumpfile kexec-tools python3-drgn gcc make flex bison bc libelf-dev libssl-dev
#                     cpio zstd xz-utils binutils libc6-dev dwz
#   la57-fetch        `apt-get download linux-image-6.1.0-56-amd64=6.1.192-2` (70 MB) for
#                     vmlinuz and the 5 guest modules; the debug vmlinux and the modules'
#                     debug files come from $WYVERN_CACHE / the fixture directory, or else
#                     from the -dbg package (860 MB download)
#   la57-initramfs    busybox-static initramfs with guest/init.debian + guest/kfixproc.c
#   la57-dump         boot (-cpu max, -smp 2, -m 128M), wait for KFIX_READY, stop, QMP dump:
#                     ELF (paging:false), ELF (paging:true), kdump-zlib (flattened)
#   la57-convert      makedumpfile -c -d 31 of the ELF (after tools/elf_phdrs_after_ehdr.py),
#                     makedumpfile -R of QEMU's flattened kdump
#   la57-reference    drgn 0.0.22 (tools/drgn_ref.py) on every format; copies the -c -d 31
#                     kdump, console.log, boot.json, every format's JSON and a SUMMARY.md
#                     (tools/summarize_refs.py) into tests/data/kernel/la57-128m/
#   sample-kernel     extract /usr/src/linux-source-6.1.tar.xz, `make tinyconfig`, merge
#                     sample.config, check every option of it, `make -j2 bzImage modules`
#                     (no in-tree module; this makes Module.symvers and module.lds), build
#                     guest/wyvern_demo.c as a module against the tree
#   sample-initramfs  usr/gen_init_cpio: /init (static guest/sample_init.c), /wyvern_demo.ko
#                     (debug sections stripped), /dev/console
#   sample-dump       boot (-cpu max,la57=off, 2 sockets, -m 64M), wait for READY, stop, QMP
#                     dump: ELF (paging:false), kdump-zlib (flattened)
#   sample-convert    makedumpfile -c -d 31 of the ELF
#   sample-ship       -> scripts/sample/: vmlinux (relocation sections removed, dwz) .zst,
#                     wyvern_demo.ko.zst (with DWARF), vmcore.qemu-kdump-zlib.flat.zst,
#                     console.log, boot.json, config, SHA256SUMS
#   sample-reference  drgn 0.0.22 on the makedumpfile conversion, with the shipped vmlinux
#                     -> tests/data/sample/ (JSON, SUMMARY.md, and the kdump: it is < 3 MB)
#   irq-module        build guest/wyvern_irq.c against the sample tree (needs sample-kernel)
#   irq-initramfs     usr/gen_init_cpio: /init (static guest/module_init.c, -DSAMPLE=irq), /wyvern_irq.ko
#                     (debug sections stripped), /dev/console
#   irq-dump          boot the sample kernel (as sample-dump), wait for READY and SETTLE_S
#                     (5) more seconds: CPU 1 spins in an hrtimer callback (hard IRQ), CPU 0
#                     in a timer_list callback (softirq), both on their IRQ stacks; stop,
#                     QMP dump: ELF (paging:false), kdump-zlib (flattened)
#   irq-convert       makedumpfile -c -d 31 of the ELF
#   irq-ship          -> tests/data/kernel/irq-sample/: the -c -d 31 kdump, wyvern_irq.ko.zst
#                     (with DWARF), console.log, boot.json, SHA256SUMS, drgn.json (drgn
#                     0.0.22's traces, from tests/data/kernel/irq-sample/drgn_ref.py)
#   nmi-module        build guest/wyvern_nmi.c against the sample tree (needs sample-kernel)
#   nmi-initramfs     usr/gen_init_cpio: /init (static guest/module_init.c, -DSAMPLE=nmi -DUSER_SPINNER), /wyvern_nmi.ko
#                     (debug sections stripped), /dev/console
#   nmi-dump          boot the sample kernel (as sample-dump), wait for READY and 1 s, QMP
#                     inject-nmi (CPU 0 takes it; its handler sends an NMI IPI to CPU 1), wait
#                     NMI_SETTLE_S (3): both CPUs spin in the module's NMI_UNKNOWN handler,
#                     CPU 0 on its NMI stack (idle), CPU 1 on its task stack (from user
#                     mode); stop, QMP dump: ELF
#   nmi-convert       makedumpfile -c -d 31 of the ELF
#   nmi-ship          -> tests/data/kernel/nmi-sample/: the -c -d 31 kdump, wyvern_nmi.ko.zst
#                     (with DWARF), console.log, boot.json, SHA256SUMS, drgn.json (drgn
#                     0.0.22's traces, from tests/data/kernel/irq-sample/drgn_ref.py)
#   panic-module      build guest/wyvern_panic.c against the sample tree (needs sample-kernel)
#   panic-initramfs   usr/gen_init_cpio: /init (static guest/module_init.c, -DSAMPLE=panic), /wyvern_panic.ko
#                     (debug sections stripped), /dev/console
#   panic-dump        boot the sample kernel (as sample-dump, but panic=0), whose module's
#                     kthread wyv_panicker panics on CPU 1 500 ms after load; wait for the
#                     console's "end Kernel panic" and PANIC_SETTLE_S (2) s: CPU 1 loops in
#                     panic(), CPU 0 was stopped by smp_send_stop(); stop, QMP dump: ELF
#   panic-convert     makedumpfile -c -d 31 of the ELF
#   panic-ship        -> tests/data/kernel/panic-sample/: the -c -d 31 kdump, wyvern_panic.ko.zst
#                     (with DWARF), console.log, boot.json, SHA256SUMS, drgn.json (drgn
#                     0.0.22's traces, from tests/data/kernel/irq-sample/drgn_ref.py)
#   kexec-initramfs   (after la57-fetch) two busybox-static initramfs images: the crash
#                     kernel's (guest/init.capture, makedumpfile and its libraries), and the
#                     first kernel's (guest/init.kexec, guest/kfixproc.c, the 5 modules,
#                     kexec and its libraries, vmlinuz, the crash kernel's initramfs)
#   kexec-dump        boot Debian's kernel (-cpu max,la57=off, -smp 2, -m $KEXEC_MEM,
#                     crashkernel=$KEXEC_CRASH): /init loads the crash kernel with
#                     `kexec -p` and panics (sysrq c); the crash kernel writes
#                     `makedumpfile -F -c -d 31 /proc/vmcore` to the second serial port and
#                     powers off; makedumpfile -R makes the kdump file. A real kdump: the
#                     NT_PRSTATUS notes are kexec's (the panicking CPU's registers from
#                     crash_setup_regs(), the other CPU's from its crash NMI)
#   kexec-reference   drgn 0.0.22 on it -> tests/data/kernel/kexec-${KEXEC_MEM,,}/ (the
#                     kdump, drgn's JSON, console.log, boot.json)
#   (the irq-*, nmi-*, panic-* and kexec-* steps are not in the default STEPS: name them)
#
# Choices for the sample (all to keep scripts/sample/ near 10 MB):
#  * sample.config leaves out keyboard/mouse/VGA console/HID/cpufreq/ptys and other
#    vendors' CPU support; DWARF 5 is complete (no DEBUG_INFO_REDUCED), built with
#    -gno-variable-location-views -gno-statement-frontiers (-17% DWARF, nothing a
#    debugger reads is lost), and the shipped vmlinux is dwz'ed (SAMPLE_DWZ=0: without).
#  * The guest boots with init_on_free=1, so free pages are zero in the dump.
#  * No ACPI: the fw_cfg device comes from `qemu_fw_cfg.ioport=12@0x510:0:1:4`, and the
#    CPUs from SeaBIOS's MP table, which lists one CPU per socket: -smp 2,sockets=2.
#
# Scratch and caches live in $SCRATCH (default /var/tmp/wyvern-dumps), never in the repo.
# Per-step wall times are appended to $SCRATCH/timings.txt.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SCRATCH="${SCRATCH:-/var/tmp/wyvern-dumps}"
CACHE="$SCRATCH/cache"
PY=/usr/bin/python3 # Debian's python3 with python3-drgn
FORCE="${FORCE:-0}"
ACCEL="${ACCEL:-tcg}"
JOBS="${JOBS:-2}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-600}"
STEPS="${STEPS:-deps la57-fetch la57-initramfs la57-dump la57-convert la57-reference sample-kernel sample-initramfs sample-dump sample-convert sample-ship sample-reference}"
TOOLS="$HERE/tools"

# Debian kernel of the fixture.
KVER="6.1.0-56-amd64"
KPKGVER="6.1.192-2"
WYVERN_CACHE="${WYVERN_CACHE:-/var/cache/wyvern-fixtures}"
FIXTURES="${FIXTURES:-/work/shared/fixtures/kernel}"
MODS="drivers/firmware/qemu_fw_cfg drivers/block/loop drivers/block/brd drivers/net/dummy fs/minix/minix"
DEB="$SCRATCH/debian"
LA57_MEM="${LA57_MEM:-128M}"
LA57="$SCRATCH/la57-${LA57_MEM,,}"
LA57_REPO="$REPO/tests/data/kernel/la57-${LA57_MEM,,}"
# Real kdump (kexec) of the same kernel.
KEXEC_MEM="${KEXEC_MEM:-512M}"
KEXEC_CRASH="${KEXEC_CRASH:-192M}"
KEXEC="$SCRATCH/kexec-${KEXEC_MEM,,}"
KEXEC_REPO="$REPO/tests/data/kernel/kexec-${KEXEC_MEM,,}"

# Sample kernel.
SAMPLE="$SCRATCH/sample"
KSRC="$SAMPLE/linux-source-6.1"
SOUT="$SAMPLE/out"
SDUMP="$SAMPLE/dump"
SAMPLE_MEM="${SAMPLE_MEM:-64M}"
SAMPLE_REF="$REPO/tests/data/sample"
SAMPLE_GFLAGS="-gno-variable-location-views -gno-statement-frontiers"
# 1: run dwz on the shipped vmlinux (types shared between units through
# DW_TAG_partial_unit/DW_TAG_imported_unit, as RPM-based distributions' debuginfo
# packages have them): 7.8 MB instead of 11.0 MB compressed.  0: plain DWARF.
SAMPLE_DWZ="${SAMPLE_DWZ:-1}"
# Fixed build identity, so that rebuilding gives the same `uname -v` and DWARF paths.
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-Wed Jan  1 00:00:00 UTC 2025}"
export KBUILD_BUILD_USER=wyvern KBUILD_BUILD_HOST=sample KBUILD_BUILD_VERSION=1

ulimit -c 0
log() { printf '[make.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
want() { [[ " $STEPS " == *" $1 "* ]]; }
mkdir -p "$CACHE" "$DEB" "$LA57" "$SAMPLE" "$SOUT" "$SDUMP"

# ---------------------------------------------------------------- deps -----
step_deps() {
  local pkgs="qemu-system-x86 busybox-static linux-source-6.1 makedumpfile kexec-tools python3-drgn gcc make flex bison bc libelf-dev libssl-dev cpio zstd xz-utils binutils libc6-dev dwz"
  local missing=() p
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || { log "deps: all installed"; return; }
  log "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# ---------------------------------------------------------- la57-fetch -----
VMLINUX_DEB="${VMLINUX_DEB:-$WYVERN_CACHE/vmlinux-$KVER}"
step_la57_fetch() {
  local img="$CACHE/linux-image-${KVER}_${KPKGVER}_amd64.deb" m need=0
  [[ -s "$DEB/vmlinuz-$KVER" ]] || need=1
  for m in $MODS; do [[ -s "$DEB/modules/$(basename "$m").ko" ]] || need=1; done
  if ((need || FORCE == 1)); then
    [[ -s "$img" ]] || (cd "$CACHE" && apt-get download "linux-image-$KVER=$KPKGVER")
    local x="$DEB/extract"; rm -rf "$x"; mkdir -p "$x" "$DEB/modules"
    local members=("./boot/vmlinuz-$KVER")
    for m in $MODS; do members+=("./lib/modules/$KVER/kernel/$m.ko"); done
    dpkg-deb --fsys-tarfile "$img" | tar -x -C "$x" "${members[@]}"
    mv -f "$x/boot/vmlinuz-$KVER" "$DEB/"
    for m in $MODS; do mv -f "$x/lib/modules/$KVER/kernel/$m.ko" "$DEB/modules/"; done
    rm -rf "$x"
  fi
  # Debug files: the decompressed fixture vmlinux, the fixture's module debug files,
  # or (on a machine without the fixture) the -dbg package.
  need=0
  for m in $MODS; do [[ -s "$DEB/debug/$(basename "$m").ko" ]] || need=1; done
  if [[ ! -s "$VMLINUX_DEB" && -s "$FIXTURES/vmlinux-$KVER.xz" ]]; then
    log "decompressing $FIXTURES/vmlinux-$KVER.xz -> $VMLINUX_DEB"
    mkdir -p "$(dirname "$VMLINUX_DEB")"
    xz -dc "$FIXTURES/vmlinux-$KVER.xz" > "$VMLINUX_DEB.tmp" && mv "$VMLINUX_DEB.tmp" "$VMLINUX_DEB"
  fi
  if ((need)) && [[ -d "$FIXTURES/debug" ]]; then
    mkdir -p "$DEB/debug"
    for m in $MODS; do cp -f "$FIXTURES/debug/$(basename "$m").ko" "$DEB/debug/"; done
    chmod 0644 "$DEB"/debug/*.ko
    need=0
  fi
  if ((need)) || [[ ! -s "$VMLINUX_DEB" ]]; then
    local dbg="$CACHE/linux-image-${KVER}-dbg_${KPKGVER}_amd64.deb"
    [[ -s "$dbg" ]] || (cd "$CACHE" && apt-get download "linux-image-$KVER-dbg=$KPKGVER")
    local x="$DEB/extract-dbg"; rm -rf "$x"; mkdir -p "$x" "$DEB/debug"
    local members=("./usr/lib/debug/boot/vmlinux-$KVER")
    for m in $MODS; do members+=("./usr/lib/debug/lib/modules/$KVER/kernel/$m.ko"); done
    dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$x" "${members[@]}"
    [[ -s "$VMLINUX_DEB" ]] || { mkdir -p "$(dirname "$VMLINUX_DEB")"; mv -f "$x/usr/lib/debug/boot/vmlinux-$KVER" "$VMLINUX_DEB"; }
    for m in $MODS; do mv -f "$x/usr/lib/debug/lib/modules/$KVER/kernel/$m.ko" "$DEB/debug/"; done
    rm -rf "$x"
  fi
  log "la57-fetch: $(ls "$DEB/modules" | wc -l) modules, $(ls "$DEB/debug" | wc -l) debug files, vmlinux $VMLINUX_DEB"
}

# ------------------------------------------------------ la57-initramfs -----
step_la57_initramfs() {
  local ird="$DEB/initramfs.cpio.gz"
  if [[ -s "$ird" && "$FORCE" != 1 ]]; then log "la57-initramfs: up to date"; return; fi
  local r="$DEB/rootfs" a m; rm -rf "$r"
  mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,etc,lib/modules}
  cp /bin/busybox "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [[ "$a" == busybox ]] || ln -s busybox "$r/bin/$a"; done
  gcc -static -O2 -s -pthread -o "$r/bin/kfixproc" "$HERE/guest/kfixproc.c"
  install -m 0755 "$HERE/guest/init.debian" "$r/init"
  for m in $MODS; do cp "$DEB/modules/$(basename "$m").ko" "$r/lib/modules/"; done
  find "$r" -exec touch -h -d @0 {} +
  (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -9n) > "$ird.tmp"
  mv "$ird.tmp" "$ird"
  rm -rf "$r"
  log "la57-initramfs: $(stat -c %s "$ird") bytes"
}

# --------------------------------------------------------- QEMU + QMP ------
# QEMU's -smp.  The sample kernel has no ACPI, so it finds CPUs in SeaBIOS's MP table,
# which lists one CPU per socket: ask for 2 sockets.  (The la57 dump used plain -smp 2.)
SMP=2
# boot_and_dump OUTDIR KERNEL INITRD MEM CPU CMDLINE READY_PATTERN FORMAT...
#   FORMAT: elf | paging | kdump-zlib.  Boots, waits for READY_PATTERN on the serial
#   console, stops the VM and writes OUTDIR/vmcore.{elf,paging.elf,qemu-kdump-zlib.flat},
#   OUTDIR/console.log and OUTDIR/boot.json.
boot_and_dump() {
  local d=$1 kernel=$2 initrd=$3 mem=$4 cpu=$5 cmdline=$6 ready=$7; shift 7
  mkdir -p "$d"; rm -f "$d"/vmcore.* "$d/console.log" "$d/boot.json"
  local W="$d/run"; rm -rf "$W"; mkdir -p "$W"
  local qemu=(qemu-system-x86_64 -nodefaults -no-user-config -accel "$ACCEL" -cpu "$cpu"
    -smp "$SMP" -m "$mem" -display none -no-reboot
    -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
    -device vmcoreinfo -serial "file:$W/console.log" -monitor none
    -qmp "unix:$W/qmp.sock,server=on,wait=off")
  log "booting: ${qemu[*]}"
  local t0 t1; t0=$(date +%s.%N)
  "${qemu[@]}" > "$W/qemu.log" 2>&1 &
  local qpid=$! rc=1 deadline=$(($(date +%s) + READY_TIMEOUT_S))
  while (($(date +%s) < deadline)); do
    if grep -q -- "$ready" "$W/console.log" 2>/dev/null; then rc=0; break; fi
    kill -0 "$qpid" 2>/dev/null || { rc=2; break; }
    sleep 0.2
  done
  t1=$(date +%s.%N)
  if ((rc)); then
    kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true
    tail -40 "$W/console.log" >&2 || true; cat "$W/qemu.log" >&2 || true
    log "guest did not print $ready (rc=$rc)"; return 1
  fi
  sleep "${SETTLE_S:-1}" # let the READY line's writer go back to sleep
  # PRE_DUMP_QMP: QMP commands (compact JSON, space-separated) to send before the stop,
  # then wait PRE_DUMP_SLEEP_S (the nmi-dump step injects its NMI so).
  if [[ -n "${PRE_DUMP_QMP:-}" ]]; then
    # shellcheck disable=SC2086 # one word per command
    "$PY" "$TOOLS/qmp.py" "$W/qmp.sock" $PRE_DUMP_QMP >> "$W/qmp.out" || { cat "$W/qmp.out" >&2; }
    sleep "${PRE_DUMP_SLEEP_S:-1}"
  fi
  local cmds=('{"execute":"query-dump-guest-memory-capability"}' '{"execute":"stop"}') f
  for f in "$@"; do
    case $f in
      elf) cmds+=("{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$d/vmcore.elf\"}}") ;;
      paging) cmds+=("{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":true,\"protocol\":\"file:$d/vmcore.paging.elf\"}}") ;;
      kdump-zlib) cmds+=("{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"format\":\"kdump-zlib\",\"protocol\":\"file:$d/vmcore.qemu-kdump-zlib.flat\"}}") ;;
    esac
  done
  cmds+=('{"execute":"quit"}')
  "$PY" "$TOOLS/qmp.py" "$W/qmp.sock" "${cmds[@]}" >> "$W/qmp.out" || { cat "$W/qmp.out" >&2; }
  for _ in $(seq 100); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
  kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true
  [[ -s "$d/vmcore.elf" ]] || { log "dump failed"; return 1; }
  cp "$W/console.log" "$d/console.log"
  chmod 0644 "$d"/vmcore.* "$d/console.log"
  "$PY" - "$d" "$W/qmp.out" "$ACCEL" "$cpu" "$mem" "$cmdline" "$t0" "$t1" \
    "$(qemu-system-x86_64 --version | head -1)" "$ready" "$SMP" <<'EOF'
import json, re, sys
d, q, accel, cpu, mem, cmdline, t0, t1, qver, ready, smp = sys.argv[1:]
replies = [json.loads(l) for l in open(q) if l.strip()]
con = open(f"{d}/console.log", errors="replace").read()
up = re.search(r"(?:KFIX|SAMPLE)_UPTIME (\S+)", con)
json.dump({
    "qemu": qver, "accel": accel, "cpu": cpu, "smp": smp, "memory": mem,
    "kernel_cmdline": cmdline, "ready_pattern": ready,
    "host_seconds_qemu_start_to_ready": round(float(t1) - float(t0), 2),
    "guest_uptime_at_ready": float(up.group(1)) if up else None,
    "qmp": replies,
}, open(f"{d}/boot.json", "w"), indent=2)
open(f"{d}/boot.json", "a").write("\n")
EOF
  log "dumped in $(printf %.1f "$(echo "$t1 - $t0" | bc)") s to ready: $(cd "$d" && ls vmcore.* | tr '\n' ' ')"
}

# mdf_convert IN.elf OUT.kdump : makedumpfile -c -d 31 of a QEMU ELF vmcore.
mdf_convert() {
  local in=$1 out=$2 fixed="$2.phdr64.elf"
  # makedumpfile 1.7.2 cannot read QEMU >= 7.2 ELF headers (program headers after
  # the section headers): fix up the header of a sparse copy.
  cp --sparse=always "$in" "$fixed"; chmod u+w "$fixed"
  "$PY" "$TOOLS/elf_phdrs_after_ehdr.py" "$fixed" >&2
  rm -f "$out"
  makedumpfile -c -d 31 "$fixed" "$out" >&2
  rm -f "$fixed"
  chmod 0644 "$out"
}

# drgn_ref OUT.json CORE VMLINUX [MODULE_DEBUG...]: runs tools/drgn_ref.py with paths
# relative to the core's directory, so the JSON does not name this machine's scratch.
drgn_ref() {
  local out=$1 core=$2; shift 2
  local s; s=$(mktemp -d "$SCRATCH/drgnref.XXXXXX")
  ln -s "$core" "$s/$(basename "$core")"
  local args=("$(basename "$core")") f
  mkdir -p "$s/debug"
  ln -s "$1" "$s/$(basename "$1")"; args+=("$(basename "$1")"); shift
  for f in "$@"; do ln -s "$f" "$s/debug/$(basename "$f")"; args+=("debug/$(basename "$f")"); done
  (cd "$s" && timeout 900 "$PY" "$TOOLS/drgn_ref.py" "${args[@]}") > "$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$s"
}

# summarize DIR NAME BOOT_JSON: DIR/SUMMARY.md from DIR/*.json (tools/summarize_refs.py).
summarize() {
  local dir=$1 name=$2 boot=$3 s f
  s=$(mktemp -d "$SCRATCH/summary.XXXXXX"); mkdir -p "$s/$name"
  for f in "$dir"/*.json; do [[ "$(basename "$f")" == boot.json ]] || ln -s "$f" "$s/$name/"; done
  ln -s "$boot" "$s/$name/boot.json"
  "$PY" "$TOOLS/summarize_refs.py" "$s" > "$dir/SUMMARY.md"
  rm -rf "$s"
}

# ----------------------------------------------------------- la57-dump -----
step_la57_dump() {
  if [[ -s "$LA57/vmcore.elf" && -s "$LA57/vmcore.paging.elf" && -s "$LA57/vmcore.qemu-kdump-zlib.flat" && "$FORCE" != 1 ]]; then
    log "la57-dump: up to date"; return
  fi
  boot_and_dump "$LA57" "$DEB/vmlinuz-$KVER" "$DEB/initramfs.cpio.gz" "$LA57_MEM" max \
    "console=ttyS0 panic=-1" KFIX_READY elf paging kdump-zlib
  grep -q "KFIX_LA57 [1-9]" "$LA57/console.log" || log "WARNING: the guest's /proc/cpuinfo has no la57 flag"
}

step_la57_convert() {
  if [[ -s "$LA57/vmcore.mdf-c-d31.kdump" && "$LA57/vmcore.mdf-c-d31.kdump" -nt "$LA57/vmcore.elf" && "$FORCE" != 1 ]]; then
    log "la57-convert: up to date"; return
  fi
  mdf_convert "$LA57/vmcore.elf" "$LA57/vmcore.mdf-c-d31.kdump"
  # QEMU writes kdump formats in makedumpfile's flattened layout; -R rearranges it
  # into a normal (seekable) kdump-compressed file (kept locally, for tests).
  makedumpfile -R "$LA57/vmcore.qemu-kdump-zlib" < "$LA57/vmcore.qemu-kdump-zlib.flat" >&2
  chmod 0644 "$LA57/vmcore.qemu-kdump-zlib"
  log "la57-convert: $(stat -c %s "$LA57/vmcore.mdf-c-d31.kdump") bytes"
}

step_la57_reference() {
  local f m debugs=()
  for m in $MODS; do debugs+=("$DEB/debug/$(basename "$m").ko"); done
  mkdir -p "$LA57/reference" "$LA57_REPO"
  for f in vmcore.mdf-c-d31.kdump vmcore.elf vmcore.paging.elf vmcore.qemu-kdump-zlib.flat vmcore.qemu-kdump-zlib; do
    [[ -s "$LA57/$f" ]] || continue
    local out="$LA57/reference/${f#vmcore.}.json"
    if [[ -s "$out" && "$out" -nt "$LA57/$f" && "$FORCE" != 1 ]]; then continue; fi
    log "la57-reference: drgn on $f"
    drgn_ref "$out" "$LA57/$f" "$VMLINUX_DEB" "${debugs[@]}"
  done
  # The repo gets the small dump and drgn's answers for every format (the other
  # formats stay in $LA57: see the README there).
  cp -f "$LA57/vmcore.mdf-c-d31.kdump" "$LA57/console.log" "$LA57/boot.json" "$LA57"/reference/*.json "$LA57_REPO/"
  summarize "$LA57_REPO" la57-128m "$LA57_REPO/boot.json"
  log "la57-reference: $(du -sh "$LA57_REPO" | cut -f1) in $LA57_REPO"
}

# ------------------------------------------------------- sample-kernel -----
step_sample_kernel() {
  if [[ -s "$SOUT/vmlinux" && -s "$SOUT/bzImage" && -s "$SOUT/wyvern_demo.ko" && "$SOUT/vmlinux" -nt "$HERE/sample.config" &&
        "$SOUT/wyvern_demo.ko" -nt "$HERE/guest/wyvern_demo.c" && "$FORCE" != 1 ]]; then
    log "sample-kernel: up to date"; return
  fi
  if [[ ! -f "$KSRC/Makefile" ]]; then
    log "extracting /usr/src/linux-source-6.1.tar.xz"
    tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$SAMPLE"
  fi
  (
    cd "$KSRC"
    make -s tinyconfig
    scripts/kconfig/merge_config.sh -m .config "$HERE/sample.config" > /dev/null
    make -s olddefconfig
    local l o bad=0
    for l in $(grep -E '^CONFIG_' "$HERE/sample.config"); do
      grep -qx "$l" .config || { log "config: wanted $l, got: $(grep -E "${l%%=*}[= ]" .config || echo unset)"; bad=1; }
    done
    for o in $(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$HERE/sample.config"); do
      ! grep -q "^$o=" .config || { log "config: wanted $o off, got: $(grep "^$o=" .config)"; bad=1; }
    done
    ((bad == 0)) || exit 1
    # DWARF paths name /usr/src/linux-source-6.1, not this machine's scratch directory.
    # No location views and statement frontiers (GCC extensions that debuggers do not
    # use): 17% less DWARF, same types, variables, locations and line table rows.
    make -j"$JOBS" KCFLAGS="-fdebug-prefix-map=$KSRC=/usr/src/linux-source-6.1 $SAMPLE_GFLAGS" \
      KAFLAGS="-Wa,--debug-prefix-map=$KSRC=/usr/src/linux-source-6.1" bzImage modules > "$SAMPLE/build.log" 2>&1 ||
      { tail -40 "$SAMPLE/build.log" >&2; exit 1; }
  )
  local m="$SAMPLE/module"; rm -rf "$m"; mkdir -p "$m"
  cp "$HERE/guest/wyvern_demo.c" "$m/"
  echo 'obj-m := wyvern_demo.o' > "$m/Kbuild"
  make -C "$KSRC" M="$m" modules \
    KCFLAGS="-fdebug-prefix-map=$m=/usr/src/wyvern_demo -fdebug-prefix-map=$KSRC=/usr/src/linux-source-6.1 $SAMPLE_GFLAGS" > "$SAMPLE/module.log" 2>&1 ||
    { cat "$SAMPLE/module.log" >&2; return 1; }
  cp "$KSRC/vmlinux" "$SOUT/vmlinux"
  cp "$KSRC/arch/x86/boot/bzImage" "$SOUT/bzImage"
  cp "$KSRC/.config" "$SOUT/config"
  cp "$m/wyvern_demo.ko" "$SOUT/wyvern_demo.ko"
  log "sample-kernel: vmlinux $(stat -c %s "$SOUT/vmlinux"), bzImage $(stat -c %s "$SOUT/bzImage"), wyvern_demo.ko $(stat -c %s "$SOUT/wyvern_demo.ko") bytes"
}

# ---------------------------------------------------- sample-initramfs -----
step_sample_initramfs() {
  local ird="$SOUT/initramfs.cpio.gz"
  if [[ -s "$ird" && "$ird" -nt "$SOUT/wyvern_demo.ko" && "$ird" -nt "$HERE/guest/sample_init.c" && "$FORCE" != 1 ]]; then
    log "sample-initramfs: up to date"; return
  fi
  local r="$SAMPLE/rootfs"; rm -rf "$r"; mkdir -p "$r"
  gcc -static -Os -s -pthread -o "$r/init" "$HERE/guest/sample_init.c"
  # The guest loads the module without its debug sections, like a distribution's
  # packaged modules; the debugger gets them from the shipped wyvern_demo.ko.
  strip --strip-debug -o "$r/wyvern_demo.ko" "$SOUT/wyvern_demo.ko"
  touch -d @0 "$r/init" "$r/wyvern_demo.ko"
  cat > "$r/list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $r/init 0755 0 0
file /wyvern_demo.ko $r/wyvern_demo.ko 0644 0 0
EOF
  "$KSRC/usr/gen_init_cpio" -t 0 "$r/list" | gzip -9n > "$ird.tmp"
  mv "$ird.tmp" "$ird"
  rm -rf "$r"
  log "sample-initramfs: $(stat -c %s "$ird") bytes"
}

# --------------------------------------------------------- sample-dump -----
SAMPLE_CMDLINE="console=ttyS0 panic=-1 qemu_fw_cfg.ioport=12@0x510:0:1:4 ${SAMPLE_EXTRA_CMDLINE:-init_on_free=1}"
step_sample_dump() {
  if [[ -s "$SDUMP/vmcore.elf" && -s "$SDUMP/vmcore.qemu-kdump-zlib.flat" && "$SDUMP/vmcore.elf" -nt "$SOUT/initramfs.cpio.gz" &&
        "$SDUMP/vmcore.elf" -nt "$SOUT/bzImage" && "$FORCE" != 1 ]]; then
    log "sample-dump: up to date"; return
  fi
  SMP=2,sockets=2,cores=1,threads=1 boot_and_dump "$SDUMP" "$SOUT/bzImage" "$SOUT/initramfs.cpio.gz" "$SAMPLE_MEM" max,la57=off \
    "$SAMPLE_CMDLINE" "^READY" elf kdump-zlib
}

step_sample_convert() {
  if [[ -s "$SDUMP/vmcore.mdf-c-d31.kdump" && "$SDUMP/vmcore.mdf-c-d31.kdump" -nt "$SDUMP/vmcore.elf" && "$FORCE" != 1 ]]; then
    log "sample-convert: up to date"; return
  fi
  mdf_convert "$SDUMP/vmcore.elf" "$SDUMP/vmcore.mdf-c-d31.kdump"
  log "sample-convert: $(stat -c %s "$SDUMP/vmcore.mdf-c-d31.kdump") bytes"
}

# --------------------------------------------------------- sample-ship -----
step_sample_ship() {
  # (zstd gives its output the input's mtime: compare with a stamp instead)
  local stamp="$SAMPLE/ship/stamp"
  if [[ -s "$HERE/vmlinux.zst" && -s "$HERE/vmcore.qemu-kdump-zlib.flat.zst" && -f "$stamp" && "$stamp" -nt "$SOUT/vmlinux" &&
        "$stamp" -nt "$SDUMP/vmcore.qemu-kdump-zlib.flat" && "$FORCE" != 1 ]]; then
    log "sample-ship: up to date"; return
  fi
  local s="$SAMPLE/ship"; rm -rf "$s"; mkdir -p "$s"
  strip_vmlinux "$SOUT/vmlinux" "$s/vmlinux"
  # zstd -19 (8 MiB window): the demo decompresses these once into its cache.
  zstd -q -19 -f "$s/vmlinux" -o "$HERE/vmlinux.zst"
  zstd -q -19 -f "$SOUT/wyvern_demo.ko" -o "$HERE/wyvern_demo.ko.zst"
  zstd -q -19 -f "$SDUMP/vmcore.qemu-kdump-zlib.flat" -o "$HERE/vmcore.qemu-kdump-zlib.flat.zst"
  chmod 0644 "$HERE"/*.zst
  cp -f "$SDUMP/console.log" "$HERE/console.log"
  cp -f "$SDUMP/boot.json" "$HERE/boot.json"
  cp -f "$SOUT/config" "$HERE/config"
  # Checksums of the shipped files and of what they decompress to.
  (
    cd "$HERE"
    sha256sum vmlinux.zst wyvern_demo.ko.zst vmcore.qemu-kdump-zlib.flat.zst
    local f
    for f in vmlinux.zst wyvern_demo.ko.zst vmcore.qemu-kdump-zlib.flat.zst; do
      echo "$(zstd -dc "$f" | sha256sum | cut -d' ' -f1)  ${f%.zst}"
    done
  ) > "$HERE/SHA256SUMS"
  touch "$stamp"
  log "sample-ship: $(cd "$HERE" && du -bc vmlinux.zst wyvern_demo.ko.zst vmcore.qemu-kdump-zlib.flat.zst console.log boot.json config | tail -1)"
}

# strip_vmlinux IN OUT: drops the relocation sections (vmlinux is linked with
# --emit-relocs for KASLR; a debugger does not apply them to an ET_EXEC file: 45% of
# the file), then (SAMPLE_DWZ=1) shares types between units with dwz.  Every other
# section stays: all allocated sections (the data ones are 1 MB; objcopy cannot
# turn them into NOBITS), DWARF, .symtab/.strtab, ORC, .notes.
strip_vmlinux() {
  local in=$1 out=$2
  objcopy -R '.rela.*' "$in" "$out"
  if [[ "$SAMPLE_DWZ" == 1 ]]; then dwz -L none "$out"; fi
}

# ---------------------------------------------------- sample-reference -----
step_sample_reference() {
  mkdir -p "$SAMPLE_REF"
  local out="$SAMPLE_REF/mdf-c-d31.kdump.json"
  if [[ -s "$out" && "$out" -nt "$SDUMP/vmcore.mdf-c-d31.kdump" && "$FORCE" != 1 ]]; then
    log "sample-reference: up to date"
  else
    # Against the shipped (stripped, dwz'ed) vmlinux: what the demo loads.
    WYVERN_REF_PROFILE=sample drgn_ref "$out" "$SDUMP/vmcore.mdf-c-d31.kdump" "$SAMPLE/ship/vmlinux" "$SOUT/wyvern_demo.ko"
  fi
  local sz; sz=$(stat -c %s "$SDUMP/vmcore.mdf-c-d31.kdump")
  if ((sz < 3 * 1024 * 1024)); then cp -f "$SDUMP/vmcore.mdf-c-d31.kdump" "$SAMPLE_REF/"; fi
  summarize "$SAMPLE_REF" sample "$HERE/boot.json"
  log "sample-reference: $(ls "$SAMPLE_REF" | tr '\n' ' ')"
}

# ------------------------------------------------------------ module samples
# The module samples (irq-*, nmi-*, panic-*): the sample kernel with one test module of
# ours, guest/wyvern_K.c, and a guest /init, guest/module_init.c built for K, that loads it; dumped and
# shipped to tests/data/kernel/K-sample/. Shared steps, by the sample's name K:

# Builds guest/wyvern_K.c against the sample kernel tree.
module_sample_module() {
  local k="$1" d="$SAMPLE/$1" mod="wyvern_$1"
  if [[ -s "$d/out/$mod.ko" && "$d/out/$mod.ko" -nt "$HERE/guest/$mod.c" && "$FORCE" != 1 ]]; then
    log "$k-module: up to date"; return
  fi
  [[ -s "$SOUT/bzImage" ]] || { log "$k-module: run sample-kernel first"; return 1; }
  local m="$d/module"; rm -rf "$m"; mkdir -p "$m" "$d/out"
  cp "$HERE/guest/$mod.c" "$m/"
  echo "obj-m := $mod.o" > "$m/Kbuild"
  make -C "$KSRC" M="$m" modules \
    KCFLAGS="-fdebug-prefix-map=$m=/usr/src/$mod -fdebug-prefix-map=$KSRC=/usr/src/linux-source-6.1 $SAMPLE_GFLAGS" > "$d/module.log" 2>&1 ||
    { cat "$d/module.log" >&2; return 1; }
  cp "$m/$mod.ko" "$d/out/$mod.ko"
  log "$k-module: $mod.ko $(stat -c %s "$d/out/$mod.ko") bytes"
}

# /init (static guest/module_init.c for K; $2: extra compiler flags) and the module
# without its debug sections.
module_sample_initramfs() {
  local k="$1" d="$SAMPLE/$1" mod="wyvern_$1"
  local ird="$d/out/initramfs.cpio.gz"
  if [[ -s "$ird" && "$ird" -nt "$d/out/$mod.ko" && "$ird" -nt "$HERE/guest/module_init.c" && "$FORCE" != 1 ]]; then
    log "$k-initramfs: up to date"; return
  fi
  local r="$d/rootfs"; rm -rf "$r"; mkdir -p "$r"
  # shellcheck disable=SC2086 # $2: flags, split on purpose
  gcc -static -Os -s -DSAMPLE="\"$k\"" ${2:-} -o "$r/init" "$HERE/guest/module_init.c"
  strip --strip-debug -o "$r/$mod.ko" "$d/out/$mod.ko"
  touch -d @0 "$r/init" "$r/$mod.ko"
  cat > "$r/list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $r/init 0755 0 0
file /$mod.ko $r/$mod.ko 0644 0 0
EOF
  "$KSRC/usr/gen_init_cpio" -t 0 "$r/list" | gzip -9n > "$ird.tmp"
  mv "$ird.tmp" "$ird"
  rm -rf "$r"
  log "$k-initramfs: $(stat -c %s "$ird") bytes"
}

# Whether K's ELF dump is newer than its initramfs and the kernel (and FORCE is not 1).
module_sample_dumped() {
  local d="$SAMPLE/$1"
  [[ -s "$d/dump/vmcore.elf" && "$d/dump/vmcore.elf" -nt "$d/out/initramfs.cpio.gz" && "$d/dump/vmcore.elf" -nt "$SOUT/bzImage" &&
     "$FORCE" != 1 ]]
}

# Boots K's initramfs on the sample kernel (2 sockets), waits for the console line $2 and
# dumps (boot_and_dump; the caller's environment gives SETTLE_S, READY_TIMEOUT_S and
# PRE_DUMP_*). $3: the kernel command line; the rest: the dump formats.
module_sample_dump() {
  local k="$1" ready="$2" cmdline="$3"; shift 3
  SMP=2,sockets=2,cores=1,threads=1 boot_and_dump "$SAMPLE/$k/dump" "$SOUT/bzImage" \
    "$SAMPLE/$k/out/initramfs.cpio.gz" "$SAMPLE_MEM" max,la57=off "$cmdline" "$ready" "$@"
}

module_sample_convert() {
  local k="$1" d="$SAMPLE/$1/dump"
  if [[ -s "$d/vmcore.mdf-c-d31.kdump" && "$d/vmcore.mdf-c-d31.kdump" -nt "$d/vmcore.elf" && "$FORCE" != 1 ]]; then
    log "$k-convert: up to date"; return
  fi
  mdf_convert "$d/vmcore.elf" "$d/vmcore.mdf-c-d31.kdump"
  log "$k-convert: $(stat -c %s "$d/vmcore.mdf-c-d31.kdump") bytes"
}

# Copies K's kdump, console log, boot facts and module (zstd) into tests/data/kernel/K-sample/
# with their SHA-256s, and records there drgn 0.0.22's traces with the IRQ sample's
# drgn_ref.py (labels: cpu_curr(1), PID 2 (given CPU 1's registers by drgn), the crashed
# thread (PID 1, given CPU 0's)): the tests' reference.
module_sample_ship() {
  local k="$1" d="$SAMPLE/$1" mod="wyvern_$1" repo="$REPO/tests/data/kernel/$1-sample"
  mkdir -p "$repo"
  cp -f "$d/dump/vmcore.mdf-c-d31.kdump" "$d/dump/console.log" "$d/dump/boot.json" "$repo/"
  zstd -q -19 -f "$d/out/$mod.ko" -o "$repo/$mod.ko.zst"
  chmod 0644 "$repo"/*
  (
    cd "$repo"
    sha256sum vmcore.mdf-c-d31.kdump "$mod.ko.zst"
    echo "$(zstd -dc "$mod.ko.zst" | sha256sum | cut -d' ' -f1)  $mod.ko"
  ) > "$repo/SHA256SUMS"
  timeout 600 "$PY" "$REPO/tests/data/kernel/irq-sample/drgn_ref.py" "$d/dump/vmcore.mdf-c-d31.kdump" \
    "$SAMPLE/ship/vmlinux" "$d/out/$mod.ko" > "$repo/drgn.json.tmp"
  mv "$repo/drgn.json.tmp" "$repo/drgn.json"
  log "$k-ship: $(du -bc "$repo"/* | tail -1)"
}

# The IRQ sample: guest/wyvern_irq.c's timer callbacks spin forever, in hard-IRQ context on
# CPU 1 and in a softirq on CPU 0 (see tests/data/kernel/irq-sample/README.md).
step_irq_module() { module_sample_module irq; }
step_irq_initramfs() { module_sample_initramfs irq; }
step_irq_dump() {
  if module_sample_dumped irq; then log "irq-dump: up to date"; return; fi
  # SETTLE_S (5) s after READY, 3 s after the callbacks started spinning: stop and dump.
  SETTLE_S="${SETTLE_S:-5}" READY_TIMEOUT_S="${IRQ_READY_TIMEOUT_S:-120}" \
    module_sample_dump irq "^READY" "$SAMPLE_CMDLINE" elf kdump-zlib
}
step_irq_convert() { module_sample_convert irq; }
step_irq_ship() { module_sample_ship irq; }

# The NMI sample: guest/wyvern_nmi.c's NMI_UNKNOWN handler spins forever; the host injects
# an NMI, which CPU 0 forwards to CPU 1 (see tests/data/kernel/nmi-sample/README.md).
step_nmi_module() { module_sample_module nmi; }
step_nmi_initramfs() { module_sample_initramfs nmi -DUSER_SPINNER; }
step_nmi_dump() {
  if module_sample_dumped nmi; then log "nmi-dump: up to date"; return; fi
  # 1 s after READY: inject-nmi (QEMU 7.2 raises LINT1 on every CPU's local APIC, but
  # Linux leaves LINT1 masked on all but the boot CPU: CPU 0 takes it, and the module
  # forwards it to CPU 1); NMI_SETTLE_S (3) s later: stop and dump.
  PRE_DUMP_QMP='{"execute":"inject-nmi"}' PRE_DUMP_SLEEP_S="${NMI_SETTLE_S:-3}" SETTLE_S=1 \
    READY_TIMEOUT_S="${NMI_READY_TIMEOUT_S:-120}" module_sample_dump nmi "^READY" "$SAMPLE_CMDLINE" elf
}
step_nmi_convert() { module_sample_convert nmi; }
step_nmi_ship() { module_sample_ship nmi; }

# The panic sample: guest/wyvern_panic.c's kernel thread wyv_panicker (bound to CPU 1) calls
# panic(); the guest boots with panic=0, so panic() stops CPU 0 and loops forever on CPU 1
# (see tests/data/kernel/panic-sample/README.md).
step_panic_module() { module_sample_module panic; }
step_panic_initramfs() { module_sample_initramfs panic; }
# panic=0 instead of the sample's panic=-1: panic() must not reboot.
PANIC_CMDLINE="${SAMPLE_CMDLINE/panic=-1/panic=0}"
step_panic_dump() {
  if module_sample_dumped panic; then log "panic-dump: up to date"; return; fi
  # Waits for the end of panic()'s report ("---[ end Kernel panic - not syncing: ..."),
  # then PANIC_SETTLE_S (2) s: CPU 1 loops in panic()'s mdelay(), CPU 0 halts in
  # stop_this_cpu(); stop, QMP dump: ELF.
  SETTLE_S="${PANIC_SETTLE_S:-2}" READY_TIMEOUT_S="${PANIC_READY_TIMEOUT_S:-120}" \
    module_sample_dump panic "end Kernel panic - not syncing: wyvern" "$PANIC_CMDLINE" elf
}
step_panic_convert() { module_sample_convert panic; }
step_panic_ship() { module_sample_ship panic; }

# ---------------------------------------------------------------- kexec -----
# copy_with_libs ROOT FILE...: FILE and the shared libraries ldd lists for it, at the
# same paths under ROOT.
copy_with_libs() {
  local root=$1 f l; shift
  for f in "$@"; do
    mkdir -p "$root$(dirname "$f")"; cp -L "$f" "$root$f"
    for l in $(ldd "$f" | grep -o '/[^ ]*'); do mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l"; done
  done
}

# busybox_root DIR: a fresh root with busybox-static and its applet links.
busybox_root() {
  local r=$1 a; rm -rf "$r"; mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,etc,boot,lib/modules}
  cp /bin/busybox "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [[ "$a" == busybox ]] || ln -s busybox "$r/bin/$a"; done
}

# cpio_gz DIR OUT: the newc archive of DIR, gzip'd (timestamps zeroed).
cpio_gz() {
  find "$1" -exec touch -h -d @0 {} +
  (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -6n) > "$2.tmp"
  mv "$2.tmp" "$2"
}

step_kexec_initramfs() {
  local ird="$KEXEC/initramfs.cpio.gz" m
  if [[ -s "$ird" && "$FORCE" != 1 ]]; then log "kexec-initramfs: up to date"; return; fi
  mkdir -p "$KEXEC"
  local c="$KEXEC/capture-root" r="$KEXEC/root"
  busybox_root "$c"
  copy_with_libs "$c" "$(command -v makedumpfile)"
  install -m 0755 "$HERE/guest/init.capture" "$c/init"
  busybox_root "$r"
  cpio_gz "$c" "$r/boot/capture.cpio.gz"
  copy_with_libs "$r" "$(command -v kexec)"
  cp "$DEB/vmlinuz-$KVER" "$r/boot/vmlinuz"
  gcc -static -O2 -s -pthread -o "$r/bin/kfixproc" "$HERE/guest/kfixproc.c"
  install -m 0755 "$HERE/guest/init.kexec" "$r/init"
  for m in $MODS; do cp "$DEB/modules/$(basename "$m").ko" "$r/lib/modules/"; done
  cpio_gz "$r" "$ird"
  rm -rf "$c" "$r"
  log "kexec-initramfs: $(stat -c %s "$ird") bytes"
}

step_kexec_dump() {
  local d="$KEXEC"
  if [[ -s "$d/vmcore.mdf-c-d31.kdump" && "$d/vmcore.mdf-c-d31.kdump" -nt "$d/initramfs.cpio.gz" && "$FORCE" != 1 ]]; then
    log "kexec-dump: up to date"; return
  fi
  local W="$d/run"; rm -rf "$W"; mkdir -p "$W"
  local cmdline="console=ttyS0 crashkernel=$KEXEC_CRASH panic=-1"
  local qemu=(qemu-system-x86_64 -nodefaults -no-user-config -accel "$ACCEL" -cpu max,la57=off
    -smp 2 -m "$KEXEC_MEM" -display none -no-reboot
    -kernel "$DEB/vmlinuz-$KVER" -initrd "$d/initramfs.cpio.gz" -append "$cmdline"
    -device vmcoreinfo -serial "file:$W/console.log" -serial "file:$W/vmcore.flat" -monitor none)
  log "booting: ${qemu[*]}"
  local t0 t1; t0=$(date +%s.%N)
  timeout "$READY_TIMEOUT_S" "${qemu[@]}" > "$W/qemu.log" 2>&1 || cat "$W/qemu.log" >&2
  t1=$(date +%s.%N)
  grep -q "CAPTURE_DONE rc=0" "$W/console.log" || {
    tail -40 "$W/console.log" >&2; log "kexec-dump: the crash kernel did not write the dump"; return 1
  }
  rm -f "$d/vmcore.mdf-c-d31.kdump"
  makedumpfile -R "$d/vmcore.mdf-c-d31.kdump" < "$W/vmcore.flat" >&2
  cp "$W/console.log" "$d/console.log"
  chmod 0644 "$d/vmcore.mdf-c-d31.kdump" "$d/console.log"
  "$PY" - "$d" "$ACCEL" "$KEXEC_MEM" "$cmdline" "$t0" "$t1" "$(qemu-system-x86_64 --version | head -1)" <<'EOF'
import json, re, sys
d, accel, mem, cmdline, t0, t1, qver = sys.argv[1:]
con = open(f"{d}/console.log", errors="replace").read()
up = re.search(r"KEXEC_UPTIME (\S+)", con)
json.dump({
    "qemu": qver, "accel": accel, "cpu": "max,la57=off", "smp": 2, "memory": mem,
    "kernel_cmdline": cmdline, "ready_pattern": "KEXEC_READY",
    "crash_kernel_cmdline": "console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=-1",
    "capture": "makedumpfile -F -c -d 31 /proc/vmcore > /dev/ttyS1; makedumpfile -R on the host",
    "host_seconds_qemu_start_to_poweroff": round(float(t1) - float(t0), 2),
    "guest_uptime_at_ready": float(up.group(1)) if up else None,
}, open(f"{d}/boot.json", "w"), indent=2)
open(f"{d}/boot.json", "a").write("\n")
EOF
  log "kexec-dump: $(stat -c %s "$d/vmcore.mdf-c-d31.kdump") bytes"
}

step_kexec_reference() {
  local m debugs=()
  for m in $MODS; do debugs+=("$DEB/debug/$(basename "$m").ko"); done
  mkdir -p "$KEXEC_REPO"
  drgn_ref "$KEXEC/mdf-c-d31.kdump.json" "$KEXEC/vmcore.mdf-c-d31.kdump" "$VMLINUX_DEB" "${debugs[@]}"
  cp -f "$KEXEC/vmcore.mdf-c-d31.kdump" "$KEXEC/console.log" "$KEXEC/boot.json" \
    "$KEXEC/mdf-c-d31.kdump.json" "$KEXEC_REPO/"
  log "kexec-reference: $(du -sh "$KEXEC_REPO" | cut -f1) in $KEXEC_REPO"
}

timed() {
  local s=$1 t0; t0=$(date +%s.%N)
  log "== step $s"
  "step_${s//-/_}"
  printf '%s %s %.1f\n' "$(date -u +%FT%TZ)" "$s" "$(echo "$(date +%s.%N) - $t0" | bc)" >> "$SCRATCH/timings.txt"
}

for s in deps la57-fetch la57-initramfs la57-dump la57-convert la57-reference sample-kernel sample-initramfs sample-dump sample-convert sample-ship sample-reference irq-module irq-initramfs irq-dump irq-convert irq-ship nmi-module nmi-initramfs nmi-dump nmi-convert nmi-ship panic-module panic-initramfs panic-dump panic-convert panic-ship kexec-initramfs kexec-dump kexec-reference; do
  if want "$s"; then timed "$s"; fi
done
log "all requested steps done"
