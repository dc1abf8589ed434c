/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* MAC addresses as the NAC and switching products want them.  Pure. */

#define MAC_STR_MAX 18                  /* "AA:BB:CC:DD:EE:FF" and NUL */

typedef enum MacStyle {
        MAC_UPPER_COLON,                /* AA:BB:CC:DD:EE:FF (ISE, pxGrid, elements) */
        MAC_LOWER_COLON,                /* aa:bb:cc:dd:ee:ff (Meraki, ClearPass) */
        MAC_LOWER_PLAIN,                /* aabbccddeeff */
} MacStyle;

/* Accepts aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff and
 * aabbccddeeff in any case, with surrounding blanks; writes `out` in
 * `style`.  0, or -EINVAL (out untouched). */
int mac_normalize(const char *in, MacStyle style, char out[MAC_STR_MAX]);

/* Appends the normalised form of `in` to the NULL-terminated set *set
 * unless already there.  Returns true when added; false for a duplicate
 * or an unparsable value. */
bool mac_set_add(char ***set, const char *in, MacStyle style);
