// Reading an AdmissionReview request and the object it carries (docs/webhook.md).
#include "trustctl/webhook/review.h"

#include <set>

#include "trustctl/core/untrusted_json.h"

namespace trustctl::webhook {
namespace {

using Value = JsonDocument::Value;

Error bad(const std::string& message) {
  return Error(ErrorCode::kUsage, "bad AdmissionReview: " + message);
}

// An optional string member; kUsage when present and not a string.
Result<std::string> string_member(const Value& object, std::string_view key,
                                  const std::string& where) {
  const Value v = object.get(key);
  if (!v.exists() || v.is_null()) return std::string();
  if (!v.is_string()) return bad(where + std::string(key) + " must be a string");
  return std::string(v.text());
}

const std::set<std::string, std::less<>> kOperations = {"CREATE", "UPDATE", "DELETE", "CONNECT"};

}  // namespace

bool Review::deleting() const {
  for (const Value* o : {&object, &old_object}) {
    const Value stamp = o->get("metadata").get("deletionTimestamp");
    if (stamp.exists() && !stamp.is_null()) return true;
  }
  return false;
}

std::string Review::source() const {
  std::string who = name;
  if (who.empty()) {
    if (const Value g = object.get("metadata").get("generateName"); g.is_string())
      who = std::string(g.text()) + "*";
  }
  if (who.empty()) who = "(unnamed)";
  std::string out = kind.empty() ? std::string("object") : kind;
  out += " " + (namespace_name.empty() ? who : namespace_name + "/" + who);
  if (!sub_resource.empty()) out += " (" + sub_resource + ")";
  return out;
}

Result<Review> parse_review(std::string_view body) {
  if (body.size() > kMaxReviewBytes)
    return bad("the body is " + std::to_string(body.size()) + " bytes, over the limit of " +
               std::to_string(kMaxReviewBytes));
  // Too deep is kIntegrity from a registry; from a requester it is one more bad request.
  auto document = std::make_shared<JsonDocument>();
  if (auto parsed =
          parse_untrusted_json(std::string(body), "the body", ErrorCode::kUsage, *document);
      !parsed)
    return bad(parsed.error().message());
  const Value doc = document->root();
  if (!doc.is_object()) return bad("the body is not a JSON object");
  Review review;
  review.body = document;
  TRUSTCTL_TRY_ASSIGN(review.api_version, string_member(doc, "apiVersion", ""));
  TRUSTCTL_TRY_ASSIGN(std::string kind, string_member(doc, "kind", ""));
  if (review.api_version != kReviewApiVersion)
    return bad("apiVersion \"" + review.api_version + "\" is not " +
               std::string(kReviewApiVersion) +
               " (set admissionReviewVersions: [v1] in the webhook configuration)");
  if (kind != "AdmissionReview") return bad("kind \"" + kind + "\" is not AdmissionReview");
  const Value r = doc.get("request");
  if (!r.is_object()) return bad("no request object");
  TRUSTCTL_TRY_ASSIGN(review.uid, string_member(r, "uid", "request."));
  if (review.uid.empty()) return bad("request.uid is missing");
  TRUSTCTL_TRY_ASSIGN(review.operation, string_member(r, "operation", "request."));
  if (!kOperations.contains(review.operation))
    return bad("request.operation \"" + review.operation +
               "\" is not CREATE, UPDATE, DELETE or CONNECT");
  if (const Value k = r.get("kind"); k.exists() && !k.is_null()) {
    if (!k.is_object()) return bad("request.kind must be an object");
    TRUSTCTL_TRY_ASSIGN(review.kind, string_member(k, "kind", "request.kind."));
  }
  TRUSTCTL_TRY_ASSIGN(review.sub_resource, string_member(r, "subResource", "request."));
  TRUSTCTL_TRY_ASSIGN(review.namespace_name, string_member(r, "namespace", "request."));
  TRUSTCTL_TRY_ASSIGN(review.name, string_member(r, "name", "request."));
  if (const Value d = r.get("dryRun"); d.exists() && !d.is_null()) {
    if (!d.is_boolean()) return bad("request.dryRun must be true or false");
    review.dry_run = d.boolean();
  }
  for (auto [key, target] :
       {std::pair{"object", &review.object}, std::pair{"oldObject", &review.old_object}}) {
    const Value v = r.get(key);
    if (!v.exists() || v.is_null()) continue;
    if (!v.is_object()) return bad(std::string("request.") + key + " must be an object");
    *target = v;
  }
  if ((review.operation == "CREATE" || review.operation == "UPDATE") && !review.object.is_object())
    return bad("request.object is missing for " + review.operation);
  return review;
}

Result<admission::Document> read_object(const Value& object, const std::string& source) {
  return admission::read_kubernetes_json(object, source);
}

std::map<std::string, std::string> images_by_path(const admission::Document& document) {
  std::map<std::string, std::string> out;
  for (const auto& c : document.containers) out[c.path] = c.image;
  return out;
}

std::string json_pointer(std::string_view field_path) {
  std::string out;
  std::string segment;
  auto flush = [&] {
    out += '/';
    for (char c : segment) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out += c;
    }
    segment.clear();
  };
  for (char c : field_path) {
    if (c == '.' || c == '[') {
      if (!segment.empty()) flush();
    } else if (c == ']') {
      flush();
    } else {
      segment += c;
    }
  }
  if (!segment.empty()) flush();
  return out;
}

}  // namespace trustctl::webhook
