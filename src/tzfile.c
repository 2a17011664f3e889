#include "tzfile.h"

#include "buf.h"
#include "timeutil.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ZONEINFO "/usr/share/zoneinfo"
#define TZIF_MAX (1 << 20) /* real files are a few KB */

/* ---- the POSIX TZ rule in the file's footer ("WET0WEST,M3.5.0/1,M10.5.0") */

struct rule_date {
    char kind; /* 'J' (1-365, no Feb 29), 'D' (0-365), 'M' (month.week.day) */
    int a, b, c;
    long time; /* seconds after local midnight of that day */
};

struct posix_rule {
    long std, dst; /* offsets east of UTC */
    bool has_dst;
    struct rule_date start, end;
};

static const char *skip_name(const char *p)
{
    if (*p == '<') {
        const char *close = strchr(p, '>');
        return close ? close + 1 : NULL;
    }
    const char *q = p;
    while (isalpha((unsigned char)*q))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds. */
static const char *read_hms(const char *p, long *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    long parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*p))
            return NULL;
        long v = 0;
        while (isdigit((unsigned char)*p) && v < 1000)
            v = v * 10 + (*p++ - '0');
        parts[i] = v;
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *read_int(const char *p, int *out)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    int v = 0;
    while (isdigit((unsigned char)*p) && v < 10000)
        v = v * 10 + (*p++ - '0');
    *out = v;
    return p;
}

static const char *read_rule_date(const char *p, struct rule_date *d)
{
    d->time = 2 * 3600;
    if (*p == 'J') {
        d->kind = 'J';
        p = read_int(p + 1, &d->a);
    } else if (*p == 'M') {
        d->kind = 'M';
        if (!(p = read_int(p + 1, &d->a)) || *p != '.' || !(p = read_int(p + 1, &d->b)) ||
            *p != '.' || !(p = read_int(p + 1, &d->c)))
            return NULL;
        if (d->a < 1 || d->a > 12 || d->b < 1 || d->b > 5 || d->c > 6)
            return NULL;
    } else {
        d->kind = 'D';
        p = read_int(p, &d->a);
    }
    if (p && *p == '/')
        p = read_hms(p + 1, &d->time);
    return p;
}

/* POSIX offsets count west of UTC: "WET0" is +0, "CET-1" is +3600. */
static int parse_posix_rule(const char *s, struct posix_rule *r)
{
    memset(r, 0, sizeof *r);
    const char *p = skip_name(s);
    long west;
    if (!p || !(p = read_hms(p, &west)))
        return -1;
    r->std = -west;
    if (!*p)
        return 0;
    if (!(p = skip_name(p)))
        return -1;
    r->has_dst = true;
    r->dst = r->std + 3600;
    if (*p && *p != ',') {
        if (!(p = read_hms(p, &west)))
            return -1;
        r->dst = -west;
    }
    if (*p != ',' || !(p = read_rule_date(p + 1, &r->start)) || *p != ',' ||
        !(p = read_rule_date(p + 1, &r->end)) || *p)
        return -1;
    return 0;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of the rule's day in year y. */
static long long rule_day(const struct rule_date *d, int y)
{
    long long jan1 = time_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->a - 1 + (is_leap(y) && d->a >= 60);
    if (d->kind == 'D')
        return jan1 + d->a;
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long long first = time_days_from_civil(y, (unsigned)d->a, 1);
    int dow_first = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    int day = 1 + (d->c - dow_first + 7) % 7 + (d->b - 1) * 7;
    int last = dim[d->a - 1] + (d->a == 2 && is_leap(y));
    while (day > last)
        day -= 7;
    return first + day - 1;
}

static long rule_offset(const struct posix_rule *r, time_t t)
{
    if (!r->has_dst)
        return r->std;
    int y;
    unsigned m, d;
    long long local_days = ((long long)t + r->std) / 86400 - (((long long)t + r->std) % 86400 < 0);
    time_civil_from_days(local_days, &y, &m, &d);
    /* The change to summer time happens at a standard-time wall clock, the
     * change back at a summer-time one. */
    long long start = rule_day(&r->start, y) * 86400 + r->start.time - r->std;
    long long end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst;
    bool summer = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return summer ? r->dst : r->std;
}

/* ---- the TZif file ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif {
    const unsigned char *times, *types, *infos;
    uint32_t timecnt, typecnt;
    int time_size;
    const char *footer; /* the POSIX rule (NUL-terminated copy), or NULL */
};

/* Points *z at the newest data block of a TZif image; -1 if malformed. */
static int parse_tzif(const unsigned char *d, size_t n, struct tzif *z, char **footer)
{
    *footer = NULL;
    if (n < 44 || memcmp(d, "TZif", 4))
        return -1;
    int time_size = 4;
    for (int pass = 0; pass < 2; pass++) {
        if (n < 44 || memcmp(d, "TZif", 4))
            return -1;
        uint32_t isut = be32(d + 20), isstd = be32(d + 24), leap = be32(d + 28),
                 timecnt = be32(d + 32), typecnt = be32(d + 36), charcnt = be32(d + 40);
        if (timecnt > 100000 || typecnt == 0 || typecnt > 256 || charcnt > 100000 ||
            leap > 100000 || isut > 256 || isstd > 256)
            return -1;
        size_t body = (size_t)timecnt * (size_t)time_size + timecnt + typecnt * 6u + charcnt +
                      leap * (size_t)(time_size + 4) + isstd + isut;
        if (44 + body > n)
            return -1;
        bool v2 = d[4] >= '2';
        if (pass == 0 && v2) { /* skip the 32-bit block for the 64-bit one */
            d += 44 + body;
            n -= 44 + body;
            time_size = 8;
            continue;
        }
        z->times = d + 44;
        z->types = z->times + (size_t)timecnt * (size_t)time_size;
        z->infos = z->types + timecnt;
        z->timecnt = timecnt;
        z->typecnt = typecnt;
        z->time_size = time_size;
        for (uint32_t i = 0; i < timecnt; i++)
            if (z->types[i] >= typecnt)
                return -1;
        const unsigned char *end = d + 44 + body;
        size_t rest = n - 44 - body;
        if (time_size == 8 && rest >= 2 && end[0] == '\n') {
            const unsigned char *nl = memchr(end + 1, '\n', rest - 1);
            if (nl && nl > end + 1)
                *footer = strndup((const char *)end + 1, (size_t)(nl - end - 1));
        }
        return 0;
    }
    return -1;
}

static int64_t transition_at(const struct tzif *z, uint32_t i)
{
    const unsigned char *p = z->times + (size_t)i * (size_t)z->time_size;
    return z->time_size == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
}

static long info_offset(const struct tzif *z, unsigned type)
{
    return (long)(int32_t)be32(z->infos + type * 6u);
}

static long tzif_offset(const struct tzif *z, const char *footer, time_t t)
{
    if (z->timecnt == 0 || (int64_t)t < transition_at(z, 0)) {
        struct posix_rule r;
        if (z->timecnt == 0 && footer && parse_posix_rule(footer, &r) == 0)
            return rule_offset(&r, t);
        return info_offset(z, 0);
    }
    uint32_t lo = 0, hi = z->timecnt; /* the last transition at or before t */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (transition_at(z, mid) <= (int64_t)t)
            lo = mid;
        else
            hi = mid;
    }
    struct posix_rule r;
    if (lo == z->timecnt - 1 && footer && parse_posix_rule(footer, &r) == 0)
        return rule_offset(&r, t);
    return info_offset(z, z->types[lo]);
}

/* Names are relative paths of letters, digits and "/_+-", never "..". */
static bool safe_name(const char *name)
{
    if (!name || !*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 200)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
            return false;
    return true;
}

static unsigned char *read_zone_file(const char *name, size_t *len)
{
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/%s", ZONEINFO, name);
    FILE *f = buf_failed(&path) ? NULL : fopen(path.data, "rb");
    buf_free(&path);
    struct stat st;
    if (f && (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
              st.st_size >= TZIF_MAX)) {
        fclose(f); /* a directory ("Europe"), or not a zone file */
        return NULL;
    }
    if (!f)
        return NULL;
    size_t size = (size_t)st.st_size;
    unsigned char *data = malloc(size + 1);
    size_t n = data ? fread(data, 1, size + 1, f) : 0;
    bool bad = ferror(f) || n != size;
    fclose(f);
    if (bad) {
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

int tz_offset(const char *name, time_t t, long *offset)
{
    if (name && (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC"))) {
        *offset = 0;
        return 0;
    }
    if (!safe_name(name))
        return -1;
    size_t len;
    unsigned char *data = read_zone_file(name, &len);
    if (!data)
        return -1;
    struct tzif z;
    char *footer;
    int rc = parse_tzif(data, len, &z, &footer);
    if (rc == 0)
        *offset = tzif_offset(&z, footer, t);
    free(footer);
    free(data);
    return rc;
}

bool tz_is_valid(const char *name)
{
    long offset;
    return tz_offset(name, 0, &offset) == 0;
}
