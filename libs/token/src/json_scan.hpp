#pragma once
// A strict RFC 8259 scanner that drives a SAX handler with exactly the events (and event
// arguments) nlohmann::json::sax_parse produces, at a fraction of the cost: no per-character
// virtual-free-but-generic input adapter, no token_string copy, bulk copies of plain string runs.
// JOSE headers and claims are small flat objects parsed on every fresh token (issue 4: parsing must
// cost under 10% of a signature check). The fuzzer checks it event for event against nlohmann
// (token_parse_fuzz), so the two can never disagree on what a token says.
//
// Differences from nlohmann, both stricter: a leading UTF-8 BOM is refused (RFC 8259 §8.1 lets a
// parser ignore it; a JWS segment never carries one), and nesting deeper than kMaxScanDepth fails.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include <locale.h>

#include "wimpu/common/hex.hpp"

namespace wimpu::token::jose {

inline constexpr int kMaxScanDepth = 64;

/// Parses `in` as one JSON value followed only by whitespace, calling `h` like nlohmann's SAX
/// interface (start_object(size_t(-1)), key, string, number_integer/unsigned/float, boolean,
/// null, end_object, start_array, end_array). Stops and returns false on the first syntax error or
/// when a handler method returns false.
template <class Handler>
class JsonScanner {
public:
  JsonScanner(std::string_view in, Handler& h) : p_(in.data()), end_(in.data() + in.size()), h_(h) {}

  bool run() {
    skip_ws();
    if (!value(0)) {
      return false;
    }
    skip_ws();
    return p_ == end_;
  }

private:
  static constexpr std::size_t kUnknownSize = static_cast<std::size_t>(-1);

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool value(int depth) {
    if (p_ == end_ || depth > kMaxScanDepth) {
      return false;
    }
    switch (*p_) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        ++p_;
        return string(buf_) && h_.string(buf_);
      case 't':
        return literal("true") && h_.boolean(true);
      case 'f':
        return literal("false") && h_.boolean(false);
      case 'n':
        return literal("null") && h_.null();
      default:
        return number();
    }
  }

  bool object(int depth) {
    ++p_;
    if (!h_.start_object(kUnknownSize)) {
      return false;
    }
    skip_ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return h_.end_object();
    }
    for (;;) {
      if (p_ == end_ || *p_ != '"') {
        return false;
      }
      ++p_;
      if (!string(buf_) || !h_.key(buf_)) {
        return false;
      }
      skip_ws();
      if (p_ == end_ || *p_ != ':') {
        return false;
      }
      ++p_;
      skip_ws();
      if (!value(depth + 1)) {
        return false;
      }
      skip_ws();
      if (p_ == end_) {
        return false;
      }
      if (*p_ == '}') {
        ++p_;
        return h_.end_object();
      }
      if (*p_ != ',') {
        return false;
      }
      ++p_;
      skip_ws();
    }
  }

  bool array(int depth) {
    ++p_;
    if (!h_.start_array(kUnknownSize)) {
      return false;
    }
    skip_ws();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return h_.end_array();
    }
    for (;;) {
      if (!value(depth + 1)) {
        return false;
      }
      skip_ws();
      if (p_ == end_) {
        return false;
      }
      if (*p_ == ']') {
        ++p_;
        return h_.end_array();
      }
      if (*p_ != ',') {
        return false;
      }
      ++p_;
      skip_ws();
    }
  }

  // Reads the 4 hex digits after "\u"; -1 on error.
  long hex4() {
    if (end_ - p_ < 4) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = common::hex_digit_value(p_[i]);
      if (d < 0) {
        return -1;
      }
      v = (v << 4) | d;
    }
    p_ += 4;
    return v;
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // One well-formed UTF-8 sequence starting at p_ (RFC 3629 §4 table), appended to `out`.
  bool utf8_sequence(std::string& out) {
    const auto b = [this](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    const auto in = [](unsigned char c, unsigned char lo, unsigned char hi) {
      return c >= lo && c <= hi;
    };
    const unsigned char c = b(0);
    const std::ptrdiff_t left = end_ - p_;
    std::ptrdiff_t n = 0;
    if (in(c, 0xc2, 0xdf)) {
      n = left >= 2 && in(b(1), 0x80, 0xbf) ? 2 : 0;
    } else if (c == 0xe0) {
      n = left >= 3 && in(b(1), 0xa0, 0xbf) && in(b(2), 0x80, 0xbf) ? 3 : 0;
    } else if (in(c, 0xe1, 0xec) || in(c, 0xee, 0xef)) {
      n = left >= 3 && in(b(1), 0x80, 0xbf) && in(b(2), 0x80, 0xbf) ? 3 : 0;
    } else if (c == 0xed) {
      n = left >= 3 && in(b(1), 0x80, 0x9f) && in(b(2), 0x80, 0xbf) ? 3 : 0;
    } else if (c == 0xf0) {
      n = left >= 4 && in(b(1), 0x90, 0xbf) && in(b(2), 0x80, 0xbf) && in(b(3), 0x80, 0xbf) ? 4 : 0;
    } else if (in(c, 0xf1, 0xf3)) {
      n = left >= 4 && in(b(1), 0x80, 0xbf) && in(b(2), 0x80, 0xbf) && in(b(3), 0x80, 0xbf) ? 4 : 0;
    } else if (c == 0xf4) {
      n = left >= 4 && in(b(1), 0x80, 0x8f) && in(b(2), 0x80, 0xbf) && in(b(3), 0x80, 0xbf) ? 4 : 0;
    }
    if (n == 0) {
      return false;
    }
    out.append(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  // The body of a string whose opening quote is consumed; decoded into `out`.
  bool string(std::string& out) {
    out.clear();
    for (;;) {
      const char* run = p_;
      while (p_ < end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
          break;
        }
        ++p_;
      }
      out.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) {
        return false;
      }
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) {
        return false;  // RFC 8259 §7: control characters must be escaped
      }
      if (c >= 0x80) {
        if (!utf8_sequence(out)) {
          return false;
        }
        continue;
      }
      // Backslash escape (RFC 8259 §7).
      if (++p_ == end_) {
        return false;
      }
      const char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          long cp = hex4();
          if (cp < 0) {
            return false;
          }
          if (cp >= 0xd800 && cp <= 0xdbff) {
            // A high surrogate must be followed by an escaped low surrogate (RFC 8259 §7).
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
              return false;
            }
            p_ += 2;
            const long low = hex4();
            if (low < 0xdc00 || low > 0xdfff) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return false;
          }
          put_utf8(out, static_cast<std::uint32_t>(cp));
          break;
        }
        default:
          return false;
      }
    }
  }

  // RFC 8259 §6 number, reported like nlohmann: an integer that fits goes to number_integer
  // (negative) or number_unsigned; anything else is a double (non-finite is an error).
  bool number() {
    const char* start = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) {
      ++p_;
    }
    if (p_ == end_ || *p_ < '0' || *p_ > '9') {
      return false;
    }
    std::uint64_t magnitude = 0;
    bool overflow = false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        const auto d = static_cast<std::uint64_t>(*p_ - '0');
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
          overflow = true;
        }
        magnitude = magnitude * 10 + d;
        ++p_;
      }
    }
    bool is_float = false;
    if (p_ < end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (!digits()) {
        return false;
      }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (!digits()) {
        return false;
      }
    }
    if (!is_float && !overflow) {
      constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;
      if (!negative) {
        return h_.number_unsigned(magnitude);
      }
      if (magnitude <= kMinMagnitude) {
        return h_.number_integer(static_cast<std::int64_t>(std::uint64_t{0} - magnitude));
      }
    }
    text_.assign(start, p_);
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", nullptr);
    const double d = strtod_l(text_.c_str(), nullptr, c_locale);
    if (!std::isfinite(d)) {
      return false;
    }
    return h_.number_float(d, text_);
  }

  bool digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      ++p_;
    }
    return p_ != start;
  }

  const char* p_;
  const char* end_;
  Handler& h_;
  std::string buf_;
  std::string text_;
};

}  // namespace wimpu::token::jose
