/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "responders/pan_xml.h"

/* ---- writing ------------------------------------------------------------ */

static void buf_xml(StrBuf *b, const char *s)
{
        for (; *s; s++)
                switch (*s) {
                case '&': strbuf_puts(b, "&amp;"); break;
                case '<': strbuf_puts(b, "&lt;"); break;
                case '>': strbuf_puts(b, "&gt;"); break;
                case '"': strbuf_puts(b, "&quot;"); break;
                case '\'': strbuf_puts(b, "&apos;"); break;
                default: strbuf_putn(b, s, 1);
                }
}

static void section(StrBuf *b, const PanEntry *e, size_t n, bool reg)
{
        bool any = false;

        for (size_t i = 0; i < n; i++)
                any = any || e[i].reg == reg;
        if (!any)
                return;
        strbuf_puts(b, reg ? "<register>" : "<unregister>");
        for (size_t i = 0; i < n; i++) {
                if (e[i].reg != reg)
                        continue;
                strbuf_puts(b, "<entry ip=\"");
                buf_xml(b, e[i].ip);
                strbuf_puts(b, "\"><tag><member>");
                buf_xml(b, e[i].tag);
                strbuf_puts(b, "</member></tag></entry>");
        }
        strbuf_puts(b, reg ? "</register>" : "</unregister>");
}

char *pan_uid_message(const PanEntry *entries, size_t n)
{
        StrBuf b = { 0 };

        strbuf_puts(&b, "<uid-message><version>1.0</version><type>update</type><payload>");
        section(&b, entries, n, true);
        section(&b, entries, n, false);
        strbuf_puts(&b, "</payload></uid-message>");
        return strbuf_steal(&b, NULL);
}

char *pan_form_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        StrBuf b = { 0 };

        strbuf_puts(&b, "");
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                char e[3];
                if (isalnum(c) || strchr("-._~", c))
                        strbuf_putn(&b, s, 1);
                else if (c == ' ')
                        strbuf_putn(&b, "+", 1);
                else {
                        e[0] = '%';
                        e[1] = hex[c >> 4];
                        e[2] = hex[c & 15];
                        strbuf_putn(&b, e, 3);
                }
        }
        return strbuf_steal(&b, NULL);
}

/* ---- reading ------------------------------------------------------------ */

static char *unescape(const char *s, size_t n)
{
        static const struct { const char *ent; char c; } ents[] = {
                { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
        };
        StrBuf b = { 0 };

        strbuf_puts(&b, "");
        for (size_t i = 0; i < n;) {
                bool done = false;
                if (s[i] == '&')
                        for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]) && !done; k++) {
                                size_t l = strlen(ents[k].ent);
                                if (i + l <= n && !strncmp(s + i, ents[k].ent, l)) {
                                        strbuf_putn(&b, &ents[k].c, 1);
                                        i += l;
                                        done = true;
                                }
                        }
                if (!done)
                        strbuf_putn(&b, s + i++, 1);
        }
        return strbuf_steal(&b, NULL);
}

/* The start of the next element called `name` at or after p (before end),
 * as "<name" followed by a blank, '>' or '/'. */
static const char *find_elem(const char *p, const char *end, const char *name)
{
        size_t l = strlen(name);

        for (; p && p < end; p++) {
                p = memchr(p, '<', (size_t) (end - p));
                if (!p)
                        return NULL;
                if ((size_t) (end - p) > l + 1 && !strncmp(p + 1, name, l) &&
                    (isspace((unsigned char) p[l + 1]) || p[l + 1] == '>' || p[l + 1] == '/'))
                        return p;
        }
        return NULL;
}

/* The end of the start tag at p (the '>'), or NULL. */
static const char *tag_end(const char *p, const char *end)
{
        char q = 0;

        for (; p < end; p++) {
                if (q) {
                        if (*p == q)
                                q = 0;
                } else if (*p == '"' || *p == '\'')
                        q = *p;
                else if (*p == '>')
                        return p;
        }
        return NULL;
}

/* The value of attribute `name` in the start tag [p, e), unescaped. */
static char *attr(const char *p, const char *e, const char *name)
{
        size_t l = strlen(name);

        while (p < e && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
                p++;            /* skip the element name */
        while (p < e) {
                const char *n0, *v0;
                char q;
                while (p < e && (isspace((unsigned char) *p)))
                        p++;
                n0 = p;
                while (p < e && !isspace((unsigned char) *p) && *p != '=' && *p != '>' && *p != '/')
                        p++;
                if (p == n0) {
                        p++;
                        continue;
                }
                while (p < e && isspace((unsigned char) *p))
                        p++;
                if (p >= e || *p != '=')
                        continue;
                p++;
                while (p < e && isspace((unsigned char) *p))
                        p++;
                if (p >= e || (*p != '"' && *p != '\''))
                        continue;
                q = *p++;
                v0 = p;
                while (p < e && *p != q)
                        p++;
                if ((size_t) (v0 - 1 - n0) >= l && !strncmp(n0, name, l) &&
                    (n0[l] == '=' || isspace((unsigned char) n0[l])))
                        return unescape(v0, (size_t) (p - v0));
                p++;
        }
        return NULL;
}

/* The end of element at p: the matching "</name>" (or p's end for a
 * self-closing tag); nested elements of the same name are not expected. */
static const char *elem_close(const char *p, const char *end, const char *name, const char **inner)
{
        const char *te = tag_end(p, end);
        _cleanup_free_ char *close = xasprintf("</%s>", name);
        const char *c;

        if (!te)
                return NULL;
        if (te[-1] == '/') {
                *inner = te;
                return te + 1;
        }
        *inner = te + 1;
        c = strstr(te + 1, close);
        if (!c || c > end)
                return NULL;
        return c;
}

/* All character data in [p, e), tags left out, blanks folded. */
static char *text_of(const char *p, const char *e)
{
        StrBuf b = { 0 };
        bool in_tag = false, space = false;
        char *out;

        strbuf_puts(&b, "");
        for (; p < e; p++) {
                if (*p == '<')
                        in_tag = true, space = b.len > 0;
                else if (*p == '>')
                        in_tag = false;
                else if (!in_tag) {
                        if (isspace((unsigned char) *p)) {
                                space = b.len > 0;
                                continue;
                        }
                        if (space && b.len && b.p[b.len - 1] != ' ')
                                strbuf_putn(&b, " ", 1);
                        space = false;
                        strbuf_putn(&b, p, 1);
                }
        }
        out = unescape(b.p, b.len);
        strbuf_done(&b);
        return out;
}

char *pan_xml_text(const char *body, const char *name)
{
        const char *end = body + strlen(body), *p = find_elem(body, end, name), *inner, *c;

        if (!p)
                return NULL;
        c = elem_close(p, end, name, &inner);
        if (!c)
                return NULL;
        return text_of(inner, c);
}

int pan_parse_keygen(const char *body, char **ret_key, char **ret_msg)
{
        PanResponse r;
        char *key;

        *ret_key = NULL;
        if (ret_msg)
                *ret_msg = NULL;
        if (pan_parse_response(body, &r) < 0)
                return -EBADMSG;
        if (!r.success) {
                if (ret_msg) {
                        *ret_msg = r.msg;
                        r.msg = NULL;
                }
                pan_response_done(&r);
                return -EACCES;
        }
        pan_response_done(&r);
        key = pan_xml_text(body, "key");
        if (!key || !key[0]) {
                free(key);
                return -EBADMSG;
        }
        *ret_key = key;
        return 0;
}

static void entries_of(PanResponse *r, const char *body, const char *end, const char *section, bool reg)
{
        const char *p = body;

        while ((p = find_elem(p, end, section))) {
                const char *inner, *c = elem_close(p, end, section, &inner), *e;
                if (!c)
                        return;
                for (e = inner; (e = find_elem(e, c, "entry"));) {
                        const char *te = tag_end(e, c);
                        char *ip, *msg;
                        if (!te)
                                break;
                        ip = attr(e, te, "ip");
                        msg = attr(e, te, "message");
                        if (!msg) {
                                const char *ein, *ec = elem_close(e, c, "entry", &ein);
                                if (ec)
                                        msg = text_of(ein, ec);
                        }
                        if (ip && msg && msg[0]) {
                                r->entries = xreallocarray(r->entries, r->n_entries + 1, sizeof(PanEntryError));
                                r->entries[r->n_entries++] = (PanEntryError) { .ip = ip, .message = msg, .reg = reg };
                        } else {
                                free(ip);
                                free(msg);
                        }
                        e = te;
                }
                p = c;
        }
}

int pan_parse_response(const char *body, PanResponse *ret)
{
        const char *end, *p, *te, *inner, *c;
        char *status, *code;

        *ret = (PanResponse) { 0 };
        if (!body)
                return -EBADMSG;
        end = body + strlen(body);
        p = find_elem(body, end, "response");
        if (!p || !(te = tag_end(p, end)))
                return -EBADMSG;
        status = attr(p, te, "status");
        code = attr(p, te, "code");
        ret->success = status && !strcmp(status, "success");
        ret->code = code ? atoi(code) : 0;
        free(status);
        free(code);
        /* the message: <msg> (error answers, uid-responses), else <result> of an error */
        if ((p = find_elem(te, end, "msg")) && (c = elem_close(p, end, "msg", &inner)))
                ret->msg = text_of(inner, c);
        else if (!ret->success && (p = find_elem(te, end, "result")) && (c = elem_close(p, end, "result", &inner)))
                ret->msg = text_of(inner, c);
        entries_of(ret, te, end, "register", true);
        entries_of(ret, te, end, "unregister", false);
        return 0;
}

void pan_response_done(PanResponse *r)
{
        for (size_t i = 0; i < r->n_entries; i++) {
                free(r->entries[i].ip);
                free(r->entries[i].message);
        }
        free(r->entries);
        free(r->msg);
        *r = (PanResponse) { 0 };
}

bool pan_auth_error(const PanResponse *r)
{
        if (r->success)
                return false;
        return r->code == 403 || (r->msg && strcasestr(r->msg, "invalid credential"));
}

bool pan_entry_is_noop(const PanEntryError *e)
{
        if (!e->message)
                return false;
        if (e->reg)
                return strcasestr(e->message, "already exist") != NULL;
        return strcasestr(e->message, "does not exist") || strcasestr(e->message, "not exist") ||
               strcasestr(e->message, "not registered") || strcasestr(e->message, "not found");
}
