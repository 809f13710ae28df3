#include "wimpu/registrar/redis_registrar.hpp"

#include <charconv>

#include <boost/asio/use_awaitable.hpp>

#include "error_counters.hpp"
#include "redis_connection.hpp"
#include "w4_lua.hpp"
#include "w4_record.hpp"
#include "wimpu/common/assert.hpp"

namespace wimpu::registrar {
namespace {

using boost::asio::use_awaitable;
using detail::RedisValue;

const detail::ErrorCounters& errors() {
  static const detail::ErrorCounters counters("redis");
  return counters;
}

// The functions fail with "<CODE> detail" (docs/w4.md); anything else is unexpected.
W4Error map_error(std::string_view msg) {
  if (msg.starts_with("ERR ")) {
    msg.remove_prefix(4);
  }
  const std::string_view code = msg.substr(0, msg.find(' '));
  static constexpr std::pair<std::string_view, W4Error> kCodes[] = {
      {"INVALID_ARGUMENT", W4Error::kInvalidArgument},
      {"UNKNOWN_BLOCK", W4Error::kUnknownBlock},
      {"UNKNOWN_IMPU", W4Error::kUnknownImpu},
      {"NOT_FOUND", W4Error::kNotFound},
      {"OUT_OF_ORDER", W4Error::kOutOfOrder},
      {"POOL_EXHAUSTED", W4Error::kPoolExhausted},
      {"TOO_MANY_CONTACTS", W4Error::kTooManyContacts},
      {"CONFIG_MISMATCH", W4Error::kConfigMismatch},
  };
  for (const auto& [name, e] : kCodes) {
    if (code == name) {
      return e;
    }
  }
  return W4Error::kBackend;
}

// Unwraps a transport result into the function's reply, counting every error.
W4Result<const RedisValue*> unwrap(const detail::RedisReply& r) {
  if (!r) {
    return errors().count(r.error());
  }
  if (r->type == RedisValue::Type::kError) {
    return errors().count(map_error(r->str));
  }
  return &*r;
}

bool is_int(const RedisValue& v) {
  return v.type == RedisValue::Type::kInteger;
}
bool is_str(const RedisValue& v) {
  return v.type == RedisValue::Type::kString;
}

std::optional<ContactView> parse_contact(const RedisValue& v) {
  constexpr std::size_t kFields = 14;
  if (v.type != RedisValue::Type::kArray || v.elements.size() != kFields) {
    return std::nullopt;
  }
  const auto& e = v.elements;
  for (const std::size_t i : {0, 1, 2, 4, 8, 9, 10, 11}) {
    if (!is_str(e[i])) {
      return std::nullopt;
    }
  }
  for (const std::size_t i : {3, 5, 6, 7, 12, 13}) {
    if (!is_int(e[i])) {
      return std::nullopt;
    }
  }
  ContactView c;
  c.info.uri = e[0].str;
  c.info.params = e[1].str;
  c.info.instance = e[2].str;
  c.info.reg_id = static_cast<std::uint32_t>(e[3].integer);
  c.info.call_id = e[4].str;
  c.info.cseq = static_cast<std::uint32_t>(e[5].integer);
  c.expires_at_ms = e[6].integer;
  c.expires_in_s = static_cast<std::uint32_t>(e[7].integer);
  c.info.flow_token = e[8].str;
  c.info.epcscf_instance = e[9].str;
  std::string_view path = e[10].str;
  while (!path.empty()) {
    const auto nl = path.find('\n');
    c.info.path.emplace_back(path.substr(0, nl));
    path = nl == std::string_view::npos ? std::string_view() : path.substr(nl + 1);
  }
  c.info.user_agent = e[11].str;
  c.registered_at_ms = e[12].integer;
  c.updated_at_ms = e[13].integer;
  return c;
}

// Contacts from position `first` of an array reply.
bool parse_contacts(const RedisValue& v, std::size_t first, std::vector<ContactView>& out) {
  for (std::size_t i = first; i < v.elements.size(); ++i) {
    auto c = parse_contact(v.elements[i]);
    if (!c) {
      return false;
    }
    out.push_back(std::move(*c));
  }
  return true;
}

std::vector<std::string> aliases_of(const BlockSet& blocks, const std::string& impu) {
  const auto r = blocks.resolve(impu);
  return r ? r->block->aliases(r->index) : std::vector<std::string>{};
}

// [impu, state, owner, now, contact...]
W4Result<Binding> parse_binding(const BlockSet& blocks, const Block& block, const RedisValue& v) {
  if (v.type != RedisValue::Type::kArray || v.elements.size() < 4 || !is_str(v.elements[0]) ||
      !is_str(v.elements[1]) || !is_str(v.elements[2]) || !is_int(v.elements[3])) {
    return errors().count(W4Error::kBackend);
  }
  Binding b;
  b.block = block.config.id;
  b.impu = v.elements[0].str;
  b.aliases = aliases_of(blocks, b.impu);
  const std::string& st = v.elements[1].str;
  b.state = st == "registered"    ? ImpuState::kRegistered
            : st == "quarantined" ? ImpuState::kQuarantined
                                  : ImpuState::kFree;
  if (b.state != ImpuState::kFree) {
    b.owner = WebIdentity::from_key(v.elements[2].str);
  }
  b.now_ms = v.elements[3].integer;
  if (!parse_contacts(v, 4, b.contacts)) {
    return errors().count(W4Error::kBackend);
  }
  return b;
}

W4Result<RemoveResult> parse_remove(const RedisValue& v) {
  if (v.type != RedisValue::Type::kArray || v.elements.size() != 3 || !is_int(v.elements[0]) ||
      !is_int(v.elements[1]) || !is_int(v.elements[2])) {
    return errors().count(W4Error::kBackend);
  }
  return RemoveResult{static_cast<std::uint32_t>(v.elements[0].integer),
                      static_cast<std::uint32_t>(v.elements[1].integer),
                      v.elements[2].integer != 0};
}

// [state, now, record] of w4_lookup_record: the live contacts of the record.
W4Result<Binding> parse_record_binding(const Block& block, std::uint64_t index,
                                       const RedisValue& v) {
  if (v.type != RedisValue::Type::kArray || v.elements.size() != 3 || !is_str(v.elements[0]) ||
      !is_int(v.elements[1]) || !is_str(v.elements[2])) {
    return errors().count(W4Error::kBackend);
  }
  Binding b;
  b.block = block.config.id;
  b.impu = block.render(index);
  b.aliases = block.aliases(index);
  const std::string& st = v.elements[0].str;
  b.state = st == "registered"    ? ImpuState::kRegistered
            : st == "quarantined" ? ImpuState::kQuarantined
                                  : ImpuState::kFree;
  b.now_ms = v.elements[1].integer;
  if (b.state == ImpuState::kFree) {
    return b;
  }
  std::string_view owner;
  if (!detail::decode_record(v.elements[2].str, b.now_ms, b.contacts, &owner)) {
    return errors().count(W4Error::kBackend);
  }
  b.owner = WebIdentity::from_key(owner);
  // Expired contacts stay in the record until its next write; readers never see them.
  std::erase_if(b.contacts, [&](const ContactView& c) { return c.expires_at_ms <= b.now_ms; });
  return b;
}

// The record of a w4_register_records reply: the string itself, or [base, offset, bytes] when
// the function wrote the record in place (base with bytes at offset; docs/w4.md 5.4), applied
// to base where it lies (no copy). Null when malformed.
const std::string* patched_record(RedisValue& v) {
  if (is_str(v)) {
    return &v.str;
  }
  if (v.type != RedisValue::Type::kArray || v.elements.size() != 3 || !is_str(v.elements[0]) ||
      !is_int(v.elements[1]) || !is_str(v.elements[2])) {
    return nullptr;
  }
  std::string& base = v.elements[0].str;
  const std::string& bytes = v.elements[2].str;
  const auto offset = v.elements[1].integer;
  if (offset < 0 || static_cast<std::uint64_t>(offset) > base.size() ||
      bytes.size() > base.size() - static_cast<std::size_t>(offset)) {
    return nullptr;
  }
  base.replace(static_cast<std::size_t>(offset), bytes.size(), bytes);
  return &base;
}

std::vector<std::string> fcall(std::string_view fn, const Block& block, bool read_only) {
  std::vector<std::string> argv;
  argv.reserve(16);
  argv.emplace_back(read_only ? "FCALL_RO" : "FCALL");
  argv.emplace_back(fn);
  argv.emplace_back("1");
  argv.push_back(block.redis_tag() + ":cfg");
  return argv;
}

// The library text to load: as is, or with the test functions switched on (w4.lua's
// TEST_FUNCTIONS line; RedisOptions::load_test_functions).
std::string library_text(bool test_functions) {
  std::string lua(detail::kW4Lua);
  if (test_functions) {
    static constexpr std::string_view kOff = "local TEST_FUNCTIONS = false\n";
    const auto at = lua.find(kOff);
    WIMPU_RELEASE_ASSERT(at != std::string::npos);
    lua.replace(at, kOff.size(), "local TEST_FUNCTIONS = true\n");
  }
  return lua;
}

detail::FunctionLibrary function_library(bool test_functions) {
  detail::FunctionLibrary lib;
  lib.text = library_text(test_functions);
  lib.version = RedisRegistrar::functions_version();
  lib.version_function = "w4_version";
  lib.version_key = "{w4}:lib";
  // The test variant of a version (with w4_test_advance_time) replaces the production one.
  lib.replace_same = test_functions;
  return lib;
}

std::vector<std::vector<std::string>> setup_commands(const BlockSet& blocks) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& b : blocks.blocks()) {
    cmds.push_back(RedisRegistrar::configure_command(*b));
  }
  return cmds;
}

}  // namespace

RedisRegistrar::RedisRegistrar(boost::asio::any_io_executor executor, BlockSetPtr blocks,
                               RedisOptions options)
    : blocks_(std::move(blocks)) {
  WIMPU_RELEASE_ASSERT(blocks_ != nullptr);
  const bool test_functions = options.load_test_functions;
  conn_ = std::make_shared<detail::RedisConnection>(
      executor, std::move(options), function_library(test_functions), setup_commands(*blocks_));
  boost::asio::dispatch(executor, [c = conn_] { c->start(); });
}

RedisRegistrar::~RedisRegistrar() {
  // The connection may still be referenced by handlers queued on its executor; closing it here
  // fails everything outstanding and frees the hiredis context now, on this (the owning) thread.
  conn_->close();
}

std::string_view RedisRegistrar::functions_source() {
  return detail::kW4Lua;
}

long long RedisRegistrar::functions_version() {
  // The one source of truth is w4.lua's "local VERSION = '<n>'" line.
  static const long long version = [] {
    static constexpr std::string_view kLine = "local VERSION = '";
    const std::string_view lua = detail::kW4Lua;
    const auto at = lua.find(kLine);
    WIMPU_RELEASE_ASSERT(at != std::string_view::npos);
    long long v = 0;
    const char* first = lua.data() + at + kLine.size();
    const auto [end, ec] = std::from_chars(first, lua.data() + lua.size(), v);
    WIMPU_RELEASE_ASSERT(ec == std::errc() && end != first && *end == '\'' && v > 0);
    return v;
  }();
  return version;
}

std::vector<std::string> RedisRegistrar::configure_command(const Block& b) {
  std::vector<std::string> argv = fcall("w4_configure", b, false);
  const auto& c = b.config;
  std::string domains;
  for (const auto& d : c.domains) {
    domains += (domains.empty() ? "" : ",") + d;
  }
  argv.insert(argv.end(),
              {b.is_range ? "range" : "list", std::to_string(b.first), std::to_string(b.size),
               std::to_string(b.width), b.plus ? "1" : "0", domains, c.render_sip ? "1" : "0",
               c.render_tel ? "1" : "0", std::to_string(c.quarantine.count()),
               std::to_string(c.max_contacts), c.epcscf, c.wildcard});
  argv.insert(argv.end(), b.list.begin(), b.list.end());
  return argv;
}

W4Task<RegisterResult> RedisRegistrar::register_contacts(RegisterRequest req) {
  if (auto v = validate(req); !v) {
    co_return errors().count(v.error());
  }
  const Block* block = blocks_->find(req.block);
  if (block == nullptr) {
    co_return errors().count(W4Error::kUnknownBlock);
  }
  // Group commit: this request's arguments of w4_register_records (docs/w4.md 5.4); the
  // connection sends every REGISTER of the block issued in this event-loop turn as one FCALL.
  std::vector<std::string> argv;
  argv.reserve(3 + req.contacts.size());
  argv.push_back(req.identity.key());
  // The index hint: the function then finds the record without the identity index.
  std::string hint;
  if (!req.impu_hint.empty()) {
    if (const auto r = blocks_->resolve(req.impu_hint); r && r->block == block) {
      hint = std::to_string(r->index);
    }
  }
  argv.push_back(std::move(hint));
  std::string nums;
  nums.reserve(8 * req.contacts.size());
  for (const auto& u : req.contacts) {
    detail::append_nums(u.expires_s, u.contact.cseq, nums);
  }
  argv.push_back(std::move(nums));
  for (const auto& u : req.contacts) {
    // The contact's part of its record entry: the function stores it as it is.
    std::string part;
    detail::append_part(u.contact, part);
    argv.push_back(std::move(part));
  }
  std::string function = "w4_register_records";
  std::string key = block->redis_tag() + ":cfg";
  auto reply = co_await conn_->async_batched(std::move(function), std::move(key),
                                             std::move(argv), use_awaitable);
  if (const auto v = unwrap(reply); !v) {
    co_return v.error();
  }
  // [index, newly, now, record or [base, offset, bytes]]
  RedisValue& r = *reply;
  if (r.type != RedisValue::Type::kArray || r.elements.size() != 4 || !is_int(r.elements[0]) ||
      !is_int(r.elements[1]) || !is_int(r.elements[2]) || r.elements[0].integer < 0 ||
      static_cast<std::uint64_t>(r.elements[0].integer) >= block->size) {
    co_return errors().count(W4Error::kBackend);
  }
  const std::string* record = patched_record(r.elements[3]);
  if (record == nullptr) {
    co_return errors().count(W4Error::kBackend);
  }
  const auto index = static_cast<std::uint64_t>(r.elements[0].integer);
  RegisterResult out;
  out.impu = block->render(index);
  out.aliases = block->aliases(index);
  out.newly_allocated = r.elements[1].integer != 0;
  out.now_ms = r.elements[2].integer;
  if (!detail::decode_record(*record, out.now_ms, out.contacts)) {
    co_return errors().count(W4Error::kBackend);
  }
  co_return out;
}

W4Task<RemoveResult> RedisRegistrar::remove_contact(std::string impu, ContactKey key) {
  if (auto v = validate(key); !v) {
    co_return errors().count(v.error());
  }
  const auto res = blocks_->resolve(impu);
  if (!res) {
    co_return errors().count(res.error());
  }
  auto argv = fcall("w4_remove_contact", *res->block, false);
  argv.insert(argv.end(), {std::move(impu), std::move(key.uri), std::move(key.instance),
                           std::to_string(key.reg_id)});
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  co_return parse_remove(**v);
}

W4Task<RemoveResult> RedisRegistrar::remove_all(std::string impu,
                                                std::optional<CallIdGuard> guard) {
  const auto res = blocks_->resolve(impu);
  if (!res) {
    co_return errors().count(res.error());
  }
  auto argv = fcall("w4_remove_all", *res->block, false);
  argv.push_back(std::move(impu));
  if (guard) {
    argv.push_back(std::move(guard->call_id));
    argv.push_back(std::to_string(guard->cseq));
  }
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  co_return parse_remove(**v);
}

W4Task<std::uint32_t> RedisRegistrar::remove_flow(std::string flow_token) {
  if (flow_token.empty() || flow_token.size() > kMaxFieldBytes) {
    co_return errors().count(W4Error::kInvalidArgument);
  }
  // One FCALL per block: each is atomic on its block (a block is one cluster slot).
  std::uint32_t total = 0;
  for (const auto& b : blocks_->blocks()) {
    auto argv = fcall("w4_remove_flow", *b, false);
    argv.push_back(flow_token);
    const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
    const auto v = unwrap(reply);
    if (!v) {
      co_return v.error();
    }
    if (!is_int(**v)) {
      co_return errors().count(W4Error::kBackend);
    }
    total += static_cast<std::uint32_t>((*v)->integer);
  }
  co_return total;
}

W4Task<Binding> RedisRegistrar::lookup(std::string impu) {
  const auto res = blocks_->resolve(impu);
  if (!res) {
    co_return errors().count(res.error());
  }
  // The record itself (w4_lookup_record, docs/w4.md 5.3): decoded here, not in Redis.
  auto argv = fcall("w4_lookup_record", *res->block, true);
  argv.push_back(std::move(impu));
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  co_return parse_record_binding(*res->block, res->index, **v);
}

W4Task<bool> RedisRegistrar::is_registered(std::string impu) {
  const auto res = blocks_->resolve(impu);
  if (!res) {
    co_return errors().count(res.error());
  }
  auto argv = fcall("w4_is_registered", *res->block, true);
  argv.push_back(std::move(impu));
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  if (!is_int(**v)) {
    co_return errors().count(W4Error::kBackend);
  }
  co_return (*v)->integer != 0;
}

W4Task<Binding> RedisRegistrar::lookup_identity(std::string block, WebIdentity identity) {
  const Block* b = blocks_->find(block);
  if (b == nullptr) {
    co_return errors().count(W4Error::kUnknownBlock);
  }
  auto argv = fcall("w4_lookup_identity", *b, true);
  argv.push_back(identity.key());
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  co_return parse_binding(*blocks_, *b, **v);
}

W4Task<BlockUsage> RedisRegistrar::usage(std::string block) {
  const Block* b = blocks_->find(block);
  if (b == nullptr) {
    co_return errors().count(W4Error::kUnknownBlock);
  }
  const auto reply = co_await conn_->async_command(fcall("w4_usage", *b, true), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  const RedisValue& r = **v;
  if (r.type != RedisValue::Type::kArray || r.elements.size() != 4 ||
      !std::all_of(r.elements.begin(), r.elements.end(), is_int)) {
    co_return errors().count(W4Error::kBackend);
  }
  co_return BlockUsage{static_cast<std::uint64_t>(r.elements[0].integer),
                       static_cast<std::uint64_t>(r.elements[1].integer),
                       static_cast<std::uint64_t>(r.elements[2].integer),
                       static_cast<std::uint64_t>(r.elements[3].integer)};
}

W4Task<ListPage> RedisRegistrar::list(std::string block, std::uint64_t cursor,
                                      std::uint32_t limit) {
  const Block* b = blocks_->find(block);
  if (b == nullptr) {
    co_return errors().count(W4Error::kUnknownBlock);
  }
  if (limit == 0) {
    co_return errors().count(W4Error::kInvalidArgument);
  }
  auto argv = fcall("w4_list", *b, true);
  argv.push_back(std::to_string(cursor));
  argv.push_back(std::to_string(std::min(limit, kMaxListLimit)));
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  // [next_cursor, [binding...]]
  const RedisValue& r = **v;
  if (r.type != RedisValue::Type::kArray || r.elements.size() != 2 || !is_int(r.elements[0]) ||
      r.elements[1].type != RedisValue::Type::kArray) {
    co_return errors().count(W4Error::kBackend);
  }
  ListPage page;
  page.next_cursor = static_cast<std::uint64_t>(r.elements[0].integer);
  for (const auto& e : r.elements[1].elements) {
    auto binding = parse_binding(*blocks_, *b, e);
    if (!binding) {
      co_return binding.error();
    }
    page.entries.push_back(std::move(*binding));
  }
  co_return page;
}

W4Task<void> RedisRegistrar::ping() {
  // (A named vector: GCC 12 miscompiles a braced list of literals inside a co_await.)
  std::vector<std::string> argv = {"FCALL_RO", "w4_version", "0"};
  const auto reply = co_await conn_->async_command(std::move(argv), use_awaitable);
  const auto v = unwrap(reply);
  if (!v) {
    co_return v.error();
  }
  co_return W4Result<void>();
}

}  // namespace wimpu::registrar
