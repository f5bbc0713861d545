// verify's report, online and offline alike.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "trustctl/core/error.h"
#include "trustctl/trust/view.h"

namespace trustctl::cli {

struct VerifyReport {
  std::string reference;  // as typed
  bool offline = false;
  bool by_digest = false;  // REF@DIGEST: every tag that maps to it
  std::vector<trust::SignedTag> verified;
  const trust::TrustedView* view = nullptr;
};
// {"reference","verified":true,"offline","digest","size","mediaType","tags","signers",
//  "root_origin","checks":[{"check","passed","detail"}],"warnings"}
nlohmann::json to_json(const VerifyReport& r);
// The trusted digest on stdout; the tags it is signed as go to stderr (for a digest or several).
void print_text(std::ostream& out, const VerifyReport& r);

struct VerifyFailure {
  std::string reference;
  bool offline = false;
  Error error;
};
// {"reference","verified":false,"offline","error":{"class","exit_code","message"}}
nlohmann::json to_json(const VerifyFailure& f);
inline void print_text(std::ostream&, const VerifyFailure&) {}  // the error goes to stderr

}  // namespace trustctl::cli
