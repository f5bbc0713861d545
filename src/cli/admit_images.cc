#include "admit_images.h"

#include <algorithm>
#include <set>

#include "trustctl/core/log.h"
#include "trustctl/core/untrusted_json.h"

namespace trustctl::cli {
namespace {

constexpr std::uint64_t kMaxConfigBytes = 4 * 1024 * 1024;
constexpr int kMaxIndexDepth = 4;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The USER of one image manifest's config, fetched by the digest the verified manifest names
// (the client hashes the bytes against it).
Result<std::string> config_user(registry::RegistryClient& client, const std::string& repository,
                                const registry::Manifest& manifest) {
  TRUSTCTL_TRY_ASSIGN(auto bytes,
                      client.fetch_blob(repository, manifest.config.digest, kMaxConfigBytes));
  TRUSTCTL_TRY_ASSIGN(auto config,
                      parse_untrusted_json(bytes, "the image config " + manifest.config.digest,
                                           ErrorCode::kIntegrity));
  if (!config.is_object())
    return Error(ErrorCode::kIntegrity,
                 "the image config " + manifest.config.digest + " is not a JSON object");
  auto it = config.find("config");
  if (it == config.end() || it->is_null()) return std::string();
  if (!it->is_object())
    return Error(ErrorCode::kIntegrity,
                 "the image config " + manifest.config.digest + " has a malformed `config`");
  auto user = it->find("User");
  if (user == it->end() || user->is_null()) return std::string();
  if (!user->is_string())
    return Error(ErrorCode::kIntegrity,
                 "the image config " + manifest.config.digest + " has a non-string User");
  return user->get<std::string>();
}

// The USERs of the images a manifest (or, for an index, each platform) runs: every manifest
// fetched by a digest the verified parent names. Attestation entries (no platform, or
// unknown/unknown) are not images that run.
Status collect_users(registry::RegistryClient& client, const std::string& repository,
                     const std::string& digest, int depth, std::set<std::string>& users) {
  if (depth > kMaxIndexDepth)
    return Error(ErrorCode::kIntegrity,
                 "indexes nested deeper than " + std::to_string(kMaxIndexDepth) + " at " + digest);
  TRUSTCTL_TRY_ASSIGN(auto manifest, client.get_manifest(repository, digest));
  if (manifest.descriptor.digest != digest)
    return Error(ErrorCode::kIntegrity,
                 "the registry served " + manifest.descriptor.digest + " for " + digest);
  if (!manifest.is_index()) {
    TRUSTCTL_TRY_ASSIGN(auto user, config_user(client, repository, manifest));
    users.insert(user);
    return {};
  }
  for (const auto& child : manifest.manifests) {
    if (child.platform.os == "unknown" && child.platform.architecture == "unknown") continue;
    TRUSTCTL_TRY(collect_users(client, repository, child.digest, depth + 1, users));
  }
  return {};
}

}  // namespace

TrustImageVerifier::Repository& TrustImageVerifier::repository(
    const admission::ImageRequest& request) {
  registry::Reference repo = request.reference;
  repo.tag.clear();
  repo.digest.clear();
  const std::string key = repo.name() + " roots=" + join(request.roots);
  auto it = repositories_.find(key);
  if (it != repositories_.end()) return it->second;
  Repository& r = repositories_[key];
  trust::VerifyOptions options = verify_options(ctx_);
  options.allow_tofu = false;  // admission never trusts on first use
  options.policy_roots = request.roots;
  auto access = open_trust(repo, ctx_, std::move(options));
  if (!access) {
    r.error = access.error();
    return r;
  }
  r.access = std::move(access).value();
  auto current = r.access->refresh();
  if (!current) {
    r.error = current.error();
    return r;
  }
  for (const auto& w : current->view().warnings) log::warn(w);
  r.current = std::move(current).value();
  return r;
}

admission::ImageFacts TrustImageVerifier::verify(const admission::ImageRequest& request) {
  Repository& repo = repository(request);
  if (repo.error) {
    admission::ImageFacts facts;
    facts.error = repo.error;
    return facts;
  }
  return image_facts(*repo.access, *repo.current, request);
}

admission::ImageFacts image_facts(TrustAccess& access, const trust::StoreView& current,
                                  const admission::ImageRequest& request) {
  admission::ImageFacts facts;
  const registry::Reference& ref = request.reference;
  // A copy: the manifest checks add to the view's check list, and each image has its own.
  trust::TrustedView view = current.verified.view;
  const std::string where = access.ref.name();
  if (!ref.tag.empty()) {
    auto tag = trust::verify_tag(view, *access.manifests, ref.tag, ref.digest, where);
    if (!tag) {
      facts.error = tag.error();
      return facts;
    }
    facts.digest = tag->digest;
    facts.signers = tag->signers;
  } else {
    auto tags = trust::verify_digest(view, *access.manifests, ref.digest, where);
    if (!tags) {
      facts.error = tags.error();
      return facts;
    }
    facts.digest = ref.digest;
    std::set<std::string> signers;
    for (const auto& t : *tags) signers.insert(t.signers.begin(), t.signers.end());
    facts.signers.assign(signers.begin(), signers.end());
  }
  facts.root_origin = std::string(trust::root_origin_name(view.origin));
  const auto& root = current.verified.trusted().root();
  facts.root_in_roots =
      std::any_of(request.roots.begin(), request.roots.end(),
                  [&](const std::string& k) { return trust::signed_by_root_key(root, k); });
  if (request.want_user) {
    std::set<std::string> users;
    auto st = collect_users(*access.client, access.ref.repository, facts.digest, 0, users);
    if (!st) {
      facts.user_error = st.error();
    } else if (users.size() > 1) {
      std::vector<std::string> shown;
      for (const auto& u : users) shown.push_back(u.empty() ? "(unset)" : u);
      facts.user_error =
          Error(ErrorCode::kVerification,
                "the platforms of " + facts.digest + " set different USERs: " + join(shown));
    } else if (users.size() == 1) {
      facts.user = *users.begin();
    } else {
      facts.user_error =
          Error(ErrorCode::kVerification, "the index " + facts.digest + " names no image");
    }
  }
  return facts;
}

}  // namespace trustctl::cli
