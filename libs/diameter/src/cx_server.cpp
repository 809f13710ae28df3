#include "wimpu/diameter/cx_server.hpp"

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::diameter {

CxResponder& CxResponder::operator=(CxResponder&& other) noexcept {
  if (this != &other) {
    if (sink_ != nullptr) {
      // Overwriting a pending responder would leave its peer waiting: answer it first.
      common::counter("diameter.cx.server.unanswered").inc();
      sink_->send(error_answer_for(command_, results::kUnableToComply));
    }
    command_ = other.command_;
    sink_ = std::move(other.sink_);
  }
  return *this;
}

CxResponder::~CxResponder() {
  if (sink_ != nullptr) {
    common::counter("diameter.cx.server.unanswered").inc();
    sink_->send(error_answer_for(command_, results::kUnableToComply));
  }
}

void CxResponder::answer(CxAnswer answer) {
  if (sink_ == nullptr) {
    common::counter("diameter.cx.server.double_answer").inc();
    return;
  }
  auto sink = std::move(sink_);
  if (command_of(answer) != command_) {
    WIMPU_BUG("Cx answer type does not match the request");
    sink->send(error_answer_for(command_, results::kUnableToComply));
    return;
  }
  sink->send(std::move(answer));
}

}  // namespace wimpu::diameter
