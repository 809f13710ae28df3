#include "wimpu/hss/hss_service.hpp"

#include <ctime>

#include <boost/asio/post.hpp>

#include "wimpu/common/counter.hpp"

namespace wimpu::hss {

using namespace wimpu::diameter;

HssService::HssService(boost::asio::any_io_executor executor,
                       std::shared_ptr<const SubscriberStore> store, std::string identity,
                       std::string realm)
    : executor_(std::move(executor)),
      hss_(std::move(store)),
      identity_(std::move(identity)),
      realm_(std::move(realm)) {}

void HssService::serve(DiameterNode& node) {
  node.serve_cx(executor_, [this](CxRequest request, CxResponder responder) {
    responder.answer(hss_.handle(request));
  });
}

void HssService::reload(std::shared_ptr<const SubscriberStore> store) {
  boost::asio::post(executor_, [this, store = std::move(store)]() mutable {
    hss_.reload(std::move(store));
    common::counter("hss.reloaded").inc();
  });
}

// The in-process Cx path: the same contract as the Diameter client (handler on the client's
// executor, never inline), without encoding. Session-Ids are still unique, for logs.
class InProcessCxClient final : public CxClient {
public:
  InProcessCxClient(HssService& service, boost::asio::any_io_executor executor)
      : service_(service), executor_(std::move(executor)) {}

  boost::asio::any_io_executor executor() const override { return executor_; }

  void send(CxRequest request, AnswerHandler handler) override {
    common::counter("hss.in_process.requests").inc();
    std::visit(
        [this](auto& r) {
          if (r.envelope.session_id.empty()) {
            r.envelope.session_id = service_.identity_ + ";in-process;" +
                                    std::to_string(service_.next_session_.fetch_add(1));
          }
          if (r.envelope.destination_realm.empty()) {
            r.envelope.destination_realm = service_.realm_;
          }
        },
        request);
    boost::asio::post(service_.executor_, [&service = service_, client = executor_,
                                           request = std::move(request),
                                           handler = std::move(handler)]() mutable {
      CxAnswer answer = service.hss_.handle(request);
      const std::string session =
          std::visit([](const auto& r) { return r.envelope.session_id; }, request);
      std::visit(
          [&](auto& a) {
            a.envelope.session_id = session;
            a.envelope.origin_host = service.identity_;
            a.envelope.origin_realm = service.realm_;
          },
          answer);
      boost::asio::post(client, [handler = std::move(handler), answer = std::move(answer)]() mutable {
        handler(CxResult<CxAnswer>(std::move(answer)));
      });
    });
  }

private:
  HssService& service_;
  boost::asio::any_io_executor executor_;
};

std::unique_ptr<CxClient> HssService::make_in_process_client(
    boost::asio::any_io_executor client_executor) {
  return std::make_unique<InProcessCxClient>(*this, std::move(client_executor));
}

}  // namespace wimpu::hss
