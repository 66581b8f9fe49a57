/* SPDX-License-Identifier: MIT */
/* The newc cpio reader on archives cpio(1) wrote at build time, and on malformed ones. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/errors.h>

#include "cpio.h"
#include "test_util.h"

struct want_file {
    const char *name;
    size_t size;
};

/* What mkcpio.py puts in every archive, in archive order (directories and links skipped). */
static const struct want_file want[] = {
    {"dir/data.bin", 1000},
    {"empty", 0},
    {"hello.txt", 22},
    {"zz-hardlink", 3},
};

/* Lists the archive's files; returns the error or KEEL_OK and the count. */
static int list(const uint8_t *buf, size_t len, struct cpio_file *files, size_t cap, size_t *count)
{
    struct cpio_iter it;
    struct cpio_file f;
    bool found;
    *count = 0;
    cpio_iter_init(&it, buf, len);
    for (;;) {
        int err = cpio_next_file(&it, &f, &found);
        if (err != KEEL_OK) {
            return err;
        }
        if (!found) {
            return KEEL_OK;
        }
        if (*count < cap) {
            files[*count] = f;
        }
        (*count)++;
    }
}

static void real_archive(const char *path)
{
    size_t len;
    uint8_t *buf = test_read_file(path, &len);
    struct cpio_file files[16];
    size_t count;
    CHECK_ERR(list(buf, len, files, 16, &count), KEEL_OK);
    CHECK(count == sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < count && i < sizeof(want) / sizeof(want[0]); i++) {
        CHECK(strcmp(files[i].name, want[i].name) == 0);
        CHECK(files[i].name_len == strlen(want[i].name));
        CHECK(files[i].size == want[i].size);
        CHECK(files[i].data == buf + files[i].data_offset);
        CHECK(files[i].data_offset % 4 == 0);
    }
    CHECK(count >= 4 && memcmp(files[2].data, "hello from the initrd\n", 22) == 0);
    CHECK(count >= 4 && memcmp(files[3].data, "xyz", 3) == 0);
    for (size_t i = 0; count >= 1 && i < 1000; i++) {
        CHECK(files[0].data[i] == (uint8_t)((i * 7) & 0xff));
        if (files[0].data[i] != (uint8_t)((i * 7) & 0xff)) {
            break;
        }
    }

    /* Every prefix that cuts the archive before its trailer is an error, never a crash. */
    size_t trailer_end = files[count - 1].data_offset + files[count - 1].size;
    for (size_t cut = 0; cut < trailer_end; cut++) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, buf, cut);
        CHECK(list(copy, cut, files, 16, &count) != KEEL_OK);
        free(copy);
    }

    /* Damage: bad magic, a non-hex digit, a crc-format checksum off by one. */
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    copy[5] = '3';
    CHECK_ERR(list(copy, len, files, 16, &count), KEEL_E_CPIO_MAGIC);
    memcpy(copy, buf, len);
    copy[6 + 8 * 6 + 3] = 'g';
    CHECK_ERR(list(copy, len, files, 16, &count), KEEL_E_CPIO_FIELD);
    if (buf[5] == '2') {
        memcpy(copy, buf, len);
        list(buf, len, files, 16, &count);
        copy[files[2].data_offset] ^= 1;
        CHECK_ERR(list(copy, len, files, 16, &count), KEEL_E_CPIO_CHECKSUM);
    }
    uint64_t seed = 77 + len;
    for (int i = 0; i < 5000; i++) {
        memcpy(copy, buf, len);
        copy[test_rand(&seed) % trailer_end] ^= (uint8_t)(1u << (test_rand(&seed) % 8));
        (void)list(copy, len, files, 16, &count);
    }
    free(copy);
    printf("%s: %zu bytes, files as expected\n", path, len);
    free(buf);
}

/* Appends one newc entry; returns the new length. */
static size_t entry(uint8_t *buf, size_t off, const char *magic, uint32_t mode, uint32_t nlink,
                    const char *name, uint32_t name_size, const void *data, uint32_t size)
{
    char hdr[111];
    snprintf(hdr, sizeof(hdr), "%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", magic, 1u,
             mode, 0u, 0u, nlink, 0u, size, 0u, 0u, 0u, 0u, name_size, 0u);
    memcpy(buf + off, hdr, 110);
    off += 110;
    memcpy(buf + off, name, name_size);
    off = (off + name_size + 3) & ~(size_t)3;
    if (size != 0) {
        memcpy(buf + off, data, size);
    }
    return (off + size + 3) & ~(size_t)3;
}

static size_t trailer(uint8_t *buf, size_t off)
{
    return entry(buf, off, "070701", 0, 1, "TRAILER!!!", 11, NULL, 0);
}

static void synthetic(void)
{
    static uint8_t buf[4096];
    struct cpio_file files[8];
    size_t count, len;

    memset(buf, 0, sizeof(buf));
    len = entry(buf, 0, "070701", 040755, 2, ".", 2, NULL, 0);
    len = entry(buf, len, "070701", 0100644, 1, "./a/b.txt", 10, "hi", 2);
    len = entry(buf, len, "070701", 0100644, 1, "/abs", 5, "abs", 3);
    len = entry(buf, len, "070701", 0120777, 1, "sym", 4, "b.txt", 5);
    len = entry(buf, len, "070701", 0100644, 1, "x", 2, "12345", 5);
    len = trailer(buf, len);
    CHECK_ERR(list(buf, len, files, 8, &count), KEEL_OK);
    CHECK(count == 3);
    CHECK(strcmp(files[0].name, "a/b.txt") == 0 && files[0].size == 2);
    CHECK(strcmp(files[1].name, "abs") == 0);
    CHECK(strcmp(files[2].name, "x") == 0 && memcmp(files[2].data, "12345", 5) == 0);
    /* The archive may end right after the trailer, without padding. */
    CHECK_ERR(list(buf, len - 2, files, 8, &count), KEEL_OK);

    len = entry(buf, 0, "070701", 0100644, 1, "x", 2, "1", 1);
    CHECK_ERR(list(buf, len, files, 8, &count), KEEL_E_CPIO_NO_TRAILER);
    CHECK_ERR(list(buf, 0, files, 8, &count), KEEL_E_CPIO_NO_TRAILER);
    CHECK_ERR(list(NULL, 100, files, 8, &count), KEEL_E_CPIO_NO_TRAILER);
    CHECK_ERR(list(buf, 50, files, 8, &count), KEEL_E_CPIO_TRUNCATED);

    len = entry(buf, 0, "070707", 0100644, 1, "x", 2, "1", 1);
    CHECK_ERR(list(buf, len, files, 8, &count), KEEL_E_CPIO_MAGIC);
    len = entry(buf, 0, "070701", 0100644, 1, "x", 0, "1", 1);
    CHECK_ERR(list(buf, len + 200, files, 8, &count), KEEL_E_CPIO_NAME);
    len = entry(buf, 0, "070701", 0100644, 1, "x", 1, "1", 1);
    CHECK_ERR(list(buf, len + 200, files, 8, &count), KEEL_E_CPIO_NAME);
    len = entry(buf, 0, "070701", 0100644, 1, "xyz", 2, "1", 1); /* NUL missing */
    CHECK_ERR(list(buf, len + 200, files, 8, &count), KEEL_E_CPIO_NAME);
    len = entry(buf, 0, "070701", 0100644, 1, "x\0y", 4, "1", 1); /* NUL inside */
    CHECK_ERR(list(buf, len + 200, files, 8, &count), KEEL_E_CPIO_NAME);
    len = entry(buf, 0, "070701", 0100644, 1, "./", 3, "1", 1); /* nothing left */
    CHECK_ERR(list(buf, len + 200, files, 8, &count), KEEL_E_CPIO_NAME);

    /* Concatenated archives, zeros between them, as Linux reads an initramfs. */
    memset(buf, 0, sizeof(buf));
    len = entry(buf, 0, "070701", 0100644, 1, "ucode", 6, "mc", 2);
    size_t init_hdr = trailer(buf, len) + 512;
    len = entry(buf, init_hdr, "070702", 0100644, 1, "init", 5, "\x01", 1);
    memcpy(buf + init_hdr + 6 + 8 * 12, "00000001", 8); /* the crc format's byte sum */
    len = trailer(buf, len);
    CHECK_ERR(list(buf, len + 64, files, 8, &count), KEEL_OK);
    CHECK(count == 2 && strcmp(files[0].name, "ucode") == 0 && strcmp(files[1].name, "init") == 0);
    CHECK(files[1].data_offset >= 512 && files[1].data[0] == 1);
    /* After a trailer: a misaligned archive, and junk that is no archive, are refused. */
    memset(buf, 0, sizeof(buf));
    len = trailer(buf, entry(buf, 0, "070701", 0100644, 1, "a", 2, "1", 1));
    CHECK_ERR(list(buf, trailer(buf, len + 2), files, 8, &count), KEEL_E_CPIO_PADDING);
    memset(buf + len, 0, sizeof(buf) - len);
    memcpy(buf + len + 8, "junk", 4);
    CHECK_ERR(list(buf, len + 64, files, 8, &count), KEEL_E_CPIO_PADDING);
    /* An archive that ends inside the padding after its trailer's name (found by fuzz-cpio:
     * the offset after the trailer lay past the end and was read as a header). */
    memset(buf, 0, sizeof(buf));
    len = entry(buf, 0, "070701", 0100644, 1, "a", 2, "1", 1);
    len = entry(buf, len, "070701", 0, 1, "TRAILER!!!", 11, "x", 1); /* a byte of data */
    CHECK_ERR(list(buf, len - 2, files, 8, &count), KEEL_OK);

    /* namesize and filesize that point past the end of the archive. */
    len = entry(buf, 0, "070701", 0100644, 1, "x", 2, "1", 1);
    memcpy(buf + 6 + 8 * 11, "00000fff", 8);
    CHECK_ERR(list(buf, len, files, 8, &count), KEEL_E_CPIO_TRUNCATED);
    len = entry(buf, 0, "070701", 0100644, 1, "x", 2, "1", 1);
    memcpy(buf + 6 + 8 * 6, "ffffffff", 8);
    CHECK_ERR(list(buf, len, files, 8, &count), KEEL_E_CPIO_TRUNCATED);
}

int main(int argc, char **argv)
{
    synthetic();
    for (int i = 1; i < argc; i++) {
        real_archive(argv[i]);
    }
    return test_finish("test_cpio");
}
