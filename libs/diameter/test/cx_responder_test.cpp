#include <gtest/gtest.h>

#include "wimpu/common/counter.hpp"
#include "wimpu/diameter/cx_server.hpp"

namespace wimpu::diameter {
namespace {

class RecordingSink : public CxResponder::Sink {
public:
  explicit RecordingSink(std::vector<CxAnswer>& out) : out_(out) {}
  void send(CxAnswer answer) override { out_.push_back(std::move(answer)); }

private:
  std::vector<CxAnswer>& out_;
};

TEST(CxResponder, SendsTheAnswerOnce) {
  std::vector<CxAnswer> sent;
  CxResponder r(CxCommand::kLocationInfo, std::make_unique<RecordingSink>(sent));
  EXPECT_TRUE(r.pending());
  LocationInfoAnswer lia;
  lia.result = results::kSuccess;
  r.answer(lia);
  EXPECT_FALSE(r.pending());
  const auto doubles = common::counter("diameter.cx.server.double_answer").value();
  r.answer(lia);
  EXPECT_EQ(common::counter("diameter.cx.server.double_answer").value(), doubles + 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<LocationInfoAnswer>(sent[0]).result, results::kSuccess);
}

TEST(CxResponder, DroppedResponderAnswersUnableToComply) {
  std::vector<CxAnswer> sent;
  const auto before = common::counter("diameter.cx.server.unanswered").value();
  {
    CxResponder r(CxCommand::kMultimediaAuth, std::make_unique<RecordingSink>(sent));
    CxResponder moved = std::move(r);
    (void)moved;
  }
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<MultimediaAuthAnswer>(sent[0]).result, results::kUnableToComply);
  EXPECT_EQ(common::counter("diameter.cx.server.unanswered").value(), before + 1);
}

}  // namespace
}  // namespace wimpu::diameter
