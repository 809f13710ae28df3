// Reading the SAA User-Data (TS 29.228 Annex E) and normalising IMPUs.
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/s_cscf/s_cscf.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::s_cscf {
namespace {

void append_decoded(std::string_view text, std::string& out) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  for (std::size_t i = 0; i < text.size();) {
    bool done = false;
    if (text[i] == '&') {
      for (const auto& [name, c] : kEntities) {
        if (text.substr(i, name.size()) == name) {
          out += c;
          i += name.size();
          done = true;
          break;
        }
      }
    }
    if (!done) {
      out += text[i++];
    }
  }
}

}  // namespace

std::vector<std::string> public_identities_of(std::string_view user_data) {
  // Only <PublicIdentity><Identity>...</Identity> matters here: a scan, not an XML parser (the
  // document comes from our HSS over Cx; a malformed one yields fewer identities, never a crash).
  constexpr std::string_view kOpen = "<Identity>";
  constexpr std::string_view kClose = "</Identity>";
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = user_data.find(kOpen, pos)) != std::string_view::npos) {
    pos += kOpen.size();
    const std::size_t end = user_data.find(kClose, pos);
    if (end == std::string_view::npos) {
      break;
    }
    std::string id;
    append_decoded(user_data.substr(pos, end - pos), id);
    if (!id.empty()) {
      out.push_back(std::move(id));
    }
    pos = end + kClose.size();
  }
  return out;
}

std::string impu_of(std::string_view text) {
  auto uri = sip::parse_uri(text);
  if (!uri) {
    return {};
  }
  if (uri->scheme == sip::UriScheme::kTel) {
    return "tel:" + std::string(uri->user);
  }
  if (!uri->is_sip()) {
    return {};
  }
  std::string out(uri->scheme == sip::UriScheme::kSips ? "sips:" : "sip:");
  if (!uri->user.empty()) {
    out += uri->user;
    out += '@';
  }
  out += uri->host;
  return out;
}

}  // namespace wimpu::s_cscf
