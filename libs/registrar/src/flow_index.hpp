#pragma once
// The memory backend's flow index: flow token -> every IMPU index with a stored contact on that
// flow (RFC 5626 flows; remove_flow() drops them when the WIC's connection closes).
//
// Why not one IndexTable with a duplicate entry per (flow, index): all entries of one flow share
// its hash, so with linear probing they form one run, and every insert (and erase) for that flow
// scans the whole run: O(k) per REGISTER for a flow carrying k IMPUs, O(k^2) to fill it. A WIC
// normally holds one IMPU per flow, but nothing bounds k (one connection may register many web
// identities; the figure-1 benchmark puts ~2,000 on each of its 50 flows), and the scan was the
// largest registrar cost there (bench/RESULTS.md, "Figure 1 with ES256, session 5").
//
// So a flow with one IMPU stays one keyless 8-byte entry in `singles_` (the common case keeps the
// compact form), and a flow with two or more gets a group: its token and member list, found
// through `groups_` by exact token. Insert and erase are O(1) amortised (erase searches the
// member list from its end, where remove_flow() takes them), whatever k is.
//
// Keyless singles are confirmed through the caller's `on_flow(index)` (does the IMPU's stored
// blob have a contact on this flow?). Two flows whose 32-bit hashes collide may both have single
// entries (h, i) for the same index; such entries are interchangeable (each stands for "a flow
// with hash h on i"), which is all erase() and find_all() need. Not thread-safe: the block lock
// guards it.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index_table.hpp"

namespace wimpu::registrar::detail {

class FlowIndex {
public:
  /// Adds (flow, index); the caller ensures the pair is not present (a flow new to the index).
  /// `on_flow(i)` says whether IMPU i currently has a stored contact on `flow`.
  template <class OnFlow>
  void insert(std::uint32_t h, std::string_view flow, std::uint32_t index, OnFlow&& on_flow) {
    if (const std::uint32_t g = find_group(h, flow); g != kNone) {
      groups_[g].members.push_back(index);
      return;
    }
    std::uint32_t single = kNone;
    singles_.find(h, [&](std::uint32_t i) {
      if (i != index && on_flow(i)) {
        single = i;
        return true;
      }
      return false;
    });
    if (single == kNone) {
      singles_.insert(h, index);
      return;
    }
    // The flow's second IMPU: the single becomes a group.
    singles_.erase(h, single);
    const std::uint32_t g = new_group(flow);
    groups_[g].members.push_back(single);
    groups_[g].members.push_back(index);
    group_table_.insert(h, g);
  }

  /// Removes (flow, index) if present; returns whether it was.
  bool erase(std::uint32_t h, std::string_view flow, std::uint32_t index) {
    if (const std::uint32_t g = find_group(h, flow); g != kNone) {
      auto& m = groups_[g].members;
      const auto it = std::find(m.rbegin(), m.rend(), index);
      if (it != m.rend()) {
        *it = m.back();
        m.pop_back();
        if (m.size() == 1) {  // back to the compact form
          singles_.insert(h, m.front());
          group_table_.erase(h, g);
          free_group(g);
        }
        return true;
      }
    }
    return singles_.erase(h, index);
  }

  /// Appends to `out` every index stored under `flow` (a superset: singles are confirmed by the
  /// caller, which reads each IMPU's contacts anyway), in an order that makes erasing them one by
  /// one O(1) each (a group's members from its end). No duplicates.
  void find_all(std::uint32_t h, std::string_view flow, std::vector<std::uint32_t>& out) const {
    const std::size_t first = out.size();
    if (const std::uint32_t g = find_group(h, flow); g != kNone) {
      const auto& m = groups_[g].members;
      out.insert(out.end(), m.rbegin(), m.rend());
    }
    const std::size_t grouped = out.size();
    singles_.find(h, [&](std::uint32_t i) {
      // A single equal to a group member is a colliding flow's entry for the same IMPU.
      if (std::find(out.begin() + static_cast<std::ptrdiff_t>(first),
                    out.begin() + static_cast<std::ptrdiff_t>(grouped), i) ==
          out.begin() + static_cast<std::ptrdiff_t>(grouped)) {
        out.push_back(i);
      }
      return false;  // visit every candidate
    });
  }

  /// Sizes the single-entry table for `n` flows at once (no rehash until more are inserted).
  void reserve(std::size_t n) { singles_.reserve(n); }

  /// Entries stored: (flow, index) pairs, counting colliding singles separately.
  std::size_t size() const {
    std::size_t n = singles_.size();
    for (const Group& g : groups_) {
      n += g.members.size();
    }
    return n;
  }
  /// Flows that have a group (two or more IMPUs).
  std::size_t groups() const { return groups_.size() - free_.size(); }

private:
  static constexpr std::uint32_t kNone = 0xffffffff;
  struct Group {
    std::string flow;
    std::vector<std::uint32_t> members;
  };

  std::uint32_t find_group(std::uint32_t h, std::string_view flow) const {
    std::uint32_t found = kNone;
    group_table_.find(h, [&](std::uint32_t g) {
      if (groups_[g].flow == flow) {
        found = g;
        return true;
      }
      return false;
    });
    return found;
  }

  std::uint32_t new_group(std::string_view flow) {
    std::uint32_t g = 0;
    if (!free_.empty()) {
      g = free_.back();
      free_.pop_back();
    } else {
      g = static_cast<std::uint32_t>(groups_.size());
      groups_.emplace_back();
    }
    groups_[g].flow.assign(flow);
    return g;
  }

  void free_group(std::uint32_t g) {
    groups_[g].flow.clear();
    groups_[g].flow.shrink_to_fit();
    groups_[g].members.clear();
    groups_[g].members.shrink_to_fit();
    free_.push_back(g);
  }

  IndexTable singles_;      ///< hash(flow) -> index, for flows with one IMPU (keyless).
  IndexTable group_table_;  ///< hash(flow) -> group, for flows with two or more.
  std::vector<Group> groups_;
  std::vector<std::uint32_t> free_;  ///< Reusable group numbers.
};

}  // namespace wimpu::registrar::detail
