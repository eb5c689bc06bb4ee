#include "s3/addressing.h"

#include "net/url.h"

namespace weft::s3 {

std::string BucketAddress::object_path(std::string_view key) const {
  std::string path = path_prefix;
  path += '/';
  path += key;
  return path;
}

std::string BucketAddress::bucket_path() const {
  return path_prefix.empty() ? std::string("/") : path_prefix;
}

std::string BucketAddress::url(std::string_view encoded_path,
                               std::string_view encoded_query) const {
  std::string out = scheme + "://" + host;
  out += encoded_path.empty() ? std::string_view("/") : encoded_path;
  if (!encoded_query.empty()) {
    out += '?';
    out += encoded_query;
  }
  return out;
}

Result<BucketAddress> bucket_address(const std::string& bucket, const std::string& region,
                                     const std::string& endpoint, bool path_style) {
  if (bucket.empty()) return Error::invalid_config("bucket: must not be empty");
  if (bucket.find('/') != std::string::npos) {
    return Error::invalid_config("bucket: '" + bucket + "' must not contain '/'");
  }
  if (region.empty()) return Error::invalid_config("region: must not be empty");
  BucketAddress address;
  if (endpoint.empty()) {
    address.scheme = "https";
    address.host = bucket + ".s3." + region + ".amazonaws.com";
    return address;
  }
  auto url = net::parse_url(endpoint);
  if (!url.ok()) {
    return Error::invalid_config("endpoint: '" + net::redact_url(endpoint) +
                                 "' is not an absolute http(s) URL");
  }
  if (!url->userinfo.empty()) {
    return Error::invalid_config("endpoint: must not hold credentials (set credentials instead)");
  }
  if (url->target.find('?') != std::string::npos) {
    return Error::invalid_config("endpoint: '" + net::redact_url(endpoint) +
                                 "' must not have a query");
  }
  std::string base = url->target;
  while (!base.empty() && base.back() == '/') base.pop_back();
  address.scheme = url->scheme;
  if (path_style) {
    address.host = url->host_header();
    address.path_prefix = base + "/" + bucket;
  } else {
    url->host = bucket + "." + url->host;
    address.host = url->host_header();
    address.path_prefix = base;
  }
  return address;
}

}  // namespace weft::s3
