/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "common/log.h"
#include "daemon/secrets.h"

#define SECRESP_DEFAULT_CONFIG SYSCONFDIR "/secresp/secrespd.conf"

typedef struct Config {
        char *path;
        char *state_directory;
        char *runtime_directory;
        int log_target;                 /* LogTarget */
        int log_level;                  /* syslog priority */
        struct {
                char *socket;
                char *group;
                uint64_t client_timeout;        /* seconds */
        } control;
        struct {
                uint64_t default_expiry;        /* seconds */
                uint64_t sweep_interval;        /* seconds */
        } whitelist;
        struct {
                char *ca_file;
                uint64_t connect_timeout;       /* seconds */
                uint64_t timeout;               /* seconds */
                int64_t max_host_connections;
                int64_t max_total_connections;
                char *proxy;
                char *proxy_user;
                Secret proxy_password;
        } http;
} Config;

/* Error lines, each "file:line: setting: message". */
typedef struct ConfigErrors {
        char **lines;
        size_t n;
} ConfigErrors;

/* Loads and validates the whole file; every problem found is added to
 * errs (not just the first).  -EINVAL when errs is non-empty. */
int config_load(const char *path, Config **ret, ConfigErrors *errs);
Config *config_free(Config *c);
/* The effective configuration in libconfig syntax, secrets masked. */
void config_print(const Config *c, FILE *f);
void config_errors_done(ConfigErrors *e);

/* Derived paths: owned strings. */
char *config_database_path(const Config *c);
char *config_socket_path(const Config *c);
