// A plain TUF repository served over HTTP(S): metadata files from <base-url>/<name> and target
// files by URL, each capped at the length the verified metadata allows (trustctl tuf-client).
#pragma once

#include <memory>
#include <string>

#include "trustctl/http/http_client.h"
#include "trustctl/tuf/updater.h"

namespace trustctl::trust {

class HttpMetadataSource final : public tuf::MetadataSource {
 public:
  HttpMetadataSource(std::string base_url, long timeout_ms);
  // kNotFound for 404/403 (the end of the root chain), kNetwork for other statuses.
  Result<std::string> fetch(const std::string& name, std::uint64_t max_length) override;
  Result<std::string> get(const std::string& url, std::uint64_t max_length);

 private:
  std::string base_;
  std::unique_ptr<http::HttpClient> client_;
};

}  // namespace trustctl::trust
