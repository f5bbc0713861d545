// Kubernetes AdmissionReview (admission.k8s.io/v1) for `trustctl serve` (docs/webhook.md): the
// request read defensively, the object under review turned into the same container model
// `trustctl admit` reads from a file, and the response a validating or mutating webhook gives.
// Pure: bytes in, bytes out; what to decide comes from admission::evaluate.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/admission/evaluate.h"
#include "trustctl/admission/workloads.h"
#include "trustctl/core/json_reader.h"
#include "trustctl/core/result.h"

namespace trustctl::webhook {

// The largest request body read. Kubernetes stores objects of at most 1.5 MiB (etcd) and a
// review carries the object and the old object.
inline constexpr std::size_t kMaxReviewBytes = 4 * 1024 * 1024;
inline constexpr std::string_view kReviewApiVersion = "admission.k8s.io/v1";

struct Review {
  std::string api_version;  // as sent (kReviewApiVersion)
  std::string uid;
  std::string operation;     // CREATE, UPDATE, DELETE, CONNECT
  std::string kind;          // request.kind.kind: "Pod", "Deployment", ...
  std::string sub_resource;  // "ephemeralcontainers", or empty
  std::string namespace_name;
  std::string name;  // empty on a CREATE with generateName
  bool dry_run = false;
  // The body read in place (no DOM: the review's hot path only looks); object and old_object
  // are values of it, missing when absent (no object on a DELETE, no old one on a CREATE).
  std::shared_ptr<const JsonDocument> body;
  JsonDocument::Value object;
  JsonDocument::Value old_object;

  // The object is being deleted (an UPDATE that removes a finalizer): metadata.deletionTimestamp.
  bool deleting() const;
  // How findings name the object: "Deployment default/web".
  std::string source() const;
};

// Reads a request body. kUsage with the reason for anything that is not an AdmissionReview of
// kReviewApiVersion with a request, uid and operation (the server answers HTTP 400 with it).
Result<Review> parse_review(std::string_view body);

// The containers of an object (request.object or oldObject) as admission's Kubernetes reader
// reads the same object from a file, field paths included; findings name `source`.
Result<admission::Document> read_object(const JsonDocument::Value& object,
                                        const std::string& source);

// path -> image of every container of `document`, to tell what an UPDATE changed.
std::map<std::string, std::string> images_by_path(const admission::Document& document);

// "spec.template.spec.containers[0]" -> "/spec/template/spec/containers/0" (RFC 6901).
std::string json_pointer(std::string_view field_path);

// What the webhook answers.
struct Decision {
  bool allowed = true;
  std::string message;                // when denied: why (status.message)
  std::vector<std::string> warnings;  // each at most kMaxWarningLength characters
  nlohmann::json patch;               // a JSON Patch (array), or null: nothing to patch
};
inline constexpr std::size_t kMaxWarningLength = 120;

// The denial message: one line per (container, check) that failed, with the field path, image,
// digest and reason, in the report's order.
std::string denial_message(const admission::Report& report);
// `text` cut to kMaxWarningLength bytes at a character boundary ("..." marks the cut).
std::string cut_warning(std::string text);
// One warning per `warn` finding, cut to kMaxWarningLength.
std::vector<std::string> warnings_of(const admission::Report& report);
// The JSON Patch replacing each admitted, verified image by its pinned `name:tag@sha256:...`;
// null when there is nothing to replace.
nlohmann::json image_patch(const admission::Report& report);

// The AdmissionReview response: same apiVersion and kind, response.uid copied, status 403 when
// denied, patchType only with a patch.
std::string response_body(const Review& review, const Decision& decision);

}  // namespace trustctl::webhook
