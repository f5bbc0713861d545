// The images behind the signed tags (docs/architecture.md): where `verify` gets a signed
// manifest to check it against its signed length and sha256, and where `sign` learns what a tag
// points at. The registry provides both; an export folder provides the first; tests fake both.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/client.h"
#include "trustctl/trust/view.h"

namespace trustctl::trust {

class ManifestSource {
 public:
  virtual ~ManifestSource() = default;
  // The bytes of `target`'s signed manifest; nullopt when this source has none to show (an
  // export written without manifests). kNotFound when it should have it and does not.
  virtual Result<std::optional<std::string>> signed_manifest(const SignedTag& target) = 0;
  // The bytes of a manifest an index names (`child`, found in the index `parent` signs), by
  // its digest; nullopt when this source cannot show it. kNotFound when it should have it.
  virtual Result<std::optional<std::string>> child_manifest(const registry::Descriptor& child,
                                                            const SignedTag& parent) = 0;
  // How the bytes were obtained, for the check's detail ("fetched by digest and hashed").
  virtual std::string how() const = 0;
};

// What to sign for a tag: its current digest in the registry, or the one `--digest` pins.
struct TagRequest {
  std::string tag;
  std::string digest;  // empty: the tag's current digest
};

class TagResolver {
 public:
  virtual ~TagResolver() = default;
  // The manifest the request names, measured from its bytes (length, sha256, media type).
  // kNotFound for an unknown tag; kVerification when the tag points elsewhere than `digest`.
  virtual Result<SignedTag> resolve(const TagRequest& request) = 0;
};

// Both, from the registry: manifests fetched by digest and verified against it. The registry's
// tag is used only when resolving for `sign`.
class RegistryManifests final : public ManifestSource, public TagResolver {
 public:
  RegistryManifests(registry::RegistryClient& client, registry::Reference repository)
      : client_(client), ref_(std::move(repository)) {}
  Result<std::optional<std::string>> signed_manifest(const SignedTag& target) override;
  Result<std::optional<std::string>> child_manifest(const registry::Descriptor& child,
                                                    const SignedTag& parent) override;
  std::string how() const override { return "fetched by digest and hashed"; }
  Result<SignedTag> resolve(const TagRequest& request) override;

 private:
  registry::RegistryClient& client_;
  registry::Reference ref_;
};

// The last check of a verification: the signed manifest has the signed length and sha256
// (kIntegrity otherwise; kNotFound naming `reference` when the source lacks it). For an index,
// every manifest it names (and theirs, for nested indexes) is fetched by the digest the signed
// index gives and checked against that digest and size: a child the source lacks is kNotFound,
// other bytes kIntegrity. Adds the "manifest" (and "index") checks to `view`.
Status check_manifest(ManifestSource& manifests, const SignedTag& target,
                      const std::string& reference, TrustedView& view);

// verify REF:TAG (REF:TAG@DIGEST when `digest` is set) and REF@DIGEST over a verified view:
// find_signed_tag / find_signed_digest, then check_manifest. `where` is "registry/repo", or
// "registry/repo in DIR".
Result<SignedTag> verify_tag(TrustedView& view, ManifestSource& manifests, const std::string& tag,
                             const std::string& digest, const std::string& where);
Result<std::vector<SignedTag>> verify_digest(TrustedView& view, ManifestSource& manifests,
                                             const std::string& digest, const std::string& where);

}  // namespace trustctl::trust
