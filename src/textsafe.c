#include "textsafe.h"

#include <stdbool.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_length(const unsigned char *p)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
                             : p[0] >= 0xf0 && p[0] <= 0xf4                      ? 4
                                                                                  : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong three-byte forms, surrogates and beyond U+10FFFF. */
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

int text_escape(struct buf *out, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t shown = 0;
    while (*p) {
        if (max && shown >= max) {
            buf_adds(out, "...");
            break;
        }
        size_t n = utf8_length(p);
        if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
            if (*p == '\n')
                buf_adds(out, "\\n");
            else if (*p == '\r')
                buf_adds(out, "\\r");
            else if (*p == '\t')
                buf_adds(out, "\\t");
            else
                buf_addf(out, "\\x%02x", *p);
        } else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
            buf_addf(out, "\\u%04x", p[1]); /* C1 controls: CSI is U+009B */
        } else if (n == 0) {
            buf_addf(out, "\\x%02x", *p);
            n = 1;
        } else {
            buf_add(out, p, n);
        }
        p += n;
        shown += n;
    }
    return buf_failed(out) ? -1 : 0;
}

char *text_escaped(const char *s)
{
    struct buf out = BUF_INIT;
    text_escape(&out, s ? s : "", 0);
    return buf_detach(&out);
}
