/* SPDX-License-Identifier: MIT */
/* The cycle counter: the TSC, calibrated once against PIT channel 2. */
#include <stdint.h>

#include <keel/arch.h>
#include <x86/cpu.h>

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_MODE0_LOHI 0xb0 /* channel 2, low then high byte, mode 0, binary */

/* Port 0x61: bit 0 gates PIT channel 2, bit 1 drives the speaker, bit 5 reads OUT2. */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20

/* 10 ms: long enough for a stable ratio, short enough not to show in the boot time. */
#define CALIBRATE_TICKS (PIT_HZ / 100)

/*
 * Each port read is a few hundred nanoseconds on hardware and up to a few
 * microseconds under TCG; this bound is seconds, never reached unless the PIT is
 * missing, in which case the frequency stays unknown (0).
 */
#define OUT2_POLL_LIMIT 20000000u

static uint64_t tsc_hz;

uint64_t arch_cycles(void)
{
    return x86_rdtsc();
}

uint64_t arch_entry_cycles(void)
{
    return x86_entry_tsc;
}

uint64_t arch_cycles_per_second(void)
{
    return tsc_hz;
}

void x86_tsc_calibrate(void)
{
    uint8_t saved = x86_inb(PORT_B);

    /* Mode 0: OUT2 goes low when the mode is written and high when the count ends. */
    x86_outb(PORT_B, (uint8_t)((saved & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    x86_outb(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
    x86_outb(PIT_CH2_DATA, CALIBRATE_TICKS & 0xff);
    x86_outb(PIT_CH2_DATA, CALIBRATE_TICKS >> 8);

    uint64_t start = x86_rdtsc();
    unsigned i;
    for (i = 0; i < OUT2_POLL_LIMIT; i++) {
        if (x86_inb(PORT_B) & PORT_B_OUT2) {
            break;
        }
    }
    uint64_t end = x86_rdtsc();
    x86_outb(PORT_B, saved);

    if (i == OUT2_POLL_LIMIT || end <= start) {
        tsc_hz = 0;
        return;
    }
    tsc_hz = (end - start) * PIT_HZ / CALIBRATE_TICKS;
}
