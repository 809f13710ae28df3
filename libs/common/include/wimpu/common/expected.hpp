#pragma once
// The data plane returns values, never throws (STYLE.md "Errors"). Expected<T, E> is an alias to
// boost::system::result today; it becomes std::expected when the project moves to C++23.
#include <boost/system/result.hpp>

namespace wimpu {

template <class T, class E>
using Expected = boost::system::result<T, E>;

}  // namespace wimpu
