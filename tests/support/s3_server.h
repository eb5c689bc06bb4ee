#pragma once

// A real S3-compatible server for integration tests: s3rver (npm, pinned in
// tests/fakes/s3rver/package.json) started under Node.js through tests/fakes/s3rver/run.js.
//
//   auto& s3 = weft::test::S3Server::shared();            // started once per test binary
//   s3.create_bucket("files-csv");                         // a bucket per test keeps them apart
//   s3.put_object("files-csv", "in/a.csv", "id,name\n1,x\n");
//   point the code under test at s3.client_options("files-csv") (endpoint, path style, keys)
//   EXPECT_EQ(s3.list_keys("files-csv", "done/"), std::vector<std::string>{"done/a.csv"});
//
// The server keeps its objects in a fresh TempDir, listens on 127.0.0.1 on a port the kernel
// picks (so parallel test binaries never collide), accepts path-style requests signed with
// S3RVER / S3RVER, and exits when its stdin closes: a test process that dies, even by kill -9,
// takes its server with it.
//
// Node.js (`node` on the PATH, or WEFT_NODE) and s3rver's node_modules must be installed; when
// they are not, start() throws saying to run scripts/install-deps.sh. Nothing skips silently.
//
// Thread-safety: the helpers (create_bucket, put_object...) may be called from any thread, each
// call runs its own io_context; start() and stop() must not race with anything else.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "s3/s3_client.h"
#include "support/child_process.h"

namespace weft::test {

class TempDir;

class S3Server {
 public:
  static constexpr const char* kAccessKeyId = "S3RVER";
  static constexpr const char* kSecretAccessKey = "S3RVER";

  S3Server();
  // Stops the server if it runs, then removes its directory.
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  // One server per test process, started on first use and stopped at exit. Throws what start()
  // throws (a later call tries again).
  static S3Server& shared();

  // Starts s3rver and waits (up to 30 s) until it prints its port. After stop(), starts again on
  // the same data (buckets and objects kept), on a new port. Throws std::runtime_error when
  // node or s3rver is missing (with the command that installs them) or the server fails to
  // start (with its stderr).
  void start();
  // SIGTERM and wait; no-op when not running.
  void stop();
  bool running() const { return process_.running(); }

  int port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string endpoint() const;
  s3::Credentials credentials() const;
  // Options for an s3::Client (or a files source) on `bucket` of this server: endpoint, path
  // style, region us-east-1, S3RVER credentials.
  s3::ClientOptions client_options(const std::string& bucket) const;
  // s3rver's stderr so far (startup errors; request logs are off).
  std::string server_log() const;

  // Synchronous helpers for test setup and assertions. Each throws std::runtime_error with the
  // S3 error on failure.
  //
  // CreateBucket; an existing bucket is fine.
  void create_bucket(const std::string& bucket) const;
  void put_object(const std::string& bucket, const std::string& key, const std::string& body) const;
  // Many objects at once, `parallelism` requests in flight (1,000 small objects take ~1 s).
  void put_objects(const std::string& bucket,
                   const std::vector<std::pair<std::string, std::string>>& objects,
                   int parallelism = 16) const;
  std::string get_object(const std::string& bucket, const std::string& key) const;
  void delete_object(const std::string& bucket, const std::string& key) const;
  // Every key under `prefix`, in order, following continuation tokens.
  std::vector<std::string> list_keys(const std::string& bucket,
                                     const std::string& prefix = "") const;

 private:
  std::unique_ptr<TempDir> dir_;
  ChildProcess process_;  // node running run.js
  int port_ = 0;
};

}  // namespace weft::test
