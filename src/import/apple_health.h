/* apple_health: the export the Health app writes (profile -> Export All
 * Health Data), read as a stream of records.
 *
 * The file is export.zip as the iPhone writes it (its
 * apple_health_export/export.xml is inflated by libarchive as it is read,
 * nothing is unpacked to disk) or an unpacked export.xml.  libxml2's
 * streaming reader walks the XML, so only the element being read is ever in
 * memory, whatever the size of the export.
 *
 * Each top-level Record, Correlation, Workout and ActivitySummary becomes
 * one record of provider "apple_health" (docs/providers.md, Apple Health):
 *   resource   the type without its HK...TypeIdentifier prefix in snake_case
 *              (step_count, blood_pressure), or workouts, activity_summaries;
 *   times      startDate/endDate in UTC ("2024-10-25T12:05:11Z"); a summary's
 *              start_time is its day (dateComponents) and it has no end;
 *   record_id  the UTC start (compact) and a hash of the identity tuple:
 *              (type, sourceName, sourceVersion, start, end, value, unit) for
 *              records and correlations, (activity type, sourceName, start,
 *              end) for workouts; a summary's is its day;
 *   payload    the attributes as written, numbers as JSON numbers, the
 *              MetadataEntry pairs as "metadata", and the children: a
 *              workout's "statistics", "events", "routes" (each with its GPX
 *              "file"), "activities"; a correlation's member "records"; a
 *              heart-rate-variability record's "beats".
 */
#ifndef HS_APPLE_HEALTH_H
#define HS_APPLE_HEALTH_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define APPLE_HEALTH_PROVIDER "apple_health"
#define APPLE_HEALTH_TITLE "Apple Health"

struct apple_health_reader;

/* Opens PATH, a zip (told by its first bytes) or XML.  NULL with err set:
 * HS_ERR_CONFIG when the file cannot be opened or is not an Apple Health
 * export (a zip without export.xml), HS_ERR_FINAL on a read error. */
struct apple_health_reader *apple_health_open(const char *path, struct hs_error *err);
void apple_health_close(struct apple_health_reader *r);

/* The next element as a record (every field borrowed until the next call).
 * Returns 1 with *out filled, 0 at the end of the export, -1 with err set:
 * HS_ERR_CONFIG when the file is not an Apple Health export (not XML, or its
 * root is not <HealthData>), HS_ERR_FINAL when the export stops being
 * readable part way (truncated or malformed): err then says where (line and
 * byte of export.xml) and every record before that point has been handed
 * over. */
int apple_health_next(struct apple_health_reader *r, struct record *out, struct hs_error *err);

/* How much of the file has been read: *done of *total bytes (the zip's
 * compressed bytes, or export.xml's own when the zip states its size). */
void apple_health_progress(const struct apple_health_reader *r, uint64_t *done,
                           uint64_t *total);
/* Top-level elements left out because a date, type or day in them could
 * not be read (each one is also logged with -v). */
long apple_health_skipped(const struct apple_health_reader *r);
/* The export's own date (ExportDate) in UTC ISO, or NULL before it is read
 * or when it is missing. */
const char *apple_health_export_date(const struct apple_health_reader *r);

/* --- the mapping rules, for the unit tests --- */

/* Appends the resource name of a HealthKit type: the type without its
 * HK...TypeIdentifier prefix in snake_case ("HKQuantityTypeIdentifierVO2Max"
 * -> "vo2_max"). */
int apple_health_resource_name(const char *type, struct buf *out);
/* Parses an export date, "2024-10-25 07:05:11 -0500" (also with 'T', a
 * fraction of a second, "Z", "+HH:MM", "+HH" or no offset, taken as UTC).
 * 0 with *out set, -1 when it is not such a date. */
int apple_health_parse_date(const char *s, time_t *out);
/* Appends s as a JSON number when it is a decimal number: as written when
 * it is already valid JSON, otherwise normalised ("+5" -> 5, ".5" -> 0.5,
 * "1." -> 1.0).  Returns 1 when it did, 0 (nothing appended) when s is not a
 * finite number. */
int apple_health_json_number(const char *s, struct buf *out);

#endif
