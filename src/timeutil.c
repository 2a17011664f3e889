/* timeutil: UTC time parsing and formatting without the C library's
 * locale- and TZ-dependent calls; local dates come from tzfile.c, which
 * never touches the environment. */
#include "timeutil.h"

#include "tzfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double time_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

time_t time_now(void)
{
    const char *pinned = getenv("HEALTH_SYNC_NOW");
    time_t t;
    if (pinned && *pinned && time_parse(pinned, &t) == 0)
        return t;
    return time(NULL);
}

/* Howard Hinnant's days_from_civil algorithm (public domain arithmetic). */
long long time_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

void time_civil_from_days(long long z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static long long floor_div(long long a, long long b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

void time_format_iso(time_t t, char out[TIME_ISO_LEN])
{
    long long days = floor_div((long long)t, 86400);
    long long secs = (long long)t - days * 86400;
    int y;
    unsigned m, d;
    time_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(out, TIME_ISO_LEN, "%s", y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
        return;
    }
    /* Digit by digit: an import formats two of these a record, and
     * snprintf was a tenth of its CPU. */
    unsigned fields[] = {(unsigned)y / 100, (unsigned)y % 100, m, d, (unsigned)(secs / 3600),
                         (unsigned)(secs / 60 % 60), (unsigned)(secs % 60)};
    static const char after[] = {0, '-', '-', 'T', ':', ':', 'Z'};
    char *p = out;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        *p++ = (char)('0' + fields[i] / 10 % 10);
        *p++ = (char)('0' + fields[i] % 10);
        if (after[i])
            *p++ = after[i];
    }
    *p = '\0';
}

void time_format_date(time_t t, char out[TIME_DATE_LEN])
{
    char iso[TIME_ISO_LEN];
    time_format_iso(t, iso);
    memcpy(out, iso, 10);
    out[10] = '\0';
}

/* Reads exactly n digits at *p into *v. */
static int read_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

/* "YYYY-MM-DD" at *p, validated, advancing *p. */
static int read_date(const char **p, long long *days)
{
    int y, m, d;
    if (read_digits(p, 4, &y) || **p != '-')
        return -1;
    (*p)++;
    if (read_digits(p, 2, &m) || **p != '-')
        return -1;
    (*p)++;
    if (read_digits(p, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = time_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

int time_parse_date(const char *s, time_t *out)
{
    long long days;
    const char *p = s;
    if (!s || read_date(&p, &days) || *p)
        return -1;
    *out = (time_t)(days * 86400);
    return 0;
}

bool time_is_valid_date(const char *s)
{
    time_t t;
    return time_parse_date(s, &t) == 0;
}

static int parse_epoch(const char *s, time_t *out)
{
    const char *p = s;
    long long v = 0;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > 1000000000000000LL)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p)
        return -1;
    /* Epoch milliseconds are common in provider payloads. */
    if (v > 100000000000LL)
        v /= 1000;
    *out = (time_t)v;
    return 0;
}

/* The part after the seconds: fraction, then Z / +HH:MM / +HHMM / nothing. */
static int read_offset(const char *p, long long *offset)
{
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    *offset = 0;
    if (*p == '\0')
        return 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return 0;
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1, hh, mm;
    p++;
    if (read_digits(&p, 2, &hh))
        return -1;
    if (*p == ':')
        p++;
    if (*p == '\0')
        mm = 0;
    else if (read_digits(&p, 2, &mm))
        return -1;
    if (*p || hh > 23 || mm > 59)
        return -1;
    *offset = sign * (hh * 3600LL + mm * 60LL);
    return 0;
}

int time_parse(const char *s, time_t *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (parse_epoch(s, out) == 0)
        return 0;
    const char *p = s;
    long long days;
    if (read_date(&p, &days))
        return -1;
    if (*p == '\0') {
        *out = (time_t)(days * 86400);
        return 0;
    }
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    int hh, mi, ss = 0;
    if (read_digits(&p, 2, &hh) || *p != ':')
        return -1;
    p++;
    if (read_digits(&p, 2, &mi))
        return -1;
    if (*p == ':') {
        p++;
        if (read_digits(&p, 2, &ss))
            return -1;
    }
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    long long offset;
    if (read_offset(p, &offset))
        return -1;
    *out = (time_t)(days * 86400 + hh * 3600LL + mi * 60LL + ss - offset);
    return 0;
}

int time_local_date(time_t t, const char *tz, char out[TIME_DATE_LEN])
{
    long offset = 0;
    if (tz && *tz && tz_offset(tz, t, &offset) < 0)
        return -1;
    time_format_date(t + offset, out);
    return 0;
}
