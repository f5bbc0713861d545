#include "registry_access.h"

namespace trustctl::cli {

std::unique_ptr<registry::RegistryClient> connect_registry(const std::string& api_host,
                                                           const GlobalOptions& global,
                                                           auth::CredentialSource credentials) {
  registry::RegistryOptions options;
  options.insecure_registries = global.insecure_registries;
  options.http.timeout_ms = global.timeout_ms;
  options.credentials = std::move(credentials);
  return registry::RegistryClient::create(api_host, std::move(options));
}

Result<registry::Reference> parse_reference(const std::string& text) {
  return registry::Reference::parse(text);
}

Result<registry::Reference> parse_repository(const std::string& text, std::string_view command) {
  TRY_ASSIGN(auto ref, parse_reference(text));
  if (!ref.tag.empty() || !ref.digest.empty())
    return Error(ErrorCode::kUsage,
                 std::string(command) + " takes a repository without tag or digest: " + text);
  return ref;
}

}  // namespace trustctl::cli
