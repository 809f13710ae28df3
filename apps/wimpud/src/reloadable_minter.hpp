#pragma once
// The WWSF's token minter behind a swappable pointer (issue 7: SIGHUP reloads keys): replace()
// puts a minter built from the re-read wwsf.signing_key_file / retired_key_files in force;
// tokens minted after it use the new key and the JWKS (served by the WWSF, trusted directly by
// an eP-CSCF of the same process) lists the new set. Keep the old key in retired_key_files for
// a token lifetime so tokens already handed out stay verifiable.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "wimpu/wwsf/token_minter.hpp"

namespace wimpu::wimpud {

/// Thread-safe: mint() and jwks_json() from any thread (the WWSF's I/O threads), replace() from
/// the main thread.
class ReloadableMinter final : public wwsf::TokenMinter {
public:
  explicit ReloadableMinter(wwsf::TokenMinterPtr inner) : inner_(std::move(inner)) {}

  Expected<wwsf::MintedToken, wwsf::Error> mint(std::string_view subject,
                                               std::string_view block) override {
    return current()->mint(subject, block);
  }
  std::string jwks_json() const override { return current()->jwks_json(); }

  /// Puts `next` in force for the next mint() and jwks_json().
  void replace(wwsf::TokenMinterPtr next) {
    std::lock_guard lock(mutex_);
    inner_ = std::move(next);
  }

private:
  wwsf::TokenMinterPtr current() const {
    std::lock_guard lock(mutex_);
    return inner_;
  }

  mutable std::mutex mutex_;
  wwsf::TokenMinterPtr inner_;
};

}  // namespace wimpu::wimpud
