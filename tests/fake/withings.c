/* fake/withings.c: not written yet. */
#include "fake.h"

static int withings_handle(struct fake_request *req, struct fake_response *resp)
{
    (void)req, (void)resp;
    return -1;
}

const struct fake_provider fake_withings = {
    .name = "withings",
    .prefix = "",
    .handle = withings_handle,
};
