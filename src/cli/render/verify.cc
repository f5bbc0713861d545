#include "verify.h"

#include "trustctl/core/log.h"

namespace trustctl::cli {

nlohmann::json to_json(const VerifyReport& r) {
  nlohmann::json tags = nlohmann::json::array();
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& t : r.verified) tags.push_back(t.tag);
  for (const auto& c : r.view->checks)
    checks.push_back({{"check", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  const trust::SignedTag& first = r.verified.front();
  return {{"reference", r.reference},
          {"verified", true},
          {"offline", r.offline},
          {"digest", first.digest},
          {"size", first.length},
          {"mediaType", first.media_type},
          {"tags", tags},
          {"signers", first.signers},
          {"root_origin", trust::root_origin_name(r.view->origin)},
          {"checks", checks},
          {"warnings", r.view->warnings}};
}

void print_text(std::ostream& out, const VerifyReport& r) {
  out << r.verified.front().digest << "\n";
  if (r.verified.size() > 1 || r.by_digest) {
    std::string names;
    for (const auto& t : r.verified) names += (names.empty() ? "" : ", ") + t.tag;
    log::info("signed as: " + names);
  }
}

nlohmann::json to_json(const VerifyFailure& f) {
  return {{"reference", f.reference},
          {"verified", false},
          {"offline", f.offline},
          {"error",
           {{"class", error_code_name(f.error.code())},
            {"exit_code", f.error.exit_code()},
            {"message", f.error.message()}}}};
}

}  // namespace trustctl::cli
