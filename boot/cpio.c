/* SPDX-License-Identifier: MIT */
/* newc cpio reader: every header field, name and data extent is checked against the buffer. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>

#include "cpio.h"

#define CPIO_HEADER_SIZE 110u
#define CPIO_FIELD_COUNT 13u

/* Field indices after the 6-byte magic; each field is 8 hexadecimal digits. */
enum {
    F_INO,
    F_MODE,
    F_UID,
    F_GID,
    F_NLINK,
    F_MTIME,
    F_FILESIZE,
    F_DEVMAJOR,
    F_DEVMINOR,
    F_RDEVMAJOR,
    F_RDEVMINOR,
    F_NAMESIZE,
    F_CHECK,
};

#define CPIO_MODE_TYPE 0170000u
#define CPIO_MODE_REGULAR 0100000u

static const char trailer_name[] = "TRAILER!!!";

static size_t align4(size_t v)
{
    return (v + 3u) & ~(size_t)3u;
}

static bool parse_hex8(const uint8_t *p, uint32_t *value)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t digit;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            digit = c - 'A' + 10;
        } else {
            return false;
        }
        v = (v << 4) | digit;
    }
    *value = v;
    return true;
}

/*
 * After a TRAILER!!!: archives may be concatenated (microcode before the initramfs is
 * common), with zero bytes between them. Skips the zeros; the next non-zero byte must
 * start another archive on a 4-byte boundary. Sets it->done when only zeros are left.
 */
static int next_archive(struct cpio_iter *it)
{
    size_t off = it->off;

    while (off < it->len && it->buf[off] == 0) {
        off++;
    }
    /* The trailer's padding may run past an archive that ends within it. */
    if (off >= it->len) {
        it->done = true;
        return KEEL_OK;
    }
    if ((off & 3u) != 0 || it->len - off < 6 || memcmp(it->buf + off, "07070", 5) != 0) {
        return KEEL_E_CPIO_PADDING;
    }
    it->off = off;
    return KEEL_OK;
}

void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len)
{
    it->buf = buf;
    it->len = buf == NULL ? 0 : len;
    it->off = 0;
    it->done = false;
}

int cpio_next_file(struct cpio_iter *it, struct cpio_file *file, bool *found)
{
    *found = false;
    while (!it->done) {
        size_t off = it->off;
        if (off > it->len || it->len - off < CPIO_HEADER_SIZE) {
            return off >= it->len ? KEEL_E_CPIO_NO_TRAILER : KEEL_E_CPIO_TRUNCATED;
        }
        const uint8_t *h = it->buf + off;
        if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2')) {
            return KEEL_E_CPIO_MAGIC;
        }
        uint32_t field[CPIO_FIELD_COUNT];
        for (unsigned i = 0; i < CPIO_FIELD_COUNT; i++) {
            if (!parse_hex8(h + 6 + 8 * i, &field[i])) {
                return KEEL_E_CPIO_FIELD;
            }
        }
        size_t name_size = field[F_NAMESIZE];
        size_t name_off = off + CPIO_HEADER_SIZE;
        if (name_size > it->len - name_off) {
            return KEEL_E_CPIO_TRUNCATED;
        }
        const char *name = (const char *)(it->buf + name_off);
        /* namesize counts the NUL, which must be the name's last byte and its only one. */
        if (name_size < 2 || name[name_size - 1] != '\0' || strlen(name) != name_size - 1) {
            return KEEL_E_CPIO_NAME;
        }
        size_t data_off = align4(name_off + name_size);
        size_t data_size = field[F_FILESIZE];
        if (data_size == 0 && data_off > it->len) {
            /* An empty last entry (the trailer) may end without the name's padding. */
            data_off = it->len;
        }
        if (data_off > it->len || data_size > it->len - data_off) {
            return KEEL_E_CPIO_TRUNCATED;
        }
        /* The archive may end right after the last data byte, without its padding. */
        size_t next = data_off + data_size;
        it->off = next >= it->len ? it->len : align4(next);

        if (strcmp(name, trailer_name) == 0) {
            int err = next_archive(it);
            if (err != KEEL_OK || it->done) {
                return err;
            }
            continue;
        }
        uint32_t type = field[F_MODE] & CPIO_MODE_TYPE;
        if (type != CPIO_MODE_REGULAR || strcmp(name, ".") == 0) {
            continue;
        }
        /* Earlier links of a hard-linked file carry no data; the last one does. */
        if (field[F_NLINK] > 1 && data_size == 0) {
            continue;
        }
        /* The "crc" format stores the byte sum of the data; "070701" stores zero. */
        if (h[5] == '2') {
            uint32_t sum = 0;
            for (size_t i = 0; i < data_size; i++) {
                sum += it->buf[data_off + i];
            }
            if (sum != field[F_CHECK]) {
                return KEEL_E_CPIO_CHECKSUM;
            }
        }
        size_t skip = 0;
        while (skip < name_size - 1 &&
               (name[skip] == '/' || (name[skip] == '.' && name[skip + 1] == '/'))) {
            skip += name[skip] == '/' ? 1 : 2;
        }
        if (skip == name_size - 1) {
            return KEEL_E_CPIO_NAME;
        }
        file->name = name + skip;
        file->name_len = name_size - 1 - skip;
        file->data = it->buf + data_off;
        file->size = data_size;
        file->data_offset = data_off;
        file->mode = field[F_MODE];
        *found = true;
        return KEEL_OK;
    }
    return KEEL_OK;
}
