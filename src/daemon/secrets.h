/* SPDX-License-Identifier: MIT */
#pragma once

/* A secret setting holds a reference, never the value:
 *   env:NAME   the environment variable NAME
 *   cred:NAME  $CREDENTIALS_DIRECTORY/NAME (systemd LoadCredential=)
 *   file:PATH  an absolute path, refused when group- or world-accessible
 * The value is kept apart from the reference and wiped when freed. */
typedef struct Secret {
        char *ref;
        char *value;
} Secret;

/* Checks the reference syntax only: 0 or -EINVAL and a reason. */
int secret_ref_check(const char *ref, const char **ret_why);
/* Resolves the reference.  On failure returns a negative errno and a
 * malloc'ed reason in *ret_why that names the reference, never a value. */
int secret_resolve(const char *ref, Secret *ret, char **ret_why);
void secret_done(Secret *s);
