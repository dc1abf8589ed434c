/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/sophos_xml.h"

char *sophos_xml_escape(const char *s)
{
        size_t n = 0;
        char *out, *p;

        for (const char *c = s; *c; c++)
                n += *c == '&' ? 5 : *c == '<' || *c == '>' ? 4 : *c == '"' || *c == '\'' ? 6 : 1;
        p = out = xmalloc(n + 1);
        for (const char *c = s; *c; c++) {
                const char *r = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;" :
                                *c == '"' ? "&quot;" : *c == '\'' ? "&apos;" : NULL;
                if (r) {
                        strcpy(p, r);
                        p += strlen(r);
                } else
                        *p++ = *c;
        }
        *p = 0;
        return out;
}

char *sophos_request(const char *user, const char *password, bool encrypted, const char *inner)
{
        _cleanup_free_ char *u = sophos_xml_escape(user), *pw = sophos_xml_escape(password);
        char *r = xasprintf("<Request><Login><Username>%s</Username><Password passwordform=\"%s\">%s</Password>"
                            "</Login>%s</Request>", u, encrypted ? "encrypted" : "plain", pw, inner ? inner : "");

        memset(pw, 0, strlen(pw));
        return r;
}

char *sophos_form(const char *xml)
{
        size_t n = strlen(xml);
        char *out = xmalloc(7 + n * 3 + 1), *p = out;

        p += sprintf(p, "reqxml=");
        for (const unsigned char *c = (const unsigned char *) xml; *c; c++) {
                if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
                        *p++ = (char) *c;
                else
                        p += sprintf(p, "%%%02X", *c);
        }
        *p = 0;
        return out;
}

char *sophos_get_iphost(const char *name)
{
        _cleanup_free_ char *n = sophos_xml_escape(name);

        return xasprintf("<Get><IPHost><Filter><key name=\"Name\" criteria=\"=\">%s</key></Filter></IPHost></Get>", n);
}

char *sophos_set_iplist(const char *name, const char *const *ips)
{
        _cleanup_free_ char *n = sophos_xml_escape(name);
        size_t len = 1;
        char *csv, *r;

        for (size_t i = 0; ips && ips[i]; i++)
                len += strlen(ips[i]) + 1;
        csv = xmalloc(len);
        csv[0] = 0;
        for (size_t i = 0; ips && ips[i]; i++) {
                if (i)
                        strcat(csv, ",");
                strcat(csv, ips[i]);
        }
        r = xasprintf("<Set operation=\"update\"><IPHost><Name>%s</Name><IPFamily>IPv4</IPFamily>"
                      "<HostType>IPList</HostType><ListOfIPAddresses>%s</ListOfIPAddresses></IPHost></Set>", n, csv);
        free(csv);
        return r;
}

/* ---- reading -------------------------------------------------------------- */

/* The next element <tag ...> (not </tag>, not <tagX>) from s, up to end;
 * *ret_body and *ret_body_end delimit its content (NULL when
 * self-closing), *ret_after is past its end tag.  NULL when none. */
static const char *find_elem(const char *s, const char *end, const char *tag, const char **ret_attrs,
                             const char **ret_body, const char **ret_body_end, const char **ret_after)
{
        size_t tl = strlen(tag);

        for (const char *p = s; p && p < end; p++) {
                const char *q, *gt, *close;
                if (*p != '<' || (size_t) (end - p) < tl + 2 || strncmp(p + 1, tag, tl))
                        continue;
                q = p + 1 + tl;
                if (*q != '>' && *q != ' ' && *q != '/' && *q != '\t' && *q != '\n' && *q != '\r')
                        continue;
                gt = memchr(q, '>', (size_t) (end - q));
                if (!gt)
                        return NULL;
                if (ret_attrs)
                        *ret_attrs = q;
                if (gt[-1] == '/') {
                        *ret_body = *ret_body_end = NULL;
                        *ret_after = gt + 1;
                        return p;
                }
                /* the matching end tag (our elements do not nest in themselves) */
                for (close = gt + 1; close < end; close++)
                        if (*close == '<' && close[1] == '/' && (size_t) (end - close) >= tl + 3 &&
                            !strncmp(close + 2, tag, tl) && close[2 + tl] == '>')
                                break;
                if (close >= end)
                        return NULL;
                *ret_body = gt + 1;
                *ret_body_end = close;
                *ret_after = close + tl + 3;
                return p;
        }
        return NULL;
}

/* Text between b and e, entities decoded, blanks trimmed. */
static char *text_of(const char *b, const char *e)
{
        char *out = xmalloc((size_t) (e - b) + 1), *o = out;

        while (b < e && isspace((unsigned char) *b))
                b++;
        while (e > b && isspace((unsigned char) e[-1]))
                e--;
        while (b < e) {
                static const struct { const char *ent; char c; } ents[] = {
                        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
                };
                bool done = false;
                for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]) && *b == '&'; i++)
                        if ((size_t) (e - b) >= strlen(ents[i].ent) && !strncmp(b, ents[i].ent, strlen(ents[i].ent))) {
                                *o++ = ents[i].c;
                                b += strlen(ents[i].ent);
                                done = true;
                                break;
                        }
                if (!done)
                        *o++ = *b++;
        }
        *o = 0;
        return out;
}

static char *child_text(const char *b, const char *e, const char *tag)
{
        const char *cb, *ce, *after;

        if (!find_elem(b, e, tag, NULL, &cb, &ce, &after))
                return NULL;
        return cb ? text_of(cb, ce) : xstrdup("");
}

static bool response_range(const char *xml, const char **b, const char **e)
{
        const char *after;

        return xml && find_elem(xml, xml + strlen(xml), "Response", NULL, b, e, &after) && *b;
}

char *sophos_login_status(const char *xml)
{
        const char *b, *e, *lb, *le, *after;

        if (!response_range(xml, &b, &e) || !find_elem(b, e, "Login", NULL, &lb, &le, &after) || !lb)
                return NULL;
        return child_text(lb, le, "status");
}

bool sophos_login_ok(const char *xml)
{
        _cleanup_free_ char *s = sophos_login_status(xml);

        return s && !strcmp(s, "Authentication Successful");
}

int sophos_parse_iplist(const char *xml, const char *name, char ***ret_ips)
{
        const char *b, *e, *hb, *he, *after;

        if (!response_range(xml, &b, &e))
                return -EPROTO;
        for (const char *p = b; find_elem(p, e, "IPHost", NULL, &hb, &he, &after); p = after) {
                _cleanup_free_ char *n = NULL, *type = NULL, *list = NULL;
                char **v = NULL;

                if (!hb)
                        continue;
                n = child_text(hb, he, "Name");
                if (!n || strcmp(n, name))
                        continue;
                type = child_text(hb, he, "HostType");
                if (type && strcmp(type, "IPList"))
                        return -EMEDIUMTYPE;
                list = child_text(hb, he, "ListOfIPAddresses");
                char *save = NULL;
                for (char *tok = list ? strtok_r(list, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
                        _cleanup_free_ char *t = text_of(tok, tok + strlen(tok));
                        if (t[0] && !strv_contains(v, t))
                                v = strv_push(v, t);
                }
                *ret_ips = v ? v : xnew(char *, 1);
                return 0;
        }
        return -ENOENT;
}

int sophos_status(const char *xml, char **ret_text)
{
        const char *b, *e, *sb, *se, *after, *attrs = NULL, *c;
        int code = 0;

        if (!response_range(xml, &b, &e) || !find_elem(b, e, "Status", &attrs, &sb, &se, &after))
                return 0;
        c = strstr(attrs, "code=\"");
        if (c && c < (sb ? sb : after))
                code = atoi(c + 6);
        if (ret_text)
                *ret_text = sb ? text_of(sb, se) : NULL;
        return code;
}
