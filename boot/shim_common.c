/* SPDX-License-Identifier: MIT */
/* The parts of the boot shims that do not depend on the protocol. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/fb_check.h>
#include <keel/memmap.h>

#include "acpi.h"
#include "cpus.h"
#include "shim_internal.h"

/*
 * Scratch space for the raw ranges of one shim call. It is static rather than on the
 * stack because 96 KiB is more than the boot stack holds; the shims run once, on the
 * boot CPU, before anything else could call them.
 */
static struct bi_mem_range shim_scratch[SHIM_RAW_MAX];

void shim_ranges_init(struct shim_ranges *rs)
{
    rs->range = shim_scratch;
    rs->count = 0;
    rs->cap = SHIM_RAW_MAX;
}

int shim_add_range(struct shim_ranges *rs, uint64_t base, uint64_t size, uint32_t type,
                   uint32_t source)
{
    if (rs->count == rs->cap) {
        return KEEL_E_MEM_TOO_MANY;
    }
    struct bi_mem_range *r = &rs->range[rs->count++];
    r->base = base;
    r->size = size;
    r->type = type;
    r->source = source;
    return KEEL_OK;
}

int shim_copy_string(char *dst, size_t cap, const char *src, size_t len, int too_long)
{
    if (len >= cap) {
        keel_err_note_string(src, len, cap - 1);
        return too_long;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
    return KEEL_OK;
}

const void *shim_phys_ptr(const struct shim_env *env, uint64_t pa, uint64_t len)
{
    if (env == NULL || env->phys_ptr == NULL) {
        return NULL;
    }
    return env->phys_ptr(env->ctx, pa, len);
}

int shim_check_module(const struct shim_ranges *rs, uint64_t base, uint64_t size)
{
    if (size == 0) {
        return KEEL_OK;
    }
    if (size - 1 > UINT64_MAX - base) {
        return KEEL_E_MODULE_NOT_IN_RAM;
    }
    /*
     * A loader puts modules in RAM it took for itself (UEFI loader data: bootloader-
     * reclaimable), or in RAM it left usable. Walk forward through the union of those; each step
     * either moves `pos` past one more range or fails, so there are at most count steps.
     */
    uint64_t pos = base;
    uint64_t last = base + (size - 1);
    for (size_t step = 0; step <= rs->count; step++) {
        bool moved = false;
        for (size_t i = 0; i < rs->count; i++) {
            const struct bi_mem_range *r = &rs->range[i];
            if ((r->type != BI_MEM_USABLE && r->type != BI_MEM_BOOTLOADER_RECLAIMABLE) ||
                r->size == 0 || r->size - 1 > UINT64_MAX - r->base) {
                continue;
            }
            uint64_t r_last = r->base + (r->size - 1);
            if (r->base <= pos && pos <= r_last) {
                if (r_last >= last) {
                    return KEEL_OK;
                }
                pos = r_last + 1;
                moved = true;
            }
        }
        if (!moved) {
            break;
        }
    }
    return KEEL_E_MODULE_NOT_IN_RAM;
}

int shim_finish(struct shim_ranges *rs, const struct shim_env *env, struct boot_info *bi)
{
    /* The boot CPU, wherever the list has it; a list without it gets it (boot/cpus.c). */
    cpus_finish(bi, env->boot_cpu_id);
    if (env->kernel_size != 0) {
        int err =
            shim_add_range(rs, env->kernel_base, env->kernel_size, BI_MEM_KERNEL, BI_SRC_KERNEL);
        if (err != KEEL_OK) {
            return err;
        }
    }
    size_t count = 0;
    int err = memmap_check_overlaps(rs->range, rs->count);
    if (err == KEEL_OK) {
        err = memmap_normalise(rs->range, rs->count, bi->mem, BI_MEM_MAX, &count);
    }
    if (err != KEEL_OK) {
        return err;
    }
    bi->mem_count = (uint32_t)count;
    return KEEL_OK;
}

/*
 * Checks the loader's framebuffer against the loader's own map, then adds its range
 * (`size` bytes, or pitch x height when 0) and
 * normalises again. fb_check must run before the range is in: a framebuffer range wins
 * over usable RAM in the normaliser and would hide an overlap. A refused framebuffer
 * does not fail the boot: framebuffer_error says why, and Keel runs on serial only.
 */
int shim_claim_framebuffer(struct shim_ranges *rs, struct boot_info *bi, uint64_t size)
{
    struct bi_framebuffer *fb = &bi->framebuffer;
    if (fb->source == BI_FB_NONE) {
        return KEEL_OK;
    }
    int err = fb_check(bi, fb);
    if (err != KEEL_OK) {
        bi->framebuffer_error = (uint32_t)err;
        memset(fb, 0, sizeof(*fb));
        return KEEL_OK;
    }
    /* fb_check ruled out a zero size and a wrap of pitch x height. */
    if (size == 0 || size - 1 > UINT64_MAX - fb->base) {
        size = (uint64_t)fb->pitch * fb->height;
    }
    err = shim_add_range(rs, fb->base, size, BI_MEM_FRAMEBUFFER, BI_SRC_FRAMEBUFFER);
    /* The overlap rule's framebuffer column, over the range as claimed: refused, dropped. */
    int placement = err == KEEL_OK ? memmap_check_overlaps(rs->range, rs->count) : KEEL_OK;
    if (placement != KEEL_OK) {
        rs->count--;
        bi->framebuffer_error = (uint32_t)placement;
        memset(fb, 0, sizeof(*fb));
        return KEEL_OK;
    }
    size_t count = 0;
    if (err == KEEL_OK) {
        err = memmap_normalise(rs->range, rs->count, bi->mem, BI_MEM_MAX, &count);
    }
    if (err == KEEL_OK) {
        bi->mem_count = (uint32_t)count;
    }
    return err;
}

int shim_complete(struct shim_ranges *rs, const struct shim_env *env, struct boot_info *bi)
{
    int err = KEEL_OK;
    for (uint32_t i = 0; i < bi->module_count && err == KEEL_OK; i++) {
        err = shim_check_module(rs, bi->modules[i].base, bi->modules[i].size);
    }
    if (err == KEEL_OK && bi->rsdp != 0) {
        err = acpi_scan(bi->rsdp, env, bi);
    }
    if (err == KEEL_OK) {
        err = shim_finish(rs, env, bi);
    }
    if (err != KEEL_OK) {
        return err;
    }
    return shim_claim_framebuffer(rs, bi, 0);
}

void shim_begin(struct boot_info *bi, uint32_t protocol, const struct shim_env *env)
{
    keel_err_clear();
    bi_init(bi);
    bi->protocol = protocol;
    bi->entry_state = env->entry_state;
    bi->kernel_base = env->kernel_base;
    bi->kernel_size = env->kernel_size;
}
