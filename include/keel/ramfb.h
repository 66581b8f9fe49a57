/* SPDX-License-Identifier: MIT */
/* QEMU's ramfb display: Keel's own framebuffer where the loader gave none (common/ramfb.c). */
#ifndef KEEL_RAMFB_H
#define KEEL_RAMFB_H

#include <keel/boot_info.h>

/* The mode Keel asks ramfb for: XRGB8888, so 4 bytes a pixel. */
#define RAMFB_WIDTH 1024u
#define RAMFB_HEIGHT 768u

/*
 * Runs right after the shim, on the boot identity map, before the memory sequence. When
 * the DTB named a fw_cfg device (bi->fw_cfg_base) and no framebuffer is known yet, and
 * QEMU offers "etc/ramfb" (-device ramfb), takes RAMFB_WIDTH x RAMFB_HEIGHT x 4 bytes
 * of RAM below 4 GiB (bi_reserve_framebuffer), hands them to ramfb through the fw_cfg
 * DMA interface and fills bi->framebuffer (source BI_FB_RAMFB). The pixels are not
 * cleared.
 *
 * Returns KEEL_OK both when the framebuffer was set up and when there is nothing to do
 * (no fw_cfg, a framebuffer already, no DMA interface or no ramfb device):
 * bi->framebuffer.source says which.
 * Otherwise a keel_err, and bi->framebuffer is unchanged: the caller warns and boots on
 * serial. Every register poll is bounded. Only the MMIO fw_cfg is driven (QEMU's Arm,
 * RISC-V and LoongArch boards), not the x86 port-I/O one.
 */
int ramfb_setup(struct boot_info *bi);

#endif
