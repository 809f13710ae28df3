#pragma once
// Writing a whole buffer to a file descriptor: the one loop the file writers (keys, certificates,
// the WWSF user store) and the load tool's result pipes share.
#include <string_view>

namespace wimpu::common {

/// Writes all of `data` to `fd`, retrying short writes and EINTR (POSIX write(2) may write less
/// than asked). Returns false on the first failure with errno set (a write that makes no progress
/// sets EIO); how much was written then is unspecified. Does not close `fd`. Blocking when `fd`
/// is; thread-safe as write(2) is.
bool write_all(int fd, std::string_view data) noexcept;

}  // namespace wimpu::common
