/* order_gate: commits held back so that a bulk listing's rows are appended.
 *
 * SQLite appends an index entry that sorts after every other one without a
 * search from the root (it stays on the last page); an entry in the middle
 * costs a full search in each of the records table's three indexes.  A
 * backfill of years of heart rate is nearly all of a first sync's rows, and
 * their keys (oura, heartrate, time) sort before Strava's, Withings' and
 * several Oura resources'.  So while such a listing runs, a commit of a
 * resource that sorts after it waits for it to end: the samples then land
 * at the right edge of the indexes (twice the rate, measured by
 * bench-floor), and the waiting resources commit right after. */
#ifndef HS_ORDER_GATE_H
#define HS_ORDER_GATE_H

#include <stdbool.h>

struct order_gate;

struct order_gate *order_gate_new(void);
void order_gate_free(struct order_gate *g);
/* A bulk listing of provider/resource is running or about to (its strings
 * must outlive the hold).  Ignored when too many are held already. */
void order_gate_hold(struct order_gate *g, const char *provider, const char *resource);
/* It ended (resource NULL: every one of the provider's); true when one was
 * held. */
bool order_gate_release(struct order_gate *g, const char *provider, const char *resource);
/* A reply to the held listing came `seconds` after its request (to the
 * first byte).  Holding back pays while the one writer bounds the backfill,
 * that is while replies come quickly; with slow ones the network bounds it,
 * and the listings held back would only finish later (their continuation
 * pages wait for their commits).  Measured with make bench's full backfill
 * (README): held, 20-30% less CPU at 0 and 50 ms per request and less wall
 * time, but 30% more wall time at 200 ms.  So once the quickest of its first few replies took longer than
 * ORDER_GATE_MAX_LATENCY, the listing is released; returns true then. */
#define ORDER_GATE_MAX_LATENCY 0.15 /* seconds */
bool order_gate_observe(struct order_gate *g, const char *provider, const char *resource,
                        double seconds);
/* Waits while a held listing other than provider/resource sorts before it
 * (as SQLite compares the text keys); returns the seconds waited. */
double order_gate_wait(struct order_gate *g, const char *provider, const char *resource);
bool order_gate_would_wait(struct order_gate *g, const char *provider, const char *resource);

#endif
