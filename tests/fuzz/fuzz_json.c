/* libFuzzer target: a provider's response body through everything a page
 * goes through before it is stored: parsing, first()/str(), the Python-style
 * serialisation and the canonical hash, and the time parser on every string. */
#include "json.h"
#include "timeutil.h"

#include <stdint.h>
#include <stdlib.h>

static void walk(const json_t *v, int depth)
{
    if (depth > 64)
        return;
    if (json_is_string(v)) {
        time_t t;
        time_parse(json_string_value(v), &t);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) walk(item, depth + 1);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) walk(item, depth + 1);
        free(json_strdup(JSON_FIRST(v, "id", "day", "timestamp")));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[160];
    json_t *v = json_parse_body((const char *)data, size, err, sizeof err);
    if (!v)
        return 0;
    struct buf out = BUF_INIT;
    json_dump_python(v, false, &out);
    buf_free(&out);
    char hash[65];
    json_hash(v, hash);
    walk(v, 0);
    json_decref(v);
    return 0;
}
