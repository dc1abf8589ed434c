/* SPDX-License-Identifier: MIT */
/* Webex messages (responders.md §7.1): POST {url}/messages with roomId (or
 * toPersonEmail) and markdown, one at a time. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/notify_webex.h"
#include "engine/notify_text.h"

#define QUEUE_MAX 64

typedef struct Msg {
        char *body;                     /* the JSON request body */
        struct Msg *next;
} Msg;

struct Notifier {
        HttpClient *http;
        char *name;
        char *url;
        char *auth_header;              /* secret */
        char *room_id, *to;
        char *ca_file;
        bool tls_skip_verify;
        long timeout_ms;
        size_t max_bytes;
        Msg *head, *tail;
        unsigned queued;
        HttpRequest *req;
        bool closing;
        uint64_t sent, failed, dropped;
};

static const RetryPolicy webex_retry = { .max_attempts = 4, .base_ms = 1000, .max_ms = 30000, .jitter = 0.5 };

static void pump(Notifier *n);

static void notifier_free(Notifier *n)
{
        while (n->head) {
                Msg *m = n->head;
                n->head = m->next;
                free(m->body);
                free(m);
        }
        if (n->auth_header) {
                explicit_bzero(n->auth_header, strlen(n->auth_header));
                free(n->auth_header);
        }
        free(n->name);
        free(n->url);
        free(n->room_id);
        free(n->to);
        free(n->ca_file);
        free(n);
}

static void on_sent(const HttpResponse *resp, void *userdata)
{
        Notifier *n = userdata;

        n->req = NULL;
        if (n->closing) {
                notifier_free(n);
                return;
        }
        if (resp->r == 0 && resp->status >= 200 && resp->status < 300) {
                n->sent++;
                log_debug("%s: Webex message sent", n->name);
        } else {
                /* shown, counted, and the next message goes on */
                _cleanup_free_ char *why = resp->status ? xasprintf("HTTP %ld", resp->status) :
                                           xstrdup(*resp->error ? resp->error : strerror(-resp->r));
                n->failed++;
                log_warning("%s: Webex message not sent: POST /messages: %s (after %u attempt%s); the cycle is "
                            "not affected", n->name, why, resp->attempts, resp->attempts == 1 ? "" : "s");
        }
        pump(n);
}

static void pump(Notifier *n)
{
        const char *hdrs[3];
        Msg *m;
        int r;

        while (!n->req && !n->closing && n->head) {
                m = n->head;
                n->head = m->next;
                if (!n->head)
                        n->tail = NULL;
                n->queued--;
                hdrs[0] = n->auth_header;
                hdrs[1] = "Accept: application/json";
                hdrs[2] = NULL;
                r = http_request_start(n->http,
                                       &(HttpRequestOptions) {
                                               .method = "POST",
                                               .url = n->url,
                                               .headers = hdrs,
                                               .body = m->body,
                                               .body_len = strlen(m->body),
                                               .timeout_ms = n->timeout_ms,
                                               .retry = &webex_retry,
                                               .ca_file = n->ca_file,
                                               .tls_skip_verify = n->tls_skip_verify,
                                               .cb = on_sent,
                                               .userdata = n,
                                       },
                                       &n->req);
                free(m->body);
                free(m);
                if (r < 0) {
                        n->req = NULL;
                        n->failed++;
                        log_warning("%s: Webex message not sent: %s", n->name, strerror(-r));
                }
        }
}

int notifier_send(Notifier *n, const char *markdown)
{
        char **parts = NULL;
        size_t k;

        if (!n || n->closing)
                return -ESHUTDOWN;
        k = notify_split(markdown, n->max_bytes, &parts);
        for (size_t i = 0; i < k; i++) {
                cJSON *o = cJSON_CreateObject();
                Msg *m;

                if (n->queued >= QUEUE_MAX) {
                        n->dropped += k - i;
                        log_warning("%s: Webex queue full (%d messages): %zu message part(s) dropped", n->name,
                                    QUEUE_MAX, k - i);
                        cJSON_Delete(o);
                        strv_free(parts);
                        pump(n);
                        return -ENOBUFS;
                }
                if (n->room_id)
                        cJSON_AddStringToObject(o, "roomId", n->room_id);
                else
                        cJSON_AddStringToObject(o, "toPersonEmail", n->to);
                cJSON_AddStringToObject(o, "markdown", parts[i]);
                m = xnew(Msg, 1);
                m->body = cJSON_PrintUnformatted(o);
                cJSON_Delete(o);
                if (n->tail)
                        n->tail->next = m;
                else
                        n->head = m;
                n->tail = m;
                n->queued++;
        }
        strv_free(parts);
        pump(n);
        return 0;
}

void notifier_shutdown(Notifier *n)
{
        if (!n || n->closing)
                return;
        n->closing = true;
        if (n->req) {
                /* cancelled, or its callback already pending: on_sent frees it */
                (void) http_request_cancel(n->req);
                return;
        }
        notifier_free(n);
}

void notifier_get_stats(const Notifier *n, NotifierStats *ret)
{
        *ret = n ? (NotifierStats) { .sent = n->sent, .failed = n->failed, .dropped = n->dropped,
                                     .queued = n->queued } : (NotifierStats) { 0 };
}

int notifier_new(HttpClient *http, const NotifyConf *conf, const char *name, Notifier **ret)
{
        Notifier *n;
        size_t len;

        *ret = NULL;
        if (!conf->webex_token.value)
                return 0;
        if (!http || !conf->webex_url || strpbrk(conf->webex_token.value, "\r\n"))
                return -EINVAL;
        n = xnew(Notifier, 1);
        n->http = http;
        n->name = xstrdup(name);
        len = strlen(conf->webex_url);
        while (len > 0 && conf->webex_url[len - 1] == '/')
                len--;
        n->url = xasprintf("%.*s/messages", (int) len, conf->webex_url);
        n->auth_header = xasprintf("Authorization: Bearer %s", conf->webex_token.value);
        n->room_id = conf->webex_room_id ? xstrdup(conf->webex_room_id) : NULL;
        n->to = conf->webex_to ? xstrdup(conf->webex_to) : NULL;
        n->ca_file = conf->ca_file ? xstrdup(conf->ca_file) : NULL;
        n->tls_skip_verify = !conf->tls_verify;
        n->timeout_ms = (long) conf->timeout * 1000;
        n->max_bytes = (size_t) conf->max_bytes;
        *ret = n;
        return 0;
}
