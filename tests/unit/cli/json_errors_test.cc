// Runs the built trustctl binary: every command, made to fail under `-o json`, prints the JSON
// error object {"error": {"class", "exit_code", "message"}} on stdout and exits with that code.
// The commands are read from the help, so a new command without a case here fails this test.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/temp_dir.h"
#include "trustctl/core/subprocess.h"

using namespace trustctl;
using nlohmann::json;
using trustctl::testing::TempDir;

namespace {

ProcessOutput run_cli(const TempDir& home, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env",
                                   "-i",
                                   "PATH=/usr/bin:/bin",
                                   "HOME=" + home.path,
                                   "TRUSTCTL_TRUST_DIR=" + home / "trust",
                                   "setsid",
                                   TRUSTCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  REQUIRE(r.ok());
  return std::move(r).value();
}

// A loopback port that refuses connections: bound, never listening, held for the test.
class ClosedPort {
 public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

// The command names the help lists: top-level commands, and "GROUP SUB" for the groups.
std::set<std::string> listed_commands(const TempDir& home) {
  std::set<std::string> names;
  auto top = run_cli(home, {"--help"});
  REQUIRE(top.exit_status == 0);
  std::istringstream lines(top.out);
  std::string line;
  bool in_commands = false;
  while (std::getline(lines, line)) {
    if (line == "Commands:") in_commands = true;
    if (!in_commands || line.rfind("  ", 0) != 0 || line.size() < 3 || line[2] == ' ') {
      if (in_commands && line.empty()) break;
      continue;
    }
    const std::string name = line.substr(2, line.find(' ', 2) - 2);
    auto group = run_cli(home, {name, "--help"});
    REQUIRE(group.exit_status == 0);
    std::istringstream sub(group.out);
    bool grouped = false;
    bool listing = false;  // a group's help lists its commands under "Commands:"
    std::string sub_line;
    while (std::getline(sub, sub_line))
      if (sub_line == "Commands:") {
        listing = true;
      } else if (listing && sub_line.rfind("  " + name + " ", 0) == 0 &&
                 sub_line.size() > name.size() + 3 && sub_line[name.size() + 3] != ' ') {
        std::istringstream words(sub_line);
        std::string g, s;
        words >> g >> s;
        names.insert(g + " " + s);
        grouped = true;
      }
    if (!grouped) names.insert(name);
  }
  return names;
}

}  // namespace

TEST_CASE("cli: every command answers a failure under -o json with the JSON error", "[cli]") {
  TempDir home;
  ClosedPort closed;
  const std::string repo = closed.host() + "/app";  // connection refused: exit 3
  // command -> (arguments after `trustctl -o json`, the documented exit code)
  const std::map<std::string, std::pair<std::vector<std::string>, int>> cases = {
      {"sign", {{"sign", repo + ":v1"}, 3}},
      {"revoke", {{"revoke", repo + ":v1"}, 3}},
      {"verify", {{"verify", repo + ":v1"}, 3}},
      {"inspect", {{"inspect", repo}, 3}},
      {"pull", {{"pull", repo + ":v1", "oci:" + home / "layout"}, 3}},
      {"push", {{"push", "oci:" + home / "no-layout", repo + ":v1"}, 11}},
      {"copy", {{"copy", repo + ":v1", repo + ":v2"}, 2}},  // a tag rename
      {"admit", {{"admit", home / "missing.yml"}, 1}},
      {"serve", {{"serve", "--policy", home / "missing.yaml"}, 2}},  // no --tls-cert
      {"signer add", {{"signer", "add", "rel", repo, "--key", home / "missing.pub"}, 2}},
      {"signer remove", {{"signer", "remove", "rel", repo}, 2}},  // no --yes without a TTY
      {"signer list", {{"signer", "list", repo}, 3}},
      {"repo init", {{"repo", "init", repo}, 3}},
      {"repo status", {{"repo", "status", repo}, 3}},
      {"repo refresh", {{"repo", "refresh", repo}, 3}},
      {"repo rotate", {{"repo", "rotate", repo, "targets"}, 3}},
      {"repo repair", {{"repo", "repair", "--yes", repo}, 10}},
      {"repo export", {{"repo", "export", repo, home / "export"}, 3}},
      {"repo delete", {{"repo", "delete", "--yes", repo}, 3}},
      {"trust pin", {{"trust", "pin", repo, "--fingerprint", "abc"}, 2}},
      {"trust list", {{"trust", "list", "extra-argument"}, 2}},
      {"trust unpin", {{"trust", "unpin", repo}, 11}},
      {"key generate", {{"key", "generate", "Not A Name"}, 2}},
      {"key import", {{"key", "import", home / "missing.pem"}, 1}},
      {"key export", {{"key", "export", "abcd", "--public"}, 11}},
      {"key list", {{"key", "list", "--no-such-flag"}, 2}},
      {"key passwd", {{"key", "passwd", "abcd"}, 11}},
      {"key rm", {{"key", "rm", "abcd"}, 11}},
      {"resolve", {{"resolve", repo + ":v1"}, 3}},
      {"login", {{"login", closed.host(), "--username", "x", "--password-stdin"}, 2}},
      {"logout", {{"logout", "not a registry"}, 2}},
      {"env", {{"env", "--no-such-flag"}, 2}},
      {"version", {{"version", "extra-argument"}, 2}},
      {"tuf-client",
       {{"tuf-client", "refresh", "--metadata-dir", home / "none", "--metadata-url",
         "http://" + closed.host() + "/"},
        1}},  // the conformance contract: 0 or 1
      {"help", {{"help", "no-such-command"}, 2}},
  };

  std::set<std::string> covered;
  for (const auto& [name, c] : cases) covered.insert(name);
  CHECK(covered == listed_commands(home));

  for (const auto& [name, c] : cases) {
    INFO("trustctl -o json " << name);
    std::vector<std::string> args = {"-o", "json"};
    args.insert(args.end(), c.first.begin(), c.first.end());
    auto r = run_cli(home, args);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_status == c.second);
    auto doc = json::parse(r.out, nullptr, false);  // stdout is exactly one JSON document
    REQUIRE_FALSE(doc.is_discarded());
    REQUIRE(doc.contains("error"));
    const auto& error = doc["error"];
    CHECK(error["exit_code"] == r.exit_status);
    CHECK(error["class"].is_string());
    CHECK_FALSE(error["class"].get<std::string>().empty());
    CHECK_FALSE(error["message"].get<std::string>().empty());
    CHECK(r.err.find("error: ") != std::string::npos);  // and the message for a human
  }
}
