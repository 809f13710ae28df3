#include "wimpu/hss/hss.hpp"

#include <string>

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::hss {

using namespace wimpu::diameter;

namespace {

// "hss.lia.10415.5001" style counters: one per command and outcome (every error path counts).
void count(std::string_view command, ResultCode rc) {
  common::counter("hss." + std::string(command) + "." + std::to_string(rc.vendor_id) + "." +
                  std::to_string(rc.value))
      .inc();
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
}

bool is_deregistration(ServerAssignmentType t) {
  switch (t) {
    case ServerAssignmentType::kTimeoutDeregistration:
    case ServerAssignmentType::kUserDeregistration:
    case ServerAssignmentType::kDeregistrationTooMuchData:
    case ServerAssignmentType::kAdministrativeDeregistration:
    case ServerAssignmentType::kTimeoutDeregistrationStoreServerName:
    case ServerAssignmentType::kUserDeregistrationStoreServerName: return true;
    default: return false;
  }
}

}  // namespace

std::string_view to_string(RegistrationState state) noexcept {
  switch (state) {
    case RegistrationState::kNotRegistered: return "not_registered";
    case RegistrationState::kRegistered: return "registered";
    case RegistrationState::kUnregistered: return "unregistered";
  }
  return "unknown";
}

Hss::Hss(std::shared_ptr<const SubscriberStore> store) : store_(std::move(store)) {
  WIMPU_RELEASE_ASSERT(store_ != nullptr);
}

RegistrationState Hss::set_state(const Subscriber& s, std::size_t set) const {
  auto it = states_.find(s.impi);
  if (it == states_.end()) {
    return RegistrationState::kNotRegistered;
  }
  auto st = it->second.sets.find(s.implicit_sets[set].public_identities.front());
  return st == it->second.sets.end() ? RegistrationState::kNotRegistered : st->second;
}

void Hss::set_set_state(const Subscriber& s, std::size_t set, RegistrationState st) {
  state(s).sets[s.implicit_sets[set].public_identities.front()] = st;
}

bool Hss::any_set_active(const Subscriber& s) const {
  for (std::size_t i = 0; i < s.implicit_sets.size(); ++i) {
    if (set_state(s, i) != RegistrationState::kNotRegistered) {
      return true;
    }
  }
  return false;
}

// A minimal IMS subscription document (TS 29.228 Annex E / Annex D): the private identity and one
// service profile listing the implicit set's public identities; a wildcarded one is marked with
// IdentityType 3 (WILDCARDED_IMPU) and its WildcardedIMPU.
std::string Hss::user_data(const Subscriber& s, std::size_t set) const {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><IMSSubscription><PrivateID>";
  append_escaped(xml, s.impi);
  xml += "</PrivateID><ServiceProfile>";
  for (const std::string& impu : s.implicit_sets[set].public_identities) {
    xml += "<PublicIdentity><Identity>";
    append_escaped(xml, impu);
    xml += "</Identity>";
    if (WildcardPattern::is_wildcarded(impu)) {
      xml += "<Extension><IdentityType>3</IdentityType><WildcardedIMPU>";
      append_escaped(xml, impu);
      xml += "</WildcardedIMPU></Extension>";
    }
    xml += "</PublicIdentity>";
  }
  xml += "</ServiceProfile></IMSSubscription>";
  return xml;
}

UserAuthorizationAnswer Hss::handle(const UserAuthorizationRequest& uar) {
  UserAuthorizationAnswer uaa;
  const auto match = store_->find_impu(uar.public_identity);
  const Subscriber* s = store_->find_impi(uar.user_name);
  if (!match || s == nullptr) {
    uaa.result = results::kErrorUserUnknown;
  } else if (match->subscriber != s) {
    uaa.result = results::kErrorIdentitiesDontMatch;
  } else {
    const auto type = uar.authorization_type.value_or(UserAuthorizationType::kRegistration);
    const RegistrationState st = set_state(*s, match->set);
    const std::optional<std::string>& scscf = state(*s).scscf;
    switch (type) {
      case UserAuthorizationType::kRegistrationAndCapabilities:
        uaa.result = results::kFirstRegistration;
        uaa.server_capabilities = store_->capabilities();
        break;
      case UserAuthorizationType::kDeRegistration:
        if (st == RegistrationState::kNotRegistered) {
          uaa.result = results::kErrorIdentityNotRegistered;
        } else {
          uaa.result = results::kSuccess;
          uaa.server_name = scscf;
        }
        break;
      case UserAuthorizationType::kRegistration:
        if (st != RegistrationState::kNotRegistered && scscf) {
          uaa.result = results::kSubsequentRegistration;
          uaa.server_name = scscf;
        } else if (scscf) {
          uaa.result = results::kFirstRegistration;
          uaa.server_name = scscf;
        } else {
          uaa.result = results::kFirstRegistration;
          uaa.server_capabilities = store_->capabilities();
        }
        break;
    }
  }
  count("uaa", uaa.result);
  return uaa;
}

MultimediaAuthAnswer Hss::handle(const MultimediaAuthRequest& mar) {
  MultimediaAuthAnswer maa;
  const auto match = store_->find_impu(mar.public_identity);
  const Subscriber* s = store_->find_impi(mar.user_name);
  const std::string& scheme = mar.auth_data.scheme;
  if (!match || s == nullptr) {
    maa.result = results::kErrorUserUnknown;
  } else if (match->subscriber != s) {
    maa.result = results::kErrorIdentitiesDontMatch;
  } else if (!scheme.empty() && scheme != kSipDigestScheme && scheme != "Unknown") {
    maa.result = results::kErrorAuthSchemeNotSupported;
  } else {
    // TS 29.228 §6.3.1: with no S-CSCF assigned, the requesting one is stored now.
    SubscriberState& st = state(*s);
    if (!st.scscf || !any_set_active(*s)) {
      st.scscf = mar.server_name;
    }
    maa.result = results::kSuccess;
    maa.user_name = s->impi;
    maa.public_identity = mar.public_identity;
    maa.number_auth_items = 1;
    SipAuthDataItem item;
    item.item_number = 1;
    item.scheme = std::string(kSipDigestScheme);
    item.digest = SipDigestAuthenticate{s->realm, "auth", s->ha1, std::string("MD5")};
    maa.auth_data.push_back(std::move(item));
  }
  count("maa", maa.result);
  return maa;
}

ServerAssignmentAnswer Hss::handle(const ServerAssignmentRequest& sar) {
  ServerAssignmentAnswer saa;
  auto finish = [&saa]() -> ServerAssignmentAnswer {
    count("saa", saa.result);
    return saa;
  };

  std::vector<std::string> identities = sar.public_identities;
  if (sar.wildcarded_public_identity) {
    identities.push_back(*sar.wildcarded_public_identity);
  }
  const Subscriber* s = nullptr;
  std::vector<std::size_t> sets;
  std::string wildcard;
  for (const std::string& impu : identities) {
    const auto match = store_->find_impu(impu);
    if (!match) {
      saa.result = results::kErrorUserUnknown;
      return finish();
    }
    if (s != nullptr && match->subscriber != s) {
      saa.result = results::kErrorIdentitiesDontMatch;
      return finish();
    }
    s = match->subscriber;
    sets.push_back(match->set);
    if (wildcard.empty()) {
      wildcard = match->wildcard;
    }
  }
  if (sar.user_name) {
    const Subscriber* by_impi = store_->find_impi(*sar.user_name);
    if (by_impi == nullptr) {
      saa.result = results::kErrorUserUnknown;
      return finish();
    }
    if (s != nullptr && s != by_impi) {
      saa.result = results::kErrorIdentitiesDontMatch;
      return finish();
    }
    if (s == nullptr) {
      // No Public-Identity: the request is about every set of the private identity (§6.1.2).
      s = by_impi;
      for (std::size_t i = 0; i < s->implicit_sets.size(); ++i) {
        sets.push_back(i);
      }
    }
  }
  if (s == nullptr) {
    saa.result = results::kErrorUserUnknown;
    return finish();
  }

  SubscriberState& st = state(*s);
  const ServerAssignmentType type = sar.assignment_type;
  bool with_profile = false;
  switch (type) {
    case ServerAssignmentType::kRegistration:
    case ServerAssignmentType::kReRegistration:
      for (std::size_t set : sets) {
        set_set_state(*s, set, RegistrationState::kRegistered);
      }
      st.scscf = sar.server_name;
      with_profile = sar.user_data_already_available == UserDataAlreadyAvailable::kNotAvailable ||
                     type == ServerAssignmentType::kRegistration;
      break;
    case ServerAssignmentType::kUnregisteredUser:
      for (std::size_t set : sets) {
        if (set_state(*s, set) == RegistrationState::kNotRegistered) {
          set_set_state(*s, set, RegistrationState::kUnregistered);
        }
      }
      st.scscf = sar.server_name;
      with_profile = true;
      break;
    case ServerAssignmentType::kAuthenticationFailure:
    case ServerAssignmentType::kAuthenticationTimeout:
      if (!any_set_active(*s)) {
        st.scscf.reset();  // the S-CSCF stored at MAR time is released (§6.1.2)
      }
      break;
    case ServerAssignmentType::kNoAssignment:
      if (st.scscf != sar.server_name) {
        saa.result = results::kUnableToComply;
        return finish();
      }
      with_profile = true;
      break;
    default:
      if (!is_deregistration(type)) {
        saa.result = results::kErrorInAssignmentType;
        return finish();
      }
      for (std::size_t set : sets) {
        set_set_state(*s, set, RegistrationState::kNotRegistered);
      }
      if (type != ServerAssignmentType::kTimeoutDeregistrationStoreServerName &&
          type != ServerAssignmentType::kUserDeregistrationStoreServerName &&
          !any_set_active(*s)) {
        st.scscf.reset();
      }
      break;
  }
  saa.result = results::kSuccess;
  saa.user_name = s->impi;
  if (with_profile) {
    saa.user_data = user_data(*s, sets.front());
  }
  if (!wildcard.empty()) {
    saa.wildcarded_public_identity = wildcard;
  }
  if (!s->allowed_waf.empty() || !s->allowed_wwsf.empty()) {
    saa.allowed_waf_wwsf_identities = AllowedWafWwsfIdentities{s->allowed_waf, s->allowed_wwsf};
  }
  return finish();
}

LocationInfoAnswer Hss::handle(const LocationInfoRequest& lir) {
  LocationInfoAnswer lia;
  const auto match = store_->find_impu(lir.public_identity);
  if (!match) {
    lia.result = results::kErrorUserUnknown;
    count("lia", lia.result);
    return lia;
  }
  const Subscriber& s = *match->subscriber;
  const RegistrationState st = set_state(s, match->set);
  const std::optional<std::string>& scscf = state(s).scscf;
  if (st != RegistrationState::kNotRegistered && scscf) {
    lia.result = results::kSuccess;
    lia.server_name = scscf;
  } else if (lir.originating || s.unregistered_services) {
    if (scscf) {
      lia.result = results::kSuccess;
      lia.server_name = scscf;
    } else {
      lia.result = results::kUnregisteredService;
      lia.server_capabilities = store_->capabilities();
    }
  } else {
    lia.result = results::kErrorIdentityNotRegistered;
  }
  if (lia.result.success() && !match->wildcard.empty()) {
    lia.wildcarded_public_identity = match->wildcard;
  }
  count("lia", lia.result);
  return lia;
}

CxAnswer Hss::handle(const CxRequest& request) {
  return std::visit([this](const auto& r) -> CxAnswer { return handle(r); }, request);
}

void Hss::reload(std::shared_ptr<const SubscriberStore> store) {
  WIMPU_RELEASE_ASSERT(store != nullptr);
  store_ = std::move(store);
  // Drop the state of IMPIs and sets that are gone; keep the rest as it was.
  for (auto it = states_.begin(); it != states_.end();) {
    const Subscriber* s = store_->find_impi(it->first);
    if (s == nullptr) {
      it = states_.erase(it);
      continue;
    }
    for (auto set = it->second.sets.begin(); set != it->second.sets.end();) {
      bool present = false;
      for (const ImplicitSet& is : s->implicit_sets) {
        present = present || is.public_identities.front() == set->first;
      }
      set = present ? std::next(set) : it->second.sets.erase(set);
    }
    ++it;
  }
}

RegistrationState Hss::state_of(std::string_view impu) const {
  const auto match = store_->find_impu(impu);
  return match ? set_state(*match->subscriber, match->set) : RegistrationState::kNotRegistered;
}

std::optional<std::string> Hss::scscf_of(std::string_view impi) const {
  auto it = states_.find(impi);
  return it == states_.end() ? std::nullopt : it->second.scscf;
}

}  // namespace wimpu::hss
