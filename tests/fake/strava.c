/* fake/strava.c: not written yet. */
#include "fake.h"

static int strava_handle(struct fake_request *req, struct fake_response *resp)
{
    (void)req, (void)resp;
    return -1;
}

const struct fake_provider fake_strava = {
    .name = "strava",
    .prefix = "/strava",
    .handle = strava_handle,
};
