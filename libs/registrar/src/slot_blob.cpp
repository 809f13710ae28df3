#include "slot_blob.hpp"

#include "wimpu/common/assert.hpp"

namespace wimpu::registrar::detail {
namespace {

template <class T>
char* store(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
  return p + sizeof(T);
}

std::size_t path_bytes(const std::vector<std::string>& path) {
  std::size_t n = 0;
  for (const auto& p : path) {
    n += p.size() + 1;
  }
  return n == 0 ? 0 : n - 1;
}

std::array<std::uint16_t, kFieldCount> lens_of(const ContactInfo& c) {
  return {static_cast<std::uint16_t>(c.uri.size()),
          static_cast<std::uint16_t>(c.params.size()),
          static_cast<std::uint16_t>(c.instance.size()),
          static_cast<std::uint16_t>(c.call_id.size()),
          static_cast<std::uint16_t>(c.flow_token.size()),
          static_cast<std::uint16_t>(c.epcscf_instance.size()),
          static_cast<std::uint16_t>(path_bytes(c.path)),
          static_cast<std::uint16_t>(c.user_agent.size())};
}

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace

bool ContactRef::same_fields(const ContactInfo& c) const {
  if (reg_id() != c.reg_id) {
    return false;
  }
  const char* f = p_ + kFixed;
  const auto next_is = [&f, this](Field which, std::string_view v) {
    const std::size_t n = len(which);
    const bool eq = n == v.size() && std::memcmp(f, v.data(), n) == 0;
    f += n;
    return eq;
  };
  if (!next_is(kUri, c.uri) || !next_is(kParams, c.params) || !next_is(kInstance, c.instance) ||
      !next_is(kCallId, c.call_id) || !next_is(kFlow, c.flow_token) ||
      !next_is(kEpcscf, c.epcscf_instance)) {
    return false;
  }
  // Path entries are stored joined by '\n' (validate() refuses empty entries and CR/LF in them).
  std::string_view path(f, len(kPath));
  f += path.size();
  for (std::size_t i = 0; i < c.path.size(); ++i) {
    if (i != 0) {
      if (path.empty() || path.front() != '\n') {
        return false;
      }
      path.remove_prefix(1);
    }
    if (!path.starts_with(c.path[i])) {
      return false;
    }
    path.remove_prefix(c.path[i].size());
  }
  return path.empty() && next_is(kUa, c.user_agent);
}

void ContactRef::store_times(char* p, std::int64_t expires_at, std::int64_t registered_at,
                             std::int64_t updated_at, std::uint32_t cseq) {
  p = store(p, expires_at);
  p = store(p, registered_at);
  p = store(p, updated_at);
  store(p, cseq);
}

ContactView ContactRef::view(std::int64_t now) const {
  ContactView v;
  view_into(now, v);
  return v;
}

void ContactRef::view_into(std::int64_t now, ContactView& v) const {
  const char* f = p_ + kFixed;
  const auto next = [&f, this](Field which) {
    const std::string_view s(f, len(which));
    f += s.size();
    return s;
  };
  v.info.uri.assign(next(kUri));
  v.info.params.assign(next(kParams));
  v.info.instance.assign(next(kInstance));
  v.info.call_id.assign(next(kCallId));
  v.info.flow_token.assign(next(kFlow));
  v.info.epcscf_instance.assign(next(kEpcscf));
  std::string_view path = next(kPath);
  std::size_t n = 0;
  while (!path.empty()) {
    const auto nl = path.find('\n');
    if (n == v.info.path.size()) {
      v.info.path.emplace_back();
    }
    v.info.path[n++].assign(path.substr(0, nl));
    path = nl == std::string_view::npos ? std::string_view() : path.substr(nl + 1);
  }
  v.info.path.resize(n);
  v.info.user_agent.assign(next(kUa));
  v.info.reg_id = reg_id();
  v.info.cseq = cseq();
  v.expires_at_ms = expires_at();
  v.expires_in_s = remaining_s(v.expires_at_ms, now);
  v.registered_at_ms = registered_at();
  v.updated_at_ms = updated_at();
}

std::size_t encoded_blob_size(std::string_view owner, const std::vector<ContactDraft>& contacts) {
  std::size_t size = BlobView::kHeader + owner.size();
  for (const auto& d : contacts) {
    if (d.existing != nullptr) {
      size += ContactRef(d.existing).encoded_size();
    } else {
      size += ContactRef::kFixed;
      for (const auto l : lens_of(*d.info)) {
        size += l;
      }
    }
  }
  return size;
}

char* encode_blob(BlobArena& arena, std::string_view owner,
                  const std::vector<ContactDraft>& contacts) {
  const std::size_t size = encoded_blob_size(owner, contacts);
  char* blob = arena.allocate(size);
  encode_blob_into(blob, size, owner, contacts);
  return blob;
}

void encode_blob_into(char* blob, std::size_t size, std::string_view owner,
                      const std::vector<ContactDraft>& contacts) {
  char* p = store(blob, static_cast<std::uint32_t>(size));
  p = store(p, static_cast<std::uint16_t>(owner.size()));
  p = store(p, static_cast<std::uint16_t>(contacts.size()));
  p = put(p, owner);
  for (const auto& d : contacts) {
    if (d.existing != nullptr) {
      const ContactRef ref(d.existing);
      std::memcpy(p, ref.data(), ref.encoded_size());
      p += ref.encoded_size();
      continue;
    }
    const ContactInfo& c = *d.info;
    p = store(p, d.expires_at);
    p = store(p, d.registered_at);
    p = store(p, d.updated_at);
    p = store(p, c.cseq);
    p = store(p, c.reg_id);
    for (const auto l : lens_of(c)) {
      p = store(p, l);
    }
    p = put(p, c.uri);
    p = put(p, c.params);
    p = put(p, c.instance);
    p = put(p, c.call_id);
    p = put(p, c.flow_token);
    p = put(p, c.epcscf_instance);
    for (std::size_t i = 0; i < c.path.size(); ++i) {
      if (i != 0) {
        p = put(p, "\n");
      }
      p = put(p, c.path[i]);
    }
    p = put(p, c.user_agent);
  }
  // A short or long write would corrupt the slot or the next blob: always checked (cheap).
  WIMPU_RELEASE_ASSERT(p == blob + size);
}

}  // namespace wimpu::registrar::detail
