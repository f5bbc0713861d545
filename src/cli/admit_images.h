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
