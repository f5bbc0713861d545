// trustctl repo init, and trustctl trust pin|list|unpin (roots trusted without TOFU).
#include <algorithm>
#include <ctime>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"
#include "registry_access.h"
#include "trust_access.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/trust/operations.h"
#include "trustctl/tuf/metadata.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kRepoUsage =
    "Manage a repository's trust data.\n\n"
    "Usage:\n"
    "  trustctl repo init REPO     create root, targets, snapshot and timestamp keys and the\n"
    "                              first trust data (the root key is the offline one)\n"
    "  trustctl repo status REPO   every role's version, expiry, keys and threshold\n"
    "  trustctl repo refresh REPO  re-sign snapshot and timestamp (run it from cron or CI);\n"
    "                              publishes signers' versions whose threshold is met\n"
    "  trustctl repo rotate REPO root|targets|snapshot|timestamp [--key FILE]\n"
    "                              replace the role's key (new root version; a root rotation is\n"
    "                              signed by the old and the new root key)\n"
    "  trustctl repo export REPO DIR  write REPO's verified trust data into DIR as a standard\n"
    "                              TUF repository (--with-manifests: the signed manifests too)\n"
    "  trustctl repo delete REPO   delete REPO's trust data from the registry and this trust\n"
    "                              dir (--yes without a terminal)\n"
    "  trustctl repo repair REPO   republish the last state this trust dir verified, when the\n"
    "                              registry's trust data no longer verifies (--yes without a\n"
    "                              terminal)\n";

constexpr std::string_view kTrustUsage =
    "Roots this trust dir trusts without trust on first use.\n\n"
    "Usage:\n"
    "  trustctl trust pin REPO --root-key FILE | --fingerprint KEYID\n"
    "  trustctl trust list\n"
    "  trustctl trust unpin REPO\n";

Status repo_init(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Initialise REPO's trust data.\n\nUsage: " + inv.program + " REPO");
  add_trust_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "repo init takes one repository");
  TRY_ASSIGN(auto ref, parse_repository(p.positional[0], "repo init"));
  TRY_ASSIGN(auto access, open_trust(ref.name(), p));
  TRY(trust::init(*access->publisher));
  if (p.global.output == OutputFormat::kJson)
    *inv.out << json({{"repository", ref.name()}, {"initialised", true}}).dump(2) << "\n";
  else
    *inv.out << "Initialised trust data for " << ref.name() << "\n";
  return {};
}

json view_json(const std::string& name, const trust::TrustedView& view, std::int64_t now) {
  json roles = json::array();
  for (const auto& r : view.roles) {
    roles.push_back({{"role", r.name},
                     {"version", r.version},
                     {"expires", tuf::format_expires(r.expires)},
                     {"expiresInSeconds", r.expires - now},
                     {"threshold", r.threshold},
                     {"keyids", r.keyids}});
  }
  return {{"repository", name},
          {"rootOrigin", trust::root_origin_name(view.origin)},
          {"signedTags", view.tags.size()},
          {"roles", roles},
          {"signers", signers_json(view)},
          {"warnings", view.warnings}};
}

void print_view(std::ostream& out, const std::string& name, const trust::TrustedView& view,
                std::int64_t now) {
  out << name << " (root " << trust::root_origin_name(view.origin) << ", " << view.tags.size()
      << " signed tags)\n\n";
  out << std::left << std::setw(11) << "ROLE" << std::setw(9) << "VERSION" << std::setw(22)
      << "EXPIRES" << std::setw(12) << "IN" << std::setw(11) << "THRESHOLD"
      << "KEYS\n";
  for (const auto& r : view.roles) {
    std::int64_t left = r.expires - now;
    std::string in = left <= 0 ? "expired" : std::to_string(left / 86400) + " days";
    std::string ids;
    for (const auto& k : r.keyids) ids += (ids.empty() ? "" : " ") + k.substr(0, 12);
    out << std::left << std::setw(11) << r.name << std::setw(9) << r.version << std::setw(22)
        << tuf::format_expires(r.expires) << std::setw(12) << in << std::setw(11) << r.threshold
        << ids << "\n";
  }
  print_signers(out, view);
}

Status repo_status(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Show REPO's trust data: every role's version, expiry, "
                           "keys and threshold.\n\nUsage: " +
                               inv.program + " REPO");
  add_trust_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "repo status takes one repository");
  TRY_ASSIGN(auto access, open_trust(p.positional[0], p));
  TRY_ASSIGN(auto current, access->refresh());
  const trust::TrustedView& view = current.verified.view;
  for (const auto& w : view.warnings) log::warn(w);
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  if (p.global.output == OutputFormat::kJson)
    *inv.out << view_json(access->ref.name(), view, now).dump(2) << "\n";
  else
    print_view(*inv.out, access->ref.name(), view, now);
  return {};
}

Status repo_refresh(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Re-sign REPO's snapshot and timestamp with fresh expiries. Nothing "
                           "else renews the timestamp: run this from cron or CI well within its "
                           "lifetime (docs/operations.md).\n\nUsage: " +
                               inv.program + " REPO");
  add_trust_options(options);
  add_publish_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1)
    return Error(ErrorCode::kUsage, "repo refresh takes one repository");
  TRY_ASSIGN(auto access, open_trust(p.positional[0], p));
  TRY_ASSIGN(auto view, trust::renew(*access->publisher));
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << view_json(access->ref.name(), view, now).dump(2) << "\n";
  } else {
    for (const auto& r : view.roles)
      if (r.name == "timestamp")
        *inv.out << "Refreshed " << access->ref.name() << ": timestamp version " << r.version
                 << " expires " << tuf::format_expires(r.expires) << "\n";
  }
  return {};
}

Status repo_rotate(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Replace the key of one of REPO's roles. Root gets a new version listing the new key, "
      "signed by the root key (a root rotation by the old and the new root key), so every client "
      "follows the chain and the old key stops counting.\n\nUsage: " +
          inv.program + " REPO root|targets|snapshot|timestamp [--key FILE]");
  options.add_options()("key", "Use this private key (PEM) instead of generating one",
                        cxxopts::value<std::string>());
  add_trust_options(options);
  add_publish_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 2)
    return Error(ErrorCode::kUsage, "repo rotate takes REPO and a role");
  TRY_ASSIGN(auto ref, parse_repository(p.positional[0], "repo rotate"));
  const std::string role = p.positional[1];
  const std::string key_file = p.flags.count("key") ? p.flags["key"].as<std::string>() : "";
  TRY_ASSIGN(auto access, open_trust(ref.name(), p));
  TRY_ASSIGN(auto keyid, trust::rotate(*access->publisher, role, key_file));
  TRY_ASSIGN(auto current, access->refresh());
  const trust::RoleInfo* root = current.verified.view.role("root");
  std::int64_t root_version = root ? root->version : 0;
  if (p.global.output == OutputFormat::kJson)
    *inv.out << json({{"repository", ref.name()},
                      {"role", role},
                      {"keyid", keyid},
                      {"rootVersion", root_version}})
                    .dump(2)
             << "\n";
  else
    *inv.out << "Rotated the " << role << " key of " << ref.name() << " to " << keyid
             << " (root version " << root_version << ")\n";
  return {};
}

Status repo_repair(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Republish the last state of REPO this trust dir verified and vouches for, with new "
      "snapshot and timestamp versions, when the registry's trust data no longer verifies (a "
      "pusher added a garbage root version, say). Everything else in the registry's trust data "
      "is dropped: waiting signer versions, and anything published after this trust dir last "
      "verified REPO. Needs the snapshot and timestamp keys (docs/operations.md).\n\nUsage: " +
          inv.program + " REPO [--yes]");
  options.add_options()("y,yes", "Do not ask for confirmation");
  add_trust_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "repo repair takes one repository");
  TRY_ASSIGN(auto ref, parse_repository(p.positional[0], "repo repair"));
  if (!p.flags.count("yes") &&
      !keystore::confirm_on_tty("Republish the state of " + ref.name() +
                                " this trust dir verified last, dropping everything else?"))
    return Error(ErrorCode::kUsage,
                 "repairing the trust data of " + ref.name() + " needs confirmation: pass --yes");
  TRY_ASSIGN(auto access, open_trust(ref.name(), p));
  std::vector<std::string> dropped;
  TRY_ASSIGN(auto view, trust::repair(*access->publisher, &dropped));
  std::int64_t timestamp_version = 0;
  for (const auto& r : view.roles)
    if (r.name == "timestamp") timestamp_version = r.version;
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << json({{"repository", ref.name()},
                      {"timestampVersion", timestamp_version},
                      {"signedTags", view.tags.size()},
                      {"dropped", dropped}})
                    .dump(2)
             << "\n";
    return {};
  }
  for (const auto& name : dropped) log::info("dropped " + name);
  *inv.out << "Repaired " << ref.name() << ": republished the state verified here ("
           << view.tags.size() << " signed tags), timestamp version " << timestamp_version << "\n";
  return {};
}

Status trust_pin(const Invocation& inv) {
  cxxopts::Options options(inv.program, "Pin the root key of REPO.\n\nUsage: " + inv.program +
                                            " REPO --root-key FILE | --fingerprint KEYID");
  options.add_options()("root-key", "PEM public key of the root", cxxopts::value<std::string>())(
      "fingerprint", "TUF key ID (sha256 hex) of the root key", cxxopts::value<std::string>());
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "trust pin takes one repository");
  TRY_ASSIGN(auto pinned, parse_repository(p.positional[0], "trust pin"));
  const std::string name = pinned.name();
  const bool by_file = p.flags.count("root-key") > 0;
  const bool by_id = p.flags.count("fingerprint") > 0;
  if (by_file == by_id)
    return Error(ErrorCode::kUsage, "give exactly one of --root-key FILE or --fingerprint KEYID");
  std::string keyid;
  if (by_file) {
    const std::string file = p.flags["root-key"].as<std::string>();
    auto pem = fs::read_file(file);
    if (!pem) return Error(ErrorCode::kUsage, pem.error().message());
    auto key = crypto::PublicKey::from_pem(*pem);
    if (!key) return Error(ErrorCode::kUsage, file + ": " + key.error().message());
    keyid = key->key_id();
  } else {
    keyid = p.flags["fingerprint"].as<std::string>();
    if (keyid.size() != 64 || keyid.find_first_not_of("0123456789abcdef") != std::string::npos)
      return Error(ErrorCode::kUsage, "a fingerprint is a key ID: 64 lower-case hex digits");
  }
  TRY(check_trust_dir(p));
  TRY_ASSIGN(bool forgot, trust::pin_root(trust::TrustDir(p.global.trust_dir), pinned, keyid));
  if (forgot)
    log::info("forgot the trusted state of " + name +
              " (its root is not signed by the pinned key); the pin decides now");
  if (p.global.output == OutputFormat::kJson)
    *inv.out << json({{"repository", name}, {"root_keyids", {keyid}}}).dump(2) << "\n";
  else
    *inv.out << "Pinned the root of " << name << " to key " << keyid << "\n";
  return {};
}

Status trust_list(const Invocation& inv) {
  cxxopts::Options options(inv.program, "List pinned roots.");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  TRY_ASSIGN(auto pins, trust::TrustDir(p.global.trust_dir).pins());
  json out = json::array();
  for (const auto& pin : pins) {
    out.push_back({{"repository", pin.repository}, {"root_keyids", pin.keyids}});
    if (p.global.output == OutputFormat::kText)
      for (const auto& k : pin.keyids) *inv.out << pin.repository << "\t" << k << "\n";
  }
  if (p.global.output == OutputFormat::kJson) *inv.out << out.dump(2) << "\n";
  return {};
}

Status trust_unpin(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Remove the pin of REPO.\n\nUsage: " + inv.program + " REPO");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "trust unpin takes one repository");
  TRY_ASSIGN(auto pinned, parse_repository(p.positional[0], "trust unpin"));
  const std::string name = pinned.name();
  TRY(check_trust_dir(p));
  TRY_ASSIGN(bool forgot, trust::unpin_root(trust::TrustDir(p.global.trust_dir), pinned));
  if (p.global.output == OutputFormat::kJson)
    *inv.out
        << json({{"repository", name}, {"unpinned", true}, {"forgotTrustedState", forgot}}).dump(2)
        << "\n";
  else
    *inv.out << "Unpinned " << name << "\n";
  return {};
}

}  // namespace

Command repo_command() {
  return {"repo",
          "Manage a repository's trust data (init, status, refresh, rotate, export, delete, "
          "repair)",
          [](const Invocation& inv) {
            return dispatch_subcommand(inv,
                                       {{{"init"}, repo_init},
                                        {{"status"}, repo_status},
                                        {{"refresh"}, repo_refresh},
                                        {{"rotate"}, repo_rotate},
                                        {{"export"}, repo_export},
                                        {{"delete"}, repo_delete},
                                        {{"repair"}, repo_repair}},
                                       kRepoUsage);
          }};
}

Command trust_command() {
  return {"trust", "Pin, list and unpin trusted roots", [](const Invocation& inv) {
            return dispatch_subcommand(
                inv, {{{"pin"}, trust_pin}, {{"list", "ls"}, trust_list}, {{"unpin"}, trust_unpin}},
                kTrustUsage);
          }};
}

}  // namespace trustctl::cli
