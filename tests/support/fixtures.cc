#include "support/fixtures.h"

#include <sstream>

#include "trustctl/core/subprocess.h"

namespace trustctl::testing {

std::string fixtures_dir() { return TRUSTCTL_FIXTURES_DIR; }
std::string token_server_program() { return TRUSTCTL_TEST_TOKEN_SERVER; }
std::string testenv_program() { return TRUSTCTL_TESTENV; }
std::string credential_helper_program() { return TRUSTCTL_TEST_CREDENTIAL_HELPER; }

namespace {

std::vector<PushedTag> parse_tag_lines(const std::string& text) {
  std::vector<PushedTag> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    PushedTag t;
    if (fields >> t.tag >> t.digest >> t.media_type) out.push_back(t);
  }
  return out;
}

}  // namespace

Result<std::vector<PushedTag>> push_fixtures(const TestRegistry& reg, std::string_view repo,
                                             const PushOptions& options) {
  std::string tags;
  for (const auto& t : options.app_tags) tags += (tags.empty() ? "" : " ") + t;
  // `env` drops REGISTRY_*: the caller's environment must not add credentials or a CA.
  std::vector<std::string> argv = {
      "env", "-u",     "REGISTRY_USER",   "-u", "REGISTRY_PASSWORD", "-u", "REGISTRY_CERTDIR",
      "-u",  "LAYOUT", "APP_TAGS=" + tags};
  if (!options.layout.empty()) argv.push_back("LAYOUT=" + options.layout);
  argv.insert(argv.end(), {fixtures_dir() + "/push-images.sh", reg.url(), std::string(repo)});
  for (const auto& f : reg.skopeo_dest_flags()) argv.push_back(f);
  for (const auto& f : options.extra_flags) argv.push_back(f);
  TRUSTCTL_TRY_ASSIGN(ProcessOutput out, run_process(argv));
  if (out.exit_status != 0)
    return Error(ErrorCode::kInternal,
                 "push-images.sh failed (" + std::to_string(out.exit_status) + "): " + out.err);
  return parse_tag_lines(out.out);
}

Result<std::vector<PushedTag>> make_fixture_layout(const std::string& out_dir) {
  TRUSTCTL_TRY_ASSIGN(ProcessOutput out,
                      run_process({fixtures_dir() + "/make-images.sh", out_dir}));
  if (out.exit_status != 0)
    return Error(ErrorCode::kInternal,
                 "make-images.sh failed (" + std::to_string(out.exit_status) + "): " + out.err);
  return parse_tag_lines(out.out);
}

}  // namespace trustctl::testing
