/* SPDX-License-Identifier: MIT */
/* Keel's FDT reader against libfdt as the oracle, plus malformed blobs. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <keel/errors.h>

#include "devicetree.h"
#include "test_util.h"

/* Builds the absolute path of path's last node from Keel's reader. */
static void keel_path_string(const struct fdt *fdt, const struct fdt_path *path, char *buf,
                             size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (path->depth == 1) {
        snprintf(buf, cap, "/");
        return;
    }
    for (uint32_t i = 1; i < path->depth; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "/%s", fdt_node_name(fdt, path->node[i]));
    }
}

static void compare_props(const struct fdt *k, const void *blob, uint32_t node)
{
    struct fdt_prop prop;
    bool have = fdt_first_prop(k, node, &prop);
    int poff;
    fdt_for_each_property_offset(poff, blob, (int)node)
    {
        const char *name;
        int len;
        const void *val = fdt_getprop_by_offset(blob, poff, &name, &len);
        CHECK(have);
        if (!have) {
            return;
        }
        CHECK(val != NULL);
        CHECK(strcmp(prop.name, name) == 0);
        CHECK((int)prop.len == len);
        CHECK(len == 0 || memcmp(prop.value, val, (size_t)len) == 0);

        /* Lookup by name gives the same bytes (libfdt returns the first match too). */
        struct fdt_prop by_name;
        int len2;
        const void *val2 = fdt_getprop(blob, (int)node, name, &len2);
        CHECK(fdt_get_prop(k, node, name, &by_name));
        CHECK((int)by_name.len == len2 && by_name.value == (const uint8_t *)val2);
        CHECK(len2 == 0 || memcmp(by_name.value, val2, (size_t)len2) == 0);
        have = fdt_next_prop(k, &prop);
    }
    CHECK(!have);
}

/* Path variants: the full path, and with the last unit address dropped. */
static void compare_lookup(const struct fdt *k, const void *blob, const char *path)
{
    struct fdt_path found;
    int want = fdt_path_offset(blob, path);
    int err = fdt_find_path(k, path, strlen(path), &found);
    CHECK((want >= 0) == (err == KEEL_OK));
    if (want >= 0 && err == KEEL_OK) {
        CHECK((int)found.node[found.depth - 1] == want);
    }
    char short_path[1024];
    snprintf(short_path, sizeof(short_path), "%s", path);
    char *slash = strrchr(short_path, '/');
    char *at = slash != NULL ? strchr(slash, '@') : NULL;
    if (at != NULL) {
        *at = '\0';
        want = fdt_path_offset(blob, short_path);
        err = fdt_find_path(k, short_path, strlen(short_path), &found);
        CHECK((want >= 0) == (err == KEEL_OK));
        if (want >= 0 && err == KEEL_OK) {
            CHECK((int)found.node[found.depth - 1] == want);
        }
    }
}

static uint64_t read_cells_be(const uint8_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_to_cpu(((const fdt32_t *)(const void *)p)[i]);
    }
    return v;
}

/* reg of every node whose parent has 1 or 2 address cells and 0..2 size cells. */
static void compare_reg(const struct fdt *k, const void *blob, const struct fdt_path *path)
{
    if (path->depth < 2) {
        return;
    }
    int node = (int)path->node[path->depth - 1];
    int parent = (int)path->node[path->depth - 2];
    int len;
    const uint8_t *reg = fdt_getprop(blob, node, "reg", &len);
    int ac = fdt_address_cells(blob, parent);
    int sc = fdt_size_cells(blob, parent);
    uint64_t base, size;
    uint32_t count;
    int err = fdt_reg(k, path, 0, &base, &size, &count);
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) {
        CHECK(reg == NULL || err == KEEL_E_FDT_CELLS);
        return;
    }
    if (reg == NULL) {
        CHECK_ERR(err, KEEL_E_FDT_NOT_FOUND);
        return;
    }
    int entry = (ac + sc) * 4;
    if (len % entry != 0) {
        CHECK_ERR(err, KEEL_E_FDT_PROP);
        return;
    }
    CHECK((int)count == len / entry);
    for (int i = 0; i < len / entry; i++) {
        CHECK_ERR(fdt_reg(k, path, (uint32_t)i, &base, &size, &count), KEEL_OK);
        CHECK(base == read_cells_be(reg + i * entry, ac));
        CHECK(size == read_cells_be(reg + i * entry + ac * 4, sc));
    }
}

/* The pre-order walk, each node's name, path, properties, reg and children, as libfdt. */
static int compare_walk(const char *file, const struct fdt *k, const void *blob)
{
    struct fdt_path path = {.depth = 0};
    int depth = 0;
    int off = 0;
    int nodes = 0;
    bool have = fdt_walk_next(k, &path);
    while (off >= 0 && depth >= 0) {
        CHECK(have);
        if (!have) {
            fprintf(stderr, "%s: walk ended early at libfdt node %d\n", file, off);
            break;
        }
        nodes++;
        uint32_t node = path.node[path.depth - 1];
        CHECK((int)node == off);
        CHECK((int)path.depth == depth + 1);
        int name_len;
        const char *name = fdt_get_name(blob, off, &name_len);
        CHECK(name != NULL && strcmp(name, fdt_node_name(k, node)) == 0);

        char want_path[1024], got_path[1024];
        CHECK(fdt_get_path(blob, off, want_path, sizeof(want_path)) == 0);
        keel_path_string(k, &path, got_path, sizeof(got_path));
        CHECK(strcmp(want_path, got_path) == 0);

        compare_props(k, blob, node);
        compare_lookup(k, blob, want_path);
        compare_reg(k, blob, &path);

        /* Children agree too, in order. */
        uint32_t child;
        bool kc = fdt_first_child(k, node, &child);
        int lc;
        fdt_for_each_subnode(lc, blob, off)
        {
            CHECK(kc && (int)child == lc);
            if (!kc) {
                break;
            }
            kc = fdt_next_sibling(k, child, &child);
        }
        CHECK(!kc);

        off = fdt_next_node(blob, off, &depth);
        have = fdt_walk_next(k, &path);
    }
    CHECK(!have);

    return nodes;
}

static void compare_blob(const char *file, const void *blob, size_t size)
{
    struct fdt k;
    CHECK(fdt_check_header(blob) == 0);
    int init_err = fdt_init(&k, blob, size);
    CHECK_ERR(init_err, KEEL_OK);
    if (init_err != KEEL_OK) {
        fprintf(stderr, "%s: not comparable\n", file);
        return;
    }
    CHECK(k.total_size == fdt_totalsize(blob));
    CHECK((int)k.rsv_count == fdt_num_mem_rsv(blob));
    for (uint32_t i = 0; i < k.rsv_count; i++) {
        uint64_t a, b, la, lb;
        fdt_memreserve(&k, i, &a, &b);
        CHECK(fdt_get_mem_rsv(blob, (int)i, &la, &lb) == 0);
        CHECK(a == la && b == lb);
    }

    int nodes = compare_walk(file, &k, blob);
    CHECK(k.end_count ==
          ((uint32_t)nodes < FDT_END_INDEX_MAX ? (uint32_t)nodes : FDT_END_INDEX_MAX));
    /* The subtree-end index agrees with the token walk it stands for: half of it, none. */
    struct fdt part = k;
    part.end_count = k.end_count / 2;
    CHECK(compare_walk(file, &part, blob) == nodes);
    part.end_count = 0;
    CHECK(compare_walk(file, &part, blob) == nodes);

    struct fdt_path path;
    /* Every alias resolves to the same node, alone and with a path appended. */
    int aliases = fdt_path_offset(blob, "/aliases");
    if (aliases >= 0) {
        int poff;
        fdt_for_each_property_offset(poff, blob, aliases)
        {
            const char *name;
            int len;
            fdt_getprop_by_offset(blob, poff, &name, &len);
            compare_lookup(&k, blob, name);
            const char *target = fdt_get_alias(blob, name);
            const char *mine = fdt_alias(&k, name, strlen(name));
            CHECK((target == NULL) == (mine == NULL));
            CHECK(target == NULL || mine == NULL || strcmp(target, mine) == 0);
        }
    }
    CHECK_ERR(fdt_find_path(&k, "/no-such-node", 13, &path), KEEL_E_FDT_NOT_FOUND);
    CHECK_ERR(fdt_find_path(&k, "nosuchalias", 11, &path), KEEL_E_FDT_NOT_FOUND);
    CHECK_ERR(fdt_find_path(&k, "/", 1, &path), KEEL_OK);
    CHECK(path.depth == 1 && path.node[0] == 0);
    printf("%s: %d nodes, %u reservations agree with libfdt\n", file, nodes, k.rsv_count);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Mutates a copy of `blob` at header word `word` and expects `want`. */
static void header_case(const uint8_t *blob, size_t size, unsigned word, uint32_t value,
                        size_t avail, int want, const char *what)
{
    uint8_t *copy = malloc(size);
    memcpy(copy, blob, size);
    put32(copy + 4 * word, value);
    struct fdt k;
    int err = fdt_init(&k, copy, avail);
    if (err != want) {
        fprintf(stderr, "malformed case '%s'\n", what);
    }
    CHECK_ERR(err, want);
    free(copy);
}

/* Offset in the structure block of the first PROP token (dtc trees start with root props). */
static uint32_t first_prop_token(const uint8_t *blob)
{
    uint32_t s = get32(blob + 8);
    uint32_t off = s + 4;
    while (blob[off] != 0) {
        off++;
    }
    off = (off + 1 + 3) & ~3u;
    return off;
}

static void malformed(const uint8_t *blob, size_t size)
{
    uint32_t total = get32(blob + 4);
    uint32_t off_struct = get32(blob + 8);
    uint32_t off_strings = get32(blob + 12);
    uint32_t size_struct = get32(blob + 36);
    struct fdt k;

    header_case(blob, size, 0, 0xd00dfeee, size, KEEL_E_FDT_MAGIC, "bad magic");
    header_case(blob, size, 5, 15, size, KEEL_E_FDT_VERSION, "version 15");
    header_case(blob, size, 6, 18, size, KEEL_E_FDT_VERSION, "last_comp_version 18");
    header_case(blob, size, 1, total + 1, size, KEEL_E_FDT_TOTALSIZE, "totalsize > buffer");
    header_case(blob, size, 1, 39, size, KEEL_E_FDT_TOTALSIZE, "totalsize < header");
    header_case(blob, size, 1, total, total - 1, KEEL_E_FDT_TOTALSIZE, "buffer short");
    header_case(blob, size, 2, total, size, KEEL_E_FDT_OFFSETS, "struct offset at end");
    header_case(blob, size, 2, off_struct + 2, size, KEEL_E_FDT_OFFSETS, "struct misaligned");
    header_case(blob, size, 2, 8, size, KEEL_E_FDT_OFFSETS, "struct inside header");
    header_case(blob, size, 9, 0xfffffff0, size, KEEL_E_FDT_OFFSETS, "struct size wraps");
    header_case(blob, size, 3, total - 2, size, KEEL_E_FDT_OFFSETS, "strings past end");
    header_case(blob, size, 8, 0xffffffff, size, KEEL_E_FDT_OFFSETS, "strings size huge");
    header_case(blob, size, 4, get32(blob + 16) + 4, size, KEEL_E_FDT_OFFSETS,
                "memreserve misaligned");
    header_case(blob, size, 4, total, size, KEEL_E_FDT_OFFSETS, "memreserve at end");
    header_case(blob, size, 3, off_struct, size, KEEL_E_FDT_OVERLAP_STRUCT_STRINGS,
                "strings inside the structure block");
    header_case(blob, size, 4, off_struct, size, KEEL_E_FDT_OVERLAP_RSV_STRUCT,
                "memreserve inside the structure block");
    header_case(blob, size, 4, (off_strings + 7) & ~7u, size, KEEL_E_FDT_OVERLAP_RSV_STRINGS,
                "memreserve inside the strings block");
    header_case(blob, size, 9, size_struct - 8, size, KEEL_E_FDT_STRUCTURE,
                "truncated structure block");
    header_case(blob, size, 9, 4, size, KEEL_E_FDT_STRUCTURE, "structure of one token");
    CHECK_ERR(fdt_init(&k, blob, 3), KEEL_E_FDT_TOTALSIZE);
    CHECK_ERR(fdt_init(&k, blob, 20), KEEL_E_FDT_TOTALSIZE);
    CHECK_ERR(fdt_init(&k, NULL, 0), KEEL_E_FDT_TOTALSIZE);

    /* Token-level damage inside the structure block. */
    uint8_t *copy = malloc(size);
    uint32_t prop = first_prop_token(blob);
    CHECK(get32(blob + prop) == 3);

    memcpy(copy, blob, size);
    put32(copy + off_struct, 7);
    CHECK_ERR(fdt_init(&k, copy, size), KEEL_E_FDT_STRUCTURE);

    memcpy(copy, blob, size);
    put32(copy + off_struct, 2); /* END_NODE before any node */
    CHECK_ERR(fdt_init(&k, copy, size), KEEL_E_FDT_STRUCTURE);

    memcpy(copy, blob, size);
    put32(copy + prop + 8, get32(blob + 32)); /* nameoff == size_dt_strings */
    CHECK_ERR(fdt_init(&k, copy, size), KEEL_E_FDT_STRING);

    memcpy(copy, blob, size);
    put32(copy + prop + 4, size_struct); /* value runs past the block */
    CHECK_ERR(fdt_init(&k, copy, size), KEEL_E_FDT_PROP);

    memcpy(copy, blob, size);
    put32(copy + prop + 4, 0xfffffff8); /* value length that wraps 32 bits */
    CHECK_ERR(fdt_init(&k, copy, size), KEEL_E_FDT_PROP);

    /* The strings block without its final NUL: the last name is unterminated. */
    memcpy(copy, blob, size);
    put32(copy + 32, get32(blob + 32) - 1);
    int err = fdt_init(&k, copy, size);
    CHECK(err == KEEL_E_FDT_STRING || err == KEEL_OK);

    /* The FDT_END token replaced by a NOP: the walk runs off the block. */
    memcpy(copy, blob, size);
    put32(copy + off_struct + size_struct - 4, 4);
    CHECK_ERR(fdt_init(&k, copy, size), KEEL_E_FDT_STRUCTURE);
    (void)off_strings;

    /* Random byte damage: the reader may refuse, but must never read out of bounds. */
    uint64_t seed = 0x5eed;
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, blob, size);
        unsigned flips = 1 + (unsigned)(test_rand(&seed) % 4);
        for (unsigned f = 0; f < flips; f++) {
            copy[test_rand(&seed) % total] ^= (uint8_t)(1u << (test_rand(&seed) % 8));
        }
        if (fdt_init(&k, copy, size) == KEEL_OK) {
            struct fdt_path path = {.depth = 0};
            while (fdt_walk_next(&k, &path)) {
                struct fdt_prop p;
                for (bool ok = fdt_first_prop(&k, path.node[path.depth - 1], &p); ok;
                     ok = fdt_next_prop(&k, &p)) {
                    (void)strlen(p.name);
                }
            }
        }
    }
    free(copy);
}

/* libfdt's sequential-write API makes trees dtc would not: too deep, props after nodes. */
static void built_trees(void)
{
    static uint8_t buf[65536];
    struct fdt k;

    CHECK(fdt_create(buf, sizeof(buf)) == 0);
    CHECK(fdt_finish_reservemap(buf) == 0);
    CHECK(fdt_begin_node(buf, "") == 0);
    for (int i = 0; i < 40; i++) {
        CHECK(fdt_begin_node(buf, "n") == 0);
    }
    for (int i = 0; i < 40; i++) {
        CHECK(fdt_end_node(buf) == 0);
    }
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_finish(buf) == 0);
    CHECK_ERR(fdt_init(&k, buf, sizeof(buf)), KEEL_E_FDT_STRUCTURE);

    CHECK(fdt_create(buf, sizeof(buf)) == 0);
    CHECK(fdt_finish_reservemap(buf) == 0);
    CHECK(fdt_begin_node(buf, "") == 0);
    for (int i = 0; i < 31; i++) {
        CHECK(fdt_begin_node(buf, "n") == 0);
    }
    CHECK(fdt_property_u32(buf, "deepest", 1) == 0);
    for (int i = 0; i < 31; i++) {
        CHECK(fdt_end_node(buf) == 0);
    }
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_finish(buf) == 0);
    CHECK_ERR(fdt_init(&k, buf, sizeof(buf)), KEEL_OK);
    compare_blob("depth-32", buf, sizeof(buf));

    CHECK(fdt_create(buf, sizeof(buf)) == 0);
    CHECK(fdt_finish_reservemap(buf) == 0);
    CHECK(fdt_begin_node(buf, "") == 0);
    CHECK(fdt_begin_node(buf, "child") == 0);
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_property_u32(buf, "late", 1) == 0);
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_finish(buf) == 0);
    CHECK_ERR(fdt_init(&k, buf, sizeof(buf)), KEEL_E_FDT_STRUCTURE);

    /* Two roots. */
    CHECK(fdt_create(buf, sizeof(buf)) == 0);
    CHECK(fdt_finish_reservemap(buf) == 0);
    CHECK(fdt_begin_node(buf, "") == 0);
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_begin_node(buf, "") == 0);
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_finish(buf) == 0);
    CHECK_ERR(fdt_init(&k, buf, sizeof(buf)), KEEL_E_FDT_STRUCTURE);

    /* NOPs between tokens are skipped by both readers. */
    CHECK(fdt_create(buf, sizeof(buf)) == 0);
    CHECK(fdt_add_reservemap_entry(buf, 0x1000, 0x2000) == 0);
    CHECK(fdt_finish_reservemap(buf) == 0);
    CHECK(fdt_begin_node(buf, "") == 0);
    CHECK(fdt_property_string(buf, "a", "x") == 0);
    CHECK(fdt_property_string(buf, "b", "yy") == 0);
    CHECK(fdt_begin_node(buf, "c@1") == 0);
    CHECK(fdt_property_u32(buf, "reg", 1) == 0);
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_end_node(buf) == 0);
    CHECK(fdt_finish(buf) == 0);
    CHECK(fdt_open_into(buf, buf, sizeof(buf)) == 0);
    CHECK(fdt_nop_property(buf, 0, "a") == 0);
    compare_blob("nops", buf, fdt_totalsize(buf));
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t size;
        uint8_t *blob = test_read_file(argv[i], &size);
        compare_blob(argv[i], blob, size);
        malformed(blob, size);
        free(blob);
    }
    built_trees();
    return test_finish("test_fdt");
}
