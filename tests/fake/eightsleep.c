/* fake/eightsleep.c: not written yet. */
#include "fake.h"

static int eightsleep_handle(struct fake_request *req, struct fake_response *resp)
{
    (void)req, (void)resp;
    return -1;
}

const struct fake_provider fake_eightsleep = {
    .name = "eightsleep",
    .prefix = "/eightsleep",
    .handle = eightsleep_handle,
};
