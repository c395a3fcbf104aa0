// mcrev: exception types thrown by the library; only the CLI's main turns them into exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace mcrev {

/// Invalid scenario or parameter; `path` names the offending key (e.g. "bidders[1].value.low").
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string path, const std::string& reason)
      : std::runtime_error(path.empty() ? reason : path + ": " + reason), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }
  /// An error about `path` whose message is `message` exactly (not prefixed by the path), e.g. a
  /// sweep point's error that keeps the parser's key path (host/sweep/sweep.cpp).
  static ScenarioError with_message(std::string path, const std::string& message) {
    return ScenarioError(std::move(path), message, 0);
  }

 private:
  ScenarioError(std::string path, const std::string& message, int) : std::runtime_error(message), path_(std::move(path)) {}
  std::string path_;
};

/// A backend cannot run (no CUDA device, out of device memory, a CUDA call failed).
class BackendError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mcrev

/// Precondition check for host code: throws ScenarioError(path, reason) when cond is false.
#define MCREV_EXPECTS(cond, path, reason)                  \
  do {                                                     \
    if (!(cond)) throw ::mcrev::ScenarioError((path), (reason)); \
  } while (0)
