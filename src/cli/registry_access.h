// How commands reach a registry: one RegistryClient per host, configured from global flags; and
// the references users type.
#pragma once

#include <memory>
#include <string_view>

#include "spec.h"
#include "trustctl/registry/client.h"
#include "trustctl/registry/reference.h"

namespace trustctl::cli {

std::unique_ptr<registry::RegistryClient> connect_registry(const std::string& api_host,
                                                           const GlobalOptions& global,
                                                           auth::CredentialSource credentials = {});

// Parses a reference typed by the user (kUsage on error).
Result<registry::Reference> parse_reference(const std::string& text);
// A repository typed by the user, without tag or digest; `command` ("repo init", "signer add")
// names what refused it.
Result<registry::Reference> parse_repository(const std::string& text, std::string_view command);

// The references of a command line that names one repository: its tags (and a digest).
struct References {
  registry::Reference repository;  // no tag or digest
  std::vector<std::string> tags;
  std::string digest;
};
// kUsage when they name more than one repository. `default_latest`: no tag means latest.
Result<References> parse_references(const std::vector<std::string>& texts, bool default_latest);

}  // namespace trustctl::cli
