/*
 * vad.c - virtual address descriptors in an AVL tree (Adelson-Velsky and
 * Landis, 1962), as NT keeps them: one node per reservation, ordered by
 * address, never overlapping.  The tree stays balanced - the heights of
 * every node's two subtrees differ by at most one - so finding the VAD of a
 * faulting address takes O(log n) steps however many reservations a process
 * makes.  Nodes carry parent pointers for in-order walks (successor,
 * predecessor) and for rebalancing on the way up after an insertion or a
 * removal.
 */
#include "guest/kernel/kernel.h"

static int height(const struct vad *v)
{
    return v ? v->height : 0;
}

static void update(struct vad *v)
{
    int l = height(v->left), r = height(v->right);
    v->height = (l > r ? l : r) + 1;
}

/* Put `to` where `from` hangs (under from's parent, or as the root). */
static void replace_child(struct vad **root, struct vad *parent, struct vad *from, struct vad *to)
{
    if (!parent)
        *root = to;
    else if (parent->left == from)
        parent->left = to;
    else
        parent->right = to;
    if (to)
        to->parent = parent;
}

/*      x                y
 *     / \              / \
 *    a   y     =>     x   c
 *       / \          / \
 *      b   c        a   b
 */
static struct vad *rotate_left(struct vad **root, struct vad *x)
{
    struct vad *y = x->right;
    replace_child(root, x->parent, x, y);
    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    y->left = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

static struct vad *rotate_right(struct vad **root, struct vad *y)
{
    struct vad *x = y->left;
    replace_child(root, y->parent, y, x);
    y->left = x->right;
    if (x->right)
        x->right->parent = y;
    x->right = y;
    y->parent = x;
    update(y);
    update(x);
    return x;
}

/* Restore the balance of every node from v up to the root. */
static void rebalance(struct vad **root, struct vad *v)
{
    while (v) {
        update(v);
        int b = height(v->left) - height(v->right);
        if (b > 1) {
            if (height(v->left->left) < height(v->left->right))
                rotate_left(root, v->left);   /* left-right case */
            v = rotate_right(root, v);
        } else if (b < -1) {
            if (height(v->right->right) < height(v->right->left))
                rotate_right(root, v->right); /* right-left case */
            v = rotate_left(root, v);
        }
        v = v->parent;
    }
}

void vad_insert(struct vad **root, struct vad *v)
{
    struct vad *parent = NULL, **link = root;
    while (*link) {
        parent = *link;
        if (v->end <= parent->start)
            link = &parent->left;
        else if (v->start >= parent->end)
            link = &parent->right;
        else
            panic("vad_insert: [%llx, %llx) overlaps [%llx, %llx)",
                  (unsigned long long)v->start, (unsigned long long)v->end,
                  (unsigned long long)parent->start, (unsigned long long)parent->end);
    }
    v->left = v->right = NULL;
    v->parent = parent;
    v->height = 1;
    *link = v;
    rebalance(root, parent);
}

static struct vad *leftmost(struct vad *v)
{
    while (v && v->left)
        v = v->left;
    return v;
}

static struct vad *rightmost(struct vad *v)
{
    while (v && v->right)
        v = v->right;
    return v;
}

void vad_remove(struct vad **root, struct vad *v)
{
    struct vad *start; /* where rebalancing begins */
    if (v->left && v->right) {
        /* Swap in the successor (the leftmost node of the right subtree). */
        struct vad *s = leftmost(v->right);
        if (s->parent == v) {
            start = s;
        } else {
            start = s->parent;
            replace_child(root, s->parent, s, s->right);
            s->right = v->right;
            s->right->parent = s;
        }
        replace_child(root, v->parent, v, s);
        s->left = v->left;
        s->left->parent = s;
    } else {
        struct vad *child = v->left ? v->left : v->right;
        start = v->parent;
        replace_child(root, v->parent, v, child);
    }
    v->left = v->right = v->parent = NULL;
    rebalance(root, start);
}

struct vad *vad_find(struct vad *root, uint64_t va)
{
    struct vad *v = root;
    while (v) {
        if (va < v->start)
            v = v->left;
        else if (va >= v->end)
            v = v->right;
        else
            return v;
    }
    return NULL;
}

struct vad *vad_next_after(struct vad *root, uint64_t va)
{
    struct vad *best = NULL;
    for (struct vad *v = root; v;) {
        if (v->end > va) {
            best = v;
            v = v->left;
        } else {
            v = v->right;
        }
    }
    return best;
}

struct vad *vad_first(struct vad *root)
{
    return leftmost(root);
}

struct vad *vad_last(struct vad *root)
{
    return rightmost(root);
}

struct vad *vad_successor(struct vad *v)
{
    if (v->right)
        return leftmost(v->right);
    while (v->parent && v->parent->right == v)
        v = v->parent;
    return v->parent;
}

struct vad *vad_predecessor(struct vad *v)
{
    if (v->left)
        return rightmost(v->left);
    while (v->parent && v->parent->left == v)
        v = v->parent;
    return v->parent;
}

bool vad_range_free(struct vad *root, uint64_t start, uint64_t end)
{
    struct vad *v = vad_next_after(root, start);
    return !v || v->start >= end;
}

/* The AVL and search-tree invariants, for the self-test: returns the height
 * of the subtree, or -1 if something is wrong. */
static int check(const struct vad *v, const struct vad *parent, uint64_t lo, uint64_t hi,
                 unsigned *count)
{
    if (!v)
        return 0;
    if (v->parent != parent || v->start >= v->end || v->start < lo || v->end > hi)
        return -1;
    int l = check(v->left, v, lo, v->start, count);
    int r = check(v->right, v, v->end, hi, count);
    if (l < 0 || r < 0 || l - r > 1 || r - l > 1 || v->height != (l > r ? l : r) + 1)
        return -1;
    ++*count;
    return v->height;
}

bool vad_check(struct vad *root, unsigned *count)
{
    *count = 0;
    return check(root, NULL, 0, UINT64_MAX, count) >= 0;
}
