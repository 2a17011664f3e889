/* html: escaping and the number formats of the report (see html.h). */
#include "html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void html_text(struct buf *b, const char *s)
{
    if (!s)
        return;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            buf_adds(b, "&amp;");
            break;
        case '<':
            buf_adds(b, "&lt;");
            break;
        case '>':
            buf_adds(b, "&gt;");
            break;
        case '"':
            buf_adds(b, "&quot;");
            break;
        case '\'':
            buf_adds(b, "&#39;");
            break;
        default:
            buf_addc(b, *p);
        }
    }
}

void html_textf(struct buf *b, const char *fmt, ...)
{
    struct buf tmp = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&tmp, fmt, ap);
    va_end(ap);
    html_text(b, tmp.data);
    buf_free(&tmp);
}

void fmt_duration(struct buf *b, double seconds)
{
    if (isnan(seconds)) {
        buf_adds(b, "—");
        return;
    }
    long minutes = lround(seconds / 60.0);
    if (minutes < 60)
        buf_addf(b, "%ld min", minutes);
    else
        buf_addf(b, "%ld h %02ld min", minutes / 60, minutes % 60);
}

void fmt_number(struct buf *b, double v, int decimals)
{
    if (isnan(v)) {
        buf_adds(b, "—");
        return;
    }
    if (decimals > 0 || fabs(v) < 10000) {
        buf_addf(b, "%.*f", decimals, v);
        return;
    }
    /* Thousands grouped with a comma: 12,345. */
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    if (v <= -0.5)
        buf_addc(b, '-');
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf_addc(b, ',');
        buf_addc(b, digits[i]);
    }
}
