#include "contact_record.hpp"

#include <string>

namespace wimpu::registrar::detail {

ContactRecord::ContactRecord(const ContactInfo& c, std::int64_t expires_at, std::int64_t registered_at,
                             std::int64_t updated_at)
    : expires_at_ms(expires_at),
      registered_at_ms(registered_at),
      updated_at_ms(updated_at),
      cseq(c.cseq),
      reg_id(c.reg_id) {
  // validate() bounds every field (and the joined Path) by kMaxFieldBytes < 65536.
  std::size_t path_len = 0;
  for (const auto& p : c.path) {
    path_len += p.size() + 1;
  }
  path_len -= path_len == 0 ? 0 : 1;
  const std::array<std::size_t, kCount> lens = {c.uri.size(),        c.params.size(),
                                                c.instance.size(),   c.call_id.size(),
                                                c.flow_token.size(), c.epcscf_instance.size(),
                                                path_len,            c.user_agent.size()};
  std::size_t total = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    len_[i] = static_cast<std::uint16_t>(lens[i]);
    total += lens[i];
  }
  buf_ = std::make_unique_for_overwrite<char[]>(total == 0 ? 1 : total);
  char* p = buf_.get();
  const auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put(c.uri);
  put(c.params);
  put(c.instance);
  put(c.call_id);
  put(c.flow_token);
  put(c.epcscf_instance);
  for (std::size_t i = 0; i < c.path.size(); ++i) {
    if (i != 0) {
      put("\n");
    }
    put(c.path[i]);
  }
  put(c.user_agent);
}

ContactView ContactRecord::view(std::int64_t now_ms) const {
  ContactView v;
  v.info.uri = field(kUri);
  v.info.params = field(kParams);
  v.info.instance = field(kInstance);
  v.info.reg_id = reg_id;
  v.info.call_id = field(kCallId);
  v.info.cseq = cseq;
  v.info.flow_token = field(kFlow);
  v.info.epcscf_instance = field(kEpcscf);
  std::string_view path = field(kPath);
  while (!path.empty()) {
    const auto nl = path.find('\n');
    v.info.path.emplace_back(path.substr(0, nl));
    path = nl == std::string_view::npos ? std::string_view() : path.substr(nl + 1);
  }
  v.info.user_agent = field(kUa);
  v.expires_at_ms = expires_at_ms;
  v.expires_in_s = remaining_s(expires_at_ms, now_ms);
  v.registered_at_ms = registered_at_ms;
  v.updated_at_ms = updated_at_ms;
  return v;
}

}  // namespace wimpu::registrar::detail
