/* libFuzzer target: the TOML parser must reject or accept any bytes
 * without crashing, leaking or reading out of bounds. */
#include "toml.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    struct toml_value *root = toml_parse((const char *)data, size, err, sizeof err);
    if (root)
        toml_get(root, "app");
    toml_free(root);
    return 0;
}
