/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <time.h>

/* Cisco Secure Workload (Tetration) request signing, the tetpyclient
 * scheme (responders.md §7.4).  Pure: the time is passed in.
 *
 * Authorization = base64(HMAC-SHA256(secret, METHOD "\n" PATH_WITH_QUERY "\n"
 * CKSUM "\n" CONTENT_TYPE "\n" TIMESTAMP "\n")), where CKSUM is the hex
 * SHA-256 of the body ("" without a body) and TIMESTAMP is
 * "YYYY-MM-DDTHH:MM:SS+0000" (UTC). */
typedef struct TetSigned {
        char timestamp[32];
        char checksum[65];              /* "" without a body */
        char *authorization;            /* base64, owned */
} TetSigned;

int tet_sign(const char *secret, const char *method, const char *path_with_query, const char *content_type,
             const char *body, size_t body_len, time_t now, TetSigned *ret);
void tet_signed_done(TetSigned *s);
