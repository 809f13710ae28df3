#pragma once
// The WWSF's token minter behind a swappable pointer (issue 7 "SIGHUP reloads keys"): replace()
// puts a minter built from the re-read wwsf.signing_key_file / retired_key_files in force. Tokens
// minted afterwards use the new key, and the JWKS (served by the WWSF, and given to an eP-CSCF of
// this process as its keys for this issuer) lists the new set; keep the old key in
// retired_key_files for one token lifetime so tokens already handed out stay verifiable.
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "wimpu/wwsf/token_minter.hpp"

namespace wimpu::wimpud {

/// Thread-safe: mint() and jwks_json() from any thread (the WWSF's I/O threads), replace() from
/// the main thread. A mint() running during replace() finishes with the minter it loaded.
class ReloadableMinter final : public wwsf::TokenMinter {
public:
  explicit ReloadableMinter(wwsf::TokenMinterPtr inner) : inner_(std::move(inner)) {}

  Expected<wwsf::MintedToken, wwsf::Error> mint(std::string_view subject,
                                               std::string_view block) override {
    return inner_.load(std::memory_order_acquire)->mint(subject, block);
  }
  std::string jwks_json() const override {
    return inner_.load(std::memory_order_acquire)->jwks_json();
  }

  /// Puts `next` (non-null) in force for the next mint() and jwks_json().
  void replace(wwsf::TokenMinterPtr next) { inner_.store(std::move(next), std::memory_order_release); }

private:
  std::atomic<wwsf::TokenMinterPtr> inner_;
};

}  // namespace wimpu::wimpud
