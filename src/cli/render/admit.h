// admit's report: a table per file, workload and container; -o json; -o sarif (SARIF 2.1.0).
#pragma once

#include <string>

#include "emit.h"
#include "trustctl/admission/evaluate.h"

namespace trustctl::cli {

struct AdmitReport {
  const admission::Report& report;
  std::string policy;  // the policy file, or "<built-in>"
};
TRUSTCTL_RENDERED(AdmitReport);

// SARIF 2.1.0: one result per fail (level error) or warn (level warning) finding, located at
// the finding's file and line; every check is a rule of the driver.
nlohmann::json to_sarif(const AdmitReport& r);

}  // namespace trustctl::cli
