/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon/secrets.h"
#include "tests/unit/unit.h"

static char dir[64];

static void mkfile(const char *name, const char *content, mode_t mode, char *ret_path, size_t len)
{
        FILE *f;
        if (!dir[0]) {
                strcpy(dir, "/tmp/secresp-secret-XXXXXX");
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(ret_path, len, "%s/%s", dir, name);
        f = fopen(ret_path, "w");
        fputs(content, f);
        fclose(f);
        chmod(ret_path, mode);
}

static void test_ref_syntax(void)
{
        const char *why;
        CU_ASSERT_EQUAL(secret_ref_check("env:A_B", &why), 0);
        CU_ASSERT_EQUAL(secret_ref_check("cred:vectra-token", &why), 0);
        CU_ASSERT_EQUAL(secret_ref_check("file:/etc/secresp/x", &why), 0);
        CU_ASSERT_EQUAL(secret_ref_check("plaintext", &why), -EINVAL);
        CU_ASSERT_EQUAL(secret_ref_check("env:", &why), -EINVAL);
        CU_ASSERT_EQUAL(secret_ref_check("cred:../x", &why), -EINVAL);
        CU_ASSERT_EQUAL(secret_ref_check("cred:a/b", &why), -EINVAL);
        CU_ASSERT_EQUAL(secret_ref_check("file:relative", &why), -EINVAL);
}

static void test_env(void)
{
        Secret s;
        char *why = NULL;
        setenv("UNIT_SECRET", "s3cr3t", 1);
        CU_ASSERT_EQUAL_FATAL(secret_resolve("env:UNIT_SECRET", &s, &why), 0);
        CU_ASSERT_STRING_EQUAL(s.value, "s3cr3t");
        CU_ASSERT_STRING_EQUAL(s.ref, "env:UNIT_SECRET");
        secret_done(&s);
        CU_ASSERT_PTR_NULL(s.value);
        unsetenv("UNIT_SECRET");
        CU_ASSERT_EQUAL(secret_resolve("env:UNIT_SECRET", &s, &why), -ENOENT);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "UNIT_SECRET"));
        free(why);
}

static void test_file_mode(void)
{
        char path[128], ref[160];
        Secret s;
        char *why = NULL;

        mkfile("good", "token-value\n", 0600, path, sizeof(path));
        snprintf(ref, sizeof(ref), "file:%s", path);
        CU_ASSERT_EQUAL_FATAL(secret_resolve(ref, &s, &why), 0);
        CU_ASSERT_STRING_EQUAL(s.value, "token-value");
        secret_done(&s);

        mkfile("loose", "token-value\n", 0644, path, sizeof(path));
        snprintf(ref, sizeof(ref), "file:%s", path);
        CU_ASSERT_EQUAL(secret_resolve(ref, &s, &why), -EPERM);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "accessible by group or others"));
        CU_ASSERT_PTR_NULL(strstr(why, "token-value"));
        free(why);

        mkfile("group", "x", 0640, path, sizeof(path));
        snprintf(ref, sizeof(ref), "file:%s", path);
        CU_ASSERT_EQUAL(secret_resolve(ref, &s, &why), -EPERM);
        free(why);

        CU_ASSERT_EQUAL(secret_resolve("file:/nonexistent/x", &s, &why), -ENOENT);
        free(why);
        CU_ASSERT_EQUAL(secret_resolve("file:/tmp", &s, &why), -EINVAL);
        free(why);
}

static void test_cred(void)
{
        char path[128];
        Secret s;
        char *why = NULL;

        mkfile("vectra", "abc", 0644, path, sizeof(path));
        unsetenv("CREDENTIALS_DIRECTORY");
        CU_ASSERT_EQUAL(secret_resolve("cred:vectra", &s, &why), -ENOENT);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "CREDENTIALS_DIRECTORY"));
        free(why);
        setenv("CREDENTIALS_DIRECTORY", dir, 1);
        CU_ASSERT_EQUAL_FATAL(secret_resolve("cred:vectra", &s, &why), 0);
        CU_ASSERT_STRING_EQUAL(s.value, "abc");
        secret_done(&s);
        unsetenv("CREDENTIALS_DIRECTORY");
}

void secrets_suite_add(void)
{
        UNIT_SUITE("secrets", UNIT_TEST(test_ref_syntax), UNIT_TEST(test_env), UNIT_TEST(test_file_mode),
                   UNIT_TEST(test_cred));
}
