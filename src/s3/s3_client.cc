#include "s3/s3_client.h"

#include <charconv>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "net/content_decoding.h"
#include "net/http_client.h"
#include "net/url.h"
#include "s3/addressing.h"

namespace weft::s3 {

namespace asio = boost::asio;

namespace {

constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::uint64_t>::max();

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// An ETag as S3 sends it ("\"abc\"") or as a caller may hold it ("abc"), without the quotes.
std::string unquote(std::string_view etag) {
  etag = trim_spaces(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  text = trim_spaces(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The complete length of "bytes 0-9/1234" or "bytes */1234"; nullopt for "*" or garbage.
std::optional<std::uint64_t> content_range_total(std::string_view value) {
  const auto slash = value.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return parse_u64(value.substr(slash + 1));
}

// The number in <name>123</name> of an S3 error body (s3rver's InvalidRange carries
// ActualObjectSize where AWS sends Content-Range: bytes */size).
std::optional<std::uint64_t> xml_number(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const auto start = body.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const auto from = start + open.size();
  const auto end = body.find('<', from);
  if (end == std::string_view::npos) return std::nullopt;
  return parse_u64(body.substr(from, end - from));
}

bool is_error_code(const net::ClientResponse& response, std::string_view code) {
  return response.body.find("<Code>" + std::string(code) + "</Code>") != std::string::npos;
}

}  // namespace

struct Client::Impl {
  std::shared_ptr<net::HttpClient> http;
  ClientOptions options;
  BucketAddress address;

  std::string describe(std::string_view key) const {
    return "s3://" + options.bucket + "/" + std::string(key);
  }

  // "S3 <operation> s3://bucket/key", the start of every error message.
  std::string where(std::string_view operation, std::string_view key) const {
    return "S3 " + std::string(operation) + " " + describe(key);
  }

  // The signed request. `headers` are signed and sent; `body` is sent as it is. A signing
  // failure is prefixed with `context`.
  Result<net::ClientRequest> build(const std::string& context, std::string method,
                                   const std::string& path, std::vector<QueryParam> query,
                                   std::vector<Header> headers, std::string payload_hash,
                                   std::string body) const {
    SigningRequest signing;
    signing.method = method;
    signing.host = address.host;
    signing.path = path;
    signing.query = std::move(query);
    signing.headers = std::move(headers);
    signing.payload_hash = std::move(payload_hash);
    signing.region = options.region;
    signing.service = "s3";
    signing.time = std::chrono::system_clock::now();
    auto signed_request = sign(signing, options.credentials);
    if (!signed_request.ok()) {
      Error error = signed_request.error();
      error.with_context(context);
      return error;
    }
    net::ClientRequest request;
    request.method = std::move(method);
    request.url = address.url(signed_request->path, signed_request->query_string);
    for (auto& header : signing.headers) {
      request.headers.emplace_back(std::move(header.name), std::move(header.value));
    }
    for (auto& header : signed_request->headers_to_add) {
      request.headers.emplace_back(std::move(header.name), std::move(header.value));
    }
    request.body = std::move(body);
    return request;
  }

  // The Error for a response that is not a success: the S3 <Error> body when there is one
  // (retryable for throttling and server-side codes), else the HTTP status.
  Error failure(const std::string& method, const std::string& url,
                const net::ClientResponse& response) const {
    if (auto error = parse_error_body(response.body)) {
      if (error->retryable()) {
        if (const auto header = response.header("Retry-After")) {
          if (const auto delay = net::parse_retry_after(*header)) error->with_retry_after(*delay);
        }
      }
      return *std::move(error);
    }
    net::ClientRequest shown;
    shown.method = method;
    shown.url = url;
    Status status = net::check_status(shown, response);
    if (status.ok()) return Error::permanent(method + " " + url + ": unexpected answer");
    return status.error();
  }

  // Sends `request`; a transport failure becomes an Error naming the operation and the object.
  asio::awaitable<Result<net::ClientResponse>> send(net::ClientRequest request,
                                                    std::string operation, std::string key) {
    auto response = co_await http->send(std::move(request));
    if (!response.ok()) {
      Error error = response.error();
      error.with_context(where(operation, key));
      co_return error;
    }
    co_return std::move(response).value();
  }
};

Result<std::unique_ptr<Client>> Client::create(std::shared_ptr<net::HttpClient> http,
                                               ClientOptions options) {
  if (!http) return Error::invalid_config("s3 client: no HTTP client");
  auto address =
      bucket_address(options.bucket, options.region, options.endpoint, options.path_style);
  if (!address.ok()) return address.error();
  if (options.credentials.access_key_id.empty()) {
    return Error::invalid_config("credentials: access key id must not be empty");
  }
  if (options.credentials.secret_access_key.empty()) {
    return Error::invalid_config("credentials: secret access key must not be empty");
  }
  auto impl = std::make_unique<Impl>();
  impl->http = std::move(http);
  impl->options = std::move(options);
  impl->address = std::move(address).value();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

std::string Client::describe(const std::string& key) const { return impl_->describe(key); }

asio::awaitable<Result<ListObjectsPage>> Client::list(const ListObjectsRequest& request) {
  const std::string prefix = request.prefix;
  auto query = list_objects_query(request);
  if (!query.ok()) {
    Error error = query.error();
    error.with_context(impl_->where("ListObjectsV2", prefix));
    co_return error;
  }
  auto built =
      impl_->build(impl_->where("ListObjectsV2", prefix), "GET", impl_->address.bucket_path(),
                   std::move(query).value(), {}, std::string(kEmptyPayloadHash), {});
  if (!built.ok()) co_return built.error();
  const std::string url = built->url;
  auto response = co_await impl_->send(std::move(built).value(), "ListObjectsV2", prefix);
  if (!response.ok()) co_return response.error();
  if (response->status < 200 || response->status > 299) {
    Error error = impl_->failure("GET", url, *response);
    error.with_context(impl_->where("ListObjectsV2", prefix));
    co_return error;
  }
  auto page = parse_list_objects(response->body);
  if (!page.ok()) {
    Error error = page.error();
    error.with_context(impl_->where("ListObjectsV2", prefix));
    co_return error;
  }
  co_return std::move(page).value();
}

asio::awaitable<Result<ObjectRange>> Client::get_range(const std::string& key, std::uint64_t offset,
                                                       std::uint64_t length,
                                                       std::optional<std::string> if_match) {
  const std::string op = "GetObject";
  const std::string where = impl_->where(op, key);
  if (length == 0) co_return Error::invalid_config(where + ": a ranged read needs a length > 0");
  std::string range = "bytes=" + std::to_string(offset) + "-";
  if (length - 1 <= kMaxOffset - offset) range += std::to_string(offset + length - 1);
  std::vector<Header> headers{{"Range", range}};
  std::optional<std::string> expected;
  if (if_match) {
    expected = unquote(*if_match);
    headers.push_back({"If-Match", "\"" + *expected + "\""});
  }
  // S3 reports the object as not encoded, so the HTTP client leaves the bytes alone.
  std::vector<QueryParam> query{{"response-content-encoding", "identity"}};
  auto built = impl_->build(where, "GET", impl_->address.object_path(key), std::move(query),
                            std::move(headers), std::string(kEmptyPayloadHash), {});
  if (!built.ok()) co_return built.error();
  built->headers.emplace_back("Accept-Encoding", "identity");
  const std::string url = built->url;
  auto response = co_await impl_->send(std::move(built).value(), op, key);
  if (!response.ok()) co_return response.error();
  const auto changed = [&] {
    return Error::permanent(where + ": object changed while it was read (its ETag is no longer " +
                            *expected + "); it will be read again from the start");
  };

  ObjectRange out;
  if (const auto etag = response->header("ETag")) out.etag = unquote(*etag);
  if (response->status == 412 && expected) co_return changed();
  if (response->status == 416) {
    // An offset at or past the end: nothing left to read.
    std::optional<std::uint64_t> total;
    if (const auto header = response->header("Content-Range")) total = content_range_total(*header);
    if (!total) total = xml_number(response->body, "ActualObjectSize");
    out.total_size = total.value_or(offset);
    co_return std::move(out);
  }
  if (response->status != 200 && response->status != 206) {
    Error error = impl_->failure("GET", url, *response);
    error.with_context(where);
    co_return error;
  }
  if (const auto encoding = response->header("Content-Encoding");
      encoding && net::is_decodable_encoding(*encoding)) {
    co_return Error::permanent(where + ": the server sent the object with Content-Encoding " +
                               std::string(*encoding) +
                               " despite response-content-encoding=identity; its bytes cannot "
                               "be read in ranges");
  }
  if (expected && !out.etag.empty() && out.etag != *expected) co_return changed();
  if (response->status == 206) {
    std::optional<std::uint64_t> total;
    if (const auto header = response->header("Content-Range")) total = content_range_total(*header);
    out.total_size = total.value_or(offset + response->body.size());
    out.body = std::move(response->body);
    if (out.body.size() > length) out.body.resize(length);
    co_return std::move(out);
  }
  // 200: the server ignored Range and sent the whole object.
  std::string& whole = response->body;
  out.total_size = whole.size();
  if (offset < whole.size()) out.body = whole.substr(offset, length);
  co_return std::move(out);
}

asio::awaitable<Result<std::string>> Client::put(const std::string& key, std::string body) {
  const std::string op = "PutObject";
  std::string hash = sha256_hex(body);
  auto built = impl_->build(impl_->where(op, key), "PUT", impl_->address.object_path(key), {}, {},
                            std::move(hash), std::move(body));
  if (!built.ok()) co_return built.error();
  const std::string url = built->url;
  auto response = co_await impl_->send(std::move(built).value(), op, key);
  if (!response.ok()) co_return response.error();
  if (response->status < 200 || response->status > 299) {
    Error error = impl_->failure("PUT", url, *response);
    error.with_context(impl_->where(op, key));
    co_return error;
  }
  std::string etag;
  if (const auto header = response->header("ETag")) etag = unquote(*header);
  co_return std::move(etag);
}

asio::awaitable<Status> Client::copy(const std::string& from_key, const std::string& to_key) {
  const std::string op = "CopyObject";
  const std::string where =
      "S3 " + op + " " + impl_->describe(from_key) + " to " + impl_->describe(to_key);
  std::vector<Header> headers{
      {"x-amz-copy-source",
       net::percent_encode("/" + impl_->options.bucket + "/" + from_key, /*keep_slash=*/true)}};
  auto built = impl_->build(where, "PUT", impl_->address.object_path(to_key), {},
                            std::move(headers), std::string(kEmptyPayloadHash), {});
  if (!built.ok()) co_return built.error();
  const std::string url = built->url;
  auto response = co_await impl_->send(std::move(built).value(), op, from_key);
  if (!response.ok()) co_return response.error();
  if (response->status < 200 || response->status > 299) {
    Error error = impl_->failure("PUT", url, *response);
    error.with_context(where);
    co_return error;
  }
  // A copy that fails after S3 has started answering comes as 200 with an <Error> body.
  if (auto error = parse_error_body(response->body)) {
    error->with_context(where);
    co_return *std::move(error);
  }
  co_return Status::ok_status();
}

asio::awaitable<Status> Client::remove(const std::string& key) {
  const std::string op = "DeleteObject";
  auto built = impl_->build(impl_->where(op, key), "DELETE", impl_->address.object_path(key), {},
                            {}, std::string(kEmptyPayloadHash), {});
  if (!built.ok()) co_return built.error();
  const std::string url = built->url;
  auto response = co_await impl_->send(std::move(built).value(), op, key);
  if (!response.ok()) co_return response.error();
  if (response->status >= 200 && response->status <= 299) co_return Status::ok_status();
  if (response->status == 404 && is_error_code(*response, "NoSuchKey")) {
    co_return Status::ok_status();
  }
  Error error = impl_->failure("DELETE", url, *response);
  error.with_context(impl_->where(op, key));
  co_return error;
}

}  // namespace weft::s3
