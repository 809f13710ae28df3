#include "msgpack.hpp"

#include <bit>
#include <cmath>
#include <cstring>

namespace wimpu::registrar::detail {

void MsgpackWriter::be(std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

void MsgpackWriter::array(std::uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<char>(0x90 | n));
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xdc));
    be(n, 2);
  } else {
    out_.push_back(static_cast<char>(0xdd));
    be(n, 4);
  }
}

void MsgpackWriter::str(std::string_view s) {
  str_header(s.size());
  out_.append(s);
}

void MsgpackWriter::str_header(std::size_t n) {
  if (n < 32) {
    out_.push_back(static_cast<char>(0xa0 | n));
  } else if (n <= 0xff) {
    out_.push_back(static_cast<char>(0xd9));
    be(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xda));
    be(n, 2);
  } else {
    out_.push_back(static_cast<char>(0xdb));
    be(n, 4);
  }
}

void MsgpackWriter::uint(std::uint64_t v) {
  if (v < 128) {
    out_.push_back(static_cast<char>(v));
  } else if (v <= 0xff) {
    out_.push_back(static_cast<char>(0xcc));
    be(v, 1);
  } else if (v <= 0xffff) {
    out_.push_back(static_cast<char>(0xcd));
    be(v, 2);
  } else if (v <= 0xffffffff) {
    out_.push_back(static_cast<char>(0xce));
    be(v, 4);
  } else {
    out_.push_back(static_cast<char>(0xcf));
    be(v, 8);
  }
}

bool MsgpackReader::take(std::size_t n, const char*& p) {
  if (failed_ || in_.size() - pos_ < n) {
    failed_ = true;
    return false;
  }
  p = in_.data() + pos_;
  pos_ += n;
  return true;
}

bool MsgpackReader::be(int bytes, std::uint64_t& v) {
  const char* p = nullptr;
  if (!take(static_cast<std::size_t>(bytes), p)) {
    return false;
  }
  v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return true;
}

bool MsgpackReader::array(std::uint32_t& n) {
  const char* p = nullptr;
  if (!take(1, p)) {
    return false;
  }
  const auto tag = static_cast<unsigned char>(*p);
  std::uint64_t v = 0;
  if ((tag & 0xf0) == 0x90) {
    n = tag & 0x0f;
    return true;
  }
  if ((tag == 0xdc && be(2, v)) || (tag == 0xdd && be(4, v))) {
    n = static_cast<std::uint32_t>(v);
    return true;
  }
  failed_ = true;
  return false;
}

bool MsgpackReader::str(std::string_view& s) {
  const char* p = nullptr;
  if (!take(1, p)) {
    return false;
  }
  const auto tag = static_cast<unsigned char>(*p);
  std::uint64_t n = 0;
  if ((tag & 0xe0) == 0xa0) {
    n = tag & 0x1f;
  } else if (!((tag == 0xd9 || tag == 0xc4) && be(1, n)) &&
             !((tag == 0xda || tag == 0xc5) && be(2, n)) &&
             !((tag == 0xdb || tag == 0xc6) && be(4, n))) {
    failed_ = true;
    return false;
  }
  if (!take(n, p)) {
    return false;
  }
  s = std::string_view(p, n);
  return true;
}

bool MsgpackReader::integer(std::int64_t& v) {
  const char* p = nullptr;
  if (!take(1, p)) {
    return false;
  }
  const auto tag = static_cast<unsigned char>(*p);
  std::uint64_t u = 0;
  if (tag < 0x80) {
    v = tag;
    return true;
  }
  if (tag >= 0xe0) {
    v = static_cast<std::int8_t>(tag);
    return true;
  }
  switch (tag) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: {
      if (!be(1 << (tag - 0xcc), u) || u > static_cast<std::uint64_t>(INT64_MAX)) {
        failed_ = true;
        return false;
      }
      v = static_cast<std::int64_t>(u);
      return true;
    }
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const int bytes = 1 << (tag - 0xd0);
      if (!be(bytes, u)) {
        return false;
      }
      // Sign-extend from `bytes` bytes.
      const int shift = 64 - 8 * bytes;
      v = static_cast<std::int64_t>(u << shift) >> shift;
      return true;
    }
    case 0xcb: {
      if (!be(8, u)) {
        return false;
      }
      const auto d = std::bit_cast<double>(u);
      if (!(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)) {
        failed_ = true;
        return false;
      }
      v = static_cast<std::int64_t>(d);
      return true;
    }
    default: failed_ = true; return false;
  }
}

}  // namespace wimpu::registrar::detail
