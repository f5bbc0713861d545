// Local files: whole-file reads and crash-safe writes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "trustctl/core/result.h"

namespace trustctl::fs {

Result<std::string> read_file(const std::string& path);
bool exists(const std::string& path);

// Writes `data` to `path` atomically: a temporary file in the same folder is written, fsynced,
// given `mode`, and renamed over `path`; then the folder is fsynced. A crash leaves either the
// old file or the new one, never a mix. The folder must exist.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600);

// Creates `path` and missing parents; folders it creates get `mode`.
Status make_dirs(const std::string& path, mode_t mode = 0700);

// Like make_dirs for `path` inside `base` ("base/a/b"), but no folder below `base` may be a
// symbolic link or anything but a folder (kIo naming it): state kept below `base` cannot be
// redirected elsewhere. With `create` false nothing is created; missing folders are fine.
Status check_dirs_below(const std::string& base, const std::string& path, bool create,
                        mode_t mode = 0700);

// Reads a regular file of at most `max_bytes`: a symbolic link, a FIFO, a device or a folder is
// refused without being read or blocking (kIntegrity), as is a larger file; kNotFound when it
// does not exist. For files an attacker may have prepared (an export folder).
Result<std::string> read_regular_file(const std::string& path, std::uint64_t max_bytes);

std::string home_dir();

}  // namespace trustctl::fs
