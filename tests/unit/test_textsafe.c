/* Unit tests of textsafe: what reaches a terminal has no control character
 * left (C0, DEL, C1 such as CSI), invalid UTF-8 is shown as bytes, valid
 * text is untouched, and a length cap ends in "...".  log.c prints through
 * it, so a message quoting a server cannot clear the screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "textsafe.h"

static void expect(const char *in, size_t max, const char *want)
{
    struct buf b = BUF_INIT;
    assert_int_equal(text_escape(&b, in, max), 0);
    if (strcmp(b.data, want))
        fail_msg("escape(\"%s\") = \"%s\", wanted \"%s\"", in, b.data, want);
    buf_free(&b);
}

static void test_controls_escaped(void **state)
{
    (void)state;
    expect("plain text, caf\xc3\xa9 \xe2\x9c\x93", 0, "plain text, caf\xc3\xa9 \xe2\x9c\x93");
    expect("\x1b[2Jgone", 0, "\\x1b[2Jgone");
    expect("a\nb\rc\td", 0, "a\\nb\\rc\\td");
    expect("bell\x07 del\x7f", 0, "bell\\x07 del\\x7f");
    expect("csi\xc2\x9b" "31m", 0, "csi\\u009b31m"); /* C1 control in UTF-8 */
    expect("nbsp\xc2\xa0ok", 0, "nbsp\xc2\xa0ok");   /* U+00A0 is text */
    expect("bad\xff\xc3(", 0, "bad\\xff\\xc3(");       /* invalid UTF-8 */
    expect("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");     /* a surrogate */
    expect("", 0, "");
}

static void test_cap(void **state)
{
    (void)state;
    expect("abcdef", 3, "abc...");
    expect("abc", 3, "abc");
    expect("\x1b\x1b\x1b\x1b", 2, "\\x1b\\x1b...");
}

static void test_escaped_copy(void **state)
{
    (void)state;
    char *s = text_escaped("x\x1by");
    assert_string_equal(s, "x\\x1by");
    free(s);
    s = text_escaped(NULL);
    assert_string_equal(s, "");
    free(s);
}

/* Every log line goes through it: nothing raw reaches stderr. */
static void test_log_lines_escaped(void **state)
{
    (void)state;
    char path[] = "/tmp/hs-test-textsafe-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_error("server said: %s", "\x1b]0;owned\x07\x1b[2J");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char got[256] = {0};
    ssize_t n = pread(fd, got, sizeof got - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    assert_string_equal(got, "error: server said: \\x1b]0;owned\\x07\\x1b[2J\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls_escaped),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_escaped_copy),
        cmocka_unit_test(test_log_lines_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
