/*
 * /init of the guest of Wyvern's sample crash dump (scripts/sample/make.sh).
 * Static, no shell: mounts /proc, /sys and /dev, loads /wyvern_demo.ko,
 * creates one task per interesting state, waits until each is in it, prints
 * a ps-like table and a READY line with the PIDs on the console, then sleeps.
 *
 *   comm            state  how
 *   wyv_sleeper     S      clock_nanosleep(1000 s)
 *   wyv_pipe_rd     S      read() on a pipe whose write end init keeps open
 *   wyv_stopped     T      raise(SIGSTOP)
 *   wyv_zparent     S      pause(), never reaps its child:
 *   wyv_zombie      Z      exit(7)
 *   wyv_vfork_par   D      blocked in vfork() (the child never execs/exits)
 *   wyv_vfork_chd   S      pause()
 *   wyv_thr0        S      pthread_join() (futex wait) on:
 *   wyv_thr1,2      S      clock_nanosleep / pause in secondary threads
 *   wyv_spin        R      user-space busy loop pinned to CPU 1
 *
 * Build: gcc -static -Os -s -pthread -o init sample_init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (write(1, buf, n) < 0) {
		/* nothing sensible to do */
	}
}

static void setname(const char *n) { prctl(PR_SET_NAME, (unsigned long)n, 0, 0, 0); }
static void forever(void) { for (;;) pause(); }

static void long_sleep(void)
{
	struct timespec ts = { .tv_sec = 1000, .tv_nsec = 0 };
	for (;;)
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static void *thr1(void *arg) { (void)arg; setname("wyv_thr1"); long_sleep(); return NULL; }
static void *thr2(void *arg) { (void)arg; setname("wyv_thr2"); forever(); return NULL; }

static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t p = fork();
	if (p < 0) {
		say("SAMPLE_WARN fork: %s\n", strerror(errno));
		return -1;
	}
	if (p == 0) {
		fn(arg);
		_exit(0);
	}
	return p;
}

static void do_sleeper(void *a) { (void)a; setname("wyv_sleeper"); long_sleep(); }

static void do_pipe_reader(void *a)
{
	int *fds = a;
	char c;
	setname("wyv_pipe_rd");
	close(fds[1]);
	for (;;)
		if (read(fds[0], &c, 1) <= 0)
			pause();
}

static void do_stopped(void *a) { (void)a; setname("wyv_stopped"); raise(SIGSTOP); forever(); }

static void do_zparent(void *a)
{
	pid_t *zpid = a;
	setname("wyv_zparent");
	pid_t c = fork();
	if (c == 0) {
		setname("wyv_zombie");
		_exit(7);
	}
	(void)zpid;
	forever();
}

static void do_vfork(void *a)
{
	(void)a;
	setname("wyv_vfork_par");
	pid_t p = vfork();
	if (p == 0) {
		/* Not POSIX-clean (a vfork child should only exec or _exit), but
		 * the parent never resumes, so sharing its stack is harmless. */
		setname("wyv_vfork_chd");
		forever();
	}
	forever();
}

static void do_threads(void *a)
{
	(void)a;
	pthread_t t1, t2;
	setname("wyv_thr0");
	pthread_create(&t1, NULL, thr1, NULL);
	pthread_create(&t2, NULL, thr2, NULL);
	pthread_join(t1, NULL);
	forever();
}

static void do_spin(void *a)
{
	(void)a;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		say("SAMPLE_WARN sched_setaffinity: %s\n", strerror(errno));
	setname("wyv_spin");
	volatile unsigned long x = 0;
	for (;;)
		x++;
}

/* Reads /proc/PID/stat: fills comm and returns the state letter (0 on error). */
static char proc_state(pid_t pid, char *comm, size_t commsz, int *ppid, int *cpu)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r || r[1] == 0)
		return 0;
	if (comm) {
		size_t len = (size_t)(r - l - 1);
		if (len >= commsz)
			len = commsz - 1;
		memcpy(comm, l + 1, len);
		comm[len] = 0;
	}
	char state = r[2];
	if (ppid || cpu) {
		/* fields after ')': state(3) ppid(4) ... processor(39) */
		char *p = r + 2;
		int field = 3;
		long v4 = 0, v39 = -1;
		while (*p && field <= 39) {
			if (field == 4)
				v4 = strtol(p, NULL, 10);
			if (field == 39)
				v39 = strtol(p, NULL, 10);
			p = strchr(p, ' ');
			if (!p)
				break;
			p++;
			field++;
		}
		if (ppid)
			*ppid = (int)v4;
		if (cpu)
			*cpu = (int)v39;
	}
	return state;
}

static int wait_state(pid_t pid, char want)
{
	for (int i = 0; i < 100; i++) {
		if (proc_state(pid, NULL, 0, NULL, NULL) == want)
			return 1;
		usleep(50000);
	}
	say("SAMPLE_WARN pid %d not in state %c\n", pid, want);
	return 0;
}

static void print_file(const char *prefix, const char *path)
{
	char buf[512];
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
	say("%s %s\n", prefix, buf);
}

static void ps(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	say("  PID  PPID CPU S COMM\n");
	if (!d)
		return;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid <= 0)
			continue;
		char comm[32];
		int ppid = 0, cpu = -1;
		char s = proc_state(pid, comm, sizeof comm, &ppid, &cpu);
		if (s)
			say("%5d %5d %3d %c %s\n", pid, ppid, cpu, s, comm);
	}
	closedir(d);
}

static void load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("SAMPLE_WARN open %s: %s\n", path, strerror(errno));
		return;
	}
	if (syscall(SYS_finit_module, fd, "", 0))
		say("SAMPLE_WARN finit_module %s: %s\n", path, strerror(errno));
	close(fd);
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	sethostname("wyvern-sample", 13);
	say("SAMPLE_STAGE mounts-done\n");

	load_module("/wyvern_demo.ko");
	print_file("SAMPLE_MODULES", "/proc/modules");

	int fds[2];
	if (pipe(fds))
		say("SAMPLE_WARN pipe: %s\n", strerror(errno));

	pid_t sleeper = spawn(do_sleeper, NULL);
	pid_t pipe_rd = spawn(do_pipe_reader, fds);
	pid_t stopped = spawn(do_stopped, NULL);
	pid_t zparent = spawn(do_zparent, NULL);
	pid_t vfork_par = spawn(do_vfork, NULL);
	pid_t threads = spawn(do_threads, NULL);
	pid_t spin = spawn(do_spin, NULL);
	close(fds[0]); /* init keeps only the write end, so the reader blocks */

	wait_state(sleeper, 'S');
	wait_state(pipe_rd, 'S');
	wait_state(stopped, 'T');
	wait_state(vfork_par, 'D');
	wait_state(spin, 'R');
	/* The zombie is zparent's only child: find it by its parent. */
	pid_t zombie = -1;
	for (int i = 0; i < 100 && zombie < 0; i++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			int pid = atoi(e->d_name), ppid = 0;
			if (pid > 0 && proc_state(pid, NULL, 0, &ppid, NULL) == 'Z' && ppid == zparent)
				zombie = pid;
		}
		if (d)
			closedir(d);
		if (zombie < 0)
			usleep(50000);
	}
	usleep(300000); /* let the threads name themselves and block */

	struct utsname u;
	uname(&u);
	ps();
	say("SAMPLE_UNAME %s %s\n", u.release, u.version);
	print_file("SAMPLE_CMDLINE", "/proc/cmdline");
	print_file("SAMPLE_UPTIME", "/proc/uptime");
	say("READY sleeper=%d pipe_reader=%d stopped=%d zparent=%d zombie=%d vfork_parent=%d "
	    "threads=%d spin=%d\n", sleeper, pipe_rd, stopped, zparent, zombie, vfork_par,
	    threads, spin);
	for (;;)
		pause();
}
