#include "pgoutput_fuzz_body.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "pgcdc/pg_value.h"
#include "pgcdc/pgoutput.h"

namespace weft::pgcdc {
namespace {

// A spread of conversions: number, float, bool, text, json, timestamps, bytea and arrays.
constexpr std::uint32_t kOids[] = {23,   701,  16,  25,   114,  1114, 1184, 17,
                                   1007, 1009, 199, 1185, 1001, 3807, 1022, 16385};

void check_json(std::uint32_t oid, std::string_view text) {
  std::string out;
  append_json_value(out, oid, text);
  if (!nlohmann::json::accept(out)) {
    std::fprintf(stderr, "append_json_value(%u) produced invalid JSON: %s\n", oid, out.c_str());
    std::abort();
  }
}

void check_tuple(const Tuple& tuple) {
  for (const auto& value : tuple) {
    if (value.kind != ValueKind::kText && value.kind != ValueKind::kBinary) continue;
    for (const auto oid : kOids) check_json(oid, value.data);
  }
}

void check_message(std::string_view bytes) {
  const auto decoded = decode_pgoutput(bytes);
  if (!decoded.ok()) {
    if (decoded.error().message().empty()) std::abort();
    return;
  }
  if (const auto* ins = std::get_if<Insert>(&*decoded)) check_tuple(ins->new_tuple);
  if (const auto* upd = std::get_if<Update>(&*decoded)) {
    if (upd->old_tuple) check_tuple(*upd->old_tuple);
    check_tuple(upd->new_tuple);
  }
  if (const auto* del = std::get_if<Delete>(&*decoded)) check_tuple(del->old_tuple);
}

}  // namespace

void fuzz_one_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto frame = parse_stream_message(bytes);
  if (frame.ok()) {
    if (const auto* x = std::get_if<XLogData>(&*frame)) check_message(x->message);
  } else if (frame.error().message().empty()) {
    std::abort();
  }
  check_message(bytes);
  if (size > 0) check_json(kOids[data[0] % std::size(kOids)], bytes.substr(1));
}

}  // namespace weft::pgcdc
