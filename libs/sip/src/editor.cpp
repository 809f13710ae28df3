// MessageEditor: byte-range edits applied in one pass (see editor.hpp).
#include "wimpu/sip/editor.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "wimpu/common/assert.hpp"
#include "wimpu/common/counter.hpp"

namespace wimpu::sip {
namespace {

// Header injection guard. Two vectorised memchr() scans: string_view::find_first_of() with a
// multi-character set calls memchr() over the set for every byte of `s` (issue 8 profile: ~2,000
// instructions per proxied REGISTER for the Via value alone).
bool has_byte(std::string_view s, char c) {
  return !s.empty() && std::memchr(s.data(), c, s.size()) != nullptr;
}
bool has_crlf(std::string_view s) { return has_byte(s, '\r') || has_byte(s, '\n'); }

// Edits sort by position; at one position insertions come before a replaced range, and among
// insertions the lower order first (negative orders: "on top" stacking).
template <class E>
bool edit_less(const E& a, const E& b) {
  if (a.begin != b.begin) {
    return a.begin < b.begin;
  }
  const bool a_ins = a.begin == a.end;
  const bool b_ins = b.begin == b.end;
  if (a_ins != b_ins) {
    return a_ins;
  }
  return a.order < b.order;
}

std::uint32_t offset_in(const Message& msg, std::string_view part) {
  return static_cast<std::uint32_t>(part.data() - msg.bytes().data());
}

common::Counter& edit_error_counter() {
  static common::Counter& c = common::counter("sip.edit_error");
  return c;
}

wimpu::Expected<void, EditError> fail(EditError e) {
  edit_error_counter().inc();
  return e;
}

}  // namespace

std::string_view to_string(EditError e) noexcept {
  switch (e) {
    case EditError::kNotARequest: return "not_a_request";
    case EditError::kNotFound: return "not_found";
    case EditError::kConflict: return "conflict";
    case EditError::kInvalidText: return "invalid_text";
  }
  return "unknown";
}

void MessageEditor::reset(const Message& msg) {
  msg_ = &msg;
  edits_.clear();
  text_.clear();
  next_order_ = 0;
  vias_removed_.assign(msg.vias().size(), false);
  routes_removed_.assign(msg.routes().size(), false);
}

EditResult MessageEditor::add_edit(std::uint32_t begin, std::uint32_t end, std::string_view text,
                                   bool on_top) {
  const std::size_t before = text_.size();
  text_.append(text);
  auto r = add_staged_edit(begin, end, before, on_top);
  if (!r) {
    text_.resize(before);
  }
  return r;
}

EditResult MessageEditor::add_staged_edit(std::uint32_t begin, std::uint32_t end,
                                          std::size_t text_off, bool on_top) {
  const std::size_t text_len = text_.size() - text_off;
  WIMPU_ASSERT(msg_ != nullptr && begin <= end && end <= msg_->bytes().size());
  const bool pure_removal = text_len == 0 && begin != end;
  // Conflicts: overlapping ranges, or an insertion strictly inside a replaced range. A removal
  // that covers earlier pure removals absorbs them (e.g. the last value of a line removed after
  // its siblings: the whole line goes).
  std::size_t absorbed = 0;
  for (const Edit& e : edits_) {
    const bool e_ins = e.begin == e.end;
    const bool e_pure_removal = e.text_len == 0 && !e_ins;
    if (begin == end) {
      if (!e_ins && begin > e.begin && begin < e.end) {
        return fail(EditError::kConflict);
      }
      continue;
    }
    if (e_ins) {
      if (e.begin > begin && e.begin < end) {
        return fail(EditError::kConflict);
      }
      continue;
    }
    if (e.begin < end && begin < e.end) {
      if (pure_removal && e_pure_removal && e.begin >= begin && e.end <= end) {
        ++absorbed;
        continue;
      }
      return fail(EditError::kConflict);
    }
  }
  if (absorbed > 0) {
    std::erase_if(edits_, [&](const Edit& e) {
      return e.text_len == 0 && e.begin != e.end && e.begin >= begin && e.end <= end;
    });
  }
  Edit edit{begin, end, static_cast<std::uint32_t>(text_off), static_cast<std::uint32_t>(text_len),
            on_top ? -(++next_order_) : ++next_order_};
  auto it = std::upper_bound(edits_.begin(), edits_.end(), edit,
                             [](const Edit& a, const Edit& b) { return edit_less(a, b); });
  edits_.insert(it, edit);
  return {};
}

EditResult MessageEditor::add_line(std::uint32_t at, std::string_view name, std::string_view value,
                                   bool on_top) {
  if (has_crlf(name) || has_crlf(value) || name.empty()) {
    return fail(EditError::kInvalidText);
  }
  // Build "Name: value\r\n" in the text arena directly.
  const std::size_t before = text_.size();
  text_.append(name);
  text_.append(": ");
  text_.append(value);
  text_.append("\r\n");
  auto r = add_staged_edit(at, at, before, on_top);
  if (!r) {
    text_.resize(before);
  }
  return r;
}

template <class Value>
EditResult MessageEditor::remove_list_value(std::span<const Value> values,
                                            std::vector<bool>& removed, std::size_t index) {
  if (index >= values.size() || removed[index]) {
    return fail(EditError::kNotFound);
  }
  const Message& msg = *msg_;
  const std::uint32_t line = values[index].header_index;
  // Remaining values of the same header line, around `index`.
  std::size_t prev = values.size();
  std::size_t next = values.size();
  for (std::size_t i = index; i-- > 0 && values[i].header_index == line;) {
    if (!removed[i]) {
      prev = i;
      break;
    }
  }
  for (std::size_t i = index + 1; i < values.size() && values[i].header_index == line; ++i) {
    if (!removed[i]) {
      next = i;
      break;
    }
  }
  const std::string_view v = values[index].text;
  EditResult r;
  if (prev == values.size() && next == values.size()) {
    // Last value left in its line: the line goes (RFC 3261 §7.3.1: no empty Via/Route lines).
    const HeaderField& h = msg.headers()[line];
    r = add_edit(h.begin, h.end, {}, false);
  } else if (prev == values.size()) {
    // First remaining: cut "value, " up to the next remaining value.
    r = add_edit(offset_in(msg, v), offset_in(msg, values[next].text), {}, false);
  } else {
    // Cut ", value" from the end of the previous remaining value.
    const std::string_view p = values[prev].text;
    r = add_edit(offset_in(msg, p) + static_cast<std::uint32_t>(p.size()),
                 offset_in(msg, v) + static_cast<std::uint32_t>(v.size()), {}, false);
  }
  if (r) {
    removed[index] = true;
  }
  return r;
}

std::uint32_t MessageEditor::list_insert_point(HeaderId id, bool at_top) const {
  const Message& msg = *msg_;
  const HeaderField* first = nullptr;
  const HeaderField* last = nullptr;
  for (const HeaderField& h : msg.headers()) {
    if (h.id == id) {
      if (first == nullptr) {
        first = &h;
      }
      last = &h;
    }
  }
  if (first != nullptr) {
    return at_top ? first->begin : last->end;
  }
  if (id == HeaderId::kVia) {
    return msg.headers().front().begin;
  }
  // No such list yet: right after the last Via line (where proxies conventionally put routing
  // headers); the position of a new list relative to other headers carries no meaning.
  std::uint32_t after_via = msg.headers().front().begin;
  for (const HeaderField& h : msg.headers()) {
    if (h.id == HeaderId::kVia) {
      after_via = h.end;
    }
  }
  return after_via;
}

EditResult MessageEditor::set_request_uri(std::string_view uri) {
  if (!msg_->is_request()) {
    return fail(EditError::kNotARequest);
  }
  if (uri.empty() || has_crlf(uri) || has_byte(uri, ' ') || has_byte(uri, '\t')) {
    return fail(EditError::kInvalidText);
  }
  const std::string_view old = msg_->request_uri().text;
  const std::uint32_t b = offset_in(*msg_, old);
  return add_edit(b, b + static_cast<std::uint32_t>(old.size()), uri, false);
}

EditResult MessageEditor::push_via(std::string_view value) {
  if (value.empty()) {
    return fail(EditError::kInvalidText);
  }
  return add_line(list_insert_point(HeaderId::kVia, true), "Via", value, true);
}

EditResult MessageEditor::pop_via() {
  const auto vias = msg_->vias();
  for (std::size_t i = 0; i < vias.size(); ++i) {
    if (!vias_removed_[i]) {
      return remove_list_value(vias, vias_removed_, i);
    }
  }
  return fail(EditError::kNotFound);
}

EditResult MessageEditor::push_record_route(std::string_view value) {
  if (value.empty()) {
    return fail(EditError::kInvalidText);
  }
  return add_line(list_insert_point(HeaderId::kRecordRoute, true), "Record-Route", value, true);
}

EditResult MessageEditor::push_route(std::string_view value) {
  if (!msg_->is_request()) {
    return fail(EditError::kNotARequest);
  }
  if (value.empty()) {
    return fail(EditError::kInvalidText);
  }
  return add_line(list_insert_point(HeaderId::kRoute, true), "Route", value, true);
}

EditResult MessageEditor::append_route(std::string_view value) {
  if (!msg_->is_request()) {
    return fail(EditError::kNotARequest);
  }
  if (value.empty()) {
    return fail(EditError::kInvalidText);
  }
  return add_line(list_insert_point(HeaderId::kRoute, false), "Route", value, false);
}

EditResult MessageEditor::pop_route() {
  if (!msg_->is_request()) {
    return fail(EditError::kNotARequest);
  }
  const auto routes = msg_->routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (!routes_removed_[i]) {
      return remove_list_value(routes, routes_removed_, i);
    }
  }
  return fail(EditError::kNotFound);
}

EditResult MessageEditor::remove_route(std::size_t index) {
  if (!msg_->is_request()) {
    return fail(EditError::kNotARequest);
  }
  return remove_list_value(msg_->routes(), routes_removed_, index);
}

EditResult MessageEditor::decrement_max_forwards() {
  if (!msg_->is_request()) {
    return fail(EditError::kNotARequest);
  }
  const auto mf = msg_->max_forwards();
  if (!mf) {
    return set_max_forwards(70);
  }
  if (*mf == 0) {
    return fail(EditError::kNotFound);
  }
  return set_max_forwards(static_cast<std::uint8_t>(*mf - 1));
}

EditResult MessageEditor::set_max_forwards(std::uint8_t value) {
  char digits[4];
  const auto res = std::to_chars(digits, digits + sizeof(digits), static_cast<unsigned>(value));
  const std::string_view text(digits, static_cast<std::size_t>(res.ptr - digits));
  const HeaderField* h = msg_->find(HeaderId::kMaxForwards);
  if (h == nullptr) {
    return add_line(list_insert_point(HeaderId::kMaxForwards, false), "Max-Forwards", text, false);
  }
  const std::uint32_t b = offset_in(*msg_, h->value);
  return add_edit(b, b + static_cast<std::uint32_t>(h->value.size()), text, false);
}

EditResult MessageEditor::remove_headers(HeaderId id) {
  if (id == HeaderId::kOther) {
    return fail(EditError::kNotFound);
  }
  for (const HeaderField& h : msg_->headers()) {
    if (h.id == id) {
      if (auto r = add_edit(h.begin, h.end, {}, false); !r) {
        return r;
      }
    }
  }
  return {};
}

EditResult MessageEditor::remove_headers(std::string_view name) {
  const HeaderId id = header_id_from_name(name);
  if (id != HeaderId::kOther) {
    return remove_headers(id);
  }
  for (const HeaderField& h : msg_->headers()) {
    if (h.id == HeaderId::kOther && iequals(h.name, name)) {
      if (auto r = add_edit(h.begin, h.end, {}, false); !r) {
        return r;
      }
    }
  }
  return {};
}

EditResult MessageEditor::add_header(std::string_view name, std::string_view value) {
  return add_line(msg_->header_section_end(), name, value, false);
}

EditResult MessageEditor::add_header(HeaderId id, std::string_view value) {
  WIMPU_ASSERT(id != HeaderId::kOther);
  return add_header(canonical_name(id), value);
}

EditResult MessageEditor::replace_header(HeaderId id, std::string_view value) {
  if (id == HeaderId::kOther || has_crlf(value)) {
    return fail(EditError::kInvalidText);
  }
  const HeaderField* first = msg_->find(id);
  if (first == nullptr) {
    return add_line(msg_->header_section_end(), canonical_name(id), value, false);
  }
  // The first line is replaced in one edit (so a second replace of the same header conflicts
  // instead of adding a second line); the other lines are removed.
  const std::size_t before = text_.size();
  text_.append(canonical_name(id));
  text_.append(": ");
  text_.append(value);
  text_.append("\r\n");
  if (auto r = add_staged_edit(first->begin, first->end, before, false); !r) {
    text_.resize(before);
    return r;
  }
  for (const HeaderField& h : msg_->headers()) {
    if (h.id == id && &h != first) {
      if (auto r = add_edit(h.begin, h.end, {}, false); !r) {
        return r;
      }
    }
  }
  return {};
}

EditResult MessageEditor::set_body(std::string_view content_type, std::string_view body) {
  if (has_crlf(content_type)) {
    return fail(EditError::kInvalidText);
  }
  const Message& msg = *msg_;
  char digits[12];
  const auto res = std::to_chars(digits, digits + sizeof(digits), body.size());
  const std::string_view len(digits, static_cast<std::size_t>(res.ptr - digits));
  if (const HeaderField* cl = msg.find(HeaderId::kContentLength)) {
    const std::uint32_t b = offset_in(msg, cl->value);
    if (auto r = add_edit(b, b + static_cast<std::uint32_t>(cl->value.size()), len, false); !r) {
      return r;
    }
  } else if (auto r = add_line(msg.header_section_end(), "Content-Length", len, false); !r) {
    return r;
  }
  if (!content_type.empty()) {
    if (auto r = replace_header(HeaderId::kContentType, content_type); !r) {
      return r;
    }
  } else if (body.empty()) {
    if (auto r = remove_headers(HeaderId::kContentType); !r) {
      return r;
    }
  }
  const std::uint32_t body_begin = offset_in(msg, msg.body());
  return add_edit(body_begin, static_cast<std::uint32_t>(msg.bytes().size()), body, false);
}

std::size_t MessageEditor::serialize(std::string& out) const {
  out.clear();
  const std::string_view src = msg_->bytes();
  std::size_t cursor = 0;
  for (const Edit& e : edits_) {
    if (e.begin > cursor) {
      out.append(src.data() + cursor, e.begin - cursor);
    }
    out.append(text_.data() + e.text_off, e.text_len);
    cursor = std::max<std::size_t>(cursor, e.end);
  }
  if (cursor < src.size()) {
    out.append(src.data() + cursor, src.size() - cursor);
  }
  return out.size();
}

}  // namespace wimpu::sip
