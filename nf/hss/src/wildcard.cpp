#include "wimpu/hss/wildcard.hpp"

#include <regex.h>

#include "wimpu/common/counter.hpp"

namespace wimpu::hss {

struct WildcardPattern::Compiled {
  regex_t re{};
  bool ok = false;  // regfree only what regcomp built
  ~Compiled() {
    if (ok) {
      regfree(&re);
    }
  }
};

WildcardPattern::WildcardPattern(std::string text, std::string regex,
                                 std::unique_ptr<Compiled> compiled)
    : text_(std::move(text)), regex_(std::move(regex)), compiled_(std::move(compiled)) {}

WildcardPattern::~WildcardPattern() = default;
WildcardPattern::WildcardPattern(WildcardPattern&&) noexcept = default;
WildcardPattern& WildcardPattern::operator=(WildcardPattern&&) noexcept = default;

namespace {

void append_literal(std::string& out, std::string_view literal) {
  for (char c : literal) {
    switch (c) {
      case '.': case '[': case ']': case '{': case '}': case '(': case ')': case '\\':
      case '*': case '+': case '?': case '^': case '$': case '|':
        out += '\\';
        break;
      default: break;
    }
    out += c;
  }
}

}  // namespace

wimpu::Expected<WildcardPattern, std::string> WildcardPattern::compile(std::string_view wildcarded) {
  if (!is_wildcarded(wildcarded)) {
    return std::string("not a wildcarded identity (no '!'): ") + std::string(wildcarded);
  }
  std::string regex = "^";
  bool inside = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= wildcarded.size(); ++i) {
    if (i < wildcarded.size() && wildcarded[i] != '!') {
      continue;
    }
    const std::string_view part = wildcarded.substr(start, i - start);
    if (inside) {
      if (part.empty()) {
        return std::string("empty regular expression between '!' in ") + std::string(wildcarded);
      }
      regex += '(';
      regex += part;
      regex += ')';
    } else {
      append_literal(regex, part);
    }
    if (i == wildcarded.size()) {
      break;
    }
    inside = !inside;
    start = i + 1;
  }
  if (inside) {
    return std::string("unbalanced '!' in ") + std::string(wildcarded);
  }
  regex += '$';
  auto compiled = std::make_unique<Compiled>();
  if (const int rc = regcomp(&compiled->re, regex.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
    char why[256];
    regerror(rc, &compiled->re, why, sizeof why);
    return std::string("bad regular expression in ") + std::string(wildcarded) + ": " + why;
  }
  compiled->ok = true;
  return WildcardPattern(std::string(wildcarded), std::move(regex), std::move(compiled));
}

bool WildcardPattern::matches(std::string_view impu) const {
  const std::string text(impu);  // regexec needs a NUL-terminated string
  const int rc = regexec(&compiled_->re, text.c_str(), 0, nullptr, 0);
  if (rc != 0 && rc != REG_NOMATCH) {
    common::counter("hss.wildcard.regexec_error").inc();
  }
  return rc == 0;
}

}  // namespace wimpu::hss
