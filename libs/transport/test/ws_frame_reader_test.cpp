// Golden tests for WsFrameReader, the server side's WebSocket frame parser (RFC 6455 §5), and
// for the frame writer's control frames: every rule a client's frames must follow, each with the
// close code the server answers (§7.4.1), fed whole and octet by octet. Then the same rules end
// to end: raw frames over real WS and WSS connections (StreamClient after a hand-made upgrade)
// and the server's answers on the wire (Close codes, pongs, the TCP close).
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../src/ws_frame.hpp"
#include "../src/ws_frame_reader.hpp"
#include "test_support.hpp"

namespace wimpu::transport::detail {
namespace {

using Event = WsFrameReader::Event;
constexpr std::size_t kMax = 64 * 1024;

// A client frame (§5.2): FIN/RSV/opcode octet as given, masked with a fixed key unless `masked`
// is false; `length_form` forces the 16-bit (126) or 64-bit (127) length form.
std::string frame(unsigned first_octet, std::string_view payload, bool masked = true,
                  int length_form = 0) {
  std::string f;
  f += static_cast<char>(first_octet);
  const unsigned char mask_bit = masked ? 0x80 : 0;
  const std::uint64_t len = payload.size();
  int form = length_form;
  if (form == 0) {
    form = len < 126 ? 7 : len <= 0xFFFF ? 126 : 127;
  }
  if (form == 7) {
    f += static_cast<char>(mask_bit | len);
  } else if (form == 126) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(len >> 8);
    f += static_cast<char>(len & 0xFF);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      f += static_cast<char>((len >> shift) & 0xFF);
    }
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 §5.7's example key
  if (masked) {
    f.append(reinterpret_cast<const char*>(key), 4);
  }
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const auto c = static_cast<unsigned char>(payload[i]);
    f += static_cast<char>(masked ? c ^ key[i % 4] : c);
  }
  return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xFF);
  p.append(reason);
  return p;
}

struct Seen {
  Event event;
  std::string data;  // message, control payload or close reason
  bool text = false;
  std::uint16_t close_code = 0;
  WsReadError error = WsReadError::kNone;
};

// Feeds `wire` in pieces of `step` octets (0: all at once), keeping unconsumed octets as a
// connection's buffer does, and records every event up to the first error or Close.
std::vector<Seen> feed(const std::string& wire, std::size_t step = 0,
                       std::size_t max_message = kMax) {
  WsFrameReader reader(max_message);
  std::vector<Seen> seen;
  std::string buf;
  std::size_t at = 0;
  while (at < wire.size() || !buf.empty()) {
    const std::size_t n = step == 0 ? wire.size() - at : std::min(step, wire.size() - at);
    buf.append(wire, at, n);
    at += n;
    for (;;) {
      std::size_t used = 0;
      const Event ev = reader.next(buf.data(), buf.size(), used);
      EXPECT_LE(used, buf.size());
      Seen s{ev, {}, false, 0, WsReadError::kNone};
      if (ev == Event::kMessage) {
        s.text = reader.message_is_text();
        s.data = reader.take_message();
      } else if (ev == Event::kPing || ev == Event::kPong || ev == Event::kClose) {
        s.data = std::string(reader.control_payload());
        s.close_code = ev == Event::kClose ? reader.close_code() : 0;
      } else if (ev == Event::kError) {
        s.error = reader.error();
      }
      buf.erase(0, used);
      if (ev == Event::kNeedMore) {
        break;
      }
      seen.push_back(s);
      if (ev == Event::kError || ev == Event::kClose) {
        return seen;
      }
    }
    if (at == wire.size()) {
      break;
    }
  }
  return seen;
}

// The same events whether the octets come at once or one by one.
std::vector<Seen> feed_both_ways(const std::string& wire, std::size_t max_message = kMax) {
  std::vector<Seen> whole = feed(wire, 0, max_message);
  std::vector<Seen> octets = feed(wire, 1, max_message);
  EXPECT_EQ(whole.size(), octets.size());
  for (std::size_t i = 0; i < std::min(whole.size(), octets.size()); ++i) {
    EXPECT_EQ(whole[i].event, octets[i].event) << i;
    EXPECT_EQ(whole[i].data, octets[i].data) << i;
    EXPECT_EQ(whole[i].error, octets[i].error) << i;
  }
  return whole;
}

WsReadError only_error(const std::string& wire, std::size_t max_message = kMax) {
  const std::vector<Seen> seen = feed_both_ways(wire, max_message);
  if (seen.empty() || seen.back().event != Event::kError) {
    ADD_FAILURE() << "no error";
    return WsReadError::kNone;
  }
  return seen.back().error;
}

TEST(WsFrameReader, MaskedTextAndBinaryFramesAreMessages) {
  const std::string sip = "REGISTER sip:example.com SIP/2.0\r\n\r\n";
  const auto seen = feed_both_ways(frame(0x81, sip) + frame(0x82, "\xff\xfe"));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, Event::kMessage);
  EXPECT_EQ(seen[0].data, sip);
  EXPECT_TRUE(seen[0].text);
  EXPECT_EQ(seen[1].event, Event::kMessage);
  EXPECT_EQ(seen[1].data, "\xff\xfe");  // RFC 7118 §4.2: binary is fine, no UTF-8 check
  EXPECT_FALSE(seen[1].text);
}

TEST(WsFrameReader, RfcSection57MaskedHello) {
  // §5.7: "A single-frame masked text message" containing "Hello".
  const std::string wire("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  const auto seen = feed_both_ways(wire);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "Hello");
}

TEST(WsFrameReader, SixteenAndSixtyFourBitLengths) {
  const std::string medium(300, 'm');
  const std::string large(70000, 'L');
  const auto seen = feed_both_ways(frame(0x82, medium) + frame(0x82, large), 100000);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].data, medium);
  EXPECT_EQ(seen[1].data, large);
  EXPECT_EQ(feed(frame(0x81, ""))[0].data, "");  // an empty message is a message
}

TEST(WsFrameReader, LengthsMustBeMinimalAndBelow2To63) {
  EXPECT_EQ(only_error(frame(0x81, "short", true, 126)), WsReadError::kBadLength);
  EXPECT_EQ(only_error(frame(0x81, std::string(200, 'x'), true, 127)), WsReadError::kBadLength);
  std::string huge("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00", 14);
  EXPECT_EQ(only_error(huge), WsReadError::kBadLength);
  EXPECT_EQ(close_code_for(WsReadError::kBadLength), 1002);
}

TEST(WsFrameReader, UnmaskedClientFrameIsAProtocolError) {
  EXPECT_EQ(only_error(frame(0x81, "REGISTER", false)), WsReadError::kUnmasked);  // §5.1
  EXPECT_EQ(only_error(frame(0x89, "", false)), WsReadError::kUnmasked);
  EXPECT_EQ(close_code_for(WsReadError::kUnmasked), 1002);
}

TEST(WsFrameReader, ReservedBitsWithoutAnExtensionAreAProtocolError) {
  for (unsigned rsv : {0x40u, 0x20u, 0x10u}) {
    EXPECT_EQ(only_error(frame(0x81 | rsv, "x")), WsReadError::kReservedBits) << rsv;
  }
  EXPECT_EQ(close_code_for(WsReadError::kReservedBits), 1002);
}

TEST(WsFrameReader, ReservedOpcodesAreAProtocolError) {
  for (unsigned op : {0x3u, 0x4u, 0x5u, 0x6u, 0x7u, 0xBu, 0xCu, 0xDu, 0xEu, 0xFu}) {
    EXPECT_EQ(only_error(frame(0x80 | op, "x")), WsReadError::kReservedOpcode) << op;
  }
  EXPECT_EQ(close_code_for(WsReadError::kReservedOpcode), 1002);
}

TEST(WsFrameReader, ControlFramesAreShortAndNotFragmented) {
  EXPECT_EQ(only_error(frame(0x89, std::string(126, 'p'))), WsReadError::kControlTooLong);
  EXPECT_EQ(only_error(frame(0x09, "p")), WsReadError::kControlFragmented);  // ping, no FIN
  EXPECT_EQ(only_error(frame(0x08, "")), WsReadError::kControlFragmented);
  const auto ok = feed_both_ways(frame(0x89, std::string(125, 'p')));
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].event, Event::kPing);
  EXPECT_EQ(ok[0].data, std::string(125, 'p'));
}

TEST(WsFrameReader, PingAndPongCarryTheirPayload) {
  const auto seen = feed_both_ways(frame(0x89, "are you there") + frame(0x8A, "yes"));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, Event::kPing);
  EXPECT_EQ(seen[0].data, "are you there");
  EXPECT_EQ(seen[1].event, Event::kPong);
  EXPECT_EQ(seen[1].data, "yes");
}

TEST(WsFrameReader, FragmentsAreReassembledWithControlFramesBetweenThem) {
  // §5.4: text "REG" + continuation "IST" + ping + final continuation "ER".
  const std::string wire =
      frame(0x01, "REG") + frame(0x00, "IST") + frame(0x89, "hb") + frame(0x80, "ER");
  const auto seen = feed_both_ways(wire);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, Event::kPing);
  EXPECT_EQ(seen[0].data, "hb");
  EXPECT_EQ(seen[1].event, Event::kMessage);
  EXPECT_EQ(seen[1].data, "REGISTER");
  EXPECT_TRUE(seen[1].text);
}

TEST(WsFrameReader, ContinuationRulesAreEnforced) {
  EXPECT_EQ(only_error(frame(0x80, "orphan")), WsReadError::kUnexpectedContinuation);
  EXPECT_EQ(only_error(frame(0x01, "first") + frame(0x81, "new message")),
            WsReadError::kExpectedContinuation);
  EXPECT_EQ(close_code_for(WsReadError::kUnexpectedContinuation), 1002);
  EXPECT_EQ(close_code_for(WsReadError::kExpectedContinuation), 1002);
}

TEST(WsFrameReader, MessageOverTheLimitIs1009) {
  EXPECT_EQ(feed(frame(0x82, std::string(100, 'x')), 0, 100)[0].event, Event::kMessage);
  EXPECT_EQ(only_error(frame(0x82, std::string(101, 'x')), 100), WsReadError::kMessageTooBig);
  // The limit is on the message: fragments that add up past it.
  EXPECT_EQ(only_error(frame(0x02, std::string(60, 'x')) + frame(0x80, std::string(41, 'y')), 100),
            WsReadError::kMessageTooBig);
  EXPECT_EQ(close_code_for(WsReadError::kMessageTooBig), 1009);
}

TEST(WsFrameReader, TextMustBeUtf8EvenAcrossFragments) {
  EXPECT_EQ(only_error(frame(0x81, "bad \xff octet")), WsReadError::kBadUtf8);
  EXPECT_EQ(only_error(frame(0x81, "\xc0\xaf")), WsReadError::kBadUtf8);  // overlong '/'
  EXPECT_EQ(only_error(frame(0x81, "\xed\xa0\x80")), WsReadError::kBadUtf8);  // surrogate
  EXPECT_EQ(close_code_for(WsReadError::kBadUtf8), 1007);
  // U+20AC split over three fragments is valid as a whole (§8.1).
  const auto seen =
      feed_both_ways(frame(0x01, "euro \xe2") + frame(0x00, "\x82") + frame(0x80, "\xac!"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "euro \xe2\x82\xac!");
  // A sequence cut at the end of the message is not.
  EXPECT_EQ(only_error(frame(0x01, "cut \xe2") + frame(0x80, "\x82")), WsReadError::kBadUtf8);
}

// A text message with a long ASCII run before its non-ASCII octets (the validator's block scan,
// common::is_valid_utf8) is still checked whole: bad UTF-8 after it is refused, good is delivered.
TEST(WsFrameReader, LongAsciiPrefixDoesNotHideTheUtf8AfterIt) {
  const std::string prefix(70, 'x');
  EXPECT_EQ(only_error(frame(0x81, prefix + "\xff")), WsReadError::kBadUtf8);
  const auto seen = feed_both_ways(frame(0x81, prefix + "\xc3\xa9"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Event::kMessage);
}

TEST(WsFrameReader, CloseStatusAndReason) {
  auto seen = feed_both_ways(frame(0x88, ""));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Event::kClose);
  EXPECT_EQ(seen[0].close_code, 1005);  // §7.1.5: no status code
  seen = feed_both_ways(frame(0x88, close_payload(1000, "bye \xc3\xa9")));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].close_code, 1000);
  EXPECT_EQ(seen[0].data, "bye \xc3\xa9");
  EXPECT_EQ(only_error(frame(0x88, "\x03")), WsReadError::kBadClosePayload);
  EXPECT_EQ(only_error(frame(0x88, close_payload(1000, "\xff"))), WsReadError::kBadCloseReason);
  EXPECT_EQ(close_code_for(WsReadError::kBadCloseReason), 1007);
}

TEST(WsFrameReader, CloseCodesOnTheWire) {
  // §7.4.1/§7.4.2 and the IANA registry: which codes a peer may send.
  for (std::uint16_t ok : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                           3000, 3999, 4000, 4999}) {
    EXPECT_TRUE(is_valid_close_code(ok)) << ok;
    EXPECT_EQ(feed(frame(0x88, close_payload(ok)))[0].close_code, ok);
  }
  for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(is_valid_close_code(bad)) << bad;
    EXPECT_EQ(only_error(frame(0x88, close_payload(bad))), WsReadError::kBadCloseCode) << bad;
  }
  EXPECT_EQ(close_code_for(WsReadError::kBadCloseCode), 1002);
}

TEST(WsFrameReader, AnErrorIsFinal) {
  WsFrameReader reader(kMax);
  std::string wire = frame(0x81, "x", false) + frame(0x81, "fine");
  std::size_t used = 0;
  EXPECT_EQ(reader.next(wire.data(), wire.size(), used), Event::kError);
  EXPECT_EQ(reader.next(wire.data(), wire.size(), used), Event::kError);
  EXPECT_EQ(used, 0u);
}

TEST(WsFrameReader, PartialFramesConsumeOnlyWholeHeadersAndStreamPayloads) {
  WsFrameReader reader(kMax);
  std::string wire = frame(0x81, "0123456789");
  std::size_t used = 0;
  // Header incomplete: nothing is consumed.
  EXPECT_EQ(reader.next(wire.data(), 5, used), Event::kNeedMore);
  EXPECT_EQ(used, 0u);
  // Header and part of the payload: all consumed, the payload goes into the message.
  EXPECT_EQ(reader.next(wire.data(), 10, used), Event::kNeedMore);
  EXPECT_EQ(used, 10u);
  EXPECT_TRUE(reader.mid_message());
  EXPECT_EQ(reader.next(wire.data() + 10, wire.size() - 10, used), Event::kMessage);
  EXPECT_EQ(reader.take_message(), "0123456789");
  EXPECT_FALSE(reader.mid_message());
}

TEST(WsFrameWriter, ControlAndCloseFrames) {
  std::string out;
  append_ws_control_frame(out, WsControl::kPong, "hb", false);
  EXPECT_EQ(out, std::string("\x8a\x02hb", 4));
  out.clear();
  append_ws_close_frame(out, 1001, false);
  EXPECT_EQ(out, std::string("\x88\x02\x03\xe9", 4));
  out.clear();
  append_ws_close_frame(out, 1005, false);  // no status: an empty Close
  EXPECT_EQ(out, std::string("\x88\x00", 2));
  // A masked (client) frame reads back through the reader.
  out.clear();
  append_ws_frame(out, "INVITE", true, true);
  const auto seen = feed(out);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "INVITE");
}

TEST(WsFrameReader, UnmaskAtEveryKeyOffsetAndLength) {
  const unsigned char key[4] = {1, 2, 3, 4};
  for (std::size_t pos = 0; pos < 4; ++pos) {
    for (std::size_t n = 0; n < 20; ++n) {
      std::string data(n, 'a');
      ws_unmask(data.data(), n, key, pos);
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(static_cast<unsigned char>(data[i]), 'a' ^ key[(pos + i) % 4]);
      }
    }
  }
}

// ---- End to end: the server's read path over real connections ----

using test::counter_value;
using test::Harness;
using test::StreamClient;
using test::TestCert;

// A WebSocket client made by hand: the upgrade request as text, then frames as built above, so
// that it can break every rule Beast's client would not let it break.
class RawWs {
public:
  explicit RawWs(Protocol p, TestCert* cert)
      : client_(p == Protocol::kWss, cert != nullptr ? cert->cert_file() : std::string()) {}

  // Upgrade request (RFC 6455 §4.1, RFC 7118 §4.1) followed by `extra` in the same write.
  bool upgrade(const Endpoint& server, const std::string& extra = {}) {
    if (!client_.connect(server)) {
      return false;
    }
    const std::string request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: sip\r\nOrigin: https://wic.example\r\n\r\n";
    if (!client_.write(request + extra)) {
      return false;
    }
    std::string head;
    while (!head.ends_with("\r\n\r\n")) {
      auto b = client_.read_bytes(1);
      if (!b) {
        return false;
      }
      head += *b;
    }
    return head.starts_with("HTTP/1.1 101");
  }
  bool send(const std::string& wire) { return client_.write(wire); }

  struct Frame {
    unsigned opcode = 0;
    std::string payload;
  };
  // The server's next frame (unmasked, §5.1), or nullopt.
  std::optional<Frame> read_frame() {
    auto h = client_.read_bytes(2);
    if (!h) {
      return std::nullopt;
    }
    const auto b0 = static_cast<unsigned char>((*h)[0]);
    const auto b1 = static_cast<unsigned char>((*h)[1]);
    EXPECT_EQ(b1 & 0x80, 0) << "server frames are not masked";
    std::size_t len = b1 & 0x7F;
    if (len >= 126) {
      auto ext = client_.read_bytes(len == 126 ? 2 : 8);
      if (!ext) {
        return std::nullopt;
      }
      len = 0;
      for (char c : *ext) {
        len = (len << 8) | static_cast<unsigned char>(c);
      }
    }
    auto payload = len == 0 ? std::optional<std::string>("") : client_.read_bytes(len);
    if (!payload) {
      return std::nullopt;
    }
    return Frame{b0 & 0x0Fu, *payload};
  }
  // The server's Close frame: its status code (1005 without one), or -1 if another frame came.
  int read_close_code() {
    auto f = read_frame();
    if (!f || f->opcode != 0x8) {
      return -1;
    }
    if (f->payload.size() < 2) {
      return 1005;
    }
    return (static_cast<unsigned char>(f->payload[0]) << 8) |
           static_cast<unsigned char>(f->payload[1]);
  }
  bool wait_closed() { return client_.wait_closed(); }

private:
  StreamClient client_;
};

struct Server {
  explicit Server(Protocol p) : protocol(p) {
    if (p == Protocol::kWss) {
      cert.emplace();
    }
    ListenerConfig l;
    l.protocol = p;
    if (cert) {
      l.tls.cert_file = cert->cert_file();
      l.tls.key_file = cert->key_file();
    }
    config.listeners = {l};
    config.limits.max_ws_message_bytes = 4096;
  }
  Protocol protocol;
  std::optional<TestCert> cert;
  TransportConfig config;
};

std::string counter_name(Protocol p, const std::string& event) {
  return std::string("transport.") + std::string(to_string(p)) + "." + event;
}

// A valid message (to learn the flow), then `bad`: the server answers with a Close carrying
// `code`, closes TCP, reports `reason` and counts ws_error.<error>.
void violation(Protocol p, const std::string& bad, int code, CloseReason reason,
               WsReadError error) {
  Server s(p);
  Harness h(s.config);
  const auto before = counter_value(counter_name(p, "ws_error." + std::string(to_string(error))));
  RawWs ws(p, s.cert ? &*s.cert : nullptr);
  ASSERT_TRUE(ws.upgrade(h.endpoint(0)));
  const std::string sip = test::sip_request_without_length("OPTIONS", "ok");
  ASSERT_TRUE(ws.send(frame(0x81, sip)));
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->data, sip);
  ASSERT_TRUE(ws.send(bad));
  EXPECT_EQ(ws.read_close_code(), code);
  EXPECT_TRUE(ws.wait_closed());  // §7.1.1: the server closes TCP first
  EXPECT_EQ(h.sink().wait_close(msg->flow), reason);
  EXPECT_EQ(counter_value(counter_name(p, "ws_error." + std::string(to_string(error)))),
            before + 1);
}

TEST(WsServerRead, UnmaskedFrameIsAnsweredWithClose1002) {
  violation(Protocol::kWs, frame(0x81, "OPTIONS", false), 1002, CloseReason::kFramingError,
            WsReadError::kUnmasked);
}
TEST(WssServerRead, UnmaskedFrameIsAnsweredWithClose1002) {
  violation(Protocol::kWss, frame(0x81, "OPTIONS", false), 1002, CloseReason::kFramingError,
            WsReadError::kUnmasked);
}
TEST(WsServerRead, ReservedBitsAreAnsweredWithClose1002) {
  violation(Protocol::kWs, frame(0xC1, "x"), 1002, CloseReason::kFramingError,
            WsReadError::kReservedBits);
}
TEST(WsServerRead, ReservedOpcodeIsAnsweredWithClose1002) {
  violation(Protocol::kWs, frame(0x83, "x"), 1002, CloseReason::kFramingError,
            WsReadError::kReservedOpcode);
}
TEST(WsServerRead, LongControlFrameIsAnsweredWithClose1002) {
  violation(Protocol::kWs, frame(0x89, std::string(126, 'p')), 1002, CloseReason::kFramingError,
            WsReadError::kControlTooLong);
}
TEST(WsServerRead, FragmentedControlFrameIsAnsweredWithClose1002) {
  violation(Protocol::kWs, frame(0x09, "p"), 1002, CloseReason::kFramingError,
            WsReadError::kControlFragmented);
}
TEST(WsServerRead, InvalidCloseCodeIsAnsweredWithClose1002) {
  violation(Protocol::kWs, frame(0x88, close_payload(1006)), 1002, CloseReason::kFramingError,
            WsReadError::kBadCloseCode);
}
TEST(WsServerRead, TextThatIsNotUtf8IsAnsweredWithClose1007) {
  violation(Protocol::kWs, frame(0x01, "caf\xc3") + frame(0x80, "\xff"), 1007,
            CloseReason::kFramingError, WsReadError::kBadUtf8);
}
TEST(WssServerRead, TextThatIsNotUtf8IsAnsweredWithClose1007) {
  violation(Protocol::kWss, frame(0x81, "\xed\xa0\x80"), 1007, CloseReason::kFramingError,
            WsReadError::kBadUtf8);
}
TEST(WsServerRead, MessageOverTheLimitIsAnsweredWithClose1009) {
  violation(Protocol::kWs, frame(0x02, std::string(3000, 'x')) + frame(0x80, std::string(2000, 'y')),
            1009, CloseReason::kMessageTooLarge, WsReadError::kMessageTooBig);
}

void ping_and_fragments(Protocol p) {
  Server s(p);
  Harness h(s.config);
  RawWs ws(p, s.cert ? &*s.cert : nullptr);
  ASSERT_TRUE(ws.upgrade(h.endpoint(0)));
  // §5.5.2/§5.5.3: a pong with the ping's payload.
  ASSERT_TRUE(ws.send(frame(0x89, "keep-alive 1")));
  auto pong = ws.read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xAu);
  EXPECT_EQ(pong->payload, "keep-alive 1");
  // §5.4: a message in three fragments, a ping between them, split over two writes.
  const std::string sip = test::sip_request_without_length("REGISTER", "frag");
  const std::string wire = frame(0x01, sip.substr(0, 10)) + frame(0x89, "mid") +
                           frame(0x00, sip.substr(10, 30)) + frame(0x80, sip.substr(40));
  ASSERT_TRUE(ws.send(wire.substr(0, 25)));
  ASSERT_TRUE(ws.send(wire.substr(25)));
  auto pong2 = ws.read_frame();
  ASSERT_TRUE(pong2);
  EXPECT_EQ(pong2->payload, "mid");
  auto msg = h.sink().wait_message();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->data, sip);
  // §5.5.1: the peer's Close is answered with the same status, then TCP is closed.
  ASSERT_TRUE(ws.send(frame(0x88, close_payload(1000, "bye"))));
  EXPECT_EQ(ws.read_close_code(), 1000);
  EXPECT_TRUE(ws.wait_closed());
  EXPECT_EQ(h.sink().wait_close(msg->flow), CloseReason::kPeerClosed);
}

TEST(WsServerRead, PingsFragmentsAndTheClosingHandshake) { ping_and_fragments(Protocol::kWs); }
TEST(WssServerRead, PingsFragmentsAndTheClosingHandshake) { ping_and_fragments(Protocol::kWss); }

// Frames the client sent in the same write as its upgrade request are delivered, in order (they
// arrive in the HTTP parser's buffer).
void frames_behind_the_upgrade(Protocol p) {
  Server s(p);
  Harness h(s.config);
  RawWs ws(p, s.cert ? &*s.cert : nullptr);
  const std::string a = test::sip_request_without_length("REGISTER", "early-1");
  const std::string b = test::sip_request_without_length("REGISTER", "early-2");
  ASSERT_TRUE(ws.upgrade(h.endpoint(0), frame(0x81, a) + frame(0x82, b)));
  auto m1 = h.sink().wait_message();
  auto m2 = h.sink().wait_message();
  ASSERT_TRUE(m1 && m2);
  EXPECT_EQ(m1->data, a);
  EXPECT_EQ(m2->data, b);
  // An empty Close is answered with an empty Close (§5.5.1: no status to echo).
  ASSERT_TRUE(ws.send(frame(0x88, "")));
  EXPECT_EQ(ws.read_close_code(), 1005);
  EXPECT_TRUE(ws.wait_closed());
}

TEST(WsServerRead, FramesBehindTheUpgradeRequestAreDelivered) {
  frames_behind_the_upgrade(Protocol::kWs);
}
TEST(WssServerRead, FramesBehindTheUpgradeRequestAreDelivered) {
  frames_behind_the_upgrade(Protocol::kWss);
}

}  // namespace
}  // namespace wimpu::transport::detail
