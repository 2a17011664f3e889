/* apple_health_rules: how Apple Health's values become ours: a type
 * identifier becomes a resource name, its dates UTC times, its numbers JSON
 * numbers (see apple_health.h). */
#include "apple_health.h"

#include "json.h"
#include "timeutil.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int apple_health_resource_name(const char *type, struct buf *out)
{
    const char *name = type;
    const char *marker = strstr(type, "TypeIdentifier");
    if (strncmp(type, "HK", 2) == 0 && marker)
        name = marker + strlen("TypeIdentifier");
    else if (strncmp(type, "HK", 2) == 0)
        name = type + 2;
    for (size_t i = 0; name[i]; i++) {
        char c = name[i];
        if (i > 0 && is_upper(c)) {
            char prev = name[i - 1];
            bool after_word = is_lower(prev) || is_digit(prev);
            bool starts_word = is_upper(prev) && is_lower(name[i + 1]);
            if ((after_word || starts_word) && buf_addc(out, '_') < 0)
                return -1;
        }
        if (buf_addc(out, is_upper(c) ? (char)(c - 'A' + 'a') : c) < 0)
            return -1;
    }
    return 0;
}

/* n digits at *p as a number; advances *p. */
static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* "Z", "+HH", "+HHMM", "+HH:MM" or nothing (UTC): seconds east of UTC. */
static bool parse_offset(const char *p, long *offset)
{
    *offset = 0;
    if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0'))
        return true;
    int sign = *p == '-' ? -1 : *p == '+' ? 1 : 0;
    int hh, mm = 0;
    if (!sign)
        return false;
    p++;
    if (!take_digits(&p, 2, &hh))
        return false;
    if (*p) {
        take_char(&p, ':');
        if (!take_digits(&p, 2, &mm) || *p)
            return false;
    }
    if (hh > 23 || mm > 59)
        return false;
    *offset = sign * (hh * 3600L + mm * 60L);
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int apple_health_parse_date(const char *s, time_t *out)
{
    const char *p = s;
    int y, mo, d, h, mi, sec = 0;
    if (!take_digits(&p, 4, &y) || !take_char(&p, '-') || !take_digits(&p, 2, &mo) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &d) || !(take_char(&p, ' ') || take_char(&p, 'T')) ||
        !take_digits(&p, 2, &h) || !take_char(&p, ':') || !take_digits(&p, 2, &mi))
        return -1;
    if (take_char(&p, ':') && !take_digits(&p, 2, &sec))
        return -1;
    if (take_char(&p, '.') || take_char(&p, ',')) {
        if (!is_digit(*p))
            return -1;
        while (is_digit(*p))
            p++; /* the stored times are whole seconds */
    }
    take_char(&p, ' ');
    long offset;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60 ||
        !parse_offset(p, &offset))
        return -1;
    long long days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = (time_t)(days * 86400 + h * 3600LL + mi * 60LL + sec - offset);
    return 0;
}

/* Scans a run of digits; returns how many. */
static size_t digits_at(const char *p)
{
    size_t n = 0;
    while (is_digit(p[n]))
        n++;
    return n;
}

/* JSON's own grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *s, bool *has_exponent)
{
    const char *p = s;
    *has_exponent = false;
    if (*p == '-')
        p++;
    size_t n = digits_at(p);
    if (n == 0 || (n > 1 && *p == '0'))
        return false;
    p += n;
    if (*p == '.') {
        if ((n = digits_at(++p)) == 0)
            return false;
        p += n;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if ((n = digits_at(p)) == 0)
            return false;
        p += n;
        *has_exponent = true;
    }
    return *p == '\0';
}

/* The looser forms people and tools write: [+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?;
 * *integral when there is neither point nor exponent. */
static bool is_loose_number(const char *s, bool *integral)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t before = digits_at(p), after = 0;
    p += before;
    *integral = true;
    if (*p == '.') {
        *integral = false;
        after = digits_at(++p);
        p += after;
    }
    if (before + after == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        *integral = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        size_t n = digits_at(p);
        if (n == 0)
            return false;
        p += n;
    }
    return *p == '\0';
}

int apple_health_json_number(const char *s, struct buf *out)
{
    bool exponent, integral;
    if (is_json_number(s, &exponent)) {
        if (exponent && !isfinite(strtod(s, NULL)))
            return 0;
        return buf_adds(out, s) < 0 ? -1 : 1;
    }
    if (!is_loose_number(s, &integral))
        return 0;
    if (integral) { /* "+5", "007", "-0012": the integer without sign or zeros */
        const char *p = s + (*s == '+' || *s == '-');
        while (p[0] == '0' && p[1])
            p++;
        if (*s == '-' && strcmp(p, "0") != 0 && buf_addc(out, '-') < 0)
            return -1;
        return buf_adds(out, p) < 0 ? -1 : 1;
    }
    double d = strtod(s, NULL);
    if (!isfinite(d))
        return 0;
    return json_format_double(d, out) < 0 ? -1 : 1;
}
