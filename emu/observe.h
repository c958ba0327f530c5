/*
 * observe.h - privileged-instruction sites found in the kernel (observe.c).
 */
#ifndef EMU_OBSERVE_H
#define EMU_OBSERVE_H

#include <stdint.h>

enum observe_kind {
    OBS_INVLPG,
    OBS_MOV_CR,
    OBS_WRMSR,
    OBS_INVPCID,
    OBS_DESCRIPTOR, /* LGDT, LIDT, LLDT, LTR */
    OBS_PRIVILEGE,  /* IRET, SYSRET, far RET: the CPL may change */
    OBS_RDTSC,      /* RDTSC, RDTSCP: emulated with virtual time (tsc.c) */
    OBS_COUNT
};

struct observe_site {
    uint64_t va;
    uint8_t size;
    uint8_t kind;       /* enum observe_kind */
    /* INVLPG's and INVPCID's memory operand (Capstone register ids). */
    int base, index, segment;
    int scale;
    int64_t disp;
    /* MOV to CRn: n and the source register; INVPCID: the type register. */
    int src;
    uint8_t cr;
};

const char *observe_kind_name(enum observe_kind k);

#endif /* EMU_OBSERVE_H */
