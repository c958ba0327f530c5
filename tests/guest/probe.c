/*
 * probe.c - see probe.h.  The probes are tiny assembly functions; when one
 * faults, the handler sets the context's RAX to the exception code and RIP
 * to a RET, which returns from the probe.  A fetch fault (probe_exec) is at
 * the target, after the CALL pushed its return address: the handler pops
 * it.
 */
#include "tests/guest/probe.h"

struct ntk_exception_record probe_last;
uint64_t probe_count;

__asm__(".text\n"
        ".globl probe_read, probe_write, probe_exec\n"
        "probe_read:  xor %eax, %eax\n"
        "probe_read_insn: movb (%rdi), %cl\n"
        "  ret\n"
        "probe_write: xor %eax, %eax\n"
        "probe_write_insn: movb $0x5a, (%rdi)\n"
        "  ret\n"
        "probe_exec:  xor %eax, %eax\n"
        "  call *%rdi\n"
        "probe_exec_ret: ret\n"
        "probe_resume: ret\n");
extern const char probe_read_insn[], probe_write_insn[], probe_exec_ret[], probe_resume[];

static bool handler(struct ntk_exception_record *r, struct ntk_context *c)
{
    probe_last = *r;
    probe_count++;
    if (c->rip == (uint64_t)probe_read_insn || c->rip == (uint64_t)probe_write_insn) {
        c->rip = (uint64_t)probe_resume;
    } else if (*(uint64_t *)c->rsp == (uint64_t)probe_exec_ret) {
        c->rip = (uint64_t)probe_resume; /* drop the CALL's return address... */
        c->rsp += 8;                     /* ...and return from probe_exec */
    } else {
        return false;
    }
    c->rax = r->exception_code;
    return true;
}

void probe_init(void)
{
    set_exception_handler(handler);
}
