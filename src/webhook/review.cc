// Reading an AdmissionReview request and the object it carries (docs/webhook.md).
#include "trustctl/webhook/review.h"

#include <set>

#include "trustctl/core/untrusted_json.h"

namespace trustctl::webhook {
namespace {

using nlohmann::json;

Error bad(const std::string& message) {
  return Error(ErrorCode::kUsage, "bad AdmissionReview: " + message);
}

// An optional string member; kUsage when present and not a string.
Result<std::string> string_member(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad(where + key + " must be a string");
  return it->get<std::string>();
}

const std::set<std::string> kOperations = {"CREATE", "UPDATE", "DELETE", "CONNECT"};

}  // namespace

bool Review::deleting() const {
  for (const json* o : {&object, &old_object}) {
    if (!o->is_object()) continue;
    auto meta = o->find("metadata");
    if (meta != o->end() && meta->is_object() && meta->contains("deletionTimestamp") &&
        !(*meta)["deletionTimestamp"].is_null())
      return true;
  }
  return false;
}

std::string Review::source() const {
  std::string who = name;
  if (who.empty() && object.is_object() && object.contains("metadata") &&
      object["metadata"].is_object()) {
    const json& meta = object["metadata"];
    if (meta.contains("generateName") && meta["generateName"].is_string())
      who = meta["generateName"].get<std::string>() + "*";
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
  auto parsed = parse_untrusted_json(body, "the body", ErrorCode::kUsage);
  if (!parsed) return bad(parsed.error().message());
  json doc = std::move(parsed).value();
  if (!doc.is_object()) return bad("the body is not a JSON object");
  Review review;
  TRUSTCTL_TRY_ASSIGN(review.api_version, string_member(doc, "apiVersion", ""));
  TRUSTCTL_TRY_ASSIGN(std::string kind, string_member(doc, "kind", ""));
  if (review.api_version != kReviewApiVersion)
    return bad("apiVersion \"" + review.api_version + "\" is not " +
               std::string(kReviewApiVersion) +
               " (set admissionReviewVersions: [v1] in the webhook configuration)");
  if (kind != "AdmissionReview") return bad("kind \"" + kind + "\" is not AdmissionReview");
  auto request = doc.find("request");
  if (request == doc.end() || !request->is_object()) return bad("no request object");
  const json& r = *request;
  TRUSTCTL_TRY_ASSIGN(review.uid, string_member(r, "uid", "request."));
  if (review.uid.empty()) return bad("request.uid is missing");
  TRUSTCTL_TRY_ASSIGN(review.operation, string_member(r, "operation", "request."));
  if (!kOperations.contains(review.operation))
    return bad("request.operation \"" + review.operation +
               "\" is not CREATE, UPDATE, DELETE or CONNECT");
  if (auto k = r.find("kind"); k != r.end() && !k->is_null()) {
    if (!k->is_object()) return bad("request.kind must be an object");
    TRUSTCTL_TRY_ASSIGN(review.kind, string_member(*k, "kind", "request.kind."));
  }
  TRUSTCTL_TRY_ASSIGN(review.sub_resource, string_member(r, "subResource", "request."));
  TRUSTCTL_TRY_ASSIGN(review.namespace_name, string_member(r, "namespace", "request."));
  TRUSTCTL_TRY_ASSIGN(review.name, string_member(r, "name", "request."));
  if (auto d = r.find("dryRun"); d != r.end() && !d->is_null()) {
    if (!d->is_boolean()) return bad("request.dryRun must be true or false");
    review.dry_run = d->get<bool>();
  }
  for (auto [key, target] :
       {std::pair{"object", &review.object}, std::pair{"oldObject", &review.old_object}}) {
    auto it = r.find(key);
    if (it == r.end() || it->is_null()) continue;
    if (!it->is_object()) return bad(std::string("request.") + key + " must be an object");
    *target = *it;
  }
  if ((review.operation == "CREATE" || review.operation == "UPDATE") && !review.object.is_object())
    return bad("request.object is missing for " + review.operation);
  return review;
}

Result<admission::Document> read_object(const json& object, const std::string& source) {
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
