// SPDX-License-Identifier: GPL-2.0
/*
 * wyvern_panic: the module of Wyvern's panic sample dump (scripts/sample/make.sh,
 * steps panic-*).  On load it starts a kernel thread, wyv_panicker, bound to
 * CPU 1, which sleeps WYVERN_PANIC_DELAY_MS (so that the guest's /init can print
 * its READY line) and then calls panic() through a chain of noinline functions.
 *
 * The guest boots with panic=0: panic() does not reboot.  It stops the other
 * CPU (smp_send_stop(): the REBOOT_VECTOR IPI, so CPU 0 ends in stop_this_cpu()),
 * prints "---[ end Kernel panic", and loops forever in mdelay() on CPU 1.  A dump
 * of the stopped VM then has a crashed thread (panic_cpu = 1) and a stopped CPU.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/sched.h>

#define WYVERN_PANIC_CPU 1
#define WYVERN_PANIC_DELAY_MS 500

/* Set by the thread: the CPU it panicked on. */
int wyvern_panic_cpu = -1;
static struct task_struct *wyvern_panic_task;

/* Global and noinline so that each keeps its name and its own frame. */
noinline void wyvern_panic_now(void);
noinline void wyvern_panic_now(void)
{
	WRITE_ONCE(wyvern_panic_cpu, raw_smp_processor_id());
	panic("wyvern: test panic");
}

noinline int wyvern_panic_thread(void *data);
noinline int wyvern_panic_thread(void *data)
{
	msleep(WYVERN_PANIC_DELAY_MS);
	wyvern_panic_now();
	return 0; /* not reached */
}

static int __init wyvern_panic_init(void)
{
	struct task_struct *t = kthread_create(wyvern_panic_thread, NULL, "wyv_panicker");

	if (IS_ERR(t)) {
		pr_err("wyvern_panic: kthread_create: %ld\n", PTR_ERR(t));
		return PTR_ERR(t);
	}
	kthread_bind(t, WYVERN_PANIC_CPU);
	wyvern_panic_task = t;
	wake_up_process(t);
	pr_info("wyvern_panic: wyv_panicker (pid %d) on CPU %d panics in %d ms\n",
		task_pid_nr(t), WYVERN_PANIC_CPU, WYVERN_PANIC_DELAY_MS);
	return 0;
}

/* No module_exit: the thread panics the kernel. */
module_init(wyvern_panic_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Wyvern panic sample: a kernel thread on CPU 1 that calls panic()");
