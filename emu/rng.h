/*
 * rng.h - a small deterministic random-number generator (xoshiro256**,
 * seeded through splitmix64).  Every random choice in mmulab's tests,
 * generators and fault injection goes through one of these, owned by the
 * object that needs it, so a seed reproduces a run exactly.
 */
#ifndef EMU_RNG_H
#define EMU_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

static inline uint64_t rng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Seed from any number of 64-bit words (e.g. seed, mode, case index). */
static inline void rng_seed(struct rng *r, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a ^ rng_splitmix(&b) ^ (rng_splitmix(&c) << 1);
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix(&x);
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return result;
}

/* Uniform in [0, n) (n > 0); the tiny modulo bias is irrelevant here. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* True with probability percent/100. */
static inline bool rng_chance(struct rng *r, unsigned percent)
{
    return rng_below(r, 100) < percent;
}

#endif /* EMU_RNG_H */
