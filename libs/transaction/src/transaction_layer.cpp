#include "wimpu/transaction/transaction_layer.hpp"

#include "layer_impl.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::transaction {

std::string_view to_string(RespondError e) noexcept {
  switch (e) {
    case RespondError::kNoTransaction: return "no_transaction";
    case RespondError::kWrongState: return "wrong_state";
    case RespondError::kTransportError: return "transport_error";
  }
  return "unknown";
}

std::string_view to_string(StartError e) noexcept {
  switch (e) {
    case StartError::kInvalidRequest: return "invalid_request";
    case StartError::kDuplicateBranch: return "duplicate_branch";
    case StartError::kFlowDead: return "flow_dead";
    case StartError::kUnreachable: return "unreachable";
    case StartError::kTooLarge: return "too_large";
    case StartError::kOverload: return "overload";
  }
  return "unknown";
}

TransactionLayer::TransactionLayer(ShardId shard, const TimerConfig& timers, Sender& sender,
                                   TimerService& clock)
    : impl_(std::make_unique<Impl>(shard, timers, sender, clock)) {}

TransactionLayer::~TransactionLayer() = default;

void TransactionLayer::set_user(TransactionUser& tu) { impl_->tu = &tu; }
ShardId TransactionLayer::shard() const { return impl_->shard; }
const TimerConfig& TransactionLayer::timers() const { return impl_->timers; }
TimerService& TransactionLayer::timer_service() { return impl_->timer_service; }
Random& TransactionLayer::random() { return impl_->random; }

void TransactionLayer::append_branch(std::string& out, std::string_view suffix) {
  transaction::append_branch(out, impl_->shard, impl_->random, suffix);
}

void TransactionLayer::receive(sip::Message&& msg, const Peer& from) {
  WIMPU_ASSERT(impl_->tu != nullptr);
  if (msg.empty()) {
    WIMPU_BUG("TransactionLayer::receive: unparsed message");
    return;
  }
  if (msg.is_request()) {
    impl_->receive_request(std::move(msg), from);
  } else {
    impl_->receive_response(std::move(msg), from);
  }
}

Expected<void, RespondError> TransactionLayer::respond(ServerTxId tx, int status,
                                                       std::string bytes,
                                                       std::string_view to_tag) {
  return impl_->respond(tx, status, std::move(bytes), to_tag);
}

bool TransactionLayer::server_alive(ServerTxId tx) const { return impl_->server(tx) != nullptr; }

const Peer* TransactionLayer::server_peer(ServerTxId tx) const {
  const auto* s = impl_->server(tx);
  return s ? &s->peer : nullptr;
}

Expected<ClientTxId, StartError> TransactionLayer::start_client(const Peer& to, std::string bytes,
                                                                std::uint64_t cookie,
                                                                ServerTxId upstream) {
  return impl_->start_client(to, std::move(bytes), cookie, upstream);
}

const sip::Message* TransactionLayer::client_request(ClientTxId tx) const {
  const auto* c = impl_->client(tx);
  return c ? &c->request : nullptr;
}

const Peer* TransactionLayer::client_peer(ClientTxId tx) const {
  const auto* c = impl_->client(tx);
  return c ? &c->peer : nullptr;
}

bool TransactionLayer::client_has_provisional(ClientTxId tx) const {
  const auto* c = impl_->client(tx);
  return c != nullptr && c->provisional_seen;
}

void TransactionLayer::terminate_client(ClientTxId tx) { impl_->terminate_client(tx); }

Expected<FlowId, SendError> TransactionLayer::send_stateless(const Peer& to, std::string bytes) {
  auto r = impl_->sender.send(to, std::move(bytes));
  if (!r) {
    impl_->counters.stateless_send_error.inc();
  }
  return r;
}

TransactionCounts TransactionLayer::counts() const {
  return TransactionCounts{impl_->servers.live(), impl_->clients.live()};
}

}  // namespace wimpu::transaction
