#include "render/image.h"

namespace trustctl::cli {

namespace {

// The fields push and pull share: the manifest moved and the counts.
nlohmann::json transfer_json(const transfer::TransferResult& r) {
  const auto& m = r.manifest;
  return {{"manifest", {{"mediaType", m.media_type}, {"digest", m.digest}, {"size", m.size}}},
          {"blobs_transferred", r.blobs_transferred},
          {"blobs_reused", r.blobs_reused},
          {"bytes_transferred", r.bytes_transferred}};
}

}  // namespace

nlohmann::json to_json(const PullReport& r) {
  auto j = transfer_json(r.result);
  j["reference"] = r.reference;
  j["destination"] = r.destination;
  j["verified"] = r.verified;
  j["signed_digest"] = r.signed_digest;
  return j;
}

nlohmann::json to_json(const PushReport& r) {
  auto j = transfer_json(r.result);
  j["source"] = r.source;
  j["reference"] = r.reference;
  j["signed"] = r.signed_;
  return j;
}

nlohmann::json to_json(const CopyReport& r) {
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& t : r.tags)
    tags.push_back(
        {{"tag", t.tag}, {"digest", t.digest}, {"mediaType", t.media_type}, {"size", t.length}});
  nlohmann::json j = {{"source", r.source},
                      {"destination", r.destination},
                      {"tags", tags},
                      {"trust_data", r.trust_written ? "written" : "unchanged"},
                      {"root_keys", r.root_keys},
                      {"blobs_transferred", r.result.blobs_transferred},
                      {"blobs_reused", r.result.blobs_reused},
                      {"bytes_transferred", r.result.bytes_transferred}};
  j["trust_repository"] =
      r.trust_repository.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.trust_repository);
  return j;
}

void print_text(std::ostream& out, const CopyReport& r) {
  for (const auto& t : r.tags) out << r.destination << ":" << t.tag << "@" << t.digest << "\n";
}

void print_text(std::ostream& out, const PushReport& r) { out << r.result.manifest.digest << "\n"; }

void print_text(std::ostream& out, const PullReport& r) { out << r.result.manifest.digest << "\n"; }

}  // namespace trustctl::cli
