#pragma once
// Wildcarded Public User Identities (TS 23.003 §13.4A/§13.5; requirements ): an IMPU
// whose user part holds a POSIX Extended Regular Expression between '!' delimiters, e.g.
// "sip:+1555000!.*!@block.example". Text outside the delimiters is literal.
#include <memory>
#include <string>
#include <string_view>

#include "wimpu/common/expected.hpp"

namespace wimpu::hss {

/// A compiled wildcarded identity. Move-only; immutable after compile(). matches() may be called
/// from several threads (regexec on one compiled pattern is thread-safe in glibc).
class WildcardPattern {
public:
  /// Compiles `wildcarded` into one anchored ERE: literal parts escaped, each "!re!" part kept as
  /// a parenthesized group, "^...$" around the whole (so "!.*!" cannot match across the '@').
  /// Errors (start-up/reload only): no '!' at all, an odd number of '!', an empty "!!" part, or a
  /// part regcomp(REG_EXTENDED) rejects. The error text says which.
  static wimpu::Expected<WildcardPattern, std::string> compile(std::string_view wildcarded);

  /// True when `impu` contains the '!' delimiter (TS 23.003 §13.5), i.e. is a wildcarded identity.
  static bool is_wildcarded(std::string_view impu) {
    return impu.find('!') != std::string_view::npos;
  }

  /// True when the whole of `impu` matches. Never throws; a regexec failure counts as no match.
  bool matches(std::string_view impu) const;

  /// The wildcarded identity as configured (what goes into Wildcarded-Public-Identity).
  const std::string& text() const { return text_; }
  /// The ERE given to regcomp (for logs and tests).
  const std::string& regex() const { return regex_; }

  WildcardPattern(WildcardPattern&&) noexcept;
  WildcardPattern& operator=(WildcardPattern&&) noexcept;
  ~WildcardPattern();

private:
  struct Compiled;
  WildcardPattern(std::string text, std::string regex, std::unique_ptr<Compiled> compiled);

  std::string text_;
  std::string regex_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace wimpu::hss
