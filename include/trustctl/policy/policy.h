// The admission policy file (docs/policy.md): which images need which signatures, and which
// hardening checks a workload must pass. Pure: parsing and matching only, no network.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/registry/reference.h"

namespace trustctl::policy {

enum class CheckMode { kEnforce, kWarn, kOff };
enum class SignatureMode { kRequired, kOptional, kOff };
enum class NoMatch { kDeny, kWarn, kAllow };

// The hardening checks, in the order they are listed and reported.
enum class Check {
  kNonRoot,
  kReadOnlyRootfs,
  kDropAllCapabilities,
  kAllowedCapabilities,
  kNoNewPrivileges,
  kTmpfsNoexecNosuid,
  kNotPrivileged,
  kNoHostNamespaces,
  kNoDockerSocket,
  kHealthcheck,
};
inline constexpr std::size_t kCheckCount = 10;

std::string_view check_name(Check check);  // "non-root", ...
std::optional<Check> check_from_name(std::string_view name);
std::string_view mode_name(CheckMode mode);      // "enforce" | "warn" | "off"
std::string_view mode_name(SignatureMode mode);  // "required" | "optional" | "off"
std::string_view mode_name(NoMatch mode);        // "deny" | "warn" | "allow"

// A check mode for every check, plus the capabilities `allowed-capabilities` accepts in cap_add.
struct Checks {
  std::array<CheckMode, kCheckCount> modes{};
  std::vector<std::string> allowed_capabilities;  // upper case, without "CAP_"

  CheckMode mode(Check check) const { return modes[static_cast<std::size_t>(check)]; }
  void set(Check check, CheckMode m) { modes[static_cast<std::size_t>(check)] = m; }

  // The lab profile: everything enforced but healthcheck (warn), allowed [NET_BIND_SERVICE].
  static Checks lab();
};

// An anchored image pattern (docs/policy.md "Patterns"): `*` within one path segment, `**`
// across segments, an optional `:tag` / `@digest` part; short docker.io names are normalised.
class ImagePattern {
 public:
  // kUsage on an empty or malformed pattern.
  static Result<ImagePattern> parse(std::string_view text);

  bool matches(const registry::Reference& ref) const;
  const std::string& text() const { return text_; }

  // Specificity, compared in this order (docs/policy.md): a pattern naming a tag or digest beats
  // one that does not; fewer `**`; fewer `*`; more literal characters. Ties: first in file.
  struct Rank {
    int has_tag = 0;
    int neg_double_stars = 0;
    int neg_single_stars = 0;
    int literal_chars = 0;
    auto operator<=>(const Rank&) const = default;
  };
  Rank rank() const { return rank_; }

 private:
  std::string text_;
  std::string name_;    // normalised registry/repository pattern
  std::string tag_;     // tag pattern, empty = any
  std::string digest_;  // exact digest, empty = any
  Rank rank_;
};

struct Rule {
  std::vector<ImagePattern> images;  // the rule applies when any pattern matches
  int line = 0;                      // of the rule in the policy file (0: built in)
  SignatureMode signature = SignatureMode::kRequired;
  std::vector<std::string> signers;  // delegation names; "targets" = the repository key
  int threshold = 1;                 // of `signers` (1 when no signers are listed)
  std::vector<std::string> roots;    // pinned root key ids (64 hex, lower case)
  Checks checks;
};

// The rule that applies to one image, with the policy's defaults filled in.
struct Decision {
  const Rule* rule = nullptr;  // nullptr: no rule matched (see Policy::no_match)
  const ImagePattern* pattern = nullptr;
  Rule effective;  // the matched rule, or the defaults when none matched
};

struct Policy {
  std::string source;  // file name, or "<built-in>"
  NoMatch no_match = NoMatch::kDeny;
  SignatureMode default_signature = SignatureMode::kRequired;
  Checks default_checks = Checks::lab();
  std::vector<Rule> rules;

  // The most specific matching rule (ImagePattern::Rank, ties: first in the file), or nullptr.
  const Rule* match(const registry::Reference& ref) const;
  Decision decide(const registry::Reference& ref) const;
};

// The built-in policy: signature required, the lab checks, no-match deny, one rule `**`.
Policy default_policy();

// Errors are kUsage and name `source_name:line`.
Result<Policy> parse_policy(std::string_view text, std::string_view source_name);
Result<Policy> load_policy(const std::string& path);

}  // namespace trustctl::policy
