#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "wimpu/common/utf8.hpp"

namespace wimpu::common {
namespace {

// RFC 3629 §3: the one shortest encoding of a scalar value.
std::string encode(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// A deliberately different, obviously correct reference: decode each sequence loosely by its
// lead octet's bit pattern, then accept it only when the value is a Unicode scalar value and
// re-encoding it gives back exactly the same octets (which rules out every overlong form).
bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if (c >= 0xC0 && c < 0xE0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c < 0xF0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c < 0xF8) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i < len) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if (cc < 0x80 || cc > 0xBF) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || encode(cp) != s.substr(i, len)) {
      return false;
    }
    i += len;
  }
  return true;
}

struct Golden {
  std::string_view name;
  std::string_view text;
  bool valid;
};

// RFC 3629 §4 and §10 plus Markus Kuhn's classic decoder stress cases.
constexpr std::array kGolden = {
    Golden{"empty", "", true},
    Golden{"ascii", "sip:+15550001@block.example", true},
    Golden{"nul", std::string_view("\0", 1), true},
    Golden{"two three four octets", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", true},
    Golden{"U+0080 smallest 2-octet", "\xC2\x80", true},
    Golden{"U+07FF largest 2-octet", "\xDF\xBF", true},
    Golden{"U+0800 smallest 3-octet", "\xE0\xA0\x80", true},
    Golden{"U+D7FF below surrogates", "\xED\x9F\xBF", true},
    Golden{"U+E000 above surrogates", "\xEE\x80\x80", true},
    Golden{"U+FFFF noncharacter is still UTF-8", "\xEF\xBF\xBF", true},
    Golden{"U+10000 smallest 4-octet", "\xF0\x90\x80\x80", true},
    Golden{"U+10FFFF largest", "\xF4\x8F\xBF\xBF", true},
    Golden{"BOM", "\xEF\xBB\xBF", true},
    Golden{"lone continuation", "\x80", false},
    Golden{"continuation after ascii", "abcdefgh\xBF", false},
    Golden{"truncated 2-octet", "\xC3", false},
    Golden{"truncated 3-octet", "\xE2\x82", false},
    Golden{"truncated 4-octet", "\xF0\x9F\x98", false},
    Golden{"truncated after 8 ascii", "abcdefgh\xF0\x9F\x98", false},
    Golden{"lead then ascii", "\xC3" "A", false},
    Golden{"overlong / in 2", "\xC0\xAF", false},
    Golden{"overlong NUL in 2", "\xC0\x80", false},
    Golden{"overlong C1", "\xC1\xBF", false},
    Golden{"overlong / in 3", "\xE0\x80\xAF", false},
    Golden{"overlong U+07FF in 3", "\xE0\x9F\xBF", false},
    Golden{"overlong / in 4", "\xF0\x80\x80\xAF", false},
    Golden{"overlong U+FFFF in 4", "\xF0\x8F\xBF\xBF", false},
    Golden{"high surrogate U+D800", "\xED\xA0\x80", false},
    Golden{"low surrogate U+DFFF", "\xED\xBF\xBF", false},
    Golden{"CESU-8 pair", "\xED\xA0\xBD\xED\xB8\x80", false},
    Golden{"U+110000", "\xF4\x90\x80\x80", false},
    Golden{"F5 lead", "\xF5\x80\x80\x80", false},
    Golden{"5-octet form", "\xF8\x88\x80\x80\x80", false},
    Golden{"6-octet form", "\xFC\x84\x80\x80\x80\x80", false},
    Golden{"FE", "\xFE", false},
    Golden{"FF", "\xFF", false},
    Golden{"bad third octet", "\xE2\x82" "A", false},
    Golden{"bad fourth octet", "\xF0\x9F\x98" "A", false},
};

TEST(Utf8, GoldenCases) {
  for (const Golden& g : kGolden) {
    EXPECT_EQ(is_valid_utf8(g.text), g.valid) << g.name;
    EXPECT_EQ(reference_valid(g.text), g.valid) << "reference: " << g.name;
    // Behind a run of ASCII the word-at-a-time path hands over to the octet-wise one.
    const std::string padded = "0123456789abcdef" + std::string(g.text);
    EXPECT_EQ(is_valid_utf8(padded), g.valid) << "padded: " << g.name;
  }
}

// The 32-octet (SSE2) and 8-octet ASCII blocks hand over to the octet-wise checks wherever the
// first non-ASCII octet falls: each golden case at every offset 0..71 of an ASCII run, followed by
// ASCII, must give the reference's answer (the run after the case is ASCII, so a truncated
// sequence becomes a bad continuation octet: still invalid).
TEST(Utf8, GoldenCasesAtEveryOffsetOfALongAsciiRun) {
  for (const Golden& g : kGolden) {
    for (std::size_t offset = 0; offset < 72; ++offset) {
      const std::string s = std::string(offset, 'a') + std::string(g.text) + std::string(40, 'z');
      ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << g.name << " at " << offset;
      const std::string at_end = std::string(offset, 'a') + std::string(g.text);
      ASSERT_EQ(is_valid_utf8(at_end), g.valid) << g.name << " at the end after " << offset;
    }
  }
}

TEST(Utf8, LongAsciiIsValidAndOneHighOctetAnywhereIsNot) {
  std::string s(200, 'a');
  EXPECT_TRUE(is_valid_utf8(s));
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = '\x80';
    ASSERT_FALSE(is_valid_utf8(s)) << i;
    s[i] = 'a';
  }
}

// The ASCII block scan reads 32, then 8, then 1 octet at a time: a high bit at every position of
// every length up to 100 is seen, and a long ASCII prefix does not hide bad or good UTF-8 after it.
TEST(Utf8, AHighBitAtEveryPositionOfEveryShortLengthIsSeen) {
  for (std::size_t len = 0; len <= 100; ++len) {
    std::string s(len, 'a');
    EXPECT_TRUE(is_valid_utf8(s)) << len;
    for (std::size_t at = 0; at < len; ++at) {
      std::string t = s;
      t[at] = '\x80';
      EXPECT_FALSE(is_valid_utf8(t)) << len << " " << at;  // a lone continuation octet
    }
  }
  const std::string prefix(70, 'x');
  EXPECT_TRUE(is_valid_utf8(prefix + "\xe2\x82\xac"));   // U+20AC after 70 ASCII octets
  EXPECT_FALSE(is_valid_utf8(prefix + "\xed\xa0\x80"));  // a surrogate there
}

TEST(Utf8, EveryScalarValueIsValidAndEverySurrogateIsNot) {
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const bool scalar = cp < 0xD800 || cp > 0xDFFF;
    ASSERT_EQ(is_valid_utf8(encode(cp)), scalar) << std::hex << cp;
  }
}

TEST(Utf8, AgreesWithReferenceOnEveryTwoOctetString) {
  for (unsigned v = 0; v < 0x10000; ++v) {
    const std::array<char, 2> b{static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
    const std::string_view s(b.data(), b.size());
    ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << std::hex << v;
    ASSERT_EQ(is_valid_utf8(s.substr(0, 1)), reference_valid(s.substr(0, 1))) << std::hex << v;
  }
}

// Random strings over the octets where the RFC 3629 ranges change, mixed with ASCII runs that
// reach the 8-octet fast path at every alignment. Fixed seed: deterministic.
TEST(Utf8, AgreesWithReferenceOnGeneratedStrings) {
  constexpr std::array<unsigned char, 30> kEdges = {
      0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
      0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFB, 0xFC, 0xFE, 0xFF};
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<std::size_t> len_dist(0, 24);
  std::uniform_int_distribution<std::size_t> edge_dist(0, kEdges.size() - 1);
  std::uniform_int_distribution<int> kind_dist(0, 3);
  std::size_t valid = 0;
  for (int round = 0; round < 300000; ++round) {
    std::string s;
    const std::size_t len = len_dist(rng);
    while (s.size() < len) {
      switch (kind_dist(rng)) {
        case 0:
          s.append(len_dist(rng) % 10, 'x');
          break;
        case 1:
          s += encode(static_cast<std::uint32_t>(rng() % 0x110000));
          break;
        default:
          s += static_cast<char>(kEdges[edge_dist(rng)]);
          break;
      }
    }
    const bool expected = reference_valid(s);
    valid += expected ? 1 : 0;
    ASSERT_EQ(is_valid_utf8(s), expected) << ::testing::PrintToString(s);
  }
  // Both outcomes are well represented, or the comparison would prove little.
  EXPECT_GT(valid, 30000u);
  EXPECT_LT(valid, 270000u);
}

}  // namespace
}  // namespace wimpu::common
