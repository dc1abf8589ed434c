/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/log.h"
#include "common/msgid.h"
#include "common/xalloc.h"
#include "daemon/control.h"

#define MAX_CLIENTS      64
/* A client that lets this much output pile up is not reading: drop it. */
#define MAX_QUEUED_BYTES (64u * 1024 * 1024)

struct CtlClient {
        uv_pipe_t pipe;
        uv_timer_t timer;
        ControlServer *srv;
        CtlDecoder dec;
        CtlClient *next, **prevp;
        struct ucred cred;
        char *user;
        size_t queued;
        unsigned writes;
        bool closing;
        bool close_after_write;
        bool refused;           /* answered permission-denied; draining */
        uv_shutdown_t shutdown_req;
        int handles_open;
        unsigned refs;          /* deferred replies still to come */
};

struct ControlServer {
        uv_pipe_t listener;
        uv_loop_t *loop;
        char *path;
        gid_t gid;
        bool have_gid;
        char *group;
        uint64_t timeout_ms;
        ControlDispatch dispatch;
        void *userdata;
        CtlClient *clients;
        unsigned nclients;
        bool closing;
};

typedef struct WriteReq {
        uv_write_t req;
        CtlClient *client;
        uint8_t *data;
        size_t len;
} WriteReq;

static void client_close(CtlClient *c);

static void set_group(ControlServer *s, const char *group)
{
        struct group *g;

        free(s->group);
        s->group = group ? xstrdup(group) : NULL;
        s->have_gid = false;
        if (!group)
                return;
        g = getgrnam(group);
        if (!g) {
                log_warning("control: group '%s' does not exist; only root and the daemon's user may use the socket",
                            group);
                return;
        }
        s->gid = g->gr_gid;
        s->have_gid = true;
}

static void client_free(CtlClient *c)
{
        ctl_decoder_done(&c->dec);
        free(c->user);
        free(c);
}

static void on_client_handle_closed(uv_handle_t *h)
{
        CtlClient *c = h->data;
        if (--c->handles_open == 0 && c->refs == 0)
                client_free(c);
}

struct CtlDeferred {
        CtlClient *c;
        double id;
};

CtlDeferred *control_defer(CtlClient *c, double id)
{
        CtlDeferred *d = xnew(CtlDeferred, 1);
        d->c = c;
        d->id = id;
        c->refs++;
        return d;
}

double control_deferred_id(const CtlDeferred *d)
{
        return d->id;
}

void control_deferred_reply(CtlDeferred *d, cJSON *msg)
{
        CtlClient *c = d->c;

        /* the client may have gone while the work ran: then the reply is dropped */
        if (!c->closing)
                control_send(c, msg);
        else
                cJSON_Delete(msg);
        if (--c->refs == 0 && c->closing && c->handles_open == 0)
                client_free(c);
        free(d);
}

static void client_close(CtlClient *c)
{
        if (c->closing)
                return;
        c->closing = true;
        *c->prevp = c->next;
        if (c->next)
                c->next->prevp = c->prevp;
        c->srv->nclients--;
        uv_close((uv_handle_t *) &c->timer, on_client_handle_closed);
        uv_close((uv_handle_t *) &c->pipe, on_client_handle_closed);
}

static void on_timeout(uv_timer_t *t)
{
        CtlClient *c = t->data;
        log_warning("control: dropping client pid %d (%s): no progress for %llums", (int) c->cred.pid,
                    c->user ? c->user : "?", (unsigned long long) c->srv->timeout_ms);
        client_close(c);
}

/* The deadline runs only while something is half done: a partial frame
 * read or output not yet taken by the peer.  An idle client costs nothing. */
static void update_deadline(CtlClient *c)
{
        if (c->closing)
                return;
        if (c->refused || ctl_decoder_pending(&c->dec) > 0 || c->writes > 0)
                uv_timer_start(&c->timer, on_timeout, c->srv->timeout_ms, 0);
        else
                uv_timer_stop(&c->timer);
}

static void on_write(uv_write_t *req, int status)
{
        WriteReq *w = (WriteReq *) req;
        CtlClient *c = w->client;

        c->queued -= w->len;
        c->writes--;
        free(w->data);
        free(w);
        if (c->closing)
                return;
        if (status < 0) {
                log_debug("control: write to client failed: %s", uv_strerror(status));
                client_close(c);
                return;
        }
        if (c->refused && c->writes == 0) {
                /* Half-close and wait for the peer's EOF: closing at once
                 * could reset the connection before the peer has read the
                 * refusal, and it would see "broken pipe" instead. */
                if (uv_shutdown(&c->shutdown_req, (uv_stream_t *) &c->pipe, NULL) < 0)
                        client_close(c);
                return;
        }
        if (c->close_after_write && c->writes == 0) {
                client_close(c);
                return;
        }
        update_deadline(c);
}

void control_send(CtlClient *c, cJSON *msg)
{
        char *text;
        WriteReq *w;
        uv_buf_t buf;
        int r;

        if (c->closing) {
                cJSON_Delete(msg);
                return;
        }
        text = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
        if (!text)
                abort();
        w = xnew(WriteReq, 1);
        r = ctl_frame_encode(text, strlen(text), CTL_FRAME_MAX, &w->data, &w->len);
        cJSON_free(text);
        if (r < 0) {
                /* An item too large to frame is a bug on our side; say so
                 * instead of sending something the client cannot read. */
                free(w);
                msg = ctl_reply_error(0, CTL_E_INTERNAL, "reply larger than the frame limit");
                control_send(c, msg);
                return;
        }
        if (c->queued + w->len > MAX_QUEUED_BYTES) {
                log_warning("control: dropping client pid %d: it does not read its replies", (int) c->cred.pid);
                free(w->data);
                free(w);
                client_close(c);
                return;
        }
        w->client = c;
        buf = uv_buf_init((char *) w->data, (unsigned) w->len);
        r = uv_write(&w->req, (uv_stream_t *) &c->pipe, &buf, 1, on_write);
        if (r < 0) {
                free(w->data);
                free(w);
                client_close(c);
                return;
        }
        c->queued += w->len;
        c->writes++;
        update_deadline(c);
}

static void send_fatal(CtlClient *c, double id, const char *code, const char *msg)
{
        control_send(c, ctl_reply_error(id, code, "%s", msg));
        c->close_after_write = true;
        if (c->writes == 0)
                client_close(c);
}

static void handle_frame(CtlClient *c, const char *text, size_t len)
{
        const char *code, *msg;
        CtlRequest req;
        double id;

        if (ctl_request_parse(text, len, &req, &code, &msg, &id) < 0) {
                /* a malformed request is answered; the stream is still in sync */
                control_send(c, ctl_reply_error(id, code, "%s", msg));
                return;
        }
        c->srv->dispatch(c->srv->userdata, c, &req);
        ctl_request_done(&req);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        static char slab[65536];
        /* one read at a time on one thread: a static slab is enough */
        *buf = uv_buf_init(slab, sizeof(slab));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        CtlClient *c = stream->data;
        char *frame;
        size_t len;
        int r;

        if (c->closing)
                return;
        if (c->refused) {
                if (nread < 0)
                        client_close(c);
                return;
        }
        if (nread < 0) {
                if (nread != UV_EOF)
                        log_debug("control: read failed: %s", uv_strerror((int) nread));
                else if (ctl_decoder_pending(&c->dec) > 0)
                        log_debug("control: client closed with a truncated frame (%zu bytes)",
                                  ctl_decoder_pending(&c->dec));
                /* let queued replies go out before closing */
                uv_read_stop(stream);
                c->close_after_write = true;
                if (c->writes == 0)
                        client_close(c);
                return;
        }
        if (nread == 0)
                return;
        if (c->close_after_write)
                return;
        if (ctl_decoder_feed(&c->dec, buf->base, (size_t) nread) < 0) {
                send_fatal(c, 0, CTL_E_BADFRAME, "frame larger than the 1 MiB limit");
                return;
        }
        while (!c->closing && !c->close_after_write && (r = ctl_decoder_next(&c->dec, &frame, &len)) != 0) {
                if (r == -EMSGSIZE) {
                        send_fatal(c, 0, CTL_E_BADFRAME, "frame larger than the 1 MiB limit");
                        return;
                }
                if (r < 0) {
                        send_fatal(c, 0, CTL_E_BADFRAME, "empty frame");
                        return;
                }
                handle_frame(c, frame, len);
                free(frame);
        }
        update_deadline(c);
}

static bool peer_allowed(ControlServer *s, CtlClient *c, int fd)
{
        gid_t groups[256];
        socklen_t glen = sizeof(groups);

        if (c->cred.uid == 0 || c->cred.uid == geteuid())
                return true;
        if (!s->have_gid)
                return false;
        if (c->cred.gid == s->gid)
                return true;
        /* supplementary groups of the peer process (Linux >= 4.13) */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
                for (size_t i = 0; i < glen / sizeof(gid_t); i++)
                        if (groups[i] == s->gid)
                                return true;
        return false;
}

static void on_connection(uv_stream_t *server, int status)
{
        ControlServer *s = server->data;
        socklen_t len = sizeof(struct ucred);
        struct passwd *pw;
        CtlClient *c;
        uv_os_fd_t fd;

        if (status < 0) {
                log_warning("control: accept failed: %s", uv_strerror(status));
                return;
        }
        c = xnew(CtlClient, 1);
        c->srv = s;
        ctl_decoder_init(&c->dec, CTL_FRAME_MAX);
        uv_pipe_init(s->loop, &c->pipe, 0);
        uv_timer_init(s->loop, &c->timer);
        c->pipe.data = c->timer.data = c;
        c->handles_open = 2;
        c->next = s->clients;
        if (c->next)
                c->next->prevp = &c->next;
        c->prevp = &s->clients;
        s->clients = c;
        s->nclients++;

        if (uv_accept(server, (uv_stream_t *) &c->pipe) < 0 || uv_fileno((uv_handle_t *) &c->pipe, &fd) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
                client_close(c);
                return;
        }
        pw = getpwuid(c->cred.uid);
        c->user = pw ? xstrdup(pw->pw_name) : xasprintf("uid:%u", (unsigned) c->cred.uid);

        if (!peer_allowed(s, c, fd)) {
                LogFields f = { .user = c->user, .action = "connect", .result = "refused" };
                log_event(LOG_WARNING, MSGID_CONTROL_REFUSED, &f,
                          "control: refused user '%s' (uid %u, pid %d): not root and not in group '%s'", c->user,
                          (unsigned) c->cred.uid, (int) c->cred.pid, s->group ? s->group : "-");
                c->refused = true;
                control_send(c, ctl_reply_error(0, CTL_E_DENIED, "permission denied: only root and members of "
                                                "the secresp group may use secrespd's control socket"));
                uv_read_start((uv_stream_t *) &c->pipe, on_alloc, on_read);
                return;
        }
        if (s->nclients > MAX_CLIENTS) {
                send_fatal(c, 0, CTL_E_INTERNAL, "too many control clients; try again");
                return;
        }
        uv_read_start((uv_stream_t *) &c->pipe, on_alloc, on_read);
}

/* A live daemon answers connect(); a stale socket file does not. */
static bool socket_in_use(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        r = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
        close(fd);
        return r == 0;
}

static int mkdir_parents(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
        ControlServer *s = h->data;
        free(s->path);
        free(s->group);
        free(s);
}

int control_server_new(uv_loop_t *loop, const ControlOptions *o, ControlServer **ret, char **ret_why)
{
        struct sockaddr_un sa;
        struct stat st;
        ControlServer *s;
        mode_t old;
        int r;

        if (strlen(o->path) >= sizeof(sa.sun_path)) {
                *ret_why = xasprintf("control socket path '%s' is longer than %zu bytes", o->path,
                                     sizeof(sa.sun_path) - 1);
                return -ENAMETOOLONG;
        }
        r = mkdir_parents(o->path, 0750);
        if (r < 0) {
                *ret_why = xasprintf("cannot create the directory of '%s': %s", o->path, strerror(-r));
                return r;
        }
        if (lstat(o->path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        *ret_why = xasprintf("'%s' exists and is not a socket; refusing to replace it", o->path);
                        return -EEXIST;
                }
                if (socket_in_use(o->path)) {
                        *ret_why = xasprintf("another secrespd is already listening on '%s'", o->path);
                        return -EADDRINUSE;
                }
                (void) unlink(o->path);
        }

        s = xnew(ControlServer, 1);
        s->loop = loop;
        s->path = xstrdup(o->path);
        s->timeout_ms = o->client_timeout_ms;
        s->dispatch = o->dispatch;
        s->userdata = o->userdata;
        set_group(s, o->group);
        uv_pipe_init(loop, &s->listener, 0);
        s->listener.data = s;

        /* no moment where the socket exists with looser permissions */
        old = umask(0117);
        r = uv_pipe_bind(&s->listener, o->path);
        umask(old);
        if (r == 0 && s->have_gid && chown(o->path, (uid_t) -1, s->gid) < 0)
                r = -errno;
        if (r == 0 && chmod(o->path, 0660) < 0)
                r = -errno;
        if (r == 0)
                r = uv_listen((uv_stream_t *) &s->listener, 16, on_connection);
        if (r < 0) {
                *ret_why = xasprintf("cannot listen on '%s': %s", o->path, uv_strerror(r));
                s->closing = true;
                /* freed in the close callback: the caller runs the loop down */
                uv_close((uv_handle_t *) &s->listener, on_listener_closed);
                return r;
        }
        *ret = s;
        return 0;
}

void control_server_update(ControlServer *s, const char *group, uint64_t client_timeout_ms)
{
        set_group(s, group);
        if (s->have_gid)
                (void) chown(s->path, (uid_t) -1, s->gid);
        s->timeout_ms = client_timeout_ms;
}

unsigned control_server_clients(const ControlServer *s)
{
        return s->nclients;
}

void control_server_close(ControlServer *s)
{
        if (!s || s->closing)
                return;
        s->closing = true;
        while (s->clients)
                client_close(s->clients);
        (void) unlink(s->path);
        uv_close((uv_handle_t *) &s->listener, on_listener_closed);
}

const char *control_client_user(const CtlClient *c)
{
        return c->user;
}

uid_t control_client_uid(const CtlClient *c)
{
        return c->cred.uid;
}
