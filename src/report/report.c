/* report: the page around the panels (see report.h). */
#include "report.h"

#include "html.h"
#include "panel.h"
#include "timeutil.h"

#include <limits.h>
#include <string.h>
#include <time.h>

/* Okabe and Ito's palette, safe for the common colour blindnesses; a
 * lighter variant of the dark ones for dark mode.  Lines also differ by
 * dash, markers by shape, stacks by order and hatching: nothing is told by
 * colour alone. */
static const char style[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1b;--muted:#5c5c5c;--grid:#e3e3e3;"
    "--panel:#f7f7f5;--c1:#0072b2;--c2:#e69f00;--c3:#009e73;--c4:#cc79a7;--c5:#56b4e9;"
    "--c6:#d55e00;--c7:#b8ab00;--c8:#1b1b1b;--link:#0061a0}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#151515;--fg:#ececec;--muted:#a8a8a8;"
    "--grid:#333;--panel:#1e1e1e;--c1:#3b8fd0;--c7:#f0e442;--c8:#ececec;--link:#56b4e9}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,sans-serif}\n"
    "main{max-width:980px;margin:0 auto;padding:16px}\n"
    "h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:0 0 .3em}\n"
    ".range,.lede{color:var(--muted)}.lede{margin:.2em 0 .8em}\n"
    "nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3em 1em}\n"
    "a{color:var(--link)}\n"
    "section{background:var(--panel);border-radius:8px;padding:14px 16px;margin:16px 0}\n"
    "svg.chart{display:block;width:100%;max-width:760px;height:auto;margin:4px 0 10px}\n"
    ".chart text{fill:var(--muted);font-size:12px}.chart .unit{font-weight:600}\n"
    ".grid{stroke:var(--grid);stroke-width:1}.axis{stroke:var(--muted);stroke-width:1}\n"
    ".s1{fill:var(--c1);stroke:var(--c1)}.s2{fill:var(--c2);stroke:var(--c2)}"
    ".s3{fill:var(--c3);stroke:var(--c3)}.s4{fill:var(--c4);stroke:var(--c4)}"
    ".s5{fill:var(--c5);stroke:var(--c5)}.s6{fill:var(--c6);stroke:var(--c6)}"
    ".s7{fill:var(--c7);stroke:var(--c7)}.s8{fill:var(--c8);stroke:var(--c8)}\n"
    "rect.s1,rect.s2,rect.s3,rect.s4,rect.s5,rect.s6,rect.s7,rect.s8{stroke:none}\n"
    ".hatch{fill-opacity:.55}\n"
    ".ln{fill:none;stroke-width:2;stroke-linejoin:round}.thin{stroke-width:1;opacity:.7}"
    ".dash{stroke-dasharray:6 4}\n"
    ".band{stroke:none;opacity:.45}.mk{stroke:var(--bg);stroke-width:.8}"
    ".rule{stroke:var(--muted);stroke-width:1.2}\n"
    ".hover{fill:transparent}.hover:hover{fill:var(--fg);fill-opacity:.12}\n"
    ".legend{list-style:none;padding:0;margin:.4em 0 0;display:flex;flex-wrap:wrap;gap:.2em 1.2em;"
    "font-size:.9em}\n"
    ".legend svg{width:24px;height:12px;vertical-align:-1px;margin-right:.35em}\n"
    ".legend .ln,.legend .rule{stroke-width:2.5}\n"
    ".scroll,.plot{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-size:.88em;margin:.4em "
    "0;font-variant-numeric:tabular-nums}"
    "\ncaption{text-align:left;font-weight:600;padding:.3em 0}\n"
    "th,td{padding:.2em .7em;border-bottom:1px solid var(--grid);text-align:left;"
    "white-space:nowrap}\n"
    "td.num{text-align:right}\n"
    "details{margin:.2em 0 .5em}summary{cursor:pointer;color:var(--link)}\n"
    "footer{color:var(--muted);font-size:.85em;margin:24px 0}\n"
    "@media (max-width:600px){main{padding:8px}section{padding:10px 8px}"
    ".plot{direction:rtl}.plot svg.chart{min-width:540px;direction:ltr}body{font-size:14px}}\n"
    "@media print{@page{size:A4;margin:12mm}:root{--bg:#fff;--fg:#000;--panel:#fff;"
    "--muted:#444;--grid:#ccc;--c1:#0072b2;--c7:#b8ab00;--c8:#000}"
    "body{font-size:10pt}main{max-width:none;padding:0}nav,details{display:none}"
    "section{break-inside:avoid;padding:0;margin:0 0 8mm}"
    ".hover{display:none}}\n";

static int (*const panels[])(struct report_ctx *) = {
    panel_sleep,    panel_sleep_sources, panel_recovery, panel_heart_rate,
    panel_activity, panel_body,          panel_training, panel_freshness,
};

static int set_range(struct report_ctx *ctx, const struct report_options *o, struct hs_error *err)
{
    char today[TIME_DATE_LEN];
    struct tm tm;
    if (localtime_r(&o->now, &tm))
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
    else
        time_format_date(o->now, today);
    ctx->day1 = day_from_text(o->until ? o->until : today);
    ctx->day0 = o->since ? day_from_text(o->since) : ctx->day1 - 364;
    if (ctx->day0 == LONG_MIN || ctx->day1 == LONG_MIN)
        return hs_error_set(err, HS_ERR_CONFIG, "the range takes dates YYYY-MM-DD");
    if (ctx->day0 > ctx->day1)
        return hs_error_set(err, HS_ERR_CONFIG, "--since is after --until");
    /* A slot a day stays legible (and the page light) up to about a year. */
    ctx->bucket = ctx->day1 - ctx->day0 + 1 > 400 ? 7 : 1;
    day_to_text(ctx->day0, ctx->since);
    day_to_text(ctx->day1, ctx->until);
    day_to_text(ctx->day0 - 60, ctx->lead_in);
    day_to_text(ctx->day1 + 1, ctx->after);
    return 0;
}

int report_write(struct store *s, const struct report_options *o, struct buf *out,
                 struct hs_error *err)
{
    struct report_ctx ctx = {.store = s, .now = o->now, .toc = BUF_INIT, .err = err};
    if (set_range(&ctx, o, err) < 0)
        return -1;
    struct buf body = BUF_INIT;
    ctx.out = &body;
    int rc = 0;
    size_t with_data = 0; /* panels written, freshness aside: it is no data of the range */
    for (size_t i = 0; i < sizeof panels / sizeof panels[0] && rc == 0; i++) {
        size_t before = ctx.toc.len;
        rc = panels[i](&ctx);
        with_data += panels[i] != panel_freshness && ctx.toc.len > before;
    }
    if (rc == 0) {
        char generated[TIME_ISO_LEN];
        time_format_iso(o->now, generated);
        buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>Health report ");
        buf_addf(out, "%s to %s</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", ctx.since,
                 ctx.until, style);
        buf_addf(out,
                 "<header>\n<h1>Health report</h1>\n<p class=\"range\">%s to %s · written "
                 "by health-sync %s at %s</p>\n",
                 ctx.since, ctx.until, HS_VERSION, generated);
        if (ctx.toc.len)
            buf_addf(out, "<nav aria-label=\"Panels\"><ul>%s</ul></nav>\n", ctx.toc.data);
        if (!with_data)
            buf_adds(out, "<p>No data in this range: run <code>health-sync sync</code> first, or "
                          "choose another range with --since and --until.</p>\n");
        buf_adds(out, "</header>\n");
        buf_add(out, body.data, body.len);
        buf_adds(out, "<footer>Hover over a chart for each day's numbers; the tables hold them "
                      "too. Days are the provider's own where it has one, else the local day of "
                      "this computer. Made offline from your own database: nothing on this page "
                      "is fetched from anywhere.</footer>\n</main>\n</body>\n</html>\n");
    }
    buf_free(&body);
    buf_free(&ctx.toc);
    rows_free(&ctx.sleep);
    return rc;
}
