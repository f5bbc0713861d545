// What `admit` (and the webhook) learn about an image from its repository's trust data: the
// admission::ImageVerifier over the registry and this trust dir (docs/admission.md,
// "Signatures"). Never trusts a root on first use.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "trust_access.h"
#include "trustctl/admission/evaluate.h"

namespace trustctl::cli {

// What the verified trust data `current` of `access`'s repository says about one image: the
// tag resolved through it (or the digest looked up), the signers of exactly that digest, the
// root's origin, and when asked the USER of its config (fetched by the verified digest).
admission::ImageFacts image_facts(TrustAccess& access, const trust::StoreView& current,
                                  const admission::ImageRequest& request);

class TrustImageVerifier final : public admission::ImageVerifier {
 public:
  explicit TrustImageVerifier(const Context& ctx) : ctx_(ctx) {}
  admission::ImageFacts verify(const admission::ImageRequest& request) override;

 private:
  // One repository's trust data, refreshed once per (repository, roots).
  struct Repository {
    std::unique_ptr<TrustAccess> access;
    std::optional<trust::StoreView> current;
    std::optional<Error> error;
  };
  Repository& repository(const admission::ImageRequest& request);

  const Context& ctx_;
  std::map<std::string, Repository> repositories_;
};

}  // namespace trustctl::cli
