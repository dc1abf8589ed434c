/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* JSON Web Tokens for the Threat Response relays (relays.md §4), on
 * OpenSSL 3 only.  Pure: no I/O, no logging, no clock of its own ("now" is
 * passed in), so the unit tests pin every decision.  jwks.h fetches and
 * caches the keys.
 *
 * The flow of an RS256 relay request:
 *
 *     jwt_prepare(header, RS256)        = jwt_authorization_token(header): "Bearer <token>"
 *                                         jwt_parse(token): compact JWS, unverified
 *                                         jwt_check_alg(t, RS256): no "none", no HS256, before any fetch
 *                                         jwt_token_jwks_host(t) present
 *     jwks_get_key(jwks_host, kid)      (jwks.h) allow-list, kid, cache or fetch -> EVP_PKEY
 *     jwt_verify(t, {RS256, key, audiences, now, leeway})
 *     jwt_token_claims(t)               credentials, CTR_ENTITIES_LIMIT
 *
 * HS256 (the legacy scheme, off by default) is jwt_decode() with a secret.
 * Every failure sets a JwtError (a distinct reason each) besides returning
 * a negative errno; jwt_error_tr_message() gives the relay's TR message.
 * No error text ever holds a token, a claim value or a secret. */

typedef struct cJSON cJSON;
typedef struct evp_pkey_st EVP_PKEY;

typedef enum JwtError {
        JWT_OK = 0,
        JWT_ERR_HEADER_MISSING,         /* no Authorization header */
        JWT_ERR_WRONG_TYPE,             /* not exactly "Bearer <token>" (any case) */
        JWT_ERR_MALFORMED,              /* not a compact JWS of JSON objects, bad base64url, too long,
                                         * duplicate member names, no "alg", "crit" present */
        JWT_ERR_ALG_NOT_ALLOWED,        /* "alg" is not the one the relay pins ("none", HS/RS confusion) */
        JWT_ERR_BAD_SIGNATURE,          /* signature does not verify with the key or secret */
        JWT_ERR_CLAIM_INVALID,          /* "exp", "nbf" or "iat" present but not a number */
        JWT_ERR_NOT_YET_VALID,          /* "nbf" after now + leeway */
        JWT_ERR_EXPIRED,                /* "exp" at or before now - leeway */
        JWT_ERR_AUD_MISSING,            /* no "aud" while an audience is expected */
        JWT_ERR_AUD_MISMATCH,           /* "aud" (string or array) names none of the expected audiences */
        JWT_ERR_JWKS_HOST_MISSING,      /* no "jwks_host" claim, or not a string, or "" */
        JWT_ERR_JWKS_HOST_NOT_ALLOWED,  /* "jwks_host" not a host name, or not on the allow-list */
        JWT_ERR_JWKS_FETCH_FAILED,      /* the JWKS could not be retrieved (network, TLS, HTTP status) */
        JWT_ERR_JWKS_MALFORMED,         /* the JWKS is not a JSON object with a "keys" array */
        JWT_ERR_KID_MISSING,            /* the token header has no "kid" string */
        JWT_ERR_KID_UNKNOWN,            /* no usable RSA key with that "kid" in the JWKS */
        JWT_ERR_KEY_INVALID,            /* a JWK that is not a usable RSA verification key */
        JWT_ERR_SECRET_MISSING,         /* HS256 configured without a secret */
        JWT_ERR_PAYLOAD_STRUCTURE,      /* for the relays: a required credential claim is missing */
        _JWT_ERROR_MAX,
        _JWT_ERROR_INVALID = -EINVAL,
} JwtError;

typedef enum JwtAlg {
        JWT_ALG_RS256,
        JWT_ALG_HS256,
        _JWT_ALG_MAX,
        _JWT_ALG_INVALID = -EINVAL,
} JwtAlg;

#define JWT_TOKEN_MAX 16384             /* bytes of a compact token, longer ones are malformed */
#define JWT_DEFAULT_LEEWAY_SEC 60
#define JWT_TR_CODE "authorization error"

/* Short stable names ("kid-unknown", ...) for logs and metrics; NULL when
 * out of range.  JWT_OK is "ok". */
const char *jwt_error_to_string(JwtError e);
/* The negative errno each error comes with (e.g. -EKEYEXPIRED for
 * JWT_ERR_EXPIRED, -ENOKEY for an unknown kid); 0 for JWT_OK. */
int jwt_error_to_errno(JwtError e);
/* The TR error of relays.md §4 and §9 for a relay whose scheme is `mode`:
 * code JWT_TR_CODE, type fatal, HTTP 200.  The message includes the
 * "Authorization failed: " prefix; static storage; NULL for JWT_OK and out
 * of range.  In HS256 mode a bad signature or algorithm gives the legacy
 * "Failed to decode JWT with provided key" (§4.4). */
const char *jwt_error_tr_message(JwtError e, JwtAlg mode);

const char *jwt_alg_to_string(JwtAlg a);
JwtAlg jwt_alg_from_string(const char *s);

/* The Authorization header value (NULL when the header is absent), split
 * on blanks as upstream does: exactly two parts, the first "bearer" in any
 * case.  On success *ret_token points into `header` and *ret_len is its
 * length.  Errors: JWT_ERR_HEADER_MISSING, JWT_ERR_WRONG_TYPE (also for one
 * part or three or more, where upstream answered 500; relays.md §9 row 1). */
int jwt_authorization_token(const char *header, const char **ret_token, size_t *ret_len, JwtError *reterr);

/* ---- tokens ------------------------------------------------------------- */

typedef struct JwtToken JwtToken;

/* Parses a compact JWS without verifying it: three base64url segments
 * (strict: no padding, no other characters, canonical trailing bits),
 * header and payload JSON objects (nothing after them, at most 256
 * members and no duplicate member names at the top level), header "alg" a
 * non-empty string, no "crit".  The
 * signature segment may be empty (for "alg":"none", refused later).
 * `token` need not be NUL-terminated.  Errors: JWT_ERR_MALFORMED. */
int jwt_parse(const char *token, size_t len, JwtToken **ret, JwtError *reterr);
/* Wipes the claims (they carry credentials) and frees; NULL-safe, returns NULL. */
JwtToken *jwt_token_free(JwtToken *t);

/* Borrowed, valid until jwt_token_free(). */
const cJSON *jwt_token_header(const JwtToken *t);
const cJSON *jwt_token_claims(const JwtToken *t);
const char *jwt_token_alg(const JwtToken *t);
/* The header's "kid", NULL when absent, not a string or empty. */
const char *jwt_token_kid(const JwtToken *t);
/* The "jwks_host" claim, NULL when absent, not a string or empty
 * (relays.md §9 row 9). */
const char *jwt_token_jwks_host(const JwtToken *t);
/* Hands the claims over (the caller frees them with jwt_claims_free():
 * they hold credentials); the token then has none. */
cJSON *jwt_token_take_claims(JwtToken *t);
/* Overwrites every string, member name and number of the tree, then
 * cJSON_Delete()s it; NULL-safe, returns NULL. */
cJSON *jwt_claims_free(cJSON *claims);

/* JWT_ERR_ALG_NOT_ALLOWED unless the header's "alg" is exactly `alg`'s
 * name.  Run it before fetching keys: "none" and HS256 tokens never cause
 * a JWKS request on an RS256 relay. */
int jwt_check_alg(const JwtToken *t, JwtAlg alg, JwtError *reterr);

/* The checks a relay runs on a request before any key is fetched, in this
 * order: the Authorization header (jwt_authorization_token()), the token
 * (jwt_parse()), its alg (jwt_check_alg() with `mode`), and in RS256 mode
 * the "jwks_host" claim (JWT_ERR_JWKS_HOST_MISSING when absent, not a
 * string or empty).  The kid and the allow-list are jwks_get_key()'s.  On
 * success *ret is the parsed token (jwt_token_free()). */
int jwt_prepare(const char *authorization, JwtAlg mode, JwtToken **ret, JwtError *reterr);
typedef struct JwtSigCache JwtSigCache;
/* The same, taking the parse from `cache` (NULL: none) when this exact
 * token was verified before (see JwtSigCache). */
int jwt_prepare_cached(JwtSigCache *cache, const char *authorization, JwtAlg mode, JwtToken **ret,
                       JwtError *reterr);

/* Tokens already verified, so that a token XDR sends again and again
 * costs a comparison instead of an RSA verification, base64 and JSON.  An
 * entry is the whole token text, what parsing it gave (copies are handed
 * out), and the key that verified its signature (a reference is held, so a
 * pointer match is the same key object), kept at most ttl seconds; a key
 * the JWKS cache replaced never matches.  Only the parse and the signature
 * are remembered: alg, exp, nbf and aud are checked on every request.
 * Lookups compare the whole text in constant time.  Fixed size,
 * direct-mapped: a colliding token replaces the older entry.  The entries
 * hold claims (credentials): they are wiped when replaced or freed. */
JwtSigCache *jwt_sig_cache_new(size_t slots, unsigned ttl_sec);
JwtSigCache *jwt_sig_cache_free(JwtSigCache *c);
void jwt_sig_cache_stats(const JwtSigCache *c, uint64_t *ret_hits, uint64_t *ret_misses);

typedef struct JwtVerifyOptions {
        JwtAlg alg;                     /* pinned: the only algorithm accepted */
        EVP_PKEY *key;                  /* RS256: an RSA public key (borrowed) */
        const void *secret;             /* HS256: the shared secret (borrowed) */
        size_t secret_len;
        const char *const *audiences;   /* NULL-terminated; "aud" must name one of them.
                                         * NULL: "aud" is not checked (legacy HS256) */
        time_t now;
        unsigned leeway_sec;            /* on exp and nbf; the relays default to JWT_DEFAULT_LEEWAY_SEC */
        bool require_exp;               /* a token without "exp" is JWT_ERR_CLAIM_INVALID */
        JwtSigCache *sig_cache;         /* RS256: NULL verifies every time */
} JwtVerifyOptions;

/* Checks, in this order: alg (JWT_ERR_ALG_NOT_ALLOWED), the key or secret
 * (RS256 without an RSA key: -EINVAL and JWT_ERR_KEY_INVALID; HS256 with an
 * empty secret: JWT_ERR_SECRET_MISSING), the signature (RS256: RSASSA-PKCS1
 * v1.5 SHA-256 with EVP_DigestVerify; HS256: HMAC-SHA-256 compared with
 * CRYPTO_memcmp), then the claims as PyJWT does: iat (a number), nbf, exp,
 * aud.  Errors as listed in JwtError. */
int jwt_verify(JwtToken *t, const JwtVerifyOptions *o, JwtError *reterr);

/* jwt_parse() (from o->sig_cache when it has the token) + jwt_verify(); on success the claims go to *ret_claims
 * (caller frees with jwt_claims_free(); NULL allowed to drop them). */
int jwt_decode(const char *token, size_t len, const JwtVerifyOptions *o, cJSON **ret_claims, JwtError *reterr);

/* ---- JSON Web Keys ------------------------------------------------------ */

#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 8192
#define JWK_KID_MAX 256
#define JWKS_DOC_MAX (256 * 1024)       /* bytes of a JWKS document */
#define JWKS_KEYS_MAX 64                /* keys kept from one document */

/* An RSA JWK (RFC 7517/7518 §6.3.1) as an EVP_PKEY (OSSL_PARAM_BLD +
 * EVP_PKEY_fromdata): "kty":"RSA", "n" and "e" strict base64url, modulus
 * JWK_RSA_MIN_BITS to JWK_RSA_MAX_BITS (leading zero octets ignored),
 * exponent odd, 3 up to 2^64-1; "alg" if present "RS256", "use" if
 * present "sig".  On success *ret_key is owned by the caller
 * (EVP_PKEY_free) and *ret_kid (if not NULL) is a copy of "kid", NULL when
 * none.  Errors, all JWT_ERR_KEY_INVALID: -EPROTONOSUPPORT for a key of
 * another type or for another use or algorithm, -ERANGE for a modulus size
 * or exponent out of bounds, -EINVAL otherwise. */
int jwk_to_pkey(const cJSON *jwk, EVP_PKEY **ret_key, char **ret_kid, JwtError *reterr);

typedef struct JwkSet JwkSet;

/* A JWKS document: a JSON object (at most JWKS_DOC_MAX bytes) with a
 * "keys" array.  Entries that are not usable RSA keys, have no "kid" (or
 * one longer than JWK_KID_MAX) or repeat an earlier "kid" are skipped
 * (relays.md §9 row 8), as are those past JWKS_KEYS_MAX usable keys.  An
 * empty set is valid.  Errors: JWT_ERR_JWKS_MALFORMED. */
int jwk_set_parse(const char *json, size_t len, JwkSet **ret, JwtError *reterr);
JwkSet *jwk_set_free(JwkSet *s);
size_t jwk_set_size(const JwkSet *s);
size_t jwk_set_skipped(const JwkSet *s);
/* Borrowed; i < jwk_set_size(). */
const char *jwk_set_kid(const JwkSet *s, size_t i);
EVP_PKEY *jwk_set_key(const JwkSet *s, size_t i);
/* Borrowed key for `kid`, NULL when none. */
EVP_PKEY *jwk_set_find(const JwkSet *s, const char *kid);

/* ---- base64url (RFC 4648 §5, no padding) -------------------------------- */

/* Strict: only [A-Za-z0-9_-], no '=', length % 4 != 1, unused trailing
 * bits zero, so each byte string has exactly one encoding.  *ret is
 * malloc'ed and NUL-terminated (not counted in *ret_len).  -EINVAL. */
int jwt_base64url_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len);
/* Owned, NUL-terminated. */
char *jwt_base64url_encode(const void *data, size_t len);
