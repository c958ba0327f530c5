/*
 * qemu.h - run walk cases on QEMU's page walker (see qemu.c).
 */
#ifndef EMU_SELFTEST_QEMU_H
#define EMU_SELFTEST_QEMU_H

#include <stddef.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

#include "emu/selftest/walkcase.h"

enum qemu_kind {
    QEMU_OK,       /* translated; pa is where the access went */
    QEMU_OK_LOW,   /* translated into the low image: pa not observable */
    QEMU_PF,       /* #PF, cr2 */
    QEMU_GP,       /* #GP */
    QEMU_HARNESS,  /* the harness itself failed: an unexpected exception or error */
};

struct qemu_outcome {
    enum qemu_kind kind;
    uint64_t pa;
    uint64_t cr2;
    uint64_t rax;  /* what a read returned */
    int intno;     /* exception vector, or -1 */
    uc_err err;
};

struct qemu_engine;

/* One engine per family: long mode (4- and 5-level) or 32-bit (legacy, PAE). */
struct qemu_engine *qemu_engine_new(bool longmode, char *err, size_t len);
void qemu_engine_free(struct qemu_engine *q);

/* The engine's guest-physical [0, WC_LOW_SIZE), to compare after a run. */
const uint8_t *qemu_engine_low(const struct qemu_engine *q);

/* Write the pages of case c from image into the engine's memory. */
void qemu_engine_load(struct qemu_engine *q, const struct walk_case *c, const uint8_t *image);

/* Zero [pa, pa + len) of the engine's memory (page multiples). */
void qemu_engine_zero(struct qemu_engine *q, uint64_t pa, uint64_t len);

/* Run case c (after qemu_engine_load). */
void qemu_engine_run(struct qemu_engine *q, const struct walk_case *c, struct qemu_outcome *out);

#endif /* EMU_SELFTEST_QEMU_H */
