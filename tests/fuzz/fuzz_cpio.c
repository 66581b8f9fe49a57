/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the newc cpio reader. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cpio_iter it;
    struct cpio_file file;
    bool found = true;
    cpio_iter_init(&it, data, size);
    while (found && cpio_next_file(&it, &file, &found) == 0) {
        if (!found) {
            /* At the end the reader stays there, however often it is asked. */
            if (cpio_next_file(&it, &file, &found) != 0 || found) {
                abort();
            }
            break;
        }
        /* Everything the reader hands out must lie inside the input. */
        if (file.data < data || file.data + file.size > data + size ||
            strlen(file.name) != file.name_len) {
            abort();
        }
    }
    return 0;
}
