/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "common/ctlproto.h"
#include "common/xalloc.h"

void ctl_decoder_init(CtlDecoder *d, size_t max_frame)
{
        *d = (CtlDecoder) { .max = max_frame ? max_frame : CTL_FRAME_MAX };
}

void ctl_decoder_done(CtlDecoder *d)
{
        free(d->buf);
        *d = (CtlDecoder) { 0 };
}

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

int ctl_decoder_feed(CtlDecoder *d, const void *data, size_t len)
{
        /* Never hold more than one maximal frame plus a header. */
        if (d->len + len > d->max + 2 * CTL_HDR_LEN + d->max)
                return -EMSGSIZE;
        if (d->len + len > d->cap) {
                size_t cap = d->cap ? d->cap : 4096;
                while (cap < d->len + len)
                        cap *= 2;
                d->buf = xreallocarray(d->buf, cap, 1);
                d->cap = cap;
        }
        memcpy(d->buf + d->len, data, len);
        d->len += len;
        return 0;
}

int ctl_decoder_next(CtlDecoder *d, char **ret, size_t *ret_len)
{
        uint32_t n;
        char *p;

        if (d->len < CTL_HDR_LEN)
                return 0;
        n = be32(d->buf);
        if (n == 0)
                return -EBADMSG;
        if (n > d->max)
                return -EMSGSIZE;
        if (d->len - CTL_HDR_LEN < n)
                return 0;
        p = xmalloc((size_t) n + 1);
        memcpy(p, d->buf + CTL_HDR_LEN, n);
        p[n] = '\0';
        memmove(d->buf, d->buf + CTL_HDR_LEN + n, d->len - CTL_HDR_LEN - n);
        d->len -= CTL_HDR_LEN + n;
        *ret = p;
        if (ret_len)
                *ret_len = n;
        return 1;
}

size_t ctl_decoder_pending(const CtlDecoder *d)
{
        return d->len;
}

int ctl_frame_encode(const char *json, size_t len, size_t max, uint8_t **ret, size_t *ret_len)
{
        uint8_t *p;

        if (len == 0 || len > (max ? max : CTL_FRAME_MAX))
                return -EMSGSIZE;
        p = xmalloc(len + CTL_HDR_LEN);
        p[0] = (uint8_t) (len >> 24);
        p[1] = (uint8_t) (len >> 16);
        p[2] = (uint8_t) (len >> 8);
        p[3] = (uint8_t) len;
        memcpy(p + CTL_HDR_LEN, json, len);
        *ret = p;
        *ret_len = len + CTL_HDR_LEN;
        return 0;
}

int ctl_request_parse(const char *text, size_t len, CtlRequest *ret,
                      const char **ret_code, const char **ret_msg, double *ret_id)
{
        const char *end = NULL;
        cJSON *root, *v, *id, *cmd, *args;

        *ret_id = 0;
        root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (!root) {
                *ret_code = CTL_E_BADJSON;
                *ret_msg = "request is not valid JSON";
                return -EBADMSG;
        }
        if (!cJSON_IsObject(root)) {
                *ret_code = CTL_E_BADREQ;
                *ret_msg = "request must be a JSON object";
                goto fail;
        }
        id = cJSON_GetObjectItemCaseSensitive(root, "id");
        if (cJSON_IsNumber(id) && isfinite(id->valuedouble) && id->valuedouble == floor(id->valuedouble) &&
            fabs(id->valuedouble) <= 9007199254740992.0)
                *ret_id = id->valuedouble;
        v = cJSON_GetObjectItemCaseSensitive(root, "v");
        if (!cJSON_IsNumber(v)) {
                *ret_code = CTL_E_BADREQ;
                *ret_msg = "request lacks the protocol version \"v\"";
                goto fail;
        }
        if (v->valuedouble != CTL_PROTO_VERSION) {
                *ret_code = CTL_E_VERSION;
                *ret_msg = "unsupported protocol version (secrespd speaks version 1)";
                goto fail;
        }
        /* whole numbers only: they survive the echo in the reply exactly */
        if (!cJSON_IsNumber(id) || !isfinite(id->valuedouble) || id->valuedouble != floor(id->valuedouble) ||
            fabs(id->valuedouble) > 9007199254740992.0) {
                *ret_code = CTL_E_BADREQ;
                *ret_msg = "request lacks an integer \"id\"";
                goto fail;
        }
        cmd = cJSON_GetObjectItemCaseSensitive(root, "cmd");
        if (!cJSON_IsString(cmd) || !cmd->valuestring[0]) {
                *ret_code = CTL_E_BADREQ;
                *ret_msg = "request lacks a \"cmd\" string";
                goto fail;
        }
        args = cJSON_GetObjectItemCaseSensitive(root, "args");
        if (!args) {
                args = cJSON_AddObjectToObject(root, "args");
        } else if (!cJSON_IsObject(args)) {
                *ret_code = CTL_E_BADREQ;
                *ret_msg = "\"args\" must be an object";
                goto fail;
        }
        *ret = (CtlRequest) { .id = id->valuedouble, .cmd = cmd->valuestring, .args = args, .root = root };
        return 0;
fail:
        cJSON_Delete(root);
        return -EBADMSG;
}

void ctl_request_done(CtlRequest *r)
{
        cJSON_Delete(r->root);
        *r = (CtlRequest) { 0 };
}

cJSON *ctl_reply_ok(double id, cJSON *data)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddTrueToObject(o, "ok");
        cJSON_AddItemToObject(o, "data", data ? data : cJSON_CreateObject());
        return o;
}

cJSON *ctl_reply_error(double id, const char *code, const char *fmt, ...)
{
        cJSON *o = cJSON_CreateObject(), *e;
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddFalseToObject(o, "ok");
        e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "code", code);
        cJSON_AddStringToObject(e, "message", msg);
        free(msg);
        return o;
}

cJSON *ctl_reply_item(double id, cJSON *item)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddItemToObject(o, "item", item);
        return o;
}

cJSON *ctl_reply_end(double id, unsigned long count)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddTrueToObject(o, "ok");
        cJSON_AddTrueToObject(o, "end");
        cJSON_AddNumberToObject(o, "count", (double) count);
        return o;
}

cJSON *ctl_request_new(double id, const char *cmd, cJSON *args)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "v", CTL_PROTO_VERSION);
        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddStringToObject(o, "cmd", cmd);
        cJSON_AddItemToObject(o, "args", args ? args : cJSON_CreateObject());
        return o;
}
