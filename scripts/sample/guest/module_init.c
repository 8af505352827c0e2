/*
 * /init of the guests of Wyvern's module sample dumps (scripts/sample/make.sh,
 * steps irq-*, nmi-*, panic-*), built once per sample with -DSAMPLE='"K"'.
 * Static, no shell: mounts /proc, /sys and /dev, stays on CPU 0, loads
 * /wyvern_K.ko, prints a READY line at once and sleeps.
 *
 *  - irq: the module's timer callbacks start spinning forever 1.5 s later in a
 *    softirq on CPU 0, 2 s later in hard-IRQ context on CPU 1.  (READY comes
 *    before the spins: after them user space does not run again, and time may
 *    stop when CPU 1 was the CPU that updates jiffies.)
 *  - nmi (-DUSER_SPINNER): the module registers an NMI_UNKNOWN handler that
 *    spins forever; /init also forks a child pinned to CPU 1 that loops in user
 *    mode (wyvern_user_spin).  The host then injects an NMI (QMP inject-nmi)
 *    into CPU 0 (idle), whose handler forwards one to CPU 1 (in user mode):
 *    both CPUs enter the handler and stay there.
 *  - panic: the module's kernel thread wyv_panicker, bound to CPU 1, calls
 *    panic() 500 ms later (CPU 0 goes idle); panic() then stops CPU 0 and
 *    halts CPU 1 for good.
 *
 * Build: gcc -static -Os -s -DSAMPLE='"irq"' -o init module_init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SAMPLE
#error "build with -DSAMPLE='\"irq\"' (or nmi, panic)"
#endif

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0) {
		/* nothing sensible to do */
	}
}

static void print_file(const char *prefix, const char *path)
{
	char buf[512], line[600];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	snprintf(line, sizeof line, "%s %s\n", prefix, buf);
	say(line);
}

#ifdef USER_SPINNER
/* Counts forever in user mode, on CPU 1: the context CPU 1's NMI interrupts. */
volatile unsigned long wyvern_user_spins;
__attribute__((noinline)) static void wyvern_user_spin(void)
{
	for (;;)
		wyvern_user_spins++;
}
#endif

int main(void)
{
	char line[512];
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	sethostname("wyvern-" SAMPLE, sizeof("wyvern-" SAMPLE) - 1);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		say("SAMPLE_WARN sched_setaffinity failed\n");

	int fd = open("/wyvern_" SAMPLE ".ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
		snprintf(line, sizeof line, "SAMPLE_WARN wyvern_" SAMPLE ".ko: %s\n", strerror(errno));
		say(line);
	}
	if (fd >= 0)
		close(fd);
	print_file("SAMPLE_MODULES", "/proc/modules");

#ifdef USER_SPINNER
	pid_t child = fork();
	if (child == 0) {
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		if (sched_setaffinity(0, sizeof set, &set))
			say("SAMPLE_WARN sched_setaffinity(1) failed\n");
		wyvern_user_spin();
	}
	snprintf(line, sizeof line, "SAMPLE_SPINNER %d\n", (int)child);
	say(line);
#endif

	struct utsname u;
	uname(&u);
	snprintf(line, sizeof line, "SAMPLE_UNAME %s %s\n", u.release, u.version);
	say(line);
	print_file("SAMPLE_CMDLINE", "/proc/cmdline");
	print_file("SAMPLE_UPTIME", "/proc/uptime");
	say("READY " SAMPLE "\n");
	for (;;)
		pause();
}
