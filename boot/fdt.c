/* SPDX-License-Identifier: MIT */
/* Keel's flattened-device-tree reader: validates a DTB once, then walks it without failing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>

#include "bytes.h"
#include "devicetree.h"

#define DTB_MAGIC 0xd00dfeedu
#define FDT_HEADER_SIZE 40u
#define FDT_V16_HEADER_SIZE 36u
#define FDT_RSV_ENTRY_SIZE 16u

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

static uint32_t align4(uint32_t v)
{
    return (v + 3u) & ~3u;
}

/* Do [a, a + a_size) and [b, b + b_size) share a byte? Both lie inside the blob. */
static bool blocks_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a_size != 0 && b_size != 0 && a < b + b_size && b < a + a_size;
}

static int check_header(struct fdt *fdt, const uint8_t *blob, size_t avail)
{
    if (blob == NULL || avail < 4) {
        return KEEL_E_FDT_TOTALSIZE;
    }
    if (load_be32(blob) != DTB_MAGIC) {
        return KEEL_E_FDT_MAGIC;
    }
    if (avail < FDT_HEADER_SIZE) {
        return KEEL_E_FDT_TOTALSIZE;
    }
    uint32_t total = load_be32(blob + 4);
    uint32_t off_struct = load_be32(blob + 8);
    uint32_t off_strings = load_be32(blob + 12);
    uint32_t off_rsv = load_be32(blob + 16);
    uint32_t version = load_be32(blob + 20);
    uint32_t last_comp = load_be32(blob + 24);
    uint32_t size_strings = load_be32(blob + 32);

    if (version < 16 || last_comp > 17) {
        return KEEL_E_FDT_VERSION;
    }
    if (total < FDT_HEADER_SIZE || total > avail) {
        return KEEL_E_FDT_TOTALSIZE;
    }
    /* Version 16 headers end before size_dt_struct; the block then runs to the end. */
    uint32_t header_size = version >= 17 ? FDT_HEADER_SIZE : FDT_V16_HEADER_SIZE;
    uint32_t size_struct = version >= 17 ? load_be32(blob + 36) : total - off_struct;
    if (off_struct < header_size || off_struct % 4 != 0 ||
        !range_inside(off_struct, size_struct, total)) {
        return KEEL_E_FDT_OFFSETS;
    }
    if (off_strings < header_size || !range_inside(off_strings, size_strings, total)) {
        return KEEL_E_FDT_OFFSETS;
    }
    if (off_rsv < header_size || off_rsv % 8 != 0 || off_rsv > total) {
        return KEEL_E_FDT_OFFSETS;
    }

    /*
     * The three blocks must not share a byte (Devicetree spec, 5.1). A version 16 header
     * has no structure size, so only the reservation map's start can be checked there.
     */
    uint32_t struct_known = version >= 17 ? size_struct : 0;
    if (version >= 17 && blocks_overlap(off_struct, size_struct, off_strings, size_strings)) {
        return KEEL_E_FDT_OVERLAP_STRUCT_STRINGS;
    }
    if (blocks_overlap(off_rsv, FDT_RSV_ENTRY_SIZE, off_struct, struct_known)) {
        return KEEL_E_FDT_OVERLAP_RSV_STRUCT;
    }
    if (blocks_overlap(off_rsv, FDT_RSV_ENTRY_SIZE, off_strings, size_strings)) {
        return KEEL_E_FDT_OVERLAP_RSV_STRINGS;
    }

    /* The reservation list ends with an entry of size 0 that must itself be inside. */
    uint32_t rsv_count = 0;
    for (uint32_t off = off_rsv;; off += FDT_RSV_ENTRY_SIZE) {
        if (!range_inside(off, FDT_RSV_ENTRY_SIZE, total)) {
            return KEEL_E_FDT_OFFSETS;
        }
        if (load_be64(blob + off + 8) == 0) {
            break;
        }
        rsv_count++;
    }
    uint32_t rsv_size = (rsv_count + 1) * FDT_RSV_ENTRY_SIZE;
    if (blocks_overlap(off_rsv, rsv_size, off_struct, struct_known)) {
        return KEEL_E_FDT_OVERLAP_RSV_STRUCT;
    }
    if (blocks_overlap(off_rsv, rsv_size, off_strings, size_strings)) {
        return KEEL_E_FDT_OVERLAP_RSV_STRINGS;
    }

    fdt->blob = blob;
    fdt->total_size = total;
    fdt->version = version;
    fdt->boot_cpuid = load_be32(blob + 28);
    fdt->structure = blob + off_struct;
    fdt->struct_size = size_struct;
    fdt->strings = (const char *)(blob + off_strings);
    fdt->strings_size = size_strings;
    fdt->rsv = blob + off_rsv;
    fdt->rsv_count = rsv_count;
    return KEEL_OK;
}

/*
 * One pass over the structure block: every token inside the block, names and
 * property names terminated, nesting balanced and bounded, properties before
 * subnodes, exactly one root, FDT_END last.
 */
static int check_structure(struct fdt *fdt)
{
    const uint8_t *s = fdt->structure;
    uint32_t size = fdt->struct_size;
    uint32_t depth = 0;
    bool root_done = false;
    bool has_child[FDT_MAX_DEPTH + 1];
    uint32_t open_index[FDT_MAX_DEPTH + 1]; /* each open node's end_node slot, or none */
    uint32_t off = 0;

    memset(has_child, 0, sizeof(has_child));
    fdt->end_count = 0;
    while (size - off >= 4) {
        uint32_t token = load_be32(s + off);
        switch (token) {
        case FDT_BEGIN_NODE: {
            if (root_done || depth == FDT_MAX_DEPTH) {
                return KEEL_E_FDT_STRUCTURE;
            }
            int64_t name_len = bounded_strlen(s + off + 4, size - off - 4);
            if (name_len < 0) {
                return KEEL_E_FDT_STRUCTURE;
            }
            has_child[depth] = true;
            depth++;
            has_child[depth] = false;
            open_index[depth] = FDT_END_INDEX_MAX;
            if (fdt->end_count < FDT_END_INDEX_MAX) {
                open_index[depth] = fdt->end_count;
                fdt->end_node[fdt->end_count++] = off;
            }
            uint64_t next = (uint64_t)off + 4 + (uint64_t)name_len + 1;
            if (next > size) {
                return KEEL_E_FDT_STRUCTURE;
            }
            off = align4((uint32_t)next);
            break;
        }
        case FDT_END_NODE:
            if (depth == 0) {
                return KEEL_E_FDT_STRUCTURE;
            }
            if (open_index[depth] < FDT_END_INDEX_MAX) {
                fdt->end_after[open_index[depth]] = off + 4;
            }
            depth--;
            root_done = depth == 0;
            off += 4;
            break;
        case FDT_PROP: {
            if (depth == 0 || has_child[depth] || size - off < 12) {
                return KEEL_E_FDT_STRUCTURE;
            }
            uint32_t len = load_be32(s + off + 4);
            uint32_t name_off = load_be32(s + off + 8);
            if (!range_inside((uint64_t)off + 12, len, size)) {
                return KEEL_E_FDT_PROP;
            }
            if (name_off >= fdt->strings_size ||
                bounded_strlen((const uint8_t *)fdt->strings + name_off,
                               fdt->strings_size - name_off) < 0) {
                return KEEL_E_FDT_STRING;
            }
            off = align4(off + 12 + len);
            break;
        }
        case FDT_NOP:
            off += 4;
            break;
        case FDT_END:
            if (!root_done) {
                return KEEL_E_FDT_STRUCTURE;
            }
            fdt->struct_size = off + 4;
            return KEEL_OK;
        default:
            return KEEL_E_FDT_STRUCTURE;
        }
        if (off > size) {
            return KEEL_E_FDT_STRUCTURE;
        }
    }
    return KEEL_E_FDT_STRUCTURE;
}

int fdt_init(struct fdt *fdt, const void *blob, size_t avail)
{
    memset(fdt, 0, sizeof(*fdt));
    int err = check_header(fdt, blob, avail);
    if (err != KEEL_OK) {
        return err;
    }
    err = check_structure(fdt);
    if (err != KEEL_OK) {
        memset(fdt, 0, sizeof(*fdt));
    }
    return err;
}

void fdt_memreserve(const struct fdt *fdt, uint32_t index, uint64_t *base, uint64_t *size)
{
    const uint8_t *e = fdt->rsv + (size_t)index * FDT_RSV_ENTRY_SIZE;
    *base = load_be64(e);
    *size = load_be64(e + 8);
}

/* The token at `off` and the offset of the token after it; FDT_END when out of bounds. */
static uint32_t token_at(const struct fdt *fdt, uint32_t off, uint32_t *next)
{
    if (off > fdt->struct_size || fdt->struct_size - off < 4) {
        *next = fdt->struct_size;
        return FDT_END;
    }
    const uint8_t *s = fdt->structure;
    uint32_t token = load_be32(s + off);
    switch (token) {
    case FDT_BEGIN_NODE: {
        int64_t len = bounded_strlen(s + off + 4, fdt->struct_size - off - 4);
        *next = len < 0 ? fdt->struct_size : align4(off + 4 + (uint32_t)len + 1);
        break;
    }
    case FDT_PROP:
        if (fdt->struct_size - off < 12) {
            *next = fdt->struct_size;
            return FDT_END;
        }
        *next = align4(off + 12 + load_be32(s + off + 4));
        break;
    default:
        *next = off + 4;
        break;
    }
    return token;
}

/* Skips NOPs from `off`; returns the first other token and its offset. */
static uint32_t skip_nops(const struct fdt *fdt, uint32_t *off)
{
    for (;;) {
        uint32_t next;
        uint32_t token = token_at(fdt, *off, &next);
        if (token != FDT_NOP) {
            return token;
        }
        *off = next;
    }
}

const char *fdt_node_name(const struct fdt *fdt, uint32_t node)
{
    return (const char *)(fdt->structure + node + 4);
}

static void fill_prop(const struct fdt *fdt, uint32_t off, struct fdt_prop *prop)
{
    const uint8_t *s = fdt->structure + off;
    prop->len = load_be32(s + 4);
    prop->name = fdt->strings + load_be32(s + 8);
    prop->value = s + 12;
    prop->next = align4(off + 12 + prop->len);
}

bool fdt_first_prop(const struct fdt *fdt, uint32_t node, struct fdt_prop *prop)
{
    uint32_t off;
    if (token_at(fdt, node, &off) != FDT_BEGIN_NODE) {
        return false;
    }
    if (skip_nops(fdt, &off) != FDT_PROP) {
        return false;
    }
    fill_prop(fdt, off, prop);
    return true;
}

bool fdt_next_prop(const struct fdt *fdt, struct fdt_prop *prop)
{
    uint32_t off = prop->next;
    if (skip_nops(fdt, &off) != FDT_PROP) {
        return false;
    }
    fill_prop(fdt, off, prop);
    return true;
}

bool fdt_first_child(const struct fdt *fdt, uint32_t node, uint32_t *child)
{
    uint32_t off;
    if (token_at(fdt, node, &off) != FDT_BEGIN_NODE) {
        return false;
    }
    for (;;) {
        uint32_t next;
        uint32_t token = token_at(fdt, off, &next);
        if (token == FDT_BEGIN_NODE) {
            *child = off;
            return true;
        }
        if (token != FDT_PROP && token != FDT_NOP) {
            return false;
        }
        off = next;
    }
}

/* The offset just past `node`'s FDT_END_NODE when fdt_init recorded it; false otherwise. */
static bool indexed_end(const struct fdt *fdt, uint32_t node, uint32_t *after)
{
    uint32_t lo = 0, hi = fdt->end_count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fdt->end_node[mid] < node) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == fdt->end_count || fdt->end_node[lo] != node) {
        return false;
    }
    *after = fdt->end_after[lo];
    return true;
}

bool fdt_next_sibling(const struct fdt *fdt, uint32_t node, uint32_t *sibling)
{
    uint32_t off = node;
    uint32_t depth = 0;

    /* Skip the node's whole subtree: from the index, else token by token (nesting bounded). */
    if (!indexed_end(fdt, node, &off)) {
        for (;;) {
            uint32_t next;
            uint32_t token = token_at(fdt, off, &next);
            off = next;
            if (token == FDT_BEGIN_NODE) {
                depth++;
            } else if (token == FDT_END_NODE) {
                if (depth <= 1) {
                    break;
                }
                depth--;
            } else if (token == FDT_END) {
                return false;
            }
        }
    }
    if (skip_nops(fdt, &off) != FDT_BEGIN_NODE) {
        return false;
    }
    *sibling = off;
    return true;
}

bool fdt_get_prop(const struct fdt *fdt, uint32_t node, const char *name, struct fdt_prop *prop)
{
    /* The first byte decides most comparisons: strcmp only for the names that share it. */
    for (bool ok = fdt_first_prop(fdt, node, prop); ok; ok = fdt_next_prop(fdt, prop)) {
        if (prop->name[0] == name[0] && strcmp(prop->name, name) == 0) {
            return true;
        }
    }
    return false;
}

const char *fdt_prop_string(const struct fdt_prop *prop)
{
    if (prop->len == 0 || prop->value[prop->len - 1] != '\0') {
        return NULL;
    }
    return (const char *)prop->value;
}

bool fdt_prop_has_string(const struct fdt_prop *prop, const char *str)
{
    size_t want = strlen(str);
    uint32_t off = 0;
    while (off < prop->len) {
        int64_t len = bounded_strlen(prop->value + off, prop->len - off);
        if (len < 0) {
            return false;
        }
        if ((size_t)len == want && memcmp(prop->value + off, str, want) == 0) {
            return true;
        }
        off += (uint32_t)len + 1;
    }
    return false;
}

bool fdt_node_enabled(const struct fdt *fdt, uint32_t node)
{
    struct fdt_prop prop;
    if (!fdt_get_prop(fdt, node, "status", &prop)) {
        return true;
    }
    const char *status = fdt_prop_string(&prop);
    return status != NULL && (strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0);
}

bool fdt_is_memory_node(const struct fdt *fdt, uint32_t node)
{
    struct fdt_prop prop;
    if (fdt_get_prop(fdt, node, "device_type", &prop)) {
        const char *type = fdt_prop_string(&prop);
        return type != NULL && strcmp(type, "memory") == 0;
    }
    const char *name = fdt_node_name(fdt, node);
    return strncmp(name, "memory", 6) == 0 && (name[6] == '\0' || name[6] == '@');
}

void fdt_path_child(struct fdt_path *path, uint32_t parent_depth, const struct fdt_path *parent,
                    uint32_t child)
{
    for (uint32_t i = 0; i < parent_depth; i++) {
        path->node[i] = parent->node[i];
    }
    path->node[parent_depth] = child;
    path->depth = parent_depth + 1;
}

bool fdt_walk_next(const struct fdt *fdt, struct fdt_path *path)
{
    if (path->depth == 0) {
        path->node[0] = 0;
        path->depth = 1;
        return true;
    }
    uint32_t next;
    if (path->depth < FDT_MAX_DEPTH && fdt_first_child(fdt, path->node[path->depth - 1], &next)) {
        path->node[path->depth++] = next;
        return true;
    }
    while (path->depth > 1) {
        if (fdt_next_sibling(fdt, path->node[path->depth - 1], &next)) {
            path->node[path->depth - 1] = next;
            return true;
        }
        path->depth--;
    }
    path->depth = 0;
    return false;
}

/* Does the node name match one path component? "memory" matches "memory@40000000". */
static bool name_matches(const char *name, const char *comp, size_t len)
{
    if (strncmp(name, comp, len) != 0 || strlen(name) < len) {
        return false;
    }
    if (name[len] == '\0') {
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        if (comp[i] == '@') {
            return false;
        }
    }
    return name[len] == '@';
}

static bool find_child(const struct fdt *fdt, uint32_t node, const char *comp, size_t len,
                       uint32_t *found)
{
    uint32_t child;
    for (bool ok = fdt_first_child(fdt, node, &child); ok;
         ok = fdt_next_sibling(fdt, child, &child)) {
        if (name_matches(fdt_node_name(fdt, child), comp, len)) {
            *found = child;
            return true;
        }
    }
    return false;
}

/* Descends from the node at out's top along the absolute components in [p, end). */
static int descend(const struct fdt *fdt, const char *p, const char *end, struct fdt_path *out)
{
    while (p < end) {
        if (*p == '/') {
            p++;
            continue;
        }
        const char *q = p;
        while (q < end && *q != '/') {
            q++;
        }
        if (out->depth >= FDT_MAX_DEPTH) {
            return KEEL_E_FDT_NOT_FOUND;
        }
        uint32_t child;
        if (!find_child(fdt, out->node[out->depth - 1], p, (size_t)(q - p), &child)) {
            return KEEL_E_FDT_NOT_FOUND;
        }
        out->node[out->depth++] = child;
        p = q;
    }
    return KEEL_OK;
}

const char *fdt_alias(const struct fdt *fdt, const char *name, size_t len)
{
    uint32_t aliases;
    struct fdt_prop prop;
    if (!find_child(fdt, 0, "aliases", 7, &aliases)) {
        return NULL;
    }
    for (bool ok = fdt_first_prop(fdt, aliases, &prop); ok; ok = fdt_next_prop(fdt, &prop)) {
        if (strlen(prop.name) == len && strncmp(prop.name, name, len) == 0) {
            return fdt_prop_string(&prop);
        }
    }
    return NULL;
}

int fdt_find_path(const struct fdt *fdt, const char *path, size_t len, struct fdt_path *out)
{
    const char *end = path + len;
    out->depth = 1;
    out->node[0] = 0;
    if (len == 0) {
        return KEEL_E_FDT_NOT_FOUND;
    }
    if (path[0] != '/') {
        /* An alias must expand to an absolute path; aliases of aliases are refused. */
        const char *q = path;
        while (q < end && *q != '/') {
            q++;
        }
        const char *target = fdt_alias(fdt, path, (size_t)(q - path));
        if (target == NULL || target[0] != '/') {
            return KEEL_E_FDT_NOT_FOUND;
        }
        int err = descend(fdt, target, target + strlen(target), out);
        if (err != KEEL_OK) {
            return err;
        }
        path = q;
    }
    return descend(fdt, path, end, out);
}

int fdt_get_u32(const struct fdt *fdt, uint32_t node, const char *name, uint32_t *value)
{
    struct fdt_prop prop;

    if (!fdt_get_prop(fdt, node, name, &prop)) {
        return KEEL_E_FDT_NOT_FOUND;
    }
    if (prop.len != 4) {
        return KEEL_E_FDT_PROP;
    }
    *value = load_be32(prop.value);
    return KEEL_OK;
}

/* A one-cell property, or `dflt` when the node has none. */
static int read_u32_prop(const struct fdt *fdt, uint32_t node, const char *name, uint32_t dflt,
                         uint32_t *value)
{
    *value = dflt;
    int err = fdt_get_u32(fdt, node, name, value);
    return err == KEEL_E_FDT_NOT_FOUND ? KEEL_OK : err;
}

int fdt_cells(const struct fdt *fdt, uint32_t node, uint32_t *addr_cells, uint32_t *size_cells)
{
    if (read_u32_prop(fdt, node, "#address-cells", 2, addr_cells) != KEEL_OK ||
        read_u32_prop(fdt, node, "#size-cells", 1, size_cells) != KEEL_OK) {
        return KEEL_E_FDT_CELLS;
    }
    if (*addr_cells < 1 || *addr_cells > 2 || *size_cells > 2) {
        return KEEL_E_FDT_CELLS;
    }
    return KEEL_OK;
}

uint64_t fdt_read_cells(const uint8_t *p, uint32_t cells)
{
    if (cells == 0) {
        return 0;
    }
    return cells == 1 ? load_be32(p) : load_be64(p);
}

int fdt_prop_u64(const struct fdt_prop *prop, uint64_t *value)
{
    if (prop->len == 4) {
        *value = load_be32(prop->value);
    } else if (prop->len == 8) {
        *value = load_be64(prop->value);
    } else {
        return KEEL_E_FDT_PROP;
    }
    return KEEL_OK;
}

int fdt_reg(const struct fdt *fdt, const struct fdt_path *path, uint32_t index, uint64_t *base,
            uint64_t *size, uint32_t *count)
{
    struct fdt_prop prop;
    uint32_t ac, sc;
    *count = 0;
    if (path->depth < 2) {
        return KEEL_E_FDT_NOT_FOUND;
    }
    int err = fdt_cells(fdt, path->node[path->depth - 2], &ac, &sc);
    if (err != KEEL_OK) {
        return err;
    }
    if (!fdt_get_prop(fdt, path->node[path->depth - 1], "reg", &prop)) {
        return KEEL_E_FDT_NOT_FOUND;
    }
    uint32_t entry = (ac + sc) * 4;
    if (prop.len % entry != 0) {
        return KEEL_E_FDT_PROP;
    }
    *count = prop.len / entry;
    if (index >= *count) {
        return KEEL_E_FDT_NOT_FOUND;
    }
    const uint8_t *p = prop.value + (size_t)index * entry;
    *base = fdt_read_cells(p, ac);
    *size = fdt_read_cells(p + ac * 4, sc);
    return KEEL_OK;
}

int fdt_translate(const struct fdt *fdt, const struct fdt_path *path, uint64_t *addr)
{
    /* Bus i maps its children's addresses into the address space of bus i - 1. */
    for (uint32_t i = path->depth >= 2 ? path->depth - 2 : 0; i >= 1; i--) {
        uint32_t bus = path->node[i];
        uint32_t child_ac, child_sc, parent_ac, parent_sc;
        struct fdt_prop ranges;
        if (!fdt_get_prop(fdt, bus, "ranges", &ranges) || ranges.len == 0) {
            continue;
        }
        int err = fdt_cells(fdt, bus, &child_ac, &child_sc);
        if (err == KEEL_OK) {
            err = fdt_cells(fdt, path->node[i - 1], &parent_ac, &parent_sc);
        }
        if (err != KEEL_OK) {
            return err;
        }
        uint32_t entry = (child_ac + parent_ac + child_sc) * 4;
        if (ranges.len % entry != 0) {
            return KEEL_E_FDT_PROP;
        }
        bool mapped = false;
        for (uint32_t off = 0; off < ranges.len; off += entry) {
            const uint8_t *p = ranges.value + off;
            uint64_t child = fdt_read_cells(p, child_ac);
            uint64_t parent = fdt_read_cells(p + child_ac * 4, parent_ac);
            uint64_t size = fdt_read_cells(p + (child_ac + parent_ac) * 4, child_sc);
            if (*addr >= child && *addr - child < size) {
                *addr = parent + (*addr - child);
                mapped = true;
                break;
            }
        }
        if (!mapped) {
            return KEEL_E_FDT_NOT_FOUND;
        }
    }
    return KEEL_OK;
}
