/* timeutil: parsing and formatting of the times providers send.
 * time_t and UTC inside; conversions happen only at the edges. */
#ifndef HS_TIMEUTIL_H
#define HS_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define TIME_ISO_LEN 21  /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */
#define TIME_DATE_LEN 11 /* "YYYY-MM-DD" + NUL */

/* The current time; tests may pin it with HEALTH_SYNC_NOW=<epoch or ISO>. */
time_t time_now(void);

/* Seconds on a clock that only moves forward, for durations. */
double time_monotonic(void);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" / "YYYY-MM-DD" (UTC). */
void time_format_iso(time_t t, char out[TIME_ISO_LEN]);
void time_format_date(time_t t, char out[TIME_DATE_LEN]);

/* Parses any of: epoch seconds (all digits, optional fraction), "YYYY-MM-DD"
 * (midnight UTC), ISO 8601 date-time with 'T' or ' ', optional fraction, and
 * 'Z', "+HH:MM", "+HHMM" or no offset (UTC).  Returns 0 and sets *out, or -1. */
int time_parse(const char *s, time_t *out);
/* Parses exactly "YYYY-MM-DD" (a real calendar date). */
int time_parse_date(const char *s, time_t *out);
bool time_is_valid_date(const char *s);

/* Days from 1970-01-01 for a civil date, and back (proleptic Gregorian). */
long long time_days_from_civil(int y, unsigned m, unsigned d);
void time_civil_from_days(long long days, int *y, unsigned *m, unsigned *d);

/* The calendar date of t in the IANA zone tz ("UTC", "Europe/Lisbon"). Returns
 * -1 if the zone is unknown. */
int time_local_date(time_t t, const char *tz, char out[TIME_DATE_LEN]);

#endif
