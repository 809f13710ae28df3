#include "wimpu/common/fd_io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace wimpu::common {

bool write_all(int fd, std::string_view data) noexcept {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return false;
    }
    if (n == 0) {  // no progress on a non-empty write: would loop for ever
      errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace wimpu::common
