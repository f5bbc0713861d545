#include "trustctl/keystore/keystore.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <thread>

#include "trustctl/core/fs.h"
#include "trustctl/core/subprocess.h"
#include "unit/crypto/test_files.h"

using namespace trustctl;
using crypto::KeyType;
using crypto::SecretBytes;
using keystore::KeyStore;
using keystore::PassphraseRequest;
using keystore::RoleClass;
using testing::fixture;
using testing::mode_of;
using testing::read_text;
using testing::TempDir;

namespace {

// Passphrases by role class, as the fixtures were made; records what was asked.
class MapSource : public keystore::PassphraseSource {
 public:
  explicit MapSource(std::map<RoleClass, std::string> by_class) : by_class_(std::move(by_class)) {}
  Result<SecretBytes> get(const PassphraseRequest& r) override {
    requests.push_back(r);
    if (r.attempt > 0) return Error(ErrorCode::kAuth, "no other passphrase");
    if (r.replacing) return SecretBytes(new_passphrase);
    auto it = by_class_.find(keystore::classify_role(r.role));
    if (it == by_class_.end()) return Error(ErrorCode::kAuth, "no passphrase for " + r.role);
    return SecretBytes(it->second);
  }
  std::string last_origin() const override { return "test map"; }
  void set(RoleClass c, std::string p) { by_class_[c] = std::move(p); }

  std::vector<PassphraseRequest> requests;
  std::string new_passphrase = "brand-new-passphrase";

 private:
  std::map<RoleClass, std::string> by_class_;
};

keystore::KeyStoreOptions fast() {
  keystore::KeyStoreOptions o;
  o.kdf.pbkdf2_iterations = 1000;  // tests only: the default is 600000
  return o;
}

const std::map<RoleClass, std::string> kNotaryPassphrases = {
    {RoleClass::kRoot, "rootpass123"},
    {RoleClass::kTargets, "targetspass123"},
    {RoleClass::kSnapshot, "snappass123"},
    {RoleClass::kDelegation, "delegpass123"}};

// Sets (or with nullptr unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_.empty() ? ::unsetenv(name_) : ::setenv(name_, old_.c_str(), 1); }

 private:
  const char* name_;
  std::string old_;
};

}  // namespace

TEST_CASE("keystore: layout, modes and headers", "[keystore]") {
  TempDir tmp;
  MapSource pass(
      {{RoleClass::kTargets, "repo-passphrase"}, {RoleClass::kDelegation, "deleg-pass"}});
  KeyStore store(tmp / "trust", pass, fast());
  auto info = store.generate(KeyType::kEcdsaP256, "targets", "localhost:5000/app");
  REQUIRE(info.ok());
  CHECK(info->path == tmp / "trust/private/" + info->id + ".key");
  CHECK(mode_of(tmp / "trust") == 0700);
  CHECK(mode_of(tmp / "trust/private") == 0700);
  CHECK(mode_of(info->path) == 0600);
  const std::string text = read_text(info->path);
  CHECK(text.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets\n"
                   "gun: localhost:5000/app\npublic-key: ",
                   0) == 0);
  REQUIRE(pass.requests.size() == 1);
  CHECK(pass.requests[0].creating);
  CHECK(pass.requests[0].role == "targets");

  auto keys = store.list();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  CHECK((*keys)[0].id == info->id);
  CHECK((*keys)[0].role == "targets");
  CHECK((*keys)[0].gun == "localhost:5000/app");
  CHECK((*keys)[0].type == KeyType::kEcdsaP256);
  CHECK((*keys)[0].notary_id == info->public_key->notary_key_id());

  // Lookup by ID, notary ID, or prefix; unknown IDs are kNotFound.
  CHECK(store.find(info->id)->id == info->id);
  CHECK(store.find(info->notary_id)->id == info->id);
  CHECK(store.find(info->id.substr(0, 6))->id == info->id);
  auto missing = store.find("0000000000");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  CHECK(missing.error().exit_code() == 11);

  // A private directory made wider by someone else is tightened on the next write.
  ::chmod((tmp / "trust/private").c_str(), 0755);
  REQUIRE(store.generate(KeyType::kEd25519, "targets/releases", "").ok());
  CHECK(mode_of(tmp / "trust/private") == 0700);

  auto key = store.load(info->id);
  REQUIRE(key.ok());
  CHECK(key->public_key().key_id() == info->id);
  REQUIRE(store.remove(info->id).ok());
  CHECK_FALSE(fs::exists(info->path));
  CHECK(store.load(info->id).error().code() == ErrorCode::kNotFound);
}

TEST_CASE("keystore: a wrong passphrase is a clear kAuth error", "[keystore]") {
  TempDir tmp;
  MapSource pass({{RoleClass::kTargets, "repo-passphrase"}});
  KeyStore store(tmp.path, pass, fast());
  auto info = store.generate(KeyType::kEd25519, "targets", "localhost:5000/app");
  REQUIRE(info.ok());
  pass.set(RoleClass::kTargets, "not-the-passphrase");
  auto key = store.load(info->id);
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().code() == ErrorCode::kAuth);
  CHECK(key.error().exit_code() == 4);
  CHECK(key.error().message() == "wrong passphrase for key " + info->id +
                                     " (role targets); the passphrase came from test map");
  CHECK(key.error().message().find("not-the-passphrase") == std::string::npos);
}

TEST_CASE("keystore: passphrase variables and precedence", "[keystore][passphrase]") {
  using keystore::passphrase_variables;
  CHECK(passphrase_variables(RoleClass::kRoot) ==
        std::vector<std::string_view>{"TRUSTCTL_ROOT_PASSPHRASE",
                                      "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"});
  CHECK(passphrase_variables(RoleClass::kSnapshot) ==
        std::vector<std::string_view>{
            "TRUSTCTL_SNAPSHOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_SNAPSHOT_PASSPHRASE",
            "TRUSTCTL_REPOSITORY_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"});
  CHECK(keystore::classify_role("targets/releases") == RoleClass::kDelegation);
  CHECK(keystore::classify_role("bob") == RoleClass::kDelegation);
  CHECK(keystore::classify_role("timestamp") == RoleClass::kTimestamp);

  ScopedEnv a("TRUSTCTL_REPOSITORY_PASSPHRASE", "repository-pass");
  ScopedEnv b("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "docker-repo-pass");
  ScopedEnv c("TRUSTCTL_SNAPSHOT_PASSPHRASE", nullptr);
  ScopedEnv d("DOCKER_CONTENT_TRUST_SNAPSHOT_PASSPHRASE", nullptr);
  ScopedEnv e("TRUSTCTL_TIMESTAMP_PASSPHRASE", "timestamp-pass");
  ScopedEnv f("TRUSTCTL_DELEGATION_PASSPHRASE", nullptr);
  ScopedEnv g("DOCKER_CONTENT_TRUST_DELEGATION_PASSPHRASE", nullptr);
  ScopedEnv h("TRUSTCTL_NEW_PASSPHRASE", "the-new-one");
  ScopedEnv i("TRUSTCTL_ROOT_PASSPHRASE", "short");
  keystore::EnvTtyPassphraseSource source;
  auto get = [&](PassphraseRequest r) {
    auto p = source.get(r);
    REQUIRE(p.ok());
    return std::string(p->view());
  };
  CHECK(get({"", "targets", false, false, 0}) == "repository-pass");
  CHECK(source.last_origin() == "TRUSTCTL_REPOSITORY_PASSPHRASE");
  CHECK(get({"", "snapshot", false, false, 0}) == "repository-pass");  // falls back
  CHECK(get({"", "timestamp", false, false, 0}) == "timestamp-pass");  // its own wins
  CHECK(source.last_origin() == "TRUSTCTL_TIMESTAMP_PASSPHRASE");
  CHECK(get({"", "bob", false, false, 0}) == "docker-repo-pass");  // docker's signer-key rule
  CHECK(source.last_origin() == "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE");
  CHECK(get({"", "targets", true, true, 0}) == "the-new-one");
  // A passphrase from the environment is not tried twice.
  CHECK(source.get({"", "targets", false, false, 1}).error().code() == ErrorCode::kAuth);
  // New keys need 8 characters.
  CHECK(get({"", "root", false, false, 0}) == "short");
  auto short_new = source.get({"", "root", true, false, 0});
  REQUIRE_FALSE(short_new.ok());
  CHECK(short_new.error().message() ==
        "TRUSTCTL_ROOT_PASSPHRASE is too short for a new key: use at least 8 characters");
}

TEST_CASE("keystore: the terminal prompt does not echo and confirms", "[keystore][passphrase]") {
  int master = -1, slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  std::string transcript;
  bool echo_was_off = false;
  std::thread typist([&] {
    auto count = [&](std::string_view what) {
      std::size_t n = 0;
      for (auto at = transcript.find(what); at != std::string::npos;
           at = transcript.find(what, at + 1)) {
        ++n;
      }
      return n;
    };
    auto wait_for = [&](std::string_view what, std::size_t times) {
      char buf[256];
      while (count(what) < times) {
        pollfd pfd{master, POLLIN, 0};
        if (::poll(&pfd, 1, 5000) <= 0) return;  // never hang the suite
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) return;
        transcript.append(buf, static_cast<std::size_t>(n));
      }
    };
    wait_for("Enter: ", 1);
    termios t{};
    ::tcgetattr(slave, &t);
    echo_was_off = (t.c_lflag & ECHO) == 0;
    (void)::write(master, "first-secret\n", 13);
    wait_for("Repeat: ", 1);
    (void)::write(master, "other-secret\n", 13);
    wait_for("Enter: ", 2);
    (void)::write(master, "final-secret\n", 13);
    wait_for("Repeat: ", 2);
    (void)::write(master, "final-secret\n", 13);
  });
  auto answer = keystore::prompt_passphrase(slave, "Enter: ", "Repeat: ");
  typist.join();
  REQUIRE(answer.ok());
  CHECK(answer->view() == "final-secret");
  CHECK(echo_was_off);
  CHECK_THAT(transcript, Catch::Contains("Passphrases do not match. Please try again."));
  // Drain what the terminal echoed after the typist stopped reading: never the secrets.
  char buf[512];
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) {
    transcript.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(transcript.find("secret") == std::string::npos);
  termios after{};
  ::tcgetattr(slave, &after);
  CHECK((after.c_lflag & ECHO) != 0);  // restored
  ::close(master);
  ::close(slave);
}

TEST_CASE("keystore: a failed write leaves the old key intact", "[keystore][atomic]") {
  TempDir tmp;
  MapSource pass({{RoleClass::kDelegation, "old-passphrase"}});
  auto options = fast();
  bool fail_next = false;
  options.write_file = [&](const std::string& path, std::string_view data, mode_t mode) -> Status {
    if (fail_next) {
      // Simulate a crash between writing the temporary file and renaming it.
      testing::write_text(path + ".tmp-12345-678", std::string(data.substr(0, data.size() / 2)));
      return Error(ErrorCode::kIo, "simulated crash before rename");
    }
    return fs::write_file_atomic(path, data, mode);
  };
  KeyStore store(tmp.path, pass, options);
  auto info = store.generate(KeyType::kEcdsaP256, "targets/releases", "");
  REQUIRE(info.ok());
  const std::string before = read_text(info->path);

  fail_next = true;
  auto changed = store.change_passphrase(info->id);
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.error().code() == ErrorCode::kIo);
  CHECK(read_text(info->path) == before);
  auto keys = store.list();  // the stray temp file is ignored
  REQUIRE(keys.ok());
  CHECK(keys->size() == 1);
  CHECK(store.load(info->id).ok());  // still under the old passphrase

  fail_next = false;
  REQUIRE(store.change_passphrase(info->id).ok());
  CHECK(read_text(info->path) != before);
  CHECK(store.load(info->id).error().code() == ErrorCode::kAuth);
  pass.set(RoleClass::kDelegation, pass.new_passphrase);
  CHECK(store.load(info->id).ok());
}

TEST_CASE("keystore: a real write failure (file size limit) keeps the old key",
          "[keystore][atomic]") {
  TempDir tmp;
  MapSource pass({{RoleClass::kRoot, "root-passphrase"}});
  KeyStore store(tmp.path, pass, fast());
  auto info = store.generate(KeyType::kRsa, "root", "", 2048);
  REQUIRE(info.ok());
  const std::string before = read_text(info->path);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The RSA key file is > 2 KB; a 1 KB limit makes write() fail with EFBIG mid-file.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1024, 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    auto r = store.change_passphrase(info->id);
    ::_exit(r.ok() ? 0 : (r.error().code() == ErrorCode::kIo ? 42 : 1));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 42);
  CHECK(read_text(info->path) == before);
  auto names = run_process({"ls", "-A", tmp / "private"});
  CHECK(names->out == info->id + ".key\n");  // no temporary file left behind
  CHECK(store.load(info->id).ok());
}

TEST_CASE("keystore: import keys made by the real notary client", "[keystore][notary]") {
  TempDir tmp;
  MapSource pass(kNotaryPassphrases);
  KeyStore store(tmp.path, pass, fast());
  auto imported = store.import(fixture("notary-keys/notary-trust-dir"), {});
  REQUIRE(imported.ok());
  REQUIRE(imported->size() == 7);
  std::map<std::string, std::pair<std::string, std::string>> role_gun;
  for (const auto& k : *imported) {
    CAPTURE(k.source);
    CHECK_FALSE(k.already_present);
    // The key ID notary used (its file name) is the notary ID of the imported key.
    CHECK(k.key.notary_id == k.source_id);
    CHECK(k.key.public_key->notary_key_id() == k.source_id);
    role_gun[k.source_id] = {k.key.role, k.key.gun};
    CHECK(mode_of(k.key.path) == 0600);
    CHECK(store.load(k.key.id).ok());  // re-encrypted under the same role passphrase
  }
  using P = std::pair<std::string, std::string>;
  CHECK(role_gun["62e4593b7c458c36105b4d3e5663bd9fe3388256db3e512ced57a9d3b87f1c21"] ==
        P{"root", ""});
  CHECK(role_gun["91fba9aec2e34e307114fe740b0c0a568b64fe0d68be2ae2e1559aaa019fa500"] ==
        P{"targets", "localhost:5000/secure-app"});
  CHECK(role_gun["b35c0094719484a280f2fda5a509f5c81723dcbe53f5f9ca5769b8d88076e665"] ==
        P{"snapshot", "localhost:5000/capture-init-local-snapshot"});
  CHECK(role_gun["dcba8a5a54c8cc36ee3283551a877c8ab2e6635ab1ed01e89993a497fbfd1f4a"] ==
        P{"targets/releases", ""});
  auto rsa = store.find("c506a48a01933b1d38f74e0a2900f1caebcd2ce4477be78fd5ed5c30c2308d40");
  REQUIRE(rsa.ok());
  CHECK(rsa->type == KeyType::kRsa);
  CHECK(rsa->id == "154656ad271b47cb50ea35e31a134b75399c0e630b9c0ae758941f4b396f6b43");

  // Importing again changes nothing.
  auto again = store.import(fixture("notary-keys/notary-trust-dir"), {});
  REQUIRE(again.ok());
  for (const auto& k : *again) CHECK(k.already_present);
}

TEST_CASE("keystore: import from a docker trust dir and notary's key files", "[keystore][notary]") {
  TempDir tmp;
  MapSource pass({{RoleClass::kRoot, "droot123"},
                  {RoleClass::kTargets, "drepo123"},
                  {RoleClass::kDelegation, "drepo123"}});
  KeyStore store(tmp.path, pass, fast());
  auto imported = store.import(fixture("notary-keys/docker-trust-dir"), {});
  REQUIRE(imported.ok());
  REQUIRE(imported->size() == 3);
  for (const auto& k : *imported) CHECK(k.key.notary_id == k.source_id);
  CHECK(store.find("b85c39ab4af7944bed26d37d45d9a98befdc7b2be7018e8a8d37d3a8331bd28d")->role ==
        "bob");

  // `notary key generate -o alice` output: encrypted, role header, any file name.
  pass.set(RoleClass::kDelegation, "delegpass123");
  auto alice = store.import(fixture("notary-keys/delegation-keys/alice-key.pem"), {});
  REQUIRE(alice.ok());
  REQUIRE(alice->size() == 1);
  CHECK((*alice)[0].key.role == "targets/alice");
  CHECK((*alice)[0].key.notary_id ==
        "5a12d6d552467a3d86d049c2eafbfecde61afedc7c044a7838454732bcd34be5");

  // An unencrypted PKCS#8 key has no role: --role is required.
  auto no_role = store.import(fixture("notary-keys/delegation-keys/releases.key"), {});
  REQUIRE_FALSE(no_role.ok());
  CHECK(no_role.error().code() == ErrorCode::kUsage);
  CHECK_THAT(no_role.error().message(), Catch::Contains("has no role: header; pass --role"));
  auto releases = store.import(fixture("notary-keys/delegation-keys/releases.key"),
                               {"targets/releases", "localhost:5000/secure-app"});
  REQUIRE(releases.ok());
  CHECK((*releases)[0].key.notary_id ==
        "dcba8a5a54c8cc36ee3283551a877c8ab2e6635ab1ed01e89993a497fbfd1f4a");
  CHECK((*releases)[0].key.gun == "localhost:5000/secure-app");

  auto pub = store.import(fixture("notary-keys/delegation-keys/alice.pem"), {});
  REQUIRE_FALSE(pub.ok());
  CHECK_THAT(pub.error().message(),
             Catch::EndsWith("holds only a public key: import needs the private key"));
}

TEST_CASE("keystore: a wrong passphrase imports nothing", "[keystore][notary]") {
  TempDir tmp;
  auto wrong = kNotaryPassphrases;
  wrong[RoleClass::kSnapshot] = "not-snappass";
  MapSource pass(wrong);
  KeyStore store(tmp.path, pass, fast());
  auto imported = store.import(fixture("notary-keys/notary-trust-dir"), {});
  REQUIRE_FALSE(imported.ok());
  CHECK(imported.error().code() == ErrorCode::kAuth);
  CHECK(imported.error().message() ==
        "wrong passphrase for key b35c0094719484a280f2fda5a509f5c81723dcbe53f5f9ca5769b8d88076e665"
        " (role snapshot); the passphrase came from test map");
  CHECK(store.list()->empty());
}

TEST_CASE("keystore: a key file whose role header is not a role is skipped", "[keystore]") {
  TempDir tmp;
  MapSource pass({{RoleClass::kDelegation, "deleg-pass"}});
  KeyStore store(tmp.path, pass, fast());
  auto info = store.generate(KeyType::kEd25519, "bob", "");
  REQUIRE(info.ok());
  std::string text = read_text(info->path);
  const auto at = text.find("role: bob\n");
  REQUIRE(at != std::string::npos);
  // A terminal escape and a byte that is not UTF-8: neither may reach output or JSON.
  text.replace(at, 10, "role: \x1b[2J\xff\n");
  testing::write_text(info->path, text);
  auto keys = store.list();
  REQUIRE(keys.ok());
  CHECK(keys->empty());
  auto found = store.find(info->id);
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().code() == ErrorCode::kIo);
  CHECK_THAT(found.error().message(), Catch::Contains("invalid role"));
}

TEST_CASE("keystore: roles and repository names are validated", "[keystore]") {
  CHECK(keystore::validate_role("targets/releases").ok());
  CHECK(keystore::validate_role("bob").ok());
  CHECK(keystore::validate_role("").error().code() == ErrorCode::kUsage);
  CHECK_FALSE(keystore::validate_role("targets//x").ok());
  CHECK_FALSE(keystore::validate_role("evil\nrole: root").ok());
  CHECK(keystore::validate_gun("localhost:5000/secure-app").ok());
  CHECK_FALSE(keystore::validate_gun("a b").ok());
  CHECK_FALSE(keystore::validate_gun("x\ngun: y").ok());
}
