/*
 * walkdiff.c - `mmulab selftest walk`: our walker against QEMU's walker and
 * against the SDM rules oracle, on random cases (see walkcase.h).
 *
 * For every case:
 *   ours vs oracle: outcome, error code, CR2, physical address, and every
 *                   byte of the paging structures afterwards (A/D flags);
 *                   then the same again as an implicit supervisor access
 *                   (QEMU cannot be asked for one);
 *   ours vs QEMU:   outcome, CR2, physical address, and every byte of the
 *                   paging structures afterwards.
 * Where QEMU departs from the SDM the case is counted as a documented
 * divergence (docs/mmu.md lists them), never silently: a difference that
 * does not match a documented divergence exactly is a mismatch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/cli.h"
#include "emu/commands.h"
#include "emu/selftest/qemu.h"
#include "emu/selftest/walkcase.h"
#include "shared/x86.h"

enum { OPT_SEED = 1, OPT_CASES, OPT_MODE, OPT_SHOW };

static const struct cli_option options[] = {
    { "seed", "S", OPT_SEED, "random seed (default 1); a seed reproduces every case" },
    { "cases", "N", OPT_CASES, "cases per paging mode (default 100000)" },
    { "mode", "M", OPT_MODE, "legacy, pae, 4level, 5level or all (default all)" },
    { "show", "K", OPT_SHOW, "print the first K mismatches in full (default 5)" },
    { NULL, NULL, 0, NULL },
};

static const struct cli_command command = {
    .name = "selftest walk",
    .usage = "[--seed S] [--cases N] [--mode legacy|pae|4level|5level|all] [--show K]",
    .summary =
        "Generates random page-table hierarchies (random present, R/W, U/S, PS, XD,\n"
        "A, D, protection-key and reserved bits, large pages, shared and recursive\n"
        "tables) and random CPU states (CR0.WP, CR4.PSE/PAE/LA57/SMEP/SMAP/PKE,\n"
        "EFER.NXE, CPL, RFLAGS.AC, PKRU), performs one read, write or fetch, and\n"
        "compares mmulab's walker with QEMU's (run by Unicorn on the same memory)\n"
        "and with an independent SDM rules oracle: fault or not, physical address,\n"
        "CR2, error code and accessed/dirty flags.  Cases where QEMU departs from the\n"
        "SDM are counted as documented divergences.  Ends with 'N cases, M mismatches';\n"
        "exits 1 if M > 0.",
    .options = options,
};

/* Why a case did not simply agree. */
enum verdict {
    AGREE,
    DIV_PDPTE_GP,   /* SDM: MOV CR3 faults on a reserved PDPTE bit; QEMU loads it */
    DIV_QEMU_1G_A,  /* QEMU sets A in a 1 GB leaf before its checks, even on a fault */
    MISMATCH,
    NVERDICTS
};

static const char *const verdict_name[NVERDICTS] = {
    [AGREE] = "agree",
    [DIV_PDPTE_GP] = "divergence: PAE PDPTE with a reserved bit (SDM: #GP at MOV CR3)",
    [DIV_QEMU_1G_A] = "divergence: QEMU sets A in a faulting 1 GB leaf",
    [MISMATCH] = "mismatch",
};

struct diff {
    enum mmu_mode mode;
    uint64_t seed;
    struct qemu_engine *q;
    uint8_t *master, *ours, *oracle, *ours2, *oracle2;
    struct mmu m;
    uint64_t counts[NVERDICTS];
    uint64_t pa_unobserved;   /* translated into the low image: checked by value */
    uint64_t qemu_kinds[5];   /* outcomes QEMU reported, by enum qemu_kind */
    uint64_t reasons[MMU_WHY_COUNT]; /* our walker's outcomes (coverage) */
    uint64_t sizes[4];        /* translations by page size: 4K, 2M, 4M, 1G */
    uint64_t shown, show;
    /* The case being judged. */
    struct walk_case c;
    struct mmu_walk w;
    bool ours_gp_pdpte;
    struct oracle_result orc;
    struct qemu_outcome qo;
    char why[256];
};

/* ---- our walker's view of memory: the low image, zero beyond it ---- */

static bool zero_read(void *ctx, uint64_t pa, void *buf, unsigned len)
{
    (void)ctx, (void)pa;
    memset(buf, 0, len);
    return true;
}

static bool drop_write(void *ctx, uint64_t pa, const void *buf, unsigned len)
{
    (void)ctx, (void)pa, (void)buf, (void)len;
    return true;
}

static void ours_translate(struct diff *d, uint8_t *image, unsigned flags)
{
    struct mmu_features f = { .maxphyaddr = WC_MAXPHYADDR, .pse36 = true, .gbpages = true };
    struct mmu_walk gp;
    mmu_init(&d->m, &f, &(struct mmu_pmem){ .ram = image, .ram_size = WC_LOW_SIZE,
                                           .read = zero_read, .write = drop_write });
    d->ours_gp_pdpte = !mmu_set_regs(&d->m, &d->c.regs, &gp);
    if (d->ours_gp_pdpte) {
        d->w = gp;
        return;
    }
    mmu_set_privilege(&d->m, d->c.cpl, d->c.ac, d->c.pkru);
    mmu_translate(&d->m, d->c.va, d->c.access, flags, &d->w);
}

static uint64_t va_mask(const struct walk_case *c)
{
    return c->mode >= MMU_MODE_4LEVEL ? ~0ull : 0xffffffffull;
}

/* ---- comparisons ---- */

static bool same_pages(const struct walk_case *c, const uint8_t *a, const uint8_t *b)
{
    for (unsigned i = 0; i < c->npages; i++)
        if (memcmp(a + c->pages[i], b + c->pages[i], 0x1000))
            return false;
    return true;
}

/* Ours against the oracle: everything must be equal. */
static bool ours_vs_oracle(struct diff *d, const uint8_t *ours, const uint8_t *oracle,
                           const char *what)
{
    const struct mmu_walk *w = &d->w;
    const struct oracle_result *o = &d->orc;
    const char *err = NULL;
    if (d->ours_gp_pdpte) {
        if (o->kind != ORACLE_GP_PDPTE)
            err = "ours: #GP loading PDPTEs; oracle: not";
    } else if (o->kind == ORACLE_GP_PDPTE) {
        err = "oracle: #GP loading PDPTEs; ours: not";
    } else if (w->fault == MMU_FAULT_NONE) {
        if (o->kind != ORACLE_OK)
            err = "ours translates; the oracle faults";
        else if (w->pa != o->pa)
            err = "physical addresses differ";
    } else if (w->fault == MMU_FAULT_GP) {
        if (o->kind != ORACLE_GP_CANONICAL)
            err = "ours: #GP (non-canonical); oracle: not";
    } else if (w->fault == MMU_FAULT_PF) {
        if (o->kind != ORACLE_PF)
            err = "ours: #PF; oracle: not";
        else if (w->error_code != o->error_code)
            err = "error codes differ";
        else if (w->cr2 != (d->c.va & va_mask(&d->c)))
            err = "CR2 is not the address";
    } else {
        err = "ours: bus error";
    }
    if (!err && !same_pages(&d->c, ours, oracle))
        err = "paging structures differ afterwards (A/D flags)";
    if (err)
        snprintf(d->why, sizeof d->why, "%s: %s", what, err);
    return !err;
}

/* Does the low image differ from ours only by QEMU's A flag in a faulting 1 GB leaf? */
static bool only_1g_leaf_a(const struct diff *d, const uint8_t *ours, const uint8_t *qemu)
{
    const struct mmu_walk *w = &d->w;
    if (w->fault != MMU_FAULT_PF || w->why == MMU_WHY_NOT_PRESENT || !w->nsteps)
        return false;
    const struct mmu_step *s = &w->step[w->nsteps - 1];
    if (s->level != MMU_PDPTE || !(s->value & X86_PTE_PS) || (s->value & X86_PTE_A))
        return false;
    uint64_t q, o;
    memcpy(&q, qemu + s->entry_pa, 8);
    memcpy(&o, ours + s->entry_pa, 8);
    if ((q ^ o) != X86_PTE_A)
        return false;
    /* Everything else identical. */
    bool same = true;
    for (unsigned i = 0; i < d->c.npages && same; i++) {
        uint64_t p = d->c.pages[i];
        if (s->entry_pa >= p && s->entry_pa < p + 0x1000) {
            same = memcmp(ours + p, qemu + p, s->entry_pa - p) == 0 &&
                   memcmp(ours + s->entry_pa + 8, qemu + s->entry_pa + 8,
                          p + 0x1000 - s->entry_pa - 8) == 0;
        } else {
            same = memcmp(ours + p, qemu + p, 0x1000) == 0;
        }
    }
    return same;
}

static enum verdict ours_vs_qemu(struct diff *d)
{
    const struct mmu_walk *w = &d->w;
    const struct qemu_outcome *q = &d->qo;
    const uint8_t *qlow = qemu_engine_low(d->q);
    const char *err = NULL;
    bool whole_low = false;
    unsigned width = d->c.mode >= MMU_MODE_4LEVEL ? 8 : 4;

    switch (q->kind) {
    case QEMU_PF:
        if (w->fault != MMU_FAULT_PF)
            err = "QEMU: #PF; ours: not";
        else if (q->cr2 != w->cr2)
            err = "CR2 differs";
        break;
    case QEMU_GP:
        if (w->fault != MMU_FAULT_GP)
            err = "QEMU: #GP; ours: not";
        break;
    case QEMU_OK:
        if (w->fault != MMU_FAULT_NONE)
            err = "QEMU translates; ours faults";
        else if (q->pa != w->pa)
            err = "physical addresses differ";
        break;
    case QEMU_OK_LOW:
        /* No address to observe: check what was read or written there. */
        if (w->fault != MMU_FAULT_NONE) {
            err = "QEMU translates (into table memory); ours faults";
        } else if (w->pa + width > WC_LOW_SIZE) {
            err = "QEMU's access landed in table memory; ours did not";
        } else if (d->c.access == MMU_READ) {
            uint64_t v = 0;
            memcpy(&v, d->ours + w->pa, width);
            if (v != (width == 8 ? q->rax : (uint32_t)q->rax))
                err = "QEMU read a different value (from a different address)";
        } else if (d->c.access == MMU_WRITE) {
            memcpy(d->ours + w->pa, &d->c.data, width);
            whole_low = true;
        }
        d->pa_unobserved++;
        break;
    case QEMU_HARNESS:
        snprintf(d->why, sizeof d->why, "harness failure: exception %d, %s", q->intno,
                 uc_strerror(q->err));
        return MISMATCH;
    }
    if (!err) {
        bool same = whole_low ? memcmp(d->ours, qlow, WC_LOW_SIZE) == 0
                              : same_pages(&d->c, d->ours, qlow);
        if (!same) {
            if (!whole_low && only_1g_leaf_a(d, d->ours, qlow))
                return DIV_QEMU_1G_A;
            err = "paging structures differ afterwards";
        }
    }
    if (err) {
        snprintf(d->why, sizeof d->why, "QEMU: %s", err);
        return MISMATCH;
    }
    return AGREE;
}

/* ---- reporting ---- */

static void print_diffs(const struct diff *d, const uint8_t *other, const char *name)
{
    unsigned width = d->c.mode == MMU_MODE_LEGACY ? 4 : 8, shown = 0;
    for (unsigned i = 0; i < d->c.npages; i++) {
        for (uint64_t pa = d->c.pages[i]; pa < d->c.pages[i] + 0x1000; pa += width) {
            uint64_t a = 0, b = 0, m = 0;
            memcpy(&a, d->ours + pa, width);
            memcpy(&b, other + pa, width);
            memcpy(&m, d->master + pa, width);
            if (a == b || shown++ >= 8)
                continue;
            printf("    entry @ 0x%" PRIx64 ": before 0x%" PRIx64 ", ours 0x%" PRIx64
                   ", %s 0x%" PRIx64 "\n", pa, m, a, name, b);
        }
    }
}

static void show(struct diff *d, uint64_t index, const uint8_t *other, const char *name)
{
    if (d->shown++ >= d->show)
        return;
    printf("\nmismatch in %s case %" PRIu64 " (seed %" PRIu64 "): %s\n", mmu_mode_name(d->mode),
           index, d->seed, d->why);
    wc_print(stdout, &d->c);
    printf("  ours:\n");
    mmu_walk_print(stdout, &d->w);
    printf("  oracle: %s, error code 0x%x, PA 0x%" PRIx64 "\n",
           (const char *[]){ "translates", "#PF", "#GP (non-canonical)", "#GP (PDPTE)",
                             "bus error" }[d->orc.kind],
           d->orc.error_code, d->orc.pa);
    printf("  QEMU: %s, PA 0x%" PRIx64 ", CR2 0x%" PRIx64 ", exception %d\n",
           (const char *[]){ "translates", "translates into table memory", "#PF", "#GP",
                             "harness failure" }[d->qo.kind],
           d->qo.pa, d->qo.cr2, d->qo.intno);
    if (other)
        print_diffs(d, other, name);
}

/* ---- one case ---- */

static void count_coverage(struct diff *d)
{
    const struct mmu_walk *w = &d->w;
    d->reasons[d->ours_gp_pdpte ? MMU_WHY_PDPTE : w->why]++;
    if (!d->ours_gp_pdpte && w->fault == MMU_FAULT_NONE)
        d->sizes[w->page_size == X86_PAGE_4K ? 0 : w->page_size == X86_PAGE_2M ? 1
                 : w->page_size == X86_PAGE_4M ? 2 : 3]++;
}

static void print_coverage(const struct diff *d)
{
    static const char *const size_names[4] = { "4 KB", "2 MB", "4 MB", "1 GB" };
    static const char *const why_names[MMU_WHY_COUNT] = {
        [MMU_WHY_NOT_PRESENT] = "not present", [MMU_WHY_RESERVED] = "reserved bit",
        [MMU_WHY_USER] = "U/S", [MMU_WHY_READ_ONLY] = "R/W", [MMU_WHY_NX] = "XD",
        [MMU_WHY_SMEP] = "SMEP", [MMU_WHY_SMAP] = "SMAP", [MMU_WHY_PKEY] = "PKRU",
        [MMU_WHY_NON_CANONICAL] = "non-canonical", [MMU_WHY_PDPTE] = "PDPTE load",
    };
    printf("%15s ours: translated", "");
    for (int i = 0; i < 4; i++)
        if (d->sizes[i])
            printf(" %s %" PRIu64, size_names[i], d->sizes[i]);
    printf(";\n%15s       faulted", "");
    for (int i = MMU_WHY_NOT_PRESENT; i < MMU_WHY_COUNT; i++)
        if (d->reasons[i])
            printf(" %s %" PRIu64 ",", why_names[i] ? why_names[i] : "?", d->reasons[i]);
    printf("\n");
}

static void run_case(struct diff *d, uint64_t index)
{
    struct walk_case *c = &d->c;
    const uint8_t *qlow = qemu_engine_low(d->q);

    wc_generate(d->seed, d->mode, index, d->master, c);
    wc_copy(c, d->ours, d->master);
    wc_copy(c, d->oracle, d->master);
    qemu_engine_load(d->q, c, d->master);

    /* 1. Ours against the oracle, as an explicit access. */
    ours_translate(d, d->ours, 0);
    count_coverage(d);
    oracle_translate(c, false, d->oracle, &d->orc);
    enum verdict v = AGREE;
    if (!ours_vs_oracle(d, d->ours, d->oracle, "oracle")) {
        v = MISMATCH;
        show(d, index, d->oracle, "oracle");
    }

    /* 2. Ours against QEMU. */
    if (v == AGREE) {
        if (d->ours_gp_pdpte) {
            v = DIV_PDPTE_GP; /* the oracle agreed with us above */
        } else {
            qemu_engine_run(d->q, c, &d->qo);
            d->qemu_kinds[d->qo.kind]++;
            v = ours_vs_qemu(d);
            if (v == MISMATCH)
                show(d, index, qlow, "QEMU");
        }
    }

    /* 3. Ours against the oracle, as an implicit supervisor access. */
    if (v != MISMATCH && c->access != MMU_FETCH) {
        struct oracle_result keep = d->orc;
        wc_copy(c, d->ours2, d->master);
        wc_copy(c, d->oracle2, d->master);
        ours_translate(d, d->ours2, MMU_IMPLICIT);
        oracle_translate(c, true, d->oracle2, &d->orc);
        if (!ours_vs_oracle(d, d->ours2, d->oracle2, "oracle (implicit access)")) {
            v = MISMATCH;
            show(d, index, NULL, NULL);
        }
        d->orc = keep;
        wc_clear(c, d->ours2);
        wc_clear(c, d->oracle2);
    }
    d->counts[v]++;

    if (d->qo.kind == QEMU_OK_LOW && c->access == MMU_WRITE) {
        memset(d->ours, 0, WC_LOW_SIZE);
        qemu_engine_zero(d->q, 0, WC_LOW_SIZE);
    } else {
        for (unsigned i = 0; i < c->npages; i++)
            qemu_engine_zero(d->q, c->pages[i], 0x1000);
    }
    d->qo.kind = QEMU_OK;
    wc_clear(c, d->master);
    wc_clear(c, d->ours);
    wc_clear(c, d->oracle);
}

static uint8_t *image(void)
{
    uint8_t *p = calloc(1, WC_LOW_SIZE);
    if (!p) {
        fprintf(stderr, "mmulab selftest walk: out of memory\n");
        exit(1);
    }
    return p;
}

static const char *const mode_choices[] = { "legacy", "pae", "4level", "5level", "all", NULL };

int cmd_selftest_walk(int argc, char **argv)
{
    struct cli cl;
    uint64_t seed = 1, cases = 100000, show_max = 5;
    int mode_choice = 4;
    cli_begin(&cl, &command, argc, argv);
    for (int id; (id = cli_next(&cl));) {
        switch (id) {
        case OPT_SEED: seed = cli_u64(&cl, 0, UINT64_MAX); break;
        case OPT_CASES: cases = cli_u64(&cl, 1, 100000000); break;
        case OPT_MODE: mode_choice = cli_choice(&cl, mode_choices); break;
        case OPT_SHOW: show_max = cli_u64(&cl, 0, 1000); break;
        }
    }
    if (cl.i < argc)
        cli_usage_error(&cl, "unexpected argument '%s'", argv[cl.i]);

    static const enum mmu_mode modes[] = { MMU_MODE_LEGACY, MMU_MODE_PAE, MMU_MODE_4LEVEL,
                                           MMU_MODE_5LEVEL };
    struct qemu_engine *engines[2] = { NULL, NULL };
    uint64_t total = 0, mismatches = 0;
    bool progress = isatty(STDERR_FILENO);
    struct diff *d = calloc(1, sizeof *d);
    d->master = image(), d->ours = image(), d->oracle = image();
    d->ours2 = image(), d->oracle2 = image();
    d->seed = seed;
    d->show = show_max;

    for (unsigned mi = 0; mi < 4; mi++) {
        if (mode_choice != 4 && (unsigned)mode_choice != mi)
            continue;
        bool longmode = modes[mi] >= MMU_MODE_4LEVEL;
        if (!engines[longmode]) {
            char err[256];
            engines[longmode] = qemu_engine_new(longmode, err, sizeof err);
            if (!engines[longmode]) {
                fprintf(stderr, "mmulab selftest walk: cannot set up Unicorn: %s\n", err);
                return 1;
            }
        }
        d->q = engines[longmode];
        d->mode = modes[mi];
        memset(d->counts, 0, sizeof d->counts);
        memset(d->qemu_kinds, 0, sizeof d->qemu_kinds);
        memset(d->reasons, 0, sizeof d->reasons);
        memset(d->sizes, 0, sizeof d->sizes);
        d->pa_unobserved = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (uint64_t i = 0; i < cases; i++) {
            run_case(d, i);
            if (progress && i % 4096 == 0)
                fprintf(stderr, "\r  %s: %" PRIu64 "/%" PRIu64 " ", mmu_mode_name(d->mode), i,
                        cases);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (progress)
            fprintf(stderr, "\r%60s\r", "");
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("%-15s %8" PRIu64 " cases in %5.1f s: %" PRIu64 " agree, %" PRIu64
               " mismatches\n", mmu_mode_name(d->mode), cases, secs, d->counts[AGREE],
               d->counts[MISMATCH]);
        for (int v = DIV_PDPTE_GP; v < MISMATCH; v++)
            if (d->counts[v])
                printf("%15s %8" PRIu64 " %s\n", "", d->counts[v], verdict_name[v]);
        printf("%15s QEMU: %" PRIu64 " translated (address observed), %" PRIu64
               " into table memory (checked by value), %" PRIu64 " #PF, %" PRIu64 " #GP\n", "",
               d->qemu_kinds[QEMU_OK], d->qemu_kinds[QEMU_OK_LOW], d->qemu_kinds[QEMU_PF],
               d->qemu_kinds[QEMU_GP]);
        print_coverage(d);
        total += cases;
        mismatches += d->counts[MISMATCH];
    }
    printf("%" PRIu64 " cases, %" PRIu64 " mismatches\n", total, mismatches);

    for (int i = 0; i < 2; i++)
        qemu_engine_free(engines[i]);
    free(d->master), free(d->ours), free(d->oracle), free(d->ours2), free(d->oracle2);
    free(d);
    return mismatches ? 1 : 0;
}
