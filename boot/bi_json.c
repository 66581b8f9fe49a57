/* SPDX-License-Identifier: MIT */
/* The boot_info part of the boot report's JSON, shared by the kernel and keel-bootinfo. */
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fmt.h>
#include <keel/report.h>

/*
 * Everything stays on one line: the kernel prints it inside a single KEEL-REPORT
 * line that the QEMU tests pick out of the serial log.
 */
static void hex(const struct sink *s, uint64_t v)
{
    sink_printf(s, "\"0x%llx\"", (unsigned long long)v);
}

static void key(const struct sink *s, const char *name)
{
    sink_json_string(s, name);
    sink_printf(s, ": ");
}

static void write_memory(const struct sink *s, const struct boot_info *bi)
{
    key(s, "memory");
    sink_printf(s, "[");
    for (uint32_t i = 0; i < bi->mem_count && i < BI_MEM_MAX; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        sink_printf(s, "%s{\"base\": ", i == 0 ? "" : ", ");
        hex(s, r->base);
        sink_printf(s, ", \"size\": ");
        hex(s, r->size);
        sink_printf(s, ", \"type\": ");
        sink_json_string(s, bi_mem_type_name(r->type));
        sink_printf(s, ", \"source\": ");
        sink_json_string(s, bi_mem_source_name(r->source));
        sink_printf(s, "}");
    }
    sink_printf(s, "]");
}

static void write_modules(const struct sink *s, const struct boot_info *bi, const uint32_t *crcs)
{
    key(s, "modules");
    sink_printf(s, "[");
    for (uint32_t i = 0; i < bi->module_count && i < BI_MODULE_MAX; i++) {
        const struct bi_module *m = &bi->modules[i];
        sink_printf(s, "%s{\"name\": ", i == 0 ? "" : ", ");
        sink_json_string(s, m->name);
        sink_printf(s, ", \"base\": ");
        hex(s, m->base);
        sink_printf(s, ", \"size\": ");
        hex(s, m->size);
        sink_printf(s, ", \"cmdline\": ");
        sink_json_string(s, m->cmdline);
        if (crcs != NULL) {
            sink_printf(s, ", \"crc32\": %u}", (unsigned)crcs[i]);
        } else {
            sink_printf(s, ", \"crc32\": null}");
        }
    }
    sink_printf(s, "]");
}

static void write_framebuffer(const struct sink *s, const struct boot_info *bi,
                              const struct fb_mapping *fbm)
{
    const struct bi_framebuffer *fb = &bi->framebuffer;
    key(s, "framebuffer");
    if (fb->source == BI_FB_NONE) {
        sink_printf(s, "null");
        return;
    }
    sink_printf(s, "{\"base\": ");
    hex(s, fb->base);
    sink_printf(s, ", \"width\": %u, \"height\": %u, \"pitch\": %u, \"bpp\": %u, \"source\": ",
                (unsigned)fb->width, (unsigned)fb->height, (unsigned)fb->pitch, (unsigned)fb->bpp);
    sink_json_string(s, bi_fb_source_name(fb->source));
    if (fbm != NULL) {
        sink_printf(s, ", \"vbase\": ");
        hex(s, fbm->vbase);
        sink_printf(s, ", \"memory_type\": ");
        sink_json_string(s, fbm->memory_type);
    }
    sink_printf(s, "}");
}

/*
 * The CPU records: "cpu_list" with one entry per record, then the boot CPU's index,
 * the PSCI conduit, the local APIC's base and, when cpus[] overflowed, how many CPUs
 * it had no room for.
 */
static void write_cpus(const struct sink *s, const struct boot_info *bi)
{
    key(s, "cpu_list");
    sink_printf(s, "[");
    for (uint32_t i = 0; i < bi->cpu_count && i < BI_CPU_MAX; i++) {
        const struct bi_cpu *c = &bi->cpus[i];
        sink_printf(s, "%s{\"id\": ", i == 0 ? "" : ", ");
        hex(s, c->id);
        sink_printf(s, ", \"method\": ");
        sink_json_string(s, bi_cpu_method_name(c->method));
        if (c->method == BI_CPU_METHOD_SPIN_TABLE) {
            sink_printf(s, ", \"release_addr\": ");
            hex(s, c->release_addr);
        }
        sink_printf(s, ", \"enabled\": %s", (c->flags & BI_CPU_ENABLED) ? "true" : "false");
        if (c->error != 0) {
            sink_printf(s, ", \"error\": ");
            sink_json_string(s, keel_strerror((int)c->error));
        }
        sink_printf(s, "}");
    }
    sink_printf(s, "], \"boot_cpu\": %u, \"psci_conduit\": ", (unsigned)bi->boot_cpu);
    sink_json_string(s, bi_psci_conduit_name(bi->psci_conduit));
    if (bi->psci_version != 0) {
        sink_printf(s, ", \"psci_version\": \"%u.%u\"", (unsigned)(bi->psci_version >> 16),
                    (unsigned)(bi->psci_version & 0xffff));
    } else {
        sink_printf(s, ", \"psci_version\": null");
    }
    sink_printf(s, ", \"lapic_base\": ");
    if (bi->intc_base != 0) {
        hex(s, bi->intc_base);
    } else {
        sink_printf(s, "null");
    }
    if (bi->cpu_total > bi->cpu_count) {
        sink_printf(s, ", \"cpus_left_out\": %u", (unsigned)(bi->cpu_total - bi->cpu_count));
    }
}

void bi_json_write(const struct sink *s, const struct boot_info *bi, const uint32_t *module_crc32s,
                   const struct fb_mapping *fbm)
{
    key(s, "protocol");
    sink_json_string(s, bi_protocol_name(bi->protocol));
    sink_printf(s, ", ");
    key(s, "loader");
    sink_json_string(s, bi->loader);
    sink_printf(s, ", ");
    key(s, "cmdline");
    sink_json_string(s, bi->cmdline);
    sink_printf(s, ", ");
    write_memory(s, bi);
    sink_printf(s, ", ");
    write_modules(s, bi, module_crc32s);
    sink_printf(s, ", ");
    write_framebuffer(s, bi, fbm);
    sink_printf(s, ", ");
    key(s, "dtb");
    if (bi->dtb_size != 0) {
        hex(s, bi->dtb_base);
    } else {
        sink_printf(s, "null");
    }
    sink_printf(s, ", ");
    key(s, "rsdp");
    if (bi->rsdp != 0) {
        hex(s, bi->rsdp);
    } else {
        sink_printf(s, "null");
    }
    sink_printf(s, ", \"cpus\": %u, ", (unsigned)bi->cpu_count);
    write_cpus(s, bi);
    if (bi->efi.system_table != 0) {
        sink_printf(s, ", \"efi\": {\"system_table\": ");
        hex(s, bi->efi.system_table);
        sink_printf(s, ", \"exit_attempts\": %u}", (unsigned)bi->efi.exit_attempts);
    }
}
