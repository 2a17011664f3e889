/* svg: the charts of the report, drawn as inline SVG.
 *
 * A chart has days along x (a slot per day, or per week for weekly bars) and
 * one quantity with its unit along y.  Every chart is an <svg role="img">
 * with a <title> and <desc>; the numbers of each day are in <title> hovers
 * over the day's slot, so they are reachable without colour or scripting.
 * Colours are CSS classes (s1..s8 for series, set in report.c's style sheet)
 * so that the page's light and dark schemes apply. */
#ifndef HS_REPORT_SVG_H
#define HS_REPORT_SVG_H

#include "buf.h"

#include <stddef.h>

struct chart {
    struct buf *out;
    long day0, day1;                 /* x: the first and last day shown */
    double y0, y1;                   /* y: the domain, rounded out to whole ticks */
    double step;                     /* y: between ticks */
    double left, right, top, bottom; /* the plot area in the viewBox */
};

struct chart_spec {
    const char *title;  /* the chart's accessible name */
    const char *desc;   /* one sentence on what it shows */
    const char *y_unit; /* written on the y axis: "hours", "bpm", "kg" */
    const char *x_unit; /* written on the x axis: "day", "week (Monday)" */
    long day0, day1;
    double ymin, ymax; /* the data's range; 0 is kept in view when zero_based */
    int zero_based;
};

enum marker { MARK_CIRCLE, MARK_SQUARE, MARK_TRIANGLE, MARK_DIAMOND };

void chart_begin(struct chart *c, struct buf *out, const struct chart_spec *spec);
void chart_end(struct chart *c);

double chart_x(const struct chart *c, long day); /* left edge of the day's slot */
double chart_slot(const struct chart *c);        /* width of one day */
double chart_y(const struct chart *c, double v);

/* A bar over ndays slots from day, between the values from and to. */
void chart_bar(struct chart *c, long day, int ndays, double from, double to, const char *cls);
/* A line through (days[i], values[i * stride]), broken where a value is NAN
 * or the days jump by more than max_gap. */
void chart_line(struct chart *c, const long *days, const double *values, size_t stride, size_t n,
                long max_gap, const char *cls);
/* A filled band between lo and hi, broken like chart_line. */
void chart_band(struct chart *c, const long *days, const double *lo, const double *hi,
                size_t stride, size_t n, long max_gap, const char *cls);
/* A marker at the middle of the day's slot. */
void chart_marker(struct chart *c, long day, double v, enum marker shape, const char *cls);
/* A vertical rule at the middle of the day's slot from one value to another. */
void chart_rule(struct chart *c, long day, double from, double to, const char *cls);
/* An invisible slot-high target over ndays slots whose <title> is text. */
void chart_hover(struct chart *c, long day, int ndays, const char *text);

/* Horizontal bars, one per label: for totals by category. */
void hbar_chart(struct buf *out, const char *title, const char *desc, const char *unit,
                const char *const *labels, const double *values, size_t n);

/* The legend above a chart: a swatch (bar, line or marker) and a name per series. */
enum key_kind { KEY_BAR, KEY_LINE, KEY_DASH, KEY_DOT, KEY_MARK };
void legend_begin(struct buf *out);
void legend_item(struct buf *out, enum key_kind kind, const char *cls, enum marker shape,
                 const char *name);
void legend_end(struct buf *out);

#endif
