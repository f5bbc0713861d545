// Error values shared by every module, and the exit codes they map to.
#pragma once

#include <string>
#include <string_view>

namespace trustctl {

// What went wrong, at the granularity callers branch on. Each code belongs to one exit class
// (see exit_code()); the message says which check failed and why.
enum class ErrorCode {
  kInternal,      // a broken invariant or an unexpected failure
  kUsage,         // bad flags, a malformed reference or argument typed by the user
  kIo,            // a local file could not be read or written
  kNetwork,       // the registry (or token server) could not be reached or kept failing
  kAuth,          // credentials missing or refused; wrong key passphrase
  kNotFound,      // the repository, tag, manifest or blob does not exist
  kNoTrustData,   // the repository has no trust data
  kProtocol,      // the server answered something that is not the protocol
  kUnsupported,   // the server does not offer the operation (e.g. DELETE disabled)
  kIntegrity,     // bytes do not match their digest or length, or exceed a size cap
  kVerification,  // signatures, threshold, wrong repository, unknown root
  kFreshness,     // rollback, freeze, trust data gone that was there before
  kExpired,       // metadata past its expiry (the publisher must re-sign it)
  kContention,    // a publication could not be confirmed: other writers kept changing the data
  kNotSigned,     // push: the image was pushed, but signing it failed
  kDenied,        // admit: the policy denies a workload (an enforced check failed)
};

// The documented process exit codes (docs/exit-codes.md).
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kInternal = 1;
inline constexpr int kUsage = 2;
inline constexpr int kNetwork = 3;
inline constexpr int kAuth = 4;
inline constexpr int kNoTrustData = 10;
inline constexpr int kNotFound = 11;
inline constexpr int kVerification = 12;
inline constexpr int kFreshness = 13;
inline constexpr int kDenied = 14;
inline constexpr int kNotSigned = 15;
}  // namespace exit_code

int exit_code_for(ErrorCode code);
std::string_view error_code_name(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return exit_code_for(code_); }

  // Returns a copy whose message is prefixed with "context: ".
  Error wrap(std::string_view context) const;

 private:
  ErrorCode code_;
  std::string message_;
};

}  // namespace trustctl
