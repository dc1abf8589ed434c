/* SPDX-License-Identifier: MIT */
/* The responder modules built into secresp, by their `type` (module) name.
 * Adding a responder: define its ResponderOps in its own file, declare it
 * here and add a row. */
#include "config.h"
#include <string.h>
#include "responders/responder.h"

extern const ResponderOps external_call_ops;
extern const ResponderOps radius_group_ops;

static const ResponderOps *const modules[] = {
        &external_call_ops,
        &radius_group_ops,
        NULL,
};

const ResponderOps *responder_find_module(const char *module)
{
        if (!module)
                return NULL;
        for (const ResponderOps *const *m = modules; *m; m++)
                if (strcmp((*m)->module, module) == 0)
                        return *m;
        return NULL;
}
