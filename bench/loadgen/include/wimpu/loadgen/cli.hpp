#pragma once
// The wimpu-loadgen command line (CLI11): every option maps onto EngineOptions. Kept in the
// library so tests check the mapping and main.cpp stays a few lines.
#include <optional>
#include <string>

#include "wimpu/loadgen/engine.hpp"

namespace wimpu::loadgen {

/// Result of parsing the command line.
struct CliOptions {
  EngineOptions engine;
  bool json = false;   ///< print the final report as JSON on stdout
  bool quiet = false;  ///< no progress lines on stderr
  unsigned processes = 1;  ///< >1: fork this many processes and merge their reports
};

/// Outcome: options to run with, or an exit code and text to print (help, or an error).
struct CliParse {
  std::optional<CliOptions> options;
  int exit_code = 0;
  std::string message;  ///< help text or error (to stdout for exit 0, stderr otherwise)
};

/// Parses `argv` (startup: reads key/CA/token files, builds the TLS context and token minter).
CliParse parse_command_line(int argc, const char* const* argv);

/// Runs the tool: parse, run the engine with SIGINT/SIGTERM stopping it, print the report.
/// Returns the process exit code (0 ok, 1 run with errors, 2 usage/startup error).
int run_command_line(int argc, const char* const* argv);

}  // namespace wimpu::loadgen
