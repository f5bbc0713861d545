// What a refreshed TUF updater trusts, described for verify, inspect and repo status: shared by
// online (registry) and offline (export) verification so both resolve tags the same way.
#include "trustctl/trust/view.h"

#include <algorithm>
#include <set>

namespace trustctl::trust {
namespace {

constexpr int kMaxSigners = 32;  // delegated roles visited (as the updater's limit)

struct LoadedRole {
  std::string name;
  const tuf::Metadata<tuf::Targets>* md = nullptr;
  const tuf::DelegatedRole* delegation = nullptr;  // nullptr for the top-level targets
};

}  // namespace

std::string sha256_of(const tuf::TargetFile& t) {
  auto it = t.hashes.find("sha256");
  return it == t.hashes.end() ? std::string() : "sha256:" + it->second;
}

std::string media_type_of(const tuf::TargetFile& t) {
  if (t.custom && t.custom->is_object()) {
    auto it = t.custom->find("mediaType");
    if (it != t.custom->end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

tuf::TargetFile target_of(const std::string& digest, std::int64_t length,
                          const std::string& media_type) {
  tuf::TargetFile f;
  f.length = length;
  f.hashes["sha256"] = digest.substr(digest.find(':') + 1);
  f.custom = nlohmann::json{{"mediaType", media_type}};
  return f;
}

const RoleInfo* TrustedView::role(std::string_view name) const {
  for (const auto& r : roles)
    if (r.name == name) return &r;
  return nullptr;
}

const SignerInfo* TrustedView::signer(std::string_view name) const {
  for (const auto& s : signers)
    if (s.name == name) return &s;
  return nullptr;
}

const SignedTag* TrustedView::tag(std::string_view name) const {
  for (const auto& t : tags)
    if (t.tag == name) return &t;
  return nullptr;
}

namespace {

// Fills one view from a refreshed updater: roles, then signers, then tags and checks.
class Describer {
 public:
  Describer(tuf::Updater& updater, std::int64_t now, std::int64_t expiry_warning,
            const std::string& repository_name, const std::string& renew_hint, TrustedView& view)
      : updater_(updater),
        ts_(*updater.trusted_set()),
        now_(now),
        expiry_warning_(expiry_warning),
        repository_name_(repository_name),
        renew_hint_(renew_hint),
        view_(view) {}

  void roles() {
    const auto& root = ts_.root().signed_part();
    const auto& targets = ts_.targets()->signed_part();
    add_role("root", root.version, root.expires);
    add_role("targets", targets.version, targets.expires);
    add_role("snapshot", ts_.snapshot()->signed_part().version,
             ts_.snapshot()->signed_part().expires);
    add_role("timestamp", ts_.timestamp()->signed_part().version,
             ts_.timestamp()->signed_part().expires);
  }

  // Every signer, preorder as the updater walks them; metadata loaded where published.
  std::vector<LoadedRole> signers() {
    std::vector<LoadedRole> loaded = {{"targets", ts_.targets(), nullptr}};
    std::set<std::string> seen = {"targets"};
    std::vector<std::pair<std::string, const tuf::DelegatedRole*>> stack;
    auto push_children = [&](const std::string& parent, const tuf::Targets& t) {
      if (!t.delegations) return;
      for (auto it = t.delegations->roles.rbegin(); it != t.delegations->roles.rend(); ++it)
        stack.emplace_back(parent, &*it);
    };
    push_children("targets", ts_.targets()->signed_part());
    while (!stack.empty() && static_cast<int>(view_.signers.size()) < kMaxSigners) {
      auto [parent, d] = stack.back();
      stack.pop_back();
      if (!seen.insert(d->name).second) continue;
      SignerInfo info;
      info.name = d->name;
      info.keyids = d->keyids;
      info.threshold = d->threshold;
      auto md = updater_.load_delegated(d->name, parent);
      if (md) {
        info.version = (*md)->signed_part().version;
        info.expires = (*md)->signed_part().expires;
        warn_expiry("signer " + d->name + "'s", info.expires);
        loaded.push_back({d->name, *md, d});
        push_children(d->name, (*md)->signed_part());
      } else if (md.error().code() != ErrorCode::kNotFound) {
        info.error = md.error().message();
        view_.signer_errors.push_back(md.error().wrap("signer " + d->name));
        view_.warnings.push_back("the metadata of signer " + d->name + " of " + repository_name_ +
                                 " is not trusted, its tags do not count: " + info.error);
      }
      view_.signers.push_back(std::move(info));
    }
    return loaded;
  }

  void tags(const std::vector<LoadedRole>& loaded) {
    std::set<std::string> names;
    for (const auto& r : loaded)
      for (const auto& [name, target] : r.md->signed_part().targets) names.insert(name);
    for (const auto& name : names) {
      // The trusted binding is the one the TUF walk finds first (top-level targets, then the
      // signers in priority order, honouring paths and terminating roles).
      auto info = updater_.get_targetinfo(name);
      if (!info) {
        view_.tag_errors.emplace(name, info.error());
        continue;
      }
      SignedTag t;
      t.tag = name;
      t.digest = sha256_of(*info);
      t.length = info->length;
      t.media_type = media_type_of(*info);
      for (const auto& r : loaded) {
        if (r.delegation && !r.delegation->is_delegated_path(name)) continue;
        auto it = r.md->signed_part().targets.find(name);
        if (it != r.md->signed_part().targets.end() && sha256_of(it->second) == t.digest &&
            it->second.length == t.length)
          t.signers.push_back(r.name);
      }
      view_.tags.push_back(std::move(t));
    }
  }

  void checks() {
    view_.checks.push_back({"timestamp, snapshot, targets", true,
                            "signatures, thresholds, versions, hashes and expiry"});
    const auto& signers = view_.signers;
    std::int64_t trusted = std::count_if(signers.begin(), signers.end(),
                                         [](const SignerInfo& s) { return s.error.empty(); });
    if (!signers.empty())
      view_.checks.push_back({"signers", trusted == static_cast<std::int64_t>(signers.size()),
                              std::to_string(trusted) + " of " + std::to_string(signers.size()) +
                                  " signers' metadata verified against their thresholds"});
  }

 private:
  void warn_expiry(const std::string& what, std::int64_t expires) {
    if (expires - now_ < expiry_warning_)
      view_.warnings.push_back(what + " metadata of " + repository_name_ + " expires at " +
                               tuf::format_expires(expires) + "; renew it with: " + renew_hint_);
  }
  void add_role(const std::string& name, std::int64_t version, std::int64_t expires) {
    const auto& root = ts_.root().signed_part();
    RoleInfo info;
    info.name = name;
    info.version = version;
    info.expires = expires;
    if (auto it = root.roles.find(name); it != root.roles.end()) {
      info.keyids = it->second.keyids;
      info.threshold = it->second.threshold;
    }
    view_.roles.push_back(info);
    warn_expiry(name, expires);
  }

  tuf::Updater& updater_;
  const tuf::TrustedSet& ts_;
  std::int64_t now_;
  std::int64_t expiry_warning_;
  const std::string& repository_name_;
  const std::string& renew_hint_;
  TrustedView& view_;
};

}  // namespace

void describe_trusted(tuf::Updater& updater, std::int64_t now, std::int64_t expiry_warning,
                      const std::string& repository_name, const std::string& renew_hint,
                      TrustedView& view) {
  Describer describe(updater, now, expiry_warning, repository_name, renew_hint, view);
  describe.roles();
  describe.tags(describe.signers());
  describe.checks();
}

Result<SignedTag> find_signed_tag(const TrustedView& view, const std::string& tag,
                                  const std::string& ref, const std::string& digest) {
  if (auto bad = view.tag_errors.find(tag); bad != view.tag_errors.end())
    return bad->second.wrap("trust data of " + ref);
  auto it = std::find_if(view.tags.begin(), view.tags.end(),
                         [&](const SignedTag& t) { return t.tag == tag; });
  if (it == view.tags.end()) {
    if (!view.signer_errors.empty())
      return view.signer_errors.front().wrap("no trusted signature for " + ref);
    std::string waiting;
    for (const auto& p : view.pending) {
      if (!p.adds.count(tag)) continue;
      waiting = " (version " + std::to_string(p.version) + " of signer " + p.signer +
                " signs it and " +
                (p.ready() ? std::string("waits for a publisher: trustctl repo refresh")
                           : "waits for " + std::to_string(p.threshold - p.signed_by.size()) +
                                 " more signature(s)") +
                ")";
    }
    return Error(ErrorCode::kNoTrustData,
                 "no trust data for " + ref + ": the tag is not signed" + waiting);
  }
  if (it->digest.empty())
    return Error(ErrorCode::kVerification, "the target " + tag + " has no sha256 hash");
  if (!digest.empty() && it->digest != digest)
    return Error(ErrorCode::kVerification, ref + " is signed for " + it->digest + ", not for " +
                                               digest + " (the digest given with the tag)");
  return *it;
}

Result<std::vector<SignedTag>> find_signed_digest(const TrustedView& view,
                                                  const std::string& digest,
                                                  const std::string& where) {
  std::vector<SignedTag> matches;
  for (const auto& t : view.tags)
    if (t.digest == digest) matches.push_back(t);
  if (matches.empty())
    return Error(ErrorCode::kNoTrustData, "no signed tag of " + where + " maps to " + digest);
  return matches;
}

}  // namespace trustctl::trust
