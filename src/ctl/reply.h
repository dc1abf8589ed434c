/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* The client's side of one request: which frames answer it and what the
 * answer is.  Pure (frames in, result out) so that the odd replies a
 * daemon may send are unit-tested without a socket. */

typedef struct cJSON cJSON;

typedef struct CtlExchange {
        double id;
        bool list;              /* the answer is a stream of items and an end */
        bool done;
        bool ok;
        cJSON *data;            /* when ok: the reply's data, or the array of items */
        char *error_code;       /* when !ok */
        char *error_message;
} CtlExchange;

void ctl_exchange_init(CtlExchange *x, double id, bool list);
void ctl_exchange_done(CtlExchange *x);

/* Takes one frame's payload.  1 when it was the final reply (x->done is
 * set), 0 when more frames are due (an item, or a frame for another id),
 * -EBADMSG when the frame is no valid reply, with a static reason in
 * *reterr_reason. */
int ctl_exchange_feed(CtlExchange *x, const char *frame, size_t len, const char **reterr_reason);
