/* SPDX-License-Identifier: MIT */
/* libFuzzer target: keel.cfg's parser on arbitrary text; what it accepts lies inside the text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/keel_cfg.h>

static int inside(struct keel_cfg_str s, const char *text, size_t len)
{
    return s.len == 0 || (s.s >= text && s.len <= len && (size_t)(s.s - text) <= len - s.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct keel_cfg cfg;
    /* libFuzzer's -max_len is KEEL_CFG_SIZE_MAX, so the size limit gets one file of its own. */
    static char too_long[KEEL_CFG_SIZE_MAX + 1];
    if (size == 0 && keel_cfg_parse(too_long, sizeof(too_long), &cfg) != KEEL_E_CFG_TOO_LONG) {
        abort();
    }
    char *text = malloc(size != 0 ? size : 1);
    memcpy(text, data, size);
    if (keel_cfg_parse(text, size, &cfg) == KEEL_OK) {
        if (!inside(cfg.cmdline, text, size) || cfg.cmdline.len >= BI_CMDLINE_MAX ||
            cfg.module_count > BI_MODULE_MAX) {
            abort();
        }
        for (uint32_t i = 0; i < cfg.module_count; i++) {
            const struct keel_cfg_module *m = &cfg.modules[i];
            if (!inside(m->path, text, size) || !inside(m->args, text, size) || m->path.len == 0 ||
                m->path.len > KEEL_CFG_PATH_MAX || m->name.len == 0 ||
                m->name.s + m->name.len != m->path.s + m->path.len ||
                m->args.len >= BI_MOD_CMDLINE_MAX || memchr(m->name.s, '/', m->name.len) ||
                memchr(m->name.s, '\\', m->name.len)) {
                abort();
            }
        }
    }
    free(text);
    return 0;
}
