/*
 * token.c - privileges: each process's token holds a few privileges,
 * disabled until the process enables them (NtOpenProcessToken,
 * NtAdjustPrivilegesToken; AdjustTokenPrivileges in kernel32), as on
 * Windows.  A service that needs one checks that it is enabled
 * (privilege_enabled: large pages need SeLockMemoryPrivilege).
 *
 * What every token holds - this kernel's "policy", the way an administrator
 * grants a right on Windows (docs/sections.md, "Privileges and tokens"):
 *
 *   SeLockMemoryPrivilege          held, disabled (not held with the kernel
 *                                  command line switch nolockmem)
 *   SeChangeNotifyPrivilege        held, enabled by default
 *   SeIncreaseWorkingSetPrivilege  held, disabled
 *
 * A token object (OBJ_TOKEN) names its process; the privileges themselves
 * are the process's (p->privileges, p->privileges_enabled: bit n for the
 * privilege of LUID n).
 */
#include "guest/kernel/kernel.h"

#define BIT(luid) (1ull << (luid))
#define MAX_ENTRIES 64

void token_init_process(struct process *p)
{
    p->privileges = BIT(NTK_SE_CHANGE_NOTIFY_PRIVILEGE) | BIT(NTK_SE_INC_WORKING_SET_PRIVILEGE);
    if (!cmdline_get("nolockmem", NULL, 0))
        p->privileges |= BIT(NTK_SE_LOCK_MEMORY_PRIVILEGE);
    p->privileges_enabled = BIT(NTK_SE_CHANGE_NOTIFY_PRIVILEGE);
}

bool privilege_enabled(const struct process *p, unsigned luid)
{
    return luid < 64 && (p->privileges_enabled & BIT(luid));
}

void token_destroy(struct token *t)
{
    object_deref(&t->proc->obj);
    kfree(t);
}

/* NtOpenProcessToken(Process, DesiredAccess, *Token) */
ntk_status svc_open_process_token(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    ntk_status st = put_u64(a[2], 0);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = process_arg(a[0]);
    if (!p)
        return NTK_STATUS_INVALID_HANDLE;
    struct token *t = kalloc(sizeof *t);
    if (!t) {
        object_deref(&p->obj);
        return NTK_STATUS_INSUFFICIENT_RESOURCES;
    }
    t->obj.type = OBJ_TOKEN;
    t->obj.refs = 1;
    t->proc = p; /* process_arg's reference is the token's */
    uint64_t h;
    st = handle_create_access(current->proc, &t->obj,
                              access_map_generic(OBJ_TOKEN, (uint32_t)a[1]), &h);
    object_deref(&t->obj);
    if (NTK_SUCCESS(st) && !NTK_SUCCESS(st = put_u64(a[2], h)))
        handle_close(current->proc, h);
    return st;
}

/* The state of privilege luid as a LUID_AND_ATTRIBUTES' attributes. */
static uint32_t attributes_of(const struct process *p, unsigned luid)
{
    return privilege_enabled(p, luid) ? NTK_SE_PRIVILEGE_ENABLED : 0;
}

struct adjust {
    uint64_t held, enabled;     /* the privileges as they will be */
    bool not_all_assigned;
    uint32_t changed;           /* entries of PreviousState */
    struct ntk_luid_and_attributes previous[MAX_ENTRIES];
};

static void adj_disable(const struct process *p, unsigned luid, struct adjust *adj)
{
    adj->enabled &= ~BIT(luid);
    adj->previous[adj->changed++] =
        (struct ntk_luid_and_attributes){ luid, 0, attributes_of(p, luid) };
}

/* Apply one LUID_AND_ATTRIBUTES of NewState to *adj. */
static void adjust_one(const struct process *p, const struct ntk_luid_and_attributes *e,
                       struct adjust *adj)
{
    if (e->luid_high || e->luid_low >= 64 || !(adj->held & BIT(e->luid_low))) {
        adj->not_all_assigned = true;
        return;
    }
    uint64_t bit = BIT(e->luid_low), before = adj->enabled;
    if (e->attributes & NTK_SE_PRIVILEGE_REMOVED)
        adj->held &= ~bit, adj->enabled &= ~bit;
    else if (e->attributes & NTK_SE_PRIVILEGE_ENABLED)
        adj->enabled |= bit;
    else
        adj->enabled &= ~bit;
    if ((before ^ adj->enabled) & bit || !(adj->held & bit))
        adj->previous[adj->changed++] = (struct ntk_luid_and_attributes){
            e->luid_low, 0, attributes_of(p, e->luid_low) };
}

/* NtAdjustPrivilegesToken(Token, DisableAll, *NewState, BufferLength,
 *                         *PreviousState, *ReturnLength): all or nothing;
 * STATUS_NOT_ALL_ASSIGNED (a success) when NewState names a privilege the
 * token does not hold. */
ntk_status svc_adjust_privileges(struct trapframe *tf, const uint64_t *a)
{
    (void)tf;
    uint32_t want = NTK_TOKEN_ADJUST_PRIVILEGES | (a[4] ? NTK_TOKEN_QUERY : 0), count = 0;
    struct object *o;
    ntk_status st = handle_reference(current->proc, a[0], OBJ_TOKEN, want, &o);
    if (!NTK_SUCCESS(st))
        return st;
    struct process *p = ((struct token *)o)->proc;
    struct adjust *adj = kalloc(sizeof *adj);
    if (!adj)
        st = NTK_STATUS_INSUFFICIENT_RESOURCES;
    else if ((a[4] && !a[5]) || (!(a[1] & 0xff) && !a[2]))
        st = NTK_STATUS_INVALID_PARAMETER;
    else if (!(a[1] & 0xff) && NTK_SUCCESS(st = copy_from_user(&count, a[2], 4)) &&
             count > MAX_ENTRIES)
        st = NTK_STATUS_INVALID_PARAMETER;
    if (NTK_SUCCESS(st)) {
        adj->held = p->privileges;
        adj->enabled = p->privileges_enabled;
        for (unsigned luid = 0; (a[1] & 0xff) && luid < 64; luid++) /* DisableAllPrivileges */
            if (adj->enabled & BIT(luid))
                adj_disable(p, luid, adj);
        for (uint32_t i = 0; i < count && NTK_SUCCESS(st); i++) {
            struct ntk_luid_and_attributes e;
            st = copy_from_user(&e, a[2] + NTK_TOKEN_PRIVILEGES_HEADER + 12ull * i, sizeof e);
            if (NTK_SUCCESS(st))
                adjust_one(p, &e, adj);
        }
    }
    uint64_t need = NTK_TOKEN_PRIVILEGES_HEADER + 12ull * (adj ? adj->changed : 0);
    if (NTK_SUCCESS(st) && a[4]) {
        uint32_t n32 = (uint32_t)need;
        st = copy_to_user(a[5], &n32, 4);
        if (NTK_SUCCESS(st) && (uint32_t)a[3] < need)
            st = NTK_STATUS_BUFFER_TOO_SMALL;
        if (NTK_SUCCESS(st) && NTK_SUCCESS(st = copy_to_user(a[4], &adj->changed, 4)))
            st = copy_to_user(a[4] + 4, adj->previous, need - 4);
    }
    if (NTK_SUCCESS(st)) {
        p->privileges = adj->held;
        p->privileges_enabled = adj->enabled;
        st = adj->not_all_assigned ? NTK_STATUS_NOT_ALL_ASSIGNED : NTK_STATUS_SUCCESS;
    }
    kfree(adj);
    object_deref(o);
    return st;
}
