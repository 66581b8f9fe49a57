/* SPDX-License-Identifier: MIT */
/* fbcon-render: runs the kernel's framebuffer console on a host buffer and writes a PPM. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fbcon.h>

static const char usage[] =
    "usage: fbcon-render --width W --height H --pitch P --bpp B --red POS:SIZE\n"
    "                    --green POS:SIZE --blue POS:SIZE [--chunk N] TEXTFILE OUT.ppm\n"
    "Feeds TEXTFILE's bytes to common/fbcon.c (in N-byte writes; default: one write) on a\n"
    "W x H framebuffer and writes the visible screen as a binary PPM (P6, 8-bit RGB).\n";

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "fbcon-render: %s%s%s\n", msg, arg != NULL ? ": " : "", arg != NULL ? arg : "");
    exit(2);
}

static unsigned long parse_num(const char *s, unsigned long max, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v > max) {
        die("bad number for", what);
    }
    return v;
}

static void parse_field(const char *s, uint8_t *pos, uint8_t *size, const char *what)
{
    char buf[32];
    if (strlen(s) >= sizeof(buf)) {
        die("bad POS:SIZE for", what);
    }
    strcpy(buf, s);
    char *colon = strchr(buf, ':');
    if (colon == NULL) {
        die("expected POS:SIZE for", what);
    }
    *colon = '\0';
    *pos = (uint8_t)parse_num(buf, 255, what);
    *size = (uint8_t)parse_num(colon + 1, 255, what);
}

/* A field of a packed pixel, scaled back to 8 bits (the inverse of fbcon_pack_rgb). */
static uint8_t unpack(uint32_t px, uint8_t pos, uint8_t size)
{
    uint32_t max = (UINT32_C(1) << size) - 1;
    uint32_t v = (px >> pos) & max;
    return (uint8_t)((v * 255u + max / 2) / max);
}

int main(int argc, char **argv)
{
    struct bi_framebuffer fb = {0};
    const char *paths[2] = {NULL, NULL};
    int npaths = 0;
    unsigned long chunk = 0;
    unsigned seen = 0;

    fb.source = BI_FB_NONE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            if (npaths == 2) {
                die("too many file arguments", a);
            }
            paths[npaths++] = a;
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            die("missing value after", a);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--width") == 0) {
            fb.width = (uint32_t)parse_num(v, UINT32_MAX, a);
            seen |= 1;
        } else if (strcmp(a, "--height") == 0) {
            fb.height = (uint32_t)parse_num(v, UINT32_MAX, a);
            seen |= 2;
        } else if (strcmp(a, "--pitch") == 0) {
            fb.pitch = (uint32_t)parse_num(v, UINT32_MAX, a);
            seen |= 4;
        } else if (strcmp(a, "--bpp") == 0) {
            fb.bpp = (uint8_t)parse_num(v, 255, a);
            seen |= 8;
        } else if (strcmp(a, "--red") == 0) {
            parse_field(v, &fb.red_pos, &fb.red_size, a);
            seen |= 16;
        } else if (strcmp(a, "--green") == 0) {
            parse_field(v, &fb.green_pos, &fb.green_size, a);
            seen |= 32;
        } else if (strcmp(a, "--blue") == 0) {
            parse_field(v, &fb.blue_pos, &fb.blue_size, a);
            seen |= 64;
        } else if (strcmp(a, "--chunk") == 0) {
            chunk = parse_num(v, SIZE_MAX, a);
        } else {
            die("unknown option", a);
        }
    }
    if (seen != 127 || npaths != 2) {
        fputs(usage, stderr);
        return 2;
    }

    size_t fb_bytes = (size_t)fb.pitch * fb.height;
    uint8_t *pixels = malloc(fb_bytes > 0 ? fb_bytes : 1);
    if (pixels == NULL) {
        die("out of memory", NULL);
    }
    /* Whatever the loader left behind; fbcon_init clears the visible part. */
    memset(pixels, 0x5a, fb_bytes);

    struct fbcon con;
    int err = fbcon_init(&con, &fb, pixels);
    if (err != KEEL_OK) {
        fprintf(stderr, "fbcon-render: error: %s\n", keel_strerror(err));
        return 1;
    }

    FILE *in = fopen(paths[0], "rb");
    if (in == NULL) {
        die(strerror(errno), paths[0]);
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        size_t step = chunk == 0 ? n : chunk;
        for (size_t off = 0; off < n; off += step) {
            fbcon_write(&con, buf + off, n - off < step ? n - off : step);
        }
    }
    if (ferror(in)) {
        die("read error", paths[0]);
    }
    fclose(in);

    FILE *out = fopen(paths[1], "wb");
    if (out == NULL) {
        die(strerror(errno), paths[1]);
    }
    fprintf(out, "P6\n%u %u\n255\n", fb.width, fb.height);
    uint32_t bytes_pp = fb.bpp / 8u;
    uint8_t *line = malloc((size_t)fb.width * 3);
    if (line == NULL) {
        die("out of memory", NULL);
    }
    for (uint32_t y = 0; y < fb.height; y++) {
        const uint8_t *p = pixels + (size_t)y * fb.pitch;
        for (uint32_t x = 0; x < fb.width; x++, p += bytes_pp) {
            uint32_t px = 0;
            for (uint32_t k = 0; k < bytes_pp; k++) {
                px |= (uint32_t)p[k] << (8 * k);
            }
            line[3 * x + 0] = unpack(px, fb.red_pos, fb.red_size);
            line[3 * x + 1] = unpack(px, fb.green_pos, fb.green_size);
            line[3 * x + 2] = unpack(px, fb.blue_pos, fb.blue_size);
        }
        if (fwrite(line, 3, fb.width, out) != fb.width) {
            die("write error", paths[1]);
        }
    }
    if (fclose(out) != 0) {
        die("write error", paths[1]);
    }
    free(line);
    free(pixels);
    return 0;
}
