// repo export / repo delete, and the pins (trust pin|list|unpin).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "emit.h"
#include "trustctl/trust/export.h"
#include "trustctl/trust/trust_dir.h"

namespace trustctl::cli {

struct ExportResult {
  std::string repository;
  trust::ExportReport report;
};
// {"repository","dir","files":[{"path","kind","sha256","size"}],"signed_tags","warnings"}
TRUSTCTL_RENDERED(ExportResult);  // the files written

struct DeleteResult {
  trust::DeleteReport report;
};
// {"repository","deleted","manifest_digest","forgot_local_state","cached_blobs_removed",
//  "pin_kept"}
TRUSTCTL_RENDERED(DeleteResult);

struct PinReport {
  std::string repository;
  std::string keyid;
};
TRUSTCTL_RENDERED(PinReport);  // {"repository","root_keyids"}

struct PinList {
  std::vector<trust::Pin> pins;
};
TRUSTCTL_RENDERED(PinList);  // JSON [{"repository","root_keyids"}]; text: REPO<TAB>KEYID lines

struct UnpinReport {
  std::string repository;
  bool forgot = false;
};
TRUSTCTL_RENDERED(UnpinReport);  // {"repository","unpinned","forgot_trusted_state"}

}  // namespace trustctl::cli
