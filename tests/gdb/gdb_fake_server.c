/*
 * gdb_fake_server.c - serve the fake target to a real gdb, for the
 * end-to-end test (test_real_gdb.py) and for trying the stub by hand:
 *
 *     gdb_fake_server [PORT [SECONDS [keep | exit=N]]]
 *     gdb -nx -ex 'target remote :N'        (it prints "port N", waits for gdb)
 *
 * It ends when gdb detaches (unless "keep": then the machine runs on and
 * another debugger may attach) or kills it, after about N instructions with
 * "exit=N" (exit status 7, which gdb is told), or after SECONDS (default
 * 60), so a failed test never leaves it behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/gdb/fake_target.h"

static void log_line(void *t, const char *msg)
{
    (void)t;
    fprintf(stderr, "%s\n", msg);
}

int main(int argc, char **argv)
{
    unsigned port = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 0;
    unsigned seconds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 60;
    bool keep = argc > 3 && strcmp(argv[3], "keep") == 0;
    uint64_t limit = argc > 3 && strncmp(argv[3], "exit=", 5) == 0
                         ? strtoull(argv[3] + 5, NULL, 0) : UINT64_MAX;
    static struct fake_target ft;
    struct gdb_target_ops ops = fake_ops;
    ops.log = log_line;

    fake_init(&ft);
    alarm(seconds);
    struct gdb_stub *stub = gdb_stub_new(&ops, &ft);
    if (!stub || port > 65535 || gdb_stub_listen(stub, (uint16_t)port) < 0) {
        perror("gdb_fake_server: listen");
        return 1;
    }
    printf("port %u\n", gdb_stub_port(stub));
    fflush(stdout);
    if (gdb_stub_accept(stub) < 0) {
        perror("gdb_fake_server: accept");
        return 1;
    }
    enum gdb_resume first = gdb_stub_wait(stub, &(struct gdb_stop){ .reason = GDB_STOP_ATTACH });
    if (fake_run(&ft, stub, first, !keep, limit) >= limit)
        gdb_stub_exited(stub, 7);
    gdb_stub_free(stub);
    return 0;
}
