#include "s3/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <optional>
#include <utility>

#include "net/url.h"

namespace weft::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Headers the signer computes itself; a caller-supplied copy would be signed twice or disagree.
constexpr std::array<std::string_view, 5> kOwnedHeaders = {
    "authorization", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"};

Error invalid(const std::string& what) { return Error::permanent("SigV4 signing: " + what); }

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

// Raw HMAC-SHA256 bytes; nullopt when OpenSSL fails.
std::optional<std::string> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &length) == nullptr) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

// Zeroes key material before it is freed, so derived keys do not linger in the heap.
struct Wiped {
  std::string bytes;
  ~Wiped() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
  }
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_hex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A header value as SigV4 canonicalises it: trimmed, runs of spaces collapsed to one.
std::string canonical_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const bool space = c == ' ' || c == '\t';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return c == ':' || byte <= ' ' || byte >= 0x7f;
  });
}

// The slash-free identifiers that end up inside the Credential scope.
bool valid_scope_part(std::string_view text) {
  return !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return c == '/' || c == ',' || c == '=' || byte <= ' ' || byte >= 0x7f;
  });
}

// "20150830T123600Z" and "20150830" for `time`, in UTC.
std::pair<std::string, std::string> amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto day = floor<days>(seconds);
  const year_month_day ymd{day};
  const hh_mm_ss hms{seconds - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  const std::string stamp = buffer;
  return {stamp, stamp.substr(0, 8)};
}

std::string canonical_query(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& param : query) {
    encoded.emplace_back(net::percent_encode(param.name), net::percent_encode(param.value));
  }
  // Sorted by encoded name, then encoded value (byte order), as the spec requires.
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

Result<SignedRequest> sign(const SigningRequest& request, const Credentials& credentials) {
  if (!valid_scope_part(credentials.access_key_id)) {
    return invalid("the access key id is empty or contains '/', ',', '=' or whitespace");
  }
  if (credentials.secret_access_key.empty()) return invalid("the secret access key is empty");
  if (!valid_scope_part(request.region)) return invalid("the region is empty or malformed");
  if (!valid_scope_part(request.service)) return invalid("the service is empty or malformed");
  if (request.host.empty()) return invalid("the host is empty");
  if (request.method.empty()) return invalid("the method is empty");
  if (request.payload_hash != kUnsignedPayload && !is_hex64(request.payload_hash)) {
    return invalid("the payload hash '" + request.payload_hash +
                   "' is neither 64 lowercase hex digits nor UNSIGNED-PAYLOAD");
  }
  const bool is_s3 = request.service == "s3";
  const auto [stamp, date] = amz_date(request.time);

  // Lowercased name -> canonical value; stable so repeated names keep their order when joined.
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& header : request.headers) {
    if (!valid_header_name(header.name)) {
      return invalid("header name '" + header.name + "' is empty or has ':' or whitespace");
    }
    std::string name(header.name.size(), '\0');
    std::transform(header.name.begin(), header.name.end(), name.begin(), lower);
    if (std::find(kOwnedHeaders.begin(), kOwnedHeaders.end(), name) != kOwnedHeaders.end()) {
      return invalid("header '" + name + "' is set by the signer and must not be passed");
    }
    if (header.value.find_first_of("\r\n") != std::string::npos) {
      return invalid("the value of header '" + name + "' contains a line break");
    }
    headers.emplace_back(std::move(name), canonical_value(header.value));
  }
  headers.emplace_back("host", canonical_value(request.host));
  headers.emplace_back("x-amz-date", stamp);
  if (is_s3) headers.emplace_back("x-amz-content-sha256", request.payload_hash);
  if (!credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string canonical_headers;
  std::string signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const bool continues = i > 0 && headers[i - 1].first == headers[i].first;
    if (continues) {
      canonical_headers.back() = ',';  // replaces the previous line's '\n'
    } else {
      if (!signed_headers.empty()) signed_headers.push_back(';');
      signed_headers += headers[i].first;
      canonical_headers += headers[i].first;
      canonical_headers.push_back(':');
    }
    canonical_headers += headers[i].second;
    canonical_headers.push_back('\n');
  }

  SignedRequest out;
  const std::string path = request.path.empty() ? "/" : request.path;
  out.path = net::percent_encode(path, /*keep_slash=*/true);
  const std::string canonical_uri = request.path_encoding == PathEncoding::kDouble
                                        ? net::percent_encode(out.path, /*keep_slash=*/true)
                                        : out.path;
  out.query_string = canonical_query(request.query);

  out.canonical_request = request.method + '\n' + canonical_uri + '\n' + out.query_string + '\n' +
                          canonical_headers + '\n' + signed_headers + '\n' + request.payload_hash;
  const std::string scope = date + '/' + request.region + '/' + request.service + "/aws4_request";
  out.string_to_sign = std::string(kAlgorithm) + '\n' + stamp + '\n' + scope + '\n' +
                       sha256_hex(out.canonical_request);

  // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
  Wiped key{"AWS4" + credentials.secret_access_key};
  for (const std::string_view part :
       {std::string_view(date), std::string_view(request.region), std::string_view(request.service),
        std::string_view("aws4_request")}) {
    auto next = hmac_sha256(key.bytes, part);
    if (!next) return invalid("OpenSSL HMAC-SHA256 failed");
    OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
    key.bytes = std::move(*next);
  }
  const auto signature = hmac_sha256(key.bytes, out.string_to_sign);
  if (!signature) return invalid("OpenSSL HMAC-SHA256 failed");
  out.signature = to_hex(*signature);

  out.headers_to_add.push_back({"X-Amz-Date", stamp});
  if (is_s3) out.headers_to_add.push_back({"X-Amz-Content-Sha256", request.payload_hash});
  if (!credentials.session_token.empty()) {
    out.headers_to_add.push_back({"X-Amz-Security-Token", credentials.session_token});
  }
  out.headers_to_add.push_back(
      {"Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
                            scope + ", SignedHeaders=" + signed_headers +
                            ", Signature=" + out.signature});
  return out;
}

std::string redact_authorization(std::string_view authorization) {
  constexpr std::string_view kRedacted = "[redacted]";
  const std::string prefix = std::string(kAlgorithm) + ' ';
  if (authorization.substr(0, prefix.size()) != prefix) return std::string(kRedacted);
  std::string_view rest = authorization.substr(prefix.size());

  // Only characters that can appear in an honest value are kept, so a header whose parts were
  // run together (a secret pasted in by mistake) is dropped rather than echoed.
  const auto only = [](std::string_view text, auto allowed) {
    return !text.empty() && std::all_of(text.begin(), text.end(), allowed);
  };
  std::string key_id;
  std::string signed_headers;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.starts_with("Credential=")) {
      const std::string_view credential = part.substr(11);
      const std::size_t slash = credential.find('/');
      const std::string_view id = credential.substr(0, slash);
      if (slash != std::string_view::npos &&
          only(id, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
        key_id = id;
      }
    } else if (part.starts_with("SignedHeaders=")) {
      const std::string_view list = part.substr(14);
      if (only(list, [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == ';';
          })) {
        signed_headers = list;
      }
    }
  }
  if (key_id.empty() && signed_headers.empty()) return std::string(kRedacted);
  std::string out = prefix + "Credential=" + (key_id.empty() ? std::string(kRedacted) : key_id);
  if (!signed_headers.empty()) out += ", SignedHeaders=" + signed_headers;
  return out;
}

}  // namespace weft::s3
