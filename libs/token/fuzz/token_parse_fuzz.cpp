// libFuzzer target for everything in libs/token that reads untrusted bytes: base64url, the JOSE
// header and claims readers, the whole Verifier (twice, so the cache path runs too), the Bearer
// credential/challenge parsers, the JWKS parser and the DER signature decoder. The verifier trusts
// the RFC 8037 Appendix A example key, so the corpus can hold tokens that verify completely.
#include <boost/asio/io_context.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jose_json.hpp"
#include "ossl.hpp"
#include "wimpu/common/clock.hpp"
#include "wimpu/token/base64url.hpp"
#include "wimpu/token/bearer.hpp"
#include "wimpu/token/key_set.hpp"
#include "wimpu/token/key_store.hpp"
#include "wimpu/token/verifier.hpp"

namespace {

using namespace wimpu::token;

constexpr std::string_view kRfc8037Jwks =
    R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",)"
    R"("kid":"rfc8037"}]})";

struct Harness {
  Harness() {
    KeyStoreOptions o;
    o.issuer = "https://wwsf.example";
    store = KeyStore::create(o, nullptr, clock, io.get_executor());
    if (!store->install(kRfc8037Jwks)) {
      __builtin_trap();
    }
    VerifierOptions vo;
    vo.audience = "epcscf.example";
    verifier = std::make_unique<Verifier>(vo, std::vector<KeyStorePtr>{store}, clock,
                                          io.get_executor());
  }
  boost::asio::io_context io;
  std::shared_ptr<wimpu::common::FakeClock> clock = std::make_shared<wimpu::common::FakeClock>();
  KeyStorePtr store;
  std::unique_ptr<Verifier> verifier;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  (void)base64url::decode(in);
  jose::Header header;
  (void)jose::parse_header(in, header);
  Claims claims;
  std::uint32_t present = 0;
  (void)jose::parse_claims(in, kDefaultBlockClaim, claims, present);

  auto first = h.verifier->verify(in, "block.example");
  auto second = h.verifier->verify(in, "block.example");
  if (first.has_value() != second.has_value()) {
    __builtin_trap();  // the cache must answer like a full check
  }
  if (auto token = bearer_token(in)) {
    (void)h.verifier->verify(*token, "block.example");
  }
  (void)parse_challenge(in);
  (void)KeySet::parse(in, Algorithm::kEdDSA);
  (void)KeySet::parse(in, Algorithm::kES256);
  std::array<std::uint8_t, 64> jose{};
  (void)ossl::der_to_jose(std::span<const std::uint8_t>(data, size), jose);

  h.io.restart();
  h.io.poll();  // drain key-refresh requests from unknown kids
  return 0;
}
