/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include "common/xalloc.h"
#include "daemon/dl.h"

int dl_load_table(const char *soname, const char *package, const DlSym *syms, size_t n, void *table,
                  char **ret_why)
{
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                const char *e = dlerror();
                *ret_why = xasprintf("cannot load %s (Debian package %s): %s", soname, package, e ? e : "?");
                return -ELIBACC;
        }
        for (size_t i = 0; i < n; i++) {
                void *f = dlsym(h, syms[i].name);
                if (!f) {
                        *ret_why = xasprintf("%s has no %s: a newer %s is needed", soname, syms[i].name, package);
                        /* the handle stays open: symbols already resolved are not used */
                        return -ELIBACC;
                }
                memcpy((char *) table + syms[i].offset, &f, sizeof(f));
        }
        return 0;
}
