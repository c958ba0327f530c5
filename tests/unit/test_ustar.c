/*
 * test_ustar.c - unit tests of the ustar volume writer and reader.
 *
 * Expected layouts come from the POSIX ustar format (512-byte blocks, field
 * offsets, checksum rule), computed here independently of the library, and
 * from GNU tar itself: volumes we write must list and extract with `tar`,
 * and archives `tar --format=ustar` writes must read back with our reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/file.h"
#include "loader/ustar.h"
#include "shell.h"

#define NAME "system.tar"

/* Field offsets from the POSIX table, not from the library's struct. */
enum { F_NAME = 0, F_MODE = 100, F_SIZE = 124, F_CHKSUM = 148, F_TYPE = 156, F_MAGIC = 257,
       F_VERSION = 263, F_UNAME = 265, F_PREFIX = 345 };

/* Deterministic pseudo-random file contents. */
static uint8_t *make_data(size_t size, unsigned seed)
{
    uint8_t *d = malloc(size ? size : 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (uint8_t)(x >> 16);
    }
    return d;
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- the test volume ------------------------------------------------------- */

struct member {
    const char *name;
    size_t size;
    unsigned mode;
    bool dir;
};

/* Sizes around block boundaries; names that fill the name field, and that need the prefix. */
static char *name100, *name256, *name_split;
static struct member members[8];
static size_t nmembers;

static int setup_members(void **state)
{
    (void)state;
    name100 = repeat('n', 100); /* fills the name field: no NUL */
    /* 155-byte prefix, '/', 100-byte name: the longest name ustar holds */
    name256 = repeat('p', 256);
    name256[155] = '/';
    memset(name256 + 156, 'q', 100);
    name_split = repeat('d', 130); /* "ddd.../file": needs the prefix */
    name_split[40] = '/';
    struct member m[] = {
        { "boot", 0, 0755, true },
        { "boot/kernel.elf", 3000, 0644, false },
        { "empty", 0, 0600, false },
        { "one", 1, 0644, false },
        { "block", 512, 0444, false },
        { name100, 513, 0644, false },
        { name_split, 511, 0755, false },
        { name256, 7, 0644, false },
    };
    memcpy(members, m, sizeof m);
    nmembers = sizeof m / sizeof m[0];
    return 0;
}

static int teardown_members(void **state)
{
    (void)state;
    free(name100);
    free(name256);
    free(name_split);
    return 0;
}

static void build_volume(struct ustar_writer *w, size_t multiple)
{
    struct loader_error err = { "" };
    ustar_writer_init(w);
    for (size_t i = 0; i < nmembers; i++) {
        const struct member *m = &members[i];
        uint8_t *d = make_data(m->size, (unsigned)i);
        bool ok = m->dir ? ustar_add_dir(w, m->name, m->mode, &err)
                         : ustar_add_file(w, m->name, d, m->size, m->mode, &err);
        free(d);
        if (!ok)
            fail_msg("adding %s: %s", m->name, err.msg);
    }
    if (!ustar_finish(w, multiple, &err))
        fail_msg("finish: %s", err.msg);
}

static size_t blocks(size_t size)
{
    return (size + 511) / 512;
}

static void check_volume_contents(const uint8_t *img, size_t size)
{
    struct ustar_reader r;
    struct ustar_entry e;
    struct loader_error err = { "" };
    ustar_reader_init(&r, img, size, NAME);
    uint64_t offset = 0;
    for (size_t i = 0; i < nmembers; i++) {
        const struct member *m = &members[i];
        int rc = ustar_reader_next(&r, &e, &err);
        if (rc != 1)
            fail_msg("member %zu: rc %d: %s", i, rc, err.msg);
        char want[300];
        snprintf(want, sizeof want, "%s%s", m->name, m->dir ? "/" : "");
        assert_string_equal(e.name, want);
        assert_int_equal(e.type, m->dir ? '5' : '0');
        assert_int_equal(e.size, m->size);
        assert_int_equal(e.mode, m->mode);
        assert_int_equal(e.uid, 0);
        assert_int_equal(e.mtime, 0);
        assert_false(e.gnu);
        assert_int_equal(e.offset, offset);
        uint8_t *d = make_data(m->size, (unsigned)i);
        assert_memory_equal(e.data, d, m->size);
        free(d);
        offset += 512 * (1 + blocks(m->size));
    }
    assert_int_equal(ustar_reader_next(&r, &e, &err), 0);
    assert_int_equal(ustar_reader_next(&r, &e, &err), 0); /* and it stays at the end */
}

static void test_round_trip(void **state)
{
    (void)state;
    struct ustar_writer w;
    build_volume(&w, 0);
    /* Size from the format: a header and whole data blocks per member, two end blocks. */
    size_t want = 2 * 512;
    for (size_t i = 0; i < nmembers; i++)
        want += 512 * (1 + blocks(members[i].size));
    assert_int_equal(w.len, want);
    check_volume_contents(w.buf, w.len);

    unsigned count = 0;
    struct loader_error err = { "" };
    assert_true(ustar_validate(w.buf, w.len, NAME, &count, &err));
    assert_int_equal(count, nmembers);
    ustar_writer_free(&w);
}

static void test_header_fields_follow_the_format(void **state)
{
    (void)state;
    struct ustar_writer w;
    struct loader_error err = { "" };
    ustar_writer_init(&w);
    assert_true(ustar_add_file(&w, "a/b.txt", "hi", 2, 0644, &err));
    assert_true(ustar_finish(&w, 0, &err));
    const uint8_t *h = w.buf;
    assert_string_equal((const char *)h + F_NAME, "a/b.txt");
    assert_memory_equal(h + F_MODE, "0000644\0", 8);
    assert_memory_equal(h + F_SIZE, "00000000002\0", 12);
    assert_int_equal(h[F_TYPE], '0');
    assert_memory_equal(h + F_MAGIC, "ustar\0" "00", 8);
    /* Checksum: all bytes summed with the field as 8 spaces, written "%06o\0 ". */
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += i >= F_CHKSUM && i < F_CHKSUM + 8 ? ' ' : h[i];
    char want[8];
    snprintf(want, sizeof want, "%06o", sum);
    assert_memory_equal(h + F_CHKSUM, want, 6);
    assert_int_equal(h[F_CHKSUM + 6], '\0');
    assert_int_equal(h[F_CHKSUM + 7], ' ');
    assert_memory_equal(h + 512, "hi", 2);
    for (size_t i = 512 + 2; i < w.len; i++)
        assert_int_equal(w.buf[i], 0); /* data padding and the end blocks */
    assert_int_equal(w.len, 4 * 512);
    ustar_writer_free(&w);
}

static void test_long_names_use_the_prefix(void **state)
{
    (void)state;
    struct ustar_writer w;
    build_volume(&w, 0);
    struct ustar_entry e;
    struct ustar_fault f;
    assert_int_equal(ustar_find(w.buf, w.len, name256, &e, &f), 1);
    const uint8_t *h = w.buf + e.offset;
    /* prefix = the 155 bytes before the '/', name = the 100 after: neither has a NUL */
    assert_memory_equal(h + F_PREFIX, name256, 155);
    assert_memory_equal(h + F_NAME, name256 + 156, 100);
    assert_int_equal(ustar_find(w.buf, w.len, name_split, &e, &f), 1);
    h = w.buf + e.offset;
    assert_int_equal(strlen((const char *)h + F_PREFIX), 40);
    assert_int_equal(strlen((const char *)h + F_NAME), 89);
    assert_int_equal(ustar_find(w.buf, w.len, "not/there", &e, &f), 0);
    assert_int_equal(ustar_find(w.buf, w.len, "boot", &e, &f), 0); /* it is "boot/" */
    assert_int_equal(ustar_find(w.buf, w.len, "boot/", &e, &f), 1);
    ustar_writer_free(&w);
}

static void expect_add_error(const char *name, unsigned mode, bool dir, const char *want)
{
    struct ustar_writer w;
    struct loader_error err = { "" };
    ustar_writer_init(&w);
    bool ok = dir ? ustar_add_dir(&w, name, mode, &err)
                  : ustar_add_file(&w, name, "x", 1, mode, &err);
    assert_false(ok);
    assert_contains(err.msg, want);
    assert_int_equal(w.len, 0); /* nothing half-written */
    ustar_writer_free(&w);
}

static void test_writer_refuses_bad_names(void **state)
{
    (void)state;
    char *s = repeat('a', 257);
    s[100] = '/';
    expect_add_error(s, 0644, false, "name is 257 bytes; ustar holds at most 256");
    free(s);
    s = repeat('a', 200); /* no '/' at all */
    expect_add_error(s, 0644, false, "name is 200 bytes and has no '/'");
    free(s);
    s = repeat('a', 211); /* the only '/' leaves a 160-byte prefix */
    s[160] = '/';
    expect_add_error(s, 0644, false, "has no '/' that leaves at most 155 bytes before it");
    free(s);
    s = repeat('a', 150); /* a directory whose only '/' would leave an empty name */
    expect_add_error(s, 0755, true, "between 1 and 100 after it");
    free(s);
    expect_add_error("", 0644, false, "needs a name");
    expect_add_error("/etc/passwd", 0644, false, "/etc/passwd: absolute names");
    expect_add_error("a/../b", 0644, false, "'..'");
    expect_add_error("./a", 0644, false, "'.'");
    expect_add_error("a//b", 0644, false, "a//b: empty path component");
    expect_add_error("a/", 0644, false, "a file name cannot end with '/'");
    expect_add_error("a", 010644, false, "mode 010644");
}

static void test_finish_and_padding(void **state)
{
    (void)state;
    struct ustar_writer w;
    struct loader_error err = { "" };
    build_volume(&w, 1 << 20); /* pad to a 1 MiB disk */
    assert_int_equal(w.len, 1 << 20);
    check_volume_contents(w.buf, w.len);
    assert_false(ustar_add_file(&w, "late", "x", 1, 0644, &err));
    assert_contains(err.msg, "late: the volume is already finished");
    assert_false(ustar_finish(&w, 0, &err));
    assert_contains(err.msg, "already finished");
    ustar_writer_free(&w);

    ustar_writer_init(&w);
    assert_false(ustar_finish(&w, 1000, &err));
    assert_contains(err.msg, "1000 bytes: not a multiple of the 512-byte block");
    assert_true(ustar_finish(&w, 4096, &err)); /* an empty volume is two zero blocks, padded */
    assert_int_equal(w.len, 4096);
    unsigned count = 99;
    assert_true(ustar_validate(w.buf, w.len, NAME, &count, &err));
    assert_int_equal(count, 0);
    ustar_writer_free(&w);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct ustar_writer a, b;
    build_volume(&a, 0);
    build_volume(&b, 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    ustar_writer_free(&a);
    ustar_writer_free(&b);
}

/* ---- compatibility with GNU tar -------------------------------------------- */

static const char *perm_text(unsigned mode, bool dir, char *buf)
{
    const char *rwx = "rwxrwxrwx";
    buf[0] = dir ? 'd' : '-';
    for (int i = 0; i < 9; i++)
        buf[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
    buf[10] = '\0';
    return buf;
}

static void test_tar_reads_our_volume(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t, "tar --version");
    struct ustar_writer w;
    struct loader_error err = { "" };
    build_volume(&w, 4096);
    char vol[600];
    snprintf(vol, sizeof vol, "%s", tmp_path(&t, "vol.tar"));
    assert_true(loader_write_file(vol, w.buf, w.len, &err));

    /* -tv lists every member with its type, mode, owner, size and name. */
    char *list = run("TZ=UTC tar -tvf '%s'", vol);
    char *line = list;
    for (size_t i = 0; i < nmembers; i++) {
        const struct member *m = &members[i];
        char perm[16], owner[32], date[16], time[16], name[300], want[12];
        unsigned long long size;
        int used = 0;
        char *eol = strchr(line, '\n');
        assert_non_null(eol);
        *eol = '\0';
        assert_int_equal(sscanf(line, "%15s %31s %llu %15s %15s %n", perm, owner, &size, date,
                                time, &used), 5);
        snprintf(name, sizeof name, "%s%s", m->name, m->dir ? "/" : "");
        assert_string_equal(perm, perm_text(m->mode, m->dir, want));
        assert_string_equal(owner, "0/0");
        assert_int_equal(size, m->size);
        assert_string_equal(date, "1970-01-01");
        assert_string_equal(line + used, name);
        line = eol + 1;
    }
    assert_string_equal(line, "");
    free(list);

    /* -xO gives back each file's bytes. */
    for (size_t i = 0; i < nmembers; i++) {
        if (members[i].dir)
            continue;
        uint8_t *d = make_data(members[i].size, (unsigned)i);
        /* the data is binary: compare it as hex text */
        char *hex = run("tar -xOf '%s' '%s' | od -An -v -tx1 | tr -d ' \\n'", vol,
                        members[i].name);
        assert_int_equal(strlen(hex), 2 * members[i].size);
        for (size_t j = 0; j < members[i].size; j++) {
            unsigned byte;
            assert_int_equal(sscanf(hex + 2 * j, "%2x", &byte), 1);
            assert_int_equal(byte, d[j]);
        }
        free(hex);
        free(d);
    }
    tmp_remove(&t);
    ustar_writer_free(&w);
}

/* Create the members as files under dir (modes set explicitly, not by umask). */
static void write_tree(struct tmp *t)
{
    struct loader_error err = { "" };
    for (size_t i = 0; i < nmembers; i++) {
        const struct member *m = &members[i];
        char path[600];
        snprintf(path, sizeof path, "%s", tmp_path(t, m->name));
        /* create missing parent directories (the long names have them) */
        for (char *s = path + strlen(t->dir) + 1; (s = strchr(s, '/')); s++) {
            *s = '\0';
            mkdir(path, 0755);
            *s = '/';
        }
        if (m->dir) {
            mkdir(path, 0755);
        } else {
            uint8_t *d = make_data(m->size, (unsigned)i);
            assert_true(loader_write_file(path, d, m->size, &err));
            free(d);
        }
        assert_int_equal(chmod(path, m->mode), 0);
    }
}

static char *member_list(void)
{
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < nmembers; i++)
        len += (size_t)snprintf(s + len, cap - len, " '%s'", members[i].name);
    return s;
}

static void test_we_read_tar_ustar_archives(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t, "tar --version");
    write_tree(&t);
    char *names = member_list();
    /* The same options our writer implies: numeric owner 0, mtime 0, 512-byte records. */
    free(run("cd '%s' && tar --format=ustar --no-recursion --mtime=@0 --owner=0 --group=0 "
             "--numeric-owner -b1 -cf tar.tar%s", t.dir, names));
    uint8_t *img;
    size_t size;
    struct loader_error err = { "" };
    assert_true(loader_read_file(tmp_path(&t, "tar.tar"), &img, &size, &err));
    check_volume_contents(img, size);

    /* GNU tar's writer and ours agree to the byte. */
    struct ustar_writer w;
    build_volume(&w, 0);
    assert_int_equal(size, w.len);
    assert_memory_equal(img, w.buf, size);
    ustar_writer_free(&w);
    free(img);

    /* tar's own choices (real owner, mtime, 10 KiB records) read back too. */
    free(run("cd '%s' && tar --format=ustar --no-recursion -cf plain.tar%s", t.dir, names));
    assert_true(loader_read_file(tmp_path(&t, "plain.tar"), &img, &size, &err));
    assert_int_equal(size % 10240, 0);
    unsigned count = 0;
    if (!ustar_validate(img, size, "plain.tar", &count, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(count, nmembers);
    free(img);
    free(names);
    tmp_remove(&t);
}

static void test_we_read_gnu_archives(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t, "tar --version");
    write_tree(&t);
    free(run("cd '%s' && tar --format=gnu --no-recursion -cf gnu.tar boot boot/kernel.elf one",
             t.dir));
    uint8_t *img;
    size_t size;
    struct loader_error err = { "" };
    assert_true(loader_read_file(tmp_path(&t, "gnu.tar"), &img, &size, &err));
    struct ustar_entry e;
    struct ustar_fault f;
    assert_int_equal(ustar_find(img, size, "boot/kernel.elf", &e, &f), 1);
    assert_true(e.gnu);
    assert_int_equal(e.size, 3000);
    uint8_t *d = make_data(3000, 1);
    assert_memory_equal(e.data, d, 3000);
    free(d);
    free(img);
    tmp_remove(&t);
}

/* ---- corrupt images -------------------------------------------------------- */

/* Recompute a header's checksum the POSIX way, so one other field can be broken. */
static void fix_checksum(uint8_t *h)
{
    unsigned sum = 0;
    memset(h + F_CHKSUM, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + F_CHKSUM, 8, "%06o", sum);
}

/* A volume of "one" (1 byte, header at 0), "block" (512 bytes, header at 0x400). */
static uint8_t *small_volume(size_t *size)
{
    struct ustar_writer w;
    struct loader_error err = { "" };
    ustar_writer_init(&w);
    assert_true(ustar_add_file(&w, "one", "1", 1, 0644, &err));
    uint8_t *d = make_data(512, 2);
    assert_true(ustar_add_file(&w, "block", d, 512, 0644, &err));
    free(d);
    assert_true(ustar_finish(&w, 0, &err));
    assert_int_equal(w.len, 6 * 512);
    *size = w.len;
    return w.buf;
}

static void expect_read_error(uint8_t *img, size_t size, const char *want1, const char *want2)
{
    struct loader_error err = { "" };
    assert_false(ustar_validate(img, size, NAME, NULL, &err));
    assert_contains(err.msg, NAME ": ");
    assert_contains(err.msg, want1);
    if (want2)
        assert_contains(err.msg, want2);
    free(img);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    size_t size;
    uint8_t *img = small_volume(&size);
    unsigned stored;
    assert_int_equal(sscanf((char *)img + 0x400 + F_CHKSUM, "%o", &stored), 1);
    img[0x400 + F_NAME] = 'B'; /* 'b' - 0x20: the sum drops by 32 */
    char want[96];
    snprintf(want, sizeof want, "holds %o (octal), but the header's bytes sum to %o", stored,
             stored - 32);
    expect_read_error(img, size, "header at offset 0x400: field chksum (offset 0x494)", want);

    img = small_volume(&size);
    memcpy(img + F_CHKSUM, "12x456\0 ", 8);
    expect_read_error(img, size, "field chksum (offset 0x94) is \"12x456\\000 \", not an octal",
                      NULL);
}

static void test_checksum_variants_accepted(void **state)
{
    (void)state;
    size_t size;
    uint8_t *img = small_volume(&size);
    struct loader_error err = { "" };
    /* Historic writers summed signed chars: a name byte >= 0x80 tells the two apart. */
    img[F_NAME + 1] = 0xe9;
    int sum = 0;
    memset(img + F_CHKSUM, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += (signed char)img[i];
    snprintf((char *)img + F_CHKSUM, 8, "%06o", (unsigned)sum);
    assert_true(ustar_validate(img, size, NAME, NULL, &err));
    /* Leading spaces, and digits that fill the field with no terminator. */
    memcpy(img + 0x400 + F_MODE, "    644 ", 8);
    memcpy(img + 0x400 + F_SIZE, "000000001000", 12);
    fix_checksum(img + 0x400);
    struct ustar_entry e;
    struct ustar_fault f;
    assert_int_equal(ustar_find(img, size, "block", &e, &f), 1);
    assert_int_equal(e.mode, 0644);
    assert_int_equal(e.size, 512);
    free(img);
}

static void test_bad_magic(void **state)
{
    (void)state;
    size_t size;
    uint8_t *img = small_volume(&size);
    img[0x400 + F_MAGIC + 4] = 'X';
    fix_checksum(img + 0x400);
    expect_read_error(img, size, "header at offset 0x400: field magic (offset 0x501)",
                      "magic \"ustaX\\000\", version \"00\"");
    img = small_volume(&size);
    memcpy(img + F_VERSION, "01", 2);
    fix_checksum(img);
    expect_read_error(img, size, "field version (offset 0x107)", "version \"01\"");
    /* Text that is not an archive at all. */
    img = malloc(2048);
    memset(img, 'A', 2048);
    expect_read_error(img, 2048, "header at offset 0x0: field magic", "\"AAAAAA\"");
}

static void test_size_past_end(void **state)
{
    (void)state;
    size_t size;
    uint8_t *img = small_volume(&size);
    /* "block" at 0x400: after its header, 0xc00 - 0x600 = 1536 bytes remain. */
    memcpy(img + 0x400 + F_SIZE, "00000003001", 11);
    fix_checksum(img + 0x400);
    expect_read_error(img, size, "header at offset 0x400: field size (offset 0x47c)",
                      "is 1537 bytes, but only 1536 bytes of the image follow the header");
    img = small_volume(&size);
    memcpy(img + F_SIZE, "77777777777", 11);
    fix_checksum(img);
    expect_read_error(img, size, "is 8589934591 bytes", NULL);
    img = small_volume(&size);
    memcpy(img + F_SIZE, "\0\0\0\0\0\0\0\0\0\0\0", 11);
    fix_checksum(img);
    expect_read_error(img, size, "field size (offset 0x7c) is \"", "not an octal number");
}

static void test_truncated(void **state)
{
    (void)state;
    size_t size;
    uint8_t *img = small_volume(&size);
    expect_read_error(img, 0x400 + 100, "truncated: the member at offset 0x400 needs 512 bytes",
                      "only 100 are left");
    img = small_volume(&size);
    /* The data of "block" (0x600-0x800) is cut in the middle. */
    expect_read_error(img, 0x700, "field size (offset 0x47c) is 512 bytes",
                      "only 256 bytes of the image follow");
    img = small_volume(&size);
    /* "one" has its byte but not the rest of its data block. */
    expect_read_error(img, 0x300, "truncated: the member at offset 0x0 needs 1024 bytes",
                      "only 768 are left");
    img = small_volume(&size);
    expect_read_error(img, 0x800, "the image ends at offset 0x800 without the two zero blocks",
                      NULL);
    img = small_volume(&size);
    expect_read_error(img, 0xa00, "the zero block at offset 0x800 is not followed by a second",
                      NULL);
    img = small_volume(&size);
    img[0xa00] = 1; /* a "second zero block" that is not zero */
    expect_read_error(img, size, "the zero block at offset 0x800", NULL);
    expect_read_error(malloc(1), 0, "the image ends at offset 0x0 without", NULL);
}

static void test_names_and_types(void **state)
{
    (void)state;
    size_t size;
    uint8_t *img = small_volume(&size);
    memset(img + 0x400 + F_NAME, 0, 100);
    fix_checksum(img + 0x400);
    expect_read_error(img, size, "header at offset 0x400: field name (offset 0x400) is empty",
                      NULL);
    img = small_volume(&size);
    memset(img + F_UNAME, 'u', 32);
    fix_checksum(img);
    expect_read_error(img, size, "field uname (offset 0x109) has no NUL byte", NULL);
    img = small_volume(&size);
    img[F_TYPE] = '5'; /* a directory with 1 byte of data */
    fix_checksum(img);
    expect_read_error(img, size, "field size (offset 0x7c) is 1",
                      "a member of type '5' has no data");
    /* A member of a type the parser does not interpret is reported and skipped by its size. */
    img = small_volume(&size);
    img[F_TYPE] = 'x'; /* pax extended header: reported, not interpreted */
    fix_checksum(img);
    struct ustar_entry e;
    struct ustar_fault f;
    assert_int_equal(ustar_find(img, size, "one", &e, &f), 1);
    assert_int_equal(e.type, 'x');
    assert_int_equal(ustar_find(img, size, "block", &e, &f), 1);
    free(img);
}

/* The offset of the k-th header of a valid image (k < nmembers). */
static size_t nth_header(const uint8_t *img, size_t size, int k)
{
    struct ustar_cursor c;
    struct ustar_entry e;
    struct ustar_fault f;
    ustar_begin(&c, img, size);
    for (int i = 0; i <= k; i++)
        assert_int_equal(ustar_next(&c, &e, &f), 1);
    return (size_t)e.offset;
}

/*
 * Random corruption: every image is either read to its end or refused with
 * a message; the parser never reads outside the image (ASan, valgrind).
 * Half the corrupted headers get a valid checksum again, so that the
 * corruption reaches the checks behind the checksum.
 */
static void test_fuzz(void **state)
{
    (void)state;
    struct ustar_writer w;
    build_volume(&w, 0);
    uint8_t *img = malloc(w.len);
    unsigned good = 0, bad = 0;
    srand(1337);
    for (int iter = 0; iter < 3000; iter++) {
        size_t size = w.len;
        memcpy(img, w.buf, w.len);
        if (iter % 4 == 0) {
            size = (size_t)rand() % (w.len + 1);
        } else {
            size_t h = nth_header(w.buf, w.len, rand() % (int)nmembers);
            for (int n = 1 + rand() % 3; n-- > 0;) {
                size_t at = h + (size_t)rand() % 512;
                img[at] = rand() % 2 ? (uint8_t)rand() : img[at] ^ (uint8_t)(1u << rand() % 8);
            }
            if (rand() % 2)
                fix_checksum(img + h);
        }
        /* a private copy of exactly size bytes, so ASan sees any overread */
        uint8_t *copy = malloc(size ? size : 1);
        memcpy(copy, img, size);
        struct loader_error err = { "" };
        struct ustar_reader r;
        struct ustar_entry e;
        int rc;
        ustar_reader_init(&r, copy, size, NAME);
        while ((rc = ustar_reader_next(&r, &e, &err)) == 1) {
            assert_true(e.data >= copy && e.size <= size);
            assert_true((size_t)(e.data - copy) <= size - e.size);
            assert_true(strlen(e.name) > 0 && strlen(e.name) <= USTAR_PATH_MAX);
        }
        if (rc == 0) {
            good++;
        } else {
            assert_contains(err.msg, NAME ": ");
            assert_true(strlen(err.msg) > strlen(NAME ": "));
            bad++;
        }
        free(copy);
    }
    /* Both outcomes occur: the loop exercised the checks and the reader. */
    assert_true(good > 300);
    assert_true(bad > 1000);
    free(img);
    ustar_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_header_fields_follow_the_format),
        cmocka_unit_test(test_long_names_use_the_prefix),
        cmocka_unit_test(test_writer_refuses_bad_names),
        cmocka_unit_test(test_finish_and_padding),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_tar_reads_our_volume),
        cmocka_unit_test(test_we_read_tar_ustar_archives),
        cmocka_unit_test(test_we_read_gnu_archives),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_checksum_variants_accepted),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_size_past_end),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_names_and_types),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, setup_members, teardown_members);
}
