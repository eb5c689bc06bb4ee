#include "files/test_location.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "support/s3_server.h"
#include "support/temp_dir.h"

namespace weft::files::testing {
namespace {

namespace fs = std::filesystem;

class LocalLocation final : public TestLocation {
 public:
  std::string url() const override { return "file://" + dir_.path().string(); }
  std::string settings() const override { return ""; }
  void put(const std::string& key, const std::string& bytes) override {
    // Written aside and renamed, as a careful producer does: the source never sees half a file.
    const fs::path target = dir_.path() / key;
    fs::create_directories(target.parent_path());
    const fs::path part = target.parent_path() / ("." + target.filename().string() + ".part");
    {
      std::ofstream out(part, std::ios::binary | std::ios::trunc);
      out << bytes;
      if (!out) throw std::runtime_error("cannot write " + part.string());
    }
    fs::rename(part, target);
  }
  void remove(const std::string& key) override { fs::remove(dir_.path() / key); }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) out.push_back(entry.path().lexically_relative(dir_.path()).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  test::TempDir dir_;
};

class S3Location final : public TestLocation {
 public:
  explicit S3Location(const std::string& name) : server_(test::S3Server::shared()) {
    static std::atomic<int> counter{0};
    bucket_ = name + "-" + std::to_string(counter++);
    for (char& c : bucket_) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
    }
    std::transform(bucket_.begin(), bucket_.end(), bucket_.begin(), ::tolower);
    if (bucket_.size() > 60) bucket_ = bucket_.substr(bucket_.size() - 60);
    while (!bucket_.empty() && !std::isalnum(static_cast<unsigned char>(bucket_[0]))) {
      bucket_.erase(0, 1);
    }
    server_.create_bucket(bucket_);
  }
  std::string url() const override { return "s3://" + bucket_ + "/"; }
  std::string settings() const override {
    return "endpoint: " + server_.endpoint() + "\naccess_key_id: " +
           test::S3Server::kAccessKeyId + "\nsecret_access_key: " +
           test::S3Server::kSecretAccessKey + "\n";
  }
  void put(const std::string& key, const std::string& bytes) override {
    server_.put_object(bucket_, key, bytes);
  }
  void put_many(const std::vector<std::pair<std::string, std::string>>& objects) override {
    server_.put_objects(bucket_, objects);
  }
  void remove(const std::string& key) override { server_.delete_object(bucket_, key); }
  std::vector<std::string> keys() const override { return server_.list_keys(bucket_); }

 private:
  test::S3Server& server_;
  std::string bucket_;
};

}  // namespace

std::unique_ptr<TestLocation> make_location(const std::string& kind, const std::string& name) {
  if (kind == "s3") return std::make_unique<S3Location>(name);
  return std::make_unique<LocalLocation>();
}

}  // namespace weft::files::testing
