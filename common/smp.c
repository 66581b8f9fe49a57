/* SPDX-License-Identifier: MIT */
/* The secondary CPUs' start: per-CPU areas and stacks, all started first, then one bounded wait. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/arch.h>
#include <keel/errors.h>
#include <keel/mm.h>
#include <keel/smp.h>
#include <keel/timeline.h>

static struct percpu boot_cpu_area;
static struct smp_result result;

/*
 * The TLB generation: bumped by smp_tlb_sync on the boot CPU, polled by every CPU in
 * Keel's wait and park loops. 0 until the drop stage ran: a CPU that checked in waits
 * for the first bump before the kernel's code runs on it.
 */
static uint32_t tlb_generation;

static bool state_move(struct percpu *pc, uint32_t from, uint32_t to)
{
    return __atomic_compare_exchange_n(&pc->state, &from, to, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

static uint32_t state_of(struct percpu *pc)
{
    return __atomic_load_n(&pc->state, __ATOMIC_ACQUIRE);
}

/* Can this record be started at all? The reason it cannot, or KEEL_OK. */
static int startable(const struct bi_cpu *c)
{
    if (c->error != KEEL_OK) {
        return (int)c->error;
    }
    if (!(c->flags & BI_CPU_ENABLED)) {
        return KEEL_E_CPU_DISABLED;
    }
    return c->method == BI_CPU_METHOD_NONE ? KEEL_E_CPU_ENABLE_METHOD : KEEL_OK;
}

static void warn(uint32_t n, uint64_t id, int err)
{
    kprintf("keel: warning: cpu %u (id 0x%llx) did not start: %s\n", n, (unsigned long long)id,
            keel_strerror(err));
}

/* A per-CPU area with its two stacks; the allocations the fail_alloc sweep reaches. */
static int area_new(const struct bi_cpu *rec, uint32_t index, struct percpu **out)
{
    struct percpu *pc = kmalloc(sizeof(*pc));
    if (pc == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    memset(pc, 0, sizeof(*pc));
    pc->cpu.index = index;
    pc->cpu.id = rec->id;
    pc->record = rec;
    int err = mm_stack_alloc(SMP_STACK_PAGES, &pc->cpu.stack);
    if (err == KEEL_OK) {
        err = mm_stack_alloc(SMP_EXC_STACK_PAGES, &pc->exception_stack);
    }
    *out = pc;
    return err;
}

int smp_start(const struct boot_info *bi, const struct kernel_memory *km, struct smp_result *out)
{
    uint32_t n = 0;

    boot_cpu_area.cpu.stack = km->boot_stack;

    boot_cpu_area.cpu.id = bi->cpus[bi->boot_cpu].id;
    boot_cpu_area.record = &bi->cpus[bi->boot_cpu];
    boot_cpu_area.state = SMP_CPU_ONLINE;
    for (uint32_t i = 0; i < bi->cpu_count; i++) {
        n += i != bi->boot_cpu;
    }
    struct percpu **cpus = kmalloc((size_t)(n + 1) * sizeof(*cpus));
    if (cpus == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    cpus[0] = &boot_cpu_area;
    result = (struct smp_result){.cpus = cpus, .count = 1, .online = 1};

    /* Everything the CPUs need first, so that an allocation failure starts none. */
    uint32_t index = 1;
    for (uint32_t i = 0; i < bi->cpu_count; i++) {
        const struct bi_cpu *rec = &bi->cpus[i];
        if (i == bi->boot_cpu) {
            continue;
        }
        int why = startable(rec);
        if (why != KEEL_OK) {
            warn(index++, rec->id, why);
            continue;
        }
        int err = area_new(rec, index++, &cpus[result.count]);
        if (err == KEEL_OK) {
            err = arch_cpu_prepare(bi, cpus[result.count]);
        }
        if (err != KEEL_OK) {
            return err;
        }
        result.count++;
    }

    /* Start them all, then wait once: never N times a fixed sleep. */
    result.first_start = arch_cycles();
    for (uint32_t i = 1; i < result.count; i++) {
        struct percpu *pc = cpus[i];
        __atomic_store_n(&pc->state, SMP_CPU_STARTING, __ATOMIC_RELEASE);
        int err = arch_cpu_start(bi, pc->record, pc);
        if (err != KEEL_OK && state_move(pc, SMP_CPU_STARTING, SMP_CPU_ABANDONED)) {
            warn(pc->cpu.index, pc->cpu.id, err);
        }
    }
    uint64_t bound = cycles_of_ms(SMP_CHECKIN_MS);
    for (;;) {
        bool waiting = false;
        for (uint32_t i = 1; i < result.count; i++) {
            waiting |= state_of(cpus[i]) == SMP_CPU_STARTING;
        }
        if (!waiting || arch_cycles() - result.first_start > bound) {
            break;
        }
    }
    for (uint32_t i = 1; i < result.count; i++) {
        struct percpu *pc = cpus[i];
        if (state_move(pc, SMP_CPU_STARTING, SMP_CPU_ABANDONED)) {
            kprintf("keel: warning: cpu %u (id 0x%llx) did not start: no check-in in %u ms\n",
                    pc->cpu.index, (unsigned long long)pc->cpu.id, SMP_CHECKIN_MS);
        } else if (state_of(pc) == SMP_CPU_ONLINE) {
            result.online++;
            if (pc->cpu.started_ticks > result.last_checkin) {
                result.last_checkin = pc->cpu.started_ticks;
            }
        }
    }
    arch_cpus_started();
    *out = result;
    return KEEL_OK;
}

const struct smp_result *smp_result(void)
{
    return &result;
}

/* One poll: flushes this CPU's TLB if the generation moved since its last flush. */
static void tlb_follow(struct percpu *pc)
{
    uint32_t gen = __atomic_load_n(&tlb_generation, __ATOMIC_ACQUIRE);

    if (gen != pc->tlb_seen) {
        arch_tlb_flush_local();
        __atomic_store_n(&pc->tlb_seen, gen, __ATOMIC_RELEASE);
    }
}

void smp_tlb_sync(void)
{
    uint32_t gen = __atomic_add_fetch(&tlb_generation, 1, __ATOMIC_ACQ_REL);

    /* This CPU's own TLB was invalidated by the builder (arch_tlb_invalidate). */
    boot_cpu_area.tlb_seen = gen;
    result.tlb_generation = gen;
    arch_cpu_wake();
    uint64_t start = arch_cycles();
    uint64_t bound = cycles_of_ms(SMP_TLB_ACK_MS);
    for (uint32_t i = 1; i < result.count; i++) {
        struct percpu *pc = result.cpus[i];
        if (state_of(pc) != SMP_CPU_ONLINE) {
            continue;
        }
        while (__atomic_load_n(&pc->tlb_seen, __ATOMIC_ACQUIRE) != gen &&
               arch_cycles() - start <= bound) {
        }
        if (__atomic_load_n(&pc->tlb_seen, __ATOMIC_ACQUIRE) != gen) {
            kprintf("keel: warning: cpu %u (id 0x%llx) did not confirm the TLB flush in %u ms\n",
                    pc->cpu.index, (unsigned long long)pc->cpu.id, SMP_TLB_ACK_MS);
        }
    }
}

uint32_t smp_cpu_index(void)
{
    uint64_t reg = arch_percpu();

    for (uint32_t i = 1; i < result.count; i++) {
        if ((uint64_t)(uintptr_t)result.cpus[i] == reg) {
            return result.cpus[i]->cpu.index;
        }
    }
    return 0;
}

noreturn void keel_ap_main(struct percpu *pc)
{
    pc->cpu.started_ticks = arch_cycles() - result.first_start;
    if (state_move(pc, SMP_CPU_STARTING, SMP_CPU_ONLINE)) {
        /* The drop stage first: the kernel's code never runs beside the identity mappings. */
        for (tlb_follow(pc); pc->tlb_seen == 0; tlb_follow(pc)) {
            arch_cpu_relax();
        }
        kernel_ap_main(&pc->cpu);
    }
    /* The park loop: interrupts stay off; each later generation is one local flush. */
    for (;;) {
        tlb_follow(pc);
        arch_cpu_relax();
    }
}
