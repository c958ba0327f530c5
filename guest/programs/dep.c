/*
 * dep - data execution prevention (docs/programs.md, "dep").  Six bytes of
 * code (mov eax, 42; ret) are copied into a PAGE_READWRITE page and called:
 * the page is not executable, so the call faults with an access violation
 * whose ExceptionInformation[0] is 8 (an execute access) and [1] the
 * page's address.  A vectored handler records it and returns from the
 * "call" itself (it pops the return address into RIP), so the program goes
 * on.  The same bytes in a PAGE_EXECUTE_READWRITE page run and return 42;
 * so do they after VirtualProtect makes the first page PAGE_EXECUTE_READ.
 * Exit status 0 when all three behave so.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>

static const BYTE code[] = { 0xB8, 42, 0, 0, 0, /* mov eax, 42 */ 0xC3 /* ret */ };

static volatile LONG violations;
static volatile ULONG_PTR fault_kind, fault_address, fault_rip;

static LONG WINAPI on_violation(EXCEPTION_POINTERS *ep)
{
    EXCEPTION_RECORD *r = ep->ExceptionRecord;
    CONTEXT *c = ep->ContextRecord;
    if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION || r->NumberParameters < 2)
        return EXCEPTION_CONTINUE_SEARCH;
    violations++;
    fault_kind = r->ExceptionInformation[0];
    fault_address = r->ExceptionInformation[1];
    fault_rip = c->Rip;
    /* Return from the call that jumped there: RIP = the return address. */
    c->Rip = *(DWORD64 *)c->Rsp;
    c->Rsp += 8;
    c->Rax = (DWORD64)-1;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static int call(void *page)
{
    int (*fn)(void) = (int (*)(void))page;
    return fn();
}

static void *page_with_code(DWORD protect)
{
    BYTE *p = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!p)
        return NULL;
    memcpy(p, code, sizeof code);
    DWORD old;
    if (protect != PAGE_READWRITE && !VirtualProtect(p, 4096, protect, &old))
        return NULL;
    return p;
}

int main(void)
{
    PVOID handler = AddVectoredExceptionHandler(1, on_violation);
    void *rw = page_with_code(PAGE_READWRITE), *rwx = page_with_code(PAGE_EXECUTE_READWRITE);
    if (!rw || !rwx)
        return 2;

    int r1 = call(rw);
    printf("call into a PAGE_READWRITE page at %p: %ld access violation(s), "
           "ExceptionInformation[0] = %llu (8: execute), [1] = %p, RIP %p; result %d\n", rw,
           (long)violations, (ULONGLONG)fault_kind, (void *)fault_address, (void *)fault_rip, r1);
    BOOL rw_ok = violations == 1 && fault_kind == 8 && fault_address == (ULONG_PTR)rw &&
                 fault_rip == (ULONG_PTR)rw && r1 == -1;

    int r2 = call(rwx);
    printf("call into a PAGE_EXECUTE_READWRITE page at %p: returned %d, %ld access violation(s) "
           "in all\n", rwx, r2, (long)violations);
    BOOL rwx_ok = r2 == 42 && violations == 1;

    DWORD old = 0;
    VirtualProtect(rw, 4096, PAGE_EXECUTE_READ, &old);
    int r3 = call(rw);
    printf("the first page made PAGE_EXECUTE_READ (was 0x%lx): returned %d\n", old, r3);
    BOOL rx_ok = r3 == 42 && old == PAGE_READWRITE && violations == 1;

    RemoveVectoredExceptionHandler(handler);
    BOOL ok = rw_ok && rwx_ok && rx_ok;
    printf("%s\n", ok ? "dep: as expected" : "dep: UNEXPECTED");
    return ok ? 0 : 1;
}
