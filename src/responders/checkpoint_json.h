/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Pure helpers of the Check Point responder (responders.md §4.4): bodies of
 * the management web API commands and how its answers read.  No I/O, no
 * logging.  Every function returning char * returns malloc'ed JSON. */

char *cp_login_body(const char *user, const char *password, const char *domain);
/* add-host {"name": ip, "ip-address": ip, "groups": [group]} */
char *cp_add_host_body(const char *ip, const char *group);
/* set-group {"name": group, "members": {"add"|"remove": name}} */
char *cp_group_member_body(const char *group, const char *name, bool add);
/* {"name": name} for show-group, add-group, delete-host ... */
char *cp_name_body(const char *name);
/* install-policy {"policy-package", "targets": [...], "access": true} */
char *cp_install_body(const char *package, const char *const *targets);
/* show-task {"task-id": id} */
char *cp_task_body(const char *task_id);

typedef enum CpErr {
        CP_ERR_NONE,
        CP_ERR_EXISTS,          /* an object with that name already exists */
        CP_ERR_NOT_FOUND,       /* no such object, or not a member */
        CP_ERR_SESSION,         /* the session id is missing, wrong or expired */
        CP_ERR_OTHER,
} CpErr;

/* Reads an error answer {"code","message","errors":[{"message"}],
 * "warnings":[...]}: its kind and a one-line text "code: message[: first
 * error]" (malloc'ed, printable, at most about 300 bytes). */
CpErr cp_error(const cJSON *answer, char **ret_text);

typedef enum CpTask {
        CP_TASK_RUNNING,
        CP_TASK_SUCCEEDED,
        CP_TASK_FAILED,         /* failed, partially succeeded, aborted, timed out ... */
        CP_TASK_UNKNOWN,        /* the answer has no task */
} CpTask;

/* Reads a show-task answer {"tasks":[{"status": ...}]}; the status text in
 * *ret_status (points into answer) when there is one. */
CpTask cp_task_state(const cJSON *answer, const char **ret_status);
