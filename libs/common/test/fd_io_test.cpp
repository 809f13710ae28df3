#include "wimpu/common/fd_io.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

namespace wimpu::common {
namespace {

// More than a pipe holds (64 KiB by default on Linux): write(2) returns short and the loop must
// go on until a reader has taken everything.
TEST(WriteAll, WritesEverythingThroughShortWrites) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 131 + 7);
  }
  std::string got;
  std::thread reader([&] {
    char buf[8192];
    ssize_t n = 0;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
      got.append(buf, static_cast<std::size_t>(n));
    }
  });
  EXPECT_TRUE(write_all(fds[1], data));
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(got, data);
}

TEST(WriteAll, EmptyDataWritesNothingAndSucceeds) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  EXPECT_TRUE(write_all(fds[1], ""));
  ::close(fds[1]);
  char c = 0;
  EXPECT_EQ(::read(fds[0], &c, 1), 0);
  ::close(fds[0]);
}

TEST(WriteAll, FailureReportsErrno) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);
  errno = 0;
  EXPECT_FALSE(write_all(fds[1], "x"));
  EXPECT_EQ(errno, EBADF);
  ::close(fds[0]);
}

}  // namespace
}  // namespace wimpu::common
