#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "trustctl/core/fs.h"

using namespace trustctl;

namespace {
std::string temp_dir() {
  char tmpl[] = "/tmp/trustctl-fs-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}
mode_t mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("write_file_atomic replaces content, sets the mode and leaves no temp file") {
  auto dir = temp_dir();
  auto path = dir + "/key";
  ::umask(022);
  REQUIRE(fs::write_file_atomic(path, "old", 0600).ok());
  REQUIRE(fs::write_file_atomic(path, "new content", 0600).ok());
  CHECK(fs::read_file(path).value() == "new content");
  CHECK(mode_of(path) == 0600);
  int entries = 0;
  for (auto* d = ::opendir(dir.c_str()); d;) {
    auto* e = ::readdir(d);
    if (!e) {
      ::closedir(d);
      break;
    }
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++entries;
  }
  CHECK(entries == 1);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("write_file_atomic into a missing folder fails with an io error naming the path") {
  auto r = fs::write_file_atomic("/nonexistent-trustctl/x", "data");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
  CHECK(r.error().message().find("/nonexistent-trustctl/x") != std::string::npos);
}

TEST_CASE("make_dirs creates nested folders with the requested mode") {
  auto dir = temp_dir();
  REQUIRE(fs::make_dirs(dir + "/a/b/c", 0700).ok());
  CHECK(mode_of(dir + "/a/b/c") == 0700);
  CHECK(mode_of(dir + "/a") == 0700);
  REQUIRE(fs::write_file_atomic(dir + "/file", "x").ok());
  CHECK_FALSE(fs::make_dirs(dir + "/file").ok());
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("read_file of a missing file is an io error") {
  auto r = fs::read_file("/nonexistent-trustctl-file");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
}
