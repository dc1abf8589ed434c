/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/meraki_parse.h"

#define GROUP_POLICY "Group policy"

static char *str_of(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

        if (cJSON_IsString(v) && v->valuestring[0])
                return xstrdup(v->valuestring);
        if (cJSON_IsNumber(v))
                return xasprintf("%.0f", v->valuedouble);
        return NULL;
}

int meraki_ids(const char *body, size_t len, char ***ids)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL, *o;

        if (!cJSON_IsArray(j)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        cJSON_ArrayForEach(o, j) {
                char *id = str_of(o, "id");
                if (id && !strv_contains(*ids, id))
                        *ids = strv_push(*ids, id);
                free(id);
        }
        cJSON_Delete(j);
        return 0;
}

static MerakiKind classify(const MerakiClient *c)
{
        if (c->switchport && c->serial && c->connection && !strcmp(c->connection, "Wired") && !c->ssid)
                return MERAKI_WIRED;
        if (c->ssid && c->connection && (!strcmp(c->connection, "WLAN") || !strcmp(c->connection, "Wireless")))
                return MERAKI_WIRELESS;
        return MERAKI_UNBLOCKABLE;
}

int meraki_clients(const char *body, size_t len, const char *net_id, MerakiClient **v, size_t *n)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL, *o;

        if (!cJSON_IsArray(j)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        cJSON_ArrayForEach(o, j) {
                MerakiClient c = {
                        .id = str_of(o, "id"),
                        .mac = str_of(o, "mac"),
                        .switchport = str_of(o, "switchport"),
                        .serial = str_of(o, "recentDeviceSerial"),
                        .ssid = str_of(o, "ssid"),
                        .connection = str_of(o, "recentDeviceConnection"),
                };
                if (!c.id) {
                        meraki_clients_free(&c, 1);
                        continue;
                }
                c.net_id = xstrdup(net_id);
                c.kind = classify(&c);
                *v = xreallocarray(*v, *n + 1, sizeof(MerakiClient));
                (*v)[(*n)++] = c;
        }
        cJSON_Delete(j);
        return 0;
}

void meraki_clients_free(MerakiClient *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].id);
                free(v[i].net_id);
                free(v[i].mac);
                free(v[i].switchport);
                free(v[i].serial);
                free(v[i].ssid);
                free(v[i].connection);
        }
}

int meraki_port_blockable(const char *body, size_t len, const char *port_id, bool *ret, const char **why)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL, *o;

        if (!cJSON_IsArray(j)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        *ret = false;
        *why = "the switch reports no such port";
        cJSON_ArrayForEach(o, j) {
                _cleanup_free_ char *pid = str_of(o, "portId");
                const cJSON *up = cJSON_GetObjectItemCaseSensitive(o, "isUplink");
                const cJSON *cc = cJSON_GetObjectItemCaseSensitive(o, "clientCount");

                if (!pid || strcmp(pid, port_id))
                        continue;
                if (cJSON_IsTrue(up))
                        *why = "it is an uplink";
                else if (cJSON_IsNumber(cc) && cc->valuedouble > 1)
                        *why = "other clients share it";
                else {
                        *ret = true;
                        *why = NULL;
                }
                break;
        }
        cJSON_Delete(j);
        return 0;
}

char *meraki_policy_of(const char *body, size_t len)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        _cleanup_free_ char *p = str_of(j, "devicePolicy"), *gp = str_of(j, "groupPolicyId");
        char *r = NULL;

        if (p && !strcmp(p, GROUP_POLICY) && gp)
                r = xasprintf(GROUP_POLICY ":%s", gp);
        else if (p)
                r = xstrdup(p);
        cJSON_Delete(j);
        return r;
}

char *meraki_policy_body(const char *policy)
{
        cJSON *o = cJSON_CreateObject();
        size_t n = strlen(GROUP_POLICY);
        char *s;

        /* "Group policy:<id>" with an id; anything else is a policy name */
        if (!strncmp(policy, GROUP_POLICY ":", n + 1) && policy[n + 1]) {
                cJSON_AddStringToObject(o, "devicePolicy", GROUP_POLICY);
                cJSON_AddStringToObject(o, "groupPolicyId", policy + n + 1);
        } else
                cJSON_AddStringToObject(o, "devicePolicy", policy);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

bool meraki_policy_same(const char *current, const char *wanted)
{
        return current && wanted && !strcmp(current, wanted);
}

char *meraki_element_wlan(const char *client_id, const char *net_id, const char *policy)
{
        return xasprintf("WLAN:%s:%s:%s", client_id, net_id, policy);
}

char *meraki_element_lan(const char *client_id, const char *serial, const char *port_id)
{
        return xasprintf("LAN:%s:%s:%s", client_id, serial, port_id);
}

int meraki_element_parse(const char *s, MerakiElement *ret)
{
        const char *a, *b, *c;
        bool wlan;

        if (!s)
                return -EINVAL;
        if (!strncmp(s, "WLAN:", 5))
                wlan = true, a = s + 5;
        else if (!strncmp(s, "LAN:", 4))
                wlan = false, a = s + 4;
        else
                return -EINVAL;
        /* the last part may hold colons ("Group policy:101"), the others not */
        b = strchr(a, ':');
        c = b ? strchr(b + 1, ':') : NULL;
        if (!b || !c || b == a || c == b + 1 || !c[1])
                return -EINVAL;
        if (!wlan && strchr(c + 1, ':'))
                return -EINVAL;
        *ret = (MerakiElement) {
                .wlan = wlan,
                .client_id = xstrndup(a, (size_t) (b - a)),
                .where = xstrndup(b + 1, (size_t) (c - b - 1)),
                .what = xstrdup(c + 1),
        };
        return 0;
}

void meraki_element_done(MerakiElement *e)
{
        free(e->client_id);
        free(e->where);
        free(e->what);
        *e = (MerakiElement) { 0 };
}

static bool element_matches(const MerakiElement *e, const MerakiClient *c)
{
        if (!c->id || strcmp(e->client_id, c->id))
                return false;
        if (e->wlan)
                return c->kind == MERAKI_WIRELESS && c->net_id && !strcmp(e->where, c->net_id);
        return c->kind == MERAKI_WIRED && c->serial && c->switchport && !strcmp(e->where, c->serial) &&
               !strcmp(e->what, c->switchport);
}

bool meraki_groom_unchanged(const char *const *elements, size_t n, const MerakiClient *clients, size_t n_clients,
                            bool wired)
{
        MerakiElement *els = n ? xnew(MerakiElement, n) : NULL;
        size_t m = 0;
        bool same = true;

        for (size_t i = 0; i < n; i++)
                if (elements[i] && meraki_element_parse(elements[i], &els[m]) == 0)
                        m++;
        /* every place blocked is where a client is now ... */
        for (size_t i = 0; i < m && same; i++) {
                bool found = false;
                for (size_t j = 0; j < n_clients && !found; j++)
                        found = element_matches(&els[i], &clients[j]);
                same = found;
        }
        /* ... and every blockable client now is blocked */
        for (size_t j = 0; j < n_clients && same; j++) {
                bool found = false;
                if (clients[j].kind != MERAKI_WIRELESS && !(clients[j].kind == MERAKI_WIRED && wired))
                        continue;
                for (size_t i = 0; i < m && !found; i++)
                        found = element_matches(&els[i], &clients[j]);
                same = found;
        }
        for (size_t i = 0; i < m; i++)
                meraki_element_done(&els[i]);
        free(els);
        return same;
}
