#include "s3/list_objects.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <pugixml.hpp>
#include <utility>

namespace weft::s3 {
namespace {

Error malformed(const std::string& what) {
  return Error::permanent("ListObjectsV2 response: " + what);
}

// The element name without any "prefix:"; namespaces are never compared (see the header).
std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (const pugi::xml_node node : parent.children()) {
    if (node.type() == pugi::node_element && local_name(node) == name) return node;
  }
  return {};
}

// The element's text with entities decoded; text and CDATA pieces are joined. Whitespace is
// kept: an S3 key or prefix may start or end with spaces.
std::string text(const pugi::xml_node& node) {
  std::string out;
  for (const pugi::xml_node piece : node.children()) {
    if (piece.type() == pugi::node_pcdata || piece.type() == pugi::node_cdata) out += piece.value();
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  text = trimmed(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The first bytes of a body that is not what we expected (an HTML page from a proxy, say), with
// control characters replaced, for the error message.
std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, 64));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < ' '; }, ' ');
  return body.size() > 64 ? out + "..." : out;
}

// pugixml does not process DTDs or expand custom entities, so a hostile body cannot blow up.
std::optional<std::string> load(pugi::xml_document& doc, std::string_view body) {
  const pugi::xml_parse_result result =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata);
  if (!result) {
    return std::string("not valid XML (") + result.description() + " at byte " +
           std::to_string(result.offset) + "): \"" + excerpt(body) + "\"";
  }
  if (!doc.document_element()) return "no root element: \"" + excerpt(body) + "\"";
  return std::nullopt;
}

Error error_from(const pugi::xml_node& root) {
  const std::string code = std::string(trimmed(text(child(root, "Code"))));
  const std::string message = text(child(root, "Message"));
  std::string description = "S3 error " + (code.empty() ? std::string("(no code)") : code);
  if (!message.empty()) description += ": " + message;
  return is_retryable_error_code(code) ? Error::retryable(std::move(description))
                                       : Error::permanent(std::move(description));
}

Result<ObjectSummary> parse_object(const pugi::xml_node& contents) {
  ObjectSummary object;
  object.key = text(child(contents, "Key"));
  if (object.key.empty()) return malformed("a Contents entry has no Key");
  const auto where = [&](const std::string& what) {
    return malformed("object '" + object.key + "': " + what);
  };

  const std::string modified = text(child(contents, "LastModified"));
  const auto time = parse_iso8601(trimmed(modified));
  if (!time) return where("LastModified '" + modified + "' is not an ISO 8601 UTC time");
  object.last_modified = *time;

  const std::string size = text(child(contents, "Size"));
  const auto bytes = parse_u64(size);
  if (!bytes) return where("Size '" + size + "' is not a non-negative integer");
  object.size = *bytes;

  const std::string quoted = text(child(contents, "ETag"));
  std::string_view etag = trimmed(quoted);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  object.etag = etag;
  object.storage_class = trimmed(text(child(contents, "StorageClass")));
  return object;
}

// Reads exactly `count` digits at `pos`; advances `pos`.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

Result<std::vector<QueryParam>> list_objects_query(const ListObjectsRequest& request) {
  std::vector<QueryParam> query{{"list-type", "2"}};
  if (!request.prefix.empty()) query.push_back({"prefix", request.prefix});
  if (request.continuation_token) {
    query.push_back({"continuation-token", *request.continuation_token});
  }
  if (request.start_after) query.push_back({"start-after", *request.start_after});
  if (request.max_keys) {
    if (*request.max_keys < 1 || *request.max_keys > kMaxKeysLimit) {
      return Error::invalid_config("ListObjectsV2 max-keys must be between 1 and 1000, got " +
                                   std::to_string(*request.max_keys));
    }
    query.push_back({"max-keys", std::to_string(*request.max_keys)});
  }
  return query;
}

bool is_retryable_error_code(std::string_view code) {
  // Server-side trouble and throttling, as the AWS SDKs retry them. Everything else (access,
  // missing bucket, bad signature or key) fails the same way on every attempt.
  static constexpr std::array<std::string_view, 8> kRetryable = {
      "SlowDown",   "InternalError",       "ServiceUnavailable",      "RequestTimeout",
      "Throttling", "ThrottlingException", "RequestTimeoutException", "OperationAborted"};
  return std::find(kRetryable.begin(), kRetryable.end(), code) != kRetryable.end();
}

std::optional<Error> parse_error_body(std::string_view body) {
  pugi::xml_document doc;
  if (load(doc, body)) return std::nullopt;
  const pugi::xml_node root = doc.document_element();
  if (local_name(root) != "Error") return std::nullopt;
  return error_from(root);
}

Result<ListObjectsPage> parse_list_objects(std::string_view body) {
  pugi::xml_document doc;
  if (auto problem = load(doc, body)) return malformed(*problem);
  const pugi::xml_node root = doc.document_element();
  if (local_name(root) == "Error") return error_from(root);
  if (local_name(root) != "ListBucketResult") {
    return malformed("the root element is <" + std::string(root.name()) +
                     ">, not <ListBucketResult>");
  }

  ListObjectsPage page;
  page.name = text(child(root, "Name"));
  page.prefix = text(child(root, "Prefix"));
  for (const pugi::xml_node node : root.children()) {
    if (node.type() != pugi::node_element) continue;
    if (local_name(node) == "Contents") {
      auto object = parse_object(node);
      if (!object) return object.error();
      page.objects.push_back(std::move(*object));
    } else if (local_name(node) == "CommonPrefixes") {
      // AWS sends one CommonPrefixes per prefix; accept several Prefix children as well.
      for (const pugi::xml_node prefix : node.children()) {
        if (prefix.type() == pugi::node_element && local_name(prefix) == "Prefix") {
          page.common_prefixes.push_back(text(prefix));
        }
      }
    }
  }

  if (const pugi::xml_node count = child(root, "KeyCount")) {
    const std::string value = text(count);
    const auto parsed = parse_u64(value);
    if (!parsed) return malformed("KeyCount '" + value + "' is not a non-negative integer");
    page.key_count = *parsed;
  } else {
    page.key_count = page.objects.size() + page.common_prefixes.size();
  }

  const std::string truncated = std::string(trimmed(text(child(root, "IsTruncated"))));
  if (truncated == "true" || truncated == "True" || truncated == "TRUE") {
    page.is_truncated = true;
  } else if (!truncated.empty() && truncated != "false" && truncated != "False" &&
             truncated != "FALSE") {
    return malformed("IsTruncated '" + truncated + "' is neither true nor false");
  }
  if (page.is_truncated) {
    std::string token = text(child(root, "NextContinuationToken"));
    if (token.empty()) return malformed("IsTruncated is true but NextContinuationToken is missing");
    page.next_continuation_token = std::move(token);
  }
  return page;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  const auto y = digits(text, pos, 4);
  if (!y || !expect(text, pos, '-')) return std::nullopt;
  const auto mo = digits(text, pos, 2);
  if (!mo || !expect(text, pos, '-')) return std::nullopt;
  const auto d = digits(text, pos, 2);
  if (!d || !(expect(text, pos, 'T') || expect(text, pos, 't'))) return std::nullopt;
  const auto h = digits(text, pos, 2);
  if (!h || !expect(text, pos, ':')) return std::nullopt;
  const auto mi = digits(text, pos, 2);
  if (!mi || !expect(text, pos, ':')) return std::nullopt;
  const auto s = digits(text, pos, 2);
  if (!s || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;

  const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)},
                            day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;

  nanoseconds fraction{0};
  if (expect(text, pos, '.')) {
    const std::size_t start = pos;
    long long scale = 100'000'000;  // the first digit is tenths of a second
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += nanoseconds((text[pos] - '0') * scale);  // digits past nanoseconds add 0
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }

  minutes offset{0};
  const bool utc = expect(text, pos, 'Z') || expect(text, pos, 'z');
  if (!utc && pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '+' ? 1 : -1;
    const auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    const auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = minutes(sign * (*oh * 60 + *om));
  } else if (!utc) {
    return std::nullopt;  // a time without a zone would be read in an unknown zone
  }
  if (pos != text.size()) return std::nullopt;

  const auto local = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} + fraction;
  return time_point_cast<system_clock::duration>(local - offset);
}

}  // namespace weft::s3
