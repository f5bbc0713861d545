// trustctl push and pull on a real registry: the four fixture kinds pulled through verified
// trust data into OCI layouts that skopeo and umoci read, and pushed back and signed;
// --platform; unsigned tags refused; tampered bytes on either side caught with nothing partial
// left; a push whose signing fails says so with its own exit code (docs/image-transfer.md).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "trust_cli_env.h"
#include "trustctl/core/fs.h"

using namespace trustctl;
using namespace trustctl::testing;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

struct PullScene {
  std::unique_ptr<TestRegistry> reg = start_registry();
  TempDir scratch;
  std::unique_ptr<User> owner;
  std::string repo;
  PullScene() {
    REQUIRE(push_fixtures(*reg, "secure-app").ok());
    owner = std::make_unique<User>(*reg);
    repo = reg->host_port() + "/secure-app";
    auto signed_ = owner->run({"sign", "--init", repo + ":v1", repo + ":v1-docker", repo + ":multi",
                               repo + ":multi-docker", repo + ":signed"});
    INFO(signed_.err);
    REQUIRE(signed_.exit_status == 0);
  }
  ProcessOutput pull(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"pull"};
    argv.insert(argv.end(), args.begin(), args.end());
    return owner->run(argv);
  }
  std::string skopeo_digest(const std::string& layout_ref) {
    auto r = run_process({"skopeo", "inspect", "--raw", "oci:" + layout_ref});
    REQUIRE(r.ok());
    INFO(r->err);
    REQUIRE(r->exit_status == 0);
    return "sha256:" + crypto_sha256(r->out);
  }
  static std::string crypto_sha256(const std::string& bytes) {
    auto r = run_process({"sha256sum"}, bytes);
    REQUIRE(r.ok());
    return r->out.substr(0, 64);
  }
};

// Files below the layout's blobs/ that are not named by their own sha256 (partial downloads).
int stray_blob_files(const std::string& layout) {
  int stray = 0;
  if (!stdfs::exists(layout + "/blobs")) return 0;
  for (const auto& e : stdfs::recursive_directory_iterator(layout + "/blobs"))
    if (e.is_regular_file() && e.path().filename().string().size() != 64) ++stray;
  return stray;
}

}  // namespace

TEST_CASE("pull: every fixture kind lands in an OCI layout skopeo and umoci read") {
  PullScene s;
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"v1", fixture_digest::kV1},
      {"v1-docker", fixture_digest::kV1Docker},
      {"multi", fixture_digest::kMulti},
      {"multi-docker", fixture_digest::kMultiDocker}};
  const std::string layout = s.scratch.path + "/layout";
  for (const auto& [tag, digest] : kinds) {
    INFO(tag);
    auto r = s.pull({"-o", "json", s.repo + ":" + tag, "oci:" + layout + ":" + tag});
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    auto j = json::parse(r.out);
    CHECK(j["verified"] == true);
    CHECK(j["signed_digest"] == digest);
    CHECK(j["manifest"]["digest"] == digest);
    // The blob under the signed digest is byte for byte what was signed.
    CHECK("sha256:" +
              PullScene::crypto_sha256(
                  run_process({"cat", layout + "/blobs/sha256/" + digest.substr(7)})->out) ==
          digest);
    // skopeo's oci: transport lists OCI-typed entries only (Docker-typed ones are kept as
    // signed, not converted: docs/image-transfer.md).
    if (tag.find("docker") == std::string::npos)
      CHECK(s.skopeo_digest(layout + ":" + tag) == digest);
  }
  auto umoci = run_process({"umoci", "ls", "--layout", layout});
  REQUIRE(umoci.ok());
  INFO(umoci->err);
  CHECK(umoci->exit_status == 0);
  CHECK(umoci->out.find("v1") != std::string::npos);
  CHECK(umoci->out.find("multi") != std::string::npos);
  // skopeo copies the pulled index out of the layout again: every blob is there.
  auto copy = run_process({"skopeo", "copy", "--all", "oci:" + layout + ":multi",
                           "oci:" + s.scratch.path + "/again:m"});
  REQUIRE(copy.ok());
  INFO(copy->err);
  CHECK(copy->exit_status == 0);

  // Pulling again reuses every blob.
  auto again = s.pull({"-o", "json", s.repo + ":v1", "oci:" + layout + ":v1"});
  REQUIRE(again.exit_status == 0);
  auto j = json::parse(again.out);
  CHECK(j["blobs_transferred"] == 0);
  CHECK(j["blobs_reused"].get<int>() >= 2);
}

TEST_CASE("pull --platform takes one platform's image of a signed index") {
  PullScene s;
  const std::string layout = s.scratch.path + "/arm";
  auto r = s.pull({"-o", "json", "--platform", "linux/arm64", s.repo + ":multi", "oci:" + layout});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  auto j = json::parse(r.out);
  CHECK(j["signed_digest"] == fixture_digest::kMulti);
  CHECK(j["manifest"]["digest"] == fixture_digest::kMultiArm64);
  CHECK(s.skopeo_digest(layout + ":multi") == fixture_digest::kMultiArm64);
  auto index = json::parse(run_process({"cat", layout + "/index.json"})->out);
  CHECK(index["manifests"].size() == 1);
  auto none = s.pull({"--platform", "windows/amd64", s.repo + ":multi", "oci:" + layout + ":x"});
  CHECK(none.exit_status == 11);
  CHECK(none.err.find("linux/arm64") != std::string::npos);  // names what there is
  CHECK(s.pull({"--platform", "linux", s.repo + ":multi", "oci:" + layout}).exit_status == 2);
}

TEST_CASE("pull resolves the tag through trust data and refuses unsigned tags") {
  PullScene s;
  const std::string layout = s.scratch.path + "/l";
  // `app` has the same image as `signed` but no signature.
  auto unsigned_ = s.pull({s.repo + ":app", "oci:" + layout});
  CHECK(unsigned_.exit_status == 10);
  const bool tagged = stdfs::exists(layout + "/index.json") &&
                      run_process({"grep", "-q", "app", layout + "/index.json"})->exit_status == 0;
  CHECK_FALSE(tagged);
  auto forced = s.pull({"--disable-content-trust", s.repo + ":app", "oci:" + layout});
  INFO(forced.err);
  CHECK(forced.exit_status == 0);
  CHECK(forced.err.find("unverified") != std::string::npos);

  // A pusher re-tags `signed` to another image: pull still takes the signed one.
  Attacker attacker(*s.reg, s.scratch.path);
  auto other = attacker.client->get_manifest("secure-app", "v1");
  REQUIRE(other.ok());
  REQUIRE(attacker.client
              ->put_manifest("secure-app", "signed", other->descriptor.media_type, other->bytes)
              .ok());
  auto r = s.pull({s.repo + ":signed", "oci:" + layout + ":signed"});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  CHECK(digest_line(r) == fixture_digest::kSecureApp);
}

TEST_CASE("pull of a layer the registry serves altered fails with nothing partial left") {
  PullScene s;
  auto manifest = Attacker(*s.reg, s.scratch.path).client->get_manifest("secure-app", "signed");
  REQUIRE(manifest.ok());
  REQUIRE_FALSE(manifest->layers.empty());
  const auto& layer = manifest->layers.front();
  // Overwrite the layer's bytes on the registry's disk (same size, other content).
  const std::string hex = layer.digest.substr(7);
  const std::string data = s.reg->data_dir() + "/docker/registry/v2/blobs/sha256/" +
                           hex.substr(0, 2) + "/" + hex + "/data";
  REQUIRE(stdfs::exists(data));
  {
    std::string garbage(static_cast<std::size_t>(layer.size), 'x');
    REQUIRE(fs::write_file_atomic(data, garbage, 0644).ok());
  }
  const std::string layout = s.scratch.path + "/tampered";
  auto r = s.pull({s.repo + ":signed", "oci:" + layout});
  CHECK(r.exit_status == 12);
  CHECK(r.err.find(layer.digest) != std::string::npos);
  CHECK_FALSE(stdfs::exists(layout + "/blobs/sha256/" + hex));
  CHECK(stray_blob_files(layout) == 0);
  if (stdfs::exists(layout + "/index.json"))
    CHECK(json::parse(run_process({"cat", layout + "/index.json"})->out)["manifests"].empty());
}

TEST_CASE("push: every fixture kind round-trips, signed by the digest pushed") {
  PullScene s;
  const std::string layout = s.scratch.path + "/from-registry";
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"v1", fixture_digest::kV1},
      {"v1-docker", fixture_digest::kV1Docker},
      {"multi", fixture_digest::kMulti},
      {"multi-docker", fixture_digest::kMultiDocker},
      {"signed", fixture_digest::kSecureApp}};
  const std::string target = s.reg->host_port() + "/copy";
  bool first = true;
  for (const auto& [tag, digest] : kinds) {
    INFO(tag);
    REQUIRE(s.pull({s.repo + ":" + tag, "oci:" + layout + ":" + tag}).exit_status == 0);
    std::vector<std::string> args = {"push", "-o", "json"};
    if (first) args.push_back("--init");
    first = false;
    args.insert(args.end(), {"oci:" + layout + ":" + tag, target + ":" + tag});
    auto pushed = s.owner->run(args);
    INFO(pushed.err);
    REQUIRE(pushed.exit_status == 0);
    auto j = json::parse(pushed.out);
    CHECK(j["manifest"]["digest"] == digest);
    CHECK(j["signed"] == true);
    auto verified = s.owner->run({"verify", target + ":" + tag});
    INFO(verified.err);
    CHECK(digest_line(verified) == digest);
    auto raw = run_process(
        {"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + target + ":" + tag});
    REQUIRE(raw.ok());
    INFO(raw->err);
    if (!s.reg->tls()) CHECK("sha256:" + PullScene::crypto_sha256(raw->out) == digest);
  }
  // Pushing the same image again sends no blob.
  auto again = s.owner->run({"push", "-o", "json", "oci:" + layout + ":v1", target + ":v1"});
  REQUIRE(again.exit_status == 0);
  CHECK(json::parse(again.out)["blobs_transferred"] == 0);
}

TEST_CASE("push that cannot sign fails with exit 15 and says the image is pushed unsigned") {
  PullScene s;
  const std::string layout = s.scratch.path + "/l";
  REQUIRE(s.pull({s.repo + ":v1", "oci:" + layout + ":v1"}).exit_status == 0);
  User stranger(*s.reg);  // pinned to the owner's root, but holds no repository key
  auto root =
      json::parse(
          s.owner->run({"inspect", s.repo}).out)[0]["AdministrativeKeys"][0]["Keys"][0]["ID"]
          .get<std::string>();
  REQUIRE(stranger.run({"trust", "pin", s.repo, "--fingerprint", root}).exit_status == 0);
  auto r = stranger.run({"push", "oci:" + layout + ":v1", s.repo + ":pushed"});
  CHECK(r.exit_status == 15);
  CHECK(r.err.find("NOT signed") != std::string::npos);
  CHECK(r.err.find("trustctl sign --digest " + std::string(fixture_digest::kV1)) !=
        std::string::npos);
  auto there = Attacker(*s.reg, s.scratch.path).client->head_manifest("secure-app", "pushed");
  REQUIRE(there.ok());
  CHECK(there->digest == fixture_digest::kV1);
  CHECK(s.owner->run({"verify", s.repo + ":pushed"}).exit_status == 10);
  // --no-sign is the explicit choice, exit 0.
  CHECK(stranger.run({"push", "--no-sign", "oci:" + layout + ":v1", s.repo + ":pushed"})
            .exit_status == 0);
}

TEST_CASE("push of a layout whose blob was altered on disk is refused, nothing completed") {
  PullScene s;
  const std::string layout = s.scratch.path + "/l";
  REQUIRE(s.pull({s.repo + ":signed", "oci:" + layout + ":app"}).exit_status == 0);
  auto manifest = Attacker(*s.reg, s.scratch.path).client->get_manifest("secure-app", "signed");
  REQUIRE(manifest.ok());
  const auto& layer = manifest->layers.front();
  const std::string path = layout + "/blobs/sha256/" + layer.digest.substr(7);
  {
    auto bytes = fs::read_file(path);
    REQUIRE(bytes.ok());
    std::string changed = *bytes;
    changed[changed.size() / 2] ^= 0x01;
    ::chmod(path.c_str(), 0644);
    REQUIRE(fs::write_file_atomic(path, changed, 0644).ok());
  }
  auto r = s.owner->run({"push", "oci:" + layout + ":app", s.reg->host_port() + "/other:app"});
  CHECK(r.exit_status == 12);
  CHECK(r.err.find(layer.digest) != std::string::npos);
  auto exists = Attacker(*s.reg, s.scratch.path).client->blob_exists("other", layer.digest);
  REQUIRE(exists.ok());
  CHECK_FALSE(*exists);
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

}  // namespace

TEST_CASE("push and pull off a terminal: one summary line on stderr, none with --quiet") {
  PullScene s;
  const std::string layout = s.scratch.path + "/l";
  auto pulled = s.pull({s.repo + ":v1", "oci:" + layout + ":v1"});
  INFO(pulled.err);
  REQUIRE(pulled.exit_status == 0);
  CHECK(digest_line(pulled) == fixture_digest::kV1);  // stdout as before: the digest
  auto err = lines_of(pulled.err);
  REQUIRE(err.size() == 1);
  CHECK(err[0].rfind(
            "pulled " + s.repo + ":v1 (" + std::string(fixture_digest::kV1).substr(0, 19) + "): ",
            0) == 0);
  CHECK(err[0].find(" reused") != std::string::npos);
  CHECK(err[0].find("\x1b") == std::string::npos);  // no terminal control off a terminal

  auto quiet = s.pull({"--quiet", s.repo + ":v1", "oci:" + layout + ":again"});
  CHECK(quiet.exit_status == 0);
  CHECK(quiet.err.empty());
  CHECK(digest_line(quiet) == fixture_digest::kV1);

  // -o json: stdout is the JSON document alone, the summary still on stderr.
  auto json_pull = s.pull({"-o", "json", "-q", s.repo + ":multi", "oci:" + layout + ":multi"});
  CHECK(json_pull.exit_status == 0);
  CHECK(json_pull.err.empty());
  auto json_loud = s.pull({"-o", "json", s.repo + ":multi", "oci:" + layout + ":multi2"});
  CHECK(json_loud.exit_status == 0);
  CHECK(json::parse(json_loud.out)["blobs_reused"].get<int>() > 0);
  CHECK(lines_of(json_loud.err).size() == 1);
  CHECK(json_loud.err.rfind("pulled " + s.repo + ":multi (", 0) == 0);

  const std::string target = s.reg->host_port() + "/progress";
  auto pushed = s.owner->run({"push", "--no-sign", "oci:" + layout + ":v1", target + ":v1"});
  INFO(pushed.err);
  REQUIRE(pushed.exit_status == 0);
  CHECK(digest_line(pushed) == fixture_digest::kV1);
  err = lines_of(pushed.err);
  REQUIRE(err.size() == 1);
  CHECK(err[0].rfind("pushed " + target + ":v1 (", 0) == 0);
  CHECK(err[0].find(" blobs, ") != std::string::npos);
  auto quiet_push =
      s.owner->run({"push", "-q", "--no-sign", "oci:" + layout + ":v1", target + ":v2"});
  CHECK(quiet_push.exit_status == 0);
  CHECK(quiet_push.err.empty());
  CHECK(digest_line(quiet_push) == fixture_digest::kV1);
}

TEST_CASE("inspect shows the platforms of signed indexes, unknown when the index is bad") {
  PullScene s;
  auto r = s.owner->run({"inspect", s.repo});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  auto tags = json::parse(r.out)[0]["SignedTags"];
  std::map<std::string, json> by_tag;
  for (const auto& t : tags) by_tag[t["SignedTag"].get<std::string>()] = t;
  const json both = {"linux/amd64", "linux/arm64/v8"};
  CHECK(by_tag["multi"]["Platforms"] == both);         // OCI image index
  CHECK(by_tag["multi-docker"]["Platforms"] == both);  // Docker manifest list
  CHECK_FALSE(by_tag["v1"].contains("Platforms"));
  CHECK_FALSE(by_tag["v1-docker"].contains("Platforms"));
  CHECK(by_tag["multi"]["Digest"] == std::string(fixture_digest::kMulti).substr(7));

  auto pretty = s.owner->run({"inspect", "--pretty", s.repo + ":multi-docker"});
  REQUIRE(pretty.exit_status == 0);
  CHECK(pretty.out.find("  platforms: linux/amd64, linux/arm64/v8\n") != std::string::npos);

  // The registry serves other bytes for the signed index: inspect still shows the trust data.
  const std::string hex = std::string(fixture_digest::kMulti).substr(7);
  const std::string data = s.reg->data_dir() + "/docker/registry/v2/blobs/sha256/" +
                           hex.substr(0, 2) + "/" + hex + "/data";
  REQUIRE(stdfs::exists(data));
  {
    auto bytes = fs::read_file(data);
    REQUIRE(bytes.ok());
    std::string changed = *bytes;
    changed[changed.size() / 2] = changed[changed.size() / 2] == ' ' ? '\t' : ' ';
    REQUIRE(fs::write_file_atomic(data, changed, 0644).ok());
  }
  auto bad = s.owner->run({"inspect", s.repo});
  INFO(bad.err);
  REQUIRE(bad.exit_status == 0);
  const json bad_json = json::parse(bad.out);
  std::map<std::string, json> after;
  for (const auto& t : bad_json[0]["SignedTags"]) after[t["SignedTag"].get<std::string>()] = t;
  CHECK(after["multi"]["Platforms"].is_null());
  CHECK(after["multi-docker"]["Platforms"] == both);
  CHECK(bad.err.find("platforms of " + s.repo + ":multi are unknown") != std::string::npos);
  auto bad_pretty = s.owner->run({"inspect", "--pretty", s.repo + ":multi"});
  CHECK(bad_pretty.exit_status == 0);
  CHECK(bad_pretty.out.find("  platforms: unknown\n") != std::string::npos);
}
