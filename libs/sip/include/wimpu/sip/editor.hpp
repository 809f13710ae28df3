#pragma once
// Proxy-side changes to a received message without re-serialising what did not change. A
// MessageEditor records edits (byte-range replacements and insertions) against an immutable Message
// and writes the result in one pass that copies the untouched byte ranges (RFC 3261 §16.6 steps
// 2-8 and §16.7 step 3 are all expressible as such edits). Forking = one editor per branch over the
// same Message.
//
// Threading: an editor is used by one thread. The Message must outlive the editor and must not be
// re-parsed while the editor refers to it. Text passed to the edit methods is copied into the
// editor (callers may pass temporaries). After warm-up, reset() + edits + serialize() into a reused
// std::string allocate nothing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wimpu/common/expected.hpp"
#include "wimpu/sip/header.hpp"
#include "wimpu/sip/message.hpp"

namespace wimpu::sip {

/// Why an edit was refused. The message and the editor are unchanged after a refused edit.
enum class EditError : std::uint8_t {
  kNotARequest,  ///< request-only edit on a response
  kNotFound,     ///< nothing to pop/remove (no Via left, no Route left, index out of range)
  kConflict,     ///< overlaps a byte range another edit already changed (e.g. pop_route() after
                 ///< remove_headers(kRoute))
  kInvalidText,  ///< text contains CR or LF (header injection) or is empty where a value is needed
};

/// Stable lowercase name of `e`.
std::string_view to_string(EditError e) noexcept;

using EditResult = wimpu::Expected<void, EditError>;

/// Records edits against one Message and serialises the edited message. See the file comment.
class MessageEditor {
public:
  MessageEditor() = default;
  /// Starts editing `msg` (kept by reference; see the file comment for lifetime).
  explicit MessageEditor(const Message& msg) { reset(msg); }

  /// Forgets all edits and starts over on `msg`, keeping allocated capacity.
  void reset(const Message& msg);

  /// Replaces the Request-URI (RFC 3261 §16.6 step 2, §16.4 strict-route fix-up). Requests only.
  /// `uri` is copied verbatim (no validation beyond CR/LF/SP).
  EditResult set_request_uri(std::string_view uri);

  /// Inserts a new topmost Via line "Via: <value>" above the existing ones (§16.6 step 8). `value`
  /// is a via-parm such as "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1.abc;rport". Several calls:
  /// the last call ends up on top.
  EditResult push_via(std::string_view value);
  /// Removes the topmost remaining Via value (§16.7 step 3); a value sharing its line with others is
  /// cut out of the line, a line left empty is removed. Each call removes the next one.
  EditResult pop_via();

  /// Inserts "Record-Route: <value>" above the existing Record-Route values (§16.6 step 4).
  /// Calls stack like push_via() (for double Record-Route, RFC 5658, push the outer one last).
  EditResult push_record_route(std::string_view value);
  /// Inserts "Route: <value>" above the existing Route values (pre-loaded route, §16.6 step 2).
  EditResult push_route(std::string_view value);
  /// Appends "Route: <value>" after the last Route value (strict-route fix-up, §16.6 step 7).
  EditResult append_route(std::string_view value);
  /// Removes the topmost remaining Route value (§16.4 when it names us; §16.12 loose routing).
  EditResult pop_route();
  /// Removes the Route value at `index` of Message::routes() (e.g. the last one, §16.4 strict-route
  /// fix-up). Removing the same index twice is kNotFound.
  EditResult remove_route(std::size_t index);

  /// Sets Max-Forwards to received-1, or inserts "Max-Forwards: 70" when absent (§16.6 step 3).
  /// Precondition (kNotFound otherwise): the received value is > 0 (a proxy answers 483 first).
  EditResult decrement_max_forwards();
  /// Replaces (or inserts) Max-Forwards with `value`.
  EditResult set_max_forwards(std::uint8_t value);

  /// Removes every line of header `id` (e.g. P-Preferred-Identity, RFC 3325 §9.1 / TS 24.229).
  /// Removing a header that is absent succeeds (no-op).
  EditResult remove_headers(HeaderId id);
  /// As above for a header name (full or compact form, any case; unknown names match exactly
  /// case-insensitively).
  EditResult remove_headers(std::string_view name);
  /// Appends "name: value" at the end of the header section. Header order is kept for each call.
  EditResult add_header(std::string_view name, std::string_view value);
  /// add_header() with the canonical name of `id`. Precondition: id != kOther.
  EditResult add_header(HeaderId id, std::string_view value);
  /// Removes every line of `id` and inserts "Name: value" where the first one was (or at the end).
  EditResult replace_header(HeaderId id, std::string_view value);

  /// Replaces the body; rewrites Content-Length (inserting one if absent) and Content-Type
  /// (removed when `content_type` is empty and the body is empty).
  EditResult set_body(std::string_view content_type, std::string_view body);

  /// Number of edits recorded (0: serialize() returns the original bytes).
  std::size_t edit_count() const { return edits_.size(); }

  /// Writes the edited message into `out` (cleared first, capacity reused). Returns out.size().
  std::size_t serialize(std::string& out) const;
  /// Convenience: serialize() into a new string.
  std::string to_string() const {
    std::string s;
    serialize(s);
    return s;
  }

private:
  struct Edit {
    std::uint32_t begin;     // byte range of the original replaced by the text
    std::uint32_t end;
    std::uint32_t text_off;  // replacement text in text_
    std::uint32_t text_len;
    std::int32_t order;      // tie-break for equal positions (negative: stacks on top)
  };

  EditResult add_edit(std::uint32_t begin, std::uint32_t end, std::string_view text, bool on_top);
  EditResult add_staged_edit(std::uint32_t begin, std::uint32_t end, std::size_t text_off,
                             bool on_top);
  EditResult add_line(std::uint32_t at, std::string_view name, std::string_view value, bool on_top);
  template <class Value>
  EditResult remove_list_value(std::span<const Value> values, std::vector<bool>& removed,
                               std::size_t index);
  std::uint32_t list_insert_point(HeaderId id, bool at_top) const;

  const Message* msg_ = nullptr;
  std::vector<Edit> edits_;
  std::string text_;
  std::int32_t next_order_ = 0;
  std::vector<bool> vias_removed_;
  std::vector<bool> routes_removed_;
};

}  // namespace wimpu::sip
