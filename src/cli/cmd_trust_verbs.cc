// The content-trust verbs: sign, verify, inspect, revoke (docs/commands.md).
#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "command.h"
#include "registry_access.h"
#include "trust_access.h"
#include "trustctl/core/log.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/registry/digest.h"
#include "trustctl/trust/operations.h"

namespace trustctl::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kRepoAdmin = "Repo Admin";  // docker's name for the targets key

void print_warnings(const trust::TrustedView& view) {
  for (const auto& w : view.warnings) log::warn(w);
}

// Splits REF into repository and the tags named (REF:TAG); all must share one repository.
struct Targets {
  std::string repository_ref;  // registry/repo
  std::vector<std::string> tags;
  std::string digest;
};

Result<Targets> collect(const std::vector<std::string>& refs, bool default_latest) {
  Targets t;
  for (const auto& text : refs) {
    TRY_ASSIGN(auto ref, parse_reference(text));
    if (!t.repository_ref.empty() && t.repository_ref != ref.name())
      return Error(ErrorCode::kUsage, "all references must name one repository (" +
                                          t.repository_ref + " and " + ref.name() + ")");
    t.repository_ref = ref.name();
    if (!ref.tag.empty()) t.tags.push_back(ref.tag);
    if (!ref.digest.empty()) t.digest = ref.digest;
  }
  if (t.tags.empty() && t.digest.empty() && default_latest) t.tags.push_back("latest");
  return t;
}

// sign --signer / revoke --signer: one signature of a signer's next version; published when
// its threshold is met, else it waits in the trust data (exit 0 either way).
Status sign_as_signer(const Invocation& inv, const Parsed& p, TrustAccess& access,
                      const std::vector<trust::TagRequest>& requests, bool revoke) {
  const std::string signer = p.flags["signer"].as<std::string>();
  const bool replace = p.flags.count("replace-pending") > 0;
  TRY_ASSIGN(auto outcome, trust::sign_as(*access.publisher, *access.manifests, signer, requests,
                                          revoke, replace));
  const auto& v = outcome.version;
  const std::string state =
      outcome.published ? "published"
      : v.ready()       ? "ready: a publisher with the snapshot and timestamp keys runs "
                          "'trustctl repo refresh " +
                        access.ref.name() + "'"
                  : "waiting for " + std::to_string(v.threshold - v.signed_by.size()) +
                        " more signature(s)";
  if (p.global.output == OutputFormat::kJson) {
    json tags = json::array();
    for (const auto& t : outcome.tags)
      tags.push_back({{"tag", t.tag}, {"digest", t.digest}, {"size", t.length}});
    json removes = v.removes;
    *inv.out << json({{"repository", access.ref.name()},
                      {"signer", signer},
                      {"version", v.version},
                      {revoke ? "revoked" : "signed", revoke ? removes : tags},
                      {"signatures", v.signed_by.size()},
                      {"threshold", v.threshold},
                      {"signedBy", v.signed_by},
                      {"waitingFor", v.waiting_for},
                      {"published", outcome.published}})
                    .dump(2)
             << "\n";
    return {};
  }
  for (const auto& t : outcome.tags)
    *inv.out << "Signed " << access.ref.name() << ":" << t.tag << " " << t.digest << " as "
             << signer << "\n";
  for (const auto& t : v.removes)
    *inv.out << "Revoked " << access.ref.name() << ":" << t << " as " << signer << "\n";
  *inv.out << "Signer " << signer << " version " << v.version << ": " << v.signed_by.size()
           << " of " << v.threshold << " signature(s), " << state << "\n";
  return {};
}

Status sign(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Sign tags: record each tag's current digest in the repository's trust data (one "
      "publish for all). The first sign of a repository initialises it on a terminal; without "
      "one it needs --init (or 'trustctl repo init').\n\nUsage: trustctl sign REF[:TAG]...");
  options.add_options()("digest", "Sign this digest; refuse if the tag points elsewhere",
                        cxxopts::value<std::string>())(
      "init", "Create keys and trust data if the repository has none")(
      "signer", "Sign as this signer (a delegated role) with its keys in this trust dir",
      cxxopts::value<std::string>())(
      "replace-pending",
      "With --signer: drop the signer's pending version that makes another "
      "change and start a new one");
  add_trust_options(options);
  add_publish_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.empty()) return Error(ErrorCode::kUsage, "sign needs a reference");
  TRY_ASSIGN(auto targets, collect(p.positional, true));
  if (!targets.digest.empty())
    return Error(ErrorCode::kUsage, "sign takes tags; pin a digest with --digest");
  TRY_ASSIGN(auto access, open_trust(targets.repository_ref, p));
  std::vector<trust::TagRequest> requests;
  for (const auto& tag : targets.tags) {
    trust::TagRequest r{tag, ""};
    if (p.flags.count("digest")) {
      TRY_ASSIGN(auto d, registry::Digest::parse(p.flags["digest"].as<std::string>()));
      r.digest = d.string();
    }
    requests.push_back(r);
  }
  if (p.flags.count("signer")) return sign_as_signer(inv, p, *access, requests, /*revoke=*/false);
  bool init = p.flags.count("init") > 0 || keystore::stdin_is_tty();
  TRY_ASSIGN(auto signed_tags, trust::sign(*access->publisher, *access->manifests, requests, init));
  json out = json::array();
  for (const auto& t : signed_tags) {
    out.push_back({{"reference", access->ref.name() + ":" + t.tag},
                   {"tag", t.tag},
                   {"digest", t.digest},
                   {"size", t.length},
                   {"mediaType", t.media_type}});
    if (p.global.output == OutputFormat::kText)
      *inv.out << "Signed " << access->ref.name() << ":" << t.tag << " " << t.digest << "\n";
  }
  if (p.global.output == OutputFormat::kJson) *inv.out << out.dump(2) << "\n";
  return {};
}

Status verify(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Verify REF through the trust data: the TUF checks against this trust dir's trusted "
      "state, then the manifest fetched by the signed digest. Prints the trusted digest.\n\n"
      "Usage: trustctl verify REF[:TAG|@DIGEST]   (no tag means latest)");
  add_trust_options(options);
  options.add_options()("offline", "Verify from an export (--from DIR) with no network at all")(
      "from", "Folder written by 'trustctl repo export'", cxxopts::value<std::string>());
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "verify takes one reference");
  TRY_ASSIGN(auto targets, collect(p.positional, true));
  auto fail = [&](const Error& e) {
    return report_verify_failure(inv, p, p.positional[0], e, /*offline=*/false);
  };
  if (p.flags.count("offline") || p.flags.count("from")) return verify_offline(inv, p);
  auto access = open_trust(targets.repository_ref, p);
  if (!access) return fail(access.error());
  auto& a = **access;
  auto current = a.refresh();
  if (!current) return fail(current.error());
  trust::TrustedView& view = current->verified.view;
  std::vector<trust::SignedTag> verified;
  if (targets.tags.empty()) {  // REF@DIGEST: every signed tag that maps to it
    auto r = trust::verify_digest(view, *a.manifests, targets.digest, a.ref.name());
    if (!r) return fail(r.error());
    verified = *r;
  } else {  // REF:TAG, or REF:TAG@DIGEST: TAG must be signed for DIGEST
    auto r =
        trust::verify_tag(view, *a.manifests, targets.tags.front(), targets.digest, a.ref.name());
    if (!r) return fail(r.error());
    verified.push_back(*r);
  }
  report_verified(inv, p, p.positional[0], verified, view, targets.tags.empty(),
                  /*offline=*/false);
  return {};
}

ordered_json keys_json(const std::vector<std::string>& ids) {
  ordered_json keys = ordered_json::array();
  for (const auto& id : ids) keys.push_back({{"ID", id}});
  return keys;
}

Status inspect(const Invocation& inv) {
  cxxopts::Options options(
      inv.program,
      "Show who signed which tags, in the JSON shape of 'docker trust inspect' (--pretty for "
      "its tables). No tag means every signed tag.\n\nUsage: trustctl inspect REF[:TAG]...");
  options.add_options()("pretty", "Print human-readable tables");
  add_trust_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.empty()) return Error(ErrorCode::kUsage, "inspect needs a reference");
  const bool pretty = p.flags.count("pretty") > 0;
  ordered_json all = ordered_json::array();
  std::ostringstream text;
  Status first_error;
  for (const auto& ref_text : p.positional) {
    TRY_ASSIGN(auto ref, parse_reference(ref_text));
    auto access = open_trust(ref.name(), p);
    if (!access) return access.error();
    auto current = (*access)->refresh();
    if (!current) {
      log::error("no signatures or cannot access " + ref_text + ": " + current.error().message());
      if (first_error.ok()) first_error = current.error();
      continue;
    }
    const trust::TrustedView* view = &current->verified.view;
    print_warnings(*view);
    const std::string name = ref.tag.empty() ? ref.name() : ref.name() + ":" + ref.tag;
    ordered_json signed_tags = ordered_json::array();
    for (const auto& t : view->tags) {
      if (!ref.tag.empty() && t.tag != ref.tag) continue;
      // As docker: the signers other than the repository key, or "Repo Admin" alone.
      std::vector<std::string> by;
      for (const auto& s : t.signers)
        if (s != "targets") by.push_back(s);
      if (by.empty()) by.push_back(std::string(kRepoAdmin));
      signed_tags.push_back(
          {{"SignedTag", t.tag}, {"Digest", bare_hex(t.digest)}, {"Signers", by}});
    }
    std::vector<trust::SignerInfo> signers = view->signers;
    std::sort(
        signers.begin(), signers.end(),
        [](const trust::SignerInfo& a, const trust::SignerInfo& b) { return a.name > b.name; });
    ordered_json signers_json = ordered_json::array();
    for (const auto& s : signers)
      signers_json.push_back({{"Name", s.name}, {"Keys", keys_json(s.keyids)}});
    std::vector<std::string> root_keys, repo_keys;
    for (const auto& r : view->roles) {
      if (r.name == "root") root_keys = r.keyids;
      if (r.name == "targets") repo_keys = r.keyids;
    }
    ordered_json entry = {{"Name", name},
                          {"SignedTags", signed_tags},
                          {"Signers", signers_json},
                          {"AdministrativeKeys",
                           {{{"Name", "Root"}, {"Keys", keys_json(root_keys)}},
                            {{"Name", "Repository"}, {"Keys", keys_json(repo_keys)}}}}};
    all.push_back(entry);
    if (pretty) {
      text << "\nSignatures for " << name << "\n\n";
      if (signed_tags.empty()) {
        text << "No signatures for " << name << "\n\n";
      } else {
        text << std::left << std::setw(13) << "SIGNED TAG" << std::setw(67) << "DIGEST"
             << "SIGNERS\n";
        for (const auto& t : signed_tags) {
          std::string by;
          for (const auto& s : t["Signers"]) by += (by.empty() ? "" : ", ") + s.get<std::string>();
          text << std::left << std::setw(13) << t["SignedTag"].get<std::string>() << std::setw(67)
               << t["Digest"].get<std::string>() << by << "\n";
        }
      }
      if (!signers.empty()) {
        std::size_t width = 6;
        for (const auto& s : signers) width = std::max(width, s.name.size());
        text << "\nList of signers and their keys for " << name << "\n\n";
        text << std::left << std::setw(static_cast<int>(width + 4)) << "SIGNER"
             << "KEYS\n";
        for (const auto& s : signers) {
          std::string ids;
          for (const auto& k : s.keyids) ids += (ids.empty() ? "" : ", ") + k.substr(0, 12);
          text << std::left << std::setw(static_cast<int>(width + 4)) << s.name << ids << "\n";
        }
      }
      text << "\nAdministrative keys for " << name << "\n\n";
      for (const auto& id : repo_keys) text << "  Repository Key:\t" << id << "\n";
      for (const auto& id : root_keys) text << "  Root Key:\t" << id << "\n";
    }
  }
  if (pretty && p.global.output == OutputFormat::kText)
    *inv.out << text.str();
  else
    *inv.out << all.dump(4) << "\n";
  return first_error;
}

Status revoke(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Remove signed tags from the trust data, so verify refuses them.\n\n"
                           "Usage: trustctl revoke REF:TAG...   |   trustctl revoke --all REF");
  options.add_options()("all", "Revoke every signed tag of the repository")(
      "y,yes", "Do not ask for confirmation (--all)")(
      "signer", "Revoke as this signer: its next version without the tags",
      cxxopts::value<std::string>())("replace-pending",
                                     "With --signer: drop a pending version that makes another "
                                     "change");
  add_trust_options(options);
  add_publish_options(options);
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.empty()) return Error(ErrorCode::kUsage, "revoke needs a reference");
  TRY_ASSIGN(auto targets, collect(p.positional, false));
  const bool all = p.flags.count("all") > 0;
  if (!all && targets.tags.empty())
    return Error(ErrorCode::kUsage, "revoke needs REF:TAG, or --all to revoke every tag");
  if (all && !targets.tags.empty())
    return Error(ErrorCode::kUsage, "--all takes a repository without a tag");
  if (all && !p.flags.count("yes")) {
    if (!keystore::confirm_on_tty("Revoke every signed tag of " + targets.repository_ref + "?"))
      return Error(ErrorCode::kUsage, "revoking every tag needs confirmation: pass --yes");
  }
  TRY_ASSIGN(auto access, open_trust(targets.repository_ref, p));
  if (p.flags.count("signer")) {
    if (all) return Error(ErrorCode::kUsage, "--signer revokes named tags, not --all");
    std::vector<trust::TagRequest> requests;
    for (const auto& tag : targets.tags) requests.push_back({tag, ""});
    return sign_as_signer(inv, p, *access, requests, /*revoke=*/true);
  }
  TRY_ASSIGN(auto revocation, trust::revoke(*access->publisher, targets.tags, all));
  const auto& removed = revocation.revoked;
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << json({{"repository", access->ref.name()}, {"revoked", removed}}).dump(2) << "\n";
  } else {
    for (const auto& t : removed) *inv.out << "Revoked " << access->ref.name() << ":" << t << "\n";
    if (removed.empty()) *inv.out << "Nothing was signed in " << access->ref.name() << "\n";
  }
  return {};
}

}  // namespace

Command sign_command() { return {"sign", "Sign tags (trust data kept in the registry)", sign}; }
Command verify_command() {
  return {"verify", "Verify a tag or digest through the trust data; print the digest", verify};
}
Command inspect_command() {
  return {"inspect", "Show signed tags and keys (docker trust inspect)", inspect};
}
Command revoke_command() { return {"revoke", "Remove signed tags from the trust data", revoke}; }

}  // namespace trustctl::cli
