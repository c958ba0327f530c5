/*
 * bptab.c - breakpoint and watchpoint tables (see bptab.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/gdbstub/bptab.h"

void gdb_bptab_init(struct gdb_bptab *t)
{
    memset(t, 0, sizeof *t);
}

void gdb_bptab_free(struct gdb_bptab *t)
{
    free(t->bps.v);
    free(t->wps.v);
    gdb_bptab_init(t);
}

void gdb_bptab_clear(struct gdb_bptab *t)
{
    if (t->bps.n || t->wps.n)
        t->generation++;
    t->bps.n = 0;
    t->wps.n = 0;
    t->watch_span = 0;
}

static bool is_watch(enum gdb_bp_type type)
{
    return type >= GDB_WATCH_WRITE;
}

static int compare(const struct gdb_bp *a, const struct gdb_bp *b)
{
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    return (int)a->type - (int)b->type;
}

/* First index whose entry is not below key. */
static size_t lower_bound(const struct gdb_bp_array *a, const struct gdb_bp *key)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare(&a->v[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First index whose address is addr or above. */
static size_t first_from(const struct gdb_bp_array *a, uint64_t addr)
{
    return lower_bound(a, &(struct gdb_bp){ .addr = addr, .last = 0, .type = 0 });
}

/* Build the table key for a Z/z request; false if it is not a valid one. */
static bool make_key(enum gdb_bp_type type, uint64_t addr, uint64_t len, struct gdb_bp *key)
{
    if ((unsigned)type > GDB_WATCH_ACCESS)
        return false;
    if (!is_watch(type))
        len = 1;
    if (len == 0 || len - 1 > UINT64_MAX - addr)
        return false;
    *key = (struct gdb_bp){ .addr = addr, .last = addr + (len - 1), .type = (uint8_t)type };
    return true;
}

static uint64_t longest_span(const struct gdb_bp_array *a)
{
    uint64_t span = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].last - a->v[i].addr > span)
            span = a->v[i].last - a->v[i].addr;
    return span;
}

static int array_insert(struct gdb_bp_array *a, size_t at, const struct gdb_bp *e)
{
    if (a->n == GDB_BPTAB_MAX)
        return -ENOSPC;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct gdb_bp *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    memmove(&a->v[at + 1], &a->v[at], (a->n - at) * sizeof *a->v);
    a->v[at] = *e;
    a->n++;
    return 0;
}

/* Where the entry of a Z/z request is, or would go. */
struct slot {
    struct gdb_bp key;
    struct gdb_bp_array *a;
    size_t at;
    bool found;
};

static bool find_slot(struct gdb_bptab *t, enum gdb_bp_type type, uint64_t addr, uint64_t len,
                      struct slot *s)
{
    if (!make_key(type, addr, len, &s->key))
        return false;
    s->a = is_watch(type) ? &t->wps : &t->bps;
    s->at = lower_bound(s->a, &s->key);
    s->found = s->at < s->a->n && compare(&s->a->v[s->at], &s->key) == 0;
    return true;
}

int gdb_bptab_insert(struct gdb_bptab *t, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
    struct slot s;
    if (!find_slot(t, type, addr, len, &s))
        return -EINVAL;
    if (s.found)
        return 0;
    int rc = array_insert(s.a, s.at, &s.key);
    if (rc)
        return rc;
    if (is_watch(type) && s.key.last - s.key.addr > t->watch_span)
        t->watch_span = s.key.last - s.key.addr;
    t->generation++;
    return 0;
}

int gdb_bptab_remove(struct gdb_bptab *t, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
    struct slot s;
    if (!find_slot(t, type, addr, len, &s))
        return -EINVAL;
    if (!s.found)
        return 0;
    memmove(&s.a->v[s.at], &s.a->v[s.at + 1], (s.a->n - s.at - 1) * sizeof *s.a->v);
    s.a->n--;
    if (is_watch(type))
        t->watch_span = longest_span(s.a);
    t->generation++;
    return 0;
}

bool gdb_bptab_break_at(const struct gdb_bptab *t, uint64_t pc, enum gdb_bp_type *type)
{
    if (t->bps.n == 0)
        return false;
    size_t i = first_from(&t->bps, pc);
    if (i == t->bps.n || t->bps.v[i].addr != pc)
        return false;
    if (type)
        *type = (enum gdb_bp_type)t->bps.v[i].type; /* software sorts first */
    return true;
}

bool gdb_bptab_break_in(const struct gdb_bptab *t, uint64_t lo, uint64_t hi)
{
    if (t->bps.n == 0 || lo > hi)
        return false;
    size_t i = first_from(&t->bps, lo);
    return i < t->bps.n && t->bps.v[i].addr <= hi;
}

static bool watch_matches(uint8_t type, bool write)
{
    return type == GDB_WATCH_ACCESS || type == (write ? GDB_WATCH_WRITE : GDB_WATCH_READ);
}

bool gdb_bptab_watch_hit(const struct gdb_bptab *t, uint64_t va, uint64_t len, bool write,
                         enum gdb_bp_type *type, uint64_t *addr)
{
    if (t->wps.n == 0 || len == 0)
        return false;
    uint64_t last = len - 1 > UINT64_MAX - va ? UINT64_MAX : va + (len - 1);
    /* A range overlapping the access starts at most watch_span below va. */
    size_t i = first_from(&t->wps, va > t->watch_span ? va - t->watch_span : 0);
    const struct gdb_bp *best = NULL;
    uint64_t best_addr = 0;
    for (; i < t->wps.n && t->wps.v[i].addr <= last; i++) {
        const struct gdb_bp *w = &t->wps.v[i];
        if (w->last < va || !watch_matches(w->type, write))
            continue;
        uint64_t hit = w->addr > va ? w->addr : va;
        if (!best || hit < best_addr) {
            best = w;
            best_addr = hit;
        }
        if (w->addr >= va)
            break; /* later entries start here or above: none can hit lower */
    }
    if (!best)
        return false;
    if (type)
        *type = (enum gdb_bp_type)best->type;
    if (addr)
        *addr = best_addr;
    return true;
}
