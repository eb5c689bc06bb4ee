#include "rest/paginator.h"

#include <gtest/gtest.h>

#include "rest/rest_position.h"

namespace weft::rest {
namespace {

using nlohmann::json;

JsonPath path(const char* text) { return JsonPath::parse(text).value(); }

// A page as the paginator sees it.
struct Page {
  net::ClientResponse response;
  json body;
  json records;
  json last;
  PageView view() const { return {response, body, records.size(), last}; }
};

Page page(json body, const char* records_key, net::HeaderList headers = {}) {
  Page p;
  p.response.status = 200;
  p.response.headers = std::move(headers);
  p.body = std::move(body);
  p.records = records_key ? p.body[records_key] : p.body;
  if (!p.records.empty()) p.last = p.records.back();
  return p;
}

std::optional<PageRequest> next(const Paginator& paginator, const PageRequest& current,
                                const Page& p) {
  auto n = paginator.next(current, p.view());
  EXPECT_TRUE(n.ok()) << n.error().message();
  return n.ok() ? *n : std::nullopt;
}

TEST(PaginatorTest, CursorFromBodyOrHeaderReplacesTheParameter) {
  PaginatorConfig c;
  c.type = PaginatorType::kCursor;
  c.cursor_path = path("$.next_cursor");
  c.cursor_header = "X-Next-Cursor";
  c.limit_param = "limit";
  Paginator p(c);
  PageRequest first = p.first("https://api/items?updated_since=5");
  EXPECT_EQ(first.url, "https://api/items?updated_since=5&limit=100");
  auto n = next(p, first, page({{"items", {1, 2}}, {"next_cursor", "abc=="}}, "items"));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->url, "https://api/items?updated_since=5&limit=100&cursor=abc%3D%3D");
  auto n2 = next(p, *n, page({{"items", {3}}}, "items", {{"x-next-cursor", "def"}}));
  ASSERT_TRUE(n2);
  EXPECT_EQ(n2->url, "https://api/items?updated_since=5&limit=100&cursor=def");
  EXPECT_FALSE(next(p, *n2, page({{"items", {4}}, {"next_cursor", nullptr}}, "items")));
  auto bad = p.next(*n2, page({{"items", {4}}, {"next_cursor", {1}}}, "items").view());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("not a string or integer"), std::string::npos);
}

TEST(PaginatorTest, StripeContinuesAfterTheLastRecordsId) {
  PaginatorConfig c;
  c.type = PaginatorType::kStripe;
  c.has_more_path = path("$.has_more");
  c.id_path = path("$.id");
  c.limit_param = "limit";
  Paginator p(c);
  PageRequest first = p.first("https://api.stripe.com/v1/customers");
  auto n =
      next(p, first,
           page({{"data", {{{"id", "cus_3"}}, {{"id", "cus_2"}}}}, {"has_more", true}}, "data"));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->url, "https://api.stripe.com/v1/customers?limit=100&starting_after=cus_2");
  EXPECT_FALSE(next(p, *n, page({{"data", {{{"id", "cus_1"}}}}, {"has_more", false}}, "data")));
}

TEST(PaginatorTest, OffsetStopsAtTheTotalOrAShortPage) {
  PaginatorConfig c;
  c.type = PaginatorType::kOffset;
  c.offset_param = "sysparm_offset";
  c.limit_param = "sysparm_limit";
  c.page_size = 2;
  c.total_header = "X-Total-Count";
  Paginator p(c);
  PageRequest first = p.first("https://sn/api/now/table/incident");
  EXPECT_EQ(first.url, "https://sn/api/now/table/incident?sysparm_limit=2&sysparm_offset=0");
  auto n = next(p, first, page({{"result", {1, 2}}}, "result", {{"X-Total-Count", "3"}}));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->number, 2);
  EXPECT_EQ(n->url, "https://sn/api/now/table/incident?sysparm_limit=2&sysparm_offset=2");
  EXPECT_FALSE(next(p, *n, page({{"result", {3}}}, "result", {{"X-Total-Count", "3"}})));

  c.total_header.clear();
  Paginator no_total(c);
  EXPECT_TRUE(next(no_total, first, page({{"result", {1, 2}}}, "result")));
  EXPECT_FALSE(next(no_total, first, page({{"result", {1}}}, "result")));
}

TEST(PaginatorTest, PageNumbersStopAtTotalPagesOrAnEmptyPage) {
  PaginatorConfig c;
  c.type = PaginatorType::kPage;
  c.limit_param = "page_size";
  c.total_path = path("$.total_pages");
  Paginator p(c);
  PageRequest first = p.first("https://api/pages/items");
  EXPECT_EQ(first.url, "https://api/pages/items?page_size=100&page=1");
  auto n = next(p, first, page({{"items", {1}}, {"total_pages", 2}}, "items"));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->number, 2);
  EXPECT_FALSE(next(p, *n, page({{"items", {2}}, {"total_pages", 2}}, "items")));
  auto all = p.remaining(first, page({{"items", {1}}, {"total_pages", 4}}, "items").view());
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->back().url, "https://api/pages/items?page_size=100&page=4");
  EXPECT_FALSE(p.remaining(first, page({{"items", {1}}}, "items").view()));

  c.total_path.reset();
  Paginator until_empty(c);
  EXPECT_TRUE(next(until_empty, first, page({{"items", {1}}}, "items")));
  EXPECT_FALSE(next(until_empty, first, page({{"items", json::array()}}, "items")));
}

TEST(PaginatorTest, LinkHeaderFollowsRelNextResolvedAgainstThePage) {
  PaginatorConfig c;
  c.type = PaginatorType::kLinkHeader;
  Paginator p(c);
  PageRequest first = p.first("https://api.github.com/repos/o/r/issues?per_page=100");
  auto n = next(p, first,
                page(json::array({1}), nullptr,
                     {{"Link",
                       "<https://api.github.com/repositories/1/issues?page=2>; "
                       "rel=\"next\", <https://api.github.com/repositories/1/issues"
                       "?page=5>; rel=\"last\""}}));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->url, "https://api.github.com/repositories/1/issues?page=2");
  auto relative =
      next(p, first, page(json::array({1}), nullptr, {{"link", "</x?page=3>; rel=next"}}));
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->url, "https://api.github.com/x?page=3");
  EXPECT_FALSE(next(
      p, first,
      page(json::array({1}), nullptr, {{"Link", "<https://a/x?page=1>; rel=\"prev first\""}})));
  EXPECT_EQ(link_next("<a>; rel=\"prev\", <b>; rel=\"next last\""), "b");
}

TEST(PaginatorTest, NextUrlFromTheBody) {
  PaginatorConfig c;
  c.type = PaginatorType::kNextUrl;
  c.next_url_path = path("$.next");
  Paginator p(c);
  PageRequest first = p.first("http://h:8080/next/items");
  auto n = next(p, first, page({{"results", {1}}, {"next", "/next/items?after=9"}}, "results"));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->url, "http://h:8080/next/items?after=9");
  EXPECT_FALSE(next(p, *n, page({{"results", {1}}, {"next", nullptr}}, "results")));
}

TEST(RestPositionTest, RoundTripsAndRejectsForeignCheckpoints) {
  RestPosition p;
  p.run_started = 1764236400;
  p.from = "2024-01-01T00:00:00Z";
  p.high = 17;
  p.page = {"https://api/x?page=3", 3};
  p.index = 41;
  p.key = "cus_9";
  auto back = RestPosition::decode(p.encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->run_started, p.run_started);
  EXPECT_EQ(back->from, p.from);
  EXPECT_EQ(back->high, p.high);
  EXPECT_EQ(back->page.url, p.page.url);
  EXPECT_EQ(back->page.number, 3);
  EXPECT_EQ(back->index, 41);
  EXPECT_EQ(back->key, "cus_9");
  EXPECT_FALSE(back->run_complete);
  auto foreign = RestPosition::decode("1234");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message().find("not a rest source position"), std::string::npos);
}

}  // namespace
}  // namespace weft::rest

namespace weft::rest {
namespace {

TEST(PagePositionsTest, KeysThatNeedEscapingStayValidJson) {
  PagePositions positions(1, PageRequest{"https://api/x?a=\"b\"", 0}, nlohmann::json());
  for (const std::string& key :
       std::vector<std::string>{"plain-key", "quo\"te", "back\\slash", "nl\n"}) {
    auto decoded = RestPosition::decode(positions.record(3, key, "", false));
    ASSERT_TRUE(decoded.ok()) << key;
    EXPECT_EQ(decoded->key, key);
    EXPECT_EQ(decoded->page.url, "https://api/x?a=\"b\"");
  }
}

}  // namespace
}  // namespace weft::rest
