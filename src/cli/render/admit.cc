#include "render/admit.h"

#include <algorithm>

namespace trustctl::cli {
namespace {

using admission::Finding;
using admission::Verdict;

// Every check a finding can name, in report order, with what it asks for.
struct RuleText {
  std::string_view id;
  std::string_view text;
};
constexpr RuleText kRules[] = {
    {"policy", "A rule of the policy applies to the image"},
    {"signature", "The image is signed as the policy requires, through verified trust data"},
    {"non-root", "The container runs as a non-root user"},
    {"read-only-rootfs", "The root file system is read-only"},
    {"drop-all-capabilities", "All capabilities are dropped"},
    {"allowed-capabilities", "Only allowed capabilities are added"},
    {"no-new-privileges", "The container cannot gain privileges (no-new-privileges)"},
    {"tmpfs-noexec-nosuid", "Every tmpfs mount is noexec and nosuid"},
    {"not-privileged", "The container is not privileged"},
    {"no-host-namespaces", "The container shares no host network, PID or IPC namespace"},
    {"no-docker-socket", "The docker socket is not mounted"},
    {"healthcheck", "The container has a healthcheck or probe"},
};

std::string_view verdict_label(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kSkip:
      return "skip";
  }
  return "FAIL";
}

std::string container_title(const Finding& f) {
  std::string title =
      f.workload == f.container ? f.container : f.workload + " container " + f.container;
  if (f.kind != admission::ContainerKind::kContainer)
    title += " (" + std::string(admission::kind_name(f.kind)) + ")";
  return title;
}

bool same_container(const Finding& a, const Finding& b) {
  return a.file == b.file && a.line == b.line && a.workload == b.workload &&
         a.container == b.container && a.kind == b.kind;
}

struct Counts {
  int containers = 0;
  int failed = 0;
  int warnings = 0;
};

Counts count(const admission::Report& r) {
  Counts c;
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    if (i == 0 || !same_container(r.findings[i - 1], r.findings[i])) ++c.containers;
    if (r.findings[i].result == Verdict::kFail) ++c.failed;
    if (r.findings[i].result == Verdict::kWarn) ++c.warnings;
  }
  return c;
}

std::string plural(int n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

nlohmann::json to_json(const AdmitReport& r) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : r.report.findings)
    findings.push_back({{"file", f.file},
                        {"line", f.line},
                        {"workload", f.workload},
                        {"container", f.container},
                        {"container_kind", admission::kind_name(f.kind)},
                        {"path", f.path},
                        {"image", f.image},
                        {"digest", f.digest},
                        {"check", f.check},
                        {"result", admission::verdict_name(f.result)},
                        {"message", f.message}});
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [file, s] : r.report.skipped)
    skipped.push_back({{"file", file},
                       {"line", s.line},
                       {"kind", s.kind},
                       {"name", s.name},
                       {"reason", s.reason}});
  return {{"admitted", r.report.admitted()},
          {"policy", r.policy},
          {"images_verified", r.report.images_verified},
          {"findings", std::move(findings)},
          {"skipped", std::move(skipped)}};
}

void print_text(std::ostream& out, const AdmitReport& r) {
  const auto& findings = r.report.findings;
  std::string file;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (f.file != file) {
      if (!file.empty()) out << "\n";
      file = f.file;
      out << file << "\n";
    }
    if (i == 0 || !same_container(findings[i - 1], f)) {
      out << "  " << container_title(f) << "  (line " << f.line << ")  "
          << (f.image.empty() ? "(no image)" : f.image);
      if (!f.digest.empty() && f.image.find('@') == std::string::npos) out << "@" << f.digest;
      out << "\n";
    }
    std::string check = f.check;
    check.resize(std::max<std::size_t>(check.size(), 22), ' ');
    out << "    " << verdict_label(f.result) << "  " << check << "  " << f.message << "\n";
  }
  for (const auto& [skipped_file, s] : r.report.skipped)
    out << "skipped " << skipped_file << ":" << s.line << " " << s.kind << "/" << s.name << ": "
        << s.reason << "\n";
  const Counts c = count(r.report);
  out << "\n"
      << (r.report.admitted() ? "admitted: " : "DENIED: ")
      << plural(c.containers, "container", "containers") << ", "
      << plural(r.report.images_verified, "image checked", "images checked");
  if (c.failed) out << ", " << plural(c.failed, "enforced check failed", "enforced checks failed");
  if (c.warnings) out << ", " << plural(c.warnings, "warning", "warnings");
  out << " (policy " << r.policy << ")\n";
}

nlohmann::json to_sarif(const AdmitReport& r) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& rule : kRules)
    rules.push_back(
        {{"id", rule.id}, {"name", rule.id}, {"shortDescription", {{"text", rule.text}}}});
  auto rule_index = [](std::string_view id) {
    for (std::size_t i = 0; i < std::size(kRules); ++i)
      if (kRules[i].id == id) return static_cast<int>(i);
    return -1;
  };
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : r.report.findings) {
    if (f.result != Verdict::kFail && f.result != Verdict::kWarn) continue;
    nlohmann::json location = {{"artifactLocation", {{"uri", f.file}}}};
    if (f.line > 0) location["region"] = {{"startLine", f.line}};
    std::string text =
        container_title(f) + " (" + (f.image.empty() ? "no image" : f.image) + "): " + f.message;
    nlohmann::json result = {
        {"ruleId", f.check},
        {"level", f.result == Verdict::kFail ? "error" : "warning"},
        {"message", {{"text", text}}},
        {"locations", nlohmann::json::array({{{"physicalLocation", location}}})}};
    if (int i = rule_index(f.check); i >= 0) result["ruleIndex"] = i;
    results.push_back(std::move(result));
  }
  nlohmann::json driver = {
      {"name", "trustctl"}, {"version", TRUSTCTL_VERSION}, {"rules", std::move(rules)}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", nlohmann::json::array({{{"tool", {{"driver", std::move(driver)}}},
                                           {"results", std::move(results)}}})}};
}

}  // namespace trustctl::cli
