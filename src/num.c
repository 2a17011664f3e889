#include "num.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

static const char *skip_blanks(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* Digits, optionally signed, at s: strtoll and strtod accept more (hex,
 * "inf", leading blanks after the sign) than a number we expect. */
static int starts_like_number(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]));
}

int num_parse_ll(const char *s, long long min, long long max, long long *out)
{
    if (!s)
        return -1;
    s = skip_blanks(s);
    if (!starts_like_number(s) || *s == '.')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *skip_blanks(end) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int num_parse_double(const char *s, double *out)
{
    if (!s)
        return -1;
    s = skip_blanks(s);
    const char *digits = *s == '+' || *s == '-' ? s + 1 : s;
    if (!starts_like_number(s) || (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE && fabs(v) > 1.0) /* overflow; an underflow to ~0 is a value */
        return -1;
    if (*skip_blanks(end) || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
