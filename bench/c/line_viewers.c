/*
 * A small C epoll client for `serve exec` latency: V viewers connect to PORT and read lines, each line being
 * "SEQ NS\n" where NS is the CLOCK_MONOTONIC time the program wrote it (bench/exec/emit.py); the time of the read minus
 * NS is that delivery's latency. One thread, level-triggered, so that reading 1,000 sockets costs the client little and
 * the server is what is measured (a Python asyncio client was itself behind at 10,000 deliveries/s). Stops when every
 * viewer has its LINES lines, has hit end of stream, or TIMEOUT seconds have passed. Prints one JSON line.
 *
 *   gcc -O2 -o line_viewers line_viewers.c && ./line_viewers PORT VIEWERS LINES [TIMEOUT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct viewer { int fd, held, lines, done; char part[64]; };

static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static int cmp(const void *a, const void *b) { long long x = *(const long long *)a, y = *(const long long *)b; return x < y ? -1 : x > y; }
static long long pct(long long *v, long n, double p) { if (!n) return 0; long i = (long)(p / 100 * (n - 1) + 0.5); return v[i < n ? i : n - 1]; }

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: line_viewers PORT VIEWERS LINES [TIMEOUT]\n"); return 2; }
    int port = atoi(argv[1]), viewers = atoi(argv[2]), lines = atoi(argv[3]);
    double timeout = argc > 4 ? atof(argv[4]) : 60;
    struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl); rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl);
    struct viewer *vs = calloc(viewers, sizeof *vs);
    long cap = (long)viewers * lines, n = 0, missed = 0, other = 0;
    long long *lat = malloc(cap * sizeof *lat), first = 0, last = 0;
    char buf[65536];
    int ep = epoll_create1(0), open = viewers;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    for (int i = 0; i < viewers; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) { perror("line_viewers: connect"); return 1; }
        struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        vs[i].fd = fd;
    }
    long long deadline = now_ns() + (long long)(timeout * 1e9);
    struct epoll_event evs[1024];
    while (open > 0 && now_ns() < deadline) {
        int k = epoll_wait(ep, evs, 1024, 100);
        for (int j = 0; j < k; j++) {
            struct viewer *v = &vs[evs[j].data.u32];
            ssize_t r = recv(v->fd, buf, sizeof buf, MSG_DONTWAIT);
            long long t = now_ns();
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL); close(v->fd); v->done = 1; open--; continue; }
            for (ssize_t at = 0; at < r; at++) {
                char c = buf[at];
                if (c != '\n') { if (v->held < (int)sizeof v->part - 1) v->part[v->held++] = c; continue; }
                v->part[v->held] = 0;
                long long seq, ns;
                if (v->part[0] >= '0' && v->part[0] <= '9' && sscanf(v->part, "%lld %lld", &seq, &ns) == 2) {
                    if (n < cap) lat[n++] = t - ns;
                    if (!first) first = t;
                    last = t;
                    v->lines++;
                } else if (strstr(v->part, "missed")) missed++; else other++;
                v->held = 0;
            }
            if (v->lines >= lines && !v->done) { epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL); close(v->fd); v->done = 1; open--; }
        }
    }
    qsort(lat, n, sizeof *lat, cmp);
    double span = last > first ? (last - first) / 1e9 : 0;
    printf("{\"viewers\": %d, \"deliveries\": %ld, \"expected\": %ld, \"deliveries_per_s\": %.0f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
           "\"max_us\": %.1f, \"missed_notes\": %ld, \"other_lines\": %ld}\n",
           viewers, n, cap, span > 0 ? n / span : 0, pct(lat, n, 50) / 1e3, pct(lat, n, 99) / 1e3, n ? lat[n - 1] / 1e3 : 0, missed, other);
    return 0;
}
