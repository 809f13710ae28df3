#include "wimpu/loadgen/sync_client.hpp"

namespace wimpu::loadgen {

class SyncWsSipClient::Handler final : public WsSipHandler {
public:
  void on_open(WsSipConnection&) override { opened = true; }
  void on_message(WsSipConnection&, std::string_view message) override {
    inbox.emplace_back(message);
  }
  void on_failed(WsSipConnection&, ErrorKind k, boost::system::error_code ec) override {
    failed = true;
    kind = k;
    detail = ec.message();
  }
  void on_closed(WsSipConnection&, bool, boost::system::error_code ec) override {
    closed = true;
    detail = ec.message();
  }

  bool opened = false;
  bool failed = false;
  bool closed = false;
  ErrorKind kind = ErrorKind::kConnect;
  std::string detail;
  std::deque<std::string> inbox;
};

SyncWsSipClient::SyncWsSipClient(WsClientConfig config)
    : config_(std::make_shared<const WsClientConfig>(std::move(config))),
      handler_(std::make_unique<Handler>()) {}

SyncWsSipClient::~SyncWsSipClient() {
  if (conn_) {
    conn_->detach();
    conn_->abort(ErrorKind::kClosed);
    io_.restart();
    io_.poll();  // let the aborted operations finish so the connection is freed
  }
}

template <class Pred>
bool SyncWsSipClient::run_until(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    io_.restart();
    io_.run_one_for(deadline - now);
  }
  return true;
}

Expected<void, ClientError> SyncWsSipClient::connect(std::chrono::milliseconds timeout) {
  auto endpoint = resolve(config_->url);
  if (!endpoint) {
    return ClientError{ErrorKind::kConnect, endpoint.error().message};
  }
  if (conn_) {
    conn_->detach();  // a previous connection must not report into the fresh handler state
    conn_->abort(ErrorKind::kClosed);
    io_.restart();
    io_.poll();
  }
  *handler_ = Handler{};
  conn_ = WsSipConnection::create(io_, config_, handler_.get());
  conn_->start(*endpoint, std::nullopt);
  if (!run_until([&] { return handler_->opened || handler_->failed; }, timeout)) {
    conn_->abort(ErrorKind::kConnectTimeout);
    run_until([&] { return handler_->failed; }, std::chrono::seconds(1));
    return ClientError{ErrorKind::kConnectTimeout, "connect timed out"};
  }
  if (handler_->failed) {
    return ClientError{handler_->kind, handler_->detail};
  }
  return {};
}

bool SyncWsSipClient::send(std::string message) {
  if (!is_open()) {
    return false;
  }
  conn_->send(message);
  // The connection writes what was queued in one io_context turn at the end of that turn: run
  // the turn now, so the write starts even if the caller never runs the loop again.
  io_.restart();
  io_.poll();
  return true;
}

bool SyncWsSipClient::flush(std::chrono::milliseconds timeout) {
  if (!conn_) {
    return false;
  }
  return run_until([&] { return conn_->queued() == 0 || handler_->closed; }, timeout) &&
         !handler_->closed;
}

Expected<std::string, ClientError> SyncWsSipClient::receive_raw(std::chrono::milliseconds timeout) {
  if (!conn_) {
    return ClientError{ErrorKind::kClosed, "not connected"};
  }
  run_until([&] { return !handler_->inbox.empty() || handler_->closed || handler_->failed; },
            timeout);
  if (!handler_->inbox.empty()) {
    std::string m = std::move(handler_->inbox.front());
    handler_->inbox.pop_front();
    return m;
  }
  if (handler_->closed || handler_->failed) {
    return ClientError{ErrorKind::kClosed, "connection closed: " + handler_->detail};
  }
  return ClientError{ErrorKind::kTimeout, "no message within the timeout"};
}

Expected<sip::Message, ClientError> SyncWsSipClient::receive(std::chrono::milliseconds timeout) {
  auto raw = receive_raw(timeout);
  if (!raw) {
    return raw.error();
  }
  auto msg = sip::Message::parse(*raw, sip::ParseOptions::websocket());
  if (!msg) {
    return ClientError{ErrorKind::kParse, "not a SIP message: " + *raw};
  }
  return std::move(*msg);
}

void SyncWsSipClient::close(std::chrono::milliseconds timeout) {
  if (!conn_ || !is_open()) {
    return;
  }
  conn_->close();
  if (!run_until([&] { return handler_->closed; }, timeout)) {
    conn_->abort(ErrorKind::kClosed);
    run_until([&] { return handler_->closed; }, std::chrono::seconds(1));
  }
}

void SyncWsSipClient::abort() {
  if (!conn_) {
    return;
  }
  conn_->abort(ErrorKind::kClosed);
  run_until([&] { return handler_->closed || handler_->failed; }, std::chrono::seconds(1));
}

bool SyncWsSipClient::is_open() const noexcept {
  return conn_ && conn_->state() == WsSipConnection::State::kOpen;
}

int SyncWsSipClient::handshake_status() const noexcept {
  return conn_ ? conn_->handshake_status() : 0;
}

boost::asio::ip::tcp::endpoint SyncWsSipClient::local_endpoint() const {
  return conn_ ? conn_->local_endpoint() : boost::asio::ip::tcp::endpoint{};
}

}  // namespace wimpu::loadgen
