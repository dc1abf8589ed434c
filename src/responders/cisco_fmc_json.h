/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Pure helpers of the FMC responder (responders.md §4.3): what the REST
 * API answers and what we send.  No I/O, no logging. */

/* The path and query of a list answer's paging.next[0] (from "/api/" on),
 * so the next page goes to the configured base URL and nowhere else;
 * malloc'ed, or NULL when there is no next page or it is malformed. */
char *fmc_next_path(const cJSON *page);

/* The id of the first items[] entry whose name is `name`; NULL when none
 * (points into page). */
const char *fmc_find_id(const cJSON *page, const char *name);

/* POST object/hosts body for one IP (malloc'ed JSON). */
char *fmc_host_body(const char *ip, const char *description);
/* POST object/hosts?bulk=true body: an array of such objects. */
char *fmc_hosts_bulk_body(const char *const *ips, size_t n, const char *description);

/* Is the object with this id a member of the group (objects[])? */
bool fmc_group_has(const cJSON *group, const char *id);
/* Adds {"type":"Host","id":id,"name":name} to objects[] unless present;
 * true when the group changed. */
bool fmc_group_add(cJSON *group, const char *id, const char *name);
/* Removes every objects[] entry with this id; true when the group changed. */
bool fmc_group_remove(cJSON *group, const char *id);
/* The PUT body: the whole group as read, without the read-only "links"
 * and "metadata" (malloc'ed JSON). */
char *fmc_group_put_body(const cJSON *group);

/* From a deployment/deployabledevices?expanded=true answer, the
 * DeploymentRequest body for the devices that can be deployed (all, or
 * only those named in `only`, NULL-terminated); NULL with *ret_n = 0 when
 * there is nothing to deploy.  The version is the highest one listed. */
char *fmc_deploy_body(const cJSON *deployable, const char *const *only, size_t *ret_n);
