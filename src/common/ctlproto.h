/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* Control protocol, shared by secrespd and secrespctl (docs/PROTOCOL.md).
 * A frame is a 4-byte big-endian length followed by that many bytes of
 * UTF-8 JSON.  Bump CTL_PROTO_VERSION on any incompatible change. */
#define CTL_PROTO_VERSION 1
#define CTL_FRAME_MAX     (1024 * 1024)
#define CTL_HDR_LEN       4

/* Error codes carried in {"error":{"code":...}} */
#define CTL_E_BADFRAME  "bad-frame"
#define CTL_E_BADJSON   "bad-json"
#define CTL_E_BADREQ    "bad-request"
#define CTL_E_VERSION   "bad-version"
#define CTL_E_UNKNOWN   "unknown-command"
#define CTL_E_DENIED    "permission-denied"
#define CTL_E_INVALID   "invalid-argument"
#define CTL_E_NOTFOUND  "not-found"
#define CTL_E_INTERNAL  "internal-error"

typedef struct CtlDecoder {
        uint8_t *buf;
        size_t len, cap;
        size_t max;
} CtlDecoder;

void ctl_decoder_init(CtlDecoder *d, size_t max_frame);
void ctl_decoder_done(CtlDecoder *d);
/* Appends bytes; -EMSGSIZE when the pending data can never form a frame
 * within the limit. */
int ctl_decoder_feed(CtlDecoder *d, const void *data, size_t len);
/* 1 and a malloc'ed NUL-terminated payload in *ret when a frame is complete,
 * 0 when more bytes are needed, -EMSGSIZE for an oversized frame,
 * -EBADMSG for an empty one. */
int ctl_decoder_next(CtlDecoder *d, char **ret, size_t *ret_len);
/* Bytes held that do not yet form a frame (a truncated frame at EOF). */
size_t ctl_decoder_pending(const CtlDecoder *d);

/* Malloc'ed header + payload; -EMSGSIZE over max. */
int ctl_frame_encode(const char *json, size_t len, size_t max, uint8_t **ret, size_t *ret_len);

typedef struct CtlRequest {
        double id;
        const char *cmd;        /* borrowed from root */
        cJSON *args;            /* borrowed; may be an empty object */
        cJSON *root;            /* owned */
} CtlRequest;

/* Parses and checks a request.  On failure returns a negative errno, and
 * *ret_code / *ret_msg (static strings) say why, *ret_id the id if any. */
int ctl_request_parse(const char *text, size_t len, CtlRequest *ret,
                      const char **ret_code, const char **ret_msg, double *ret_id);
void ctl_request_done(CtlRequest *r);

/* Builders for the reply objects; they take ownership of data. */
cJSON *ctl_reply_ok(double id, cJSON *data);
cJSON *ctl_reply_error(double id, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
cJSON *ctl_reply_item(double id, cJSON *item);
cJSON *ctl_reply_end(double id, unsigned long count);
cJSON *ctl_request_new(double id, const char *cmd, cJSON *args);
