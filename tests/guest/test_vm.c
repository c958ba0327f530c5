/*
 * test_vm.c - the virtual-memory services, rule by rule, with the exact
 * NTSTATUS values and MEMORY_BASIC_INFORMATION (docs/kernel.md lists the
 * rules).  TAP; the exit status is 0 when every check passed.
 */
#include "tests/guest/probe.h"

#define P CURRENT_PROCESS
#define RW NTK_PAGE_READWRITE

static ntk_status alloc(uint64_t *base, uint64_t *size, uint32_t type, uint32_t prot)
{
    return NtAllocateVirtualMemory(P, base, 0, size, type, prot);
}

static ntk_status release(uint64_t base)
{
    uint64_t size = 0;
    return NtFreeVirtualMemory(P, &base, &size, NTK_MEM_RELEASE);
}

static struct ntk_memory_basic_information query(uint64_t va)
{
    struct ntk_memory_basic_information m;
    memset(&m, 0xcc, sizeof m);
    ntk_status st = NtQueryVirtualMemory(P, va, 0, &m, sizeof m, 0);
    if (st < 0)
        memset(&m, 0xee, sizeof m);
    return m;
}

/* One check: the whole MEMORY_BASIC_INFORMATION. */
static void mbi_is(uint64_t va, uint64_t base, uint64_t abase, uint32_t aprot, uint64_t size,
                   uint32_t state, uint32_t prot, uint32_t type, const char *what)
{
    struct ntk_memory_basic_information m = query(va);
    bool ok = m.base_address == base && m.allocation_base == abase &&
              m.allocation_protect == aprot && m.region_size == size && m.state == state &&
              m.protect == prot && m.type == type && m.partition_id == 0;
    tap_ok(ok, "%s: {base %llx, alloc %llx/%x, size %llx, state %x, protect %x, type %x}", what,
           (unsigned long long)m.base_address, (unsigned long long)m.allocation_base,
           m.allocation_protect, (unsigned long long)m.region_size, m.state, m.protect, m.type);
    if (!ok)
        printf("#   expected {base %llx, alloc %llx/%x, size %llx, state %x, protect %x, "
               "type %x}\n", (unsigned long long)base, (unsigned long long)abase, aprot,
               (unsigned long long)size, state, prot, type);
}

static uint64_t commit_charge(void)
{
    struct ntk_system_memory m;
    NtkQuerySystemMemory(&m);
    return m.commit_charge;
}

static uint64_t dz_faults(void)
{
    struct ntk_system_memory m;
    NtkQuerySystemMemory(&m);
    return m.demand_zero_faults;
}

static void reserve_rules(void)
{
    uint64_t base = 0, size = 0x100000;
    tap_status(alloc(&base, &size, NTK_MEM_RESERVE, RW), 0, "reserve 1 MB anywhere");
    tap_ok(base && base % 0x10000 == 0 && size == 0x100000,
           "placed on a 64 KB boundary, size 1 MB (base %llx, size %llx)",
           (unsigned long long)base, (unsigned long long)size);
    mbi_is(base, base, base, RW, 0x100000, NTK_MEM_RESERVE, 0, NTK_MEM_PRIVATE,
           "query of a fresh reservation");
    mbi_is(base + 0x3456, base + 0x3000, base, RW, 0x100000 - 0x3000, NTK_MEM_RESERVE, 0,
           NTK_MEM_PRIVATE, "query inside it: the region starts at the page queried");

    uint64_t b = 0x20001234, s = 0x2000;
    tap_status(alloc(&b, &s, NTK_MEM_RESERVE, NTK_PAGE_READONLY), 0,
               "reserve at 0x20001234, 0x2000 bytes");
    tap_ok(b == 0x20000000 && s == 0x4000,
           "base rounded down to 64 KB, size up to whole pages (%llx, %llx)",
           (unsigned long long)b, (unsigned long long)s);
    uint64_t ob = 0x20003000, os = 0x1000;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_CONFLICTING_ADDRESSES,
               "a reservation overlapping another");
    ob = 0x1ffff000, os = 0x2000;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_CONFLICTING_ADDRESSES,
               "a reservation running into another");
    ob = 0x20004000, os = 0x1000; /* same 64 KB block, but rounds down onto 0x20000000 */
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_CONFLICTING_ADDRESSES,
               "a reservation in the rest of an allocated 64 KB block");
    tap_status(release(0x20000000), 0, "release it");

    ob = 0x1000, os = 0x1000;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_INVALID_PARAMETER,
               "reserve in the first 64 KB (null-pointer partition)");
    ob = 0xfff0, os = 0x20;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_INVALID_PARAMETER,
               "reserve just below 64 KB");
    ob = 0x7ffffffe0000, os = 0x20000;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_INVALID_PARAMETER,
               "reserve past the end of user space");
    ob = 0xffff800000000000ull, os = 0x1000;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_INVALID_PARAMETER,
               "reserve in kernel space");
    ob = 0, os = 0;
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE, RW), NTK_STATUS_INVALID_PARAMETER,
               "zero size");
    ob = 0, os = 0x1000;
    tap_status(alloc(&ob, &os, 0, RW), NTK_STATUS_INVALID_PARAMETER, "no allocation type");
    tap_status(alloc(&ob, &os, NTK_MEM_DECOMMIT, RW), NTK_STATUS_INVALID_PARAMETER,
               "MEM_DECOMMIT as an allocation type");
    tap_status(alloc(&ob, &os, NTK_MEM_RESERVE | 0x80000000u, RW), NTK_STATUS_INVALID_PARAMETER,
               "an unknown allocation flag");
    tap_status(alloc(&ob, &os, NTK_MEM_TOP_DOWN, RW), NTK_STATUS_INVALID_PARAMETER,
               "MEM_TOP_DOWN alone");
    tap_ok(ob == 0 && os == 0x1000, "failed calls leave *BaseAddress and *RegionSize alone");

    static const uint32_t bad[] = {
        0, NTK_PAGE_WRITECOPY, NTK_PAGE_EXECUTE_WRITECOPY, NTK_PAGE_NOACCESS | NTK_PAGE_GUARD,
        NTK_PAGE_NOACCESS | NTK_PAGE_NOCACHE, NTK_PAGE_NOACCESS | NTK_PAGE_WRITECOMBINE,
        NTK_PAGE_READWRITE | NTK_PAGE_READONLY, RW | NTK_PAGE_GUARD | NTK_PAGE_NOCACHE,
        RW | NTK_PAGE_NOCACHE | NTK_PAGE_WRITECOMBINE, 0x800, RW | 0x40000000u, NTK_PAGE_GUARD,
    };
    bool all = true;
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t zb = 0, zs = 0x1000;
        ntk_status st = alloc(&zb, &zs, NTK_MEM_RESERVE | NTK_MEM_COMMIT, bad[i]);
        if (st != NTK_STATUS_INVALID_PAGE_PROTECTION) {
            all = false;
            printf("# protection %x: status %08x\n", bad[i], (uint32_t)st);
        }
    }
    tap_ok(all, "12 invalid protections (write-copy on private memory, PAGE_GUARD with "
                "PAGE_NOACCESS, ...) give STATUS_INVALID_PAGE_PROTECTION");

    uint64_t tb = 0, ts = 0x10000;
    tap_status(alloc(&tb, &ts, NTK_MEM_RESERVE | NTK_MEM_TOP_DOWN, RW), 0, "MEM_TOP_DOWN");
    uint64_t teb;
    __asm__("mov %%gs:0x30, %0" : "=r"(teb));
    tap_ok(tb > base && tb % 0x10000 == 0 && tb + ts <= teb && teb - (tb + ts) < 0x20000,
           "top-down: the highest free 64 KB block, right under the TEB (%llx)",
           (unsigned long long)tb);
    release(tb);
    tap_status(release(base), 0, "release the 1 MB reservation");
}

static void commit_rules(void)
{
    uint64_t base = 0, size = 0x40000;
    alloc(&base, &size, NTK_MEM_RESERVE, NTK_PAGE_NOACCESS);
    uint64_t charge0 = commit_charge(), faults0 = dz_faults();
    uint64_t b = base + 0x1800, s = 0x1000;
    tap_status(alloc(&b, &s, NTK_MEM_COMMIT, RW), 0, "commit 0x1000 bytes at +0x1800");
    tap_ok(b == base + 0x1000 && s == 0x2000,
           "rounded to the pages it touches: +0x1000, 0x2000 bytes (%llx, %llx)",
           (unsigned long long)(b - base), (unsigned long long)s);
    tap_eq(commit_charge() - charge0, 2, "commit charge grew by 2 pages");
    tap_eq(dz_faults() - faults0, 0, "committing took no page (demand zero)");
    mbi_is(base, base, base, NTK_PAGE_NOACCESS, 0x1000, NTK_MEM_RESERVE, 0, NTK_MEM_PRIVATE,
           "before the committed pages: reserved");
    mbi_is(base + 0x1000, base + 0x1000, base, NTK_PAGE_NOACCESS, 0x2000, NTK_MEM_COMMIT, RW,
           NTK_MEM_PRIVATE, "the committed pages");
    mbi_is(base + 0x3000, base + 0x3000, base, NTK_PAGE_NOACCESS, 0x3d000, NTK_MEM_RESERVE, 0,
           NTK_MEM_PRIVATE, "after them: reserved to the end");

    b = base, s = 0x4000;
    tap_status(alloc(&b, &s, NTK_MEM_COMMIT, RW), 0,
               "committing a range with committed pages in it is not an error");
    tap_eq(commit_charge() - charge0, 4, "only the 2 new pages were charged");
    volatile uint8_t *p = (volatile uint8_t *)base;
    tap_ok(p[0x1000] == 0 && p[0x2fff] == 0 && dz_faults() - faults0 == 2,
           "first touches read zeros, one demand-zero fault per page");
    p[0x1000] = 0x77;
    b = base + 0x1000, s = 0x1000;
    alloc(&b, &s, NTK_MEM_COMMIT, NTK_PAGE_READONLY);
    tap_ok(p[0x1000] == 0x77, "re-committing keeps the contents");
    mbi_is(base + 0x1000, base + 0x1000, base, NTK_PAGE_NOACCESS, 0x1000, NTK_MEM_COMMIT,
           NTK_PAGE_READONLY, NTK_MEM_PRIVATE, "and sets the new protection");

    b = base + 0x3f000, s = 0x2000;
    tap_status(alloc(&b, &s, NTK_MEM_COMMIT, RW), NTK_STATUS_CONFLICTING_ADDRESSES,
               "commit running past the end of the reservation");
    b = 0x30000000, s = 0x1000;
    tap_status(alloc(&b, &s, NTK_MEM_COMMIT, RW), NTK_STATUS_CONFLICTING_ADDRESSES,
               "commit outside any reservation");

    uint64_t charge1 = commit_charge();
    b = base, s = 0x10000;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_DECOMMIT), 0,
               "decommit 64 KB holding 4 committed pages");
    tap_eq(charge1 - commit_charge(), 4, "commit charge gave back the 4 pages");
    b = base, s = 0x10000;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_DECOMMIT), 0,
               "decommitting pages that are not committed is not an error");
    tap_eq(probe_read(base + 0x1000), (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "reading a decommitted page: access violation");
    mbi_is(base, base, base, NTK_PAGE_NOACCESS, 0x40000, NTK_MEM_RESERVE, 0, NTK_MEM_PRIVATE,
           "after decommit: one reserved region again");

    b = base + 0x1000, s = 0;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_RELEASE), NTK_STATUS_FREE_VM_NOT_AT_BASE,
               "MEM_RELEASE not at the allocation base");
    b = base, s = 0x1000;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_RELEASE), NTK_STATUS_INVALID_PARAMETER,
               "MEM_RELEASE with a non-zero size");
    b = base, s = 0;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_RELEASE | NTK_MEM_DECOMMIT),
               NTK_STATUS_INVALID_PARAMETER, "MEM_RELEASE | MEM_DECOMMIT");
    tap_status(NtFreeVirtualMemory(P, &b, &s, 0), NTK_STATUS_INVALID_PARAMETER, "free type 0");
    b = 0x30000000, s = 0;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_RELEASE), NTK_STATUS_MEMORY_NOT_ALLOCATED,
               "releasing free memory");
    b = base, s = 0;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_RELEASE), 0, "MEM_RELEASE at the base");
    tap_ok(b == base && s == 0x40000, "returns the base and size released (%llx, %llx)",
           (unsigned long long)b, (unsigned long long)s);
    struct ntk_memory_basic_information m = query(base);
    tap_ok(m.base_address == base && m.state == NTK_MEM_FREE && m.allocation_base == 0 &&
               m.allocation_protect == 0 && m.protect == NTK_PAGE_NOACCESS && m.type == 0 &&
               m.region_size >= 0x40000,
           "released memory is MEM_FREE (protect PAGE_NOACCESS, type 0, size %llx)",
           (unsigned long long)m.region_size);

    b = 0, s = 0x3000;
    tap_status(alloc(&b, &s, NTK_MEM_COMMIT, RW), 0, "MEM_COMMIT at no address reserves too");
    mbi_is(b, b, b, RW, 0x3000, NTK_MEM_COMMIT, RW, NTK_MEM_PRIVATE, "committed region");
    release(b);
    uint64_t big = 0, bs = 64ull << 30;
    uint64_t charge2 = commit_charge();
    tap_status(alloc(&big, &bs, NTK_MEM_RESERVE | NTK_MEM_COMMIT, RW),
               NTK_STATUS_COMMITMENT_LIMIT, "committing 64 GB: past the commit limit");
    tap_ok(commit_charge() == charge2 && query(0x100000000ull).state != NTK_MEM_RESERVE,
           "and nothing stays reserved or charged");
    big = 0, bs = 64ull << 30;
    tap_status(alloc(&big, &bs, NTK_MEM_RESERVE, RW), 0, "reserving 64 GB costs no commit");
    tap_eq(commit_charge(), charge2, "commit charge unchanged");
    release(big);
}

/* mov eax, 42; ret */
static const uint8_t code42[] = { 0xb8, 42, 0, 0, 0, 0xc3 };

static void protection_rules(void)
{
    uint64_t base = 0, size = 0x8000;
    alloc(&base, &size, NTK_MEM_RESERVE | NTK_MEM_COMMIT, RW);
    uint32_t old = 0xdead;
    uint64_t b = base + 0x1000, s = 0x1000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, NTK_PAGE_READONLY, &old), 0,
               "protect a page PAGE_READONLY");
    tap_eq(old, RW, "the old protection comes back");
    tap_eq(probe_write(base + 0x1010), (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "writing a read-only page: access violation");
    tap_ok(probe_last.number_parameters == 2 && probe_last.exception_information[0] == 1 &&
               probe_last.exception_information[1] == base + 0x1010,
           "record: 2 parameters, [0] = 1 (write), [1] = the address");
    tap_eq(probe_read(base + 0x1010), 0, "reading it is fine");

    tap_eq(probe_exec(base), (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "executing a PAGE_READWRITE page: access violation (DEP, NX)");
    tap_ok(probe_last.exception_information[0] == 8 && probe_last.exception_information[1] == base &&
               probe_last.exception_address == base,
           "record: [0] = 8 (execute), [1] = the address, at the address");
    memcpy((void *)(base + 0x2000), code42, sizeof code42);
    b = base + 0x2000, s = 1;
    tap_status(NtProtectVirtualMemory(P, &b, &s, NTK_PAGE_EXECUTE_READ, &old), 0,
               "make a page of code PAGE_EXECUTE_READ");
    tap_ok(b == base + 0x2000 && s == 0x1000, "1 byte protects the whole page");
    tap_eq(((uint64_t(*)(void))(base + 0x2000))(), 42, "and it runs");
    tap_eq(probe_write(base + 0x2000), (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "writing PAGE_EXECUTE_READ code: access violation");

    b = base + 0x3000, s = 0x1000;
    NtProtectVirtualMemory(P, &b, &s, NTK_PAGE_NOACCESS, &old);
    tap_eq(probe_read(base + 0x3000), (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "reading a committed PAGE_NOACCESS page: access violation");
    tap_ok(probe_last.exception_information[0] == 0, "record: [0] = 0 (read)");

    b = base + 0x4000, s = 0x1000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, RW | NTK_PAGE_GUARD, &old), 0,
               "PAGE_READWRITE | PAGE_GUARD");
    mbi_is(base + 0x4000, base + 0x4000, base, RW, 0x1000, NTK_MEM_COMMIT, RW | NTK_PAGE_GUARD,
           NTK_MEM_PRIVATE, "query shows PAGE_GUARD");
    tap_eq(probe_read(base + 0x4008), (uint32_t)NTK_STATUS_GUARD_PAGE_VIOLATION,
           "first touch: STATUS_GUARD_PAGE_VIOLATION");
    tap_ok(probe_last.number_parameters == 2 && probe_last.exception_information[1] == base + 0x4008,
           "record: 2 parameters, the address");
    tap_eq(probe_read(base + 0x4008), 0, "second touch: no exception (one-shot)");
    mbi_is(base + 0x4000, base + 0x4000, base, RW, 0x4000, NTK_MEM_COMMIT, RW, NTK_MEM_PRIVATE,
           "and PAGE_GUARD is gone: one region with the 3 PAGE_READWRITE pages after it");

    b = base + 0x5000, s = 0x1000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, RW | NTK_PAGE_NOCACHE, &old), 0,
               "PAGE_READWRITE | PAGE_NOCACHE");
    tap_eq(probe_write(base + 0x5000), 0, "uncached memory is usable");
    b = base + 0x6000, s = 0x1000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, RW | NTK_PAGE_WRITECOMBINE, &old), 0,
               "PAGE_READWRITE | PAGE_WRITECOMBINE");
    mbi_is(base + 0x6000, base + 0x6000, base, RW, 0x1000, NTK_MEM_COMMIT,
           RW | NTK_PAGE_WRITECOMBINE, NTK_MEM_PRIVATE, "query shows PAGE_WRITECOMBINE");

    b = base, s = 0x8000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, RW, &old), 0, "protect a mixed range");
    tap_eq(old, RW, "old protection: that of the first page");
    b = base, s = 0x1000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, NTK_PAGE_WRITECOPY, &old),
               NTK_STATUS_INVALID_PAGE_PROTECTION, "PAGE_WRITECOPY on private memory");
    uint64_t r = 0, rs = 0x20000;
    alloc(&r, &rs, NTK_MEM_RESERVE, RW);
    uint64_t c = r + 0x10000, cs = 0x1000;
    alloc(&c, &cs, NTK_MEM_COMMIT, RW);
    b = r + 0xf000, s = 0x2000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, NTK_PAGE_READONLY, &old),
               NTK_STATUS_NOT_COMMITTED, "protecting a range with uncommitted pages fails");
    mbi_is(r + 0x10000, r + 0x10000, r, RW, 0x1000, NTK_MEM_COMMIT, RW, NTK_MEM_PRIVATE,
           "and changes nothing");
    tap_eq(probe_read(r), (uint32_t)NTK_STATUS_ACCESS_VIOLATION,
           "reading a reserved page: access violation");
    b = 0x30000000, s = 0x1000;
    tap_status(NtProtectVirtualMemory(P, &b, &s, RW, &old), NTK_STATUS_CONFLICTING_ADDRESSES,
               "protecting free memory");
    release(r);
    release(base);
    tap_eq(probe_read(0), (uint32_t)NTK_STATUS_ACCESS_VIOLATION, "reading address 0");
}

static void query_rules(void)
{
    struct ntk_memory_basic_information m;
    uint64_t len = 0;
    tap_status(NtQueryVirtualMemory(P, 0xffff800000000000ull, 0, &m, sizeof m, &len),
               NTK_STATUS_INVALID_PARAMETER, "query of a kernel address");
    tap_status(NtQueryVirtualMemory(P, 0x10000, 7, &m, sizeof m, &len),
               NTK_STATUS_INVALID_INFO_CLASS, "unknown information class");
    tap_status(NtQueryVirtualMemory(P, 0x10000, 0, &m, sizeof m - 1, &len),
               NTK_STATUS_INFO_LENGTH_MISMATCH, "buffer one byte short");
    tap_status(NtQueryVirtualMemory(P, 0x10000, 0, (void *)0xffff800000001000ull, sizeof m, &len),
               NTK_STATUS_ACCESS_VIOLATION, "buffer in kernel space");
    tap_status(NtQueryVirtualMemory(P, 0x10000, 0, &m, sizeof m, &len), 0, "a good query");
    tap_eq(len, sizeof m, "ReturnLength = sizeof(MEMORY_BASIC_INFORMATION)");
    m = query(0);
    tap_ok(m.base_address == 0 && m.state == NTK_MEM_FREE && query(m.region_size).state != NTK_MEM_FREE,
           "address 0: a free region up to the first allocation (%llx)",
           (unsigned long long)m.region_size);
    uint64_t peb, teb;
    __asm__("mov %%gs:0x60, %0; mov %%gs:0x30, %1" : "=r"(peb), "=r"(teb));
    mbi_is(peb, peb, peb, RW, 0x1000, NTK_MEM_COMMIT, RW, NTK_MEM_PRIVATE,
           "the PEB: one page, placed by the system");
    mbi_is(teb, teb, teb, RW, 0x2000, NTK_MEM_COMMIT, RW, NTK_MEM_PRIVATE, "the TEB: two pages");
    tap_ok(peb % 0x10000 != 0 && teb % 0x10000 != 0 && peb % 0x1000 == 0,
           "PEB (%llx) and TEB (%llx) sit on page, not 64 KB, boundaries",
           (unsigned long long)peb, (unsigned long long)teb);
    uint64_t b = peb, s = 0;
    tap_status(NtFreeVirtualMemory(P, &b, &s, NTK_MEM_RELEASE), NTK_STATUS_INVALID_PARAMETER,
               "the PEB cannot be released");
    m = query(0xffffd000);
    tap_ok(m.state == NTK_MEM_RESERVE && m.allocation_base == 0xffffd000 && m.region_size == 0x3000,
           "the machine's range at 0xffffd000 is reserved by the system");
    uint64_t bp = 0xffff800000000000ull;
    tap_status(NtAllocateVirtualMemory(P, (void *)bp, 0, &s, NTK_MEM_RESERVE, RW),
               NTK_STATUS_ACCESS_VIOLATION, "*BaseAddress in kernel space");
    tap_status(NtAllocateVirtualMemory(P, &b, 0, (uint64_t *)0, NTK_MEM_RESERVE, RW),
               NTK_STATUS_ACCESS_VIOLATION, "RegionSize pointer NULL");
    tap_status(NtAllocateVirtualMemory(0x1234, &b, 0, &s, NTK_MEM_RESERVE, RW),
               NTK_STATUS_INVALID_HANDLE, "a bad process handle");
}

int main(void)
{
    probe_init();
    tap_plan(103);
    reserve_rules();
    commit_rules();
    protection_rules();
    query_rules();
    return tap_done();
}
