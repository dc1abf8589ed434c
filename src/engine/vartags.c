/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/xalloc.h"
#include "engine/vartags.h"

static const char *const kind_names[_VAR_KIND_MAX] = {
        [VAR_HOST] = "host",
        [VAR_ACCOUNT] = "account",
        [VAR_DETECTION] = "detection",
};

static const char *const markers[_VAR_KIND_MAX] = {
        [VAR_HOST] = "VAR Host Blocked",
        [VAR_ACCOUNT] = "VAR Account Blocked",
        [VAR_DETECTION] = "VAR Detection Blocked",
};

static const char *const unblock_literals[_VAR_KIND_MAX] = {
        [VAR_HOST] = "vectra_host_unblock",
        [VAR_ACCOUNT] = "vectra_account_unblock",
        [VAR_DETECTION] = "vectra_detection_unblock",
};

static bool kind_valid(VarKind k)
{
        return (int) k >= 0 && k < _VAR_KIND_MAX;
}

const char *var_kind_to_string(VarKind k)
{
        return kind_valid(k) ? kind_names[k] : NULL;
}

VarKind var_kind_from_string(const char *s)
{
        for (int i = 0; s && i < _VAR_KIND_MAX; i++)
                if (strcmp(s, kind_names[i]) == 0)
                        return (VarKind) i;
        return _VAR_KIND_INVALID;
}

const char *var_marker(VarKind k)
{
        return kind_valid(k) ? markers[k] : NULL;
}

const char *var_hardcoded_unblock_tag(VarKind k)
{
        return kind_valid(k) ? unblock_literals[k] : NULL;
}

/* StrList */

void strlist_add(StrList *l, const char *s)
{
        if (l->n + 2 > l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                l->items = xreallocarray(l->items, cap, sizeof(char *));
                l->cap = cap;
        }
        l->items[l->n++] = xstrdup(s);
        l->items[l->n] = NULL;
}

bool strlist_contains(const StrList *l, const char *s)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i], s) == 0)
                        return true;
        return false;
}

bool strlist_add_unique(StrList *l, const char *s)
{
        if (strlist_contains(l, s))
                return false;
        strlist_add(l, s);
        return true;
}

size_t strlist_remove(StrList *l, const char *s)
{
        size_t w = 0, removed = 0;

        for (size_t i = 0; i < l->n; i++) {
                if (strcmp(l->items[i], s) == 0) {
                        free(l->items[i]);
                        removed++;
                } else
                        l->items[w++] = l->items[i];
        }
        l->n = w;
        if (l->items)
                l->items[w] = NULL;
        return removed;
}

void strlist_done(StrList *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        *l = (StrList) STRLIST_INIT;
}

/* VAR ID tags */

int var_id_parse(const char *tag, char **ret_client, char **ret_element)
{
        const char *client, *colon;

        if (!tag || strncmp(tag, VAR_ID_PREFIX, strlen(VAR_ID_PREFIX)) != 0)
                return -EINVAL;
        client = tag + strlen(VAR_ID_PREFIX);
        colon = strchr(client, ':');
        if (!colon || colon == client || colon[1] == '\0')
                return -EINVAL;
        *ret_client = xstrndup(client, (size_t) (colon - client));
        *ret_element = xstrdup(colon + 1);
        return 0;
}

static bool id_pair_valid(const char *client, const char *element)
{
        return client && element && client[0] && !strchr(client, ':') && element[0];
}

char *var_id_format(const char *client, const char *element)
{
        if (!id_pair_valid(client, element))
                return NULL;
        return xasprintf(VAR_ID_PREFIX "%s:%s", client, element);
}

/* VarTags */

static VarOwner *owner_find(const VarTags *t, const char *client)
{
        for (size_t i = 0; i < t->n_owners; i++)
                if (strcmp(t->owners[i].client, client) == 0)
                        return &t->owners[i];
        return NULL;
}

static void owner_add(VarTags *t, const char *client, const char *element)
{
        VarOwner *o = owner_find(t, client);

        if (!o) {
                t->owners = xreallocarray(t->owners, t->n_owners + 1, sizeof(VarOwner));
                o = &t->owners[t->n_owners++];
                *o = (VarOwner) { .client = xstrdup(client), .elements = STRLIST_INIT };
        }
        strlist_add_unique(&o->elements, element);
}

void var_tags_split(VarKind kind, const char *const *tags, size_t n_tags, VarTags *ret)
{
        VarTags t = VAR_TAGS_INIT;

        for (size_t i = 0; tags && i < n_tags; i++) {
                const char *tag = tags[i];
                char *client, *element;

                if (!tag)
                        continue;
                if (kind_valid(kind) && strcmp(tag, markers[kind]) == 0) {
                        t.had_marker = true;
                        continue;
                }
                if (kind_valid(kind) && strcmp(tag, unblock_literals[kind]) == 0)
                        continue;
                if (var_id_parse(tag, &client, &element) == 0) {
                        owner_add(&t, client, element);
                        free(client);
                        free(element);
                        continue;
                }
                strlist_add(&t.external, tag);
        }
        *ret = t;
}

void var_tags_done(VarTags *t)
{
        if (!t)
                return;
        strlist_done(&t->external);
        for (size_t i = 0; i < t->n_owners; i++) {
                free(t->owners[i].client);
                strlist_done(&t->owners[i].elements);
        }
        free(t->owners);
        *t = (VarTags) VAR_TAGS_INIT;
}

const StrList *var_tags_elements(const VarTags *t, const char *client)
{
        const VarOwner *o = client ? owner_find(t, client) : NULL;

        return o && o->elements.n > 0 ? &o->elements : NULL;
}

size_t var_tags_n_elements(const VarTags *t)
{
        size_t n = 0;

        for (size_t i = 0; i < t->n_owners; i++)
                n += t->owners[i].elements.n;
        return n;
}

int var_tags_add(VarTags *t, const char *client, const char *element)
{
        if (!id_pair_valid(client, element))
                return -EINVAL;
        owner_add(t, client, element);
        return 0;
}

bool var_tags_remove(VarTags *t, const char *client, const char *element)
{
        VarOwner *o = client && element ? owner_find(t, client) : NULL;
        size_t i;

        if (!o || strlist_remove(&o->elements, element) == 0)
                return false;
        if (o->elements.n > 0)
                return true;
        free(o->client);
        strlist_done(&o->elements);
        i = (size_t) (o - t->owners);
        memmove(&t->owners[i], &t->owners[i + 1], (t->n_owners - i - 1) * sizeof(VarOwner));
        t->n_owners--;
        return true;
}

int var_tags_build(VarKind kind, const VarTags *t, VarWrite mode, StrList *ret, bool *ret_dropped_block)
{
        StrList l = STRLIST_INIT;
        bool dropped = false;

        if (!kind_valid(kind) || (int) mode < 0 || mode >= _VAR_WRITE_MAX)
                return -EINVAL;

        for (size_t i = 0; i < t->external.n; i++) {
                if (mode == VAR_WRITE_UNBLOCK && strcmp(t->external.items[i], "block") == 0) {
                        dropped = true;
                        continue;
                }
                strlist_add(&l, t->external.items[i]);
        }
        if (var_tags_n_elements(t) > 0) {
                strlist_add(&l, markers[kind]);
                for (size_t i = 0; i < t->n_owners; i++)
                        for (size_t j = 0; j < t->owners[i].elements.n; j++) {
                                _cleanup_free_ char *tag =
                                        var_id_format(t->owners[i].client, t->owners[i].elements.items[j]);
                                /* var_tags_add() and var_tags_split() only store valid pairs. */
                                if (tag)
                                        strlist_add(&l, tag);
                        }
        }
        *ret = l;
        if (ret_dropped_block)
                *ret_dropped_block = dropped;
        return 0;
}

/* client:<module> */

void var_client_filter(const char *const *tags, size_t n_tags, StrList *ret)
{
        StrList l = STRLIST_INIT;

        for (size_t i = 0; tags && i < n_tags; i++) {
                const char *tag = tags[i], *m, *end;
                char *module;

                if (!tag || strncasecmp(tag, "client", 6) != 0)
                        continue;
                m = strchr(tag, ':');
                if (!m)
                        continue;       /* bare "client...": upstream IndexError */
                m++;
                end = strchr(m, ':');
                if (!end)
                        end = m + strlen(m);
                if (end == m)
                        continue;
                module = xstrndup(m, (size_t) (end - m));
                for (char *p = module; *p; p++)
                        *p = (char) tolower((unsigned char) *p);
                strlist_add_unique(&l, module);
                free(module);
        }
        *ret = l;
}

bool var_client_filter_allows(const StrList *filter, const char *module)
{
        if (!filter || filter->n == 0)
                return true;
        if (!module)
                return false;
        for (size_t i = 0; i < filter->n; i++)
                if (strcasecmp(filter->items[i], module) == 0)
                        return true;
        return false;
}

/* §2.3, from the upstream Client classes (self.name / self.module). */
const VarClient var_clients[] = {
        { "external_call", "external_call", "external_call", "External Call Client" },
        { "fortinet", "fortinet", "fortinet", "Fortinet Client" },
        { "pan", "pan", "pan", "PAN Client" },
        { "cisco_ise", "ise", "cisco_ise", "ISE Client" },
        { "cisco_amp", "amp", "cisco_amp", "AMP Client" },
        { "cisco_fmc", "fmc", "cisco_fmc", "FMC Client" },
        { "meraki", "meraki", "meraki", "Meraki Client" },
        { "checkpoint", "checkpoint", "checkpoint", "CheckPoint Client" },
        { "clearpass", "clearpass", "clearpass", "ClearPass Client" },
        { "sophos", "sophos", "sophos", "Sophos Client" },
        { "pulse_nac", "pulse_nac", "pulse_nac", "Pulse NAC Client" },
        { "xtreme_networks_nbi", "xnnbi", "xtreme_networks_nbi", "XtremeNBI" },
        { "windows_shutdown", "windows_shutdown", "windows_shutdown", "Windows Shutdown Client" },
        { "windows_killnic", "windows_killnic", "windows_killnic", "Windows Kill Network Interface" },
        { "vmware", "vmware", "vmware", "VMWare Client" },
        { "tanium", "tanium", "tanium", "Tanium Client" },
        { "bitdefender", "bitdefender", "bitdefender", "Bitdefender Client" },
        { "harmony", "harmony", "harmony", "Harmony Client" },
        { "withsecure_elements", "elements", "withsecure_elements", "WithSecureElements Client" },
        { "cisco_asa_http", "asa_http", "cisco_asa_http", "ASA HTTP Client" },
        { "cisco_pxgrid", "pxgrid", "cisco_pxgrid", "PxGrid Client" },
        { "cynet_edr", "cynet_edr", "cynet_edr", "CynetEdr Client" },
        { "deepinstinct_edr", "deepinstinct_edr", "deepinstinct_edr", "DeepInstinctEDR Client" },
        { "endgame", "endgame", "endgame", "Endgame Client" },
        { "eset_edr", "eset_edr", "eset_edr", "EsetEDR Client" },
        { "forti_edr", "forti_edr", "forti_edr", "FortiEDR Client" },
        { "fortimanager", "fortimanager", "fortimanager", "FMG Client" },
        { "mcafee_epo", "mcafee_epo", "mcafee_epo", "McAfee EPO Client" },
        /* Directory pan_cortex, but Client.module is "cortex": that is what
         * the client: filter compares with. */
        { "pan_cortex", "cortex", "cortex", "Cortex Client" },
        { "sophos_edr", "sophos_edr", "sophos_edr", "SophosEDR Client" },
        { "trendmicro_apexone", "apex_one", "trendmicro_apexone", "ApexOne Client" },
        { "trendmicro_cloudone", "cloudone", "trendmicro_cloudone", "CloudOne Client" },
        /* The leading space is upstream's, and it is in every tag. */
        { "trendmicro_visionone", "vision_one", "trendmicro_visionone", " VisionOne Client" },
        { "watchguard", "watchguard", "watchguard", "WatchGuard Client" },
        { "test_client", "test_client", "test_client", "Test Client" },
};

const size_t var_n_clients = sizeof(var_clients) / sizeof(var_clients[0]);

const VarClient *var_client_find(const char *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < var_n_clients; i++)
                if (strcmp(s, var_clients[i].directory) == 0 || strcmp(s, var_clients[i].file) == 0 ||
                    strcmp(s, var_clients[i].module) == 0)
                        return &var_clients[i];
        return NULL;
}

const char *var_client_name(const char *s)
{
        const VarClient *c = var_client_find(s);

        return c ? c->name : NULL;
}

/* Notes */

static const char *const note_heads[_VAR_NOTE_MAX] = {
        [VAR_NOTE_BLOCKED] = "VAR: Blocked on ",
        [VAR_NOTE_UNBLOCKED] = "VAR: Unblocked on ",
        [VAR_NOTE_GROOM_UNBLOCKED] = "VAR: Unblocked due to grooming on ",
};

static const char *const months[12] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

int var_note_format(VarNote note, const struct tm *tm, char *buf, size_t size)
{
        long long year;
        int n;

        if ((int) note < 0 || note >= _VAR_NOTE_MAX || !tm || !buf)
                return -EINVAL;
        /* Python's datetime: years 1..9999; seconds 0..59 (a leap second
         * from localtime_r is shown as :60, as C's strftime would). */
        if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 || tm->tm_hour < 0 ||
            tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 60)
                return -EINVAL;
        year = (long long) tm->tm_year + 1900;
        if (year < 1 || year > 9999)
                return -EINVAL;
        n = snprintf(buf, size, "%s%02d %s %lld at %02d:%02d:%02d", note_heads[note], tm->tm_mday,
                     months[tm->tm_mon], year, tm->tm_hour, tm->tm_min, tm->tm_sec);
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        return 0;
}
