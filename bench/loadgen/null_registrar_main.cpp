// wimpu-loadgen-null: the null registrar peer as a process, to measure wimpu-loadgen alone
// (e.g. `chrt -r 50 taskset -c 1 wimpu-loadgen-null` beside `taskset -c 0 wimpu-loadgen
// register --url <printed url> ...`). Serves until SIGINT/SIGTERM, then prints its counts.
// --write-per-answer: one socket write per 200, like a server without write coalescing.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "wimpu/loadgen/null_registrar.hpp"

int main(int argc, char** argv) {
  wimpu::loadgen::NullRegistrarOptions o;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      o.port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--write-per-answer") == 0) {
      o.write_per_answer = true;
    } else {
      std::fprintf(stderr, "usage: %s [--port P] [--write-per-answer]\n", argv[0]);
      return 2;
    }
  }
  // A shell starts background jobs with SIGINT ignored; an ignored signal never becomes pending,
  // so sigwait() would not see it: restore the default first.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the serving thread inherits the mask
  wimpu::loadgen::NullRegistrar peer(std::move(o));
  std::printf("%s\n", peer.url().c_str());
  std::fflush(stdout);
  peer.start();
  int sig = 0;
  sigwait(&set, &sig);
  peer.stop();
  const auto c = peer.counts();
  std::printf("connections %llu registers %llu frames %llu reads %llu writes %llu unmasked %llu bad %llu\n",
              static_cast<unsigned long long>(c.connections), static_cast<unsigned long long>(c.registers),
              static_cast<unsigned long long>(c.frames_in), static_cast<unsigned long long>(c.reads),
              static_cast<unsigned long long>(c.writes), static_cast<unsigned long long>(c.unmasked),
              static_cast<unsigned long long>(c.bad));
  return 0;
}
