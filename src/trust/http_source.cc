#include "trustctl/trust/http_source.h"

namespace trustctl::trust {

HttpMetadataSource::HttpMetadataSource(std::string base_url, long timeout_ms)
    : base_(std::move(base_url)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  http::ClientOptions options;
  options.max_attempts = 1;
  options.timeout_ms = timeout_ms;
  options.user_agent = "trustctl-tuf-client";
  client_ = http::make_curl_client(options);
}

Result<std::string> HttpMetadataSource::fetch(const std::string& name, std::uint64_t max_length) {
  return get(base_ + "/" + name, max_length);
}

Result<std::string> HttpMetadataSource::get(const std::string& url, std::uint64_t max_length) {
  http::Request request;
  request.url = url;
  request.max_response_bytes = max_length;
  TRUSTCTL_TRY_ASSIGN(auto response, client_->send(request));
  if (response.status == 404 || response.status == 403)
    return Error(ErrorCode::kNotFound, url + ": HTTP " + std::to_string(response.status));
  if (response.status < 200 || response.status > 299)
    return Error(ErrorCode::kNetwork, url + ": HTTP " + std::to_string(response.status));
  if (response.body.size() > max_length)
    return Error(ErrorCode::kIntegrity,
                 url + ": more than " + std::to_string(max_length) + " bytes");
  return std::move(response.body);
}

}  // namespace trustctl::trust
