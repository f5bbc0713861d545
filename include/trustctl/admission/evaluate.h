// The admission decision (docs/admission.md, "Evaluation"): the containers the readers found,
// held to the policy's hardening checks and its signature rule. Pure: what trust verification
// establishes about an image comes through ImageVerifier, which `admit` implements over the
// registry and tests fake.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/admission/pin.h"
#include "trustctl/admission/workloads.h"
#include "trustctl/core/result.h"
#include "trustctl/policy/policy.h"
#include "trustctl/registry/reference.h"

namespace trustctl::admission {

// The result of one check for one container.
enum class Verdict { kPass, kFail, kWarn, kSkip };
std::string_view verdict_name(Verdict verdict);  // "pass" | "fail" | "warn" | "skip"

// Check names besides the policy's hardening checks (policy::check_name).
inline constexpr std::string_view kSignatureCheck = "signature";
inline constexpr std::string_view kPolicyCheck = "policy";  // no rule matched (no-match)

struct Finding {
  std::string file;
  int line = 0;
  std::string workload;
  std::string container;
  ContainerKind kind = ContainerKind::kContainer;
  std::string image;   // as written (after compose interpolation)
  std::string digest;  // the verified digest; empty when the image was not verified
  std::string check;   // kSignatureCheck, kPolicyCheck or a policy check name
  Verdict result = Verdict::kPass;
  std::string message;  // what was found; for fail and warn, why
  std::string path;     // the container's field path (Kubernetes; Container::path)
};

// What admission asks trust verification about one image.
struct ImageRequest {
  registry::Reference reference;   // normalised; neither tag nor digest means `latest`
  std::vector<std::string> roots;  // the policy's pinned root key IDs for it (may be empty)
  bool want_user = false;          // also read the USER of the image config
};

// What trust verification established.
struct ImageFacts {
  std::optional<Error> error;        // set: the image is not verified, and why
  std::string digest;                // the signed digest deployed
  std::vector<std::string> signers;  // roles that signed exactly that digest ("targets", names)
  std::string root_origin;           // "created", "pinned", "policy" or "tofu"
  bool root_in_roots = false;        // the current root is signed by one of the request's roots
  // The image config's USER ("" when unset), read from the config blob of the verified
  // manifest (of every platform of an index, which must agree). Unset when not asked for or
  // not readable; then user_error says why.
  std::optional<std::string> user;
  std::optional<Error> user_error;
};

class ImageVerifier {
 public:
  virtual ~ImageVerifier() = default;
  virtual ImageFacts verify(const ImageRequest& request) = 0;
};

// Where a check's finding could not be decided by the file alone: an error that did not make
// the check fail (it was warn), kept for the exit code.
struct Report {
  std::vector<Finding> findings;  // file order, then container order, then check order
  std::vector<std::pair<std::string, Skipped>> skipped;  // (file, object) the readers skipped
  std::vector<Error> errors;  // errors behind warnings (the exit code when nothing failed)
  // For --pin: file -> the images of its admitted containers, pinned to the verified digest.
  std::map<std::string, std::vector<ImagePin>> pins;
  // The same by field path, for containers that have one (Kubernetes objects; the webhook).
  struct PathPin {
    std::string path;    // Container::path
    std::string pinned;  // the image pinned to its verified digest
  };
  std::vector<PathPin> path_pins;
  int images_verified = 0;  // distinct verification requests made

  bool admitted() const;  // no finding is `fail`
  // 0 when admitted without errors; 14 when a finding is `fail`; otherwise the highest exit
  // code of `errors`.
  int exit_code() const;
};

// Holds every container of `documents` to `policy`: one ImageVerifier::verify call per distinct
// (reference, roots) pair, whatever the number of containers naming it. An image reference
// that does not parse is kUsage naming file:line (nothing is verified then).
Result<Report> evaluate(const std::vector<Document>& documents, const policy::Policy& policy,
                        ImageVerifier& verifier);

// Whether a user name or ID (compose `user`, an image's USER, "uid:gid") means root.
bool is_root_user(std::string_view user);

}  // namespace trustctl::admission
