#include "wimpu/hss/subscriber_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace wimpu::hss {
namespace {

using StoreResult = wimpu::Expected<std::shared_ptr<const SubscriberStore>, std::string>;

bool is_hex32(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads an array of strings; false when the key holds something else.
bool read_strings(const toml::table& t, std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    return true;
  }
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    return false;
  }
  for (const toml::node& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      return false;
    }
    out.push_back(s->get());
  }
  return true;
}

bool read_numbers(const toml::table& t, std::string_view key, std::vector<std::uint32_t>& out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    return true;
  }
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    return false;
  }
  for (const toml::node& item : *arr) {
    const auto* n = item.as_integer();
    if (n == nullptr || n->get() < 0 || n->get() > 0xffffffffLL) {
      return false;
    }
    out.push_back(static_cast<std::uint32_t>(n->get()));
  }
  return true;
}

}  // namespace

StoreResult SubscriberStore::parse(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "subscribers: " << e.description() << " at line " << e.source().begin.line;
    return msg.str();
  }
  auto store = std::make_shared<SubscriberStore>();
  if (const toml::table* caps = root["capabilities"].as_table()) {
    if (!read_numbers(*caps, "mandatory", store->capabilities_.mandatory) ||
        !read_numbers(*caps, "optional", store->capabilities_.optional) ||
        !read_strings(*caps, "server_names", store->capabilities_.server_names)) {
      return std::string("subscribers: [capabilities] mandatory/optional must be arrays of "
                         "integers, server_names an array of strings");
    }
  }
  const toml::array* subs = root["subscriber"].as_array();
  if (subs == nullptr) {
    return std::string("subscribers: no [[subscriber]] entries");
  }
  for (const toml::node& node : *subs) {
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      return std::string("subscribers: [[subscriber]] must be tables");
    }
    Subscriber s;
    s.impi = (*t)["impi"].value_or(std::string());
    const std::string where = "subscriber '" + s.impi + "'";
    s.realm = (*t)["realm"].value_or(std::string());
    s.ha1 = lower((*t)["ha1"].value_or(std::string()));
    s.unregistered_services = (*t)["unregistered_services"].value_or(false);
    if (s.impi.empty() || s.realm.empty()) {
      return "subscribers: " + where + ": impi and realm are required";
    }
    if (!is_hex32(s.ha1)) {
      return "subscribers: " + where + ": ha1 must be 32 hex digits (MD5(impi:realm:password))";
    }
    if (!read_strings(*t, "allowed_wwsf", s.allowed_wwsf) ||
        !read_strings(*t, "allowed_waf", s.allowed_waf)) {
      return "subscribers: " + where + ": allowed_wwsf/allowed_waf must be arrays of strings";
    }
    const toml::array* sets = (*t)["implicit_set"].as_array();
    if (sets == nullptr || sets->empty()) {
      return "subscribers: " + where + ": at least one [[subscriber.implicit_set]] is required";
    }
    for (const toml::node& set_node : *sets) {
      const toml::table* st = set_node.as_table();
      ImplicitSet set;
      if (st == nullptr || !read_strings(*st, "public_identities", set.public_identities) ||
          set.public_identities.empty()) {
        return "subscribers: " + where + ": implicit_set needs a non-empty public_identities";
      }
      s.implicit_sets.push_back(std::move(set));
    }
    store->subscribers_.push_back(std::move(s));
  }

  // Indexes, and the uniqueness rules.
  for (std::size_t i = 0; i < store->subscribers_.size(); ++i) {
    const Subscriber& s = store->subscribers_[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (store->subscribers_[j].impi == s.impi) {
        return "subscribers: duplicate impi '" + s.impi + "'";
      }
    }
    for (std::size_t k = 0; k < s.implicit_sets.size(); ++k) {
      for (const std::string& impu : s.implicit_sets[k].public_identities) {
        store->exact_.push_back(Exact{impu, i, k});
        if (WildcardPattern::is_wildcarded(impu)) {
          auto pattern = WildcardPattern::compile(impu);
          if (!pattern) {
            return "subscribers: " + pattern.error();
          }
          store->wildcards_.push_back(Wildcard{std::move(*pattern), i, k});
        }
      }
    }
  }
  std::sort(store->exact_.begin(), store->exact_.end(),
            [](const Exact& a, const Exact& b) { return a.impu < b.impu; });
  for (std::size_t i = 1; i < store->exact_.size(); ++i) {
    if (store->exact_[i].impu == store->exact_[i - 1].impu) {
      return "subscribers: public identity '" + store->exact_[i].impu + "' listed twice";
    }
  }
  return std::shared_ptr<const SubscriberStore>(std::move(store));
}

StoreResult SubscriberStore::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return "subscribers: cannot read " + path.string();
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str());
}

std::optional<ImpuMatch> SubscriberStore::find_impu(std::string_view impu) const {
  auto it = std::lower_bound(exact_.begin(), exact_.end(), impu,
                             [](const Exact& e, std::string_view v) { return e.impu < v; });
  if (it != exact_.end() && it->impu == impu) {
    // A wildcarded identity asked for literally (e.g. in SAR) still reports itself as such.
    std::string wildcard = WildcardPattern::is_wildcarded(impu) ? std::string(impu) : std::string();
    return ImpuMatch{&subscribers_[it->subscriber], it->set, std::move(wildcard)};
  }
  for (const Wildcard& w : wildcards_) {
    if (w.pattern.matches(impu)) {
      return ImpuMatch{&subscribers_[w.subscriber], w.set, w.pattern.text()};
    }
  }
  return std::nullopt;
}

const Subscriber* SubscriberStore::find_impi(std::string_view impi) const {
  for (const Subscriber& s : subscribers_) {
    if (s.impi == impi) {
      return &s;
    }
  }
  return nullptr;
}

std::string digest_ha1(std::string_view user, std::string_view realm, std::string_view password) {
  std::string input;
  input.append(user).append(":").append(realm).append(":").append(password);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

}  // namespace wimpu::hss
