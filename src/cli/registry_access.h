// How commands reach a registry: one RegistryClient per host, configured from global flags.
#pragma once

#include <memory>

#include "command.h"
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

}  // namespace trustctl::cli
