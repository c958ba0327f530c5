/*
 * test_virtual.c - conformance of VirtualAlloc, VirtualFree, VirtualProtect
 * and VirtualQuery with Microsoft's documentation (learn.microsoft.com,
 * "VirtualAlloc function (memoryapi.h)" and its siblings, "Memory
 * Protection Constants", "MEMORY_BASIC_INFORMATION structure").  One check
 * per rule; the comment above each quotes or names the rule.  Where the
 * documentation calls a value undefined, the check asserts what Windows
 * returns and says so.  Exact values throughout: addresses, sizes, states,
 * protections, and GetLastError() codes.
 */
#include <windows.h>

#include <string.h>

#include "guest/ntdll/ntdll.h"
#include "tests/pe/tap.h"

#define PAGE 0x1000u
#define GRANULE 0x10000u
#define KB(n) ((SIZE_T)(n) << 10)
#define MB(n) ((SIZE_T)(n) << 20)

static MEMORY_BASIC_INFORMATION query(const void *a)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0xcc, sizeof m);
    VirtualQuery(a, &m, sizeof m);
    return m;
}

/* A fresh reservation of size bytes (or NULL). */
static BYTE *reserve(SIZE_T size, DWORD protect)
{
    return VirtualAlloc(NULL, size, MEM_RESERVE, protect);
}

static void release(void *p)
{
    VirtualFree(p, 0, MEM_RELEASE);
}

/* ---- VirtualAlloc ---- */

static void alloc_rules(void)
{
    /* "If lpAddress is NULL, the system determines where to allocate the
     * region": a reservation starts on an allocation-granularity boundary. */
    BYTE *p = reserve(KB(5), PAGE_READWRITE);
    tap_ok(p && (ULONG_PTR)p % GRANULE == 0, "reserve at NULL: %p is 64 KB aligned", (void *)p);

    /* dwSize "is rounded up to the next page boundary": 5 KB reserves 8 KB,
     * and the page after it is not part of the region. */
    MEMORY_BASIC_INFORMATION m = query(p);
    tap_eq(m.RegionSize, KB(8), "5 KB reservation: RegionSize");
    tap_eq(query(p + KB(8)).State, MEM_FREE, "the page after the 8 KB: State");

    /* "The function initializes the memory it allocates to zero", and
     * committing rounds the address down to a page: commit at +0x1800. */
    BYTE *c = VirtualAlloc(p + 0x1800, 0x100, MEM_COMMIT, PAGE_READWRITE);
    tap_eq((ULONG_PTR)c, (ULONG_PTR)(p + PAGE), "commit at base+0x1800 returns base+0x1000");
    tap_ok(c && c[0] == 0 && c[PAGE - 1] == 0, "committed memory reads as zero");
    tap_eq(query(p).State, MEM_RESERVE, "the page before the commit stays reserved");

    /* "An attempt to commit a page that is already committed does not cause
     * the function to fail"; its contents stay. */
    if (c)
        c[7] = 0x5a;
    tap_ok(VirtualAlloc(p + PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE) == p + PAGE && c && c[7] == 0x5a,
           "committing a committed page succeeds and keeps its contents");

    /* The range is "all pages containing one or more bytes in the range":
     * 2 bytes across a page boundary commit both pages. */
    BYTE *q = reserve(KB(64), PAGE_READWRITE);
    VirtualAlloc(q + PAGE - 1, 2, MEM_COMMIT, PAGE_READWRITE);
    m = query(q);
    tap_ok(m.State == MEM_COMMIT && m.RegionSize == 2 * PAGE,
           "2 bytes straddling a page boundary commit 2 pages (State 0x%lx, size 0x%llx)",
           m.State, (ULONGLONG)m.RegionSize);
    release(q);

    /* "Attempting to commit a specific address range by specifying
     * MEM_COMMIT without MEM_RESERVE and a non-NULL lpAddress fails unless
     * the entire range has already been reserved. The resulting error code
     * is ERROR_INVALID_ADDRESS." */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(p + KB(8), PAGE, MEM_COMMIT, PAGE_READWRITE),
              ERROR_INVALID_ADDRESS, "commit of a free range");
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(p + KB(4), KB(8), MEM_COMMIT, PAGE_READWRITE),
              ERROR_INVALID_ADDRESS, "commit running past the reservation");

    /* Reserving a range that is already reserved fails (NT:
     * STATUS_CONFLICTING_ADDRESSES, which Win32 reports as ERROR_INVALID_ADDRESS). */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(p, PAGE, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_ADDRESS,
              "reserving a reserved range");

    /* "If the memory is being reserved, the specified address is rounded
     * down to the nearest multiple of the allocation granularity." */
    release(p);
    BYTE *r = VirtualAlloc(p + 0x1234, PAGE, MEM_RESERVE, PAGE_READWRITE);
    tap_eq((ULONG_PTR)r, (ULONG_PTR)p, "reserve at base+0x1234 returns the 64 KB boundary");
    /* ... and the region covers "all pages containing one or more bytes in
     * the range from lpAddress to (lpAddress+dwSize)", from that boundary:
     * 4 KB at +0x1234 end in page 2, so 3 pages. */
    tap_eq(query(r).RegionSize, 3 * PAGE, "reserve 4 KB at +0x1234: RegionSize (3 pages)");
    release(r);

    /* MEM_COMMIT | MEM_RESERVE at NULL reserves and commits in one step. */
    BYTE *rc = VirtualAlloc(NULL, KB(12), MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
    m = query(rc);
    tap_ok(m.State == MEM_COMMIT && m.Protect == PAGE_READONLY && m.RegionSize == KB(12),
           "MEM_COMMIT|MEM_RESERVE: committed, PAGE_READONLY, 12 KB");
    release(rc);

    /* MEM_TOP_DOWN: "Allocates memory at the highest possible address". */
    BYTE *low = reserve(KB(64), PAGE_READWRITE);
    BYTE *top = VirtualAlloc(NULL, KB(64), MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    tap_ok(top > low && (ULONG_PTR)top + KB(64) > (ULONG_PTR)0x7fff00000000ull,
           "MEM_TOP_DOWN reserves near the top of user space (%p)", (void *)top);
    release(low);
    release(top);
}

static void alloc_errors(void)
{
    /* Windows refuses a size of 0 (documented only as "the size of the
     * region"; NtAllocateVirtualMemory's STATUS_INVALID_PARAMETER_4). */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, 0, MEM_RESERVE, PAGE_READWRITE),
              ERROR_INVALID_PARAMETER, "VirtualAlloc of 0 bytes");
    /* flAllocationType "must contain one of the following values":
     * MEM_COMMIT, MEM_RESERVE, MEM_RESET, MEM_RESET_UNDO. */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, PAGE, 0, PAGE_READWRITE), ERROR_INVALID_PARAMETER,
              "VirtualAlloc with no allocation type");
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, PAGE, MEM_DECOMMIT, PAGE_READWRITE),
              ERROR_INVALID_PARAMETER, "VirtualAlloc with MEM_DECOMMIT");
    /* "PAGE_WRITECOPY ... This flag is not supported by the VirtualAlloc or
     * VirtualAllocEx functions." */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_WRITECOPY),
              ERROR_INVALID_PARAMETER, "VirtualAlloc with PAGE_WRITECOPY");
    /* PAGE_GUARD "cannot be used with PAGE_NOACCESS". */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE,
                                      PAGE_NOACCESS | PAGE_GUARD),
              ERROR_INVALID_PARAMETER, "PAGE_NOACCESS | PAGE_GUARD");
    /* PAGE_NOCACHE "cannot be used with the PAGE_GUARD, PAGE_NOACCESS, or
     * PAGE_WRITECOMBINE flags". */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE,
                                      PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE),
              ERROR_INVALID_PARAMETER, "PAGE_GUARD | PAGE_NOCACHE");
    /* Two base protections are not a protection. */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE,
                                      PAGE_READONLY | PAGE_READWRITE),
              ERROR_INVALID_PARAMETER, "PAGE_READONLY | PAGE_READWRITE");
    /* Windows's kernel32 refuses a non-NULL address below the allocation
     * granularity (64 KB) itself. */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc((void *)0x1000, PAGE, MEM_RESERVE, PAGE_READWRITE),
              ERROR_INVALID_PARAMETER, "VirtualAlloc at 0x1000");
    /* An address past lpMaximumApplicationAddress. */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc((void *)0x7ffffffff0000ull, PAGE, MEM_RESERVE,
                                      PAGE_READWRITE),
              ERROR_INVALID_PARAMETER, "VirtualAlloc above user space");
    /* Committing more than the commit limit: ERROR_COMMITMENT_LIMIT
     * (STATUS_COMMITMENT_LIMIT); reserving the same is only address space. */
    SetLastError(0);
    tap_error((ULONG_PTR)VirtualAlloc(NULL, (SIZE_T)64 << 30, MEM_COMMIT | MEM_RESERVE,
                                      PAGE_READWRITE),
              ERROR_COMMITMENT_LIMIT, "committing 64 GB");
    BYTE *big = reserve((SIZE_T)64 << 30, PAGE_READWRITE);
    tap_ok(big != NULL, "reserving 64 GB succeeds (address space only)");
    release(big);
}

/* ---- VirtualFree ---- */

static void free_rules(void)
{
    BYTE *p = VirtualAlloc(NULL, KB(64), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    /* "If the dwFreeType parameter is MEM_RELEASE, this parameter [dwSize]
     * must be 0 (zero)." */
    SetLastError(0);
    tap_error(VirtualFree(p, PAGE, MEM_RELEASE), ERROR_INVALID_PARAMETER,
              "MEM_RELEASE with a size");
    /* "If the dwFreeType parameter is MEM_RELEASE, this parameter
     * [lpAddress] must be the base address returned by ... VirtualAlloc"
     * (NT: STATUS_FREE_VM_NOT_AT_BASE, Win32 ERROR_INVALID_ADDRESS). */
    SetLastError(0);
    tap_error(VirtualFree(p + PAGE, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS,
              "MEM_RELEASE inside the region");
    /* MEM_DECOMMIT | MEM_RELEASE: "Do not use this value with MEM_DECOMMIT". */
    SetLastError(0);
    tap_error(VirtualFree(p, 0, MEM_DECOMMIT | MEM_RELEASE), ERROR_INVALID_PARAMETER,
              "MEM_DECOMMIT | MEM_RELEASE");
    /* Decommit: "all pages containing one or more bytes in the address
     * range": 0x1000 bytes from +0x1800 decommit pages 1 and 2. */
    tap_ok(VirtualFree(p + 0x1800, PAGE, MEM_DECOMMIT), "decommit 4 KB at base+0x1800");
    MEMORY_BASIC_INFORMATION m = query(p + PAGE);
    tap_ok(m.State == MEM_RESERVE && m.RegionSize == 2 * PAGE &&
           query(p).State == MEM_COMMIT && query(p + 3 * PAGE).State == MEM_COMMIT,
           "pages 1-2 reserved, 0 and 3 committed (state 0x%lx, size 0x%llx)", m.State,
           (ULONGLONG)m.RegionSize);
    /* "The function does not fail if you attempt to decommit an uncommitted page." */
    tap_ok(VirtualFree(p + PAGE, PAGE, MEM_DECOMMIT), "decommitting a reserved page succeeds");
    /* Decommitted pages lose their contents: committed again, they are zero. */
    VirtualAlloc(p + PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE);
    p[PAGE] = 1;
    VirtualFree(p + PAGE, PAGE, MEM_DECOMMIT);
    VirtualAlloc(p + PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE);
    tap_eq(p[PAGE], 0, "a recommitted page's first byte");
    /* "If lpAddress is the base address returned by VirtualAlloc and dwSize
     * is 0 (zero), the function decommits the entire region ... After that,
     * the entire region is in the reserved state." */
    VirtualFree(p, 0, MEM_DECOMMIT);
    m = query(p);
    tap_ok(m.State == MEM_RESERVE && m.RegionSize == KB(64),
           "decommit with size 0: the whole 64 KB reserved (state 0x%lx, size 0x%llx)", m.State,
           (ULONGLONG)m.RegionSize);
    /* Decommitting past the end of the reservation fails (NT:
     * STATUS_UNABLE_TO_FREE_VM, Win32 ERROR_INVALID_PARAMETER). */
    SetLastError(0);
    tap_error(VirtualFree(p + KB(60), KB(8), MEM_DECOMMIT), ERROR_INVALID_PARAMETER,
              "decommit past the reservation");
    /* MEM_RELEASE "releases the entire region that is reserved in the
     * initial allocation call". */
    tap_ok(VirtualFree(p, 0, MEM_RELEASE), "MEM_RELEASE at the base");
    m = query(p);
    tap_ok(m.State == MEM_FREE && m.RegionSize >= KB(64), "released: free (size 0x%llx)",
           (ULONGLONG)m.RegionSize);
    /* Freeing what is not allocated (NT: STATUS_MEMORY_NOT_ALLOCATED). */
    SetLastError(0);
    tap_error(VirtualFree(p, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS, "releasing twice");
    /* dwFreeType must be MEM_DECOMMIT or MEM_RELEASE. */
    SetLastError(0);
    tap_error(VirtualFree(p, 0, 0), ERROR_INVALID_PARAMETER, "VirtualFree with no free type");
}

/* ---- VirtualProtect ---- */

static void protect_rules(void)
{
    BYTE *p = VirtualAlloc(NULL, KB(16), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    DWORD old = 0;
    /* lpflOldProtect: "the previous access protection value of the first
     * page in the specified region of pages". */
    VirtualProtect(p + PAGE, PAGE, PAGE_READONLY, &old);
    BOOL done = VirtualProtect(p, 2 * PAGE, PAGE_EXECUTE_READ, &old);
    tap_ok(done && old == PAGE_READWRITE, "old protection is the first page's (0x%lx)", old);
    done = VirtualProtect(p + PAGE, PAGE, PAGE_READWRITE, &old);
    tap_ok(done && old == PAGE_EXECUTE_READ, "old protection of page 1 is the one just set (0x%lx)",
           old);
    /* "If this parameter [lpflOldProtect] is NULL or does not point to a
     * valid variable, the function fails" (ERROR_NOACCESS). */
    SetLastError(0);
    tap_error(VirtualProtect(p, PAGE, PAGE_READWRITE, NULL), ERROR_NOACCESS,
              "VirtualProtect with lpflOldProtect NULL");
    /* The affected pages are "all pages containing one or more bytes in the
     * range": 2 bytes at +0xFFF change pages 0 and 1. */
    VirtualProtect(p + PAGE - 1, 2, PAGE_READONLY, &old);
    MEMORY_BASIC_INFORMATION m = query(p);
    tap_ok(m.Protect == PAGE_READONLY && m.RegionSize == 2 * PAGE,
           "2 bytes straddling a boundary protect 2 pages (0x%lx, 0x%llx)", m.Protect,
           (ULONGLONG)m.RegionSize);
    /* Protections act: a write to PAGE_READONLY is an access violation with
     * ExceptionInformation[0] = 1 (write) and [1] the address. */
    int r1 = probe_write(p + 5, 1);
    tap_ok(r1 == -1 && last_fault.code == EXCEPTION_ACCESS_VIOLATION &&
           last_fault.info0 == 1 && last_fault.info1 == (ULONG_PTR)(p + 5),
           "write to PAGE_READONLY: code 0x%lx, [0] %llu, [1] %p", last_fault.code,
           (ULONGLONG)last_fault.info0, (void *)last_fault.info1);
    tap_ok(probe_read(p + 5) == 0, "read from PAGE_READONLY works");
    /* PAGE_NOACCESS: "any attempt to read from, write to, or execute the
     * committed region results in an access violation"; contents survive. */
    p[2 * PAGE] = 0x77;
    VirtualProtect(p + 2 * PAGE, PAGE, PAGE_NOACCESS, &old);
    int r2 = probe_read(p + 2 * PAGE);
    tap_ok(r2 == -1 && last_fault.code == EXCEPTION_ACCESS_VIOLATION && last_fault.info0 == 0 &&
           last_fault.info1 == (ULONG_PTR)(p + 2 * PAGE),
           "read from PAGE_NOACCESS: access violation, [0] = %llu", (ULONGLONG)last_fault.info0);
    done = VirtualProtect(p + 2 * PAGE, PAGE, PAGE_READWRITE, &old);
    tap_ok(done && old == PAGE_NOACCESS && p[2 * PAGE] == 0x77,
           "back to PAGE_READWRITE: old 0x%lx, contents kept", old);
    /* PAGE_GUARD: "If a program attempts to access an address within a
     * guard page, the system raises a STATUS_GUARD_PAGE_VIOLATION ...
     * exception. The system also clears the PAGE_GUARD modifier". */
    VirtualProtect(p + 3 * PAGE, PAGE, PAGE_READWRITE | PAGE_GUARD, &old);
    int r3 = probe_read(p + 3 * PAGE + 8);
    tap_ok(r3 == -1 && last_fault.code == STATUS_GUARD_PAGE_VIOLATION &&
           last_fault.info1 == (ULONG_PTR)(p + 3 * PAGE + 8),
           "first touch of a guard page: STATUS_GUARD_PAGE_VIOLATION (0x%lx)", last_fault.code);
    tap_ok(probe_read(p + 3 * PAGE + 8) == 0 && query(p + 3 * PAGE).Protect == PAGE_READWRITE,
           "second touch works; the page is PAGE_READWRITE");
    /* Pages must be committed (NT: STATUS_NOT_COMMITTED, Win32 ERROR_INVALID_ADDRESS). */
    BYTE *r = reserve(KB(64), PAGE_READWRITE);
    VirtualAlloc(r, PAGE, MEM_COMMIT, PAGE_READWRITE);
    SetLastError(0);
    tap_error(VirtualProtect(r, 2 * PAGE, PAGE_READONLY, &old), ERROR_INVALID_ADDRESS,
              "protecting a range with a reserved page");
    tap_eq(query(r).Protect, PAGE_READWRITE, "the committed page of the failed range: Protect");
    /* "The pages cannot span adjacent reserved regions" (NT:
     * STATUS_CONFLICTING_ADDRESSES, Win32 ERROR_INVALID_ADDRESS). */
    SetLastError(0);
    tap_error(VirtualProtect(p + KB(12), KB(8), PAGE_READONLY, &old), ERROR_INVALID_ADDRESS,
              "protecting past the end of the region");
    /* An invalid protection (PAGE_WRITECOPY is for mapped views). */
    SetLastError(0);
    tap_error(VirtualProtect(p, PAGE, PAGE_WRITECOPY, &old), ERROR_INVALID_PARAMETER,
              "VirtualProtect to PAGE_WRITECOPY on private memory");
    release(r);
    release(p);
}

/* ---- VirtualQuery and MEMORY_BASIC_INFORMATION ---- */

static void query_rules(void)
{
    BYTE *p = reserve(KB(64), PAGE_READWRITE);
    VirtualAlloc(p + 4 * PAGE, 4 * PAGE, MEM_COMMIT, PAGE_READONLY);
    MEMORY_BASIC_INFORMATION m;
    /* "The return value is the actual number of bytes returned in the
     * information buffer." */
    tap_eq(VirtualQuery(p + 5 * PAGE + 123, &m, sizeof m), sizeof m, "VirtualQuery's result");
    /* BaseAddress: "A pointer to the base address of the region of pages"
     * - the queried address rounded down to a page. */
    tap_eq((ULONG_PTR)m.BaseAddress, (ULONG_PTR)(p + 5 * PAGE), "BaseAddress");
    /* AllocationBase: "the base address of a range of pages allocated by
     * the VirtualAlloc function". */
    tap_eq((ULONG_PTR)m.AllocationBase, (ULONG_PTR)p, "AllocationBase");
    /* AllocationProtect: "The memory protection option when the region was
     * initially allocated" (PAGE_READWRITE, though committed PAGE_READONLY). */
    tap_eq(m.AllocationProtect, PAGE_READWRITE, "AllocationProtect");
    /* RegionSize: "The size of the region beginning at the base address in
     * which all pages have identical attributes": from page 5 to page 8. */
    tap_eq(m.RegionSize, 3 * PAGE, "RegionSize from page 5 of 4-7 committed");
    tap_eq(m.State, MEM_COMMIT, "State");
    tap_eq(m.Protect, PAGE_READONLY, "Protect");
    /* Type: MEM_PRIVATE, "memory pages within the region are private". */
    tap_eq(m.Type, MEM_PRIVATE, "Type");
    /* The reserved part before: MEM_RESERVE; Protect is undefined there
     * by the documentation; Windows returns 0. */
    m = query(p);
    tap_ok(m.State == MEM_RESERVE && m.RegionSize == 4 * PAGE && m.Protect == 0 &&
           m.Type == MEM_PRIVATE && m.AllocationProtect == PAGE_READWRITE,
           "reserved pages 0-3: MEM_RESERVE, 4 pages, Protect 0, MEM_PRIVATE");
    m = query(p + 8 * PAGE);
    tap_ok(m.State == MEM_RESERVE && m.RegionSize == 8 * PAGE,
           "reserved pages 8-15: to the end of the reservation (0x%llx)", (ULONGLONG)m.RegionSize);
    release(p);
    /* MEM_FREE: AllocationBase, AllocationProtect, Protect and Type are
     * "undefined"; Windows returns 0, 0, PAGE_NOACCESS, 0. */
    m = query(p);
    tap_ok(m.State == MEM_FREE && m.AllocationBase == NULL && m.AllocationProtect == 0 &&
           m.Protect == PAGE_NOACCESS && m.Type == 0,
           "a free region: MEM_FREE, AllocationBase 0, Protect PAGE_NOACCESS, Type 0");
    /* Address 0 lies in a free region that starts at 0 (the first 64 KB are
     * never allocated). */
    m = query(NULL);
    tap_ok(m.State == MEM_FREE && m.BaseAddress == NULL && m.RegionSize >= GRANULE,
           "address 0: free, from 0, at least 64 KB");
    /* The EXE's image: MEM_IMAGE, allocation base = the module, allocation
     * protection PAGE_EXECUTE_WRITECOPY; headers read-only; code
     * execute-read. */
    BYTE *exe = (BYTE *)GetModuleHandleA(NULL);
    m = query(exe);
    tap_ok(m.Type == MEM_IMAGE && m.AllocationBase == exe &&
           m.AllocationProtect == PAGE_EXECUTE_WRITECOPY && m.Protect == PAGE_READONLY,
           "the EXE's headers: MEM_IMAGE, PAGE_EXECUTE_WRITECOPY allocation, PAGE_READONLY");
    m = query((const void *)(ULONG_PTR)query_rules);
    tap_ok(m.Type == MEM_IMAGE && m.Protect == PAGE_EXECUTE_READ && m.AllocationBase == exe,
           "the EXE's code: MEM_IMAGE, PAGE_EXECUTE_READ");
    /* dwLength smaller than the structure (ERROR_BAD_LENGTH, from
     * STATUS_INFO_LENGTH_MISMATCH). */
    SetLastError(0);
    tap_error(VirtualQuery(exe, &m, sizeof m - 1), ERROR_BAD_LENGTH, "VirtualQuery, short buffer");
    /* lpAddress past the highest user address: ERROR_INVALID_PARAMETER. */
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    SIZE_T got = VirtualQuery(si.lpMaximumApplicationAddress, &m, sizeof m);
    tap_ok(got == sizeof m &&
           (ULONG_PTR)m.BaseAddress == ((ULONG_PTR)si.lpMaximumApplicationAddress & ~0xfffull),
           "the highest user address can be queried (its page: %p)", m.BaseAddress);
    SetLastError(0);
    tap_error(VirtualQuery((BYTE *)si.lpMaximumApplicationAddress + 1, &m, sizeof m),
              ERROR_INVALID_PARAMETER, "VirtualQuery past user space");
    /* VirtualAllocEx/VirtualQueryEx with GetCurrentProcess() are the same. */
    BYTE *e = VirtualAllocEx(GetCurrentProcess(), NULL, PAGE, MEM_COMMIT | MEM_RESERVE,
                             PAGE_READWRITE);
    tap_ok(e && VirtualQueryEx(GetCurrentProcess(), e, &m, sizeof m) == sizeof m &&
           m.State == MEM_COMMIT && VirtualFreeEx(GetCurrentProcess(), e, 0, MEM_RELEASE),
           "VirtualAllocEx, VirtualQueryEx, VirtualFreeEx on the current process");
}

/* ---- execution ---- */

static void execute_rules(void)
{
    /* DEP: executing a page without an EXECUTE protection is an access
     * violation with ExceptionInformation[0] = 8 (execute). */
    BYTE *p = VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    p[0] = 0x31, p[1] = 0xC0, p[2] = 0xC3; /* xor eax, eax; ret */
    int r = probe_call(p);
    tap_ok(r == -1 && last_fault.code == EXCEPTION_ACCESS_VIOLATION &&
           last_fault.info0 == 8 && last_fault.info1 == (ULONG_PTR)p,
           "calling into PAGE_READWRITE: access violation, [0] = %llu",
           (ULONGLONG)last_fault.info0);
    DWORD old;
    VirtualProtect(p, PAGE, PAGE_EXECUTE_READ, &old);
    tap_ok(probe_call(p) == 0 && last_fault.code == 0, "calling into PAGE_EXECUTE_READ works");
    release(p);
}

/* The x64 calling convention leaves the upper half of a 32-bit argument
 * (ULONG, an enum) undefined, in a register and in a stack slot alike: the
 * services must read the low half only.  Called through types that make
 * the compiler pass 64 bits of junk there. */
static void NTAPI thread_exits(PVOID arg)
{
    ExitThread((DWORD)(ULONG_PTR)arg); /* a bare NtCreateThreadEx thread has nothing to return to */
}

typedef NTSTATUS(NTAPI *query_junk)(HANDLE, PVOID, ULONG64, PVOID, SIZE_T, PSIZE_T);
typedef NTSTATUS(NTAPI *alloc_junk)(HANDLE, PVOID *, ULONG_PTR, PSIZE_T, ULONG64, ULONG64);
typedef NTSTATUS(NTAPI *thread_junk)(PHANDLE, ACCESS_MASK, PVOID, HANDLE, PVOID, PVOID, ULONG64,
                                     SIZE_T, SIZE_T, SIZE_T, PVOID);
typedef void (*any_fn)(void);

/* Through a volatile: the compiler no longer knows the real type. */
static any_fn launder(any_fn f)
{
    any_fn volatile v = f;
    return v;
}
#define AS(type, fn) ((type)launder((any_fn)(fn)))

static void upper_halves(void)
{
    const ULONG64 junk = 0xA5A5A5A500000000ull;
    MEMORY_BASIC_INFORMATION mbi;
    SIZE_T got = 0;
    NTSTATUS st = AS(query_junk, NtQueryVirtualMemory)(GetCurrentProcess(), (PVOID)&mbi,
                                                       junk | 0 /* MemoryBasicInformation */,
                                                       &mbi, sizeof mbi, &got);
    tap_ok(st == 0 && got == sizeof mbi && mbi.State == MEM_COMMIT,
           "NtQueryVirtualMemory: a class with junk in its upper half (0x%lx)", (ULONG)st);
    PVOID base = NULL;
    SIZE_T size = PAGE;
    st = AS(alloc_junk, NtAllocateVirtualMemory)(GetCurrentProcess(), &base, 0, &size,
                                                 junk | MEM_COMMIT | MEM_RESERVE,
                                                 junk | PAGE_READWRITE);
    tap_ok(st == 0 && base && size == PAGE,
           "NtAllocateVirtualMemory: type and protection on the stack with junk (0x%lx)",
           (ULONG)st);
    if (base)
        release(base);
    HANDLE t = NULL;
    st = AS(thread_junk, NtCreateThreadEx)(&t, THREAD_ALL_ACCESS, NULL, GetCurrentProcess(),
                                          (PVOID)thread_exits, (PVOID)(ULONG_PTR)42,
                                          junk /* Flags 0 */, 0, 0, 0, NULL);
    DWORD code = 0;
    if (st == 0) {
        WaitForSingleObject(t, INFINITE);
        GetExitCodeThread(t, &code);
        CloseHandle(t);
    }
    tap_ok(st == 0 && code == 42,
           "NtCreateThreadEx: Flags 0 with junk in its upper half (0x%lx, exit %lu)", (ULONG)st,
           code);
}

int main(void)
{
    tap_plan(76);
    probe_init();
    alloc_rules();
    alloc_errors();
    free_rules();
    protect_rules();
    query_rules();
    execute_rules();
    upper_halves();
    return tap_done();
}
