// The webhook's pure part (docs/webhook.md): AdmissionReview requests read defensively, the
// object's containers with their field paths, the denial lines, warnings, the JSON Patch
// applied, the response envelope, and the Prometheus text.
#include "trustctl/webhook/review.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "trustctl/core/encoding.h"
#include "trustctl/webhook/metrics.h"

using namespace trustctl;
using namespace trustctl::webhook;
using nlohmann::json;

namespace {

// What `kubectl create deployment web --image=localhost:5000/app:v1 --dry-run=client -o json`
// prints.
const json kDeployment = json::parse(R"({
  "kind": "Deployment", "apiVersion": "apps/v1",
  "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
      "spec": {"containers": [{"name": "app", "image": "localhost:5000/app:v1", "resources": {}}]}},
    "strategy": {}},
  "status": {}})");

json review(const json& object, const std::string& operation = "CREATE") {
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
            {"kind", {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}},
            {"operation", operation},
            {"namespace", "default"},
            {"name", "web"},
            {"object", object}}}};
}

// The error message of parsing `body`, which must fail as a bad request.
std::string refused(const std::string& body) {
  auto r = parse_review(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUsage);
  return r.error().message();
}

admission::Finding finding(const std::string& check, admission::Verdict v,
                           const std::string& message, const std::string& digest = "") {
  admission::Finding f;
  f.container = "app";
  f.image = "localhost:5000/app:v1";
  f.digest = digest;
  f.check = check;
  f.result = v;
  f.message = message;
  f.path = "spec.template.spec.containers[0]";
  return f;
}

}  // namespace

TEST_CASE("webhook review: a kubectl object is read with its fields") {
  auto r = parse_review(review(kDeployment).dump());
  REQUIRE(r.ok());
  CHECK(r->uid == "705ab4f5-6393-11e8-b7cc-42010a800002");
  CHECK(r->operation == "CREATE");
  CHECK(r->kind == "Deployment");
  CHECK_FALSE(r->dry_run);
  CHECK_FALSE(r->deleting());
  CHECK(r->source() == "Deployment default/web");
  auto doc = read_object(r->object, r->source());
  REQUIRE(doc.ok());
  REQUIRE(doc->containers.size() == 1);
  CHECK(doc->containers[0].path == "spec.template.spec.containers[0]");
  CHECK(images_by_path(*doc) == std::map<std::string, std::string>{
                                    {"spec.template.spec.containers[0]", "localhost:5000/app:v1"}});

  json generated = review(kDeployment);
  generated["request"]["name"] = "";
  generated["request"]["object"]["metadata"] = {{"generateName", "web-"}};
  generated["request"]["subResource"] = "ephemeralcontainers";
  auto g = parse_review(generated.dump());
  REQUIRE(g.ok());
  CHECK(g->source() == "Deployment default/web-* (ephemeralcontainers)");

  json leaving = review(kDeployment, "UPDATE");
  leaving["request"]["oldObject"] = kDeployment;
  leaving["request"]["oldObject"]["metadata"]["deletionTimestamp"] = "2026-12-02T10:00:00Z";
  auto l = parse_review(leaving.dump());
  REQUIRE(l.ok());
  CHECK(l->deleting());
}

TEST_CASE("webhook review: what is not a v1 AdmissionReview is refused with the reason") {
  json beta = review(kDeployment);
  beta["apiVersion"] = "admission.k8s.io/v1beta1";
  CHECK(refused(beta.dump()).find("is not admission.k8s.io/v1") != std::string::npos);
  json kind = review(kDeployment);
  kind["kind"] = "AdmissionResponse";
  CHECK(refused(kind.dump()).find("is not AdmissionReview") != std::string::npos);
  json no_request = review(kDeployment);
  no_request.erase("request");
  CHECK(refused(no_request.dump()).find("no request object") != std::string::npos);
  json no_uid = review(kDeployment);
  no_uid["request"].erase("uid");
  CHECK(refused(no_uid.dump()).find("request.uid is missing") != std::string::npos);
  json number_uid = review(kDeployment);
  number_uid["request"]["uid"] = 7;
  CHECK(refused(number_uid.dump()).find("request.uid must be a string") != std::string::npos);
  json patch = review(kDeployment, "PATCH");
  CHECK(refused(patch.dump()).find("\"PATCH\" is not CREATE") != std::string::npos);
  json dry = review(kDeployment);
  dry["request"]["dryRun"] = "yes";
  CHECK(refused(dry.dump()).find("dryRun must be true or false") != std::string::npos);
  json not_object = review(kDeployment);
  not_object["request"]["object"] = json::array();
  CHECK(refused(not_object.dump()).find("request.object must be an object") != std::string::npos);
  json no_object = review(kDeployment);
  no_object["request"].erase("object");
  CHECK(refused(no_object.dump()).find("request.object is missing for CREATE") !=
        std::string::npos);
  CHECK(refused("{\"apiVersion\": ").find("not valid JSON") != std::string::npos);
  CHECK(refused("[1, 2]").find("not a JSON object") != std::string::npos);
  // Too big: refused by its size alone, before parsing.
  const std::string big(kMaxReviewBytes + 1, ' ');
  CHECK(refused(big).find("over the limit") != std::string::npos);
  // Deep nesting: a bad request (not a crash, and not an integrity error of a registry).
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK(refused(deep).find("bad AdmissionReview") != std::string::npos);
  // A DELETE carries no object, and needs none.
  json del = review(kDeployment, "DELETE");
  del["request"].erase("object");
  CHECK(parse_review(del.dump()).ok());
}

TEST_CASE("webhook review: field paths as JSON pointers, the patch applied gives pinned images") {
  CHECK(json_pointer("spec.template.spec.containers[0]") == "/spec/template/spec/containers/0");
  CHECK(json_pointer("items[2].spec.containers[10]") == "/items/2/spec/containers/10");
  CHECK(json_pointer("a~b.c/d") == "/a~0b/c~1d");

  admission::Report report;
  CHECK(image_patch(report).is_null());
  const std::string pinned = "localhost:5000/app:v1@sha256:" + std::string(64, 'a');
  report.path_pins.push_back({"spec.template.spec.containers[0]", pinned});
  const json patch = image_patch(report);
  REQUIRE(patch.is_array());
  REQUIRE(patch.size() == 1);
  CHECK(patch[0]["op"] == "replace");
  const json patched = kDeployment.patch(patch);
  CHECK(patched["spec"]["template"]["spec"]["containers"][0]["image"] == pinned);
  CHECK(patched["metadata"] == kDeployment["metadata"]);  // nothing else changed
}

TEST_CASE("webhook response: the envelope, denial, warnings and patch only when allowed") {
  auto r = parse_review(review(kDeployment).dump());
  REQUIRE(r.ok());
  Decision allow;
  json a = json::parse(response_body(*r, allow));
  CHECK(a["apiVersion"] == "admission.k8s.io/v1");
  CHECK(a["kind"] == "AdmissionReview");
  CHECK(a["response"]["uid"] == r->uid);
  CHECK(a["response"]["allowed"] == true);
  CHECK_FALSE(a["response"].contains("status"));
  CHECK_FALSE(a["response"].contains("warnings"));
  CHECK_FALSE(a["response"].contains("patchType"));

  Decision empty_patch;
  empty_patch.patch = json::array();
  CHECK_FALSE(json::parse(response_body(*r, empty_patch))["response"].contains("patchType"));

  Decision patched;
  patched.patch = json::array({{{"op", "replace"}, {"path", "/x"}, {"value", "y"}}});
  patched.warnings = {"app: healthcheck: no probe"};
  json p = json::parse(response_body(*r, patched))["response"];
  CHECK(p["patchType"] == "JSONPatch");
  auto bytes = encoding::base64_decode(p["patch"].get<std::string>());
  REQUIRE(bytes);
  CHECK(json::parse(*bytes) == patched.patch);
  CHECK(p["warnings"] == json::array({"app: healthcheck: no probe"}));

  Decision deny = patched;
  deny.allowed = false;
  deny.message = "line one\nline two";
  json d = json::parse(response_body(*r, deny))["response"];
  CHECK(d["allowed"] == false);
  CHECK(d["status"]["code"] == 403);
  CHECK(d["status"]["message"] == "line one\nline two");
  CHECK_FALSE(d.contains("patchType"));  // a denial never patches
  CHECK_FALSE(d.contains("patch"));

  // Whatever a message holds, the answer is JSON: quotes, control bytes and a byte that is not
  // UTF-8 (written as U+FFFD) in the denial; non-ASCII kept as it is.
  Decision odd;
  odd.allowed = false;
  odd.message = std::string("a \"q\" \\ \t\x01 \xff end \xc3\xa9");
  json o = json::parse(response_body(*r, odd))["response"];
  CHECK(o["status"]["message"] == "a \"q\" \\ \t\x01 \xef\xbf\xbd end \xc3\xa9");
}

TEST_CASE("webhook response: one denial line per failing check, warnings cut at 120 bytes") {
  admission::Report report;
  const std::string digest = "sha256:" + std::string(64, 'b');
  report.findings = {
      finding("signature", admission::Verdict::kFail, "not signed"),
      finding("read-only-rootfs", admission::Verdict::kFail, "readOnlyRootFilesystem is not true",
              digest),
      finding("non-root", admission::Verdict::kPass, "runs as 1000", digest),
      finding("healthcheck", admission::Verdict::kWarn, std::string(200, 'x')),
      finding("not-privileged", admission::Verdict::kWarn, std::string(60, 'x') + "é€"),
  };
  CHECK(denial_message(report) ==
        "spec.template.spec.containers[0].image: signature: localhost:5000/app:v1: not signed\n"
        "spec.template.spec.containers[0]: read-only-rootfs: localhost:5000/app:v1 (" +
            digest + "): readOnlyRootFilesystem is not true");
  const auto warnings = warnings_of(report);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].size() == kMaxWarningLength);
  CHECK(warnings[0].substr(warnings[0].size() - 3) == "...");
  CHECK(warnings[1] == "app: not-privileged: " + std::string(60, 'x') + "é€");  // short: kept
  // A cut never splits a multi-byte character.
  std::string euros = "a";                    // so that byte 117 falls inside a character
  for (int i = 0; i < 60; ++i) euros += "€";  // 3 bytes each
  const std::string cut = cut_warning(euros);
  CHECK(cut.size() < kMaxWarningLength);  // backed up to the character's start
  CHECK(cut.substr(cut.size() - 3) == "...");
  CHECK((cut.size() - 3 - 1) % 3 == 0);
}

TEST_CASE("webhook metrics: counters, a cumulative histogram, expiry, escaped labels") {
  Metrics m;
  m.review(Endpoint::kValidate, Outcome::kAllowed, 0.0004);
  m.review(Endpoint::kValidate, Outcome::kDenied, 0.003);
  m.review(Endpoint::kValidate, Outcome::kDenied, 7.0);  // beyond the last bucket
  m.review(Endpoint::kMutate, Outcome::kTimeout, -1.0);  // a clock that stepped back
  m.cache_hit();
  m.cache_hit();
  m.cache_miss();
  m.registry_request();
  m.trust_expiry("reg/a\"b", 1000);
  const std::string text = m.render(400);
  auto has = [&](const std::string& line) {
    INFO(line);
    CHECK(text.find(line + "\n") != std::string::npos);
  };
  has("trustctl_admission_reviews_total{endpoint=\"validate\",outcome=\"allowed\"} 1");
  has("trustctl_admission_reviews_total{endpoint=\"validate\",outcome=\"denied\"} 2");
  has("trustctl_admission_reviews_total{endpoint=\"mutate\",outcome=\"timeout\"} 1");
  has("trustctl_admission_review_duration_seconds_bucket{endpoint=\"validate\",le=\"0.0005\"} 1");
  has("trustctl_admission_review_duration_seconds_bucket{endpoint=\"validate\",le=\"0.005\"} 2");
  has("trustctl_admission_review_duration_seconds_bucket{endpoint=\"validate\",le=\"5\"} 2");
  has("trustctl_admission_review_duration_seconds_bucket{endpoint=\"validate\",le=\"+Inf\"} 3");
  has("trustctl_admission_review_duration_seconds_count{endpoint=\"validate\"} 3");
  has("trustctl_admission_review_duration_seconds_bucket{endpoint=\"mutate\",le=\"0.0005\"} 1");
  has("trustctl_admission_review_duration_seconds_sum{endpoint=\"mutate\"} 0");
  has("trustctl_verification_cache_hits_total 2");
  has("trustctl_verification_cache_misses_total 1");
  has("trustctl_registry_requests_total 1");
  has("trustctl_trust_expiry_seconds{repository=\"reg/a\\\"b\"} 600");
  has("# TYPE trustctl_admission_review_duration_seconds histogram");
}
