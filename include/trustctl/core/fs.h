// Local files: whole-file reads and crash-safe writes.
#pragma once

#include <string>
#include <sys/types.h>

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

std::string home_dir();

}  // namespace trustctl::fs
