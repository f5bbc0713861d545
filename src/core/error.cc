#include "trustctl/core/error.h"

namespace trustctl {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return exit_code::kUsage;
    case ErrorCode::kNetwork:
      return exit_code::kNetwork;
    case ErrorCode::kAuth:
      return exit_code::kAuth;
    case ErrorCode::kNoTrustData:
      return exit_code::kNoTrustData;
    case ErrorCode::kNotFound:
      return exit_code::kNotFound;
    case ErrorCode::kIntegrity:
    case ErrorCode::kVerification:
      return exit_code::kVerification;
    case ErrorCode::kFreshness:
    case ErrorCode::kExpired:
      return exit_code::kFreshness;
    case ErrorCode::kContention:
      return exit_code::kNetwork;
    case ErrorCode::kNotSigned:
      return exit_code::kNotSigned;
    case ErrorCode::kDenied:
      return exit_code::kDenied;
    case ErrorCode::kInternal:
    case ErrorCode::kIo:
    case ErrorCode::kProtocol:
    case ErrorCode::kUnsupported:
      return exit_code::kInternal;
  }
  return exit_code::kInternal;
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kAuth:
      return "auth";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kNoTrustData:
      return "no_trust_data";
    case ErrorCode::kProtocol:
      return "protocol";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kIntegrity:
      return "integrity";
    case ErrorCode::kVerification:
      return "verification";
    case ErrorCode::kFreshness:
      return "freshness";
    case ErrorCode::kExpired:
      return "expired";
    case ErrorCode::kContention:
      return "contention";
    case ErrorCode::kNotSigned:
      return "not_signed";
    case ErrorCode::kDenied:
      return "denied";
  }
  return "internal";
}

Error Error::wrap(std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += message_;
  return Error(code_, std::move(message));
}

}  // namespace trustctl
