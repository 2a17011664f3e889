/* svg: inline SVG charts (see svg.h). */
#include "svg.h"

#include "html.h"
#include "rows.h"
#include "timeutil.h"

#include <math.h>
#include <stdio.h>

#define WIDTH 640
#define HEIGHT 220

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A tick step of 1, 2, 2.5 or 5 times a power of ten giving about four ticks. */
static double nice_step(double span)
{
    double raw = span / 4.0;
    double mag = pow(10.0, floor(log10(raw)));
    double norm = raw / mag;
    double mult = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    return mult * mag;
}

static int step_decimals(double step)
{
    int d = 0;
    while (d < 3 && fabs(step * pow(10, d) - round(step * pow(10, d))) > 1e-9)
        d++;
    return d;
}

double chart_slot(const struct chart *c)
{
    return (c->right - c->left) / (double)(c->day1 - c->day0 + 1);
}

double chart_x(const struct chart *c, long day)
{
    return c->left + (double)(day - c->day0) * chart_slot(c);
}

double chart_y(const struct chart *c, double v)
{
    return c->bottom - (v - c->y0) / (c->y1 - c->y0) * (c->bottom - c->top);
}

static void y_axis(struct chart *c, const char *unit)
{
    int decimals = step_decimals(c->step);
    for (double v = c->y0; v <= c->y1 + c->step / 1000; v += c->step) {
        double y = chart_y(c, v);
        buf_addf(c->out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                 c->left, y, c->right, y);
        /* Labelled on both sides: a phone shows the latest days, at the right, first. */
        buf_addf(c->out,
                 "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>"
                 "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%.*f</text>",
                 c->left - 5, y + 4, decimals, v, c->right + 5, y + 4, decimals, v);
    }
    buf_addf(c->out, "<text class=\"unit\" x=\"%.1f\" y=\"12\">", c->left - 40);
    html_text(c->out, unit);
    buf_addf(c->out, "</text><text class=\"unit\" x=\"%.1f\" y=\"12\" text-anchor=\"end\">",
             c->right + 40);
    html_text(c->out, unit);
    buf_adds(c->out, "</text>");
}

/* Month ticks (quarters past 400 days, years past 1200); weeks under 60 days. */
static void x_axis(struct chart *c, const char *unit)
{
    long span = c->day1 - c->day0 + 1;
    int every = span > 1200 ? 12 : span > 400 ? 3 : 1;
    /* The first label names its year unless a January tick will. */
    bool first = true, has_january = false;
    for (long day = c->day0; day <= c->day1 && !has_january; day++) {
        int y;
        unsigned m, d;
        time_civil_from_days(day, &y, &m, &d);
        has_january = m == 1 && d == 1;
    }
    for (long day = c->day0; day <= c->day1; day++) {
        int y;
        unsigned m, d;
        time_civil_from_days(day, &y, &m, &d);
        bool tick =
            span < 60 ? day_week_start(day) == day : d == 1 && (m - 1) % (unsigned)every == 0;
        if (!tick)
            continue;
        double x = chart_x(c, day);
        buf_addf(c->out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                 x, c->bottom, x, c->bottom + 4);
        if (x > c->right - 24)
            continue;
        if (span < 60)
            buf_addf(c->out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%u %s</text>", x + 2,
                     c->bottom + 16, d, month_names[m - 1]);
        else if (m == 1 || every == 12) /* the year where it begins */
            buf_addf(c->out, "<text class=\"tick year\" x=\"%.1f\" y=\"%.1f\">%d</text>", x + 2,
                     c->bottom + 16, y);
        else if (first && !has_january)
            buf_addf(c->out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s %d</text>", x + 2,
                     c->bottom + 16, month_names[m - 1], y);
        else
            buf_addf(c->out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%s</text>", x + 2,
                     c->bottom + 16, month_names[m - 1]);
        first = false;
    }
    buf_addf(c->out,
             "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
             "<text class=\"unit\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\">",
             c->left, c->bottom, c->right, c->bottom, c->right + 40, HEIGHT - 2);
    html_text(c->out, unit);
    buf_adds(c->out, "</text>");
}

static void svg_open(struct buf *out, int width, int height, const char *title, const char *desc)
{
    /* Inline SVG in HTML needs no xmlns: the page names nothing outside
     * itself.  In a box of its own: on a phone the chart keeps a legible
     * width and scrolls sideways inside the page instead of shrinking. */
    buf_addf(out,
             "<div class=\"plot\"><svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\">"
             "<title>",
             width, height);
    html_text(out, title);
    buf_adds(out, "</title><desc>");
    html_text(out, desc);
    buf_adds(out, "</desc>");
}

void chart_begin(struct chart *c, struct buf *out, const struct chart_spec *spec)
{
    c->out = out;
    c->day0 = spec->day0;
    c->day1 = spec->day1 >= spec->day0 ? spec->day1 : spec->day0;
    c->left = 48;
    c->right = WIDTH - 44;
    c->top = 20;
    c->bottom = HEIGHT - 26;
    double lo = spec->ymin, hi = spec->ymax;
    if (isnan(lo) || isnan(hi))
        lo = 0, hi = 1;
    if (spec->zero_based && lo > 0)
        lo = 0;
    if (hi - lo < 1e-9)
        hi = lo + (fabs(lo) > 1 ? fabs(lo) * 0.1 : 1);
    if (!spec->zero_based) { /* a margin, so that no point sits on the frame */
        double pad = (hi - lo) * 0.08;
        lo -= pad, hi += pad;
    }
    c->step = nice_step(hi - lo);
    c->y0 = floor(lo / c->step) * c->step;
    c->y1 = ceil(hi / c->step) * c->step;
    if (c->y1 - c->y0 < c->step)
        c->y1 = c->y0 + c->step;
    svg_open(out, WIDTH, HEIGHT, spec->title, spec->desc);
    y_axis(c, spec->y_unit);
    x_axis(c, spec->x_unit);
}

void chart_end(struct chart *c)
{
    buf_adds(c->out, "</svg></div>\n");
}

void chart_bar(struct chart *c, long day, int ndays, double from, double to, const char *cls)
{
    if (isnan(from) || isnan(to) || to <= from)
        return;
    double w = chart_slot(c) * ndays;
    double gap = w > 3 ? w * 0.15 : 0;
    double y_top = chart_y(c, to), y_bottom = chart_y(c, from);
    buf_addf(c->out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"/>",
             cls, chart_x(c, day) + gap / 2, y_top, w - gap, y_bottom - y_top);
}

static void point(struct chart *c, char cmd, long day, double v)
{
    buf_addf(c->out, "%c%.1f %.1f", cmd, chart_x(c, day) + chart_slot(c) / 2, chart_y(c, v));
}

void chart_line(struct chart *c, const long *days, const double *values, size_t stride, size_t n,
                long max_gap, const char *cls)
{
    buf_addf(c->out, "<path class=\"%s\" d=\"", cls);
    bool open = false, any = false;
    for (size_t i = 0; i < n; i++) {
        double v = values[i * stride];
        if (isnan(v) || days[i] < c->day0 || days[i] > c->day1) {
            open = false;
            continue;
        }
        bool jump = i > 0 && days[i] - days[i - 1] > max_gap;
        point(c, open && !jump ? 'L' : 'M', days[i], v);
        open = any = true;
    }
    if (!any)
        buf_adds(c->out, "M0 0");
    buf_adds(c->out, "\"/>");
}

void chart_band(struct chart *c, const long *days, const double *lo, const double *hi,
                size_t stride, size_t n, long max_gap, const char *cls)
{
    size_t i = 0;
    while (i < n) {
        /* One polygon per run of days without a gap: up along hi, back along lo. */
        size_t end = i;
        while (end < n && !isnan(lo[end * stride]) && !isnan(hi[end * stride]) &&
               days[end] >= c->day0 && days[end] <= c->day1 &&
               (end == i || days[end] - days[end - 1] <= max_gap))
            end++;
        if (end > i) {
            buf_addf(c->out, "<path class=\"%s\" d=\"", cls);
            for (size_t k = i; k < end; k++)
                point(c, k == i ? 'M' : 'L', days[k], hi[k * stride]);
            for (size_t k = end; k-- > i;)
                point(c, 'L', days[k], lo[k * stride]);
            buf_adds(c->out, "Z\"/>");
            i = end;
        } else {
            i++;
        }
    }
}

void chart_marker(struct chart *c, long day, double v, enum marker shape, const char *cls)
{
    if (isnan(v) || day < c->day0 || day > c->day1)
        return;
    double x = chart_x(c, day) + chart_slot(c) / 2, y = chart_y(c, v), r = 2.6;
    switch (shape) {
    case MARK_CIRCLE:
        buf_addf(c->out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>", cls, x, y, r);
        break;
    case MARK_SQUARE:
        buf_addf(c->out,
                 "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", cls,
                 x - r, y - r, 2 * r, 2 * r);
        break;
    case MARK_TRIANGLE:
        buf_addf(c->out, "<path class=\"%s\" d=\"M%.1f %.1fl%.1f %.1fh%.1fz\"/>", cls, x,
                 y - r * 1.2, r * 1.2, r * 2.1, -r * 2.4);
        break;
    case MARK_DIAMOND:
        buf_addf(c->out, "<path class=\"%s\" d=\"M%.1f %.1fl%.1f %.1fl%.1f %.1fl%.1f %.1fz\"/>",
                 cls, x, y - r * 1.3, r * 1.3, r * 1.3, -r * 1.3, r * 1.3, -r * 1.3, -r * 1.3);
        break;
    }
}

void chart_rule(struct chart *c, long day, double from, double to, const char *cls)
{
    if (isnan(from) || isnan(to) || day < c->day0 || day > c->day1)
        return;
    double x = chart_x(c, day) + chart_slot(c) / 2;
    buf_addf(c->out, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", cls, x,
             chart_y(c, from), x, chart_y(c, to));
}

void chart_hover(struct chart *c, long day, int ndays, const char *text)
{
    if (day < c->day0 || day > c->day1)
        return;
    buf_addf(c->out,
             "<rect class=\"hover\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"><title>",
             chart_x(c, day), c->top, chart_slot(c) * ndays, c->bottom - c->top);
    html_text(c->out, text);
    buf_adds(c->out, "</title></rect>");
}

void hbar_chart(struct buf *out, const char *title, const char *desc, const char *unit,
                const char *const *labels, const double *values, size_t n)
{
    const double row = 22, left = 150, right = WIDTH - 70, top = 8;
    int height = (int)(top + row * (double)n + 28);
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    double step = nice_step(max > 0 ? max : 1), end = ceil((max > 0 ? max : 1) / step) * step;
    svg_open(out, WIDTH, height, title, desc);
    double base = top + row * (double)n;
    for (double v = 0; v <= end + step / 1000; v += step) {
        double x = left + v / end * (right - left);
        buf_addf(out,
                 "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                 "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>",
                 x, top, x, base, x, base + 14, step_decimals(step), v);
    }
    for (size_t i = 0; i < n; i++) {
        double y = top + row * (double)i, w = values[i] / end * (right - left);
        buf_addf(out, "<g><title>");
        html_textf(out, "%s: %.1f %s", labels[i], values[i], unit);
        buf_addf(out, "</title><text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                 left - 6, y + row * 0.68);
        html_text(out, labels[i]);
        buf_addf(
            out,
            "</text><rect class=\"s%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
            "<text class=\"label\" x=\"%.1f\" y=\"%.1f\">%.1f</text></g>",
            i % 8 + 1, left, y + 3, w, row - 6, left + w + 4, y + row * 0.68, values[i]);
    }
    buf_addf(out, "<text class=\"unit\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\">", right,
             height - 2);
    html_text(out, unit);
    buf_adds(out, "</text></svg></div>\n");
}

void legend_begin(struct buf *out)
{
    buf_adds(out, "<ul class=\"legend\">");
}

void legend_item(struct buf *out, enum key_kind kind, const char *cls, enum marker shape,
                 const char *name)
{
    buf_adds(out, "<li><svg class=\"key\" viewBox=\"0 0 24 12\" aria-hidden=\"true\">");
    switch (kind) {
    case KEY_BAR:
        buf_addf(out, "<rect class=\"%s\" x=\"4\" y=\"1\" width=\"16\" height=\"10\"/>", cls);
        break;
    case KEY_LINE:
    case KEY_DASH:
    case KEY_DOT:
        buf_addf(out, "<path class=\"%s\" d=\"M1 6H23\"/>", cls);
        break;
    case KEY_MARK: {
        struct chart c = {.out = out,
                          .day0 = 0,
                          .day1 = 0,
                          .y0 = 0,
                          .y1 = 12,
                          .left = 7,
                          .right = 17,
                          .top = 0,
                          .bottom = 12};
        chart_marker(&c, 0, 6, shape, cls);
        break;
    }
    }
    buf_adds(out, "</svg>");
    html_text(out, name);
    buf_adds(out, "</li>");
}

void legend_end(struct buf *out)
{
    buf_adds(out, "</ul>\n");
}
