/* SPDX-License-Identifier: MIT */
/* Keel's own flattened-device-tree reader (boot/fdt.c): a validated blob, nodes, properties. */
#ifndef KEEL_BOOT_DEVICETREE_H
#define KEEL_BOOT_DEVICETREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nodes may nest this deep (the root is depth 1); deeper trees are rejected. */
#define FDT_MAX_DEPTH 32u

/*
 * Nodes whose subtree's end fdt_init records, in document order: enough for every board
 * tree seen so far (QEMU's virt has about 60 nodes). Past them, a sibling is found by
 * walking the subtree token by token, as for every node before this index existed.
 */
#define FDT_END_INDEX_MAX 256u

/*
 * A blob that passed fdt_init. Every token, name, property and string offset in it
 * was checked once, so the accessors below can walk it without failing.
 */
struct fdt {
    const uint8_t *blob;
    uint32_t total_size;
    uint32_t version;
    uint32_t boot_cpuid;
    const uint8_t *structure; /* the structure block */
    uint32_t struct_size;     /* up to and including the FDT_END token */
    const char *strings;
    uint32_t strings_size;
    const uint8_t *rsv; /* the memory-reservation block */
    uint32_t rsv_count; /* entries before the terminating one */
    /*
     * The first end_count nodes (structure offsets, ascending) and, for each, the offset
     * just past its FDT_END_NODE: fdt_next_sibling's skip over a subtree, found by a
     * binary search instead of a walk over every token below the node. Filled by
     * fdt_init's one pass over the structure, from tokens it has just checked.
     */
    uint32_t end_count;
    uint32_t end_node[FDT_END_INDEX_MAX];
    uint32_t end_after[FDT_END_INDEX_MAX];
};

/*
 * A node is named by the offset of its FDT_BEGIN_NODE token in the structure block
 * (the root is 0). A path remembers the chain of ancestors, because a reg property
 * is read with its parent's cell sizes and translated through the ancestors' ranges.
 */
struct fdt_path {
    uint32_t depth;               /* nodes in node[]; node[depth - 1] is the node itself */
    uint32_t node[FDT_MAX_DEPTH]; /* node[0] is the root */
};

struct fdt_prop {
    const char *name;
    const uint8_t *value;
    uint32_t len;
    uint32_t next; /* structure offset of the token after this property */
};

/* Validates the header and the whole structure block. Returns KEEL_OK or KEEL_E_FDT_*. */
int fdt_init(struct fdt *fdt, const void *blob, size_t avail);

/* Memory-reservation entry `index` (< rsv_count). */
void fdt_memreserve(const struct fdt *fdt, uint32_t index, uint64_t *base, uint64_t *size);

/* The node's name as stored ("" for the root, "memory@40000000" for others). */
const char *fdt_node_name(const struct fdt *fdt, uint32_t node);

/* Children, in document order: false when there is none (left). */
bool fdt_first_child(const struct fdt *fdt, uint32_t node, uint32_t *child);
bool fdt_next_sibling(const struct fdt *fdt, uint32_t node, uint32_t *sibling);

/* Properties, in document order: false when there is none (left). */
bool fdt_first_prop(const struct fdt *fdt, uint32_t node, struct fdt_prop *prop);
bool fdt_next_prop(const struct fdt *fdt, struct fdt_prop *prop);

/* The property `name` of `node`; false when absent. */
bool fdt_get_prop(const struct fdt *fdt, uint32_t node, const char *name, struct fdt_prop *prop);

/* A property's value as a NUL-terminated string, or NULL when it is not one. */
const char *fdt_prop_string(const struct fdt_prop *prop);

/* True when a string-list property contains `str` (as used by compatible). */
bool fdt_prop_has_string(const struct fdt_prop *prop, const char *str);

/* True when the node's status is absent, "okay" or "ok". */
bool fdt_node_enabled(const struct fdt *fdt, uint32_t node);

/* A /memory node: device_type "memory", or without device_type a name "memory[@...]". */
bool fdt_is_memory_node(const struct fdt *fdt, uint32_t node);

/*
 * The path of `child` below the first `parent_depth` nodes of `parent` (the child's
 * parent is parent->node[parent_depth - 1]): what fdt_reg and fdt_translate take.
 * parent_depth must be below FDT_MAX_DEPTH.
 */
void fdt_path_child(struct fdt_path *path, uint32_t parent_depth, const struct fdt_path *parent,
                    uint32_t child);

/* Pre-order walk over all nodes: start with path->depth = 0; false at the end. */
bool fdt_walk_next(const struct fdt *fdt, struct fdt_path *path);

/*
 * Looks up `path` (`len` bytes, not necessarily NUL-terminated): an absolute path
 * ("/cpus/cpu@0"; a component without a unit address also matches "name@addr") or
 * an alias from /aliases optionally followed by "/rest". Returns KEEL_OK or
 * KEEL_E_FDT_NOT_FOUND.
 */
int fdt_find_path(const struct fdt *fdt, const char *path, size_t len, struct fdt_path *out);

/* The value /aliases gives for `name` (`len` bytes), or NULL. */
const char *fdt_alias(const struct fdt *fdt, const char *name, size_t len);

/*
 * The node's #address-cells and #size-cells (for its children's reg), defaulting to
 * 2 and 1 as the Devicetree specification says. Returns KEEL_E_FDT_CELLS when
 * #address-cells is not 1 or 2, or #size-cells is not 0, 1 or 2.
 */
int fdt_cells(const struct fdt *fdt, uint32_t node, uint32_t *addr_cells, uint32_t *size_cells);

/* Reads `cells` (1 or 2) big-endian 32-bit cells. */
uint64_t fdt_read_cells(const uint8_t *p, uint32_t cells);

/* Reads a property holding one 32-bit or one 64-bit value; KEEL_E_FDT_PROP otherwise. */
int fdt_prop_u64(const struct fdt_prop *prop, uint64_t *value);

/*
 * The node's property `name` holding exactly one 32-bit cell. KEEL_E_FDT_NOT_FOUND
 * without it, KEEL_E_FDT_PROP for another length; *value is only written on success.
 */
int fdt_get_u32(const struct fdt *fdt, uint32_t node, const char *name, uint32_t *value);

/*
 * Entry `index` of the reg property of path's last node, read with its parent's cell
 * sizes. *count receives the number of entries. Returns KEEL_E_FDT_NOT_FOUND without
 * reg or past the last entry, KEEL_E_FDT_PROP when reg's length is not a whole
 * number of entries, KEEL_E_FDT_CELLS for bad cell sizes.
 */
int fdt_reg(const struct fdt *fdt, const struct fdt_path *path, uint32_t index, uint64_t *base,
            uint64_t *size, uint32_t *count);

/*
 * Translates a bus address of path's last node to a CPU physical address through the
 * ranges of its ancestors. An ancestor without a ranges property is taken as a 1:1
 * map, a leniency for hand-written trees. Returns KEEL_E_FDT_NOT_FOUND when no
 * ranges entry covers the address.
 */
int fdt_translate(const struct fdt *fdt, const struct fdt_path *path, uint64_t *addr);

#endif
