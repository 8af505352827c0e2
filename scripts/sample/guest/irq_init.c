/*
 * /init of the guest of Wyvern's IRQ sample dump (scripts/sample/make.sh,
 * steps irq-*).  Static, no shell: mounts /proc, /sys and /dev, stays on
 * CPU 0, loads /wyvern_irq.ko (whose timer callbacks start spinning forever
 * 1.5 s later in a softirq on CPU 0, 2 s later in hard-IRQ context on CPU 1), prints a
 * READY line at once and sleeps.  (READY comes before the spins: after them
 * user space does not run again, and time may stop when CPU 1 was the CPU
 * that updates jiffies.)
 *
 * Build: gcc -static -Os -s -o init irq_init.c
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

int main(void)
{
	char line[512];
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	sethostname("wyvern-irq", 10);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		say("SAMPLE_WARN sched_setaffinity failed\n");

	int fd = open("/wyvern_irq.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
		snprintf(line, sizeof line, "SAMPLE_WARN wyvern_irq.ko: %s\n", strerror(errno));
		say(line);
	}
	if (fd >= 0)
		close(fd);
	print_file("SAMPLE_MODULES", "/proc/modules");

	struct utsname u;
	uname(&u);
	snprintf(line, sizeof line, "SAMPLE_UNAME %s %s\n", u.release, u.version);
	say(line);
	print_file("SAMPLE_CMDLINE", "/proc/cmdline");
	print_file("SAMPLE_UPTIME", "/proc/uptime");
	say("READY irq\n");
	for (;;)
		pause();
}
