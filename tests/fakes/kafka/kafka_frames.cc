#include "fakes/kafka/kafka_frames.h"

#include <algorithm>

namespace weft::fakes::kafka {
namespace {

// Reads big-endian Kafka primitives. A read past the end, or a negative length where none is
// allowed, fails the reader for good (ok() turns false) and yields zeros: callers check ok()
// once after a run of reads instead of after each.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  std::size_t position() const { return at_; }
  std::string_view rest() const { return ok_ ? data_.substr(at_) : std::string_view(); }
  std::string_view since(std::size_t start) const { return data_.substr(start, at_ - start); }

  std::int16_t i16() { return static_cast<std::int16_t>(unsigned_big_endian(2)); }
  std::int32_t i32() { return static_cast<std::int32_t>(unsigned_big_endian(4)); }

  // STRING or NULLABLE_STRING (int16 length, -1: null).
  std::optional<std::string_view> nullable_string() {
    const std::int16_t size = i16();
    if (size < 0) return std::nullopt;
    return take(static_cast<std::size_t>(size));
  }
  // BYTES (int32 length, never null).
  std::string_view bytes() {
    const std::int32_t size = i32();
    if (size < 0) ok_ = false;
    return take(size < 0 ? 0 : static_cast<std::size_t>(size));
  }
  // UNSIGNED_VARINT: 7 bits a byte, least significant group first.
  std::uint64_t uvarint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      const std::string_view byte = take(1);
      if (!ok_) break;
      const auto b = static_cast<unsigned char>(byte[0]);
      value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }
  // A TAG_BUFFER (uvarint count, then per field uvarint tag, uvarint size, data), skipped.
  void skip_tagged_fields() {
    const std::uint64_t count = uvarint();
    for (std::uint64_t i = 0; i < count && ok_; ++i) {
      uvarint();
      take(uvarint());
    }
  }

  std::string_view take(std::uint64_t size) {
    if (!ok_ || size > data_.size() - at_) {
      ok_ = false;
      return {};
    }
    const std::string_view out = data_.substr(at_, size);
    at_ += size;
    return out;
  }

 private:
  std::uint32_t unsigned_big_endian(int size) {
    const std::string_view raw = take(static_cast<std::size_t>(size));
    std::uint32_t value = 0;
    for (char c : raw) value = value << 8 | static_cast<unsigned char>(c);
    return value;
  }

  std::string_view data_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

// Appends big-endian Kafka primitives.
class Writer {
 public:
  void i16(std::int16_t value) { unsigned_big_endian(static_cast<std::uint16_t>(value), 2); }
  void i32(std::int32_t value) { unsigned_big_endian(static_cast<std::uint32_t>(value), 4); }
  void i64(std::int64_t value) {
    unsigned_big_endian(static_cast<std::uint32_t>(static_cast<std::uint64_t>(value) >> 32), 4);
    unsigned_big_endian(static_cast<std::uint32_t>(value), 4);
  }
  void string(std::string_view text) {
    i16(static_cast<std::int16_t>(text.size()));
    out_ += text;
  }
  void nullable_string(std::optional<std::string_view> text) {
    if (text) {
      string(*text);
    } else {
      i16(-1);
    }
  }
  void bytes(std::string_view data) {
    i32(static_cast<std::int32_t>(data.size()));
    out_ += data;
  }
  void uvarint(std::uint64_t value) {
    while (value >= 0x80) {
      out_ += static_cast<char>((value & 0x7F) | 0x80);
      value >>= 7;
    }
    out_ += static_cast<char>(value);
  }
  void raw(std::string_view data) { out_ += data; }

  std::string take() { return std::move(out_); }

 private:
  void unsigned_big_endian(std::uint32_t value, int size) {
    for (int i = size - 1; i >= 0; --i) out_ += static_cast<char>((value >> (8 * i)) & 0xFF);
  }

  std::string out_;
};

Rewritten failed(std::string_view what, std::int16_t version, std::string_view why) {
  return {{},
          std::string(what) + " v" + std::to_string(version) + " response: " + std::string(why)};
}

// Writes a broker's host and port as `gateways` has them, keeping null hosts as they are.
bool write_gateway_address(Writer& out, std::optional<std::string_view> host, std::int32_t port,
                           const AddressMap& gateways, std::string& error) {
  if (!host) {
    out.nullable_string(std::nullopt);
    out.i32(port);
    return true;
  }
  const auto gateway = gateways.find(port);
  if (gateway == gateways.end()) {
    error = "broker " + std::string(*host) + ":" + std::to_string(port) +
            " is not fronted by any gateway";
    return false;
  }
  out.string(gateway->second.host);
  out.i32(gateway->second.port);
  return true;
}

// The start of a request body under a non-flexible v1 header (the client_id follows the
// fixed fields), or nullopt.
std::optional<Reader> body_after_v1_header(std::string_view frame) {
  Reader in(frame);
  in.take(8);  // api_key, api_version, correlation_id
  in.nullable_string();
  if (!in.ok()) return std::nullopt;
  return Reader(in.rest());
}

}  // namespace

std::optional<RequestHeader> parse_request_header(std::string_view frame) {
  Reader in(frame);
  RequestHeader header;
  header.api_key = in.i16();
  header.api_version = in.i16();
  header.correlation_id = in.i32();
  if (!in.ok()) return std::nullopt;
  return header;
}

std::optional<std::int32_t> response_correlation_id(std::string_view frame) {
  Reader in(frame);
  const std::int32_t id = in.i32();
  if (!in.ok()) return std::nullopt;
  return id;
}

std::string framed(std::string_view frame) {
  Writer out;
  out.i32(static_cast<std::int32_t>(frame.size()));
  out.raw(frame);
  return out.take();
}

Rewritten rewrite_api_versions(std::string_view response, std::int16_t request_version) {
  constexpr std::string_view kWhat = "ApiVersions";
  Reader in(response);
  const std::int32_t correlation_id = in.i32();
  const std::int16_t error = in.i16();
  if (!in.ok()) return failed(kWhat, request_version, "truncated before the error code");
  // The broker refused the request's version and answers in a layout of its choosing (KIP-511:
  // v0); the client retries with an older version, whose answer is rewritten.
  if (error != kafka_error::kNone) return {std::string(response), {}};

  struct Entry {
    std::int16_t api_key;
    std::int16_t min_version;
    std::int16_t max_version;
    std::string_view tagged_fields;  // v3: the entry's own TAG_BUFFER, copied as it is
  };
  const bool flexible = request_version >= 3;
  // COMPACT_ARRAY: uvarint count + 1 (0: null); ARRAY: int32 count (-1: null).
  const std::int64_t count = flexible ? static_cast<std::int64_t>(in.uvarint()) - 1 : in.i32();
  if (!in.ok() || count < 0 || count > 10000) {
    return failed(kWhat, request_version, "bad api_keys array");
  }
  std::vector<Entry> entries;
  for (std::int64_t i = 0; i < count && in.ok(); ++i) {
    Entry entry{in.i16(), in.i16(), in.i16(), {}};
    if (flexible) {
      const std::size_t start = in.position();
      in.skip_tagged_fields();
      entry.tagged_fields = in.since(start);
    }
    entries.push_back(entry);
  }
  if (!in.ok()) return failed(kWhat, request_version, "truncated in the api_keys array");
  const std::string_view rest = in.rest();  // throttle_time_ms (v1+), top-level tags (v3)

  std::erase_if(entries, [](const Entry& e) {
    return e.api_key == api::kSaslHandshake || e.api_key == api::kSaslAuthenticate;
  });
  for (Entry& entry : entries) {
    if (entry.api_key == api::kMetadata) {
      entry.max_version = std::min(entry.max_version, kMaxMetadataVersion);
    } else if (entry.api_key == api::kFindCoordinator) {
      entry.max_version = std::min(entry.max_version, kMaxFindCoordinatorVersion);
    }
    if (entry.min_version > entry.max_version) {
      return failed(kWhat, request_version,
                    "the broker requires API " + std::to_string(entry.api_key) + " v" +
                        std::to_string(entry.min_version) +
                        " or later, whose responses are flexible and cannot be rewritten");
    }
  }
  constexpr std::string_view kNoTags("\0", 1);
  entries.push_back({api::kSaslHandshake, 0, kMaxSaslHandshakeVersion, kNoTags});
  entries.push_back({api::kSaslAuthenticate, 0, kMaxSaslAuthenticateVersion, kNoTags});
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.api_key < b.api_key; });

  Writer out;
  out.i32(correlation_id);
  out.i16(error);
  if (flexible) {
    out.uvarint(entries.size() + 1);
  } else {
    out.i32(static_cast<std::int32_t>(entries.size()));
  }
  for (const Entry& entry : entries) {
    out.i16(entry.api_key);
    out.i16(entry.min_version);
    out.i16(entry.max_version);
    if (flexible) out.raw(entry.tagged_fields);
  }
  out.raw(rest);
  return {out.take(), {}};
}

Rewritten rewrite_metadata(std::string_view response, std::int16_t version,
                           const AddressMap& gateways) {
  constexpr std::string_view kWhat = "Metadata";
  if (version < 0 || version > kMaxMetadataVersion) {
    return failed(kWhat, version,
                  "flexible versions (v9+) are not parsed; the gateway "
                  "advertises at most v8");
  }
  Reader in(response);
  Writer out;
  out.i32(in.i32());                    // correlation_id
  if (version >= 3) out.i32(in.i32());  // throttle_time_ms
  const std::int32_t brokers = in.i32();
  if (!in.ok() || brokers < 0) return failed(kWhat, version, "bad brokers array");
  out.i32(brokers);
  for (std::int32_t i = 0; i < brokers; ++i) {
    out.i32(in.i32());  // node_id
    const std::optional<std::string_view> host = in.nullable_string();
    const std::int32_t port = in.i32();
    const std::optional<std::string_view> rack = version >= 1 ? in.nullable_string() : std::nullopt;
    if (!in.ok()) return failed(kWhat, version, "truncated in the brokers array");
    std::string error;
    if (!write_gateway_address(out, host, port, gateways, error)) {
      return failed(kWhat, version, error);
    }
    if (version >= 1) out.nullable_string(rack);
  }
  out.raw(in.rest());  // cluster_id, controller_id, topics, ...: unchanged
  return {out.take(), {}};
}

Rewritten rewrite_find_coordinator(std::string_view response, std::int16_t version,
                                   const AddressMap& gateways) {
  constexpr std::string_view kWhat = "FindCoordinator";
  if (version < 0 || version > kMaxFindCoordinatorVersion) {
    return failed(kWhat, version,
                  "flexible versions (v3+) are not parsed; the gateway "
                  "advertises at most v2");
  }
  Reader in(response);
  Writer out;
  out.i32(in.i32());                    // correlation_id
  if (version >= 1) out.i32(in.i32());  // throttle_time_ms
  const std::int16_t error = in.i16();
  out.i16(error);
  if (version >= 1) out.nullable_string(in.nullable_string());  // error_message
  out.i32(in.i32());                                            // node_id
  const std::optional<std::string_view> host = in.nullable_string();
  const std::int32_t port = in.i32();
  if (!in.ok()) return failed(kWhat, version, "truncated");
  if (error != kafka_error::kNone) return {std::string(response), {}};
  std::string why;
  if (!write_gateway_address(out, host, port, gateways, why)) return failed(kWhat, version, why);
  out.raw(in.rest());
  return {out.take(), {}};
}

std::optional<std::string> parse_sasl_handshake(std::string_view frame) {
  std::optional<Reader> in = body_after_v1_header(frame);
  if (!in) return std::nullopt;
  const std::optional<std::string_view> mechanism = in->nullable_string();
  if (!in->ok() || !mechanism) return std::nullopt;
  return std::string(*mechanism);
}

std::optional<std::string> parse_sasl_authenticate(std::string_view frame) {
  std::optional<Reader> in = body_after_v1_header(frame);
  if (!in) return std::nullopt;
  const std::string_view auth_bytes = in->bytes();
  if (!in->ok()) return std::nullopt;
  return std::string(auth_bytes);
}

std::string sasl_handshake_response(std::int32_t correlation_id, std::int16_t error,
                                    const std::vector<std::string>& mechanisms) {
  Writer out;
  out.i32(correlation_id);
  out.i16(error);
  out.i32(static_cast<std::int32_t>(mechanisms.size()));
  for (const std::string& mechanism : mechanisms) out.string(mechanism);
  return out.take();
}

std::string sasl_authenticate_response(std::int32_t correlation_id, std::int16_t version,
                                       std::int16_t error, std::string_view error_message,
                                       std::string_view auth_bytes) {
  Writer out;
  out.i32(correlation_id);
  out.i16(error);
  out.nullable_string(error_message.empty() ? std::nullopt
                                            : std::optional<std::string_view>(error_message));
  out.bytes(auth_bytes);
  if (version >= 1) out.i64(0);  // session_lifetime_ms: 0, the session never expires
  return out.take();
}

}  // namespace weft::fakes::kafka
