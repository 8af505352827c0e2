// SPDX-License-Identifier: GPL-2.0
/*
 * wyvern_nmi: the module of Wyvern's NMI sample dump (scripts/sample/make.sh,
 * steps nmi-*).  On load it registers an NMI_UNKNOWN handler that never
 * returns.  The host then injects an NMI (QMP inject-nmi).  QEMU delivers it
 * through every local APIC's LINT1, but Linux unmasks LINT1 (as NMI) on the
 * boot CPU only, so only CPU 0 takes it.  No other handler claims it, so
 * default_do_nmi() -> unknown_nmi_error() -> nmi_handle(NMI_UNKNOWN) runs
 * ours on CPU 0's NMI IST stack (CPU 0 was idle, in the kernel), with the
 * registers of the interrupted context in the struct pt_regs that asm_exc_nmi
 * put at the top of that stack.  The first CPU in the handler sends an NMI
 * IPI to the others: CPU 1, running a user-mode loop (module_init.c), takes it
 * on its task stack (asm_exc_nmi switches there for NMIs from user mode) and
 * enters the handler too.
 *
 * A dump of the stopped VM then has CPUs whose stack traces must cross from
 * the NMI handler back to the interrupted context.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/nmi.h>

/* Set by the handler: the last CPU it ran on, a bit per CPU, how often it ran. */
int wyvern_nmi_cpu = -1;
unsigned long wyvern_nmi_cpu_mask;
atomic_t wyvern_nmi_count = ATOMIC_INIT(0);
unsigned long wyvern_nmi_spins;

/* Global and noinline so that each keeps its name and its own frame. */
noinline void wyvern_nmi_spin_inner(void);
noinline void wyvern_nmi_spin_inner(void)
{
	for (;;) {
		WRITE_ONCE(wyvern_nmi_spins, wyvern_nmi_spins + 1);
		cpu_relax();
	}
}

noinline int wyvern_nmi_handler(unsigned int type, struct pt_regs *regs);
noinline int wyvern_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	int cpu = smp_processor_id();

	WRITE_ONCE(wyvern_nmi_cpu, cpu);
	set_bit(cpu, &wyvern_nmi_cpu_mask);
	if (atomic_inc_return(&wyvern_nmi_count) == 1)
		apic->send_IPI_allbutself(NMI_VECTOR);
	wyvern_nmi_spin_inner();
	return NMI_HANDLED; /* not reached */
}

static int __init wyvern_nmi_init(void)
{
	int ret = register_nmi_handler(NMI_UNKNOWN, wyvern_nmi_handler, 0, "wyvern_nmi");

	if (ret)
		pr_err("wyvern_nmi: register_nmi_handler: %d\n", ret);
	else
		pr_info("wyvern_nmi: NMI_UNKNOWN handler registered\n");
	return ret;
}

/* No module_exit: the handler never returns, so the module cannot go. */
module_init(wyvern_nmi_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Wyvern NMI sample: an NMI handler that never returns");
