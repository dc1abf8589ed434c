/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "common/ctlproto.h"
#include "common/xalloc.h"
#include "ctl/client.h"

#define HINT_RUNNING "is secrespd running? use -s or $SECRESP_SOCKET"
#define HINT_ACCESS  "only root and group secresp may use it"

static int connect_socket(const char *path, int timeout_ms, int *ret_fd)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
        size_t len = strlen(path);
        int fd, flags;

        if (len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, len);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A blocking connect bounded by SO_SNDTIMEO: a non-blocking one to a
         * full backlog fails with EAGAIN at once and offers nothing to poll. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                goto fail;
        if (connect(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1)) < 0) {
                if (errno == EAGAIN || errno == EINPROGRESS)
                        errno = ETIMEDOUT;
                goto fail;
        }
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                goto fail;
        *ret_fd = fd;
        return 0;
fail:;
        int r = -errno;
        close(fd);
        return r;
}

/* 0 when fd is ready, -ETIMEDOUT after timeout_ms of silence. */
static int wait_fd(int fd, short events, int timeout_ms)
{
        struct pollfd p = { .fd = fd, .events = events };
        int r;

        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n, int timeout_ms)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                int r;

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = wait_fd(fd, POLLOUT, timeout_ms);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

/* Frames are read until x holds the final reply; the timeout applies to
 * each wait, so a long list streamed steadily is never cut off. */
static int receive(int fd, CtlExchange *x, int timeout_ms, const char **reterr_reason)
{
        CtlDecoder d;
        uint8_t buf[65536];
        int r;

        ctl_decoder_init(&d, CTL_FRAME_MAX);
        for (;;) {
                char *frame;
                size_t len;
                ssize_t n;

                r = ctl_decoder_next(&d, &frame, &len);
                if (r < 0) {
                        *reterr_reason = r == -EMSGSIZE ? "oversized frame" : "empty frame";
                        r = -EBADMSG;
                        break;
                }
                if (r > 0) {
                        r = ctl_exchange_feed(x, frame, len, reterr_reason);
                        free(frame);
                        if (r < 0)
                                break;
                        if (r > 0) {
                                r = 0;
                                break;
                        }
                        continue;
                }

                n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN) {
                                r = -errno;
                                break;
                        }
                        r = wait_fd(fd, POLLIN, timeout_ms);
                        if (r < 0)
                                break;
                        continue;
                }
                if (n == 0) {
                        *reterr_reason = ctl_decoder_pending(&d) ? "truncated frame" : NULL;
                        r = ctl_decoder_pending(&d) ? -EBADMSG : -ECONNRESET;
                        break;
                }
                r = ctl_decoder_feed(&d, buf, (size_t) n);
                if (r < 0) {
                        *reterr_reason = "oversized frame";
                        r = -EBADMSG;
                        break;
                }
        }
        ctl_decoder_done(&d);
        return r;
}

int ctl_client_call(const char *path, const cJSON *request, CtlExchange *x, int timeout_ms,
                    int reply_timeout_ms, char **reterr_message)
{
        _cleanup_free_ char *json = NULL;
        _cleanup_free_ uint8_t *frame = NULL;
        const char *reason = NULL;
        size_t frame_len;
        int fd = -1, r;

        r = connect_socket(path, timeout_ms, &fd);
        if (r < 0) {
                *reterr_message = xasprintf("cannot reach secrespd at %s: %s (%s)", path, strerror(-r),
                                            r == -EACCES || r == -EPERM ? HINT_ACCESS : HINT_RUNNING);
                return r;
        }

        json = cJSON_PrintUnformatted(request);
        if (!json)
                abort();        /* cJSON fails only on OOM */
        r = ctl_frame_encode(json, strlen(json), CTL_FRAME_MAX, &frame, &frame_len);
        if (r < 0) {
                *reterr_message = xasprintf("request too large for secrespd (%zu bytes, at most %d)",
                                            strlen(json), CTL_FRAME_MAX);
                goto out;
        }
        r = send_all(fd, frame, frame_len, timeout_ms);
        if (r == -ETIMEDOUT) {
                *reterr_message = xasprintf("secrespd at %s did not take the request within %d s", path,
                                            timeout_ms / 1000);
                goto out;
        }
        if (r < 0) {
                *reterr_message = xasprintf("cannot reach secrespd at %s: %s", path, strerror(-r));
                goto out;
        }

        r = receive(fd, x, reply_timeout_ms, &reason);
        if (r == -ETIMEDOUT)
                *reterr_message = xasprintf("secrespd at %s did not answer within %d s", path,
                                            reply_timeout_ms / 1000);
        else if (r == -EBADMSG)
                *reterr_message = xasprintf("bad reply from secrespd at %s: %s", path, reason);
        else if (r == -ECONNRESET)
                *reterr_message = xasprintf("secrespd at %s closed the connection before answering", path);
        else if (r < 0)
                *reterr_message = xasprintf("cannot reach secrespd at %s: %s", path, strerror(-r));
out:
        close(fd);
        return r;
}
