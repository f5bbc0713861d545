#include "trustctl/core/log.h"

#include <atomic>
#include <cstdio>
#include <string>

namespace trustctl::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

void emit(Level at, std::string_view prefix, std::string_view message) {
  if (at < g_level.load()) return;
  std::string line;
  line.reserve(prefix.size() + message.size() + 1);
  line.append(prefix).append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(); }
bool debug_enabled() { return g_level.load() <= Level::kDebug; }

void debug(std::string_view message) { emit(Level::kDebug, "debug: ", message); }
void info(std::string_view message) { emit(Level::kInfo, "", message); }
void warn(std::string_view message) { emit(Level::kWarn, "warning: ", message); }
void error(std::string_view message) { emit(Level::kError, "error: ", message); }

}  // namespace trustctl::log
