#include "mapper/functions.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/suggest.h"
#include "mapper/coerce.h"
#include "mapper/uuid.h"

namespace weft {
namespace {

using nlohmann::json;

constexpr std::size_t kMany = std::numeric_limits<std::size_t>::max();

struct Spec {
  Function function;
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;
  std::string_view usage;
};

// Indexed by Function: keep the order of the enum.
constexpr std::array<Spec, 13> kSpecs = {{
    {Function::kTrim, "trim", 0, 0, "trim"},
    {Function::kLower, "lower", 0, 0, "lower"},
    {Function::kUpper, "upper", 0, 0, "upper"},
    {Function::kReplace, "replace", 2, 2, "replace(a, b)"},
    {Function::kSplit, "split", 1, 1, "split(sep)"},
    {Function::kJoin, "join", 1, 1, "join(sep)"},
    {Function::kConcat, "concat", 1, kMany, "concat(x, ...)"},
    {Function::kSubstr, "substr", 1, 2, "substr(start[, n])"},
    {Function::kHash, "hash", 0, 0, "hash"},
    {Function::kToString, "to_string", 0, 0, "to_string"},
    {Function::kRound, "round", 0, 1, "round([digits])"},
    {Function::kNow, "now", 0, 0, "now"},
    {Function::kUuidV5, "uuid_v5", 0, 1, "uuid_v5([ns])"},
}};

const Spec& spec(Function f) { return kSpecs[static_cast<std::size_t>(f)]; }

std::string plural(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

std::string arity(const Spec& s) {
  if (s.max_args == 0) return "no arguments";
  if (s.min_args == s.max_args) return plural(s.min_args);
  if (s.max_args == kMany) return "at least " + plural(s.min_args);
  return std::to_string(s.min_args) + " or " + std::to_string(s.max_args) + " arguments";
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

Error expected(std::string_view what, const json& got) {
  return Error::permanent("expected " + std::string(what) + ", got " + describe_value(got));
}

// JSON text that never throws: invalid UTF-8 in a string is replaced, not an exception.
std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Strings as they are, anything else as its compact JSON (written to `scratch`).
std::string_view text_of(const json& v, std::string& scratch) {
  if (v.is_string()) return v.get_ref<const std::string&>();
  scratch = dump(v);
  return scratch;
}

const std::string* string_arg(const std::vector<json>& args, std::size_t i) {
  return i < args.size() && args[i].is_string() ? &args[i].get_ref<const std::string&>() : nullptr;
}

std::optional<std::int64_t> integer_arg(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) return std::nullopt;  // beyond int64, never a sane count
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == std::trunc(d) && std::fabs(d) < 9e18) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// Applies `op` to `v`, or to each element when `v` is an array (recursively); null stays null.
template <typename Op>
Result<json> each(const json& v, const Op& op) {
  if (v.is_null()) return json();
  if (!v.is_array()) return op(v);
  json out = json::array();
  auto& items = out.get_ref<json::array_t&>();
  items.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto r = each(v[i], op);
    if (!r) return Error::permanent("element [" + std::to_string(i) + "]: " + r.error().message());
    items.push_back(std::move(*r));
  }
  return out;
}

// Like each(), for functions that only take strings.
template <typename Op>
Result<json> each_string(const json& v, const Op& op) {
  return each(v, [&](const json& e) -> Result<json> {
    if (!e.is_string()) return expected("a string", e);
    return op(e.get_ref<const std::string&>());
  });
}

// ASCII only and locale-independent: other bytes (UTF-8 sequences included) are kept.
json change_case(const std::string& s, bool upper) {
  const char from = upper ? 'a' : 'A';
  std::string out(s);
  for (char& c : out) {
    if (c >= from && c <= from + 25) c = static_cast<char>(c + (upper ? 'A' - 'a' : 'a' - 'A'));
  }
  return json(std::move(out));
}

// Byte offset after advancing `count` code points from byte `pos` (clamped to the end).
std::size_t advance(std::string_view s, std::size_t pos, std::int64_t count) {
  for (; count > 0 && pos < s.size(); --count) {
    ++pos;
    while (pos < s.size() && is_continuation(s[pos])) ++pos;
  }
  return pos;
}

json substr(const std::string& s, std::int64_t start, std::optional<std::int64_t> count) {
  if (start < 0) {
    const auto total = static_cast<std::int64_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return !is_continuation(c); }));
    start = std::max<std::int64_t>(0, total + start);
  }
  const std::size_t begin = advance(s, 0, start);
  const std::size_t end = count ? advance(s, begin, *count) : s.size();
  return json(s.substr(begin, end - begin));
}

Result<json> sha256_hex(std::string_view data) {
  // Fetched once: OpenSSL 3 would otherwise look the algorithm up on every call (half the cost
  // of hashing a short string). Never freed; it lives as long as the process.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (kSha256 == nullptr ||
      EVP_Digest(data.data(), data.size(), md, &length, kSha256, nullptr) != 1) {
    return Error::permanent("SHA-256 failed in OpenSSL");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(length * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0x0f];
  }
  return json(std::move(out));
}

// `magnitude` * 10^exponent as an integer JSON value with `negative` sign, if it fits.
Result<json> integer_result(std::uint64_t magnitude, std::int64_t exponent, bool negative,
                            const json& input) {
  std::uint64_t result = magnitude;
  for (std::int64_t k = 0; k < exponent && result != 0; ++k) {
    if (__builtin_mul_overflow(result, std::uint64_t{10}, &result)) {
      return Error::permanent(describe_value(input) + " is out of range for an integer");
    }
  }
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  if (negative) {
    if (result > kLimit) return Error::permanent(describe_value(input) + " is out of range");
    return json(result == kLimit ? std::numeric_limits<std::int64_t>::min()
                                 : -static_cast<std::int64_t>(result));
  }
  if (result < kLimit) return json(static_cast<std::int64_t>(result));
  return json(result);
}

// Half away from zero on the number's shortest decimal text, so 1.005 rounds to 1.01 and
// 2.675 to 2.68 as a user reading the data expects (the binary doubles are just below).
Result<json> round_number(const json& v, std::int64_t digits) {
  digits = std::clamp<std::int64_t>(digits, -400, 400);
  if (v.is_number_integer()) {
    if (digits >= 0) return v;
    const bool negative = !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
    const std::uint64_t mag =
        negative ? 0 - static_cast<std::uint64_t>(v.get<std::int64_t>()) : v.get<std::uint64_t>();
    if (-digits > 19) return json(0);
    std::uint64_t p = 1;
    for (std::int64_t k = 0; k < -digits; ++k) p *= 10;
    const std::uint64_t q = mag / p + (mag % p >= p - mag % p ? 1 : 0);
    return integer_result(q, -digits, negative, v);
  }
  const double x = v.get<double>();
  if (!std::isfinite(x)) return expected("a finite number", v);
  char buf[64];
  const auto sci =
      std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  if (sci.ec != std::errc{}) return expected("a number", v);
  // buf is "D[.DDD]e[+-]XX": up to 17 mantissa digits and a decimal exponent.
  char mantissa[24];
  std::int64_t length = 0;
  const char* p = buf;
  for (; p < sci.ptr && *p != 'e'; ++p) {
    if (*p != '.') mantissa[length++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), sci.ptr, exponent);
  const std::int64_t keep = exponent + digits + 1;  // mantissa digits at or above 10^-digits
  const bool negative = x < 0;
  if (keep >= length) {  // already that precise
    if (digits > 0) return v;
    if (std::fabs(x) >= 9.2233720368547758e18) {
      return Error::permanent(describe_value(v) + " is out of range for an integer");
    }
    return json(static_cast<std::int64_t>(x));
  }
  std::uint64_t kept = 0;
  for (std::int64_t k = 0; k < keep; ++k) kept = kept * 10 + (mantissa[k] - '0');
  if (keep >= 0 && mantissa[keep] >= '5') ++kept;
  // The result is kept * 10^-digits.
  if (digits <= 0) return integer_result(kept, -digits, negative && kept != 0, v);
  if (kept == 0) return json(0.0);
  const std::string text = std::to_string(kept) + "e-" + std::to_string(digits);
  double result = 0;
  std::from_chars(text.data(), text.data() + text.size(), result);
  return json(negative ? -result : result);
}

Result<json> call(Function f, const json& input, const std::vector<json>& args,
                  const FunctionContext& context) {
  switch (f) {
    case Function::kNow:
      return json(format_timestamp(context.now));
    case Function::kConcat: {
      std::string out, scratch;
      if (!input.is_null()) out += text_of(input, scratch);
      for (const auto& arg : args) {
        if (!arg.is_null()) out += text_of(arg, scratch);
      }
      return json(std::move(out));
    }
    case Function::kToString:
      if (input.is_string()) return input;
      return json(input.is_null() ? std::string() : dump(input));
    default:
      break;
  }
  if (input.is_null()) return json();
  switch (f) {
    case Function::kTrim:
      return each_string(input, [](const std::string& s) {
        std::size_t b = 0, e = s.size();
        while (b < e && is_space(s[b])) ++b;
        while (e > b && is_space(s[e - 1])) --e;
        return json(s.substr(b, e - b));
      });
    case Function::kLower:
      return each_string(input, [](const std::string& s) { return change_case(s, false); });
    case Function::kUpper:
      return each_string(input, [](const std::string& s) { return change_case(s, true); });
    case Function::kReplace: {
      const std::string* from = string_arg(args, 0);
      const std::string* to = string_arg(args, 1);
      if (!from) return expected("a string as the text to replace", args[0]);
      if (!to) return expected("a string as the replacement", args[1]);
      if (from->empty()) return Error::permanent("the text to replace is empty");
      return each_string(input, [&](const std::string& s) {
        std::string out;
        std::size_t pos = 0;
        for (std::size_t hit; (hit = s.find(*from, pos)) != std::string::npos;) {
          out.append(s, pos, hit - pos).append(*to);
          pos = hit + from->size();
        }
        out.append(s, pos, std::string::npos);
        return json(std::move(out));
      });
    }
    case Function::kSplit: {
      const std::string* sep = string_arg(args, 0);
      if (!sep) return expected("a string as the separator", args[0]);
      if (sep->empty()) return Error::permanent("the separator is empty");
      return each_string(input, [&](const std::string& s) {
        json out = json::array();
        if (s.empty()) return out;  // nothing to split: no elements, not one empty one
        std::size_t pos = 0;
        for (std::size_t hit; (hit = s.find(*sep, pos)) != std::string::npos;) {
          out.push_back(s.substr(pos, hit - pos));
          pos = hit + sep->size();
        }
        out.push_back(s.substr(pos));
        return out;
      });
    }
    case Function::kJoin: {
      const std::string* sep = string_arg(args, 0);
      if (!sep) return expected("a string as the separator", args[0]);
      if (!input.is_array()) return expected("an array", input);
      std::string out, scratch;
      for (std::size_t i = 0; i < input.size(); ++i) {
        if (i > 0) out += *sep;
        out += text_of(input[i], scratch);
      }
      return json(std::move(out));
    }
    case Function::kSubstr: {
      auto start = integer_arg(args[0]);
      if (!start) return expected("an integer start", args[0]);
      std::optional<std::int64_t> count;
      if (args.size() > 1) {
        count = integer_arg(args[1]);
        if (!count || *count < 0) return expected("a length of 0 or more", args[1]);
      }
      return each_string(input, [&](const std::string& s) { return substr(s, *start, count); });
    }
    case Function::kHash:
      return each(input, [](const json& v) {
        std::string scratch;
        return sha256_hex(text_of(v, scratch));
      });
    case Function::kRound: {
      std::int64_t digits = 0;
      if (!args.empty()) {
        auto d = integer_arg(args[0]);
        if (!d) return expected("an integer number of digits", args[0]);
        digits = *d;
      }
      if (!input.is_number()) return expected("a number", input);
      return round_number(input, digits);
    }
    case Function::kUuidV5: {
      std::string_view ns = kWeftNamespace;
      if (!args.empty()) {
        const std::string* given = string_arg(args, 0);
        if (!given || !is_uuid(*given)) {
          return Error::permanent("namespace " + describe_value(args[0]) + " is not a UUID");
        }
        ns = *given;
      }
      return each(input, [&](const json& v) -> Result<json> {
        std::string scratch;
        auto id = uuid_v5(ns, text_of(v, scratch));
        if (!id) return Error::permanent("SHA-1 failed in OpenSSL");
        return json(std::move(*id));
      });
    }
    default:
      return Error::permanent("unknown function");
  }
}

}  // namespace

const char* to_string(Function f) { return spec(f).name.data(); }

Result<Function> find_function(std::string_view name, std::size_t arg_count) {
  for (const Spec& s : kSpecs) {
    if (s.name != name) continue;
    if (arg_count < s.min_args || arg_count > s.max_args) {
      return Error::invalid_config(std::string(s.name) + " takes " + arity(s) + " (" +
                                   std::string(s.usage) + "), got " + std::to_string(arg_count));
    }
    return s.function;
  }
  // A third of the name's length, at least 1 and at most 3 edits, is a likely typo.
  const std::size_t limit = std::clamp<std::size_t>(name.size() / 3, 1, 3);
  std::string_view best;
  std::size_t best_distance = limit + 1;
  std::string all;
  for (const Spec& s : kSpecs) {
    const std::size_t d = edit_distance(name, s.name);
    if (d < best_distance) {
      best = s.name;
      best_distance = d;
    }
    all += (all.empty() ? "" : ", ") + std::string(s.name);
  }
  std::string message = "unknown function '" + std::string(name) + "'";
  if (!best.empty()) message += " (did you mean '" + std::string(best) + "'?)";
  return Error::invalid_config(message + "; functions: " + all);
}

Result<json> call_function(Function f, const json& input, const std::vector<json>& args,
                           const FunctionContext& context) {
  const Spec& s = spec(f);
  // find_function checked the count at load time; this guards callers that skipped it.
  if (args.size() < s.min_args || args.size() > s.max_args) {
    return Error::permanent(std::string(s.name) + " takes " + arity(s) + ", got " +
                            std::to_string(args.size()));
  }
  auto result = call(f, input, args, context);
  if (!result) return Error(result.error()).with_context(std::string(s.name));
  return result;
}

}  // namespace weft
