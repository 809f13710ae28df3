#include "wimpu/transport/stream_framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wimpu::transport {
namespace {

using Event = StreamFramer::Event;
using Error = StreamFramer::Error;

const std::string kInvite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\n"
    "Call-ID: 1@a\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";
const std::string kOptions =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Call-ID: 2@a\r\n"
    "l: 0\r\n"
    "\r\n";

StreamFramer make(std::size_t header = 1024, std::size_t body = 1024) {
  return StreamFramer({header, body});
}

// Drains every event, returning messages and counting pings.
std::vector<std::string> drain(StreamFramer& f, int* pings = nullptr, Event* last = nullptr) {
  std::vector<std::string> out;
  std::string msg;
  for (;;) {
    const Event e = f.next(msg);
    if (e == Event::kMessage) {
      out.push_back(msg);
    } else if (e == Event::kPing) {
      if (pings != nullptr) {
        ++*pings;
      }
    } else {
      if (last != nullptr) {
        *last = e;
      }
      return out;
    }
  }
}

TEST(StreamFramer, SeveralMessagesInOneSegment) {
  auto f = make();
  f.feed(kInvite + kOptions + kInvite);
  const auto msgs = drain(f);
  ASSERT_EQ(msgs.size(), 3U);
  EXPECT_EQ(msgs[0], kInvite);
  EXPECT_EQ(msgs[1], kOptions);
  EXPECT_EQ(msgs[2], kInvite);
  EXPECT_EQ(f.buffered(), 0U);
}

TEST(StreamFramer, OneMessageSplitByteByByte) {
  auto f = make();
  std::vector<std::string> msgs;
  for (char c : kInvite + kOptions) {
    f.feed(std::string_view(&c, 1));
    for (auto& m : drain(f)) {
      msgs.push_back(m);
    }
  }
  ASSERT_EQ(msgs.size(), 2U);
  EXPECT_EQ(msgs[0], kInvite);
  EXPECT_EQ(msgs[1], kOptions);
}

TEST(StreamFramer, CrlfCrlfIsAPingAndLoneCrlfIsSkipped) {
  auto f = make();
  int pings = 0;
  // RFC 5626 §3.5.1 ping, then RFC 3261 §7.5 stray CRLF before a start line.
  f.feed("\r\n\r\n\r\n" + kOptions + "\r\n\r\n");
  const auto msgs = drain(f, &pings);
  EXPECT_EQ(pings, 2);
  ASSERT_EQ(msgs.size(), 1U);
  EXPECT_EQ(msgs[0], kOptions);
}

TEST(StreamFramer, PingSplitAcrossReads) {
  auto f = make();
  int pings = 0;
  f.feed("\r\n");
  EXPECT_TRUE(drain(f, &pings).empty());
  f.feed("\r");
  EXPECT_TRUE(drain(f, &pings).empty());
  EXPECT_EQ(pings, 0);
  f.feed("\n");
  drain(f, &pings);
  EXPECT_EQ(pings, 1);
}

TEST(StreamFramer, MissingContentLengthIsAFramingError) {
  auto f = make();
  f.feed("OPTIONS sip:x SIP/2.0\r\nCall-ID: 1\r\n\r\n");
  Event last{};
  EXPECT_TRUE(drain(f, nullptr, &last).empty());
  EXPECT_EQ(last, Event::kError);
  EXPECT_EQ(f.error(), Error::kMissingContentLength);
  std::string m;
  EXPECT_EQ(f.next(m), Event::kError);  // sticky
}

TEST(StreamFramer, ContentLengthSpellings) {
  for (const char* header : {"Content-Length: 2", "content-length:2", "CONTENT-LENGTH \t: 2 ",
                             "l: 2", "L:2"}) {
    auto f = make();
    f.feed(std::string("MESSAGE sip:x SIP/2.0\r\n") + header + "\r\n\r\nhi");
    const auto msgs = drain(f);
    ASSERT_EQ(msgs.size(), 1U) << header;
    EXPECT_TRUE(msgs[0].ends_with("\r\n\r\nhi")) << header;
  }
}

TEST(StreamFramer, OtherHeadersEndingInLDoNotCount) {
  auto f = make();
  f.feed("OPTIONS sip:x SIP/2.0\r\nUrl: 5\r\nX-l: 3\r\n\r\n");
  Event last{};
  drain(f, nullptr, &last);
  EXPECT_EQ(f.error(), Error::kMissingContentLength);
}

TEST(StreamFramer, BadContentLengths) {
  for (const char* header :
       {"Content-Length: abc", "Content-Length: -1", "Content-Length:", "Content-Length: 1 2",
        "Content-Length: 0x10"}) {
    auto f = make();
    f.feed(std::string("OPTIONS sip:x SIP/2.0\r\n") + header + "\r\n\r\n");
    drain(f);
    EXPECT_EQ(f.error(), Error::kBadContentLength) << header;
  }
}

TEST(StreamFramer, ConflictingContentLengthsAreRejectedEqualOnesAccepted) {
  auto f = make();
  f.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab");
  drain(f);
  EXPECT_EQ(f.error(), Error::kBadContentLength);

  auto g = make();
  g.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab");
  EXPECT_EQ(drain(g).size(), 1U);
}

TEST(StreamFramer, HeaderTooLarge) {
  auto f = make(64, 1024);
  f.feed("OPTIONS sip:x SIP/2.0\r\nX: " + std::string(100, 'a'));
  drain(f);
  EXPECT_EQ(f.error(), Error::kHeaderTooLarge);
}

TEST(StreamFramer, BodyTooLarge) {
  auto f = make(1024, 10);
  f.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 11\r\n\r\n");
  drain(f);
  EXPECT_EQ(f.error(), Error::kBodyTooLarge);
  auto g = make(1024, 10);
  g.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n");
  drain(g);
  EXPECT_EQ(g.error(), Error::kBodyTooLarge);
}

TEST(StreamFramer, BodyWaitsUntilComplete) {
  auto f = make();
  f.feed(kInvite.substr(0, kInvite.size() - 2));
  EXPECT_TRUE(drain(f).empty());
  f.feed(kInvite.substr(kInvite.size() - 2));
  EXPECT_EQ(drain(f).size(), 1U);
}

TEST(StreamFramer, PrepareCommitReusesTheBuffer) {
  auto f = make();
  for (int i = 0; i < 1000; ++i) {
    auto span = f.prepare(kOptions.size());
    std::copy(kOptions.begin(), kOptions.end(), span.begin());
    f.commit(kOptions.size());
    ASSERT_EQ(drain(f).size(), 1U);
  }
  EXPECT_EQ(f.buffered(), 0U);
}

}  // namespace
}  // namespace wimpu::transport
