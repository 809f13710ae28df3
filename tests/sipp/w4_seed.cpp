// wimpu-test-w4-seed: test support for the IMS SIPp checks. Plays the eP-CSCF's part in the W4
// Redis (docs/w4.md): registers one contact for a web identity in a block and prints the IMPU it
// got. With --wait-expired it then waits (polling the W4, bounded) until that contact has expired,
// so the IMPU stays allocated without a live contact. Exit 0 on success.
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "wimpu/registrar/redis_registrar.hpp"

namespace asio = boost::asio;
namespace reg = wimpu::registrar;

namespace {

template <class Task>
auto run(asio::io_context& io, Task task) {
  auto f = asio::co_spawn(io, std::move(task), asio::use_future);
  // The connection keeps the io_context busy (reconnect timer): run until the answer is in.
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    io.run_one();
  }
  return f.get();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"W4 seeding for tests"};
  int port = 0;
  std::string block_id = "b1";
  std::string domain = "block.example";
  std::string first = "+15550000100";
  std::string last = "+15550000199";
  std::string subject = "wic1";
  std::string contact = "sip:wic@client.invalid;transport=ws";
  std::uint32_t expires = 600;
  bool wait_expired = false;
  app.add_option("--redis-port", port)->required();
  app.add_option("--block", block_id);
  app.add_option("--domain", domain);
  app.add_option("--first", first);
  app.add_option("--last", last);
  app.add_option("--subject", subject);
  app.add_option("--contact", contact);
  app.add_option("--expires", expires);
  app.add_flag("--wait-expired", wait_expired);
  CLI11_PARSE(app, argc, argv);

  reg::BlockConfig b;
  b.id = block_id;
  b.domains = {domain};
  b.range_first = first;
  b.range_last = last;
  asio::io_context io;
  reg::RedisOptions o;
  o.port = static_cast<std::uint16_t>(port);
  reg::RedisRegistrar w4(io.get_executor(),
                         std::make_shared<reg::BlockSet>(std::vector<reg::BlockConfig>{b}), o);
  reg::RegisterRequest r;
  r.block = block_id;
  r.identity = {"https://wwsf.example", subject};
  reg::ContactUpdate u;
  u.contact.uri = contact;
  u.contact.call_id = "seed-" + subject;
  u.contact.cseq = 1;
  u.expires_s = expires;
  r.contacts.push_back(u);
  auto res = run(io, w4.register_contacts(std::move(r)));
  if (!res) {
    std::fprintf(stderr, "register failed: %s\n", std::string(reg::to_string(res.error())).c_str());
    return 1;
  }
  if (wait_expired) {
    // Redis owns the time (docs/w4.md): poll the W4 until it says the contact is gone.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(expires + 10);
    while (true) {
      auto live = run(io, w4.is_registered(res->impu));
      if (live && !*live) {
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "contact did not expire\n");
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::printf("%s\n", res->impu.c_str());
  return 0;
}
