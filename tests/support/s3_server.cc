#include "support/s3_server.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "net/http_client.h"
#include "s3/addressing.h"
#include "s3/sigv4.h"
#include "support/temp_dir.h"

#ifndef WEFT_SOURCE_DIR
#error "WEFT_SOURCE_DIR must be defined (tests/support/CMakeLists.txt)"
#endif

namespace weft::test {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr std::size_t kLogTail = 4000;
const char* const kInstallHint =
    "run scripts/install-deps.sh (or: cd tests/fakes/s3rver && npm ci)";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  const std::string text = out.str();
  return text.size() <= kLogTail ? text : "..." + text.substr(text.size() - kLogTail);
}

bool is_executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// WEFT_NODE, else `node` (or Debian's older `nodejs`) on the PATH.
std::string find_node() {
  if (const char* env = std::getenv("WEFT_NODE"); env != nullptr && *env != '\0') {
    if (is_executable(env)) return env;
    throw std::runtime_error(std::string("WEFT_NODE=") + env + " is not an executable");
  }
  const char* path = std::getenv("PATH");
  for (const char* name : {"node", "nodejs"}) {
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && is_executable(fs::path(dir) / name))
        return (fs::path(dir) / name).string();
    }
  }
  throw std::runtime_error(std::string("Node.js (node) is not on the PATH; the S3 tests need it "
                                       "to run s3rver: ") +
                           kInstallHint);
}

fs::path launcher_dir() { return fs::path(WEFT_SOURCE_DIR) / "tests" / "fakes" / "s3rver"; }

std::string fail_message(const std::string& what, const Error& error) {
  return what + ": " + error.message();
}

// Results need not be default-constructible (co_spawn's completion would need that).
template <typename T>
asio::awaitable<void> store(asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

// Runs `make(client)` to completion on a private io_context with a client on `bucket`.
// Throws what the coroutine throws.
template <typename T, typename Make>
T with_client(const S3Server& server, const std::string& bucket, int connections, Make make) {
  asio::io_context io;
  net::HttpClientOptions options;
  options.name = "s3 test helper";
  options.proxy = {};  // 127.0.0.1 directly, whatever HTTP_PROXY says
  options.max_idle_connections_per_host = static_cast<std::size_t>(connections);
  auto http = net::HttpClient::create(io.get_executor(), std::move(options), {});
  if (!http.ok()) throw std::runtime_error(http.error().message());
  auto client = s3::Client::create(*http, server.client_options(bucket));
  if (!client.ok()) throw std::runtime_error(client.error().message());
  std::optional<T> result;
  std::exception_ptr error;
  // Pooled connections would keep io.run() busy until their idle timeout: stop right away.
  asio::co_spawn(io, store(make(**client), &result), [&](std::exception_ptr e) {
    error = e;
    (*http)->close_idle();
    io.stop();
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

asio::awaitable<Status> put_one(s3::Client& client, std::string key, std::string body) {
  auto etag = co_await client.put(key, std::move(body));
  if (!etag.ok()) co_return etag.error();
  co_return Status::ok_status();
}

// Puts objects[next...] one after another, sharing `next` with the other workers.
asio::awaitable<Status> put_worker(s3::Client& client,
                                   const std::vector<std::pair<std::string, std::string>>& objects,
                                   std::size_t& next) {
  while (next < objects.size()) {
    const auto& [key, body] = objects[next++];
    std::string name = key;
    std::string content = body;
    Status put = co_await put_one(client, std::move(name), std::move(content));
    if (!put.ok()) co_return put;
  }
  co_return Status::ok_status();
}

asio::awaitable<Status> put_all(s3::Client& client,
                                const std::vector<std::pair<std::string, std::string>>& objects,
                                int parallelism) {
  if (objects.empty()) co_return Status::ok_status();
  std::size_t next = 0;
  std::vector<std::optional<Status>> results(static_cast<std::size_t>(parallelism));
  const auto executor = co_await asio::this_coro::executor;
  std::size_t done = 0;
  asio::steady_timer all_done(executor, std::chrono::steady_clock::time_point::max());
  for (auto& slot : results) {
    asio::co_spawn(executor, put_worker(client, objects, next),
                   [&slot, &done, &all_done, &results](std::exception_ptr e, Status status) {
                     slot.emplace(e ? Status(Error::permanent("put worker threw")) : status);
                     if (++done == results.size()) all_done.cancel();
                   });
  }
  if (done < results.size()) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  for (auto& result : results) {
    if (!result->ok()) co_return *result;
  }
  co_return Status::ok_status();
}

asio::awaitable<Status> create_bucket_request(std::string endpoint, std::string bucket,
                                              s3::Credentials credentials) {
  auto address = s3::bucket_address(bucket, "us-east-1", endpoint, true);
  if (!address.ok()) co_return address.error();
  s3::SigningRequest signing;
  signing.method = "PUT";
  signing.host = address->host;
  signing.path = address->bucket_path();
  signing.region = "us-east-1";
  signing.service = "s3";
  signing.time = std::chrono::system_clock::now();
  auto signed_request = s3::sign(signing, credentials);
  if (!signed_request.ok()) co_return signed_request.error();
  net::ClientRequest request;
  request.method = "PUT";
  request.url = address->url(signed_request->path, signed_request->query_string);
  for (const auto& header : signed_request->headers_to_add) {
    request.headers.emplace_back(header.name, header.value);
  }
  net::HttpClientOptions options;
  options.proxy = {};
  auto http = net::HttpClient::create(co_await asio::this_coro::executor, options, {});
  if (!http.ok()) co_return http.error();
  net::ClientRequest shown = request;
  auto response = co_await (*http)->send(std::move(request));
  if (!response.ok()) co_return response.error();
  if (response->status == 409 &&
      (response->body.find("BucketAlreadyOwnedByYou") != std::string::npos ||
       response->body.find("BucketAlreadyExists") != std::string::npos)) {
    co_return Status::ok_status();
  }
  if (auto error = s3::parse_error_body(response->body)) co_return *error;
  co_return net::check_status(shown, *response);
}

}  // namespace

S3Server::S3Server() = default;

S3Server::~S3Server() {
  stop();
  dir_.reset();
}

S3Server& S3Server::shared() {
  static std::mutex mu;
  static std::unique_ptr<S3Server> server;
  std::lock_guard<std::mutex> lock(mu);
  if (!server) {
    auto started = std::make_unique<S3Server>();
    started->start();
    server = std::move(started);
  }
  return *server;
}

void S3Server::start() {
  if (running()) return;
  const std::string node = find_node();
  const fs::path dir = launcher_dir();
  if (!fs::exists(dir / "node_modules" / "s3rver" / "package.json")) {
    throw std::runtime_error("s3rver is not installed in " + (dir / "node_modules").string() +
                             ": " + kInstallHint);
  }
  if (!dir_) dir_ = std::make_unique<TempDir>();
  const std::string data = (dir_->path() / "data").string();
  const std::string log = (dir_->path() / "s3rver.log").string();
  const std::string script = (dir / "run.js").string();
  // s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its
  // legacy provider.
  std::vector<std::string> args = {
      node, "--openssl-legacy-provider", script, "--directory", data, "--port", "0"};
  process_.start(args, log);
  const std::string line = process_.read_line(kStartTimeout).value_or("");
  int port = 0;
  try {
    port = std::stoi(line);
  } catch (const std::exception&) {
    port = 0;
  }
  if (port <= 0 || port > 65535) {
    stop();
    throw std::runtime_error("s3rver did not start (" + node + " " + script + ", printed '" + line +
                             "'); if its modules are missing or stale, " + kInstallHint +
                             "\nstderr (" + log + "):\n" + read_file(log));
  }
  port_ = port;
}

void S3Server::stop() { process_.stop(); }  // stdin's EOF: run.js closes the server and exits

std::string S3Server::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

s3::Credentials S3Server::credentials() const {
  s3::Credentials credentials;
  credentials.access_key_id = kAccessKeyId;
  credentials.secret_access_key = kSecretAccessKey;
  return credentials;
}

s3::ClientOptions S3Server::client_options(const std::string& bucket) const {
  s3::ClientOptions options;
  options.bucket = bucket;
  options.region = "us-east-1";
  options.endpoint = endpoint();
  options.path_style = true;
  options.credentials = credentials();
  return options;
}

std::string S3Server::server_log() const {
  return dir_ ? read_file(dir_->path() / "s3rver.log") : std::string();
}

void S3Server::create_bucket(const std::string& bucket) const {
  asio::io_context io;
  std::optional<Status> result;
  std::exception_ptr thrown;
  asio::co_spawn(io, create_bucket_request(endpoint(), bucket, credentials()),
                 [&](std::exception_ptr e, Status status) {
                   thrown = e;
                   result.emplace(std::move(status));
                 });
  io.run();
  if (thrown) std::rethrow_exception(thrown);
  if (!result->ok())
    throw std::runtime_error(fail_message("create bucket " + bucket, result->error()));
}

void S3Server::put_object(const std::string& bucket, const std::string& key,
                          const std::string& body) const {
  put_objects(bucket, {{key, body}}, 1);
}

void S3Server::put_objects(const std::string& bucket,
                           const std::vector<std::pair<std::string, std::string>>& objects,
                           int parallelism) const {
  const int workers = std::max(1, parallelism);
  const Status status = with_client<Status>(*this, bucket, workers, [&](s3::Client& client) {
    return put_all(client, objects, workers);
  });
  if (!status.ok()) throw std::runtime_error(fail_message("put objects", status.error()));
}

std::string S3Server::get_object(const std::string& bucket, const std::string& key) const {
  auto range = with_client<Result<s3::ObjectRange>>(*this, bucket, 1, [&](s3::Client& client) {
    return client.get_range(key, 0, UINT64_MAX, std::nullopt);
  });
  if (!range.ok()) throw std::runtime_error(fail_message("get object", range.error()));
  return std::move(range->body);
}

void S3Server::delete_object(const std::string& bucket, const std::string& key) const {
  const Status status =
      with_client<Status>(*this, bucket, 1, [&](s3::Client& client) { return client.remove(key); });
  if (!status.ok()) throw std::runtime_error(fail_message("delete object", status.error()));
}

std::vector<std::string> S3Server::list_keys(const std::string& bucket,
                                             const std::string& prefix) const {
  std::vector<std::string> keys;
  s3::ListObjectsRequest request;
  request.prefix = prefix;
  for (;;) {
    auto page = with_client<Result<s3::ListObjectsPage>>(
        *this, bucket, 1, [&](s3::Client& client) { return client.list(request); });
    if (!page.ok()) throw std::runtime_error(fail_message("list objects", page.error()));
    for (const auto& object : page->objects) keys.push_back(object.key);
    if (!page->next_continuation_token) return keys;
    request.continuation_token = page->next_continuation_token;
  }
}

}  // namespace weft::test
