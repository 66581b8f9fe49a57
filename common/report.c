/* SPDX-License-Identifier: MIT */
/* The boot report: a readable summary, then one KEEL-REPORT line of JSON (docs/boot-report.md). */
#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/crc32.h>
#include <keel/errors.h>
#include <keel/mm.h>
#include <keel/report.h>
#include <keel/smp.h>
#include <keel/timeline.h>

/*
 * The CRC of each module, computed from its bytes in memory; a module that cannot
 * be reached gets 0, which the tests would catch as a mismatch.
 */
static void module_crcs(const struct kernel_memory *km, uint32_t *crcs)
{
    /* The list the memory sequence copied out, read after the boot info was reclaimed. */
    for (size_t i = 0; i < km->modules.count && i < BI_MODULE_MAX; i++) {
        const struct bi_module *m = &km->modules.items[i];
        const void *p = mm_phys_ptr(m->base, m->size);

        crcs[i] = p != NULL ? crc32_ieee(0, p, m->size) : 0;
    }
}

bool keel_verbose(const struct boot_info *bi)
{
    return KEEL_VERBOSE_DEFAULT || cmdline_flag(bi->cmdline, "keel.verbose");
}

void keel_summary(const struct boot_info *bi)
{
    uint64_t ram = 0;

    for (uint32_t i = 0; i < bi->mem_count; i++) {
        ram += mm_type_is_ram(bi->mem[i].type) ? bi->mem[i].size : 0;
    }
    kprintf("keel: %s via %s (%s), %llu MiB RAM, %u modules, %u cpus\n", arch_name,
            bi_protocol_name(bi->protocol), bi->loader, (unsigned long long)(ram >> 20),
            bi->module_count, bi->cpu_count);
    /* A CPU list Keel could not take whole is said once, never dropped silently. */
    if (bi->cpu_total > bi->cpu_count) {
        kprintf("keel: warning: cpus: the firmware lists %u CPUs, boot_info holds %u; %u are "
                "left offline\n",
                bi->cpu_total, bi->cpu_count, bi->cpu_total - bi->cpu_count);
    }
    if (bi->cpu_error != 0) {
        kprintf("keel: warning: %s (id 0x%llx); it is added\n", keel_strerror((int)bi->cpu_error),
                (unsigned long long)bi->cpus[bi->boot_cpu].id);
    }
    if (!keel_verbose(bi)) {
        return;
    }
    for (uint32_t i = 0; i < bi->mem_count; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        kprintf("keel:   %016llx-%016llx %-22s %s\n", (unsigned long long)r->base,
                (unsigned long long)(r->base + r->size - 1), bi_mem_type_name(r->type),
                bi_mem_source_name(r->source));
    }
}

/* What each CPU's kernel_ap_main recorded (keel_report_ap): that it ran, and on which stack. */
static struct {
    uint64_t sp;
    uint32_t ran;
} ap_seen[BI_CPU_MAX];

void keel_report_ap(const struct cpu *cpu, uint64_t sp)
{
    if (cpu->index < BI_CPU_MAX) {
        ap_seen[cpu->index].sp = sp;
        __atomic_store_n(&ap_seen[cpu->index].ran, 1, __ATOMIC_RELEASE);
    }
}

/*
 * "cpus_online" and "smp": one entry per CPU whose kernel_ap_main recorded itself, the
 * boot CPU first. The APs run beside kernel_main, so wait for the ones that checked
 * in, bounded (they need only a few instructions after their check-in).
 */
static void write_smp(const struct sink *s)
{
    const struct smp_result *r = smp_result();
    uint64_t hz = arch_cycles_per_second();
    uint64_t start = arch_cycles(), bound = hz != 0 ? hz : UINT64_C(1) << 32;
    uint32_t ran;

    ap_seen[0].sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    ap_seen[0].ran = 1;
    do {
        ran = 0;
        for (uint32_t i = 0; i < r->count; i++) {
            uint32_t index = r->cpus[i]->cpu.index;
            ran += index < BI_CPU_MAX && __atomic_load_n(&ap_seen[index].ran, __ATOMIC_ACQUIRE);
        }
    } while (ran < r->online && arch_cycles() - start < bound);
    sink_printf(s, "\"cpus_online\": %u, \"smp\": [", (unsigned)r->online);
    const char *sep = "";
    for (uint32_t i = 0; i < r->count; i++) {
        const struct cpu *c = &r->cpus[i]->cpu;
        if (c->index >= BI_CPU_MAX || !__atomic_load_n(&ap_seen[c->index].ran, __ATOMIC_ACQUIRE)) {
            continue;
        }
        sink_printf(
            s,
            "%s{\"cpu\": %u, \"id\": \"0x%llx\", \"stack\": \"0x%llx\", "
            "\"stack_bottom\": \"0x%llx\", \"stack_top\": \"0x%llx\", \"started_ticks\": %llu, "
            "\"tlb_flushed\": %u}",
            sep, (unsigned)c->index, (unsigned long long)c->id,
            (unsigned long long)ap_seen[c->index].sp, (unsigned long long)c->stack.bottom.va,
            (unsigned long long)c->stack.top.va, (unsigned long long)c->started_ticks,
            (unsigned)__atomic_load_n(&r->cpus[i]->tlb_seen, __ATOMIC_ACQUIRE));
        sep = ", ";
    }
    sink_printf(s, "], \"smp_last_checkin_ticks\": %llu, \"tlb_generation\": %u, ",
                (unsigned long long)r->last_checkin, (unsigned)r->tlb_generation);
}

void keel_report(const struct boot_info *bi, const struct kernel_memory *km)
{
    static uint32_t crcs[BI_MODULE_MAX];
    const struct sink *s = &console_sink;
    const struct timeline_entry *t;

    module_crcs(km, crcs);
    timeline_mark("report");

    uint64_t start = arch_entry_cycles();
    unsigned count = timeline_get(&t);

    sink_printf(s, "KEEL-REPORT {\"arch\": ");
    sink_json_string(s, arch_name);
    sink_printf(s, ", ");
    arch_report_entry(s, bi->entry_state);
    sink_printf(s, ", ");
    bi_json_write(s, bi, crcs, mm_fb_mapping());
    sink_printf(s, ", ");
    mm_report_json(s, km);
    sink_printf(s, ", ");
    write_smp(s);
    sink_printf(s, "\"timeline\": [{\"stage\": \"entry\", \"ticks\": 0}");
    for (unsigned i = 0; i < count; i++) {
        sink_printf(s, ", {\"stage\": ");
        sink_json_string(s, t[i].stage);
        sink_printf(s, ", \"ticks\": %llu}", (unsigned long long)(t[i].ticks - start));
    }
    sink_printf(s, "], \"fb_draw_ticks\": %llu, \"ticks_per_second\": %llu}\n",
                (unsigned long long)console_fb_draw_ticks(),
                (unsigned long long)arch_cycles_per_second());
}
