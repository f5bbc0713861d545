#include "registry_access.h"

namespace trustctl::cli {

std::unique_ptr<registry::RegistryClient> connect_registry(const std::string& api_host,
                                                           const GlobalOptions& global,
                                                           auth::CredentialSource credentials) {
  registry::RegistryOptions options;
  options.insecure_registries = global.insecure_registries;
  options.credentials = std::move(credentials);
  return registry::RegistryClient::create(api_host, std::move(options));
}

Result<registry::Reference> parse_reference(const std::string& text) {
  return registry::Reference::parse(text);
}

}  // namespace trustctl::cli
