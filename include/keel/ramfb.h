/* SPDX-License-Identifier: MIT */
/* QEMU's ramfb display: the mode Keel asks for where the loader gave no framebuffer. */
#ifndef KEEL_RAMFB_H
#define KEEL_RAMFB_H

/*
 * The ramfb driver (drivers/fb/ramfb.c) is reached through the framebuffer driver
 * table (include/keel/fb.h) like every other; its mode is public because the host
 * memory sequence test reserves what the driver takes: XRGB8888, so 4 bytes a pixel.
 */
#define RAMFB_WIDTH 1024u
#define RAMFB_HEIGHT 768u

#endif
