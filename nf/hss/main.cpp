// wimpu-hss: the reference HSS as a process. Cx over Diameter (freeDiameter) on the configured
// port; subscribers from a TOML file, re-read on SIGHUP; stops on SIGINT/SIGTERM.
// Prints one "wimpu-hss: ready ..." line on stdout once it accepts connections.
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "wimpu/common/counter.hpp"
#include "wimpu/diameter/node.hpp"
#include "wimpu/hss/hss_config.hpp"
#include "wimpu/hss/hss_service.hpp"

namespace {

void watch_signals(boost::asio::signal_set& signals, boost::asio::io_context& io,
                   wimpu::hss::HssService& service, const std::filesystem::path& subscribers) {
  signals.async_wait([&signals, &io, &service, subscribers](const boost::system::error_code& ec,
                                                            int signal) {
    if (ec) {
      return;
    }
    if (signal != SIGHUP) {
      io.stop();
      return;
    }
    auto store = wimpu::hss::SubscriberStore::load(subscribers);
    if (store) {
      service.reload(std::move(*store));
      std::fprintf(stderr, "wimpu-hss: reloaded %s\n", subscribers.c_str());
    } else {
      // A bad file keeps the previous data: the HSS keeps serving.
      wimpu::common::counter("hss.reload_failed").inc();
      std::fprintf(stderr, "wimpu-hss: reload failed, keeping previous data: %s\n",
                   store.error().c_str());
    }
    watch_signals(signals, io, service, subscribers);
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wimpu reference HSS (Cx over Diameter)"};
  std::string config_path;
  app.add_option("--config", config_path, "HSS configuration file (TOML)")->required();
  CLI11_PARSE(app, argc, argv);

  try {
    auto config = wimpu::hss::load_hss_config(config_path);
    if (!config) {
      std::fprintf(stderr, "wimpu-hss: %s\n", config.error().c_str());
      return 2;
    }
    auto store = wimpu::hss::SubscriberStore::load(config->subscribers);
    if (!store) {
      std::fprintf(stderr, "wimpu-hss: %s\n", store.error().c_str());
      return 2;
    }
    boost::asio::io_context io(1);
    // Signals first, so that no signal arriving during start-up kills the process by default.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    wimpu::hss::HssService service(io.get_executor(), std::move(*store),
                                   config->diameter.identity, config->diameter.realm);
    auto node = wimpu::diameter::DiameterNode::start(config->diameter);
    service.serve(*node);
    watch_signals(signals, io, service, config->subscribers);
    std::printf("wimpu-hss: ready identity=%s realm=%s port=%u\n",
                config->diameter.identity.c_str(), config->diameter.realm.c_str(),
                static_cast<unsigned>(config->diameter.port));
    std::fflush(stdout);
    io.run();
    node.reset();  // DPR to peers, freeDiameter threads joined
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wimpu-hss: %s\n", e.what());
    return 1;
  }
}
