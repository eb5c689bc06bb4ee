#include "admin/dlq_routes.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "admin/time_text.h"
#include "state/dead_letter_json.h"
#include "state/state_store.h"

namespace weft::admin {
namespace {

using nlohmann::json;

constexpr std::string_view kListPath = "/api/dlq";
constexpr std::string_view kEntryPrefix = "/api/dlq/";
constexpr std::string_view kReplayPath = "/api/dlq/replay";
constexpr std::string_view kPurgePath = "/api/dlq/purge";

// A replay dry run and a purge with "before" walk the matching entries in pages of this size,
// so memory stays bounded however long the queue is.
constexpr std::size_t kScanPageSize = 500;

// A store failure: 503, with the store's message (it names the file, never a secret).
AdminResponse store_error(const Error& error) { return error_response(503, error.message()); }

// Decimal digits only (no sign, no spaces), fitting int64.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string not_found_message(std::int64_t id) {
  return "dead letter " + std::to_string(id) + " not found";
}

// ---- GET /api/dlq query -------------------------------------------------------------------

// "a=1&b=x%20y" -> {a: "1", b: "x y"}; nullopt (with `problem` set) on a malformed escape or a
// repeated parameter.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query,
                                                              std::string& problem) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const auto name = percent_decode(part.substr(0, eq), true);
    const auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!name || !value) {
      problem = "malformed percent-escape in query string";
      return std::nullopt;
    }
    if (!out.emplace(*name, *value).second) {
      problem = "query parameter '" + *name + "' is given more than once";
      return std::nullopt;
    }
  }
  return out;
}

// ---- POST bodies --------------------------------------------------------------------------

// What a replay or purge body selects.
struct Selection {
  DeadLetterFilter filter;
  bool all = false;
  bool dry_run = false;                     // replay only
  std::optional<Clock::time_point> before;  // purge only
};

enum class BodyKind { kReplay, kPurge };

// The body as a Selection, or the 400 that explains what is wrong with it.
std::variant<Selection, AdminResponse> parse_selection(std::string_view body, BodyKind kind) {
  const char* verb = kind == BodyKind::kReplay ? "replay" : "purge";
  const std::string expected =
      kind == BodyKind::kReplay ? "id, pipeline, all, dry_run" : "id, pipeline, all, before";
  const std::string how = std::string("say which dead letters to ") + verb +
                          R"(: send {"id": N}, {"pipeline": "name"} or {"all": true})";
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return error_response(400, "request body is empty; " + how);
  }
  json object;
  try {
    object = json::parse(body);
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
    std::string what = e.what();
    if (const auto bracket = what.find("] ");
        what.starts_with("[") && bracket != std::string::npos) {
      what.erase(0, bracket + 2);
    }
    return error_response(400, "request body is not valid JSON: " + what);
  }
  if (!object.is_object()) return error_response(400, "request body must be a JSON object; " + how);

  Selection out;
  for (const auto& [name, value] : object.items()) {
    if (value.is_null()) continue;  // same as absent
    if (name == "pipeline") {
      if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        return error_response(400, "field 'pipeline' must be a non-empty string");
      }
      out.filter.pipeline = value.get<std::string>();
    } else if (name == "id") {
      if (!value.is_number_integer() || value.get<std::int64_t>() <= 0) {
        return error_response(400, "field 'id' must be a positive integer");
      }
      out.filter.id = value.get<std::int64_t>();
    } else if (name == "all") {
      if (!value.is_boolean()) return error_response(400, "field 'all' must be true or false");
      out.all = value.get<bool>();
    } else if (name == "dry_run" && kind == BodyKind::kReplay) {
      if (!value.is_boolean()) return error_response(400, "field 'dry_run' must be true or false");
      out.dry_run = value.get<bool>();
    } else if (name == "before" && kind == BodyKind::kPurge) {
      const auto time = value.is_string()
                            ? parse_time_or_ago(value.get_ref<const std::string&>(), Clock::now())
                            : std::nullopt;
      if (!time) {
        return error_response(400, "field 'before' must be " + std::string(kTimeSyntaxHint) +
                                       ", got " + value.dump());
      }
      out.before = time;
    } else {
      return error_response(400, "unknown field '" + name + "' (expected " + expected + ")");
    }
  }
  if (out.all && (out.filter.id || out.filter.pipeline)) {
    return error_response(400, "field 'all' cannot be combined with 'id' or 'pipeline'");
  }
  if (!out.all && !out.filter.id && !out.filter.pipeline) return error_response(400, how);
  return out;
}

// Calls `visit(page)` (returning Status) for every page of entries matching `filter` (its paging
// fields ignored); stops at the first error, from the store or from `visit`.
template <typename Visit>
Status for_each_page(StateStore& store, DeadLetterFilter filter, Visit visit) {
  filter.after_id = 0;
  filter.limit = kScanPageSize;
  for (;;) {
    auto page = store.list_dead_letters(filter);
    if (!page.ok()) return page.error();
    if (page->empty()) return {};
    filter.after_id = page->back().id;
    const bool last = page->size() < kScanPageSize;
    if (Status status = visit(*page); !status.ok()) return status;
    if (last) return {};
  }
}

// After an operation selected by id touched nothing: a 404 when the id does not exist (rather
// than a quiet 0), nullopt when it exists but did not match the rest of the selection.
std::optional<AdminResponse> missing_id(StateStore& store, const Selection& selection) {
  if (!selection.filter.id) return std::nullopt;
  auto entry = store.get_dead_letter(*selection.filter.id);
  if (!entry.ok()) return store_error(entry.error());
  if (entry->has_value()) return std::nullopt;
  return error_response(404, not_found_message(*selection.filter.id));
}

}  // namespace

std::optional<std::string_view> dlq_allowed_method(std::string_view path) {
  if (path == kListPath) return "GET";
  if (path == kReplayPath || path == kPurgePath) return "POST";
  if (path.size() > kEntryPrefix.size() && path.starts_with(kEntryPrefix) &&
      path.find('/', kEntryPrefix.size()) == std::string_view::npos) {
    return "GET";
  }
  return std::nullopt;
}

AdminResponse DlqRoutes::handle(const AdminRequest& request) const {
  const auto question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : request.target.substr(question + 1);
  const auto allowed = dlq_allowed_method(path);
  if (!allowed) return error_response(404, "not found: " + std::string(path));
  if (request.method != *allowed) return method_not_allowed(request.method, path, *allowed);
  if (path == kListPath) return list(query);
  if (path == kReplayPath) return replay(request.body);
  if (path == kPurgePath) return purge(request.body);
  return show(path.substr(kEntryPrefix.size()));
}

AdminResponse DlqRoutes::list(std::string_view query) const {
  std::string problem;
  const auto params = parse_query(query, problem);
  if (!params) return error_response(400, problem);

  DeadLetterFilter filter;
  std::size_t limit = kDlqDefaultPageSize;
  for (const auto& [name, value] : *params) {
    if (name == "pipeline") {
      if (value.empty()) return error_response(400, "query parameter 'pipeline' is empty");
      filter.pipeline = value;
    } else if (name == "since") {
      filter.since = parse_time_or_ago(value, Clock::now());
      if (!filter.since) {
        return error_response(400, "query parameter 'since' must be " +
                                       std::string(kTimeSyntaxHint) + ", got '" + value + "'");
      }
    } else if (name == "limit") {
      const auto n = parse_integer(value);
      if (!n || *n < 1 || static_cast<std::uint64_t>(*n) > kDlqMaxPageSize) {
        return error_response(400, "query parameter 'limit' must be an integer from 1 to " +
                                       std::to_string(kDlqMaxPageSize) + ", got '" + value + "'");
      }
      limit = static_cast<std::size_t>(*n);
    } else if (name == "after_id") {
      const auto n = parse_integer(value);
      if (!n) {
        return error_response(400,
                              "query parameter 'after_id' must be a non-negative integer, "
                              "got '" +
                                  value + "'");
      }
      filter.after_id = *n;
    } else {
      return error_response(400, "unknown query parameter '" + name +
                                     "' (expected pipeline, since, limit, after_id)");
    }
  }

  filter.limit = limit + 1;  // one more than asked tells whether another page exists
  auto entries = store_.list_dead_letters(filter);
  if (!entries.ok()) return store_error(entries.error());
  json next_after_id = nullptr;
  if (entries->size() > limit) {
    entries->resize(limit);
    next_after_id = entries->back().id;
  }
  json out_entries = json::array();
  for (const auto& entry : *entries) out_entries.push_back(dead_letter_to_json(entry, false));
  return json_response(
      200, json{{"entries", std::move(out_entries)}, {"next_after_id", std::move(next_after_id)}});
}

AdminResponse DlqRoutes::show(std::string_view raw_id) const {
  const auto id = parse_integer(raw_id);
  if (!id || *id <= 0) {
    const std::string shown = percent_decode(raw_id).value_or(std::string(raw_id));
    return error_response(400, "dead letter id must be a positive integer, got '" + shown + "'");
  }
  auto entry = store_.get_dead_letter(*id);
  if (!entry.ok()) return store_error(entry.error());
  if (!entry->has_value()) return error_response(404, not_found_message(*id));
  return json_response(200, dead_letter_to_json(**entry, true));
}

AdminResponse DlqRoutes::replay(std::string_view body) const {
  auto parsed = parse_selection(body, BodyKind::kReplay);
  if (auto* rejected = std::get_if<AdminResponse>(&parsed)) return std::move(*rejected);
  const Selection& selection = std::get<Selection>(parsed);

  std::size_t matched = 0;
  std::size_t marked = 0;
  if (selection.dry_run) {
    const Status status =
        for_each_page(store_, selection.filter, [&](const std::vector<DeadLetter>& page) {
          matched += page.size();
          return Status();
        });
    if (!status.ok()) return store_error(status.error());
  } else {
    auto count = store_.request_replay(selection.filter);
    if (!count.ok()) return store_error(count.error());
    matched = marked = *count;
  }
  if (matched == 0) {
    if (auto response = missing_id(store_, selection)) return std::move(*response);
  }
  return json_response(200, json{{"matched", matched}, {"marked", marked}});
}

AdminResponse DlqRoutes::purge(std::string_view body) const {
  auto parsed = parse_selection(body, BodyKind::kPurge);
  if (auto* rejected = std::get_if<AdminResponse>(&parsed)) return std::move(*rejected);
  const Selection& selection = std::get<Selection>(parsed);

  std::size_t purged = 0;
  if (!selection.before) {
    auto count = store_.purge_dead_letters(selection.filter);
    if (!count.ok()) return store_error(count.error());
    purged = *count;
  } else {
    // The filter has no upper time bound: collect the older entries page by page and delete
    // them by id. An entry that fails again meanwhile (a replay running now) may still go.
    const Status status =
        for_each_page(store_, selection.filter, [&](const std::vector<DeadLetter>& page) {
          std::vector<std::int64_t> ids;
          for (const auto& entry : page) {
            if (entry.last_failure < *selection.before) ids.push_back(entry.id);
          }
          if (ids.empty()) return Status();
          Status removed = store_.remove_dead_letters(ids);
          if (removed.ok()) purged += ids.size();
          return removed;
        });
    if (!status.ok()) return store_error(status.error());
  }
  if (purged == 0) {
    if (auto response = missing_id(store_, selection)) return std::move(*response);
  }
  return json_response(200, json{{"purged", purged}});
}

}  // namespace weft::admin
