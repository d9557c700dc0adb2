/* pingpong: two threads pass a counter back and forth through two cache lines
 * (each waits for the other's store; acquire/release) and print the mean round
 * trip. Used by scripts/placement/run.sh; see docs/benchmarks.md, "Two speeds". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <time.h>
#include <sched.h>
#define N 200000
static _Alignas(128) _Atomic long a;
static _Alignas(128) _Atomic long b;
static void* pong(void* x){ for(long i=1;i<=N;i++){ while(atomic_load_explicit(&a,memory_order_acquire)!=i); atomic_store_explicit(&b,i,memory_order_release);} return 0;}
int main(){ pthread_t t; pthread_create(&t,0,pong,0); struct timespec s,e; clock_gettime(CLOCK_MONOTONIC,&s);
 for(long i=1;i<=N;i++){ atomic_store_explicit(&a,i,memory_order_release); while(atomic_load_explicit(&b,memory_order_acquire)!=i);} clock_gettime(CLOCK_MONOTONIC,&e);
 pthread_join(t,0); double ns=(e.tv_sec-s.tv_sec)*1e9+(e.tv_nsec-s.tv_nsec); printf("%.1f ns/roundtrip cpu=%d\n", ns/N, sched_getcpu()); }
