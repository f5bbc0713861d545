#include "trustctl/core/fs.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "support/temp_dir.h"

using namespace trustctl;

namespace {
mode_t mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("write_file_atomic replaces content, sets the mode and leaves no temp file") {
  testing::TempDir tmp;
  const auto& dir = tmp.path;
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
}

TEST_CASE("write_file_atomic into a missing folder fails with an io error naming the path") {
  auto r = fs::write_file_atomic("/nonexistent-trustctl/x", "data");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
  CHECK(r.error().message().find("/nonexistent-trustctl/x") != std::string::npos);
}

TEST_CASE("make_dirs creates nested folders with the requested mode") {
  testing::TempDir tmp;
  const auto& dir = tmp.path;
  REQUIRE(fs::make_dirs(dir + "/a/b/c", 0700).ok());
  CHECK(mode_of(dir + "/a/b/c") == 0700);
  CHECK(mode_of(dir + "/a") == 0700);
  REQUIRE(fs::write_file_atomic(dir + "/file", "x").ok());
  CHECK_FALSE(fs::make_dirs(dir + "/file").ok());
}

TEST_CASE("read_file of a missing file is an io error") {
  auto r = fs::read_file("/nonexistent-trustctl-file");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kIo);
}

TEST_CASE("read_regular_file refuses links, FIFOs, devices, folders and files over the cap") {
  testing::TempDir tmp;
  const auto& dir = tmp.path;
  REQUIRE(fs::write_file_atomic(dir + "/ok", "12345", 0600).ok());
  CHECK(fs::read_regular_file(dir + "/ok", 5).value() == "12345");
  auto big = fs::read_regular_file(dir + "/ok", 4);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code() == ErrorCode::kIntegrity);
  REQUIRE(::symlink((dir + "/ok").c_str(), (dir + "/link").c_str()) == 0);
  auto link = fs::read_regular_file(dir + "/link", 100);
  REQUIRE_FALSE(link.ok());
  CHECK(link.error().code() == ErrorCode::kIntegrity);
  CHECK(link.error().message().find("symbolic link") != std::string::npos);
  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  auto fifo = fs::read_regular_file(dir + "/fifo", 100);  // must not block for a writer
  REQUIRE_FALSE(fifo.ok());
  CHECK(fifo.error().message().find("not a regular file") != std::string::npos);
  CHECK_FALSE(fs::read_regular_file("/dev/zero", 100).ok());
  CHECK_FALSE(fs::read_regular_file(dir, 100).ok());
  auto missing = fs::read_regular_file(dir + "/missing", 100);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("check_dirs_below creates folders and refuses a link or a file on the way") {
  testing::TempDir tmp;
  const auto& dir = tmp.path;
  REQUIRE(fs::check_dirs_below(dir, dir + "/a/b/c", true, 0700).ok());
  CHECK(mode_of(dir + "/a/b/c") == 0700);
  CHECK(fs::check_dirs_below(dir, dir + "/x/y", false).ok());  // missing is fine
  CHECK_FALSE(fs::exists(dir + "/x"));
  testing::TempDir other_tmp;
  const auto& other = other_tmp.path;
  REQUIRE(::symlink(other.c_str(), (dir + "/a/link").c_str()) == 0);
  auto linked = fs::check_dirs_below(dir, dir + "/a/link/deeper", true);
  REQUIRE_FALSE(linked.ok());
  CHECK(linked.error().message().find("symbolic link") != std::string::npos);
  CHECK_FALSE(fs::exists(other + "/deeper"));  // nothing created through the link
  REQUIRE(fs::write_file_atomic(dir + "/a/file", "x", 0600).ok());
  CHECK_FALSE(fs::check_dirs_below(dir, dir + "/a/file/z", true).ok());
  CHECK_FALSE(fs::check_dirs_below(dir, "/elsewhere/x", true).ok());
}
