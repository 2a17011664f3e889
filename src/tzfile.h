/* tzfile: UTC offsets of an IANA time zone, read from the compiled zoneinfo
 * file (TZif, RFC 8536) and its POSIX rule for times after the last listed
 * transition.  Nothing here touches TZ or the C library's time zone state,
 * so it is safe while other threads run (libcurl's resolver reads the
 * environment; setenv("TZ") under it is undefined behaviour). */
#ifndef HS_TZFILE_H
#define HS_TZFILE_H

#include <stdbool.h>
#include <time.h>

/* Whether name is a zone we can read ("UTC", "Europe/Lisbon"). */
bool tz_is_valid(const char *name);
/* Seconds east of UTC in zone `name` at t; -1 when the zone is unknown. */
int tz_offset(const char *name, time_t t, long *offset);

#endif
