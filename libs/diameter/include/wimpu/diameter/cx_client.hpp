#pragma once
// The asynchronous Cx client the I-CSCF and S-CSCF call (one per shard). Two implementations: the
// freeDiameter bridge (DiameterNode::make_cx_client, Diameter between processes) and the
// in-process path over the HSS object (wimpu::hss::InProcessCxClient, all-in-one process).
//
// Threading (STYLE.md "Threading"): a client is bound to one executor, its shard. send() is called
// from that shard; the handler always runs later on that executor (never inline inside send(),
// never on a freeDiameter thread). No call blocks.
#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/associated_executor.hpp>

#include "wimpu/common/expected.hpp"
#include "wimpu/diameter/cx_messages.hpp"

namespace wimpu::diameter {

/// Why a Cx request got no usable answer. Closed set; a CSCF maps every value to 503 Service
/// Unavailable (TS 24.229 §5.3.2.1: HSS not reachable), kBadAnswer possibly to 500.
enum class CxError : std::uint8_t {
  kTimeout,      ///< no answer within CxClientOptions::timeout
  kUnavailable,  ///< no open connection/route to the HSS: peer down or lost, or the Diameter
                 ///< layer answered 3002 UNABLE_TO_DELIVER / 3003 REALM_NOT_SERVED / 3004 TOO_BUSY
  kBadAnswer,    ///< the answer could not be decoded, or is not the answer to this command
  kOverload,     ///< too many requests pending on this client (CxClientOptions::max_pending)
  kShutdown,     ///< the Diameter node is stopping
  kInternal,     ///< the request could not be handed to freeDiameter (a bug: see the counters)
};

/// Stable lowercase name ("timeout", ...), used in logs and counter names.
std::string_view to_string(CxError error) noexcept;

/// Result of one Cx transaction: the answer (whatever its Result-Code or Experimental-Result,
/// which the caller interprets) or a CxError.
template <class Answer>
using CxResult = wimpu::Expected<Answer, CxError>;

/// Client interface. See the file comment for threading.
class CxClient {
public:
  using AnswerHandler = std::function<void(CxResult<CxAnswer>)>;

  virtual ~CxClient() = default;

  /// Sends `request` and later calls `handler` exactly once on executor() with its answer or an
  /// error. Envelope fields left empty are filled: Session-Id (a new one), Origin-Host/-Realm (this
  /// node), Destination-Realm/-Host (the client's options). The answer handed over is of the
  /// request's answer type (a UAR gets a UserAuthorizationAnswer). Must be called on executor().
  /// The handler may run after the client is destroyed: it must not capture the client by raw
  /// reference unless the client outlives every request.
  virtual void send(CxRequest request, AnswerHandler handler) = 0;

  /// The shard this client answers on.
  virtual boost::asio::any_io_executor executor() const = 0;

  /// Typed convenience over send(): `client.request(LocationInfoRequest{...}, [](CxResult<
  /// LocationInfoAnswer> r) {...})`. Same contract as send().
  template <class Request, class Handler>
  void request(Request request, Handler handler) {
    using Answer = AnswerFor_t<Request>;
    send(CxRequest(std::move(request)),
         [handler = std::move(handler)](CxResult<CxAnswer> result) mutable {
           if (!result) {
             handler(CxResult<Answer>(result.error()));
           } else if (auto* answer = std::get_if<Answer>(&*result)) {
             handler(CxResult<Answer>(std::move(*answer)));
           } else {
             handler(CxResult<Answer>(CxError::kBadAnswer));
           }
         });
  }
};

/// Asio completion-token form, for coroutines on the client's shard:
///   auto lia = co_await async_request(client, LocationInfoRequest{...}, asio::use_awaitable);
/// Completes with CxResult<AnswerFor_t<Request>>. Must be initiated on client.executor().
template <class Request, class CompletionToken>
auto async_request(CxClient& client, Request request, CompletionToken&& token) {
  using Result = CxResult<AnswerFor_t<Request>>;
  return boost::asio::async_initiate<CompletionToken, void(Result)>(
      [&client](auto handler, Request req) {
        auto executor = boost::asio::get_associated_executor(handler, client.executor());
        client.request(std::move(req),
                       [handler = std::make_shared<decltype(handler)>(std::move(handler)),
                        executor](Result result) mutable {
                         boost::asio::dispatch(executor, [handler, result = std::move(result)]() mutable {
                           (*handler)(std::move(result));
                         });
                       });
      },
      token, std::move(request));
}

}  // namespace wimpu::diameter
