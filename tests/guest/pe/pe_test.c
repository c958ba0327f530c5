/*
 * pe_test.c - the kernel's PE loader and image sections, from a real PE32+
 * program built with mingw-w64 (freestanding, the test ntdll.dll and
 * kernel32.dll of this folder, and treloc.dll, which is always relocated).
 * TAP; exit status 0 when every check passed.
 *
 * With "child" on its command line it is the second process of the sharing
 * checks: it touches the pages the parent compares, then sleeps until the
 * parent ends it.
 */
#include "shared/nt/images.h"
#include "shared/nt/process.h"
#include "shared/pe.h"
#include "tests/guest/pe/pe_rt.h"

IMPORT int64_t K32Add(int64_t a, int64_t b);
IMPORT int64_t K32Mul(int64_t a, int64_t b);   /* imported by ordinal (7) */
IMPORT int64_t K32Bump(void);
IMPORT void K32Hello(const char *who);
IMPORT int64_t K32Counter;
IMPORT int64_t *TrelocVar(void);
IMPORT int64_t *TrelocConstPtr(void);
IMPORT int64_t *TrelocDataPtr(void);
IMPORT int64_t *treloc_table[4];

extern const uint8_t __ImageBase[];
uint64_t entry_rsp, entry_rcx;

/* Pages of our own with known contents: write-copy data, read-only data. */
volatile int64_t data_page[512] __attribute__((aligned(4096))) = { 7 };
volatile int64_t data_page2[512] __attribute__((aligned(4096))) = { 8 };
const int64_t rdata_page[2][512] __attribute__((aligned(4096))) = { { 9 }, { 10 } };
#define RDATA(i) (*(const volatile int64_t *)&rdata_page[i][0])

int pe_main(void);
/* The entry point: remember RSP and RCX as the kernel set them. */
__asm__(".globl pe_entry\npe_entry:\n"
        "\tmov %rsp, entry_rsp(%rip)\n\tmov %rcx, entry_rcx(%rip)\n"
        "\tsub $0x28, %rsp\n\tcall pe_main\n"
        "\tmov %eax, %edx\n\tmov $-1, %rcx\n\tcall *__imp_NtTerminateProcess(%rip)\n\tud2\n");

#define SELF NTK_CURRENT_PROCESS
#define PAGE 0x1000ull

static struct ntk_memory_basic_information query(HANDLE_T p, uint64_t va)
{
    struct ntk_memory_basic_information m;
    memset(&m, 0xcc, sizeof m);
    NtQueryVirtualMemory(p, va, NTK_MEMORY_BASIC_INFORMATION_CLASS, &m, sizeof m, 0);
    return m;
}

static uint64_t phys(HANDLE_T p, uint64_t va)
{
    uint64_t pa = 0;
    return NtkQueryPhysicalAddress(p, va, &pa) >= 0 ? pa & ~(PAGE - 1) : 0;
}

static const struct pe_nt_headers64 *nt_of(uint64_t base)
{
    const struct pe_dos_header *dos = (const void *)base;
    return (const void *)(base + dos->e_lfanew);
}

static bool wide_equals(const struct ntk_unicode_string *u, const char *s)
{
    const uint16_t *w = (const uint16_t *)u->buffer;
    size_t n = strlen(s);
    if (u->length != 2 * n || u->maximum_length != 2 * n + 2 || w[n] != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (w[i] != (uint8_t)s[i])
            return false;
    return true;
}

/* ---- the start ------------------------------------------------------------ */

static void check_start(void)
{
    uint64_t peb = rt_peb(), base = (uint64_t)__ImageBase;
    tap_eq(entry_rcx, peb, "entry: RCX = the PEB");
    tap_eq(entry_rsp % 16, 8, "entry: RSP is 16-byte aligned minus 8");
    tap_eq(base, NTK_EXE_DEFAULT_BASE, "the EXE is at its preferred base");
    tap_eq(*(uint64_t *)(peb + NTK_PEB_IMAGE_BASE_ADDRESS), base, "PEB.ImageBaseAddress");
    tap_eq(*(uint64_t *)(peb + NTK_PEB_PROCESS_HEAP), 0, "PEB.ProcessHeap = 0");
    uint64_t params = *(uint64_t *)(peb + NTK_PEB_PROCESS_PARAMETERS);
    tap_ok(params != 0, "PEB.ProcessParameters set");
    tap_eq(*(uint32_t *)(params + NTK_PARAMS_FLAGS) & NTK_PARAMS_NORMALIZED, 1,
           "parameters normalized");
    tap_ok(wide_equals((void *)(params + NTK_PARAMS_IMAGE_PATH_NAME), "pe_test.exe"),
           "ImagePathName = pe_test.exe");
    tap_ok(wide_equals((void *)(params + NTK_PARAMS_COMMAND_LINE), "pe_test.exe"),
           "CommandLine = the run= line");
    uint64_t stack_base, dealloc;
    __asm__ volatile("mov %%gs:0x08, %0; mov %%gs:0x1478, %1" : "=r"(stack_base), "=r"(dealloc));
    tap_eq(stack_base - dealloc, 0x200000, "stack reserve from the header (2 MB)");
    struct ntk_memory_basic_information m = query(SELF, stack_base - PAGE);
    m = query(SELF, stack_base - 0x5000);
    tap_ok(m.base_address + m.region_size == stack_base && m.region_size == 0x5000 &&
               m.protect == NTK_PAGE_READWRITE,
           "stack commit from the header (20 KB read-write at the top)");
    m = query(SELF, stack_base - 0x6000);
    tap_eq(m.protect, NTK_PAGE_READWRITE | NTK_PAGE_GUARD, "the guard page below it");
}

/* ---- regions ---------------------------------------------------------------- */

static uint32_t section_protection(uint32_t c)
{
    static const uint32_t table[8] = {
        NTK_PAGE_NOACCESS, NTK_PAGE_EXECUTE, NTK_PAGE_READONLY, NTK_PAGE_EXECUTE_READ,
        NTK_PAGE_WRITECOPY, NTK_PAGE_EXECUTE_WRITECOPY, NTK_PAGE_WRITECOPY,
        NTK_PAGE_EXECUTE_WRITECOPY,
    };
    unsigned i = (c & PE_SCN_MEM_EXECUTE ? 1u : 0u) | (c & PE_SCN_MEM_READ ? 2u : 0u) |
                 (c & PE_SCN_MEM_WRITE ? 4u : 0u);
    return table[i];
}

static uint32_t copied(uint32_t prot)
{
    return prot == NTK_PAGE_WRITECOPY ? NTK_PAGE_READWRITE
         : prot == NTK_PAGE_EXECUTE_WRITECOPY ? NTK_PAGE_EXECUTE_READWRITE : prot;
}

#define MAX_PAGES 64
/* The protection every page of the image at base should have now: its
 * section's, write-copy made read-write where the loader wrote (the IAT,
 * and relocation targets when the image was relocated). */
static unsigned expected_pages(uint64_t base, uint32_t *prot)
{
    const struct pe_nt_headers64 *nt = nt_of(base);
    const struct pe_optional_header64 *oh = &nt->optional_header;
    unsigned n = oh->size_of_image / PAGE;
    if (n > MAX_PAGES)
        return 0;
    const struct pe_section_header *s =
        (const void *)((const uint8_t *)&nt->optional_header + nt->file_header.size_of_optional_header);
    for (unsigned i = 0; i < n; i++)
        prot[i] = NTK_PAGE_READONLY;
    for (unsigned k = 0; k < nt->file_header.number_of_sections; k++)
        for (uint64_t va = s[k].virtual_address;
             va < s[k].virtual_address + ((s[k].virtual_size + PAGE - 1) & ~(PAGE - 1)); va += PAGE)
            prot[va / PAGE] = section_protection(s[k].characteristics);
    const struct pe_data_directory *imp = &oh->data_directory[PE_DIRECTORY_IMPORT];
    for (const struct pe_import_descriptor *d = (const void *)(base + imp->virtual_address);
         imp->size && d->name; d++)
        for (uint64_t t = d->first_thunk;; t += 8) {
            prot[t / PAGE] = copied(prot[t / PAGE]);
            if (*(uint64_t *)(base + t) == 0)
                break;
        }
    if (base == (uint64_t)__ImageBase) /* our .bss: the TAP counters, entry_rsp */
        prot[((uint64_t)&tap_count - base) / PAGE] = copied(prot[((uint64_t)&tap_count - base) / PAGE]);
    if (base == oh->image_base)
        return n;
    const struct pe_data_directory *rel = &oh->data_directory[PE_DIRECTORY_BASERELOC];
    for (uint64_t at = rel->virtual_address; at < rel->virtual_address + rel->size;) {
        const struct pe_base_relocation *b = (const void *)(base + at);
        for (unsigned k = 0; k < (b->size_of_block - 8) / 2; k++) {
            uint16_t e = ((const uint16_t *)(b + 1))[k];
            uint64_t rva = b->virtual_address + (e & 0xfff);
            if (e >> 12 == PE_REL_BASED_DIR64) {
                prot[rva / PAGE] = copied(prot[rva / PAGE]);
                prot[(rva + 7) / PAGE] = copied(prot[(rva + 7) / PAGE]);
            }
        }
        at += b->size_of_block;
    }
    return n;
}

/* Walk the image's regions with NtQueryVirtualMemory: each must be exactly
 * a run of pages of one expected protection, committed, MEM_IMAGE,
 * AllocationBase = the image, AllocationProtect = PAGE_EXECUTE_WRITECOPY. */
static void check_regions(const char *what, uint64_t base)
{
    uint32_t prot[MAX_PAGES];
    unsigned n = expected_pages(base, prot), bad = 0, regions = 0;
    for (unsigned i = 0; i < n;) {
        unsigned j = i + 1;
        while (j < n && prot[j] == prot[i])
            j++;
        struct ntk_memory_basic_information m = query(SELF, base + i * PAGE);
        if (m.base_address != base + i * PAGE || m.allocation_base != base ||
            m.allocation_protect != NTK_PAGE_EXECUTE_WRITECOPY ||
            m.region_size != (j - i) * PAGE || m.state != NTK_MEM_COMMIT ||
            m.protect != prot[i] || m.type != NTK_MEM_IMAGE || m.partition_id != 0) {
            rt_print("# region at ");
            rt_hex(m.base_address);
            rt_print(" size ");
            rt_hex(m.region_size);
            rt_print(" protect ");
            rt_hex(m.protect);
            rt_print(", expected size ");
            rt_hex((j - i) * PAGE);
            rt_print(" protect ");
            rt_hex(prot[i]);
            rt_print("\n");
            bad++;
        }
        regions++;
        i = j;
    }
    rt_print("# ");
    rt_print(what);
    rt_print(": ");
    rt_dec(regions);
    rt_print(" regions\n");
    tap_ok(n > 0 && bad == 0, what);
}

static void check_layout(void)
{
    uint64_t base = (uint64_t)__ImageBase;
    struct ntk_memory_basic_information m = query(SELF, base);
    tap_ok(m.base_address == base && m.allocation_base == base &&
               m.allocation_protect == NTK_PAGE_EXECUTE_WRITECOPY && m.region_size == PAGE &&
               m.state == NTK_MEM_COMMIT && m.protect == NTK_PAGE_READONLY &&
               m.type == NTK_MEM_IMAGE,
           "headers: one read-only MEM_IMAGE page");
    check_regions("pe_test.exe regions (code RX, data write-copy, IAT read-write)", base);
    check_regions("ntdll.dll regions", NTK_NTDLL_BASE);
    check_regions("kernel32.dll regions", NTK_KERNEL32_BASE);
    uint64_t tr = (uint64_t)TrelocVar() & ~0xffffull;
    m = query(SELF, (uint64_t)TrelocVar());
    check_regions("treloc.dll regions (relocated pages private)", m.allocation_base);
    tap_ok(m.allocation_base != NTK_EXE_DEFAULT_BASE && m.type == NTK_MEM_IMAGE &&
               m.allocation_base <= tr,
           "treloc.dll is relocated (its base 0x140000000 is the EXE's)");
}

/* ---- imports and relocations --------------------------------------------------- */

static void check_binding(void)
{
    tap_eq((uint64_t)K32Add(2, 3), 5, "import by name: K32Add(2, 3)");
    tap_eq((uint64_t)K32Mul(6, 7), 42, "import by ordinal: K32Mul(6, 7)");
    K32Hello("pe_test");
    tap_ok(true, "kernel32's own import from ntdll.dll is bound");
    int64_t *var = TrelocVar();
    tap_eq((uint64_t)TrelocConstPtr(), (uint64_t)var, "DIR64 relocation in .rdata applied");
    tap_eq((uint64_t)TrelocDataPtr(), (uint64_t)var, "DIR64 relocation in .data applied");
    tap_ok(treloc_table[0] == var && treloc_table[3] == var, "relocated data import (a table)");
    tap_eq((uint64_t)*var, 5, "relocated DLL's data");
}

/* ---- rules for MEM_IMAGE regions ------------------------------------------------ */

static void check_rules(void)
{
    uint64_t base = (uint64_t)__ImageBase, b = base, s = 0;
    tap_eq((uint32_t)NtFreeVirtualMemory(SELF, &b, &s, NTK_MEM_RELEASE),
           (uint32_t)NTK_STATUS_UNABLE_TO_DELETE_SECTION, "MEM_RELEASE of an image");
    b = (uint64_t)&rdata_page[1][0], s = PAGE;
    tap_eq((uint32_t)NtFreeVirtualMemory(SELF, &b, &s, NTK_MEM_DECOMMIT),
           (uint32_t)NTK_STATUS_UNABLE_TO_DELETE_SECTION, "MEM_DECOMMIT in an image");
    b = (uint64_t)&rdata_page[1][0], s = PAGE;
    tap_eq((uint32_t)NtAllocateVirtualMemory(SELF, &b, 0, &s, NTK_MEM_COMMIT, NTK_PAGE_READWRITE),
           (uint32_t)NTK_STATUS_CONFLICTING_ADDRESSES, "MEM_COMMIT in an image");
    b = base, s = PAGE;
    tap_eq((uint32_t)NtAllocateVirtualMemory(SELF, &b, 0, &s, NTK_MEM_RESERVE, NTK_PAGE_READWRITE),
           (uint32_t)NTK_STATUS_CONFLICTING_ADDRESSES, "MEM_RESERVE over an image");
    uint64_t priv = 0, ps = PAGE;
    uint32_t old = 0;
    NtAllocateVirtualMemory(SELF, &priv, 0, &ps, NTK_MEM_RESERVE | NTK_MEM_COMMIT,
                            NTK_PAGE_READWRITE);
    tap_eq((uint32_t)NtProtectVirtualMemory(SELF, &priv, &ps, NTK_PAGE_WRITECOPY, &old),
           (uint32_t)NTK_STATUS_INVALID_PAGE_PROTECTION, "PAGE_WRITECOPY on private memory");
    ps = 0;
    NtFreeVirtualMemory(SELF, &priv, &ps, NTK_MEM_RELEASE);

    /* Read-only data made read-write: write-copy until written. */
    struct ntk_system_memory m0, m1, m2;
    uint64_t page = (uint64_t)&rdata_page[1][0], pa0 = (RDATA(1), phys(SELF, page));
    NtkQuerySystemMemory(&m0);
    b = page, s = 8;
    tap_eq((uint32_t)NtProtectVirtualMemory(SELF, &b, &s, NTK_PAGE_READWRITE, &old), 0,
           "protect a read-only image page read-write");
    NtkQuerySystemMemory(&m1);
    tap_eq(old, NTK_PAGE_READONLY, "old protection PAGE_READONLY");
    tap_eq(query(SELF, page).protect, NTK_PAGE_WRITECOPY, "...shows as PAGE_WRITECOPY");
    tap_eq(m1.commit_charge - m0.commit_charge, 1, "...and is charged one page of commit");
    ((volatile int64_t *)page)[0] = 11;
    NtkQuerySystemMemory(&m2);
    tap_eq(query(SELF, page).protect, NTK_PAGE_READWRITE, "written: PAGE_READWRITE");
    tap_eq(query(SELF, page).type, NTK_MEM_IMAGE, "...still MEM_IMAGE");
    tap_ok(phys(SELF, page) != pa0 && pa0 != 0, "...with a private frame");
    tap_eq(m2.image_cow_copies - m1.image_cow_copies, 1, "one copy-on-write counted");
    tap_eq((uint64_t)RDATA(1), 11, "the private copy holds the write");
    b = page, s = PAGE;
    NtProtectVirtualMemory(SELF, &b, &s, NTK_PAGE_WRITECOPY, &old);
    tap_eq(query(SELF, page).protect, NTK_PAGE_READWRITE, "PAGE_WRITECOPY on a copied page: read-write");

    /* Code made writable: execute-write-copy; back to execute-read. */
    uint64_t code = (uint64_t)check_rules & ~(PAGE - 1);
    b = code, s = PAGE;
    NtProtectVirtualMemory(SELF, &b, &s, NTK_PAGE_EXECUTE_READWRITE, &old);
    tap_eq(old, NTK_PAGE_EXECUTE_READ, "code: PAGE_EXECUTE_READ");
    tap_eq(query(SELF, code).protect, NTK_PAGE_EXECUTE_WRITECOPY,
           "code protected execute-read-write shows PAGE_EXECUTE_WRITECOPY");
    b = code, s = PAGE;
    NtProtectVirtualMemory(SELF, &b, &s, NTK_PAGE_EXECUTE_READ, &old);
    tap_eq(query(SELF, code).protect, NTK_PAGE_EXECUTE_READ, "...and back");
}

/* ---- sharing and copy-on-write between two processes ---------------------------- */

static int child(void)
{
    /* Touch what the parent compares, then wait to be ended. */
    volatile int64_t sum = data_page[0] + data_page2[0] + RDATA(0) +
                           *(volatile int64_t *)&K32Counter + K32Add(1, 1);
    (void)sum;
    int64_t forever = INT64_MIN;
    NtDelayExecution(0, &forever);
    return 3;
}

static bool wait_resident(HANDLE_T p, uint64_t va)
{
    int64_t ms = -10000;
    for (int i = 0; i < 1000; i++) {
        if (phys(p, va))
            return true;
        NtDelayExecution(0, &ms);
    }
    return false;
}

static void check_sharing(void)
{
    uint64_t code = (uint64_t)child, data = (uint64_t)&data_page[0];
    uint64_t rdata = (uint64_t)&rdata_page[0][0], k32data = (uint64_t)&K32Counter;
    uint64_t ntcode = (uint64_t)NtDelayExecution, k32code = (uint64_t)K32Add;
    volatile int64_t touch = data_page[0] + RDATA(0) + *(volatile int64_t *)&K32Counter +
                             K32Add(0, 0);
    (void)touch;
    HANDLE_T c;
    tap_eq((uint32_t)rt_spawn("pe_test.exe", "pe_test.exe child", &c), 0, "start a second pe_test.exe");
    tap_ok(wait_resident(c, data) && wait_resident(c, k32data), "the child touched its pages");
    struct {
        const char *what;
        uint64_t va;
    } shared[] = {
        { "code page shared", code },         { "read-only data shared", rdata },
        { "write-copy data shared until written", data },
        { "ntdll code shared", ntcode },      { "kernel32 code shared", k32code },
        { "kernel32 data shared until written", k32data },
    };
    for (unsigned i = 0; i < sizeof shared / sizeof shared[0]; i++)
        tap_ok(phys(c, shared[i].va) == phys(SELF, shared[i].va) && phys(c, shared[i].va),
               shared[i].what);
    uint64_t before = phys(SELF, data);
    tap_eq(query(SELF, data).protect, NTK_PAGE_WRITECOPY, "data page: PAGE_WRITECOPY");
    data_page[0] = 70;
    tap_eq(query(SELF, data).protect, NTK_PAGE_READWRITE, "written: PAGE_READWRITE here");
    tap_eq(query(c, data).protect, NTK_PAGE_WRITECOPY, "...still PAGE_WRITECOPY in the child");
    tap_ok(phys(SELF, data) != before, "the writer has its own frame now");
    tap_eq(phys(c, data), before, "the child keeps the shared frame");
    tap_eq((uint64_t)K32Bump(), 1001, "K32Bump writes kernel32's data");
    tap_ok(phys(SELF, k32data) != phys(c, k32data), "kernel32's data page diverged");
    tap_ok(phys(c, (uint64_t)&data_page2[0]) != 0, "a page only the child read is resident there");
    NtTerminateProcess(c, 0);
    tap_eq((uint32_t)rt_exit_status(c), 0, "child ended");
}

/* ---- loads that must fail, the large image, the 2 GB limit ----------------------- */

static void check_failures(void)
{
    struct ntk_system_memory before, after;
    int32_t status;
    NtkQuerySystemMemory(&before);
    tap_eq((uint32_t)rt_run("pe_nodll.exe", &status), (uint32_t)NTK_STATUS_DLL_NOT_FOUND,
           "an import from a DLL not on the volume");
    tap_eq((uint32_t)rt_run("pe_noexport.exe", &status), (uint32_t)NTK_STATUS_ENTRYPOINT_NOT_FOUND,
           "an import of a name the DLL does not export");
    tap_eq((uint32_t)rt_run("pe_noordinal.exe", &status), (uint32_t)NTK_STATUS_ORDINAL_NOT_FOUND,
           "an import of an ordinal the DLL does not export");
    tap_eq((uint32_t)rt_run("kernel32.dll", &status), (uint32_t)NTK_STATUS_INVALID_IMAGE_FORMAT,
           "a DLL as a program");
    tap_eq((uint32_t)rt_run("pe_rt.h", &status), (uint32_t)NTK_STATUS_INVALID_IMAGE_NOT_MZ,
           "a file that is no image");
    NtkQuerySystemMemory(&after);
    tap_eq(after.commit_charge, before.commit_charge, "failed loads: commit charge back");
    tap_eq(after.image_sections, before.image_sections, "failed loads: no section left open");
    tap_eq((uint32_t)rt_run("pe_nolaa.exe", &status), 0, "start a program without LARGE_ADDRESS_AWARE");
    tap_eq((uint32_t)status, 0, "...its allocations all stay below 2 GB");
}

static void check_large_image(void)
{
    struct ntk_system_memory m0, m1, m2;
    HANDLE_T c;
    NtkQuerySystemMemory(&m0);
    tap_eq((uint32_t)rt_spawn("pe_big.exe", 0, &c), 0, "start pe_big.exe (a 4 MB table)");
    /* The table: pe_big.exe's read-only region of at least 4 MB. */
    uint64_t table = 0;
    for (uint64_t va = NTK_EXE_DEFAULT_BASE; !table && va < NTK_EXE_DEFAULT_BASE + 0x800000;) {
        struct ntk_memory_basic_information m = query(c, va);
        if (m.protect == NTK_PAGE_READONLY && m.region_size >= 0x400000)
            table = va;
        va += m.region_size ? m.region_size : PAGE;
    }
    tap_ok(table != 0, "pe_big.exe has a 4 MB read-only region");
    tap_ok(wait_resident(c, table + 900 * PAGE), "its touched pages are resident");
    NtkQuerySystemMemory(&m1);
    tap_eq(query(c, table + 100 * PAGE).type, NTK_MEM_IMAGE, "the table is image memory");
    tap_eq(phys(c, table + 100 * PAGE), 0, "an untouched page of it was never read");
    uint64_t ins = m1.image_page_ins - m0.image_page_ins;
    rt_print("# page-ins for pe_big.exe: ");
    rt_dec(ins);
    rt_print("\n");
    tap_ok(ins >= 2 && ins < 24, "a few page-ins, not the table's 1024 pages");
    NtTerminateProcess(c, 0);
    rt_exit_status(c);
    NtkQuerySystemMemory(&m2);
    tap_eq(m2.image_sections, m0.image_sections, "its section went with its last view");
    tap_eq(m2.image_pages_resident, m0.image_pages_resident, "...and so did its frames");
    tap_eq(m2.commit_charge, m0.commit_charge, "commit charge back");
}

int pe_main(void)
{
    uint64_t params = *(uint64_t *)(rt_peb() + NTK_PEB_PROCESS_PARAMETERS);
    const struct ntk_unicode_string *cmd = (const void *)(params + NTK_PARAMS_COMMAND_LINE);
    if (cmd->length > 22) /* "pe_test.exe child" */
        return child();
    check_start();
    check_layout();
    check_binding();
    check_sharing();
    check_rules();
    check_failures();
    check_large_image();
    return tap_done();
}
