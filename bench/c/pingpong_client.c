/*
 * A small C epoll ping-pong client: the yardstick that shows `sockcat bench pingpong` is not the bottleneck.
 * C connections each send a SIZE-byte message and wait for its echo (window 1), level-triggered, non-blocking,
 * one recv and one send per message, echoes compared with what was sent. Prints one JSON line.
 *
 *   gcc -O2 -o pingpong_client pingpong_client.c && ./pingpong_client PORT CONNS SECONDS [SIZE] [WARMUP]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn { int fd; int got; };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: pingpong_client PORT CONNS SECONDS [SIZE] [WARMUP]\n"); return 2; }
    int port = atoi(argv[1]), conns = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int size = argc > 4 ? atoi(argv[4]) : 32;
    double warmup = argc > 5 ? atof(argv[5]) : 1;
    char *msg = malloc(size), *buf = malloc(65536);
    for (int i = 0; i < size; i++) msg[i] = (char)('a' + i % 26);
    struct conn *cs = calloc(conns, sizeof *cs);
    int ep = epoll_create1(0), one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) { perror("pingpong_client: connect"); return 1; }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        cs[i].fd = fd;
        send(fd, msg, size, MSG_NOSIGNAL);
    }
    struct epoll_event evs[1024];
    long msgs = 0, errors = 0;
    double start = now(), measure = start + warmup, end = measure + seconds;
    int measuring = 0;
    for (;;) {
        double t = now();
        if (!measuring && t >= measure) { measuring = 1; msgs = 0; }
        if (t >= end) break;
        int n = epoll_wait(ep, evs, 1024, 10);
        for (int i = 0; i < n; i++) {
            struct conn *c = &cs[evs[i].data.u32];
            ssize_t r = recv(c->fd, buf, 65536, MSG_DONTWAIT);
            if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; errors++; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); continue; }
            if (r > size - c->got || memcmp(buf, msg + c->got, r)) errors++;
            c->got += r;
            if (c->got >= size) { c->got = 0; msgs++; send(c->fd, msg, size, MSG_NOSIGNAL); }
        }
    }
    double took = now() - measure;
    printf("{\"client\":\"c\",\"connections\":%d,\"size\":%d,\"seconds\":%.3f,\"messages\":%ld,\"msgsPerSec\":%.1f,\"errors\":%ld}\n",
           conns, size, took, msgs, msgs / took, errors);
    return errors ? 1 : 0;
}
