#include "status.h"

#include <iomanip>

#include "trustctl/tuf/metadata.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;

json signers_json(const trust::TrustedView& view) {
  json out = json::array();
  for (const auto& s : view.signers) {
    json entry = {
        {"name", s.name}, {"keyids", s.keyids}, {"threshold", s.threshold}, {"version", s.version}};
    if (s.version > 0) entry["expires"] = tuf::format_expires(s.expires);
    if (!s.error.empty()) entry["error"] = s.error;
    for (const auto& pv : view.pending) {
      if (pv.signer != s.name) continue;
      entry["pending"] = {{"version", pv.version},         {"adds", pv.adds},
                          {"removes", pv.removes},         {"signed_by", pv.signed_by},
                          {"waiting_for", pv.waiting_for}, {"ready", pv.ready()}};
    }
    out.push_back(entry);
  }
  return out;
}

void print_pending(std::ostream& out, const trust::PendingVersion& pv) {
  out << "\nPending: signer " << pv.signer << " version " << pv.version << ", "
      << pv.signed_by.size() << " of " << pv.threshold << " signature(s)";
  if (pv.ready()) out << ", ready (published by the next 'trustctl repo refresh')";
  out << "\n";
  for (const auto& [tag, digest] : pv.adds) out << "  sign   " << tag << " " << digest << "\n";
  for (const auto& tag : pv.removes) out << "  revoke " << tag << "\n";
  for (const auto& id : pv.signed_by) out << "  signed by    " << id.substr(0, 12) << "\n";
  if (!pv.ready())
    for (const auto& id : pv.waiting_for) out << "  waiting for  " << id.substr(0, 12) << "\n";
}

void print_signers(std::ostream& out, const trust::TrustedView& view) {
  if (view.signers.empty()) return;
  out << "\n"
      << std::left << std::setw(20) << "SIGNER" << std::setw(9) << "VERSION" << std::setw(11)
      << "THRESHOLD"
      << "KEYS\n";
  for (const auto& s : view.signers) {
    std::string ids;
    for (const auto& k : s.keyids) ids += (ids.empty() ? "" : " ") + k.substr(0, 12);
    out << std::left << std::setw(20) << s.name << std::setw(9)
        << (s.version > 0 ? std::to_string(s.version) : "-") << std::setw(11)
        << (std::to_string(s.threshold) + " of " + std::to_string(s.keyids.size())) << ids
        << (s.error.empty() ? "" : "  (NOT TRUSTED: " + s.error + ")") << "\n";
  }
  for (const auto& pv : view.pending) print_pending(out, pv);
}

}  // namespace

json to_json(const StatusReport& r) {
  json roles = json::array();
  for (const auto& role : r.view.roles)
    roles.push_back({{"role", role.name},
                     {"version", role.version},
                     {"expires", tuf::format_expires(role.expires)},
                     {"expires_in_seconds", role.expires - r.now},
                     {"threshold", role.threshold},
                     {"keyids", role.keyids}});
  return {
      {"repository", r.repository},        {"root_origin", trust::root_origin_name(r.view.origin)},
      {"signed_tags", r.view.tags.size()}, {"roles", roles},
      {"signers", signers_json(r.view)},   {"warnings", r.view.warnings}};
}

void print_text(std::ostream& out, const StatusReport& r) {
  out << r.repository << " (root " << trust::root_origin_name(r.view.origin) << ", "
      << r.view.tags.size() << " signed tags)\n\n";
  out << std::left << std::setw(11) << "ROLE" << std::setw(9) << "VERSION" << std::setw(22)
      << "EXPIRES" << std::setw(12) << "IN" << std::setw(11) << "THRESHOLD"
      << "KEYS\n";
  for (const auto& role : r.view.roles) {
    const std::int64_t left = role.expires - r.now;
    std::string in = left <= 0 ? "expired" : std::to_string(left / 86400) + " days";
    std::string ids;
    for (const auto& k : role.keyids) ids += (ids.empty() ? "" : " ") + k.substr(0, 12);
    out << std::left << std::setw(11) << role.name << std::setw(9) << role.version << std::setw(22)
        << tuf::format_expires(role.expires) << std::setw(12) << in << std::setw(11)
        << role.threshold << ids << "\n";
  }
  print_signers(out, r.view);
}

json to_json(const RefreshReport& r) { return to_json(r.status); }

void print_text(std::ostream& out, const RefreshReport& r) {
  if (const trust::RoleInfo* ts = r.status.view.role("timestamp"))
    out << "Refreshed " << r.status.repository << ": timestamp version " << ts->version
        << " expires " << tuf::format_expires(ts->expires) << "\n";
}

json to_json(const SignersReport& r) { return signers_json(r.view); }

void print_text(std::ostream& out, const SignersReport& r) {
  if (r.view.signers.empty()) {
    out << r.repository << " has no signers; add one with: trustctl signer add NAME "
        << r.repository << " --key NAME.pub\n";
    return;
  }
  print_signers(out, r.view);
}

}  // namespace trustctl::cli
