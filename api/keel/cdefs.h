/* SPDX-License-Identifier: MIT */
/* What lets Keel's public headers read the same as C11 and as C++. */
#ifndef KEEL_CDEFS_H
#define KEEL_CDEFS_H

/* Keel is C: its functions have C linkage in a C++ kernel too. */
#ifdef __cplusplus
#define KEEL_BEGIN_DECLS extern "C" {
#define KEEL_END_DECLS }
#else
#define KEEL_BEGIN_DECLS
#define KEEL_END_DECLS
#endif

/* A function that never returns, and a layout fact checked at compile time. */
#ifdef __cplusplus
#define KEEL_NORETURN [[noreturn]]
#define KEEL_STATIC_ASSERT(cond, why) static_assert(cond, why)
#else
#define KEEL_NORETURN _Noreturn
#define KEEL_STATIC_ASSERT(cond, why) _Static_assert(cond, why)
#endif

/* printf-style argument checking, on gcc and clang alike. */
#define KEEL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#endif
