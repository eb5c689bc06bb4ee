// s3::Client against a real S3-compatible server (s3rver, started by tests/support/s3_server.h).
#include "s3/s3_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cctype>
#include <cstdio>
#include <limits>
#include <optional>
#include <thread>

#include "net/http_client.h"
#include "support/s3_server.h"

namespace weft::s3 {
namespace {

namespace asio = boost::asio;
using test::S3Server;

constexpr std::uint64_t kToEnd = std::numeric_limits<std::uint64_t>::max();

template <typename T>
asio::awaitable<void> store(asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

// Each test gets a bucket of its own and clients on an io_context with a thread of its own (the
// HTTP client's pooled connections live across calls, as in a pipeline).
class S3ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = &S3Server::shared();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    bucket_ = "t-";
    for (char c : std::string(info->name())) {
      bucket_ +=
          std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
    }
    bucket_.resize(std::min<std::size_t>(bucket_.size(), 60));
    server_->create_bucket(bucket_);
    client_ = make_client(server_->client_options(bucket_));
  }

  void TearDown() override {
    client_.reset();
    http_.reset();
    work_.reset();
    thread_.join();
  }

  std::unique_ptr<Client> make_client(ClientOptions options) {
    if (!http_) {
      net::HttpClientOptions http_options;
      http_options.proxy = {};
      http_options.max_idle_connections_per_host = 32;
      http_options.read_timeout = std::chrono::seconds(10);
      auto http = net::HttpClient::create(io_.get_executor(), std::move(http_options), {});
      EXPECT_TRUE(http.ok());
      http_ = std::move(*http);
    }
    auto client = Client::create(http_, std::move(options));
    EXPECT_TRUE(client.ok()) << client.error().message();
    return client.ok() ? std::move(*client) : nullptr;
  }

  template <typename T>
  T run(asio::awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(io_, store(std::move(op), &result), asio::use_future).get();
    return std::move(*result);
  }

  std::string put(const std::string& key, std::string body, Client* client = nullptr) {
    auto etag = run((client != nullptr ? client : client_.get())->put(key, std::move(body)));
    EXPECT_TRUE(etag.ok()) << etag.error().message();
    return etag.ok() ? *etag : std::string();
  }

  Result<ObjectRange> get(const std::string& key, std::uint64_t offset = 0,
                          std::uint64_t length = kToEnd,
                          std::optional<std::string> if_match = std::nullopt) {
    return run(client_->get_range(key, offset, length, std::move(if_match)));
  }

  std::vector<std::string> list_all(ListObjectsRequest request, int* pages = nullptr) {
    std::vector<std::string> keys;
    for (int n = 1;; ++n) {
      auto page = run(client_->list(request));
      EXPECT_TRUE(page.ok()) << page.error().message();
      if (!page.ok()) return keys;
      for (const auto& object : page->objects) keys.push_back(object.key);
      if (pages != nullptr) *pages = n;
      if (!page->is_truncated) return keys;
      request.continuation_token = page->next_continuation_token;
      request.start_after.reset();
    }
  }

  S3Server* server_ = nullptr;
  std::string bucket_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_{[this] { io_.run(); }};
  std::shared_ptr<net::HttpClient> http_;
  std::unique_ptr<Client> client_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(S3ClientTest, PutThenGetRoundTripsTheBytesAndTheETag) {
  const std::string body =
      std::string("id,name\n1,\xc3\xa9t\xc3\xa9\n") + std::string(1, '\0') + "x";
  const std::string etag = put("in/a.csv", body);
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(etag.find('"'), std::string::npos);

  auto got = get("in/a.csv");
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->body, body);
  EXPECT_EQ(got->total_size, body.size());
  EXPECT_EQ(got->etag, etag);
}

TEST_F(S3ClientTest, RangedReadsReturnTheRequestedBytesAndTheWholeSize) {
  std::string body;
  for (int i = 0; i < 100; ++i) body += static_cast<char>('A' + i % 26);
  put("r.bin", body);

  auto middle = get("r.bin", 10, 20);
  ASSERT_TRUE(middle.ok()) << middle.error().message();
  EXPECT_EQ(middle->body, body.substr(10, 20));
  EXPECT_EQ(middle->total_size, 100u);

  auto end = get("r.bin", 90, 50);
  ASSERT_TRUE(end.ok()) << end.error().message();
  EXPECT_EQ(end->body, body.substr(90));
  EXPECT_EQ(end->total_size, 100u);

  auto at_end = get("r.bin", 100, 10);
  ASSERT_TRUE(at_end.ok()) << at_end.error().message();
  EXPECT_EQ(at_end->body, "");
  EXPECT_EQ(at_end->total_size, 100u);

  auto past_end = get("r.bin", 5000, 10);
  ASSERT_TRUE(past_end.ok()) << past_end.error().message();
  EXPECT_EQ(past_end->body, "");
  EXPECT_EQ(past_end->total_size, 100u);

  auto whole = get("r.bin", 0, 100);
  ASSERT_TRUE(whole.ok()) << whole.error().message();
  EXPECT_EQ(whole->body, body);

  auto last_byte = get("r.bin", 99, 1);
  ASSERT_TRUE(last_byte.ok()) << last_byte.error().message();
  EXPECT_EQ(last_byte->body, body.substr(99));
}

TEST_F(S3ClientTest, ZeroLengthReadIsInvalid) {
  put("z", "abc");
  auto got = get("z", 0, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind(), ErrorKind::kInvalidConfig);
}

TEST_F(S3ClientTest, GzipBytesComeBackAsStoredNotDecoded) {
  // The start of a gzip member: the HTTP client must not try to decode it.
  const std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\x4c\x4a\x06\x00", 15);
  put("data.csv.gz", gz);
  auto got = get("data.csv.gz", 0, 2);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->body, gz.substr(0, 2));
}

TEST_F(S3ClientTest, ReadWithIfMatchOfAReplacedObjectIsPermanent) {
  const std::string first = put("changing.csv", "version 1");
  auto same = get("changing.csv", 0, 4, first);
  ASSERT_TRUE(same.ok()) << same.error().message();
  EXPECT_EQ(same->body, "vers");
  auto quoted = get("changing.csv", 0, 4, "\"" + first + "\"");
  ASSERT_TRUE(quoted.ok()) << quoted.error().message();

  put("changing.csv", "version 2, longer");
  auto changed = get("changing.csv", 4, 4, first);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(changed.error().message(), "object changed while it was read"))
      << changed.error().message();
  EXPECT_TRUE(contains(changed.error().message(), "s3://" + bucket_ + "/changing.csv"))
      << changed.error().message();
}

TEST_F(S3ClientTest, ListingPagesThroughMoreThanAThousandObjects) {
  std::vector<std::pair<std::string, std::string>> objects;
  std::vector<std::string> expected;
  for (int i = 0; i < 1005; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "many/obj-%04d.csv", i);
    objects.emplace_back(key, std::to_string(i));
    expected.push_back(key);
  }
  server_->put_objects(bucket_, objects, 16);
  put("other/x.csv", "x");

  // The server's default page is 1,000 keys.
  ListObjectsRequest request;
  request.prefix = "many/";
  auto first = run(client_->list(request));
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->objects.size(), 1000u);
  EXPECT_TRUE(first->is_truncated);
  ASSERT_TRUE(first->next_continuation_token.has_value());
  EXPECT_EQ(first->objects.front().key, "many/obj-0000.csv");
  EXPECT_EQ(first->objects.front().size, 1u);
  EXPECT_FALSE(first->objects.front().etag.empty());
  request.continuation_token = first->next_continuation_token;
  auto second = run(client_->list(request));
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_FALSE(second->is_truncated);
  ASSERT_EQ(second->objects.size(), 5u);
  EXPECT_EQ(second->objects.back().key, "many/obj-1004.csv");

  ListObjectsRequest small;
  small.prefix = "many/";
  small.max_keys = 300;
  int pages = 0;
  EXPECT_EQ(list_all(small, &pages), expected);
  EXPECT_EQ(pages, 4);
}

TEST_F(S3ClientTest, ListingHonoursPrefixAndStartAfter) {
  for (const char* key : {"a/1.csv", "a/2.csv", "a/3.csv", "ab.csv", "b/1.csv"}) put(key, "x");

  ListObjectsRequest prefix;
  prefix.prefix = "a/";
  EXPECT_EQ(list_all(prefix), (std::vector<std::string>{"a/1.csv", "a/2.csv", "a/3.csv"}));

  ListObjectsRequest after;
  after.prefix = "a/";
  after.start_after = "a/1.csv";
  EXPECT_EQ(list_all(after), (std::vector<std::string>{"a/2.csv", "a/3.csv"}));

  ListObjectsRequest everything;
  everything.start_after = "a/3.csv";
  EXPECT_EQ(list_all(everything), (std::vector<std::string>{"ab.csv", "b/1.csv"}));

  ListObjectsRequest none;
  none.prefix = "zzz/";
  auto empty = run(client_->list(none));
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_FALSE(empty->is_truncated);
}

TEST_F(S3ClientTest, CopyThenDeleteMovesAnObject) {
  put("in/move me.csv", "payload");
  Status copied = run(client_->copy("in/move me.csv", "done/move me.csv"));
  ASSERT_TRUE(copied.ok()) << copied.error().message();
  Status removed = run(client_->remove("in/move me.csv"));
  ASSERT_TRUE(removed.ok()) << removed.error().message();

  ListObjectsRequest all;
  EXPECT_EQ(list_all(all), std::vector<std::string>{"done/move me.csv"});
  auto moved = get("done/move me.csv");
  ASSERT_TRUE(moved.ok()) << moved.error().message();
  EXPECT_EQ(moved->body, "payload");

  auto gone = get("in/move me.csv");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(gone.error().message(), "NoSuchKey")) << gone.error().message();
  EXPECT_TRUE(contains(gone.error().message(), "GetObject s3://" + bucket_ + "/in/move me.csv"))
      << gone.error().message();
}

TEST_F(S3ClientTest, CopyOfAMissingObjectIsAnErrorNamingBothKeys) {
  Status copied = run(client_->copy("nope.csv", "done/nope.csv"));
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(copied.error().message(), "s3://" + bucket_ + "/nope.csv"))
      << copied.error().message();
  EXPECT_TRUE(contains(copied.error().message(), "done/nope.csv")) << copied.error().message();
}

TEST_F(S3ClientTest, DeletingAMissingKeyIsOk) {
  Status removed = run(client_->remove("never/was.csv"));
  EXPECT_TRUE(removed.ok()) << removed.error().message();
}

// s3rver itself checks only the access key id; tests/fakes/s3rver/run.js checks SigV4
// signatures in front of it (so every test here also verifies the signing).
TEST_F(S3ClientTest, WrongSecretIsPermanentSignatureDoesNotMatchWithoutTheSecret) {
  put("k.csv", "x");
  auto options = server_->client_options(bucket_);
  const std::string secret = "wrong-secret-Zq9vX2";
  options.credentials.secret_access_key = secret;
  auto bad = make_client(options);
  ASSERT_NE(bad, nullptr);

  auto listed = run(bad->list(ListObjectsRequest{}));
  ASSERT_FALSE(listed.ok());
  auto read = run(bad->get_range("k.csv", 0, 10, std::nullopt));
  ASSERT_FALSE(read.ok());
  auto written = run(bad->put("k.csv", "y"));
  ASSERT_FALSE(written.ok());
  Status copied = run(bad->copy("k.csv", "k2.csv"));
  ASSERT_FALSE(copied.ok());
  for (const Error& error : {listed.error(), read.error(), written.error(), copied.error()}) {
    EXPECT_EQ(error.kind(), ErrorKind::kPermanent) << error.message();
    EXPECT_TRUE(contains(error.message(), "SignatureDoesNotMatch")) << error.message();
    EXPECT_TRUE(contains(error.message(), "s3://" + bucket_)) << error.message();
    EXPECT_FALSE(contains(error.message(), secret)) << error.message();
    EXPECT_FALSE(contains(error.message(), "Signature=")) << error.message();
  }
  auto still = get("k.csv");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->body, "x");
}

TEST_F(S3ClientTest, WrongCredentialsArePermanentAndNeverShowTheSecret) {
  put("k.csv", "x");
  auto options = server_->client_options(bucket_);
  const std::string secret = "wrong-secret-Zq9vX2";
  options.credentials.access_key_id = "NOT-S3RVER";
  options.credentials.secret_access_key = secret;
  auto bad = make_client(options);
  ASSERT_NE(bad, nullptr);

  auto listed = run(bad->list(ListObjectsRequest{}));
  ASSERT_FALSE(listed.ok());
  auto read = run(bad->get_range("k.csv", 0, 10, std::nullopt));
  ASSERT_FALSE(read.ok());
  auto written = run(bad->put("k.csv", "y"));
  ASSERT_FALSE(written.ok());
  Status removed = run(bad->remove("k.csv"));
  ASSERT_FALSE(removed.ok());
  for (const Error& error : {listed.error(), read.error(), written.error(), removed.error()}) {
    EXPECT_EQ(error.kind(), ErrorKind::kPermanent) << error.message();
    EXPECT_TRUE(contains(error.message(), "InvalidAccessKeyId")) << error.message();
    EXPECT_TRUE(contains(error.message(), "s3://" + bucket_)) << error.message();
    EXPECT_FALSE(contains(error.message(), secret)) << error.message();
    EXPECT_FALSE(contains(error.message(), "Signature=")) << error.message();
  }
  auto still = get("k.csv");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->body, "x");
}

TEST_F(S3ClientTest, MissingBucketIsPermanentNoSuchBucket) {
  auto missing = make_client(server_->client_options("no-such-bucket-here"));
  ASSERT_NE(missing, nullptr);
  auto listed = run(missing->list(ListObjectsRequest{}));
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(listed.error().message(), "NoSuchBucket")) << listed.error().message();
  EXPECT_TRUE(contains(listed.error().message(), "s3://no-such-bucket-here/"))
      << listed.error().message();

  auto read = run(missing->get_range("a.csv", 0, 10, std::nullopt));
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(contains(read.error().message(), "NoSuchBucket")) << read.error().message();
  Status removed = run(missing->remove("a.csv"));
  ASSERT_FALSE(removed.ok());
  EXPECT_TRUE(contains(removed.error().message(), "NoSuchBucket")) << removed.error().message();
}

TEST_F(S3ClientTest, AwkwardKeysRoundTrip) {
  const std::vector<std::string> keys = {
      "dir with space/file name.csv", "unicode/d\xc3\xa9j\xc3\xa0 vu \xe6\x97\xa5\xe6\x9c\xac.csv",
      "plus/a+b=c&d;e,f.csv",         "odd/tilde~under_score-(1)!'*.csv",
      "pct/100%25 done.csv"};
  for (const auto& key : keys) put(key, "body of " + key);
  for (const auto& key : keys) {
    auto got = get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.error().message();
    EXPECT_EQ(got->body, "body of " + key);
  }
  auto sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(list_all(ListObjectsRequest{}), sorted);

  // A prefix and a start-after with the same characters go through the query encoding.
  ListObjectsRequest plus;
  plus.prefix = "plus/a+b";
  EXPECT_EQ(list_all(plus), std::vector<std::string>{"plus/a+b=c&d;e,f.csv"});

  Status copied = run(client_->copy(keys[1], "done/" + keys[1]));
  ASSERT_TRUE(copied.ok()) << copied.error().message();
  auto copy = get("done/" + keys[1]);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  EXPECT_EQ(copy->body, "body of " + keys[1]);
}

// A port nothing listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(S3ClientTest, UnreachableEndpointIsRetryableAndNamesTheObject) {
  auto options = server_->client_options(bucket_);
  options.endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
  auto down = make_client(options);
  ASSERT_NE(down, nullptr);
  auto read = run(down->get_range("in/a.csv", 0, 10, std::nullopt));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind(), ErrorKind::kRetryable) << read.error().message();
  EXPECT_TRUE(contains(read.error().message(), "S3 GetObject s3://" + bucket_ + "/in/a.csv"))
      << read.error().message();
}

TEST_F(S3ClientTest, CreateRejectsIncompleteOptions) {
  auto options = server_->client_options(bucket_);
  options.credentials.secret_access_key.clear();
  auto no_secret = Client::create(http_, options);
  ASSERT_FALSE(no_secret.ok());
  EXPECT_EQ(no_secret.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_TRUE(contains(no_secret.error().message(), "credentials"));

  options = server_->client_options("");
  auto no_bucket = Client::create(http_, options);
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_TRUE(contains(no_bucket.error().message(), "bucket"));

  options = server_->client_options(bucket_);
  options.endpoint = "127.0.0.1:4568";
  auto bad_endpoint = Client::create(http_, options);
  ASSERT_FALSE(bad_endpoint.ok());
  EXPECT_TRUE(contains(bad_endpoint.error().message(), "endpoint"));

  EXPECT_EQ(client_->describe("a/b.csv"), "s3://" + bucket_ + "/a/b.csv");
}

TEST_F(S3ClientTest, HarnessHelpersPutGetListAndDelete) {
  server_->put_object(bucket_, "h/1.csv", "one");
  server_->put_objects(bucket_, {{"h/2.csv", "two"}, {"h/3.csv", "three"}});
  EXPECT_EQ(server_->get_object(bucket_, "h/2.csv"), "two");
  server_->delete_object(bucket_, "h/1.csv");
  EXPECT_EQ(server_->list_keys(bucket_, "h/"), (std::vector<std::string>{"h/2.csv", "h/3.csv"}));
  EXPECT_THROW(server_->get_object(bucket_, "h/1.csv"), std::runtime_error);
}

}  // namespace
}  // namespace weft::s3
