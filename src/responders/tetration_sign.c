/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "common/xalloc.h"
#include "responders/tetration_sign.h"

static void hex(const unsigned char *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = '\0';
}

int tet_sign(const char *secret, const char *method, const char *path_with_query, const char *content_type,
             const char *body, size_t body_len, time_t now, TetSigned *ret)
{
        unsigned char mac[EVP_MAX_MD_SIZE], digest[32];
        unsigned int mac_len = 0;
        _cleanup_free_ char *msg = NULL;
        TetSigned s = { 0 };
        struct tm tm;

        if (!secret || !method || !path_with_query || !content_type)
                return -EINVAL;
        gmtime_r(&now, &tm);
        strftime(s.timestamp, sizeof(s.timestamp), "%Y-%m-%dT%H:%M:%S+0000", &tm);
        if (body && body_len) {
                if (!EVP_Digest(body, body_len, digest, NULL, EVP_sha256(), NULL))
                        return -EIO;
                hex(digest, sizeof(digest), s.checksum);
        }
        msg = xasprintf("%s\n%s\n%s\n%s\n%s\n", method, path_with_query, s.checksum, content_type, s.timestamp);
        if (!HMAC(EVP_sha256(), secret, (int) strlen(secret), (const unsigned char *) msg, strlen(msg), mac,
                  &mac_len))
                return -EIO;
        s.authorization = xmalloc(4 * ((mac_len + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *) s.authorization, mac, (int) mac_len);
        OPENSSL_cleanse(mac, sizeof(mac));
        *ret = s;
        return 0;
}

void tet_signed_done(TetSigned *s)
{
        free(s->authorization);
        s->authorization = NULL;
}
