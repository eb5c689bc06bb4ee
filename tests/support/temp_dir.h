#pragma once

// A scratch directory for tests: created fresh under the system temp dir, removed with
// everything in it on destruction (permissions restored first, for tests that took them away).

#include <filesystem>
#include <string>

namespace weft::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The full path of `name` inside the directory, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `content` to `relative` (creating parent directories); returns the full path.
  std::string write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace weft::test
