#pragma once
// The server side of Cx (the HSS): a handler receives each decoded request with a responder and
// answers when it likes, on its own executor.
#include <functional>
#include <memory>

#include "wimpu/diameter/cx_messages.hpp"

namespace wimpu::diameter {

/// Sends the answer to one received Cx request. Move-only. answer() may be called once, from any
/// thread; the envelope of the answer (Session-Id, Origin-Host/-Realm, Proxy-Info) is filled from
/// the request and the node. If the responder is destroyed without answering, it answers
/// DIAMETER_UNABLE_TO_COMPLY (5012) so the peer never waits for a timeout (counter
/// "diameter.cx.server.unanswered").
class CxResponder {
public:
  /// Implementation hook: what a transport (freeDiameter bridge, test fake) does with the answer.
  class Sink {
  public:
    virtual ~Sink() = default;
    /// Called once with the answer; the Sink completes the envelope and sends it.
    virtual void send(CxAnswer answer) = 0;
  };

  /// `command` is the request's command: the answer must be of the same command.
  CxResponder(CxCommand command, std::unique_ptr<Sink> sink)
      : command_(command), sink_(std::move(sink)) {}
  CxResponder(CxResponder&&) noexcept = default;
  CxResponder& operator=(CxResponder&& other) noexcept;
  CxResponder(const CxResponder&) = delete;
  CxResponder& operator=(const CxResponder&) = delete;
  ~CxResponder();

  /// Sends `answer`; it must be the answer type of the request (UAA for a UAR...), otherwise the
  /// peer gets DIAMETER_UNABLE_TO_COMPLY and WIMPU_BUG is raised. Calls after the first are
  /// ignored (and counted: "diameter.cx.server.double_answer").
  void answer(CxAnswer answer);
  /// True until answer() has been called.
  bool pending() const { return sink_ != nullptr; }

private:
  CxCommand command_;
  std::unique_ptr<Sink> sink_;
};

/// Receives every Cx request of a node. Called on the executor given to DiameterNode::serve_cx.
using CxRequestHandler = std::function<void(CxRequest request, CxResponder responder)>;

}  // namespace wimpu::diameter
