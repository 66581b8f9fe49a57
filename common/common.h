/* SPDX-License-Identifier: MIT */
/* Declarations private to common/. */
#ifndef KEEL_COMMON_PRIVATE_H
#define KEEL_COMMON_PRIVATE_H

#include <stdnoreturn.h>

#include <keel/boot_info.h>

/* The common sequence after the shim (init.c). */
noreturn void keel_start(struct boot_info *bi);

#endif
