// The hardening checks of one container, for evaluate.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustctl/admission/evaluate.h"

namespace trustctl::admission {

// The image config's USER when the file sets none: `user` ("" = unset), or why it is unknown.
struct ImageUser {
  std::optional<std::string> user;
  std::string unknown_why;
};

struct CheckResult {
  policy::Check check;
  Verdict result;
  std::string message;
};

// Every policy check, in policy order: off → skip; passed → pass; failed → fail when enforced,
// warn when warned; a setting the format cannot express → warn.
std::vector<CheckResult> check_container(const Container& c, DocumentKind format,
                                         const policy::Checks& checks, const ImageUser& image);

}  // namespace trustctl::admission
