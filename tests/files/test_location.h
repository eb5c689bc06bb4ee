#pragma once

// Where a files source test puts its files: a local directory or a bucket of the s3rver test
// server. The same source tests run against both (files_source_test.cc).

#include <memory>
#include <string>
#include <vector>

namespace weft::files::testing {

class TestLocation {
 public:
  virtual ~TestLocation() = default;
  // The `url:` of the source block, and any further settings (endpoint, credentials) as YAML
  // lines.
  virtual std::string url() const = 0;
  virtual std::string settings() const = 0;
  // Writes an object (replacing one with the same key: a new version).
  virtual void put(const std::string& key, const std::string& bytes) = 0;
  virtual void remove(const std::string& key) = 0;
  // Every key at the location's root, sorted.
  virtual std::vector<std::string> keys() const = 0;
  // Many small objects at once.
  virtual void put_many(const std::vector<std::pair<std::string, std::string>>& objects) {
    for (const auto& [key, bytes] : objects) put(key, bytes);
  }
};

// "local": a fresh directory; "s3": a fresh bucket on the shared s3rver.
std::unique_ptr<TestLocation> make_location(const std::string& kind, const std::string& name);

}  // namespace weft::files::testing
