// Private to the image module: the little of tar that docker archives need. The reader indexes
// an archive (ustar, pax and GNU long names) without extracting anything; the writer emits
// ustar entries for names under 100 bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "file_util.h"
#include "trustctl/core/result.h"

namespace trustctl::image::detail {

struct TarEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink, kOther };
  Type type = Type::kOther;
  std::uint64_t offset = 0;  // of the data in the archive
  std::uint64_t size = 0;
  std::string link;  // target of links
};

struct TarLimits {
  std::uint64_t max_entries;
  std::uint64_t max_name_bytes = 1024;
  std::uint64_t max_pax_bytes = 64 * 1024;
};

// Entries by normalised name ("a/b", no "./", no trailing '/'). kIntegrity naming the entry for
// absolute names or `..` components, a bad header checksum, a size past the end of the
// archive, a name given twice, more than max_entries entries or oversized pax/long names.
Result<std::map<std::string, TarEntry>> index_tar(const File& archive, const TarLimits& limits,
                                                  const std::string& what);

// Follows symbolic and hard links inside the archive (at most 8) to a regular file;
// kIntegrity when a link leaves the archive or ends anywhere else, kNotFound when absent.
Result<TarEntry> resolve_tar_file(const std::map<std::string, TarEntry>& entries,
                                  const std::string& name, const std::string& what);

// "a/./b/../c" -> "a/c"; an empty result for names that climb out or are absolute.
std::string normalise_tar_name(std::string_view name);

// A ustar header for a regular file (mode 0644, owner 0, mtime 0), sizes beyond the octal field
// in GNU base-256. `name` must be under 100 bytes.
std::string tar_file_header(const std::string& name, std::uint64_t size);
// Zero bytes that pad `size` bytes of data to a 512-byte block.
std::string tar_padding(std::uint64_t size);
// The two zero blocks that end an archive.
std::string tar_end();

}  // namespace trustctl::image::detail
