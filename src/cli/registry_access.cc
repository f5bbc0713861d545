#include "registry_access.h"

namespace trustctl::cli {

std::unique_ptr<registry::RegistryClient> connect_registry(const std::string& api_host,
                                                           const GlobalOptions& global,
                                                           auth::CredentialSource credentials) {
  registry::RegistryOptions options;
  options.insecure_registries = global.insecure_registries;
  options.http.timeout_ms = global.timeout_ms;
  options.http.on_attempt = global.on_registry_request;
  options.credentials = std::move(credentials);
  options.contact_dir = global.trust_dir + "/cache/registries";
  options.contact_base = global.trust_dir;
  return registry::RegistryClient::create(api_host, std::move(options));
}

Result<registry::Reference> parse_reference(const std::string& text) {
  return registry::Reference::parse(text);
}

Result<registry::Reference> parse_repository(const std::string& text, std::string_view command) {
  TRUSTCTL_TRY_ASSIGN(auto ref, parse_reference(text));
  if (!ref.tag.empty() || !ref.digest.empty())
    return Error(ErrorCode::kUsage,
                 std::string(command) + " takes a repository without tag or digest: " + text);
  return ref;
}

Result<References> parse_references(const std::vector<std::string>& texts, bool default_latest) {
  References r;
  bool first = true;
  for (const auto& text : texts) {
    TRUSTCTL_TRY_ASSIGN(auto ref, parse_reference(text));
    registry::Reference repo = ref;
    repo.tag.clear();
    repo.digest.clear();
    if (!first && repo.name() != r.repository.name())
      return Error(ErrorCode::kUsage, "all references must name one repository (" +
                                          r.repository.name() + " and " + repo.name() + ")");
    first = false;
    r.repository = repo;
    if (!ref.tag.empty()) r.tags.push_back(ref.tag);
    if (!ref.digest.empty()) r.digest = ref.digest;
  }
  if (r.tags.empty() && r.digest.empty() && default_latest) r.tags.push_back("latest");
  return r;
}

}  // namespace trustctl::cli
