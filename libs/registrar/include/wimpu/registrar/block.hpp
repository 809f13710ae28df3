#pragma once
// wIMPU blocks: the ranges of IMS public identities the registrar hands out (seed TR §5.2.2.2,
// requirements G-02). A block's IMPUs are numbered 0..size-1; both backends store state by that
// index and render it to a sip:/tel: URI, so the same IMPU has the same index everywhere.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wimpu/registrar/types.hpp"

namespace wimpu::registrar {

/// A block as configured. Either a numeric range (`range_first`..`range_last`) or an explicit
/// list (`impus`).
struct BlockConfig {
  std::string id;                    ///< [A-Za-z0-9_.-]{1,64}; the Redis hash tag is {blk:<id>}.
  std::vector<std::string> domains;  ///< SIP domains of the block; the first renders sip: URIs.
  std::string range_first;           ///< "+15550000000": digits, optionally a leading '+'.
  std::string range_last;            ///< Same width and sign as range_first.
  std::vector<std::string> impus;    ///< Explicit list (sip: or tel: URIs) instead of a range.
  bool render_sip = true;            ///< Range IMPUs as sip:<number>@<domains[0]>.
  bool render_tel = false;           ///< Range IMPUs as tel:<number> (alias if both).
  std::string wildcard;              ///< TS 23.003 §13.5 form; derived from the range if empty.
  std::string epcscf;                ///< Id of the eP-CSCF the block is allocated to.
  std::chrono::milliseconds quarantine{60'000};  ///< G-13 hold before another identity may get it.
  std::uint32_t max_contacts = 16;               ///< Live contacts per IMPU.
};

/// A validated block: config plus what resolution and rendering need.
struct Block {
  BlockConfig config;
  std::size_t ordinal = 0;  ///< Position in BlockSet::blocks().
  bool is_range = true;
  bool plus = false;              ///< Numbers carry a leading '+'.
  std::uint32_t width = 0;        ///< Digits per number.
  std::uint64_t first = 0;        ///< First number of the range.
  std::uint64_t size = 0;         ///< Number of IMPUs.
  std::vector<std::string> list;  ///< Explicit list, canonical (see canonical_impu()).

  /// Primary URI of IMPU `index` (< size).
  std::string render(std::uint64_t index) const;
  /// Other URIs of IMPU `index` (the tel: form when both render).
  std::vector<std::string> aliases(std::uint64_t index) const;
  /// render() and aliases() written into existing strings, reusing their capacity (the
  /// allocation-free lookup path).
  void render_into(std::uint64_t index, std::string& impu, std::vector<std::string>& aliases) const;
  /// The Redis key prefix of this block, `{blk:<id>}` (one cluster slot per block).
  std::string redis_tag() const { return "{blk:" + config.id + "}"; }
};

/// Where an IMPU lives.
struct ResolvedImpu {
  const Block* block = nullptr;
  std::uint64_t index = 0;
};

/// The canonical form of a sip:/tel: IMPU that resolution compares: scheme and host lower-cased,
/// URI parameters and headers dropped ("sip:+1555@Block.Example;user=phone" ->
/// "sip:+1555@block.example"; "tel:+1555;x=y" -> "tel:+1555"). Empty if not a sip:/tel: URI.
/// The Redis functions implement the same rule (docs/w4.md).
std::string canonical_impu(std::string_view uri);

/// The immutable set of configured blocks, shared by every shard (an immutable snapshot, STYLE.md).
class BlockSet {
public:
  /// Validates `configs` (ids unique, ranges well-formed and not overlapping, lists non-empty and
  /// without duplicates). Throws std::invalid_argument with a precise message: config load only.
  explicit BlockSet(std::vector<BlockConfig> configs);

  /// The block called `id`, or nullptr.
  const Block* find(std::string_view id) const;
  /// Maps any accepted form of an IMPU (canonical_impu()) to its block and index.
  /// Errors: kUnknownImpu. Thread-safe (immutable).
  W4Result<ResolvedImpu> resolve(std::string_view impu) const;
  /// All blocks, in configuration order.
  const std::vector<std::unique_ptr<Block>>& blocks() const { return blocks_; }

private:
  std::vector<std::unique_ptr<Block>> blocks_;
  std::unordered_map<std::string, ResolvedImpu> listed_;  ///< canonical -> explicit-list IMPU.
};

using BlockSetPtr = std::shared_ptr<const BlockSet>;

}  // namespace wimpu::registrar
