// SPDX-License-Identifier: GPL-2.0
/*
 * wyvern_demo: the module loaded by the guest of Wyvern's sample crash dump
 * (scripts/sample/make.sh).  It gives the dump a module with its own types,
 * a global variable, a linked list of kmalloc'ed items and a kernel thread
 * sleeping on a wait queue, so that module lists, module symbols/DWARF and
 * stack traces through module code have something to show.
 */
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>

struct wyvern_demo_item {
	struct list_head node;
	int id;
	char name[16];
	unsigned long value;
};

static LIST_HEAD(wyvern_demo_items);
static DECLARE_WAIT_QUEUE_HEAD(wyvern_demo_wq);
static struct task_struct *wyvern_demo_task;
unsigned long wyvern_demo_counter = 0x5757;
static const char wyvern_demo_greeting[] = "hello from wyvern_demo";

/* Global and noinline so that it keeps its name (no .isra clone) and its own frame. */
noinline int wyvern_demo_wait(void);
noinline int wyvern_demo_wait(void)
{
	return wait_event_interruptible(wyvern_demo_wq, kthread_should_stop());
}

static int wyvern_demo_thread(void *arg)
{
	while (!kthread_should_stop()) {
		wyvern_demo_counter++;
		wyvern_demo_wait();
	}
	return 0;
}

static void wyvern_demo_free_items(void)
{
	struct wyvern_demo_item *item, *tmp;

	list_for_each_entry_safe(item, tmp, &wyvern_demo_items, node) {
		list_del(&item->node);
		kfree(item);
	}
}

static int __init wyvern_demo_init(void)
{
	struct wyvern_demo_item *item;
	int i;

	for (i = 0; i < 3; i++) {
		item = kzalloc(sizeof(*item), GFP_KERNEL);
		if (!item) {
			wyvern_demo_free_items();
			return -ENOMEM;
		}
		item->id = i;
		snprintf(item->name, sizeof(item->name), "item%d", i);
		item->value = (i + 1) * 1000;
		list_add_tail(&item->node, &wyvern_demo_items);
	}
	wyvern_demo_task = kthread_run(wyvern_demo_thread, NULL, "wyvern_demo");
	if (IS_ERR(wyvern_demo_task)) {
		wyvern_demo_free_items();
		return PTR_ERR(wyvern_demo_task);
	}
	pr_info("wyvern_demo: %s (3 items)\n", wyvern_demo_greeting);
	return 0;
}

static void __exit wyvern_demo_exit(void)
{
	kthread_stop(wyvern_demo_task);
	wyvern_demo_free_items();
}

module_init(wyvern_demo_init);
module_exit(wyvern_demo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Demo module for Wyvern's sample crash dump");
