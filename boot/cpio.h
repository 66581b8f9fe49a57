/* SPDX-License-Identifier: MIT */
/* Reader for newc ("070701") and crc ("070702") cpio archives, as used for the initrd. */
#ifndef KEEL_BOOT_CPIO_H
#define KEEL_BOOT_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One regular file of the archive. */
struct cpio_file {
    /*
     * The path as stored, with any leading "./" and "/" removed: "boot/hello.txt".
     * Not NUL-terminated at name_len only by accident: the archive stores the NUL,
     * and the reader checked it, so name[name_len] == '\0'.
     */
    const char *name;
    size_t name_len;
    const uint8_t *data;
    size_t size;
    size_t data_offset; /* offset of the data from the start of the archive */
    uint32_t mode;
};

struct cpio_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
    bool done;
};

void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len);

/*
 * Advances to the next regular file, skipping directories, symlinks, devices and the
 * entry ".". A hard-linked file is reported once, with the entry that carries its
 * data (newc stores the data with the last link only). Concatenated archives are read
 * one after the other, as Linux reads an initramfs: zero bytes may separate them, and
 * anything else after a TRAILER!!! must be the next archive's header, 4-byte aligned.
 * Returns KEEL_OK and sets *found; *found is false once the last TRAILER!!! is reached
 * and only zeros follow. Errors are KEEL_E_CPIO_*. Files of the same name in two
 * archives are both reported, in archive order.
 */
int cpio_next_file(struct cpio_iter *it, struct cpio_file *file, bool *found);

#endif
