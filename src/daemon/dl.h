/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* Optional libraries are loaded when first needed (systemd does the same
 * for its optional dependencies): a daemon that serves no relay and calls
 * no vendor maps neither libcurl nor libmicrohttpd, nor the TLS stacks and
 * their constructors that Debian's builds of them drag in. */

typedef struct DlSym {
        const char *name;
        size_t offset;          /* of the function pointer in the table */
} DlSym;

/* dlopen()s `soname` and fills `table` from `syms`.  0, or -ELIBACC with a
 * malloc'ed reason naming the library, the missing symbol and the Debian
 * package in *ret_why. */
int dl_load_table(const char *soname, const char *package, const DlSym *syms, size_t n, void *table,
                  char **ret_why);
