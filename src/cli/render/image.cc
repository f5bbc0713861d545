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

void print_text(std::ostream& out, const PushReport& r) { out << r.result.manifest.digest << "\n"; }

void print_text(std::ostream& out, const PullReport& r) { out << r.result.manifest.digest << "\n"; }

}  // namespace trustctl::cli
