// Test support, preloaded (LD_PRELOAD) into node_stop_check only: a thread woken from
// pthread_cond_timedwait() waits 200 ms before it goes on, as a thread of a CPU-starved process
// that gets no CPU for that long (freeDiameter gives its queue readers ~20 ms). freeDiameter's queue readers wait there (fd_fifo_timedget).
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

namespace {
using TimedWait = int (*)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
}  // namespace

extern "C" int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                      const struct timespec* abstime) {
  static const auto real =
      reinterpret_cast<TimedWait>(dlsym(RTLD_NEXT, "pthread_cond_timedwait"));
  const int rc = real(cond, mutex, abstime);
  if (rc == 0) {
    // Woken (not timed out): hold back, without the mutex, like a thread not yet scheduled.
    pthread_mutex_unlock(mutex);
    usleep(200000);
    pthread_mutex_lock(mutex);
  }
  return rc;
}
