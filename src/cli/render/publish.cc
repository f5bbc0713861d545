#include "publish.h"

#include "trustctl/core/log.h"

namespace trustctl::cli {

using nlohmann::json;

json to_json(const SignReport& r) {
  json out = json::array();
  for (const auto& t : r.tags)
    out.push_back({{"reference", r.repository + ":" + t.tag},
                   {"tag", t.tag},
                   {"digest", t.digest},
                   {"size", t.length},
                   {"mediaType", t.media_type}});
  return out;
}

void print_text(std::ostream& out, const SignReport& r) {
  for (const auto& t : r.tags)
    out << "Signed " << r.repository << ":" << t.tag << " " << t.digest << "\n";
}

json to_json(const SignerVersionReport& r) {
  const auto& v = r.outcome.version;
  json tags = json::array();
  for (const auto& t : r.outcome.tags)
    tags.push_back({{"tag", t.tag}, {"digest", t.digest}, {"size", t.length}});
  json removes = v.removes;
  return {{"repository", r.repository},
          {"signer", r.signer},
          {"version", v.version},
          {r.revoke ? "revoked" : "signed", r.revoke ? removes : tags},
          {"signatures", v.signed_by.size()},
          {"threshold", v.threshold},
          {"signed_by", v.signed_by},
          {"waiting_for", v.waiting_for},
          {"published", r.outcome.published}};
}

void print_text(std::ostream& out, const SignerVersionReport& r) {
  const auto& v = r.outcome.version;
  const std::string state =
      r.outcome.published ? "published"
      : v.ready()         ? "ready: a publisher with the snapshot and timestamp keys runs "
                            "'trustctl repo refresh " +
                        r.repository + "'"
                  : "waiting for " + std::to_string(v.threshold - v.signed_by.size()) +
                        " more signature(s)";
  for (const auto& t : r.outcome.tags)
    out << "Signed " << r.repository << ":" << t.tag << " " << t.digest << " as " << r.signer
        << "\n";
  for (const auto& t : v.removes)
    out << "Revoked " << r.repository << ":" << t << " as " << r.signer << "\n";
  out << "Signer " << r.signer << " version " << v.version << ": " << v.signed_by.size() << " of "
      << v.threshold << " signature(s), " << state << "\n";
}

json to_json(const RevokeReport& r) {
  json still = json::array();
  for (const auto& s : r.revocation.still_signed)
    still.push_back({{"tag", s.tag}, {"digest", s.digest}, {"signers", s.signers}});
  return {{"repository", r.repository}, {"revoked", r.revocation.revoked}, {"still_signed", still}};
}

void print_text(std::ostream& out, const RevokeReport& r) {
  for (const auto& t : r.revocation.revoked) out << "Revoked " << r.repository << ":" << t << "\n";
  if (r.revocation.revoked.empty()) out << "Nothing was signed in " << r.repository << "\n";
}

json to_json(const InitReport& r) { return {{"repository", r.repository}, {"initialised", true}}; }

void print_text(std::ostream& out, const InitReport& r) {
  out << "Initialised trust data for " << r.repository << "\n";
}

json to_json(const RotateReport& r) {
  return {{"repository", r.repository},
          {"role", r.role},
          {"keyid", r.keyid},
          {"root_version", r.root_version}};
}

void print_text(std::ostream& out, const RotateReport& r) {
  out << "Rotated the " << r.role << " key of " << r.repository << " to " << r.keyid
      << " (root version " << r.root_version << ")\n";
}

namespace {

std::int64_t timestamp_version(const trust::TrustedView& view) {
  const trust::RoleInfo* ts = view.role("timestamp");
  return ts ? ts->version : 0;
}

}  // namespace

json to_json(const RepairReport& r) {
  return {{"repository", r.repository},
          {"timestamp_version", timestamp_version(r.view)},
          {"signed_tags", r.view.tags.size()},
          {"dropped", r.dropped}};
}

void print_text(std::ostream& out, const RepairReport& r) {
  for (const auto& name : r.dropped) log::info("dropped " + name);
  out << "Repaired " << r.repository << ": republished the state verified here ("
      << r.view.tags.size() << " signed tags), timestamp version " << timestamp_version(r.view)
      << "\n";
}

json to_json(const SignerAddReport& r) {
  return {{"repository", r.repository},
          {"signer", r.signer.name},
          {"keyids", r.signer.keyids},
          {"threshold", r.signer.threshold}};
}

void print_text(std::ostream& out, const SignerAddReport& r) {
  out << "Signer " << r.signer.name << " of " << r.repository << ": " << r.signer.keyids.size()
      << " key(s), " << r.signer.threshold << " must sign\n";
}

json to_json(const SignerRemoveReport& r) {
  return {{"repository", r.repository}, {"signer", r.signer}, {"removed_keys", r.keys}};
}

void print_text(std::ostream& out, const SignerRemoveReport& r) {
  if (r.keys.empty())
    out << "Removed signer " << r.signer << " of " << r.repository << "\n";
  else
    out << "Removed " << r.keys.size() << " key(s) of signer " << r.signer << "\n";
}

}  // namespace trustctl::cli
