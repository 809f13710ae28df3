#include "wimpu/registrar/w4.hpp"

namespace wimpu::registrar {

// Default for backends without an in-place form: the plain lookup (its result replaces `reuse`).
W4Task<Binding> W4::lookup_reusing(std::string impu, Binding /*reuse*/) {
  auto r = co_await lookup(std::move(impu));
  co_return r;
}

// Default: every call is asynchronous ("would block"); the caller takes register_contacts().
std::optional<W4Result<void>> W4::try_register_now(const RegisterRequest& /*req*/,
                                                   RegisterResult& /*out*/) {
  return std::nullopt;
}

}  // namespace wimpu::registrar
