/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "sources/umbrella_model.h"

static int fail(const char **ret_why, const char *why)
{
        if (ret_why)
                *ret_why = why;
        return -EPROTO;
}

int umb_parse_token(const char *body, char **ret_token, int64_t *ret_expires_in, const char **ret_why)
{
        cJSON *root = cJSON_Parse(body ? body : "");
        const cJSON *t, *e;
        int64_t exp = 3600;

        if (!cJSON_IsObject(root)) {
                cJSON_Delete(root);
                return fail(ret_why, "the token answer is not a JSON object");
        }
        t = cJSON_GetObjectItemCaseSensitive(root, "access_token");
        if (!cJSON_IsString(t) || !t->valuestring[0]) {
                cJSON_Delete(root);
                return fail(ret_why, "no access_token in the token answer");
        }
        e = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
        if (cJSON_IsNumber(e)) {
                if (e->valuedouble < 1 || e->valuedouble > 10 * 86400) {
                        cJSON_Delete(root);
                        return fail(ret_why, "expires_in out of range");
                }
                exp = (int64_t) e->valuedouble;
        }
        *ret_token = xstrdup(t->valuestring);
        *ret_expires_in = exp;
        cJSON_Delete(root);
        return 0;
}

static const cJSON *data_array(cJSON *root)
{
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "data");
        return cJSON_IsArray(d) ? d : NULL;
}

int umb_parse_identities(const char *body, UmbIdentity **v, size_t *n, size_t *ret_rows, const char **ret_why)
{
        cJSON *root = cJSON_Parse(body ? body : "");
        const cJSON *d = root ? data_array(root) : NULL, *row;
        size_t rows = 0;

        if (!d) {
                cJSON_Delete(root);
                return fail(ret_why, "no \"data\" array in the top-identities answer");
        }
        cJSON_ArrayForEach(row, d) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "identity");
                const cJSON *iid = cJSON_GetObjectItemCaseSensitive(id, "id");
                const cJSON *label = cJSON_GetObjectItemCaseSensitive(id, "label");
                const cJSON *type = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(id, "type"),
                                                                     "type");
                rows++;
                if (!cJSON_IsObject(id))
                        continue;
                if (!cJSON_IsNumber(iid) || !cJSON_IsString(label)) {
                        cJSON_Delete(root);
                        return fail(ret_why, "an identity without a numeric id or a label");
                }
                *v = xreallocarray(*v, *n + 1, sizeof(UmbIdentity));
                (*v)[(*n)++] = (UmbIdentity) {
                        .id = (int64_t) iid->valuedouble,
                        .label = xstrdup(label->valuestring),
                        .type = xstrdup(cJSON_IsString(type) ? type->valuestring : ""),
                };
        }
        *ret_rows = rows;
        cJSON_Delete(root);
        return 0;
}

void umb_identities_free(UmbIdentity *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].label);
                free(v[i].type);
        }
        free(v);
}

static bool in_filter(int64_t id, const int64_t *filter, size_t n)
{
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (filter[i] == id)
                        return true;
        return false;
}

int umb_parse_activity(const char *body, const int64_t *filter, size_t n_filter, UmbActivity *acc,
                       size_t *ret_rows, const char **ret_why)
{
        cJSON *root = cJSON_Parse(body ? body : "");
        const cJSON *d = root ? data_array(root) : NULL, *row;
        size_t rows = 0;

        if (!d) {
                cJSON_Delete(root);
                return fail(ret_why, "no \"data\" array in the activity answer");
        }
        cJSON_ArrayForEach(row, d) {
                const cJSON *dom = cJSON_GetObjectItemCaseSensitive(row, "domain");
                const cJSON *cats = cJSON_GetObjectItemCaseSensitive(row, "categories"), *c;

                rows++;
                if (!cJSON_IsString(dom)) {
                        cJSON_Delete(root);
                        return fail(ret_why, "an activity record without a \"domain\" string");
                }
                if (!dom->valuestring[0])
                        continue;
                acc->domains = xreallocarray(acc->domains, acc->n_domains + 1, sizeof(char *));
                acc->domains[acc->n_domains++] = xstrdup(dom->valuestring);
                if (!cJSON_IsArray(cats))
                        continue;
                cJSON_ArrayForEach(c, cats) {
                        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
                        if (!cJSON_IsNumber(id) || !in_filter((int64_t) id->valuedouble, filter, n_filter))
                                continue;
                        acc->categories = xreallocarray(acc->categories, acc->n_categories + 1, sizeof(int64_t));
                        acc->categories[acc->n_categories++] = (int64_t) id->valuedouble;
                }
        }
        *ret_rows = rows;
        cJSON_Delete(root);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? -1 : x > y;
}

void umb_activity_finish(UmbActivity *acc)
{
        size_t k = 0;

        for (size_t i = 0; i < acc->n_domains; i++)
                for (char *p = acc->domains[i]; *p; p++)
                        *p = (char) tolower((unsigned char) *p);
        if (acc->n_domains > 1)
                qsort(acc->domains, acc->n_domains, sizeof(char *), cmp_str);
        for (size_t i = 0; i < acc->n_domains; i++) {
                if (k > 0 && !strcmp(acc->domains[k - 1], acc->domains[i])) {
                        free(acc->domains[i]);
                        continue;
                }
                acc->domains[k++] = acc->domains[i];
        }
        acc->n_domains = k;
        if (acc->n_categories > 1)
                qsort(acc->categories, acc->n_categories, sizeof(int64_t), cmp_i64);
        k = 0;
        for (size_t i = 0; i < acc->n_categories; i++)
                if (k == 0 || acc->categories[k - 1] != acc->categories[i])
                        acc->categories[k++] = acc->categories[i];
        acc->n_categories = k;
}

void umb_activity_done(UmbActivity *acc)
{
        for (size_t i = 0; i < acc->n_domains; i++)
                free(acc->domains[i]);
        free(acc->domains);
        free(acc->categories);
        *acc = (UmbActivity) { 0 };
}

int umb_parse_risk(const char *body, int *ret_score, const char **ret_why)
{
        cJSON *root = cJSON_Parse(body ? body : "");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "risk_score");
        double v;

        if (!cJSON_IsNumber(s)) {
                cJSON_Delete(root);
                return fail(ret_why, "no numeric \"risk_score\" in the Investigate answer");
        }
        v = s->valuedouble;
        cJSON_Delete(root);
        if (!(v >= 0 && v <= 100))
                return fail(ret_why, "risk_score outside 0..100");
        *ret_score = (int) v;
        return 0;
}

int umb_parse_categories(const char *body, UmbCategory **ret, size_t *ret_n, const char **ret_why)
{
        cJSON *root = cJSON_Parse(body ? body : "");
        const cJSON *d = root ? data_array(root) : NULL, *row;
        UmbCategory *v = NULL;
        size_t n = 0;

        if (!d) {
                cJSON_Delete(root);
                return fail(ret_why, "no \"data\" array in the categories answer");
        }
        cJSON_ArrayForEach(row, d) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
                const cJSON *label = cJSON_GetObjectItemCaseSensitive(row, "label");
                const cJSON *type = cJSON_GetObjectItemCaseSensitive(row, "type");
                if (!cJSON_IsNumber(id) || !cJSON_IsString(label))
                        continue;
                v = xreallocarray(v, n + 1, sizeof(UmbCategory));
                v[n++] = (UmbCategory) {
                        .id = (int64_t) id->valuedouble,
                        .label = xstrdup(label->valuestring),
                        .type = xstrdup(cJSON_IsString(type) ? type->valuestring : ""),
                };
        }
        cJSON_Delete(root);
        *ret = v;
        *ret_n = n;
        return 0;
}

void umb_categories_free(UmbCategory *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].label);
                free(v[i].type);
        }
        free(v);
}

bool umb_redirect_allowed(const char *url, const char *const *domains)
{
        const char *h;
        size_t hl;

        if (!url)
                return false;
        if (!strncasecmp(url, "https://", 8))
                h = url + 8;
        else if (!strncasecmp(url, "http://", 7))
                h = url + 7;
        else
                return false;
        /* no user info: "https://api.umbrella.com@evil.example/" */
        hl = strcspn(h, "/?#");
        if (memchr(h, '@', hl))
                return false;
        if (h[0] == '[')
                hl = strcspn(h, "]") + 1;
        else
                hl = strcspn(h, ":/?#");
        if (hl == 0)
                return false;
        for (size_t i = 0; domains && domains[i]; i++) {
                size_t dl = strlen(domains[i]);
                if (dl == 0 || dl > hl)
                        continue;
                if (strncasecmp(h + hl - dl, domains[i], dl))
                        continue;
                if (dl == hl || h[hl - dl - 1] == '.')
                        return true;
        }
        return false;
}

char *umb_expand_org(const char *t, const char *org)
{
        static const char key[] = "{organization_id}";
        char *out = xstrdup(""), *n;
        const char *p;

        while ((p = strstr(t, key))) {
                n = xasprintf("%s%.*s%s", out, (int) (p - t), t, org ? org : "");
                free(out);
                out = n;
                t = p + sizeof(key) - 1;
        }
        n = xasprintf("%s%s", out, t);
        free(out);
        return n;
}

bool umb_domain_valid(const char *d)
{
        size_t n = d ? strlen(d) : 0;

        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) d[i]) && !strchr("-_.", d[i]))
                        return false;
        return true;
}
