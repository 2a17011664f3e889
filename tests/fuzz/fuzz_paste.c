/* libFuzzer target: what a person pastes at the auth prompt, and the
 * redirect_uri and callback query parsers. */
#include "oauth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    struct oauth_callback cb;
    char why[128];
    if (oauth_parse_paste(line, &cb, why, sizeof why) > 0)
        oauth_callback_clear(&cb);
    memset(&cb, 0, sizeof cb);
    oauth_parse_query(line, &cb);
    oauth_callback_clear(&cb);
    struct oauth_redirect r;
    struct hs_error err = HS_ERROR_INIT;
    if (oauth_parse_redirect_uri(line, &r, &err) == 0)
        oauth_redirect_clear(&r);
    free(line);
    return 0;
}
