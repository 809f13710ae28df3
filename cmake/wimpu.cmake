# Shared build settings and helpers for every wimpu target.

add_library(wimpu_warnings INTERFACE)
target_compile_options(wimpu_warnings INTERFACE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(WIMPU_WERROR)
  target_compile_options(wimpu_warnings INTERFACE -Werror)
endif()

if(WIMPU_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(WIMPU_FUZZ)
  # -fno-sanitize=function: clang 14's UBSan function check puts prologue data before every
  # function, which its coroutine splitting turns into "Cannot represent a difference across
  # sections" in the assembler (every Asio coroutine in libs/transport). The check covers calls
  # through mistyped function pointers, which C++ code here does not make.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(GTest REQUIRED)
find_package(PkgConfig REQUIRED)
# Asio: no deprecated API, standalone from Boost's other compiled libraries.
add_library(wimpu_asio INTERFACE)
target_link_libraries(wimpu_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(wimpu_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_NO_TS_EXECUTORS)

# WIMPU_IO_URING: Asio's io_uring backend (Boost 1.81 + liburing) instead of epoll, for sockets,
# timers and descriptors alike (BOOST_ASIO_DISABLE_EPOLL). The macros change Asio's types, so they
# must be identical in every translation unit of the program (ODR): they are set for the whole
# build here, not per target. See docs/architecture.md "Build, tests, fuzzing" for the
# operational risk (seccomp profiles that refuse io_uring_setup).
if(WIMPU_IO_URING)
  pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing>=2.0)
  add_compile_definitions(BOOST_ASIO_HAS_IO_URING BOOST_ASIO_DISABLE_EPOLL WIMPU_IO_URING=1)
  link_libraries(PkgConfig::URING)
endif()

# WIMPU_MALLOC: the allocator linked into the server executables (nf/*, apps/*), see
# wimpu_link_allocator() below. Sanitizer and fuzzer builds keep glibc's (ASan replaces malloc).
if(WIMPU_SANITIZE OR WIMPU_FUZZ)
  set(WIMPU_MALLOC_EFFECTIVE system)
else()
  set(WIMPU_MALLOC_EFFECTIVE ${WIMPU_MALLOC})
endif()
if(NOT WIMPU_MALLOC_EFFECTIVE STREQUAL "system")
  # Each allocator's library is named after it, except tcmalloc's (gperftools' build without the
  # heap profiler).
  if(WIMPU_MALLOC_EFFECTIVE STREQUAL "tcmalloc")
    set(lib tcmalloc_minimal)
  elseif(WIMPU_MALLOC_EFFECTIVE STREQUAL "mimalloc" OR WIMPU_MALLOC_EFFECTIVE STREQUAL "jemalloc")
    set(lib ${WIMPU_MALLOC_EFFECTIVE})
  else()
    message(FATAL_ERROR "WIMPU_MALLOC=${WIMPU_MALLOC}: expected system, mimalloc, jemalloc or tcmalloc")
  endif()
  find_library(WIMPU_MALLOC_LIBRARY NAMES ${lib} REQUIRED)
  message(STATUS "wimpu: server executables use ${WIMPU_MALLOC_EFFECTIVE} (${WIMPU_MALLOC_LIBRARY})")
endif()

# wimpu_link_allocator(<dir>...): links WIMPU_MALLOC into every executable defined in those source
# directories (the servers), not into tests, benchmarks or the load tool: the load tool must stay
# the same for every server it measures. The allocator replaces malloc/free by symbol
# interposition, so it is linked --no-as-needed (nothing references it by name).
function(wimpu_link_allocator)
  if(WIMPU_MALLOC_EFFECTIVE STREQUAL "system")
    return()
  endif()
  foreach(dir ${ARGN})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t ${targets})
      get_target_property(type ${t} TYPE)
      get_target_property(is_test ${t} WIMPU_TEST)
      if(type STREQUAL "EXECUTABLE" AND NOT is_test)
        target_link_libraries(${t} PRIVATE -Wl,--push-state,--no-as-needed ${WIMPU_MALLOC_LIBRARY}
          -Wl,--pop-state)
      endif()
    endforeach()
  endforeach()
endfunction()

# wimpu_library(NAME <name> SOURCES ... DEPS ...): libs/<name> -> target wimpu_<name>, alias wimpu::<name>.
function(wimpu_library)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(wimpu_${A_NAME} STATIC ${A_SOURCES})
  add_library(wimpu::${A_NAME} ALIAS wimpu_${A_NAME})
  target_include_directories(wimpu_${A_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(wimpu_${A_NAME} PUBLIC ${A_DEPS} PRIVATE wimpu_warnings)
endfunction()

# wimpu_test(NAME <name> SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
function(wimpu_test)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gmock GTest::gtest_main wimpu_warnings)
  set_target_properties(${A_NAME} PROPERTIES WIMPU_TEST TRUE)
  gtest_discover_tests(${A_NAME} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${A_LABELS}")
endfunction()

# wimpu_fuzzer(NAME <name> SOURCES ... DEPS ... CORPUS <dir>): a libFuzzer target. With WIMPU_FUZZ
# it links -fsanitize=fuzzer; otherwise it links a replay driver, and ctest replays the checked-in
# corpus through it on every build (Envoy's corpus-as-regression-test habit).
function(wimpu_fuzzer)
  cmake_parse_arguments(A "" "NAME;CORPUS" "SOURCES;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} wimpu_warnings)
  set_target_properties(${A_NAME} PROPERTIES WIMPU_TEST TRUE)
  if(WIMPU_FUZZ)
    target_link_options(${A_NAME} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
  endif()
  add_test(NAME ${A_NAME}_corpus COMMAND ${A_NAME} ${A_CORPUS})
  set_tests_properties(${A_NAME}_corpus PROPERTIES LABELS fuzz-corpus)
endfunction()
