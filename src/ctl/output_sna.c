/* SPDX-License-Identifier: MIT */
/* secrespctl sna setup, for people: what the SMC's policy said and what
 * it says now (sna.md §6). */
#include "config.h"
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "ctl/output.h"

static char *str(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return output_sanitize(cJSON_IsString(v) ? v->valuestring : cJSON_IsNull(v) ? "(none)" : "?");
}

void output_table_sna_setup(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        const cJSON *changes = cJSON_GetObjectItemCaseSensitive(data, "changes"), *ch;
        _cleanup_free_ char *name = str(data, "name"), *src = str(data, "source");
        double ev = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(data, "event"));
        double pol = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(data, "policy_id"));
        double ten = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(data, "tenant"));

        fprintf(o->out, "security event %.0f (%s), policy %.0f, tenant %.0f, on %s\n", ev, name, pol, ten, src);
        cJSON_ArrayForEach(ch, changes) {
                _cleanup_free_ char *k = str(ch, "key"), *from = str(ch, "from"), *to = str(ch, "to");
                fprintf(o->out, "  %-14s %s -> %s\n", k, from, to);
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "unchanged")))
                fputs("already set: nothing changed\n", o->out);
        else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "applied")))
                fputs("applied; the previous settings are saved in the database (sna_policy_saved)\n", o->out);
        else
                fputs("dry run: nothing written\n", o->out);
        (void) c;
}
