#include "repo.h"

#include "trustctl/core/log.h"

namespace trustctl::cli {

using nlohmann::json;

json to_json(const ExportResult& r) {
  json files = json::array();
  for (const auto& f : r.report.files)
    files.push_back({{"path", f.path}, {"kind", f.kind}, {"sha256", f.sha256}, {"size", f.size}});
  return {{"repository", r.repository},
          {"dir", r.report.dir},
          {"files", files},
          {"signed_tags", r.report.view.tags.size()},
          {"warnings", r.report.view.warnings}};
}

void print_text(std::ostream& out, const ExportResult& r) {
  for (const auto& f : r.report.files) out << f.path << "\n";
  log::info("exported " + std::to_string(r.report.files.size()) + " files of " + r.repository +
            " into " + r.report.dir);
}

json to_json(const DeleteResult& result) {
  const trust::DeleteReport& r = result.report;
  return {{"repository", r.repository},
          {"deleted", r.manifest_digest.has_value()},
          {"manifest_digest", r.manifest_digest.value_or("")},
          {"forgot_local_state", r.forgot_local_state},
          {"cached_blobs_removed", r.cached_blobs_removed},
          {"pin_kept", r.pinned}};
}

void print_text(std::ostream& out, const DeleteResult& result) {
  const trust::DeleteReport& r = result.report;
  if (r.manifest_digest)
    out << "Deleted the trust data of " << r.repository << " (" << *r.manifest_digest << ")\n";
  else
    out << r.repository << " had no trust data in the registry\n";
  if (r.forgot_local_state) out << "This trust dir forgot " << r.repository << "\n";
}

json to_json(const PinReport& r) {
  return {{"repository", r.repository}, {"root_keyids", {r.keyid}}};
}

void print_text(std::ostream& out, const PinReport& r) {
  out << "Pinned the root of " << r.repository << " to key " << r.keyid << "\n";
}

json to_json(const PinList& r) {
  json out = json::array();
  for (const auto& pin : r.pins)
    out.push_back({{"repository", pin.repository}, {"root_keyids", pin.keyids}});
  return out;
}

void print_text(std::ostream& out, const PinList& r) {
  for (const auto& pin : r.pins)
    for (const auto& k : pin.keyids) out << pin.repository << "\t" << k << "\n";
}

json to_json(const UnpinReport& r) {
  return {{"repository", r.repository}, {"unpinned", true}, {"forgot_trusted_state", r.forgot}};
}

void print_text(std::ostream& out, const UnpinReport& r) {
  out << "Unpinned " << r.repository << "\n";
}

}  // namespace trustctl::cli
