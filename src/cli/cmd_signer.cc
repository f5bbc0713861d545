// trustctl signer add|remove|list: named signers (delegated roles) with k-of-n thresholds, as
// `docker trust signer` (docs/signers.md).
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"
#include "registry_access.h"
#include "trust_access.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/trust/operations.h"
#include "trustctl/tuf/metadata.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kSignerUsage =
    "Named signers of a repository: delegated roles with their own keys and a threshold.\n\n"
    "Usage:\n"
    "  trustctl signer add NAME REPO --key PUB.pem [--key PUB.pem]... [--threshold K]\n"
    "                     add a signer, add keys to it, or change its threshold (K of its keys\n"
    "                     must sign each of its versions); needs the repository (targets) key\n"
    "  trustctl signer remove NAME REPO [--key KEYID]...\n"
    "                     remove the signer (its tags stop counting), or only some of its keys\n"
    "  trustctl signer list REPO\n"
    "                     signers, keys, thresholds, versions and what waits for signatures\n";

Status signer_add(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Add signer NAME to REPO, add keys to it, or change its threshold.\n\n"
                           "Usage: " +
                               inv.program + " NAME REPO --key PUB.pem... [--threshold K]");
  options.add_options()("key",
                        "PEM public key of the signer (repeatable; 'trustctl key "
                        "generate NAME' writes NAME.pub)",
                        cxxopts::value<std::vector<std::string>>())(
      "threshold", "How many of the signer's keys must sign each of its versions",
      cxxopts::value<std::int64_t>());
  add_trust_options(options);
  add_publish_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 2) return Error(ErrorCode::kUsage, "signer add takes NAME and REPO");
  const std::string name = p.positional[0];
  TRY_ASSIGN(auto ref, parse_repository(p.positional[1], inv.program));
  const std::string repo = ref.name();
  std::vector<crypto::PublicKey> keys;
  if (p.flags.count("key")) {
    for (const auto& file : p.flags["key"].as<std::vector<std::string>>()) {
      auto pem = fs::read_file(file);
      if (!pem) return Error(ErrorCode::kUsage, pem.error().message());
      auto key = crypto::PublicKey::from_pem(*pem);
      if (!key) return Error(ErrorCode::kUsage, file + ": " + key.error().message());
      keys.push_back(*key);
    }
  }
  std::optional<std::int64_t> threshold;
  if (p.flags.count("threshold")) threshold = p.flags["threshold"].as<std::int64_t>();
  TRY_ASSIGN(auto access, open_trust(repo, p));
  TRY_ASSIGN(auto s, trust::add_signer(*access->publisher, name, keys, threshold));
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << json({{"repository", repo},
                      {"signer", name},
                      {"keyids", s.keyids},
                      {"threshold", s.threshold}})
                    .dump(2)
             << "\n";
  } else {
    *inv.out << "Signer " << name << " of " << repo << ": " << s.keyids.size() << " key(s), "
             << s.threshold << " must sign\n";
  }
  return {};
}

Status signer_remove(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Remove signer NAME from REPO (its tags stop counting), or only "
                           "some of its keys.\n\nUsage: " +
                               inv.program + " NAME REPO [--key KEYID]...");
  options.add_options()("key", "Remove only this key (ID or unambiguous prefix; repeatable)",
                        cxxopts::value<std::vector<std::string>>())("y,yes",
                                                                    "Do not ask for confirmation");
  add_trust_options(options);
  add_publish_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 2)
    return Error(ErrorCode::kUsage, "signer remove takes NAME and REPO");
  const std::string name = p.positional[0];
  TRY_ASSIGN(auto ref, parse_repository(p.positional[1], inv.program));
  const std::string repo = ref.name();
  std::vector<std::string> keyids;
  if (p.flags.count("key")) keyids = p.flags["key"].as<std::vector<std::string>>();
  if (keyids.empty() && !p.flags.count("yes") &&
      !keystore::confirm_on_tty("Remove signer " + name + " of " + repo +
                                "? Tags only it signed will no longer verify.")) {
    return Error(ErrorCode::kUsage, "removing a signer needs confirmation: pass --yes");
  }
  TRY_ASSIGN(auto access, open_trust(repo, p));
  TRY(trust::remove_signer(*access->publisher, name, keyids));
  if (p.global.output == OutputFormat::kJson)
    *inv.out << json({{"repository", repo}, {"signer", name}, {"removedKeys", keyids}}).dump(2)
             << "\n";
  else if (keyids.empty())
    *inv.out << "Removed signer " << name << " of " << repo << "\n";
  else
    *inv.out << "Removed " << keyids.size() << " key(s) of signer " << name << "\n";
  return {};
}

}  // namespace

json signers_json(const trust::TrustedView& view) {
  json out = json::array();
  for (const auto& s : view.signers) {
    json entry = {
        {"name", s.name}, {"keyids", s.keyids}, {"threshold", s.threshold}, {"version", s.version}};
    if (s.version > 0) entry["expires"] = tuf::format_expires(s.expires);
    if (!s.error.empty()) entry["error"] = s.error;
    for (const auto& pv : view.pending) {
      if (pv.signer != s.name) continue;
      entry["pending"] = {{"version", pv.version},        {"adds", pv.adds},
                          {"removes", pv.removes},        {"signedBy", pv.signed_by},
                          {"waitingFor", pv.waiting_for}, {"ready", pv.ready()}};
    }
    out.push_back(entry);
  }
  return out;
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
  for (const auto& pv : view.pending) {
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
}

namespace {

Status signer_list(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "List REPO's signers, their keys and thresholds, and the versions "
                           "waiting for signatures.\n\nUsage: " +
                               inv.program + " REPO");
  add_trust_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "signer list takes one REPO");
  TRY_ASSIGN(auto ref, parse_repository(p.positional[0], inv.program));
  const std::string repo = ref.name();
  TRY_ASSIGN(auto access, open_trust(repo, p));
  TRY_ASSIGN(auto current, access->refresh());
  const trust::TrustedView& view = current.verified.view;
  for (const auto& w : view.warnings) log::warn(w);
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << signers_json(view).dump(2) << "\n";
  } else if (view.signers.empty()) {
    *inv.out << repo << " has no signers; add one with: trustctl signer add NAME " << repo
             << " --key NAME.pub\n";
  } else {
    print_signers(*inv.out, view);
  }
  return {};
}

}  // namespace

Command signer_command() {
  return {"signer", "Add, remove and list named signers with thresholds (delegations)",
          [](const Invocation& inv) {
            return dispatch_subcommand(inv,
                                       {{{"add"}, signer_add},
                                        {{"remove", "rm"}, signer_remove},
                                        {{"list", "ls"}, signer_list}},
                                       kSignerUsage);
          }};
}

}  // namespace trustctl::cli
