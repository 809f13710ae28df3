#include "wimpu/transport/shard_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <memory>
#include <vector>

namespace wimpu::transport {
namespace {

TEST(ShardPool, PostRunsOnTheNamedShardInOrder) {
  ShardPool pool(2);
  pool.start();
  EXPECT_FALSE(pool.current().has_value());
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 100; ++i) {
    pool.post(1, [&, i] {
      EXPECT_EQ(pool.current(), std::optional<ShardId>(1));
      EXPECT_TRUE(pool.on_shard(1));
      EXPECT_FALSE(pool.on_shard(0));
      order.push_back(i);
      if (i == 99) {
        done.set_value();
      }
    });
  }
  done.get_future().wait();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  }
  pool.stop();
  pool.join();
}

TEST(ShardPool, PostAllAndMoveOnlyHandlers) {
  ShardPool pool(3);
  pool.start();
  std::latch all(3);
  std::atomic<int> mask{0};
  pool.post_all([&] {
    mask.fetch_or(1 << *pool.current());
    all.count_down();
  });
  all.wait();
  EXPECT_EQ(mask.load(), 7);
  std::promise<int> got;
  auto value = std::make_unique<int>(5);
  pool.post(2, [&got, v = std::move(value)] { got.set_value(*v); });
  EXPECT_EQ(got.get_future().get(), 5);
  pool.stop();
  pool.join();
}

TEST(ShardPool, TwoPoolsAreToldApart) {
  ShardPool a(1);
  ShardPool b(1);
  a.start();
  std::promise<bool> on_b;
  a.post(0, [&] { on_b.set_value(b.current().has_value()); });
  EXPECT_FALSE(on_b.get_future().get());
  a.stop();
  a.join();
}

}  // namespace
}  // namespace wimpu::transport
