// evaluate(): which rule applies to each container's image, one verification per distinct image,
// then the signature rule and the hardening checks as findings (docs/admission.md).
#include "trustctl/admission/evaluate.h"

#include <algorithm>

#include "checks.h"

namespace trustctl::admission {
namespace {

using policy::NoMatch;
using policy::SignatureMode;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string rule_where(const policy::Policy& policy, const policy::Decision& d) {
  if (d.rule == nullptr || d.rule->line == 0) return policy.source;
  return policy.source + ":" + std::to_string(d.rule->line);
}

// One container with what was decided about it before any verification.
struct Planned {
  const Document* document = nullptr;
  const Container* container = nullptr;
  std::optional<registry::Reference> reference;
  policy::Decision decision;
  bool denied_unmatched = false;  // no rule matched and no-match is deny
  std::string key;                // of its verification request; empty: not verified
};

std::string request_key(const ImageRequest& r) {
  return r.reference.string() + " roots=" + join(r.roots);
}

bool wants_user(const Container& c, const policy::Checks& checks) {
  return !c.non_root && checks.mode(policy::Check::kNonRoot) != policy::CheckMode::kOff;
}

// The signature finding of a verified (or failed) image under its rule.
std::pair<Verdict, std::string> signature_verdict(const policy::Rule& rule,
                                                  const registry::Reference& ref,
                                                  const ImageFacts& facts) {
  if (facts.error) {
    if (facts.error->code() == ErrorCode::kNoTrustData &&
        rule.signature == SignatureMode::kOptional)
      return {Verdict::kSkip, "no trust data (signature optional): " + facts.error->message()};
    return {Verdict::kFail, facts.error->message()};
  }
  std::string root;
  if (!rule.roots.empty()) {
    if (!facts.root_in_roots)
      return {Verdict::kFail, "the root of " + ref.name() +
                                  " is not signed by the policy's root key(s) " + join(rule.roots)};
    root = "root signed by a policy root key";
  } else if (facts.root_origin == "created" || facts.root_origin == "pinned") {
    root = "root " + facts.root_origin + " in this trust dir";
  } else {
    return {Verdict::kFail,
            "the root of " + ref.name() + " is trusted " +
                (facts.root_origin == "policy" ? std::string("through another policy's roots")
                                               : std::string("on first use")) +
                ": admission needs a root this trust dir created or pinned (trustctl trust pin " +
                ref.name() + " --fingerprint KEY) or `roots` in the policy"};
  }
  const std::string by = "signed by " + (facts.signers.empty() ? "nobody" : join(facts.signers));
  if (rule.signers.empty()) return {Verdict::kPass, by + "; " + root};
  std::vector<std::string> counted;
  for (const auto& s : rule.signers)
    if (std::find(facts.signers.begin(), facts.signers.end(), s) != facts.signers.end())
      counted.push_back(s);
  const std::string wanted =
      std::to_string(rule.threshold) + " of [" + join(rule.signers) + "] must sign " + facts.digest;
  if (static_cast<int>(counted.size()) < rule.threshold)
    return {Verdict::kFail, by + ": " + wanted + ", " + std::to_string(counted.size()) + " did"};
  return {Verdict::kPass, by + " (" + wanted + "); " + root};
}

Error usage_at(const Container& c, const std::string& message) {
  return Error(ErrorCode::kUsage, c.file + ":" + std::to_string(c.line) + ": " + message);
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kSkip:
      return "skip";
  }
  return "fail";
}

bool Report::admitted() const {
  return std::none_of(findings.begin(), findings.end(),
                      [](const Finding& f) { return f.result == Verdict::kFail; });
}

int Report::exit_code() const {
  if (!admitted()) return exit_code::kDenied;
  int code = exit_code::kOk;
  for (const auto& e : errors) code = std::max(code, e.exit_code());
  return code;
}

Result<Report> evaluate(const std::vector<Document>& documents, const policy::Policy& policy,
                        ImageVerifier& verifier) {
  Report report;
  std::vector<Planned> planned;
  std::vector<std::string> order;  // request keys, first use first
  std::map<std::string, ImageRequest> requests;
  for (const auto& doc : documents) {
    for (const auto& s : doc.skipped) report.skipped.emplace_back(doc.file, s);
    for (const auto& c : doc.containers) {
      Planned p;
      p.document = &doc;
      p.container = &c;
      if (!c.image.empty()) {
        auto ref = registry::Reference::parse(c.image);
        if (!ref) return usage_at(c, "image \"" + c.image + "\": " + ref.error().message());
        if (ref->tag.empty() && ref->digest.empty()) ref->tag = "latest";
        p.reference = std::move(ref).value();
        p.decision = policy.decide(*p.reference);
      } else {
        p.decision.effective.signature = policy.default_signature;
        p.decision.effective.checks = policy.default_checks;
      }
      p.denied_unmatched =
          p.reference && p.decision.rule == nullptr && policy.no_match == NoMatch::kDeny;
      const auto& rule = p.decision.effective;
      if (p.reference && !p.denied_unmatched && rule.signature != SignatureMode::kOff) {
        ImageRequest request{*p.reference, rule.roots, wants_user(c, rule.checks)};
        p.key = request_key(request);
        auto [it, inserted] = requests.emplace(p.key, request);
        if (inserted)
          order.push_back(p.key);
        else
          it->second.want_user = it->second.want_user || request.want_user;
      }
      planned.push_back(std::move(p));
    }
  }

  std::map<std::string, ImageFacts> facts;
  for (const auto& key : order) facts.emplace(key, verifier.verify(requests.at(key)));
  report.images_verified = static_cast<int>(order.size());

  // A policy finding, the signature and the hardening checks for each container.
  report.findings.reserve(planned.size() * 12);
  for (const auto& p : planned) {
    const Container& c = *p.container;
    const auto& rule = p.decision.effective;
    const ImageFacts* f = p.key.empty() ? nullptr : &facts.at(p.key);
    const bool verified = f != nullptr && !f->error;
    // This container's findings go straight into the report, from `first` on.
    const std::size_t first = report.findings.size();
    auto add = [&](std::string check, Verdict v, std::string message) {
      report.findings.push_back({c.file, c.line, c.workload, c.name, c.kind, c.image,
                                 verified ? f->digest : std::string(), std::move(check), v,
                                 std::move(message), c.path});
    };

    // The rule, when none matched.
    if (p.reference && p.decision.rule == nullptr) {
      const std::string none = "no rule of " + policy.source + " matches " + p.reference->string();
      switch (policy.no_match) {
        case NoMatch::kDeny:
          add(std::string(kPolicyCheck), Verdict::kFail, none + " (no-match: deny)");
          break;
        case NoMatch::kWarn:
          add(std::string(kPolicyCheck), Verdict::kWarn,
              none + "; the defaults apply (no-match: warn)");
          break;
        case NoMatch::kAllow:
          add(std::string(kPolicyCheck), Verdict::kPass,
              none + "; the defaults apply (no-match: allow)");
          break;
      }
    }

    // The signature.
    const std::string sig(kSignatureCheck);
    if (!p.reference) {
      if (rule.signature == SignatureMode::kOff)
        add(sig, Verdict::kSkip, "no image (signature off)");
      else
        add(sig, Verdict::kFail, "no image to verify (built locally?): name a signed image");
    } else if (p.denied_unmatched) {
      add(sig, Verdict::kSkip, "not verified: no rule matches");
    } else if (rule.signature == SignatureMode::kOff) {
      add(sig, Verdict::kSkip, "off in the policy (" + rule_where(policy, p.decision) + ")");
    } else {
      auto [v, message] = signature_verdict(rule, *p.reference, *f);
      add(sig, v, std::move(message));
    }

    // The hardening checks.
    ImageUser user;
    if (verified && f->user) {
      user.user = f->user;
    } else if (verified && f->user_error) {
      user.unknown_why = "its config could not be read: " + f->user_error->message();
    } else if (!p.reference) {
      user.unknown_why = "no image";
    } else {
      user.unknown_why =
          "its config is read only by a verified digest, and this image is not "
          "verified";
    }
    for (auto& r : check_container(c, p.document->kind, rule.checks, user)) {
      if (r.check == policy::Check::kNonRoot && r.result == Verdict::kWarn && verified &&
          f->user_error)
        report.errors.push_back(*f->user_error);
      add(std::string(policy::check_name(r.check)), r.result, std::move(r.message));
    }

    const bool admitted = std::none_of(report.findings.begin() + static_cast<std::ptrdiff_t>(first),
                                       report.findings.end(),
                                       [](const Finding& x) { return x.result == Verdict::kFail; });
    if (admitted && verified && p.reference->digest.empty()) {
      report.pins[c.file].push_back({c.line, c.image + "@" + f->digest});
      if (!c.path.empty()) report.path_pins.push_back({c.path, c.image + "@" + f->digest});
    }
  }
  return report;
}

}  // namespace trustctl::admission
