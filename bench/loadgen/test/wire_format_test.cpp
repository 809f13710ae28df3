// The load tool's own wire code: RFC 6455 client framing, the prebuilt REGISTER, the response
// scan that replaces a full parse for plain REGISTER load.
#include <gtest/gtest.h>

#include <set>

#include "wimpu/loadgen/response_scan.hpp"
#include "wimpu/loadgen/wic_messages.hpp"
#include "wimpu/loadgen/ws_frame.hpp"

namespace wimpu::loadgen {
namespace {

TEST(WsFrame, MaskedFramesOfEveryLengthFormRoundTrip) {
  // 7-bit, 16-bit and 64-bit lengths (RFC 6455 §5.2), at their boundaries.
  for (const std::size_t n : {0u, 1u, 125u, 126u, 127u, 900u, 65535u, 65536u, 70000u}) {
    std::string payload(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
      payload[i] = static_cast<char>('a' + i % 26);
    }
    std::string buf = "prefix";
    ws_append_frame(buf, WsOpcode::kText, payload, 0xA1B2C3D4u);
    const std::size_t header = n < 126 ? 6 : (n <= 0xFFFF ? 8 : 14);
    ASSERT_EQ(buf.size(), 6 + header + n) << n;
    EXPECT_EQ(static_cast<std::uint8_t>(buf[6]), 0x81);  // FIN + text
    EXPECT_TRUE(static_cast<std::uint8_t>(buf[7]) & 0x80) << "client frames are masked";
    if (n >= 8) {
      EXPECT_NE(buf.substr(6 + header, 8), payload.substr(0, 8)) << "payload sent masked";
    }
    WsFrame f;
    ASSERT_EQ(ws_decode_frame(buf.data() + 6, buf.size() - 6, 1 << 20, f), WsDecode::kFrame) << n;
    EXPECT_TRUE(f.fin);
    EXPECT_TRUE(f.masked);
    EXPECT_EQ(f.opcode, WsOpcode::kText);
    EXPECT_EQ(f.size, header + n);
    EXPECT_EQ(f.payload, payload) << n;
  }
}

TEST(WsFrame, MaskKeyOctetsAreAppliedInOrder) {
  // RFC 6455 §5.3: octet i of the payload XOR octet i mod 4 of the key as written in the frame.
  std::string buf;
  ws_append_frame(buf, WsOpcode::kBinary, std::string(5, '\0'), 0x01020304u);
  ASSERT_EQ(buf.size(), 11u);
  EXPECT_EQ(buf.substr(2, 4), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(buf.substr(6), std::string("\x01\x02\x03\x04\x01", 5));
}

TEST(WsFrame, SeveralFramesInOneBufferAndPartialOnes) {
  std::string buf;
  const std::vector<std::string> msgs = {"one", std::string(300, 'x'), "three"};
  std::uint32_t key = 7;
  for (const auto& m : msgs) {
    ws_append_frame(buf, WsOpcode::kText, m, key *= 2654435761u);
  }
  std::size_t at = 0;
  for (const auto& m : msgs) {
    WsFrame f;
    // Every strict prefix of the frame is "need more".
    std::string copy = buf.substr(at);
    WsFrame partial;
    EXPECT_EQ(ws_decode_frame(copy.data(), 1, 1 << 20, partial), WsDecode::kNeedMore);
    ASSERT_EQ(ws_decode_frame(buf.data() + at, buf.size() - at, 1 << 20, f), WsDecode::kFrame);
    EXPECT_EQ(f.payload, m);
    EXPECT_EQ(ws_decode_frame(copy.data(), f.size - 1, 1 << 20, partial), WsDecode::kNeedMore);
    at += f.size;
  }
  EXPECT_EQ(at, buf.size());
  WsFrame f;
  std::string big;
  ws_append_frame(big, WsOpcode::kText, std::string(2000, 'y'), 1);
  EXPECT_EQ(ws_decode_frame(big.data(), big.size(), 1000, f), WsDecode::kTooLarge);
}

TEST(RegisterTemplate, SameTextAsBuildRegister) {
  Rng rng(3);
  for (const bool with_auth : {false, true}) {
    for (const bool with_ua : {false, true}) {
      WicIdentity id = WicIdentity::random(rng);
      id.cseq = 41;
      RegisterParams p;
      p.request_uri = "sip:ims.example";
      p.aor = "sip:user7@ims.example";
      p.branch = "z9hG4bK1f.2.77";
      p.from_tag = "abcdefghij";
      p.expires = 3600;
      p.authorization = with_auth ? "Bearer eyJhbGciOi.x.y" : "";
      p.authorization_header = "Proxy-Authorization";
      p.user_agent = with_ua ? "wimpu-loadgen" : "";
      std::string expected;
      WicIdentity copy = id;
      build_register(copy, p, expected);
      RegisterTemplate t;
      t.prepare(id, p);
      std::string out = "left alone|";
      t.append(out, p.branch, p.from_tag, 42, p.authorization_header, p.authorization);
      EXPECT_EQ(out, "left alone|" + expected);
    }
  }
}

TEST(ResponseScan, FindsTheMatchingFieldsOfA200) {
  const std::string m =
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/WSS h.invalid;received=127.0.0.1;branch=z9hG4bKab.1.9;rport, SIP/2.0/WSS x;branch=other\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
      "Call-ID: cid-1\r\nCSeq: 17 REGISTER\r\n"
      "Contact: <sip:u@h;transport=ws>;expires=600\r\nContent-Length: 0\r\n\r\n";
  ResponseHead h;
  ASSERT_TRUE(scan_response(m, h));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.branch, "z9hG4bKab.1.9");
  EXPECT_EQ(h.call_id, "cid-1");
  EXPECT_EQ(h.cseq, 17u);
  EXPECT_EQ(h.cseq_method, "REGISTER");
}

TEST(ResponseScan, CompactFormsAndAnyCase) {
  // RFC 3261 §7.3.3 compact forms; header names are case-insensitive (§7.3.1).
  const std::string m =
      "SIP/2.0 401 Unauthorized\r\nv: SIP/2.0/WSS h;BRANCH=z9hG4bKcd.0.1\r\ni:  cid-2 \r\n"
      "cseq: 3 REGISTER\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n\r\n";
  ResponseHead h;
  ASSERT_TRUE(scan_response(m, h));
  EXPECT_EQ(h.status, 401);
  EXPECT_EQ(h.branch, "z9hG4bKcd.0.1");
  EXPECT_EQ(h.call_id, "cid-2");
  EXPECT_EQ(h.cseq, 3u);
}

TEST(ResponseScan, GivesUpOnAnythingUnusual) {
  ResponseHead h;
  // A request, a folded line, a missing CSeq, a bad status line, a Via without branch.
  EXPECT_FALSE(scan_response("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS h;branch=z\r\n\r\n", h));
  EXPECT_FALSE(scan_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS h\r\n ;branch=z\r\nCall-ID: c\r\n"
                             "CSeq: 1 REGISTER\r\n\r\n", h));
  EXPECT_FALSE(scan_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS h;branch=z\r\nCall-ID: c\r\n\r\n", h));
  EXPECT_FALSE(scan_response("SIP/2.0 2x0 OK\r\nVia: SIP/2.0/WSS h;branch=z\r\nCall-ID: c\r\n"
                             "CSeq: 1 REGISTER\r\n\r\n", h));
  EXPECT_FALSE(scan_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS h;rport\r\nCall-ID: c\r\n"
                             "CSeq: 1 REGISTER\r\n\r\n", h));
  EXPECT_FALSE(scan_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS h;branch=z\r\nCall-ID: c\r\n"
                             "CSeq: x REGISTER\r\n\r\n", h));
}

}  // namespace
}  // namespace wimpu::loadgen
