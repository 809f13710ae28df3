#include "admin_cmd.hpp"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "wimpu/admin/query.hpp"
#include "wimpu/http/client.hpp"

namespace wimpu::ctl {
namespace {

using nlohmann::json;

struct AdminOptions {
  std::string admin;
  bool json = false;
  std::string impu;
  std::string issuer;
  std::string subject;
  std::string block;
  std::string uri;
  std::string instance;
  std::uint32_t reg_id = 0;
};

struct Reply {
  unsigned status = 0;
  std::string body;
};

/// One request to the admin endpoint; nullopt (with a message on stderr) if it cannot be reached.
std::optional<Reply> call(const std::string& admin, http::Verb verb, const std::string& target,
                          const std::string& body = {}) {
  std::string addr = admin;
  if (addr.empty()) {
    const char* env = std::getenv("WIMPU_ADMIN");
    addr = env != nullptr && *env != '\0' ? env : "127.0.0.1:9180";
  }
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "wimpuctl: --admin must be HOST:PORT, got \"" << addr << "\"\n";
    return std::nullopt;
  }
  std::string host = addr.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned long port = std::strtoul(addr.c_str() + colon + 1, nullptr, 10);
  if (port == 0 || port > 65535) {
    std::cerr << "wimpuctl: bad port in --admin \"" << addr << "\"\n";
    return std::nullopt;
  }
  http::Client client(host, static_cast<std::uint16_t>(port), nullptr,
                      std::chrono::milliseconds(10'000));
  auto r = client.request(verb, target, body, body.empty() ? "" : "application/json");
  if (!r) {
    std::cerr << "wimpuctl: admin endpoint " << addr << ": " << r.error().message() << "\n";
    return std::nullopt;
  }
  return Reply{r->result_int(), r->body()};
}

/// The JSON body of a 2xx reply; nullopt (message on stderr) otherwise.
std::optional<json> ok_json(const std::optional<Reply>& r) {
  if (!r) {
    return std::nullopt;
  }
  json j = json::parse(r->body, nullptr, false);
  if (r->status < 200 || r->status > 299) {
    std::cerr << "wimpuctl: " << r->status;
    if (j.is_object() && j.contains("error")) {
      std::cerr << " " << j.value("error", "") << ": " << j.value("message", "");
    }
    std::cerr << "\n";
    return std::nullopt;
  }
  if (j.is_discarded()) {
    std::cerr << "wimpuctl: the admin endpoint answered something that is not JSON\n";
    return std::nullopt;
  }
  return j;
}

std::string owner_text(const json& b) {
  if (!b["owner"].is_object()) {
    return "-";
  }
  return b["owner"].value("issuer", "") + " " + b["owner"].value("subject", "");
}

int health(const AdminOptions& o) {
  auto j = ok_json(call(o.admin, http::Verb::get, "/admin/health"));
  if (!j) {
    return 1;
  }
  if (o.json) {
    std::cout << j->dump(2) << "\n";
  } else {
    std::cout << "ready\t" << ((*j)["ready"].get<bool>() ? "yes" : "no") << "\n";
    for (const auto& [name, f] : (*j)["functions"].items()) {
      std::cout << name << "\t" << f.value("state", "");
      for (const auto& l : f["listeners"]) {
        std::cout << "\t" << l.value("protocol", "") << " " << l.value("address", "") << ":"
                  << l.value("port", 0);
      }
      std::cout << "\n";
    }
  }
  return (*j)["ready"].get<bool>() ? 0 : 1;
}

int bindings_list(const AdminOptions& o) {
  std::string target = "/admin/bindings";
  std::string sep = "?";
  auto param = [&](const char* name, const std::string& v) {
    if (!v.empty()) {
      target += sep + name + "=" + admin::percent_encode(v);
      sep = "&";
    }
  };
  param("impu", o.impu);
  param("issuer", o.issuer);
  param("subject", o.subject);
  param("block", o.block);
  auto j = ok_json(call(o.admin, http::Verb::get, target));
  if (!j) {
    return 1;
  }
  if (o.json) {
    std::cout << j->dump(2) << "\n";
    return 0;
  }
  // One line per binding: IMPU, state, owner, and per contact its instance and expiry.
  for (const auto& b : (*j)["bindings"]) {
    std::cout << b.value("impu", "") << "\t" << b.value("state", "") << "\t" << owner_text(b)
              << "\t" << b["contacts"].size() << " contact(s)";
    for (const auto& c : b["contacts"]) {
      const std::string id = c.value("instance", "").empty() ? c.value("uri", "")
                                                              : c.value("instance", "");
      std::cout << "\t" << id << " " << c.value("expires_in_s", 0) << "s";
    }
    std::cout << "\n";
  }
  return 0;
}

int bindings_kick(const AdminOptions& o) {
  json body{{"impu", o.impu}};
  if (!o.uri.empty()) {
    body["uri"] = o.uri;
  }
  if (!o.instance.empty()) {
    body["instance"] = o.instance;
    body["reg_id"] = o.reg_id;
  }
  auto j = ok_json(call(o.admin, http::Verb::post, "/admin/bindings/kick", body.dump()));
  if (!j) {
    return 1;
  }
  if (o.json) {
    std::cout << j->dump(2) << "\n";
  } else {
    std::cout << "removed\t" << (*j)["removed"] << "\tremaining\t" << (*j)["remaining"]
              << "\tflows_closed\t" << j->value("flows_closed", 0)
              << ((*j)["released"].get<bool>() ? "\treleased (quarantine started)" : "") << "\n";
  }
  return 0;
}

int blocks(const AdminOptions& o) {
  auto j = ok_json(call(o.admin, http::Verb::get, "/admin/blocks"));
  if (!j) {
    return 1;
  }
  if (o.json) {
    std::cout << j->dump(2) << "\n";
    return 0;
  }
  std::cout << "block\tsize\tregistered\tquarantined\tfree\n";
  for (const auto& b : (*j)["blocks"]) {
    std::cout << b.value("id", "") << "\t" << b["size"] << "\t" << b["registered"] << "\t"
              << b["quarantined"] << "\t" << b["free"] << "\n";
  }
  return 0;
}

}  // namespace

void add_admin_commands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AdminOptions>();
  auto admin_opt = [o](CLI::App* c) {
    c->add_option("--admin", o->admin, "Admin endpoint HOST:PORT (default $WIMPU_ADMIN or "
                                       "127.0.0.1:9180)");
    c->add_flag("--json", o->json, "Print the endpoint's JSON");
  };

  CLI::App* h = app.add_subcommand("health", "Readiness and listeners of each function");
  admin_opt(h);
  h->callback([o, &exit_code] { exit_code = health(*o); });

  CLI::App* b = app.add_subcommand("bindings", "wIMPU bindings (W4)");
  b->require_subcommand(1);
  CLI::App* list = b->add_subcommand("list", "By IMPU, by web identity, or all of a block");
  admin_opt(list);
  list->add_option("--impu", o->impu, "IMPU (sip: or tel: URI)");
  list->add_option("--issuer", o->issuer, "Web identity: token issuer (with --subject)");
  list->add_option("--subject", o->subject, "Web identity: token subject (with --issuer)");
  list->add_option("--block", o->block, "Block id (default: every block)");
  list->callback([o, &exit_code] {
    if (o->issuer.empty() != o->subject.empty()) {
      std::cerr << "wimpuctl: --issuer and --subject go together\n";
      exit_code = 1;
      return;
    }
    exit_code = bindings_list(*o);
  });
  CLI::App* kick = b->add_subcommand("kick", "Remove a binding's contacts (all, or one)");
  admin_opt(kick);
  kick->add_option("--impu", o->impu, "IMPU")->required();
  kick->add_option("--uri", o->uri, "Only the contact with this URI");
  kick->add_option("--instance", o->instance, "Only the contact with this +sip.instance");
  kick->add_option("--reg-id", o->reg_id, "reg-id of --instance");
  kick->callback([o, &exit_code] { exit_code = bindings_kick(*o); });

  CLI::App* bl = app.add_subcommand("blocks", "Usage of each block: allocated, quarantined, free");
  admin_opt(bl);
  bl->callback([o, &exit_code] { exit_code = blocks(*o); });
}

}  // namespace wimpu::ctl
