/* order_gate: commits held back so that a bulk listing's rows are appended.
 *
 * SQLite appends an index entry that sorts after every other one without a
 * search from the root (it stays on the last page); an entry in the middle
 * costs a full search in each of the records table's three indexes.  A
 * backfill of years of heart rate is nearly all of a first sync's rows, and
 * their keys (oura, heartrate, time) sort before Strava's, Withings' and
 * several Oura resources'.  So while such a listing runs, a commit of a
 * resource that sorts after it waits for it to end: the samples then land
 * at the right edge of the indexes (docs/performance.md has the gain), and
 * the waiting resources commit right after.  Their listings go on
 * meanwhile, their pages set aside on disk (commit.c, spill.h), so holding
 * back costs them no time however slow the replies.  Why: docs/design.md,
 * "The commit path". */
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
/* Waits while a held listing other than provider/resource sorts before it
 * (as SQLite compares the text keys); returns the seconds waited. */
double order_gate_wait(struct order_gate *g, const char *provider, const char *resource);
/* Whether order_gate_wait would wait now (then a commit's page can be set
 * aside instead: spill.h). */
bool order_gate_would_wait(struct order_gate *g, const char *provider, const char *resource);

#endif
