#pragma once
// HssService runs one Hss on one executor and exposes it over Cx two ways:
//  - over Diameter, on the process's DiameterNode (serve()): the HSS process and split configs;
//  - in-process (make_in_process_client()): a CxClient implemented directly over the Hss, for the
//    all-in-one wimpud, with the same asynchronous contract as the Diameter client.
#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "wimpu/diameter/cx_client.hpp"
#include "wimpu/diameter/node.hpp"
#include "wimpu/hss/hss.hpp"

namespace wimpu::hss {

class HssService {
public:
  /// `executor` is where the Hss lives (all its calls run there). `identity`/`realm` are used as
  /// Origin-Host/-Realm of in-process answers (the Diameter path uses the node's).
  HssService(boost::asio::any_io_executor executor, std::shared_ptr<const SubscriberStore> store,
             std::string identity, std::string realm);

  /// Serves Cx over `node` (DiameterNode::serve_cx); answers are computed on the executor.
  void serve(diameter::DiameterNode& node);

  /// A CxClient whose handlers run on `client_executor`. Requests hop to the HSS executor and the
  /// answers hop back (never inline). The service must outlive the client and its pending requests.
  std::unique_ptr<diameter::CxClient> make_in_process_client(
      boost::asio::any_io_executor client_executor);

  /// Replaces the subscriber data (posted to the executor; thread-safe). Registration state is
  /// kept (Hss::reload).
  void reload(std::shared_ptr<const SubscriberStore> store);

  /// The executor the Hss lives on.
  boost::asio::any_io_executor executor() const { return executor_; }
  /// The Hss itself: only touch it on executor().
  Hss& hss() { return hss_; }

private:
  friend class InProcessCxClient;
  boost::asio::any_io_executor executor_;
  Hss hss_;
  std::string identity_;
  std::string realm_;
  std::atomic<std::uint32_t> next_session_{0};
};

}  // namespace wimpu::hss
