/*
 * pe_fuzz.c - the loader's fuzz test, guest side ("pe_fuzz.exe COUNT"):
 * NtkCreateProcess on each mutant m0000.exe ... (made by pe_mutate on the
 * host).  Each must be refused with an image status or start; one that
 * starts gets 10 ms of virtual time and is ended if it has not ended.
 * Afterwards the commit charge and the number of image sections must be
 * what they were: nothing leaked (a section's frames go with it; pe_test
 * checks that).  TAP.
 */
#include "shared/nt/process.h"
#include "tests/guest/pe/pe_rt.h"

static const ntk_status refusals[] = {
    NTK_STATUS_INVALID_IMAGE_FORMAT, NTK_STATUS_INVALID_IMAGE_NOT_MZ,
    NTK_STATUS_DLL_NOT_FOUND, NTK_STATUS_ENTRYPOINT_NOT_FOUND, NTK_STATUS_ORDINAL_NOT_FOUND,
    NTK_STATUS_CONFLICTING_ADDRESSES, NTK_STATUS_ILLEGAL_DLL_RELOCATION,
};

static bool is_refusal(ntk_status st)
{
    for (unsigned i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (st == refusals[i])
            return true;
    return false;
}

static unsigned count_arg(void)
{
    uint64_t params = *(uint64_t *)(rt_peb() + NTK_PEB_PROCESS_PARAMETERS);
    const struct ntk_unicode_string *cmd = (const void *)(params + NTK_PARAMS_COMMAND_LINE);
    const uint16_t *w = (const uint16_t *)cmd->buffer;
    unsigned n = 0, i = 0, len = cmd->length / 2;
    while (i < len && w[i] != ' ')
        i++;
    while (i < len && w[i] == ' ')
        i++;
    for (; i < len && w[i] >= '0' && w[i] <= '9'; i++)
        n = n * 10 + (w[i] - '0');
    return n;
}

int pe_main(void);
int pe_main(void)
{
    unsigned count = count_arg(), ran = 0, refused = 0, unexpected = 0, ended = 0;
    struct ntk_system_memory before, after;
    NtkQuerySystemMemory(&before);
    for (unsigned i = 0; i < count; i++) {
        char name[] = "m0000.exe";
        name[1] = (char)('0' + i / 1000 % 10), name[2] = (char)('0' + i / 100 % 10);
        name[3] = (char)('0' + i / 10 % 10), name[4] = (char)('0' + i % 10);
        HANDLE_T p;
        ntk_status st = rt_spawn(name, 0, &p);
        if (st >= 0) {
            int64_t wait = -100000; /* 10 ms */
            if (NtWaitForSingleObject(p, 0, &wait) == NTK_STATUS_TIMEOUT) {
                NtTerminateProcess(p, 0);
                ended++;
            }
            rt_exit_status(p);
            ran++;
        } else if (is_refusal(st)) {
            refused++;
        } else {
            rt_print("# ");
            rt_print(name);
            rt_print(": unexpected status ");
            rt_hex((uint32_t)st);
            rt_print("\n");
            unexpected++;
        }
    }
    NtkQuerySystemMemory(&after);
    rt_print("# ");
    rt_dec(count);
    rt_print(" mutants: ");
    rt_dec(refused);
    rt_print(" refused, ");
    rt_dec(ran);
    rt_print(" ran (");
    rt_dec(ended);
    rt_print(" ended by the test)\n");
    tap_ok(count > 0 && unexpected == 0, "each mutant was refused with an image status or ran");
    tap_ok(refused > 0 && ran > 0, "some mutants were refused, some ran");
    tap_eq(after.commit_charge, before.commit_charge, "commit charge back");
    tap_eq(after.image_sections, before.image_sections, "no image section left open");
    return tap_done();
}

__asm__(".globl pe_entry\npe_entry:\n\tsub $0x28, %rsp\n\tcall pe_main\n"
        "\tmov %eax, %edx\n\tmov $-1, %rcx\n\tcall *__imp_NtTerminateProcess(%rip)\n\tud2\n");
