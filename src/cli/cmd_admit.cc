// trustctl admit: the check before a deploy (docs/admission.md). Reads every file first (a bad
// file or policy stops everything before the network is used), verifies each distinct image
// once, reports, and with --pin writes the files back with admitted images pinned.
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "admit_images.h"
#include "render/admit.h"
#include "render/emit.h"
#include "trustctl/admission/evaluate.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::cli {
namespace {

namespace stdfs = std::filesystem;

// Where --pin writes each file: "-" (stdout, one file only), a folder (its base name there), or
// a file path (one input only).
Result<std::vector<std::string>> pin_targets(const std::string& out,
                                             const std::vector<std::string>& files) {
  std::vector<std::string> targets;
  if (out == "-") {
    if (files.size() != 1)
      return Error(ErrorCode::kUsage, "--pin - writes one file to stdout; with " +
                                          std::to_string(files.size()) +
                                          " files give a folder: --pin DIR");
    return std::vector<std::string>{"-"};
  }
  std::error_code ec;
  if (stdfs::is_directory(out, ec)) {
    std::set<std::string> names;
    for (const auto& f : files) {
      const std::string name = stdfs::path(f).filename().string();
      if (!names.insert(name).second)
        return Error(ErrorCode::kUsage,
                     "--pin " + out + ": two files are named " + name + "; pin them separately");
      targets.push_back((stdfs::path(out) / name).string());
    }
    return targets;
  }
  if (files.size() != 1)
    return Error(ErrorCode::kUsage, "--pin " + out + " is not a folder: with " +
                                        std::to_string(files.size()) +
                                        " files, --pin needs an existing folder");
  return std::vector<std::string>{out};
}

mode_t file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0644;
  return st.st_mode & 0777;
}

// The pinned text of every file, all computed before anything is written.
Result<std::vector<std::string>> pinned_texts(const std::vector<std::string>& files,
                                              const admission::Report& report) {
  std::vector<std::string> texts;
  for (const auto& file : files) {
    TRUSTCTL_TRY_ASSIGN(std::string text, fs::read_file(file));
    auto it = report.pins.find(file);
    if (it == report.pins.end()) {
      texts.push_back(std::move(text));
      continue;
    }
    TRUSTCTL_TRY_ASSIGN(auto pinned, admission::pin_images(text, file, it->second));
    texts.push_back(std::move(pinned));
  }
  return texts;
}

Status admit(Context& ctx) {
  const auto pin = ctx.value("pin");
  if (pin && *pin == "-" && ctx.global.output != OutputFormat::kText)
    return Error(ErrorCode::kUsage,
                 "--pin - prints the pinned file on stdout; it does not go with -o json or sarif");
  std::vector<std::string> targets;
  if (pin) {
    TRUSTCTL_TRY_ASSIGN(targets, pin_targets(*pin, ctx.args));
  }

  // The policy and every file, before any network access.
  policy::Policy policy = policy::default_policy();
  if (auto file = ctx.value("policy")) {
    TRUSTCTL_TRY_ASSIGN(policy, policy::load_policy(*file));
  }
  admission::ReadOptions read_options;
  if (auto env_file = ctx.value("env-file")) {
    if (!fs::exists(*env_file))
      return Error(ErrorCode::kUsage, "--env-file " + *env_file + ": no such file");
    read_options.env_file = *env_file;
  }
  std::vector<admission::Document> documents;
  for (const auto& file : ctx.args) {
    TRUSTCTL_TRY_ASSIGN(auto doc, admission::read_workloads(file, read_options));
    documents.push_back(std::move(doc));
  }

  TrustImageVerifier verifier(ctx);
  TRUSTCTL_TRY_ASSIGN(auto report, admission::evaluate(documents, policy, verifier));

  std::vector<std::string> texts;
  if (pin && report.admitted()) {
    TRUSTCTL_TRY_ASSIGN(texts, pinned_texts(ctx.args, report));
  }

  const AdmitReport rendered{report, policy.source};
  // With --pin -, stdout carries the pinned file and the report goes to stderr.
  std::ostream& report_out = (pin && *pin == "-") ? ctx.err : ctx.out;
  if (ctx.global.output == OutputFormat::kSarif)
    report_out << to_sarif(rendered).dump(2) << "\n";
  else if (ctx.json())
    report_out << to_json(rendered).dump(2) << "\n";
  else
    print_text(report_out, rendered);

  if (pin) {
    if (!report.admitted()) {
      log::error("nothing pinned: the files are not admitted");
    } else {
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i] == "-") {
          ctx.out << texts[i];
          continue;
        }
        TRUSTCTL_TRY(fs::write_file_atomic(targets[i], texts[i], file_mode(ctx.args[i])));
        log::info("pinned " + ctx.args[i] + " -> " + targets[i]);
      }
    }
  }

  const int code = report.exit_code();
  if (code == exit_code::kOk) return {};
  ctx.error_reported = true;
  if (code == exit_code::kDenied)
    return Error(ErrorCode::kDenied, "denied by the policy " + policy.source);
  for (const auto& e : report.errors)
    if (e.exit_code() == code) {
      log::error(e.message());
      return e;
    }
  return Error(ErrorCode::kInternal, "admit: exit code without an error");
}

}  // namespace

std::vector<CommandSpec> admit_commands() {
  return {
      {"admit",
       "Check compose files and Kubernetes YAML before a deploy: signatures and hardening",
       "Check every container of the compose files and Kubernetes manifests given against an "
       "admission policy (docs/policy.md; without --policy the lab's practice: signature "
       "required, every hardening check enforced, healthcheck warned): its image verified "
       "through the repository's trust data (the tag resolved through signed metadata, signers "
       "and threshold, a pinned or created root, never trust on first use), and the hardening "
       "checks non-root, read-only-rootfs, drop-all-capabilities, allowed-capabilities, "
       "no-new-privileges, tmpfs-noexec-nosuid, not-privileged, no-host-namespaces, "
       "no-docker-socket and healthcheck. A user the file does not set is read from the image "
       "config, fetched by the verified digest.\n\n"
       "Prints a table per file, workload and container, or -o json (`admitted` and "
       "`findings`), or -o sarif (SARIF 2.1.0 for code scanning). Exit 0 when admitted, 14 when "
       "an enforced check fails, 2 for a file or policy that cannot be read as one.\n\n"
       "--pin OUT writes the files back, only when admitted, with every verified image pinned "
       "to its digest (name:tag@sha256:...) and nothing else changed: OUT is a file (one input), "
       "a folder, or - for stdout (the report then goes to stderr).",
       {{"FILE", "compose files and Kubernetes YAML", ValueKind::kFile, 1, -1}},
       {{"policy", '\0', "FILE", "The admission policy (docs/policy.md)", ValueKind::kFile},
        {"pin", '\0', "OUT", "Write the files with admitted images pinned to their digests",
         ValueKind::kFile},
        {"env-file", '\0', "FILE",
         "Compose interpolation variables from FILE instead of the .env beside each compose file",
         ValueKind::kFile}},
       kSarifOutput,
       {"trustctl admit docker-compose.secure.yml",
        "trustctl admit --policy policy.yaml -o sarif k8s/*.yaml > admit.sarif",
        "trustctl admit --pin - docker-compose.yml > docker-compose.pinned.yml"},
       {"TRUSTCTL_TRUST_DIR"},
       admit},
  };
}

}  // namespace trustctl::cli
