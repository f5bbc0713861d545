// libFuzzer target: an AdmissionReview body from a hostile client through everything the
// webhook does with it before the network: parse_review, the object read as admit reads it, the
// evaluation against the built-in policy (over a verifier that knows nothing), and the response.
// Properties checked: no crash or sanitizer report; every field path turns into a JSON pointer
// that starts with '/'; the response is JSON in the request's apiVersion with its uid.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "trustctl/admission/evaluate.h"
#include "trustctl/webhook/review.h"

namespace {

class Unverified final : public trustctl::admission::ImageVerifier {
 public:
  trustctl::admission::ImageFacts verify(const trustctl::admission::ImageRequest&) override {
    trustctl::admission::ImageFacts facts;
    facts.error = trustctl::Error(trustctl::ErrorCode::kNoTrustData, "fuzz: no trust data");
    return facts;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace trustctl;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto review = webhook::parse_review(body);
  if (!review) return 0;
  webhook::Decision decision;
  if (review->object.is_object()) {
    auto document = webhook::read_object(review->object, review->source());
    if (document) {
      for (const auto& c : document->containers) {
        const std::string pointer = webhook::json_pointer(c.path);
        if (!pointer.empty() && pointer[0] != '/') __builtin_trap();
      }
      (void)webhook::images_by_path(*document);
      Unverified verifier;
      auto report = admission::evaluate({*document}, policy::default_policy(), verifier);
      if (report) {
        decision.allowed = report->admitted();
        decision.message = webhook::denial_message(*report);
        decision.warnings = webhook::warnings_of(*report);
        decision.patch = webhook::image_patch(*report);
        for (const auto& w : decision.warnings)
          if (w.size() > webhook::kMaxWarningLength) __builtin_trap();
      }
    }
  }
  const auto out = nlohmann::json::parse(webhook::response_body(*review, decision), nullptr, false);
  if (out.is_discarded() || out["apiVersion"] != review->api_version ||
      out["response"]["uid"] != review->uid)
    __builtin_trap();
  return 0;
}
