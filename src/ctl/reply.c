/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "ctl/reply.h"

void ctl_exchange_init(CtlExchange *x, double id, bool list)
{
        *x = (CtlExchange) { .id = id, .list = list };
        if (list)
                x->data = cJSON_CreateArray();
}

void ctl_exchange_done(CtlExchange *x)
{
        cJSON_Delete(x->data);
        free(x->error_code);
        free(x->error_message);
        *x = (CtlExchange) { 0 };
}

static int bad(const char **reterr_reason, const char *reason)
{
        if (reterr_reason)
                *reterr_reason = reason;
        return -EBADMSG;
}

static int finish_error(CtlExchange *x, const cJSON *root)
{
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");

        /* a refusal without details is still a refusal, not garbage */
        x->error_code = xstrdup(cJSON_IsString(code) ? code->valuestring : "unknown");
        x->error_message = xstrdup(cJSON_IsString(msg) ? msg->valuestring : "secrespd refused the request");
        x->ok = false;
        x->done = true;
        cJSON_Delete(x->data);
        x->data = NULL;
        return 1;
}

static int feed(CtlExchange *x, cJSON *root, const char **reterr_reason)
{
        const cJSON *id, *ok, *end;
        cJSON *item, *data;
        bool is_error;

        if (x->done)
                return bad(reterr_reason, "frame after the final reply");
        if (!cJSON_IsObject(root))
                return bad(reterr_reason, "reply is not a JSON object");
        id = cJSON_GetObjectItemCaseSensitive(root, "id");
        ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
        is_error = cJSON_IsFalse(ok);
        if (id && !cJSON_IsNumber(id))
                return bad(reterr_reason, "reply id is not a number");
        if (!id || id->valuedouble != x->id) {
                /* The daemon answers a request it could not read with id 0
                 * (or none); that is the answer to ours. */
                if (is_error && (!id || id->valuedouble == 0))
                        return finish_error(x, root);
                if (!id)
                        return bad(reterr_reason, "reply has no id");
                return 0;
        }

        item = cJSON_GetObjectItemCaseSensitive(root, "item");
        if (item) {
                if (!x->list)
                        return bad(reterr_reason, "list item in reply to a single request");
                if (!cJSON_IsObject(item))
                        return bad(reterr_reason, "list item is not an object");
                cJSON_AddItemToArray(x->data, cJSON_DetachItemViaPointer(root, item));
                return 0;
        }
        if (is_error)
                return finish_error(x, root);
        if (!cJSON_IsTrue(ok))
                return bad(reterr_reason, "reply has neither \"ok\" nor \"item\"");

        data = cJSON_GetObjectItemCaseSensitive(root, "data");
        if (x->list) {
                end = cJSON_GetObjectItemCaseSensitive(root, "end");
                if (!cJSON_IsTrue(end)) {
                        /* a whole list in one reply is fine too */
                        if (!cJSON_IsArray(data))
                                return bad(reterr_reason, "list reply without \"end\"");
                        cJSON_Delete(x->data);
                        x->data = cJSON_DetachItemViaPointer(root, data);
                }
        } else {
                cJSON_Delete(x->data);
                x->data = data ? cJSON_DetachItemViaPointer(root, data) : cJSON_CreateObject();
        }
        x->ok = true;
        x->done = true;
        return 1;
}

int ctl_exchange_feed(CtlExchange *x, const char *frame, size_t len, const char **reterr_reason)
{
        cJSON *root = cJSON_ParseWithLength(frame, len);
        int r;

        if (!root)
                return bad(reterr_reason, "reply is not valid JSON");
        r = feed(x, root, reterr_reason);
        cJSON_Delete(root);
        return r;
}
