/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <string.h>
#include "engine/entity.h"

static const char *const kind_names[_ENTITY_KIND_MAX] = {
        [ENTITY_HOST] = "host",
        [ENTITY_ACCOUNT] = "account",
        [ENTITY_DESTINATION] = "destination",
        [ENTITY_USER] = "user",
};

const char *entity_kind_to_string(EntityKind k)
{
        return (int) k >= 0 && k < _ENTITY_KIND_MAX ? kind_names[k] : NULL;
}

EntityKind entity_kind_from_string(const char *s)
{
        for (int i = 0; s && i < _ENTITY_KIND_MAX; i++)
                if (strcmp(s, kind_names[i]) == 0)
                        return (EntityKind) i;
        return _ENTITY_KIND_INVALID;
}
