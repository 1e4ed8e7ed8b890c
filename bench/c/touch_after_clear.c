/* What a page costs to touch again after its Accessed bit was cleared (docs/benchmarks.md, "serve exec's loops do not
 * preempt their program"): a 64 MiB anonymous region, K pages of it STRIDE bytes apart touched (written with WR=1),
 * eight times, each after a 300 ms sleep in a pipe read; with EXT=1 a child clears this process's Accessed bits
 * (/proc/PID/clear_refs) just before waking it, as another task (the kernel's DAMON monitor) would. HUGE=1 backs the
 * region with 2 MiB pages. Root only (clear_refs of another process).
 *   gcc -O2 -o touch_after_clear bench/c/touch_after_clear.c && ./touch_after_clear 40 1 1     # K WR EXT
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <signal.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int main(int argc,char**argv){
  int k=atoi(argv[1]); int wr=atoi(argv[2]); int ext=atoi(argv[3]);
  size_t sz=64<<20;
  char*p=mmap(0,sz+(2<<20),PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); p=(char*)(((uintptr_t)p+(2<<20)-1)&~((uintptr_t)(2<<20)-1));
  if(getenv("HUGE")) madvise(p,sz,MADV_HUGEPAGE); else madvise(p,sz,MADV_NOHUGEPAGE);
  for(size_t i=0;i<sz;i+=4096)p[i]=1;
  int pp[2]; pipe(pp);
  pid_t me=getpid();
  if(fork()==0){ char path[64]; sprintf(path,"/proc/%d/clear_refs",me);
    for(int r=0;r<8;r++){ usleep(300000); if(ext){int c=open(path,O_WRONLY); write(c,"1",1); close(c);} usleep(2000); write(pp[1],"x",1);} _exit(0);}
  volatile long s=0; size_t stride=getenv("STRIDE")?atol(getenv("STRIDE")):(sz/k)&~4095UL; char b;
  for(int rep=0;rep<8;rep++){
    read(pp[0],&b,1);
    double t0=now(); for(int i=0;i<k;i++){ if(wr) p[i*stride]++; else s+=p[i*stride];} double t1=now();
    for(int i=0;i<k;i++){ if(wr) p[i*stride]++; else s+=p[i*stride];} double t2=now();
    printf("k=%d wr=%d ext=%d after %.1f us, again %.1f us\n",k,wr,ext,t1-t0,t2-t1);
  }
}
