// Where key passphrases come from: the environment, else a no-echo prompt on the terminal, else
// a clear error at once (never a hang). Precedence per role (docs/keys.md):
//   root        TRUSTCTL_ROOT_PASSPHRASE, DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE
//   targets     TRUSTCTL_REPOSITORY_PASSPHRASE, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE
//   snapshot    TRUSTCTL_SNAPSHOT_PASSPHRASE, DOCKER_CONTENT_TRUST_SNAPSHOT_PASSPHRASE, then the
//               two repository variables (timestamp likewise with *_TIMESTAMP_*)
//   delegation  TRUSTCTL_DELEGATION_PASSPHRASE, DOCKER_CONTENT_TRUST_DELEGATION_PASSPHRASE, then
//               DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (docker encrypts signer keys with it)
//   new passphrase of `key passwd`: TRUSTCTL_NEW_PASSPHRASE
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/secret.h"

namespace trustctl::keystore {

enum class RoleClass { kRoot, kTargets, kSnapshot, kTimestamp, kDelegation };

// "root", "targets", "snapshot", "timestamp"; anything else ("targets/releases", "bob") is a
// delegation.
RoleClass classify_role(std::string_view role);

// The environment variables consulted for a role's passphrase, in order of precedence.
std::vector<std::string_view> passphrase_variables(RoleClass role_class);
inline constexpr std::string_view kNewPassphraseVariable = "TRUSTCTL_NEW_PASSPHRASE";
inline constexpr std::size_t kMinPassphraseLength = 8;

struct PassphraseRequest {
  std::string key_id;      // for the prompt and messages; may be empty
  std::string role;        // "targets", "targets/releases", "bob", ...
  bool creating = false;   // a passphrase for a new encryption: asked twice, minimum length
  bool replacing = false;  // the new passphrase of `key passwd` (TRUSTCTL_NEW_PASSPHRASE)
  int attempt = 0;         // 0 first; >0 after the previous answer was wrong
};

class PassphraseSource {
 public:
  virtual ~PassphraseSource() = default;
  // A passphrase for `request`, or kAuth when there is none (or no further attempt makes sense).
  virtual Result<crypto::SecretBytes> get(const PassphraseRequest& request) = 0;
  // Where the last answer came from ("TRUSTCTL_REPOSITORY_PASSPHRASE", "terminal"); never the
  // value itself.
  virtual std::string last_origin() const = 0;
};

// The product's rule: environment first, then the terminal when stdin is a TTY, else kAuth.
class EnvTtyPassphraseSource : public PassphraseSource {
 public:
  Result<crypto::SecretBytes> get(const PassphraseRequest& request) override;
  std::string last_origin() const override { return origin_; }

 private:
  std::string origin_;
};

// One fixed passphrase (programmatic use and tests).
class FixedPassphraseSource : public PassphraseSource {
 public:
  explicit FixedPassphraseSource(std::string_view passphrase) : passphrase_(passphrase) {}
  Result<crypto::SecretBytes> get(const PassphraseRequest& request) override;
  std::string last_origin() const override { return "fixed passphrase"; }

 private:
  crypto::SecretBytes passphrase_;
};

bool stdin_is_tty();

// Reads one line from terminal `fd` with echo off, after writing `prompt` to it. With `confirm`,
// asks again and retries (up to 3 times) when the two differ. Restores the terminal on return
// and on SIGINT/SIGTERM/SIGHUP.
Result<crypto::SecretBytes> prompt_passphrase(int fd, std::string_view prompt,
                                              std::string_view confirm_prompt = {});

// Asks a yes/no question on /dev/tty (only when stdin is a TTY); false without a TTY.
bool confirm_on_tty(std::string_view question);

}  // namespace trustctl::keystore
