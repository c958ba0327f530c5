/*
 * test_cmdline.c - Windows command lines: guest/crt/args.c splits them as
 * Microsoft's C startup code does (the examples of "Parsing C command-line
 * arguments", Microsoft Learn, row by row), and emu/cmdquote.c quotes
 * arguments so that the split gives them back exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu/cmdquote.h"
#include "guest/crt/args.h"

/* Split line; check argc and each argument. */
static void expect_split(const char *line, size_t argc, const char *const *want)
{
    size_t n = crt_split_command_line(line, NULL, NULL);
    char **argv = malloc((n + 1) * sizeof *argv);
    char *buf = malloc(strlen(line) + 1);
    assert_int_equal(crt_split_command_line(line, argv, buf), n);
    assert_int_equal(n, argc);
    for (size_t i = 0; i < argc; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[argc]);
    free(argv);
    free(buf);
}

/* The documentation's table: command-line input, then argv[1], [2], [3]. */
static void test_documented_examples(void **state)
{
    (void)state;
    expect_split("p \"a b c\" d e", 4, (const char *[]){ "p", "a b c", "d", "e" });
    expect_split("p \"ab\\\"c\" \"\\\\\" d", 4, (const char *[]){ "p", "ab\"c", "\\", "d" });
    expect_split("p a\\\\\\b d\"e f\"g h", 4, (const char *[]){ "p", "a\\\\\\b", "de fg", "h" });
    expect_split("p a\\\\\\\"b c d", 4, (const char *[]){ "p", "a\\\"b", "c", "d" });
    expect_split("p a\\\\\\\\\"b c\" d e", 4, (const char *[]){ "p", "a\\\\b c", "d", "e" });
    expect_split("p a\"b\"\" c d", 2, (const char *[]){ "p", "ab\" c d" });
}

/* argv[0]: quotes group and vanish, backslashes are literal, a space or tab
 * outside quotes ends it; an empty line still has argv[0]. */
static void test_program_name(void **state)
{
    (void)state;
    expect_split("\"C:\\Program Files\\x.exe\" a", 2,
                 (const char *[]){ "C:\\Program Files\\x.exe", "a" });
    expect_split("C:\\dir\\\"x\"y.exe\tz", 2, (const char *[]){ "C:\\dir\\xy.exe", "z" });
    expect_split("", 1, (const char *[]){ "" });
    expect_split("prog   \t  ", 1, (const char *[]){ "prog" });
}

/* Quoting then splitting gives the arguments back, whatever they hold. */
static void test_quote_round_trip(void **state)
{
    (void)state;
    static const char *const args[] = {
        "plain", "", " ", "two words", "tab\there", "\"", "\"\"", "a\"b", "\\", "\\\\",
        "trailing\\", "trailing\\\\", "\\\"", "a\\\\\"b c", "mid\\dle", "\"quoted\"", "x\\\"y\\",
    };
    size_t n = sizeof args / sizeof args[0];
    char line[1024] = "prog";
    for (size_t i = 0; i < n; i++) {
        strcat(line, " ");
        assert_true(cmdline_quote_arg(line, sizeof line, args[i]));
    }
    const char *want[sizeof args / sizeof args[0] + 1] = { "prog" };
    memcpy(want + 1, args, sizeof args);
    expect_split(line, n + 1, want);
}

/* Plain arguments stay as they are; the others are quoted minimally. */
static void test_quote_forms(void **state)
{
    (void)state;
    static const struct { const char *arg, *quoted; } cases[] = {
        { "abc", "abc" }, { "a\\b", "a\\b" }, { "", "\"\"" }, { "a b", "\"a b\"" },
        { "a\"b", "\"a\\\"b\"" }, { "a\\\"b", "\"a\\\\\\\"b\"" }, { "a b\\", "\"a b\\\\\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64] = "";
        assert_true(cmdline_quote_arg(out, sizeof out, cases[i].arg));
        assert_string_equal(out, cases[i].quoted);
    }
}

/* A buffer too small: false, never past its end; one byte more is enough. */
static void test_quote_overflow(void **state)
{
    (void)state;
    char out[8] = "";
    assert_false(cmdline_quote_arg(out, sizeof out, "a long argument"));
    assert_true(strlen(out) < sizeof out);
    char seven[7] = "", eight[8] = ""; /* "a" quoted is 7 characters: "\"a\"" */
    assert_false(cmdline_quote_arg(seven, sizeof seven, "\"a\""));
    assert_true(cmdline_quote_arg(eight, sizeof eight, "\"a\""));
    assert_string_equal(eight, "\"\\\"a\\\"\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_examples),
        cmocka_unit_test(test_program_name),
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_quote_forms),
        cmocka_unit_test(test_quote_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
