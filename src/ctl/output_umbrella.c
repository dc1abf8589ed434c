/* SPDX-License-Identifier: MIT */
/* secrespctl's tables for the Umbrella verbs: scores and categories. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "ctl/output.h"

static const char *str(const cJSON *o, const char *k, const char *def)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return cJSON_IsString(v) ? v->valuestring : def;
}

static double num(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool flag(const cJSON *o, const char *k)
{
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* "↑ 12.5 → 80" style trends read badly in logs: "was 12.5, 0, 0" */
static char *trend_text(const cJSON *trend)
{
        char *s = xstrdup("");
        const cJSON *v;
        int n = 0;

        cJSON_ArrayForEach(v, trend) {
                char *x;
                if (!cJSON_IsNumber(v) || n == 5)
                        break;
                x = xasprintf("%s%s%.1f", s, n ? " " : "", v->valuedouble);
                free(s);
                s = x;
                n++;
        }
        if (n == 0) {
                free(s);
                return xstrdup("-");
        }
        return s;
}

void output_table_scores(const OutputCtx *o, const CtlCommand *c, const cJSON *items)
{
        const cJSON *it;
        char when[OUTPUT_TIME_MAX];

        if (cJSON_GetArraySize(items) == 0) {
                if (c->user) {
                        _cleanup_free_ char *u = output_sanitize(c->user);
                        fprintf(o->out, "no score for user %s\n", u);
                } else
                        fprintf(o->out, "no score yet\n");
                return;
        }
        if (!c->user) {
                fprintf(o->out, "%-24s %7s  %-12s %7s  %-5s %-3s  %-24s %s\n", "USER", "SCORE", "GROUP", "DOMAINS",
                        "RULE", "WL", "PREVIOUS (NEWEST FIRST)", "COMPUTED");
                cJSON_ArrayForEach(it, items) {
                        _cleanup_free_ char *u = output_sanitize(str(it, "user", "?"));
                        _cleanup_free_ char *g = output_sanitize(str(it, "group", "?"));
                        _cleanup_free_ char *r = output_sanitize(str(it, "rule", "-"));
                        _cleanup_free_ char *t = trend_text(cJSON_GetObjectItemCaseSensitive(it, "trend"));
                        fprintf(o->out, "%-24s %7.2f  %-12s %7.0f  %-5s %-3s  %-24s %s\n", u, num(it, "score"), g,
                                num(it, "domains"), r, flag(it, "whitelisted") ? "yes" : "no", t,
                                output_format_time((time_t) num(it, "computed_at"), when));
                }
                return;
        }
        cJSON_ArrayForEach(it, items) {
                const cJSON *in = cJSON_GetObjectItemCaseSensitive(it, "inputs");
                const cJSON *doms = cJSON_GetObjectItemCaseSensitive(in, "domains"), *d;
                const cJSON *cats = cJSON_GetObjectItemCaseSensitive(in, "categories"), *x;
                _cleanup_free_ char *u = output_sanitize(str(it, "user", "?"));
                _cleanup_free_ char *g = output_sanitize(str(it, "group", "?"));
                _cleanup_free_ char *r = output_sanitize(str(in, "rule", "-"));

                fprintf(o->out, "%s  %s  score %.2f  %s (%s)%s\n",
                        output_format_time((time_t) num(it, "computed_at"), when), u, num(it, "score"), g, r,
                        flag(it, "whitelisted") ? "  whitelisted: not acted on" : "");
                fprintf(o->out, "    categories:");
                cJSON_ArrayForEach(x, cats)
                        if (cJSON_IsNumber(x))
                                fprintf(o->out, " %.0f", x->valuedouble);
                fputc('\n', o->out);
                cJSON_ArrayForEach(d, doms) {
                        _cleanup_free_ char *dn = output_sanitize(d->string ? d->string : "?");
                        fprintf(o->out, "    %5.0f  %s\n", cJSON_IsNumber(d) ? d->valuedouble : 0, dn);
                }
        }
}

void output_table_umbrella_categories(const OutputCtx *o, const cJSON *data)
{
        const cJSON *it, *cats = cJSON_GetObjectItemCaseSensitive(data, "categories");

        /* the original printed "<id> - <label>" */
        cJSON_ArrayForEach(it, cats) {
                _cleanup_free_ char *l = output_sanitize(str(it, "label", "?"));
                fprintf(o->out, "%.0f - %s\n", num(it, "id"), l);
        }
}
