/* SPDX-License-Identifier: MIT */
/* The responder modules built into secresp, by their `type` (module) name.
 * Adding a responder: define its ResponderOps in its own file, declare it
 * here and add a row. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "responders/responder.h"

extern const ResponderOps external_call_ops;
extern const ResponderOps sna_hostgroup_ops;
extern const ResponderOps secure_workload_ops;
extern const ResponderOps radius_group_ops;
extern const ResponderOps cisco_ise_ops;
extern const ResponderOps cisco_amp_ops;
extern const ResponderOps clearpass_ops;
extern const ResponderOps meraki_ops;
extern const ResponderOps pulse_nac_ops;
extern const ResponderOps xtreme_nbi_ops;
extern const ResponderOps cisco_pxgrid_ops;
extern const ResponderOps cisco_fmc_ops;
extern const ResponderOps cisco_asa_http_ops;
extern const ResponderOps checkpoint_ops;
extern const ResponderOps sophos_ops;
extern const ResponderOps fortinet_ops;
extern const ResponderOps pan_ops;
extern const ResponderOps fortimanager_ops;

static const ResponderOps *const modules[] = {
        &external_call_ops,
        &sna_hostgroup_ops,
        &secure_workload_ops,
        &radius_group_ops,
        &cisco_ise_ops,
        &cisco_amp_ops,
        &clearpass_ops,
        &meraki_ops,
        &pulse_nac_ops,
        &xtreme_nbi_ops,
        &cisco_pxgrid_ops,
        &cisco_fmc_ops,
        &cisco_asa_http_ops,
        &checkpoint_ops,
        &sophos_ops,
        &fortinet_ops,
        &pan_ops,
        &fortimanager_ops,
        NULL,
};

/* Read by conf.c for every responder; see secrespd.conf(5), RESPONDERS. */
static const char *const common_settings[] = {
        "name", "type", "simulation", "max_concurrent", "max_batch", "rate_limit", "rate_burst", NULL,
};

bool responder_common_setting(const char *name)
{
        for (const char *const *k = common_settings; name && *k; k++)
                if (!strcmp(*k, name))
                        return true;
        return false;
}

const ResponderOps *const *responder_modules(void)
{
        return modules;
}

const ResponderOps *responder_find_module(const char *module)
{
        if (!module)
                return NULL;
        for (const ResponderOps *const *m = modules; *m; m++)
                if (strcmp((*m)->module, module) == 0)
                        return *m;
        return NULL;
}

void responder_free(Responder *r)
{
        if (!r)
                return;
        if (r->ops->done)
                r->ops->done(r);
        free(r->priv);
        free(r->name);
        free(r->health.last_error);
        free(r);
}
