#include "wimpu/registrar/w4.hpp"

namespace wimpu::registrar {

// Default for backends without an in-place form: the plain lookup (its result replaces `reuse`).
W4Task<Binding> W4::lookup_reusing(std::string impu, Binding /*reuse*/) {
  auto r = co_await lookup(std::move(impu));
  co_return r;
}

}  // namespace wimpu::registrar
