#include "wimpu/s_cscf/registration_store.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "wimpu/common/counter.hpp"
#include "wimpu/sip/uri.hpp"

namespace wimpu::s_cscf {
namespace {

bool same_identity(std::string_view a, std::string_view b) {
  // IMPUs compare as the HSS provisions them; the host part is case-insensitive (RFC 3261
  // §19.1.4), the user part is not.
  const auto at_a = a.rfind('@');
  const auto at_b = b.rfind('@');
  if (at_a == std::string_view::npos || at_b == std::string_view::npos) {
    return a == b;
  }
  return a.substr(0, at_a) == b.substr(0, at_b) && sip::iequals(a.substr(at_a), b.substr(at_b));
}

}  // namespace

RegistrationStore::RegistrationStore(common::ClockPtr clock) : clock_(std::move(clock)) {}

RegistrationStore::Set* RegistrationStore::find_locked(std::string_view identity) const {
  for (const auto& s : sets_) {
    for (const std::string& id : s->identities) {
      if (same_identity(id, identity)) {
        return s.get();
      }
    }
  }
  // The patterns are provisioned with a lowercase host; the host is case-insensitive.
  std::string folded(identity);
  const auto at = folded.rfind('@');
  for (std::size_t i = at == std::string::npos ? folded.size() : at; i < folded.size(); ++i) {
    folded[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(folded[i])));
  }
  for (const auto& s : sets_) {
    for (const hss::WildcardPattern& w : s->wildcards) {
      if (w.matches(folded)) {
        return s.get();
      }
    }
  }
  return nullptr;
}

std::size_t RegistrationStore::live_count_locked(const Set& s) const {
  const common::TimePoint now = clock_->now();
  return static_cast<std::size_t>(std::count_if(
      s.contacts.begin(), s.contacts.end(), [now](const ContactBinding& c) {
        return c.expires > now;
      }));
}

RegistrationView RegistrationStore::view_locked(const Set& s) const {
  RegistrationView v;
  v.impi = s.impi;
  v.registered_impu = s.registered_impu;
  v.identities = s.identities;
  const common::TimePoint now = clock_->now();
  for (const ContactBinding& c : s.contacts) {
    if (c.expires <= now) {
      continue;
    }
    const auto left = std::chrono::ceil<std::chrono::seconds>(c.expires - now).count();
    v.contacts.push_back(ContactView{c.uri, c.path, static_cast<std::uint32_t>(left)});
  }
  return v;
}

std::optional<RegistrationView> RegistrationStore::lookup(std::string_view identity) const {
  const std::lock_guard lock(mutex_);
  const Set* s = find_locked(identity);
  if (s == nullptr || live_count_locked(*s) == 0) {
    return std::nullopt;
  }
  return view_locked(*s);
}

bool RegistrationStore::is_registered(std::string_view impu) const {
  const std::lock_guard lock(mutex_);
  const Set* s = find_locked(impu);
  return s != nullptr && live_count_locked(*s) > 0;
}

Expected<RegistrationView, StoreError> RegistrationStore::update(
    std::string_view impi, std::string_view impu, const std::vector<std::string>& identities,
    const std::vector<ContactUpdate>& contacts) {
  // Compile outside the lock: regcomp is the slow part.
  std::vector<hss::WildcardPattern> wildcards;
  for (const std::string& id : identities) {
    if (hss::WildcardPattern::is_wildcarded(id)) {
      auto w = hss::WildcardPattern::compile(id);
      if (!w) {
        common::counter("s_cscf.store.bad_wildcard").inc();
        return StoreError::kBadIdentity;
      }
      wildcards.push_back(std::move(*w));
    }
  }
  const std::lock_guard lock(mutex_);
  Set* s = find_locked(impu);
  if (s == nullptr) {
    const bool any_live = std::any_of(contacts.begin(), contacts.end(),
                                      [](const ContactUpdate& c) { return c.expires_s != 0; });
    if (!any_live) {
      return StoreError::kNotFound;
    }
    sets_.push_back(std::make_unique<Set>());
    s = sets_.back().get();
    s->impi = std::string(impi);
    s->registered_impu = std::string(impu);
    s->identities.emplace_back(impu);
  }
  // RFC 3261 §10.3 step 7: an older or repeated CSeq of the same Call-ID is refused, whole.
  for (const ContactUpdate& u : contacts) {
    for (const ContactBinding& b : s->contacts) {
      if (b.uri == u.uri && b.call_id == u.call_id && u.cseq <= b.cseq) {
        return StoreError::kOutOfOrder;
      }
    }
  }
  if (!identities.empty()) {
    s->identities = identities;
    s->wildcards = std::move(wildcards);
  }
  const common::TimePoint now = clock_->now();
  for (const ContactUpdate& u : contacts) {
    auto it = std::find_if(s->contacts.begin(), s->contacts.end(),
                           [&](const ContactBinding& b) { return b.uri == u.uri; });
    if (u.expires_s == 0) {
      if (it != s->contacts.end()) {
        s->contacts.erase(it);
      }
      continue;
    }
    ContactBinding b{u.uri, u.path, u.call_id, u.cseq, now + std::chrono::seconds(u.expires_s)};
    if (it != s->contacts.end()) {
      *it = std::move(b);
    } else {
      s->contacts.push_back(std::move(b));
    }
  }
  return view_locked(*s);
}

Expected<RegistrationView, StoreError> RegistrationStore::remove_all(std::string_view impu) {
  const std::lock_guard lock(mutex_);
  Set* s = find_locked(impu);
  if (s == nullptr) {
    return StoreError::kNotFound;
  }
  s->contacts.clear();
  return view_locked(*s);
}

void RegistrationStore::erase(std::string_view impu) {
  const std::lock_guard lock(mutex_);
  const Set* s = find_locked(impu);
  std::erase_if(sets_, [s](const std::unique_ptr<Set>& p) { return p.get() == s; });
}

std::vector<RegistrationView> RegistrationStore::expire() {
  std::vector<RegistrationView> gone;
  const std::lock_guard lock(mutex_);
  const common::TimePoint now = clock_->now();
  for (auto it = sets_.begin(); it != sets_.end();) {
    Set& s = **it;
    std::erase_if(s.contacts, [now](const ContactBinding& c) { return c.expires <= now; });
    if (s.contacts.empty()) {
      gone.push_back(view_locked(s));
      it = sets_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::size_t RegistrationStore::size() const {
  const std::lock_guard lock(mutex_);
  return sets_.size();
}

}  // namespace wimpu::s_cscf
