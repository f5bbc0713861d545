// Parsing the policy file (docs/policy.md) and choosing the rule for an image.
#include "trustctl/policy/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "trustctl/core/fs.h"

namespace trustctl::policy {
namespace {

constexpr std::array<std::string_view, kCheckCount> kCheckNames = {
    "non-root",          "read-only-rootfs",    "drop-all-capabilities", "allowed-capabilities",
    "no-new-privileges", "tmpfs-noexec-nosuid", "not-privileged",        "no-host-namespaces",
    "no-docker-socket",  "healthcheck"};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Error error(const YAML::Node& node, const std::string& message) const {
    int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    return error_at(line, message);
  }
  Error error_at(int line, const std::string& message) const {
    return Error(
        ErrorCode::kUsage,
        source_ + ":" + (line > 0 ? std::to_string(line) : std::string("?")) + ": " + message);
  }

  Result<std::string> scalar(const YAML::Node& node, std::string_view field) const {
    if (!node.IsScalar()) return error(node, std::string(field) + " must be a single value");
    return node.Scalar();
  }

  template <typename E, std::size_t N>
  Result<E> choice(const YAML::Node& node, std::string_view field,
                   const std::array<std::pair<std::string_view, E>, N>& options) const {
    TRUSTCTL_TRY_ASSIGN(std::string value, scalar(node, field));
    std::string expected;
    for (const auto& [name, e] : options) {
      if (value == name) return e;
      expected += (expected.empty() ? "" : " | ") + std::string(name);
    }
    return error(node, std::string(field) + ": \"" + value + "\" is not one of " + expected);
  }

  Result<CheckMode> check_mode(const YAML::Node& node, std::string_view field) const {
    return choice<CheckMode, 3>(
        node, field,
        {{{"enforce", CheckMode::kEnforce}, {"warn", CheckMode::kWarn}, {"off", CheckMode::kOff}}});
  }
  Result<SignatureMode> signature_mode(const YAML::Node& node) const {
    return choice<SignatureMode, 3>(node, "signature",
                                    {{{"required", SignatureMode::kRequired},
                                      {"optional", SignatureMode::kOptional},
                                      {"off", SignatureMode::kOff}}});
  }

  Result<std::vector<std::string>> string_list(const YAML::Node& node,
                                               std::string_view field) const {
    if (!node.IsSequence()) return error(node, std::string(field) + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : node) {
      TRUSTCTL_TRY_ASSIGN(std::string s, scalar(item, field));
      if (s.empty()) return error(item, std::string(field) + ": empty entry");
      out.push_back(std::move(s));
    }
    return out;
  }

  // `checks:` is either `lab` or a map of check name to mode, on top of `base`.
  Result<Checks> checks(const YAML::Node& node, const Checks& base) const {
    if (node.IsScalar()) {
      if (node.Scalar() == "lab") return Checks::lab();
      return error(node, "checks: \"" + node.Scalar() + "\" is not a profile (known: lab)");
    }
    if (!node.IsMap()) return error(node, "checks must be `lab` or a map of check: mode");
    Checks out = base;
    for (const auto& kv : node) {
      TRUSTCTL_TRY_ASSIGN(std::string name, scalar(kv.first, "check name"));
      auto check = check_from_name(name);
      if (!check) {
        std::string known;
        for (auto n : kCheckNames) known += (known.empty() ? "" : ", ") + std::string(n);
        return error(kv.first, "unknown check \"" + name + "\" (known: " + known + ")");
      }
      if (*check == Check::kAllowedCapabilities) {
        if (kv.second.IsSequence()) {
          TRUSTCTL_TRY_ASSIGN(auto caps, string_list(kv.second, name));
          out.allowed_capabilities.clear();
          for (auto& c : caps) {
            std::string up;
            for (char ch : c) up += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            if (up.starts_with("CAP_")) up = up.substr(4);
            for (char ch : up)
              if (!std::isupper(static_cast<unsigned char>(ch)) && ch != '_' &&
                  !std::isdigit(static_cast<unsigned char>(ch)))
                return error(kv.second, "allowed-capabilities: \"" + c + "\" is not a capability");
            if (up == "ALL")
              return error(kv.second, "allowed-capabilities: ALL would allow every capability");
            out.allowed_capabilities.push_back(up);
          }
          out.set(*check, CheckMode::kEnforce);
          continue;
        }
        // A mode also works: `allowed-capabilities: warn` keeps the list.
      }
      TRUSTCTL_TRY_ASSIGN(CheckMode mode, check_mode(kv.second, name));
      out.set(*check, mode);
    }
    return out;
  }

  Result<Rule> rule(const YAML::Node& node, const Policy& policy) const {
    if (!node.IsMap()) return error(node, "a rule must be a map");
    Rule r;
    r.line = node.Mark().line + 1;
    r.signature = policy.default_signature;
    r.checks = policy.default_checks;
    YAML::Node threshold_node;
    bool have_threshold = false;
    for (const auto& kv : node) {
      TRUSTCTL_TRY_ASSIGN(std::string key, scalar(kv.first, "field"));
      const YAML::Node& v = kv.second;
      if (key == "images") {
        std::vector<YAML::Node> items;
        if (v.IsScalar()) {
          items.push_back(v);
        } else if (v.IsSequence()) {
          for (const auto& i : v) items.push_back(i);
        } else {
          return error(v, "images must be a pattern or a list of patterns");
        }
        if (items.empty()) return error(v, "images: no pattern");
        for (const auto& i : items) {
          TRUSTCTL_TRY_ASSIGN(std::string text, scalar(i, "images"));
          auto p = ImagePattern::parse(text);
          if (!p) return error(i, p.error().message());
          r.images.push_back(std::move(*p));
        }
      } else if (key == "signature") {
        TRUSTCTL_TRY_ASSIGN(r.signature, signature_mode(v));
      } else if (key == "signers") {
        TRUSTCTL_TRY_ASSIGN(r.signers, string_list(v, "signers"));
        std::set<std::string> seen;
        for (const auto& s : r.signers)
          if (!seen.insert(s).second) return error(v, "signers: \"" + s + "\" listed twice");
      } else if (key == "threshold") {
        threshold_node = v;
        have_threshold = true;
        TRUSTCTL_TRY_ASSIGN(std::string t, scalar(v, "threshold"));
        if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), [](char c) {
              return std::isdigit(static_cast<unsigned char>(c));
            }))
          return error(v, "threshold: \"" + t + "\" is not a whole number");
        r.threshold = std::stoi(t);
      } else if (key == "roots") {
        TRUSTCTL_TRY_ASSIGN(r.roots, string_list(v, "roots"));
        for (auto& root : r.roots) {
          bool hex = root.size() == 64 && std::all_of(root.begin(), root.end(), [](char c) {
                       return std::isxdigit(static_cast<unsigned char>(c));
                     });
          if (!hex) return error(v, "roots: \"" + root + "\" is not a key id (64 hex digits)");
          std::transform(root.begin(), root.end(), root.begin(), [](char c) {
            return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          });
        }
      } else if (key == "checks") {
        TRUSTCTL_TRY_ASSIGN(r.checks, checks(v, policy.default_checks));
      } else {
        return error(kv.first, "unknown field \"" + key +
                                   "\" in a rule (known: images, signature, signers, threshold, "
                                   "roots, checks)");
      }
    }
    if (r.images.empty()) return error(node, "a rule needs `images`");
    if (have_threshold) {
      if (r.threshold < 1) return error(threshold_node, "threshold must be at least 1");
      if (r.threshold > static_cast<int>(r.signers.size()))
        return error(threshold_node, "threshold " + std::to_string(r.threshold) +
                                         " is more than the " + std::to_string(r.signers.size()) +
                                         " signers listed");
    }
    return r;
  }

  Result<Policy> policy(std::string_view text) const {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return error_at(e.mark.line + 1, "not YAML: " + e.msg);
    }
    if (!root.IsMap())
      return error_at(root.IsDefined() ? root.Mark().line + 1 : 1,
                      "a policy is a map with version, rules, ...");
    Policy p;
    p.source = source_;
    bool have_version = false;
    // defaults first: rules inherit them wherever they appear in the file.
    if (auto d = root["defaults"]; d.IsDefined()) {
      if (!d.IsMap()) return error(d, "defaults must be a map");
      for (const auto& kv : d) {
        TRUSTCTL_TRY_ASSIGN(std::string key, scalar(kv.first, "field"));
        if (key == "signature") {
          TRUSTCTL_TRY_ASSIGN(p.default_signature, signature_mode(kv.second));
        } else if (key == "checks") {
          TRUSTCTL_TRY_ASSIGN(p.default_checks, checks(kv.second, Checks::lab()));
        } else {
          return error(kv.first,
                       "unknown field \"" + key + "\" in defaults (known: signature, checks)");
        }
      }
    }
    for (const auto& kv : root) {
      TRUSTCTL_TRY_ASSIGN(std::string key, scalar(kv.first, "field"));
      const YAML::Node& v = kv.second;
      if (key == "version") {
        have_version = true;
        if (!v.IsScalar() || v.Scalar() != "1")
          return error(v, "version must be 1 (this trustctl reads policy version 1)");
      } else if (key == "no-match") {
        TRUSTCTL_TRY_ASSIGN(p.no_match, (choice<NoMatch, 3>(v, "no-match",
                                                            {{{"deny", NoMatch::kDeny},
                                                              {"warn", NoMatch::kWarn},
                                                              {"allow", NoMatch::kAllow}}})));
      } else if (key == "defaults") {
        // read above
      } else if (key == "rules") {
        if (v.IsNull()) continue;
        if (!v.IsSequence()) return error(v, "rules must be a list");
        for (const auto& item : v) {
          TRUSTCTL_TRY_ASSIGN(Rule r, rule(item, p));
          p.rules.push_back(std::move(r));
        }
      } else {
        return error(kv.first,
                     "unknown field \"" + key + "\" (known: version, no-match, defaults, rules)");
      }
    }
    if (!have_version) return error_at(root.Mark().line + 1, "missing `version: 1`");
    return p;
  }

 private:
  std::string source_;
};

}  // namespace

Checks Checks::lab() {
  Checks c;
  c.modes.fill(CheckMode::kEnforce);
  c.set(Check::kHealthcheck, CheckMode::kWarn);
  c.allowed_capabilities = {"NET_BIND_SERVICE"};
  return c;
}

std::string_view check_name(Check check) { return kCheckNames[static_cast<std::size_t>(check)]; }

std::optional<Check> check_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kCheckCount; ++i)
    if (kCheckNames[i] == name) return static_cast<Check>(i);
  return std::nullopt;
}

std::string_view mode_name(CheckMode mode) {
  switch (mode) {
    case CheckMode::kEnforce:
      return "enforce";
    case CheckMode::kWarn:
      return "warn";
    case CheckMode::kOff:
      return "off";
  }
  return "?";
}
std::string_view mode_name(SignatureMode mode) {
  switch (mode) {
    case SignatureMode::kRequired:
      return "required";
    case SignatureMode::kOptional:
      return "optional";
    case SignatureMode::kOff:
      return "off";
  }
  return "?";
}
std::string_view mode_name(NoMatch mode) {
  switch (mode) {
    case NoMatch::kDeny:
      return "deny";
    case NoMatch::kWarn:
      return "warn";
    case NoMatch::kAllow:
      return "allow";
  }
  return "?";
}

const Rule* Policy::match(const registry::Reference& ref) const { return decide(ref).rule; }

Decision Policy::decide(const registry::Reference& ref) const {
  Decision d;
  for (const auto& rule : rules) {
    for (const auto& pattern : rule.images) {
      if (!pattern.matches(ref)) continue;
      // Strictly better only: ties keep the earlier rule.
      if (d.pattern == nullptr || d.pattern->rank() < pattern.rank()) {
        d.rule = &rule;
        d.pattern = &pattern;
      }
    }
  }
  if (d.rule != nullptr) {
    d.effective = *d.rule;
  } else {
    d.effective.signature = default_signature;
    d.effective.checks = default_checks;
  }
  return d;
}

Policy default_policy() {
  Policy p;
  p.source = "<built-in>";
  // One rule for every image, so `no-match: deny` never applies: the lab's practice for all.
  Rule all;
  all.images.push_back(ImagePattern::parse("**").value());
  all.checks = p.default_checks;
  p.rules.push_back(std::move(all));
  return p;
}

Result<Policy> parse_policy(std::string_view text, std::string_view source_name) {
  return Parser(source_name).policy(text);
}

Result<Policy> load_policy(const std::string& path) {
  TRUSTCTL_TRY_ASSIGN(std::string text, fs::read_file(path));
  return parse_policy(text, path);
}

}  // namespace trustctl::policy
