/*
 * The WebSocket form of pingpong_client.c, so the load generator is not what is measured: C connections each do the
 * HTTP upgrade, then send a SIZE-byte masked text message and wait for its echo (window 1), epoll, level-triggered,
 * one recv and one send per message; each echo is compared byte for byte with the frame a server must send back (an
 * unmasked text frame with the same payload). SIZE stays under 126 (one-byte length). Prints one JSON line.
 *
 *   gcc -O2 -o ws_pingpong_client ws_pingpong_client.c && ./ws_pingpong_client PORT CONNS SECONDS [SIZE] [WARMUP] [PATH]
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

static int upgrade(int fd, int port, const char *path) {
    char req[512], head[4096];
    int n = snprintf(req, sizeof req,
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, port);
    if (send(fd, req, n, MSG_NOSIGNAL) != n) return -1;
    int len = 0;
    while (len < (int)sizeof head - 1) {
        /* One byte at a time: nothing after the head may be consumed here. */
        ssize_t r = recv(fd, head + len, 1, 0);
        if (r <= 0) return -1;
        len++;
        if (len >= 4 && !memcmp(head + len - 4, "\r\n\r\n", 4)) break;
    }
    head[len] = 0;
    return strncmp(head, "HTTP/1.1 101", 12) ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: ws_pingpong_client PORT CONNS SECONDS [SIZE] [WARMUP] [PATH]\n"); return 2; }
    int port = atoi(argv[1]), conns = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int size = argc > 4 ? atoi(argv[4]) : 32;
    double warmup = argc > 5 ? atof(argv[5]) : 1;
    const char *path = argc > 6 ? argv[6] : "/";
    if (size < 1 || size > 125) { fprintf(stderr, "ws_pingpong_client: SIZE must be 1 to 125\n"); return 2; }
    unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    int out_len = 6 + size, in_len = 2 + size;
    unsigned char *out = malloc(out_len), *expect = malloc(in_len), *buf = malloc(65536);
    out[0] = 0x81; out[1] = 0x80 | size; memcpy(out + 2, mask, 4);
    expect[0] = 0x81; expect[1] = size;
    for (int i = 0; i < size; i++) {
        unsigned char c = (unsigned char)('a' + i % 26);
        out[6 + i] = c ^ mask[i % 4];
        expect[2 + i] = c;
    }
    struct conn *cs = calloc(conns, sizeof *cs);
    int ep = epoll_create1(0), one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) { perror("ws_pingpong_client: connect"); return 1; }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (upgrade(fd, port, path)) { fprintf(stderr, "ws_pingpong_client: upgrade refused on connection %d\n", i); return 1; }
        struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        cs[i].fd = fd;
        send(fd, out, out_len, MSG_NOSIGNAL);
    }
    struct epoll_event evs[1024];
    long msgs = 0, all = 0, errors = 0;
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
            if (r > in_len - c->got || memcmp(buf, expect + c->got, r)) { errors++; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); continue; }
            c->got += r;
            if (c->got >= in_len) { c->got = 0; msgs++; all++; send(c->fd, out, out_len, MSG_NOSIGNAL); }
        }
    }
    double took = now() - measure;
    /* allMessages counts the warm-up too: what the server's CPU time over the whole run is divided by. */
    printf("{\"client\":\"c-ws\",\"connections\":%d,\"size\":%d,\"seconds\":%.3f,\"messages\":%ld,\"msgsPerSec\":%.1f,\"allMessages\":%ld,\"errors\":%ld}\n",
           conns, size, took, msgs, msgs / took, all, errors);
    return errors ? 1 : 0;
}
