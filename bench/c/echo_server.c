/*
 * The near-physical reference for bench/run-echo.sh: a single-threaded, level-triggered epoll echo server.
 * Non-blocking sockets, one shared 64 KiB receive buffer; what a send cannot take now is kept per connection
 * (and reading that connection pauses) until EPOLLOUT says the socket drained, so a slow reader cannot grow it.
 *
 *   gcc -O2 -o echo_server echo_server.c && ./echo_server PORT [ADDRESS]    (PORT 0: prints the chosen port)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536
#define MAXEV 1024

struct pending { char *data; size_t len, off; };

static struct pending *pend;   /* indexed by fd; empty unless a send fell short */
static size_t pend_cap;

static void set_events(int ep, int fd, unsigned ev) {
    struct epoll_event e = { .events = ev, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void drop(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    if ((size_t)fd < pend_cap) { free(pend[fd].data); pend[fd] = (struct pending){0}; }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 4444;
    const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    pend_cap = rl.rlim_cur + 16;
    pend = calloc(pend_cap, sizeof *pend);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 4096)) { perror("echo_server: bind/listen"); return 1; }
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    fprintf(stderr, "echo_server: listening on tcp://%s:%d\n", addr, ntohs(sa.sin_port));

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &e);
    static char buf[BUF];
    struct epoll_event evs[MAXEV];
    for (;;) {
        int n = epoll_wait(ep, evs, MAXEV, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;   /* EAGAIN, or out of descriptors: the backlog keeps them */
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            struct pending *p = (size_t)fd < pend_cap ? &pend[fd] : NULL;
            if ((evs[i].events & EPOLLOUT) && p && p->len) {
                ssize_t s = send(fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);
                if (s < 0 && errno != EAGAIN) { drop(ep, fd); continue; }
                if (s > 0) p->off += s;
                if (p->off == p->len) { free(p->data); *p = (struct pending){0}; set_events(ep, fd, EPOLLIN); }
                continue;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            ssize_t r = recv(fd, buf, BUF, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop(ep, fd); continue; }
            if (r < 0) continue;
            ssize_t s = send(fd, buf, r, MSG_NOSIGNAL);
            if (s < 0 && errno != EAGAIN) { drop(ep, fd); continue; }
            if (s < 0) s = 0;
            if (s < r && p) {
                p->data = malloc(r - s);
                memcpy(p->data, buf + s, r - s);
                p->len = r - s; p->off = 0;
                set_events(ep, fd, EPOLLOUT);   /* stop reading until the peer takes what it was sent */
            }
        }
    }
}
