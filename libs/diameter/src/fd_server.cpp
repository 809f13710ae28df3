// The Cx server over freeDiameter: the dispatch callback (freeDiameter thread) keeps the request
// message, serializes it and posts the bytes to the server executor, where it is decoded and
// given to the application's handler with a responder. The answer is encoded by our codec, parsed
// back into a freeDiameter message, associated with the request (so freeDiameter routes it to the
// peer the request came from, RFC 6733 §6.2) and sent.
#include <boost/asio/post.hpp>

#include "fd_bridge.hpp"
#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"
#include "wimpu/diameter/cx_codec.hpp"

namespace wimpu::diameter::detail {
namespace {

struct Server : std::enable_shared_from_this<Server> {
  Server(std::shared_ptr<NodeShared> s, boost::asio::any_io_executor e, CxRequestHandler h)
      : shared(std::move(s)), executor(std::move(e)), handler(std::move(h)) {}
  std::shared_ptr<NodeShared> shared;
  boost::asio::any_io_executor executor;
  CxRequestHandler handler;
};

// A received request still owned by freeDiameter's message object until answered.
class FdRequest {
public:
  FdRequest(std::shared_ptr<NodeShared> shared, struct msg* message)
      : shared_(std::move(shared)), message_(message) {}
  FdRequest(const FdRequest&) = delete;
  FdRequest& operator=(const FdRequest&) = delete;
  ~FdRequest() {
    if (message_ != nullptr) {
      std::shared_lock lock(shared_->mutex);
      if (shared_->alive) {
        fd_msg_free(message_);
      }  // else: freeDiameter is gone; leaking is the only safe choice
    }
  }

  // Sends `bytes` (a complete answer) as the answer to this request. Once.
  void send_answer(const std::vector<std::uint8_t>& bytes) {
    std::shared_lock lock(shared_->mutex);
    if (!shared_->alive || message_ == nullptr) {
      common::counter("diameter.cx.server.answer_dropped").inc();
      return;
    }
    struct msg* answer = from_bytes(bytes);
    if (answer == nullptr) {
      WIMPU_BUG("freeDiameter rejected an encoded Cx answer (dictionary out of sync?)");
      return;  // the request is freed by the destructor; the peer times out
    }
    // From here the answer owns the request (freed with it).
    if (fd_msg_answ_associate(answer, message_) != 0) {
      WIMPU_BUG("fd_msg_answ_associate failed");
      fd_msg_free(answer);
      return;
    }
    message_ = nullptr;
    if (fd_msg_send(&answer, nullptr, nullptr) != 0) {
      common::counter("diameter.cx.server.send_failed").inc();
      if (answer != nullptr) {
        fd_msg_free(answer);
      }
      return;
    }
    static common::Counter& answered = common::counter("diameter.cx.server.answered");
    answered.inc();
  }

private:
  std::shared_ptr<NodeShared> shared_;
  struct msg* message_;
};

// The responder's sink: completes the envelope from the request and the node, encodes, sends.
class FdSink final : public CxResponder::Sink {
public:
  FdSink(std::shared_ptr<FdRequest> request, std::shared_ptr<NodeShared> shared, Envelope envelope,
         MessageIds ids)
      : request_(std::move(request)),
        shared_(std::move(shared)),
        envelope_(std::move(envelope)),
        ids_(ids) {}

  void send(CxAnswer answer) override {
    std::visit(
        [this](auto& a) {
          a.envelope.session_id = envelope_.session_id;
          a.envelope.origin_host = shared_->identity;
          a.envelope.origin_realm = shared_->realm;
          a.envelope.destination_host.clear();
          a.envelope.destination_realm.clear();
          a.envelope.proxy_infos = envelope_.proxy_infos;
        },
        answer);
    request_->send_answer(encode_answer(answer, ids_));
  }

private:
  std::shared_ptr<FdRequest> request_;
  std::shared_ptr<NodeShared> shared_;
  Envelope envelope_;
  MessageIds ids_;
};

// RFC 6733 §7.1.5 permanent failures for requests we cannot decode.
ResultCode result_for(DecodeErrorCode code) {
  switch (code) {
    case DecodeErrorCode::kMissingAvp: return results::kMissingAvp;
    case DecodeErrorCode::kDuplicateAvp: return ResultCode{0, 5009};  // AVP_OCCURS_TOO_MANY_TIMES
    case DecodeErrorCode::kBadAvpValue: return results::kInvalidAvpValue;
    case DecodeErrorCode::kUnexpectedCommand: return ResultCode{0, 3001};  // COMMAND_UNSUPPORTED
    case DecodeErrorCode::kTruncated:
    case DecodeErrorCode::kBadAvpLength:
    case DecodeErrorCode::kTooManyAvps: return ResultCode{0, 5014};  // INVALID_AVP_LENGTH
    case DecodeErrorCode::kBadVersion:
    case DecodeErrorCode::kBadMessageLength: return ResultCode{0, 5015};  // INVALID_MESSAGE_LENGTH
  }
  return results::kUnableToComply;
}

// Session-Id and Proxy-Info of a request that failed to decode, for its error answer.
Envelope salvage_envelope(std::span<const std::uint8_t> bytes) {
  Envelope env;
  auto msg = parse_message(bytes);
  if (!msg) {
    return env;
  }
  AvpReader reader(msg->avps);
  for (int i = 0; i < 128; ++i) {
    auto next = reader.next();
    if (!next || !next->has_value()) {
      break;
    }
    const AvpView& avp = **next;
    if (avp.is(avp::kSessionId) && env.session_id.empty()) {
      if (auto id = avp_utf8(avp)) {
        env.session_id = std::string(*id);
      }
    } else if (avp.is(avp::kProxyInfo)) {
      std::string raw(reinterpret_cast<const char*>(avp.raw.data()), avp.raw.size());
      raw.resize((raw.size() + 3) & ~std::size_t{3}, '\0');
      env.proxy_infos.push_back(std::move(raw));
    }
  }
  return env;
}

// On the server executor.
void handle(const std::shared_ptr<Server>& server, const std::shared_ptr<FdRequest>& request,
            const std::vector<std::uint8_t>& bytes) {
  auto header = decode_header(bytes);
  if (!header) {
    common::counter("diameter.cx.server.undecodable").inc();
    return;  // freeDiameter parsed it, so this cannot happen; the request is freed
  }
  const MessageIds ids{header->hop_by_hop, header->end_to_end};
  const auto command = static_cast<CxCommand>(header->command_code);
  auto decoded = decode_request(bytes);
  if (!decoded) {
    common::counter("diameter.cx.server.bad_request").inc();
    FdSink sink(request, server->shared, salvage_envelope(bytes), ids);
    sink.send(error_answer_for(command, result_for(decoded.error().code)));
    return;
  }
  static common::Counter& received = common::counter("diameter.cx.server.received");
  received.inc();
  Envelope envelope = std::visit([](const auto& r) { return r.envelope; }, *decoded);
  CxResponder responder(command, std::make_unique<FdSink>(request, server->shared,
                                                          std::move(envelope), ids));
  server->handler(std::move(*decoded), std::move(responder));
}

// freeDiameter dispatch callback (freeDiameter thread). Never returns an error: a non-zero
// return value makes freeDiameter's dispatch thread shut the whole core down.
int on_request(struct msg** message, struct avp*, struct session*, void* opaque,
               enum disp_action* action) {
  // The node keeps the Server alive until freeDiameter has stopped; posted work keeps its own
  // reference.
  std::shared_ptr<Server> server = static_cast<Server*>(opaque)->shared_from_this();
  struct msg_hdr* hdr = nullptr;
  if (fd_msg_hdr(*message, &hdr) != 0 || (hdr->msg_flags & CMD_FLAG_REQUEST) == 0) {
    *action = DISP_ACT_CONT;  // an answer: not ours (our answers go to the send callbacks)
    return 0;
  }
  std::vector<std::uint8_t> bytes = to_bytes(*message);
  if (bytes.empty()) {
    common::counter("diameter.cx.server.bufferize_failed").inc();
    *action = DISP_ACT_ERROR;  // freeDiameter answers DIAMETER_UNABLE_TO_COMPLY
    return 0;
  }
  auto request = std::make_shared<FdRequest>(server->shared, *message);
  *message = nullptr;  // ours now
  *action = DISP_ACT_CONT;
  boost::asio::post(server->executor,
                    [server, request = std::move(request), bytes = std::move(bytes)]() {
                      handle(server, request, bytes);
                    });
  return 0;
}

}  // namespace

std::shared_ptr<void> serve_fd(std::shared_ptr<NodeShared> shared,
                               struct dict_object* application,
                               boost::asio::any_io_executor executor, CxRequestHandler handler) {
  auto server =
      std::make_shared<Server>(std::move(shared), std::move(executor), std::move(handler));
  struct disp_when when{};
  when.app = application;
  struct disp_hdl* hdl = nullptr;
  if (fd_disp_register(on_request, DISP_HOW_APPID, &when, server.get(), &hdl) != 0) {
    throw std::runtime_error("diameter: fd_disp_register failed");
  }
  return server;
}

}  // namespace wimpu::diameter::detail
