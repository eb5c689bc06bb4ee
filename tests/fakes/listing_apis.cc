#include "fakes/listing_apis.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <vector>

#include "fakes/encoding.h"

namespace weft::fakes {
namespace {

using net::HttpResponse;

constexpr std::int64_t kNoFilter = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kFarFuture = std::int64_t{1} << 50;
// A rendered record is about 260 bytes; reserving for it saves the page's reallocations.
constexpr std::size_t kRecordBytes = 280;
constexpr std::size_t kEnvelopeBytes = 256;

const std::string* find(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An integer parameter: `fallback` when absent, nullopt when not an integer >= `min`.
std::optional<std::int64_t> int_param(const QueryParams& params, std::string_view name,
                                      std::int64_t fallback, std::int64_t min) {
  const std::string* text = find(params, name);
  if (text == nullptr) return fallback;
  const auto value = parse_int(*text);
  if (!value || *value < min) return std::nullopt;
  return value;
}

std::optional<std::int64_t> page_size(const QueryParams& params, std::string_view name) {
  const auto size = int_param(params, name, kDefaultPageSize, 1);
  if (!size) return std::nullopt;
  return std::min(*size, kMaxPageSize);
}

// An "updated since" parameter: the earliest `created` it lets through (kNoFilter when absent)
// and its text for the links that carry it on; nullopt when it is not a time.
struct TimeFilter {
  std::int64_t min_created = kNoFilter;
  const std::string* text = nullptr;
};

std::optional<TimeFilter> time_filter(const QueryParams& params, std::string_view name) {
  TimeFilter filter;
  filter.text = find(params, name);
  if (filter.text == nullptr) return filter;
  const auto time = parse_time(*filter.text);
  if (!time) return std::nullopt;
  filter.min_created = *time;
  return filter;
}

HttpResponse bad_request(std::string body) {
  HttpResponse response;
  response.status = 400;
  response.body = std::move(body);
  return response;
}

HttpResponse error(std::string_view message) {
  std::string body = R"({"error":)";
  append_json_string(body, message);
  body += '}';
  return bad_request(std::move(body));
}

std::string reserved_body(std::size_t records) {
  std::string body;
  body.reserve(records * kRecordBytes + kEnvelopeBytes);
  return body;
}

void append_records(std::string& out, const std::vector<RecordRef>& page) {
  out += '[';
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (i != 0) out += ',';
    append_record(out, page[i]);
  }
  out += ']';
}

HttpResponse stripe(const ListingRequest& request, const std::shared_ptr<const Snapshot>& data) {
  const auto fail = [](std::string_view message, std::string_view param) {
    std::string body = R"({"error":{"type":"invalid_request_error","message":)";
    append_json_string(body, message);
    body.append(R"(,"param":)");
    append_json_string(body, param);
    body.append("}}");
    return bad_request(std::move(body));
  };
  const auto limit = page_size(request.params, "limit");
  if (!limit) return fail("Invalid integer: limit", "limit");
  std::int64_t min_created = kNoFilter;
  for (const auto& [name, bump] : {std::pair{"created[gte]", 0}, std::pair{"created[gt]", 1}}) {
    const auto value = int_param(request.params, name, kNoFilter, kNoFilter);
    if (!value) return fail("Invalid integer: " + std::string(name), name);
    // Clamped: far beyond any record, and safe to add to.
    if (*value != kNoFilter)
      min_created = std::max(min_created, std::min(*value, kFarFuture) + bump);
  }
  const std::string* after = find(request.params, "starting_after");
  const std::string* before = find(request.params, "ending_before");
  if (after != nullptr && before != nullptr) {
    return fail("You may only specify one of these parameters: starting_after, ending_before.",
                "starting_after");
  }
  const View view(data, min_created, Order::kTimeDesc);
  std::int64_t start = 0;
  std::int64_t end = view.size();
  if (after != nullptr || before != nullptr) {
    const std::string& id = after != nullptr ? *after : *before;
    const auto key = data->find_id(id);
    if (!key) {
      return fail("No such customer: '" + id + "'",
                  after != nullptr ? "starting_after" : "ending_before");
    }
    if (after != nullptr) {
      start = view.count_until(*key, true);
    } else {
      end = view.count_until(*key, false);
      start = std::max<std::int64_t>(0, end - *limit);
    }
  }
  const auto page = view.page(start, std::min(*limit, end - start));
  // ending_before pages backwards: "more" means more newer records.
  const bool has_more =
      before != nullptr ? start > 0 : start + static_cast<std::int64_t>(page.size()) < view.size();
  HttpResponse response;
  response.body = reserved_body(page.size());
  response.body.append(R"({"object":"list","url":"/v1/customers","has_more":)");
  response.body.append(has_more ? "true" : "false");
  response.body.append(R"(,"data":)");
  append_records(response.body, page);
  response.body += '}';
  return response;
}

HttpResponse servicenow(const ListingRequest& request,
                        const std::shared_ptr<const Snapshot>& data) {
  const auto fail = [](std::string_view message) {
    std::string body = R"({"error":{"message":)";
    append_json_string(body, message);
    body.append(R"(,"detail":""},"status":"failure"})");
    return bad_request(std::move(body));
  };
  const auto offset = int_param(request.params, "sysparm_offset", 0, 0);
  if (!offset) return fail("sysparm_offset must be an integer >= 0");
  const auto limit = page_size(request.params, "sysparm_limit");
  if (!limit) return fail("sysparm_limit must be an integer >= 1");
  std::int64_t min_created = kNoFilter;
  Order order = Order::kNumberAsc;
  std::string_view query;
  if (const std::string* text = find(request.params, "sysparm_query")) query = *text;
  while (!query.empty()) {
    const auto caret = query.find('^');
    const std::string_view term = query.substr(0, caret);
    query = caret == std::string_view::npos ? std::string_view() : query.substr(caret + 1);
    if (term.empty() || term == "ORDERBYnumber") continue;
    if (term == "ORDERBYsys_updated_on") {
      order = Order::kTimeAsc;
      continue;
    }
    const bool inclusive = term.starts_with("sys_updated_on>=");
    if (!inclusive && !term.starts_with("sys_updated_on>")) {
      return fail("unsupported sysparm_query term: " + std::string(term));
    }
    std::string_view value = term.substr(inclusive ? 16 : 15);
    std::string generated;  // javascript:gs.dateGenerate('2023-11-14','22:13:20')
    if (value.starts_with("javascript:gs.dateGenerate('") && value.ends_with("')")) {
      const std::string_view args = value.substr(28, value.size() - 30);
      const auto split = args.find("','");
      if (split != std::string_view::npos) {
        generated.append(args.substr(0, split)).append(" ").append(args.substr(split + 3));
        value = generated;
      }
    }
    const auto time = parse_time(value);
    if (!time) return fail("not a time in sysparm_query: " + std::string(term));
    min_created = std::max(min_created, inclusive ? *time : *time + 1);
  }
  const View view(data, min_created, order);
  const auto page = view.page(*offset, *limit);
  HttpResponse response;
  response.body = reserved_body(page.size());
  response.body.append(R"({"result":)");
  append_records(response.body, page);
  response.body += '}';
  response.headers.emplace_back("X-Total-Count", std::to_string(view.size()));
  return response;
}

HttpResponse link_pages(const ListingRequest& request,
                        const std::shared_ptr<const Snapshot>& data) {
  const auto page_number = int_param(request.params, "page", 1, 1);
  if (!page_number) return error("page must be an integer >= 1");
  const auto per_page = page_size(request.params, "per_page");
  if (!per_page) return error("per_page must be an integer >= 1");
  const auto since = time_filter(request.params, "since");
  if (!since) return error("since must be an ISO 8601 time");
  const View view(data, since->min_created, Order::kNumberAsc);
  const std::int64_t last = std::max<std::int64_t>(1, (view.size() + *per_page - 1) / *per_page);
  const std::int64_t page = std::min(*page_number, last + 1);  // beyond the last: empty
  const auto records = view.page((page - 1) * *per_page, *per_page);

  std::string link;
  const auto add = [&](std::int64_t target, std::string_view rel) {
    if (!link.empty()) link.append(", ");
    link.append("<").append(request.base_url).append("/link/items?page=");
    append_int(link, target);
    link.append("&per_page=");
    append_int(link, *per_page);
    if (since->text != nullptr) link.append("&since=").append(percent_encode(*since->text));
    link.append(">; rel=\"").append(rel).append("\"");
  };
  if (page < last) add(page + 1, "next");
  add(last, "last");
  if (page > 1) {
    add(1, "first");
    add(std::min(page - 1, last), "prev");
  }
  HttpResponse response;
  response.body = reserved_body(records.size());
  append_records(response.body, records);
  response.headers.emplace_back("Link", std::move(link));
  return response;
}

HttpResponse numbered_pages(const ListingRequest& request,
                            const std::shared_ptr<const Snapshot>& data) {
  const auto page = int_param(request.params, "page", 1, 1);
  if (!page) return error("page must be an integer >= 1");
  const auto size = page_size(request.params, "page_size");
  if (!size) return error("page_size must be an integer >= 1");
  const auto since = time_filter(request.params, "updated_since");
  if (!since) return error("updated_since must be an ISO 8601 time");
  const View view(data, since->min_created, Order::kNumberAsc);
  // Pages far beyond the last are empty; the clamp only keeps the offset from overflowing.
  const std::int64_t offset = std::min(*page - 1, view.size()) * *size;
  const auto records = view.page(offset, *size);
  HttpResponse response;
  response.body = reserved_body(records.size());
  response.body.append(R"({"items":)");
  append_records(response.body, records);
  response.body.append(R"(,"page":)");
  append_int(response.body, *page);
  response.body.append(R"(,"total_pages":)");
  append_int(response.body, (view.size() + *size - 1) / *size);
  response.body.append(R"(,"total":)");
  append_int(response.body, view.size());
  response.body += '}';
  return response;
}

// Cursor tokens: base64url("v1:<last number>:<min created or empty>").
std::string make_cursor(std::int64_t after, std::int64_t min_created) {
  std::string plain = "v1:";
  append_int(plain, after);
  plain += ':';
  if (min_created != kNoFilter) append_int(plain, min_created);
  return base64_encode(plain, /*url_safe=*/true);
}

struct Cursor {
  std::int64_t after = 0;
  std::int64_t min_created = kNoFilter;
};

std::optional<Cursor> read_cursor(std::string_view token) {
  const auto plain = base64_decode(token);
  if (!plain || !plain->starts_with("v1:")) return std::nullopt;
  const std::string_view rest = std::string_view(*plain).substr(3);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto after = parse_int(rest.substr(0, colon));
  if (!after || *after < 0) return std::nullopt;
  Cursor cursor{*after, kNoFilter};
  if (colon + 1 < rest.size()) {
    const auto min_created = parse_int(rest.substr(colon + 1));
    if (!min_created) return std::nullopt;
    cursor.min_created = *min_created;
  }
  return cursor;
}

HttpResponse cursor_pages(const ListingRequest& request,
                          const std::shared_ptr<const Snapshot>& data) {
  const auto limit = page_size(request.params, "limit");
  if (!limit) return error("limit must be an integer >= 1");
  const auto since = time_filter(request.params, "updated_since");
  if (!since) return error("updated_since must be an ISO 8601 time");
  Cursor cursor{0, since->min_created};
  if (const std::string* token = find(request.params, "cursor"); token && !token->empty()) {
    const auto read = read_cursor(*token);
    if (!read) return error("invalid cursor");
    cursor.after = read->after;
    if (since->text == nullptr) cursor.min_created = read->min_created;  // the query's own wins
  }
  const View view(data, cursor.min_created, Order::kNumberAsc);
  const std::int64_t start = view.count_until({0, cursor.after}, true);
  const auto records = view.page(start, *limit);
  const bool more = start + static_cast<std::int64_t>(records.size()) < view.size();
  HttpResponse response;
  response.body = reserved_body(records.size());
  response.body.append(R"({"items":)");
  append_records(response.body, records);
  response.body.append(R"(,"next_cursor":)");
  if (more) {
    std::string next = make_cursor(records.back().number, cursor.min_created);
    append_json_string(response.body, next);
    response.headers.emplace_back("X-Next-Cursor", std::move(next));
  } else {
    response.body.append("null");
  }
  response.body += '}';
  return response;
}

HttpResponse next_url_pages(const ListingRequest& request,
                            const std::shared_ptr<const Snapshot>& data) {
  const auto after = int_param(request.params, "after", 0, 0);
  if (!after) return error("after must be an integer >= 0");
  const auto limit = page_size(request.params, "limit");
  if (!limit) return error("limit must be an integer >= 1");
  const auto since = time_filter(request.params, "updated_since");
  if (!since) return error("updated_since must be an ISO 8601 time");
  const View view(data, since->min_created, Order::kNumberAsc);
  const std::int64_t start = view.count_until({0, *after}, true);
  const auto records = view.page(start, *limit);
  const bool more = start + static_cast<std::int64_t>(records.size()) < view.size();
  HttpResponse response;
  response.body = reserved_body(records.size());
  response.body.append(R"({"results":)");
  append_records(response.body, records);
  response.body.append(R"(,"next":)");
  if (more) {
    std::string next(request.base_url);
    next.append("/next/items?after=");
    append_int(next, records.back().number);
    next.append("&limit=");
    append_int(next, *limit);
    if (since->text != nullptr) next.append("&updated_since=").append(percent_encode(*since->text));
    append_json_string(response.body, next);
  } else {
    response.body.append("null");
  }
  response.body += '}';
  return response;
}

HttpResponse offset_pages(const ListingRequest& request,
                          const std::shared_ptr<const Snapshot>& data) {
  const auto offset = int_param(request.params, "offset", 0, 0);
  if (!offset) return error("offset must be an integer >= 0");
  const auto limit = page_size(request.params, "limit");
  if (!limit) return error("limit must be an integer >= 1");
  const auto since = time_filter(request.params, "updated_since");
  if (!since) return error("updated_since must be an ISO 8601 time");
  const View view(data, since->min_created, Order::kNumberAsc);
  const auto records = view.page(*offset, *limit);
  HttpResponse response;
  response.body = reserved_body(records.size());
  response.body.append(R"({"data":)");
  append_records(response.body, records);
  response.body.append(R"(,"total":)");
  append_int(response.body, view.size());
  response.body += '}';
  return response;
}

using Endpoint = HttpResponse (*)(const ListingRequest&, const std::shared_ptr<const Snapshot>&);

constexpr std::pair<std::string_view, Endpoint> kEndpoints[] = {
    {"/v1/customers", stripe},       {"/api/now/table/incident", servicenow},
    {"/link/items", link_pages},     {"/pages/items", numbered_pages},
    {"/cursor/items", cursor_pages}, {"/next/items", next_url_pages},
    {"/offset/items", offset_pages},
};

}  // namespace

bool is_listing(std::string_view path) {
  return std::any_of(std::begin(kEndpoints), std::end(kEndpoints),
                     [&](const auto& endpoint) { return endpoint.first == path; });
}

HttpResponse answer_listing(const ListingRequest& request,
                            const std::shared_ptr<const Snapshot>& snapshot) {
  for (const auto& [path, endpoint] : kEndpoints) {
    if (path == request.path) return endpoint(request, snapshot);
  }
  HttpResponse response;
  response.status = 404;
  response.body = R"({"error":"not found"})";
  return response;
}

}  // namespace weft::fakes
