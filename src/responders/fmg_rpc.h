/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* FortiManager JSON-RPC shapes (responders.md §4.7), pure: no I/O, no
 * logging.  Shared by the fortimanager responder and its unit tests. */

#define FMG_OK            0
#define FMG_NOT_FOUND    -3     /* "Object does not exist" */
#define FMG_NO_PERMISSION -11   /* also what an expired session gets */
#define FMG_BAD_ANSWER   -100000

/* {"id":id,"method":m,"params":params,"session":s}; params is taken over,
 * session may be NULL (login). */
char *fmg_request(int id, const char *method, cJSON *params, const char *session);

/* result[i].status.code of an answer, FMG_BAD_ANSWER when there is none;
 * *msg (optional) points into doc. */
int fmg_code(const cJSON *doc, int i, const char **msg);

/* The session of a login answer, or NULL. */
const char *fmg_session(const cJSON *doc);

/* "<prefix>_10_0_0_1": the address object for an IPv4 address or network
 * ("2.2.2.0/24" -> "<prefix>_2_2_2_0_24"); NULL when value is neither. */
char *fmg_addr_name(const char *prefix, const char *value);

/* {"name":..,"type":"ipmask","subnet":"a.b.c.d m.m.m.m","comment":..};
 * NULL for what is not IPv4. */
cJSON *fmg_addr_data(const char *name, const char *value);

/* result[i].data.member (a list of names, or one name) as a vector. */
int fmg_group_members(const cJSON *doc, int i, char ***ret);

/* [{"name":"fgt1","vdom":"root"}, ...] from "fgt1/root", "fgt2" (vdom root). */
cJSON *fmg_scope(char *const *scope);

/* result[0].data of a /task/task/<id> answer: percent done and errors. */
int fmg_task(const cJSON *doc, int *percent, int *num_err);

/* result[0].data.task of an install answer, or -1. */
long fmg_install_task(const cJSON *doc);
