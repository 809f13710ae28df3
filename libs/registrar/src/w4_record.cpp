#include "w4_record.hpp"

#include <charconv>

#include "msgpack.hpp"

namespace wimpu::registrar::detail {
namespace {

void put_be(std::uint64_t v, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

std::uint64_t get_be(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

void split_path(std::string_view path, std::vector<std::string>& out) {
  while (!path.empty()) {
    const auto nl = path.find('\n');
    out.emplace_back(path.substr(0, nl));
    path = nl == std::string_view::npos ? std::string_view() : path.substr(nl + 1);
  }
}

std::uint32_t remaining_s(std::int64_t expires_at, std::int64_t now) {
  return expires_at <= now ? 0 : static_cast<std::uint32_t>((expires_at - now + 999) / 1000);
}

// Version 5: MessagePack {owner, {contact...}}, each contact {uri, params, instance, reg_id,
// call_id, cseq, expires_at, flow, epcscf, path, ua, registered_at, updated_at}.
bool decode_v5(std::string_view blob, std::int64_t now, std::vector<ContactView>& out,
               std::string_view* owner_out) {
  MsgpackReader r(blob);
  std::uint32_t n = 0;
  std::uint32_t count = 0;
  std::string_view owner;
  if (!r.array(n) || n != 2 || !r.str(owner) || !r.array(count)) {
    return false;
  }
  out.reserve(out.size() + count);
  for (std::uint32_t k = 0; k < count; ++k) {
    std::uint32_t fields = 0;
    std::string_view uri, params, instance, call_id, flow, epcscf, path, ua;
    std::int64_t reg_id = 0, cseq = 0, expires_at = 0, registered_at = 0, updated_at = 0;
    if (!r.array(fields) || fields != 13 || !r.str(uri) || !r.str(params) || !r.str(instance) ||
        !r.integer(reg_id) || !r.str(call_id) || !r.integer(cseq) || !r.integer(expires_at) ||
        !r.str(flow) || !r.str(epcscf) || !r.str(path) || !r.str(ua) || !r.integer(registered_at) ||
        !r.integer(updated_at)) {
      return false;
    }
    ContactView c;
    c.info.uri = uri;
    c.info.params = params;
    c.info.instance = instance;
    c.info.reg_id = static_cast<std::uint32_t>(reg_id);
    c.info.call_id = call_id;
    c.info.cseq = static_cast<std::uint32_t>(cseq);
    c.info.flow_token = flow;
    c.info.epcscf_instance = epcscf;
    split_path(path, c.info.path);
    c.info.user_agent = ua;
    c.expires_at_ms = expires_at;
    c.expires_in_s = remaining_s(expires_at, now);
    c.registered_at_ms = registered_at;
    c.updated_at_ms = updated_at;
    out.push_back(std::move(c));
  }
  if (owner_out != nullptr) {
    *owner_out = owner;
  }
  return r.at_end();
}

// Version 6 (docs/w4.md 5.2).
bool decode_v6(std::string_view rec, std::int64_t now, std::vector<ContactView>& out,
               std::string_view* owner_out) {
  if (rec.size() < 3) {
    return false;
  }
  const std::size_t olen = get_be(rec, 1, 2);
  if (rec.size() - 3 < olen) {
    return false;
  }
  if (owner_out != nullptr) {
    *owner_out = rec.substr(3, olen);
  }
  std::size_t e = 3 + olen;
  while (e < rec.size()) {
    if (rec.size() - e < kEntryHead + kPartHead) {
      return false;
    }
    const std::size_t p = e + kEntryHead;
    const std::size_t klen = get_be(rec, p, 2);
    const std::size_t clen = get_be(rec, p + 2, 2);
    const std::size_t flen = get_be(rec, p + 4, 2);
    const std::size_t rlen = get_be(rec, p + 6, 4);
    const std::size_t k = p + kPartHead;
    if (rec.size() - k < klen + clen + flen + rlen) {
      return false;
    }
    ContactView c;
    c.expires_at_ms = static_cast<std::int64_t>(get_be(rec, e, 6));
    c.registered_at_ms = static_cast<std::int64_t>(get_be(rec, e + 6, 6));
    c.updated_at_ms = static_cast<std::int64_t>(get_be(rec, e + 12, 6));
    c.info.cseq = static_cast<std::uint32_t>(get_be(rec, e + 18, 4));
    c.expires_in_s = remaining_s(c.expires_at_ms, now);
    c.info.call_id = rec.substr(k + klen, clen);
    c.info.flow_token = rec.substr(k + klen + clen, flen);
    MsgpackReader r(rec.substr(k + klen + clen + flen, rlen));
    std::uint32_t fields = 0;
    std::string_view uri, params, instance, epcscf, path, ua;
    std::int64_t reg_id = 0;
    if (!r.array(fields) || fields != 7 || !r.str(uri) || !r.str(params) || !r.str(instance) ||
        !r.integer(reg_id) || !r.str(epcscf) || !r.str(path) || !r.str(ua) || !r.at_end()) {
      return false;
    }
    c.info.uri = uri;
    c.info.params = params;
    c.info.instance = instance;
    c.info.reg_id = static_cast<std::uint32_t>(reg_id);
    c.info.epcscf_instance = epcscf;
    split_path(path, c.info.path);
    c.info.user_agent = ua;
    out.push_back(std::move(c));
    e = k + klen + clen + flen + rlen;
  }
  return true;
}

}  // namespace

void append_part(const ContactInfo& c, std::string& out) {
  // Written straight into `out`: the fixed lengths first, rest_len patched once rest is written.
  const bool outbound = c.reg_id != 0 && !c.instance.empty();
  char reg[16];
  const auto reg_end = std::to_chars(reg, reg + sizeof reg, c.reg_id).ptr;
  const std::string_view reg_s(reg, static_cast<std::size_t>(reg_end - reg));
  const std::size_t klen = outbound ? 2 + reg_s.size() + c.instance.size() : 1 + c.uri.size();
  std::size_t path_len = 0;
  for (const auto& p : c.path) {
    path_len += p.size() + 1;
  }
  path_len -= c.path.empty() ? 0 : 1;
  out.reserve(out.size() + kPartHead + klen + c.call_id.size() + c.flow_token.size() + 48 +
              2 * c.uri.size() + c.params.size() + c.instance.size() + c.epcscf_instance.size() +
              path_len + c.user_agent.size());
  const std::size_t start = out.size();
  put_be(klen, 2, out);
  put_be(c.call_id.size(), 2, out);
  put_be(c.flow_token.size(), 2, out);
  put_be(0, 4, out);  // rest_len, below
  if (outbound) {
    out += 'o';
    out += reg_s;
    out += ':';
    out += c.instance;
  } else {
    out += 'u';
    out += c.uri;
  }
  out += c.call_id;
  out += c.flow_token;
  const std::size_t rest = out.size();
  MsgpackWriter w(out);
  w.array(7);
  w.str(c.uri);
  w.str(c.params);
  w.str(c.instance);
  w.uint(c.reg_id);
  w.str(c.epcscf_instance);
  // Path values joined by LF (which never occurs in an unfolded header value).
  w.str_header(path_len);
  for (std::size_t i = 0; i < c.path.size(); ++i) {
    if (i != 0) {
      out += '\n';
    }
    out += c.path[i];
  }
  w.str(c.user_agent);
  const std::size_t rest_len = out.size() - rest;
  for (int i = 0; i < 4; ++i) {
    out[start + 6 + static_cast<std::size_t>(i)] =
        static_cast<char>((rest_len >> (8 * (3 - i))) & 0xff);
  }
}

void append_nums(std::uint32_t expires_s, std::uint32_t cseq, std::string& out) {
  put_be(expires_s, 4, out);
  put_be(cseq, 4, out);
}

bool decode_record(std::string_view rec, std::int64_t now_ms, std::vector<ContactView>& out,
                   std::string_view* owner) {
  if (!rec.empty() && static_cast<unsigned char>(rec[0]) == kRecordFormat) {
    return decode_v6(rec, now_ms, out, owner);
  }
  return decode_v5(rec, now_ms, out, owner);
}

}  // namespace wimpu::registrar::detail
