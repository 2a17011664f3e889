/* fake/oura.c: not written yet. */
#include "fake.h"

static int oura_handle(struct fake_request *req, struct fake_response *resp)
{
    (void)req, (void)resp;
    return -1;
}

const struct fake_provider fake_oura = {
    .name = "oura",
    .prefix = "",
    .handle = oura_handle,
};
