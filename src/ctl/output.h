/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "ctl/parser.h"
#include "ctl/reply.h"

/* How secrespctl shows answers: tables and sentences for people, JSON for
 * scripts, behind one vtable as bgpctl does with struct output. */

typedef struct OutputCtx {
        FILE *out;              /* results */
        FILE *err;              /* diagnostics */
        time_t now;             /* for "in 29d23h"; passed in so tests are stable */
} OutputCtx;

typedef struct Output {
        void (*status)(const OutputCtx *o, const cJSON *data);
        void (*whitelist_add)(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
        void (*whitelist_remove)(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
        void (*whitelist_list)(const OutputCtx *o, const cJSON *items);
        void (*reload)(const OutputCtx *o, const cJSON *data);
        void (*blocks_list)(const OutputCtx *o, const CtlCommand *c, const cJSON *items);
        void (*history)(const OutputCtx *o, const CtlCommand *c, const cJSON *items);
        /* block and unblock */
        void (*manual)(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
        /* run and plan */
        void (*run)(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
        void (*responder_test)(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
        void (*sna_setup)(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
        /* the daemon refused or failed the request */
        void (*error)(const OutputCtx *o, const char *code, const char *message);
        /* the daemon could not be reached; message is complete */
        void (*unreachable)(const OutputCtx *o, const char *message);
        void (*scores)(const OutputCtx *o, const CtlCommand *c, const cJSON *items);
        void (*umbrella_categories)(const OutputCtx *o, const cJSON *data);
} Output;

extern const Output output_table;
/* output_sna.c */
void output_table_sna_setup(const OutputCtx *o, const CtlCommand *c, const cJSON *data);
extern const Output output_json;

/* output_umbrella.c */
void output_table_scores(const OutputCtx *o, const CtlCommand *c, const cJSON *items);
void output_table_umbrella_categories(const OutputCtx *o, const cJSON *data);

/* Shows the daemon's answer to c and returns the exit status: 0, or 1 when
 * the daemon refused it, there was nothing to remove, a block or unblock
 * failed on a responder (or no responder could block), or a cycle did not
 * end "ok" or "outside-window". */
int output_reply(const Output *out, const OutputCtx *o, const CtlCommand *c, const CtlExchange *x);

#define OUTPUT_TIME_MAX 32
#define OUTPUT_SPAN_MAX 48  /* two 20-digit numbers and units */

/* "2026-12-22 14:00:00 UTC" */
char *output_format_time(time_t t, char buf[static OUTPUT_TIME_MAX]);
/* The two largest units, "29d23h", "5m3s", "0s"; rounded to the nearest
 * smaller unit, or truncated (never overstating time left). */
char *output_format_span(uint64_t sec, bool round, char buf[static OUTPUT_SPAN_MAX]);
/* A duration in milliseconds: "850ms", "1.2s", "2m5s". */
char *output_format_ms(double ms, char buf[static OUTPUT_SPAN_MAX]);
/* A copy of s safe for a terminal: control characters become '?'. */
char *output_sanitize(const char *s);
