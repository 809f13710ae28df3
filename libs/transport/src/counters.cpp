#include "counters.hpp"

#include <cstdio>
#include <exception>

#include "asio_types.hpp"

namespace wimpu::transport::detail {

common::Counter& proto_counter(Protocol p, std::string_view event) {
  std::string name = "transport.";
  name += to_string(p);
  name += '.';
  name += event;
  return common::counter(name);
}

common::Counter& counter(std::string_view event) {
  std::string name = "transport.";
  name += event;
  return common::counter(name);
}

const HotCounters& hot(Protocol p) {
  static const std::array<HotCounters, 5> table = [] {
    std::array<HotCounters, 5> t{};
    for (int i = 0; i < 5; ++i) {
      const auto proto = static_cast<Protocol>(i);
      t[static_cast<std::size_t>(i)] = {&proto_counter(proto, "messages_in"),
                                        &proto_counter(proto, "messages_out"),
                                        &proto_counter(proto, "accepted"),
                                        &proto_counter(proto, "writes")};
    }
    return t;
  }();
  return table[static_cast<std::size_t>(p)];
}

void log_coroutine_exit(const char* what, std::exception_ptr e) {
  if (!e) {
    return;
  }
  counter("coroutine_exception").inc();
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "wimpu transport: %s ended with exception: %s\n", what, ex.what());
  } catch (...) {
    std::fprintf(stderr, "wimpu transport: %s ended with an unknown exception\n", what);
  }
}

}  // namespace wimpu::transport::detail
