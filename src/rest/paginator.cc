#include "rest/paginator.h"

#include "common/text.h"
#include "net/url.h"

namespace weft::rest {
namespace {

// A cursor or id as query text: strings as they are, numbers in decimal.
std::optional<std::string> scalar_text(const nlohmann::json* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer() || value->is_number_unsigned()) return value->dump();
  return std::nullopt;
}

Result<std::string> resolve(const std::string& base, const std::string& reference) {
  auto base_url = net::parse_url(base);
  if (!base_url.ok()) return Error::permanent(base_url.error().message());
  auto url = net::resolve_url(*base_url, reference);
  if (!url.ok()) return Error::permanent("next page link: " + url.error().message());
  return url->to_string();
}

}  // namespace

std::optional<std::string> link_next(std::string_view header) {
  // Link: <https://api/x?page=2>; rel="next", <https://api/x?page=9>; rel="last"
  while (!header.empty()) {
    auto open = header.find('<');
    auto close = header.find('>', open);
    if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
    std::string_view target = header.substr(open + 1, close - open - 1);
    std::string_view rest = header.substr(close + 1);
    auto next_link = rest.find('<');
    std::string_view params = rest.substr(0, next_link);
    // rel may hold several space-separated relations: rel="next last"
    auto rel = to_lower(params).find("rel=");
    if (rel != std::string::npos) {
      std::string_view value = params.substr(rel + 4);
      value = value.substr(0, value.find(';'));
      value = trim(value);
      if (!value.empty() && value.front() == '"') {
        value.remove_prefix(1);
        value = value.substr(0, value.find('"'));
      } else {
        value = value.substr(0, value.find_first_of(", "));
      }
      std::string relations = " " + to_lower(value) + " ";
      if (relations.find(" next ") != std::string::npos) return std::string(target);
    }
    if (next_link == std::string_view::npos) return std::nullopt;
    header = rest.substr(next_link);
  }
  return std::nullopt;
}

PageRequest Paginator::first(const std::string& url) const {
  auto parsed = net::parse_url(url);
  if (!parsed.ok()) return {url, 0};  // the config check has already parsed it
  net::QueryParams params;
  if (!config_.limit_param.empty()) {
    params.emplace_back(config_.limit_param, std::to_string(config_.page_size));
  }
  PageRequest request{url, 0};
  if (config_.type == PaginatorType::kOffset) {
    params.emplace_back(config_.offset_param, "0");
  } else if (config_.type == PaginatorType::kPage) {
    request.number = config_.start_page;
    params.emplace_back(config_.page_param, std::to_string(config_.start_page));
  }
  parsed->target = net::with_query(parsed->target, params);
  request.url = parsed->to_string();
  return request;
}

PageRequest Paginator::at(const PageRequest& current, std::int64_t number) const {
  const std::string& param =
      config_.type == PaginatorType::kOffset ? config_.offset_param : config_.page_param;
  auto parsed = net::parse_url(current.url);
  if (!parsed.ok()) return current;
  parsed->target = net::with_query(parsed->target, {{param, std::to_string(number)}});
  return {parsed->to_string(), number};
}

std::optional<std::int64_t> Paginator::total(const PageView& page) const {
  if (config_.total_path) {
    const nlohmann::json* value = config_.total_path->lookup(page.body);
    if (value != nullptr && value->is_number_integer()) return value->get<std::int64_t>();
    if (value != nullptr && value->is_string())
      return parse_number<std::int64_t>(trim(value->get<std::string>()));
  }
  if (!config_.total_header.empty()) {
    if (auto header = page.response.header(config_.total_header))
      return parse_number<std::int64_t>(trim(*header));
  }
  return std::nullopt;
}

Result<std::optional<PageRequest>> Paginator::next(const PageRequest& current,
                                                   const PageView& page) const {
  const std::size_t count = page.record_count;
  const auto page_size = config_.page_size;
  switch (config_.type) {
    case PaginatorType::kNone:
      return std::optional<PageRequest>{};
    case PaginatorType::kCursor: {
      std::optional<std::string> cursor;
      if (config_.cursor_path) {
        const nlohmann::json* value = config_.cursor_path->lookup(page.body);
        cursor = scalar_text(value);
        if (value != nullptr && !cursor) {
          return Error::permanent("cursor at " + config_.cursor_path->display() + " is " +
                                  value->type_name() + ", not a string or integer");
        }
      }
      if (!cursor && !config_.cursor_header.empty()) {
        if (auto header = page.response.header(config_.cursor_header))
          cursor = std::string(*header);
      }
      if (!cursor || cursor->empty()) return std::optional<PageRequest>{};
      auto parsed = net::parse_url(current.url);
      if (!parsed.ok()) return Error::permanent(parsed.error().message());
      parsed->target = net::with_query(parsed->target, {{config_.cursor_param, *cursor}});
      return std::optional<PageRequest>{PageRequest{parsed->to_string(), 0}};
    }
    case PaginatorType::kStripe: {
      const nlohmann::json* more = config_.has_more_path->lookup(page.body);
      if (more == nullptr || !more->is_boolean() || !more->get<bool>() || count == 0) {
        return std::optional<PageRequest>{};
      }
      auto id = scalar_text(config_.id_path->lookup(page.last_record));
      if (!id) {
        return Error::permanent("the last record of the page has no " + config_.id_path->display() +
                                " to continue after");
      }
      auto parsed = net::parse_url(current.url);
      if (!parsed.ok()) return Error::permanent(parsed.error().message());
      parsed->target = net::with_query(parsed->target, {{config_.after_param, *id}});
      return std::optional<PageRequest>{PageRequest{parsed->to_string(), 0}};
    }
    case PaginatorType::kOffset: {
      if (count == 0) return std::optional<PageRequest>{};
      const std::int64_t next_offset = current.number + static_cast<std::int64_t>(count);
      if (auto known = total(page)) {
        if (next_offset >= *known) return std::optional<PageRequest>{};
      } else if (static_cast<std::int64_t>(count) < page_size) {
        return std::optional<PageRequest>{};
      }
      return std::optional<PageRequest>{at(current, next_offset)};
    }
    case PaginatorType::kPage: {
      if (count == 0) return std::optional<PageRequest>{};
      if (auto known = total(page)) {
        if (current.number >= config_.start_page + *known - 1) return std::optional<PageRequest>{};
      }
      return std::optional<PageRequest>{at(current, current.number + 1)};
    }
    case PaginatorType::kLinkHeader: {
      auto header = page.response.header("Link");
      if (!header) return std::optional<PageRequest>{};
      auto target = link_next(*header);
      if (!target) return std::optional<PageRequest>{};
      auto url = resolve(current.url, *target);
      if (!url.ok()) return url.error();
      return std::optional<PageRequest>{PageRequest{std::move(*url), 0}};
    }
    case PaginatorType::kNextUrl: {
      const nlohmann::json* value = config_.next_url_path->lookup(page.body);
      if (value == nullptr) return std::optional<PageRequest>{};
      if (!value->is_string()) {
        return Error::permanent("next page URL at " + config_.next_url_path->display() + " is " +
                                value->type_name() + ", not a string");
      }
      if (value->get<std::string>().empty()) return std::optional<PageRequest>{};
      auto url = resolve(current.url, value->get<std::string>());
      if (!url.ok()) return url.error();
      return std::optional<PageRequest>{PageRequest{std::move(*url), 0}};
    }
  }
  return std::optional<PageRequest>{};
}

std::optional<std::vector<PageRequest>> Paginator::remaining(const PageRequest& current,
                                                             const PageView& page) const {
  auto known = total(page);
  if (!known) return std::nullopt;
  std::vector<PageRequest> pages;
  if (page.record_count == 0) return pages;
  if (config_.type == PaginatorType::kOffset) {
    for (auto offset = current.number + config_.page_size; offset < *known;
         offset += config_.page_size) {
      pages.push_back(at(current, offset));
    }
  } else if (config_.type == PaginatorType::kPage) {
    for (auto n = current.number + 1; n <= config_.start_page + *known - 1; ++n) {
      pages.push_back(at(current, n));
    }
  }
  return pages;
}

}  // namespace weft::rest
