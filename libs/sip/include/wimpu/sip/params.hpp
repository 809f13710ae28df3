#pragma once
// Views over ";name=value" parameter lists (URI parameters RFC 3261 §19.1.1, header generic-params
// §25.1). A ParamList is a non-owning view into text that a parser already validated; lookups
// re-scan that text, which is cheaper than materialising a container per header on the hot path.
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace wimpu::sip {

/// One parameter. `value` is the raw text after '=' (a quoted-string keeps its quotes and
/// escapes; URI parameters keep their %-escapes); empty with has_value=false for "name" alone.
struct Param {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

/// A validated parameter list, as text starting with ';' (or empty). Non-owning: valid as long as
/// the text it views (usually a Message's buffer). Trivially copyable. Thread-safe to read.
class ParamList {
public:
  /// URI parameters allow no whitespace; header parameters allow LWS around ';' and '='.
  enum class Kind : std::uint8_t { kUri, kHeader };

  /// Forward iterator over the parameters, in order.
  class Iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Param;
    using difference_type = std::ptrdiff_t;
    using pointer = const Param*;
    using reference = const Param&;

    Iterator() = default;
    reference operator*() const { return current_; }
    pointer operator->() const { return &current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    Iterator operator++(int) {
      Iterator tmp = *this;
      advance();
      return tmp;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.rest_.data() == b.rest_.data() && a.done_ == b.done_;
    }

  private:
    friend class ParamList;
    Iterator(std::string_view rest, Kind kind) : rest_(rest), kind_(kind) { advance(); }
    void advance();

    std::string_view rest_;
    Param current_;
    Kind kind_ = Kind::kUri;
    bool done_ = true;
  };

  ParamList() = default;
  /// `text` must be empty or start with ';' and must have been validated by a parser of this
  /// library (iteration assumes well-formed text and never reads outside it).
  ParamList(std::string_view text, Kind kind) : text_(text), kind_(kind) {}

  /// The raw text, ";a=b;c" (with any LWS as received).
  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }
  Kind kind() const { return kind_; }

  Iterator begin() const { return Iterator(text_, kind_); }
  Iterator end() const {
    Iterator it;
    it.rest_ = text_.substr(text_.size());
    it.done_ = true;
    return it;
  }

  /// First parameter whose name equals `name` case-insensitively (RFC 3261 §7.3.1), if any.
  std::optional<Param> find(std::string_view name) const;
  /// True when a parameter `name` is present (with or without value).
  bool has(std::string_view name) const { return find(name).has_value(); }
  /// Raw value of `name`; empty view when absent or valueless. Use find() to tell them apart.
  std::string_view value(std::string_view name) const;

private:
  std::string_view text_;
  Kind kind_ = Kind::kUri;
};

/// Validates a parameter list (`text` empty or starting with ';') of the given kind and returns
/// the number of bytes of `text` it spans (it stops before a character that cannot continue the
/// list, e.g. ',' or '>' or '?'). Returns std::nullopt on a syntax error (e.g. ";;", ";=x",
/// unterminated quoted-string). Header params: name = token, value = token / host / quoted-string
/// (RFC 3261 §25.1 generic-param). URI params: paramchar and %-escapes (§19.1.1).
std::optional<std::size_t> scan_params(std::string_view text, ParamList::Kind kind) noexcept;

/// Removes the surrounding quotes of a quoted-string and resolves its quoted-pairs
/// (RFC 3261 §25.1); returns `v` unchanged when it is not quoted. Appends to `out`.
void append_unquoted(std::string_view v, std::string& out);

/// The text between the quotes of a quoted-string, without resolving quoted-pairs (cheap, no copy;
/// fine for values that cannot contain '\\', such as +sip.instance URNs). Returns `v` unchanged
/// when it is not quoted.
std::string_view strip_quotes(std::string_view v) noexcept;

}  // namespace wimpu::sip
