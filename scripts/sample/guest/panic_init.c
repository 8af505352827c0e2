/*
 * /init of the guest of Wyvern's panic sample dump (scripts/sample/make.sh,
 * steps panic-*).  Static, no shell: mounts /proc, /sys and /dev, stays on
 * CPU 0, loads /wyvern_panic.ko (whose kernel thread wyv_panicker, bound to
 * CPU 1, calls panic() 500 ms later), prints a READY line at once and sleeps
 * (CPU 0 goes idle).  panic() then stops CPU 0 and halts CPU 1 for good.
 *
 * Build: gcc -static -Os -s -o init panic_init.c
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
	sethostname("wyvern-panic", 12);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		say("SAMPLE_WARN sched_setaffinity failed\n");

	int fd = open("/wyvern_panic.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
		snprintf(line, sizeof line, "SAMPLE_WARN wyvern_panic.ko: %s\n", strerror(errno));
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
	say("READY panic\n");
	for (;;)
		pause();
}
