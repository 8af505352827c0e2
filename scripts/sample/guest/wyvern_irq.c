// SPDX-License-Identifier: GPL-2.0
/*
 * wyvern_irq: the module of Wyvern's IRQ sample dump (scripts/sample/make.sh,
 * steps irq-*).  On load it starts two timers whose callbacks never return:
 *
 *  - a pinned hrtimer on CPU 1: CPU 1 stays in hard-IRQ context, on its IRQ
 *    stack, with the registers of the interrupted task (CPU 1's idle loop) in
 *    the struct pt_regs on its task stack;
 *  - a pinned timer_list timer on CPU 0: CPU 0 stays in the TIMER_SOFTIRQ,
 *    run from irq_exit_rcu() on its IRQ stack (with interrupts on).
 *
 * A dump of the stopped VM then has CPUs whose stack traces must cross from
 * the IRQ stack back to the task stack.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <linux/timer.h>

#define WYVERN_IRQ_CPU 1
#define WYVERN_SOFTIRQ_CPU 0
#define WYVERN_IRQ_DELAY_MS 2000
/* First: if CPU 1 updates jiffies, they stop when it spins. */
#define WYVERN_SOFTIRQ_DELAY_MS 1500

static struct hrtimer wyvern_irq_timer;
/* Set by the callback: the CPU it runs on and how often it went round. */
int wyvern_irq_cpu = -1;
unsigned long wyvern_irq_spins;

/* Global and noinline so that each keeps its name and its own frame. */
noinline void wyvern_irq_spin_inner(void);
noinline void wyvern_irq_spin_inner(void)
{
	for (;;) {
		WRITE_ONCE(wyvern_irq_spins, wyvern_irq_spins + 1);
		cpu_relax();
	}
}

noinline enum hrtimer_restart wyvern_irq_spin(struct hrtimer *timer);
noinline enum hrtimer_restart wyvern_irq_spin(struct hrtimer *timer)
{
	WRITE_ONCE(wyvern_irq_cpu, smp_processor_id());
	wyvern_irq_spin_inner();
	return HRTIMER_NORESTART; /* not reached */
}

static struct timer_list wyvern_softirq_timer;
int wyvern_softirq_cpu = -1;
unsigned long wyvern_softirq_spins;

noinline void wyvern_softirq_spin_inner(void);
noinline void wyvern_softirq_spin_inner(void)
{
	for (;;) {
		WRITE_ONCE(wyvern_softirq_spins, wyvern_softirq_spins + 1);
		cpu_relax();
	}
}

noinline void wyvern_softirq_spin(struct timer_list *timer);
noinline void wyvern_softirq_spin(struct timer_list *timer)
{
	WRITE_ONCE(wyvern_softirq_cpu, smp_processor_id());
	wyvern_softirq_spin_inner();
}

/* Runs on CPU 1 (IPI): starts the timer there (pinned: it expires there). */
static void wyvern_irq_arm(void *arg)
{
	hrtimer_start(&wyvern_irq_timer, ms_to_ktime(WYVERN_IRQ_DELAY_MS), HRTIMER_MODE_REL_PINNED_HARD);
}

static int __init wyvern_irq_init(void)
{
	int ret;

	hrtimer_init(&wyvern_irq_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	wyvern_irq_timer.function = wyvern_irq_spin;
	pr_info("wyvern_irq: arming a %d ms hrtimer on CPU %d\n", WYVERN_IRQ_DELAY_MS,
		WYVERN_IRQ_CPU);
	ret = smp_call_function_single(WYVERN_IRQ_CPU, wyvern_irq_arm, NULL, 1);
	if (ret) {
		pr_err("wyvern_irq: CPU %d: %d\n", WYVERN_IRQ_CPU, ret);
		return ret;
	}
	timer_setup(&wyvern_softirq_timer, wyvern_softirq_spin, TIMER_PINNED);
	wyvern_softirq_timer.expires = jiffies + msecs_to_jiffies(WYVERN_SOFTIRQ_DELAY_MS);
	pr_info("wyvern_irq: arming a %d ms timer on CPU %d\n", WYVERN_SOFTIRQ_DELAY_MS,
		WYVERN_SOFTIRQ_CPU);
	add_timer_on(&wyvern_softirq_timer, WYVERN_SOFTIRQ_CPU);
	return 0;
}

/* No module_exit: the timers' callbacks never return, so the module cannot go. */
module_init(wyvern_irq_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Wyvern IRQ sample: timer callbacks that never return");
