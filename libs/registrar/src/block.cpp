#include "wimpu/registrar/block.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_set>

namespace wimpu::registrar {
namespace {

constexpr std::size_t kMaxListSize = 100'000;  // a list block is configured in one FCALL
constexpr std::uint32_t kMaxDigits = 15;       // E.164 (ITU-T E.164 §6), exact in Lua doubles
constexpr std::uint64_t kMaxBlockSize = 0xfffffff0;  // indices are 32-bit in the memory store

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

char lower_char(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_char(a[i]) != lower_char(b[i])) {
      return false;
    }
  }
  return true;
}

// A number as the range uses it: optional '+', then 1..15 digits.
struct Number {
  bool plus = false;
  std::uint32_t width = 0;
  std::uint64_t value = 0;
};

std::optional<Number> parse_number(std::string_view s) {
  Number n;
  if (!s.empty() && s.front() == '+') {
    n.plus = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > kMaxDigits ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  n.width = static_cast<std::uint32_t>(s.size());
  std::from_chars(s.data(), s.data() + s.size(), n.value);
  return n;
}

// The parts of a sip:/tel: URI that IMPU comparison uses, without allocating: the user part
// (sip) or number (tel), and the host (sip only). RFC 3261 §19.1.1: userinfo '@' hostport, then
// uri-parameters and headers; RFC 3966 §3: the number ends at the first parameter.
struct UriParts {
  bool ok = false;
  bool sip = false;
  std::string_view user;
  std::string_view host;
};

std::string_view until_params(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ';' || s[i] == '?') {
      return s.substr(0, i);
    }
  }
  return s;
}

UriParts split_uri(std::string_view uri) {
  UriParts p;
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    return p;
  }
  const std::string_view scheme = uri.substr(0, colon);
  const std::string_view rest = uri.substr(colon + 1);
  if (iequals(scheme, "tel")) {
    p.user = until_params(rest);
    p.ok = !p.user.empty();
  } else if (iequals(scheme, "sip")) {
    const auto at = rest.find('@');
    if (at == std::string_view::npos || at == 0) {
      return p;
    }
    p.sip = true;
    p.user = rest.substr(0, at);
    p.host = until_params(rest.substr(at + 1));
    p.ok = !p.host.empty();
  }
  return p;
}

std::string number_string(const Block& b, std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out = b.plus ? "+" : "";
  out.append(b.width - std::min<std::size_t>(b.width, digits.size()), '0');
  out += digits;
  return out;
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

[[noreturn]] void bad(const std::string& id, const std::string& what) {
  throw std::invalid_argument("wIMPU block '" + id + "': " + what);
}

}  // namespace

std::string canonical_impu(std::string_view uri) {
  const UriParts p = split_uri(uri);
  if (!p.ok) {
    return {};
  }
  // The user part is compared as is (case-sensitive, RFC 3261 §19.1.4); the host is not.
  return p.sip ? "sip:" + std::string(p.user) + "@" + lower(p.host) : "tel:" + std::string(p.user);
}

std::string Block::render(std::uint64_t index) const {
  if (!is_range) {
    return list[index];
  }
  const std::string num = number_string(*this, first + index);
  return config.render_sip ? "sip:" + num + "@" + config.domains.front() : "tel:" + num;
}

std::vector<std::string> Block::aliases(std::uint64_t index) const {
  if (is_range && config.render_sip && config.render_tel) {
    return {"tel:" + number_string(*this, first + index)};
  }
  return {};
}

void Block::render_into(std::uint64_t index, std::string& impu,
                        std::vector<std::string>& aliases) const {
  if (!is_range || width > 40) {  // (configured widths are far shorter; stay correct anyway)
    impu.assign(render(index));
    aliases = this->aliases(index);
    return;
  }
  // The number, right-aligned and zero-padded to `width` digits, in a stack buffer.
  char digits[48];
  char* end = digits + sizeof digits;
  char* p = end;
  std::uint64_t v = first + index;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && p > digits);
  while (static_cast<std::size_t>(end - p) < width && p > digits) {
    *--p = '0';
  }
  if (plus) {
    *--p = '+';
  }
  const std::string_view num(p, static_cast<std::size_t>(end - p));
  if (config.render_sip) {
    impu.assign("sip:").append(num).append("@").append(config.domains.front());
  } else {
    impu.assign("tel:").append(num);
  }
  if (config.render_sip && config.render_tel) {
    aliases.resize(1);
    aliases[0].assign("tel:").append(num);
  } else {
    aliases.clear();
  }
}

BlockSet::BlockSet(std::vector<BlockConfig> configs) {
  std::unordered_set<std::string> ids;
  for (auto& cfg : configs) {
    auto b = std::make_unique<Block>();
    const std::string id = cfg.id;
    if (!valid_id(id)) {
      bad(id, "id must match [A-Za-z0-9_.-]{1,64}");
    }
    if (!ids.insert(id).second) {
      bad(id, "duplicate block id");
    }
    for (auto& d : cfg.domains) {
      d = lower(d);
      if (d.empty() || d.find_first_of(",;@ ") != std::string::npos) {
        bad(id, "invalid domain '" + d + "'");
      }
    }
    if (cfg.max_contacts == 0 || cfg.max_contacts > 256) {
      bad(id, "max_contacts must be 1..256");
    }
    if (cfg.quarantine.count() < 0) {
      bad(id, "quarantine must not be negative");
    }
    const bool has_range = !cfg.range_first.empty() || !cfg.range_last.empty();
    if (has_range == !cfg.impus.empty()) {
      bad(id, "give either range_first/range_last or impus");
    }
    if (has_range) {
      const auto f = parse_number(cfg.range_first);
      const auto l = parse_number(cfg.range_last);
      if (!f || !l || f->plus != l->plus || f->width != l->width || f->value > l->value) {
        bad(id, "range must be two numbers of the same form, first <= last");
      }
      if (!cfg.render_sip && !cfg.render_tel) {
        bad(id, "a range renders as sip, tel or both");
      }
      if (cfg.render_sip && cfg.domains.empty()) {
        bad(id, "sip rendering needs a domain");
      }
      b->plus = f->plus;
      b->width = f->width;
      b->first = f->value;
      b->size = l->value - f->value + 1;
      if (b->size > kMaxBlockSize) {
        bad(id, "range too large");
      }
      if (cfg.wildcard.empty()) {
        // TS 23.003 §13.5: the wildcarded part is a regular expression between '!'.
        std::size_t common = 0;
        while (common < cfg.range_first.size() &&
               cfg.range_first[common] == cfg.range_last[common]) {
          ++common;
        }
        const std::string prefix = cfg.range_first.substr(0, common);
        cfg.wildcard = cfg.render_sip ? "sip:" + prefix + "!.*!@" + cfg.domains.front()
                                      : "tel:" + prefix + "!.*!";
      }
    } else {
      b->is_range = false;
      if (cfg.impus.size() > kMaxListSize) {
        bad(id, "explicit list too long");
      }
      std::unordered_set<std::string> seen;
      for (const auto& u : cfg.impus) {
        std::string c = canonical_impu(u);
        if (c.empty() || c.size() > kMaxFieldBytes) {
          bad(id, "'" + u + "' is not a sip: or tel: URI");
        }
        if (!seen.insert(c).second) {
          bad(id, "duplicate IMPU '" + u + "'");
        }
        b->list.push_back(std::move(c));
      }
      b->size = b->list.size();
    }
    b->config = std::move(cfg);
    b->ordinal = blocks_.size();
    blocks_.push_back(std::move(b));
  }
  // Ranges may not overlap: an IMPU (and its tel: form) must resolve to exactly one block.
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& a = *blocks_[i];
    for (std::size_t j = i + 1; a.is_range && j < blocks_.size(); ++j) {
      const Block& c = *blocks_[j];
      if (c.is_range && a.plus == c.plus && a.width == c.width && a.first < c.first + c.size &&
          c.first < a.first + a.size) {
        bad(c.config.id, "range overlaps block '" + a.config.id + "'");
      }
    }
  }
  for (const auto& b : blocks_) {
    for (std::uint64_t i = 0; i < b->list.size(); ++i) {
      if (resolve(b->list[i])) {
        bad(b->config.id, "IMPU '" + b->list[i] + "' is in two blocks");
      }
      listed_.emplace(b->list[i], ResolvedImpu{b.get(), i});
    }
  }
}

const Block* BlockSet::find(std::string_view id) const {
  for (const auto& b : blocks_) {
    if (b->config.id == id) {
      return b.get();
    }
  }
  return nullptr;
}

W4Result<ResolvedImpu> BlockSet::resolve(std::string_view impu) const {
  // The hot path of every lookup: no allocation unless explicit lists are configured.
  const UriParts p = split_uri(impu);
  if (!p.ok) {
    return W4Error::kUnknownImpu;
  }
  if (!listed_.empty()) {
    if (const auto it = listed_.find(canonical_impu(impu)); it != listed_.end()) {
      return it->second;
    }
  }
  const auto n = parse_number(p.user);
  if (!n) {
    return W4Error::kUnknownImpu;
  }
  for (const auto& b : blocks_) {
    if (!b->is_range || b->plus != n->plus || b->width != n->width || n->value < b->first ||
        n->value - b->first >= b->size) {
      continue;
    }
    if (p.sip && std::none_of(b->config.domains.begin(), b->config.domains.end(),
                              [&](const std::string& d) { return iequals(d, p.host); })) {
      continue;
    }
    return ResolvedImpu{b.get(), n->value - b->first};
  }
  return W4Error::kUnknownImpu;
}

}  // namespace wimpu::registrar
