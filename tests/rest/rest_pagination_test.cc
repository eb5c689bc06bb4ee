// Every paginator against the fake API, page after page, with exact record counts; and a
// restart inside a page that neither misses nor repeats a record.

#include "rest/rest_position.h"
#include "rest/rest_source_fixture.h"

namespace weft::rest {
namespace {

struct PaginatorCase {
  const char* name;
  const char* block;
  std::size_t records;   // records the API holds
  std::size_t requests;  // data requests a full run makes
  // The run's last record marks it complete. Not when the end shows as an empty page after
  // it: a restart then reads the last page again (its records skipped) to see the end.
  bool last_record_ends_run = true;
};

class PaginatorRunTest : public RestSourceTest,
                         public ::testing::WithParamInterface<PaginatorCase> {};

TEST_P(PaginatorRunTest, ReadsEveryRecordExactlyOnceInOnePass) {
  const PaginatorCase& c = GetParam();
  fakes::FakeRestApiOptions options;
  options.records = static_cast<std::int64_t>(c.records);
  start_api(options);
  Status connected = start(std::string(c.block) + "schedule: {once: true}\n");
  ASSERT_TRUE(connected.ok()) << connected.error().message();
  Drained d = drain();
  EXPECT_TRUE(d.errors.empty()) << d.errors.front().message();
  EXPECT_TRUE(source_->finished());
  EXPECT_EQ(d.records.size(), c.records);
  EXPECT_EQ(d.keys().size(), c.records);  // none twice
  EXPECT_EQ(data_requests(), c.requests);
  // The last record says the run is complete, so a restart goes to the next run.
  auto last = RestPosition::decode(d.records.back().position);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->run_complete, c.last_record_ends_run);
}

INSTANTIATE_TEST_SUITE_P(
    AllStyles, PaginatorRunTest,
    ::testing::Values(
        PaginatorCase{"stripe",
                      "url: '{api}/v1/customers'\nrecords: $.data\nprimary_key: $.id\n"
                      "paginator: {type: stripe, page_size: 100}\n",
                      1050, 11},
        PaginatorCase{"servicenow_offset_total_header",
                      "url: '{api}/api/now/table/incident'\nrecords: $.result\n"
                      "primary_key: $.sys_id\npaginator: {type: offset, offset_param: "
                      "sysparm_offset, limit_param: sysparm_limit, page_size: 100, "
                      "total_header: X-Total-Count}\n",
                      1000, 10},
        PaginatorCase{"offset_short_page",
                      "url: '{api}/offset/items'\nrecords: $.data\nprimary_key: $.number\n"
                      "paginator: {type: offset, page_size: 100}\n",
                      950, 10},
        PaginatorCase{"offset_parallel",
                      "url: '{api}/offset/items'\nrecords: $.data\nprimary_key: $.number\n"
                      "paginator: {type: offset, page_size: 50, total_path: $.total, "
                      "concurrency: 4}\n",
                      1000, 20},
        PaginatorCase{"page_total_pages",
                      "url: '{api}/pages/items'\nrecords: $.items\nprimary_key: $.number\n"
                      "paginator: {type: page, page_size: 100, total_path: $.total_pages}\n",
                      1001, 11},
        PaginatorCase{"page_until_empty",
                      "url: '{api}/pages/items'\nrecords: $.items\nprimary_key: $.number\n"
                      "paginator: {type: page, page_size: 100}\n",
                      1000, 11, false},
        PaginatorCase{"link_header",
                      "url: '{api}/link/items'\nprimary_key: $.number\n"
                      "query: {per_page: '100'}\npaginator: {type: link_header}\n",
                      1000, 10},
        PaginatorCase{"cursor_body",
                      "url: '{api}/cursor/items'\nrecords: $.items\nprimary_key: $.number\n"
                      "paginator: {type: cursor, cursor_path: $.next_cursor}\n",
                      1000, 10},
        PaginatorCase{"cursor_header",
                      "url: '{api}/cursor/items'\nrecords: $.items\nprimary_key: $.number\n"
                      "paginator: {type: cursor, cursor_header: X-Next-Cursor}\n",
                      999, 10},
        PaginatorCase{"next_url",
                      "url: '{api}/next/items'\nrecords: $.results\nprimary_key: $.number\n"
                      "paginator: {type: next_url, next_url_path: $.next}\n",
                      1000, 10}),
    [](const ::testing::TestParamInfo<PaginatorCase>& info) { return info.param.name; });

TEST_F(RestSourceTest, ParallelPagesAreEmittedInPageOrder) {
  ASSERT_TRUE(start("url: '{api}/offset/items'\nrecords: $.data\nprimary_key: $.number\n"
                    "paginator: {type: offset, page_size: 10, total_path: $.total, "
                    "concurrency: 8}\nschedule: {once: true}\n")
                  .ok());
  Drained d = drain();
  ASSERT_EQ(d.records.size(), 1000u);
  for (std::size_t i = 0; i < d.records.size(); ++i) {
    ASSERT_EQ(d.records[i].key, std::to_string(i + 1)) << "record " << i;
  }
}

TEST_F(RestSourceTest, RecordsCarryKeyValueAndEventTime) {
  ASSERT_TRUE(start("url: '{api}/v1/customers'\nrecords: $.data\nprimary_key: $.id\n"
                    "event_time: $.created\npaginator: {type: stripe, page_size: 10}\n"
                    "schedule: {once: true}\n")
                  .ok());
  Drained d = drain(10);
  ASSERT_EQ(d.records.size(), 10u);
  const Record& r = d.records.front();
  EXPECT_EQ(r.key, "cus_0001000");  // Stripe lists newest first
  EXPECT_EQ(r.value.json()["email"], "customer1000@example.com");
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::seconds>(r.event_time.time_since_epoch()).count(),
      1700000000 + 1000);
}

// A checkpoint taken at record `at` of a full read: the restarted source must deliver exactly
// the records after it.
class ResumeTest : public RestSourceTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ResumeTest, ContinuesAfterTheCheckpointedRecord) {
  const std::string block = std::string(GetParam()) + "schedule: {once: true}\n";
  ASSERT_TRUE(start(block).ok());
  Drained all = drain();
  ASSERT_EQ(all.records.size(), 1000u);
  for (std::size_t at :
       {std::size_t{0}, std::size_t{57}, std::size_t{99}, std::size_t{100}, std::size_t{733}}) {
    ASSERT_TRUE(start(block, all.records[at].position).ok());
    Drained rest = drain();
    ASSERT_TRUE(rest.errors.empty()) << rest.errors.front().message();
    ASSERT_EQ(rest.records.size(), 1000u - at - 1) << "resumed after record " << at;
    for (std::size_t i = 0; i < rest.records.size(); ++i) {
      ASSERT_EQ(rest.records[i].key, all.records[at + 1 + i].key);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Paginators, ResumeTest,
    ::testing::Values("url: '{api}/v1/customers'\nrecords: $.data\nprimary_key: $.id\n"
                      "paginator: {type: stripe}\n",
                      "url: '{api}/cursor/items'\nrecords: $.items\nprimary_key: $.number\n"
                      "paginator: {type: cursor, cursor_path: $.next_cursor}\n",
                      // Without a primary key the place in the page is the index.
                      "url: '{api}/pages/items'\nrecords: $.items\n"
                      "paginator: {type: page, total_path: $.total_pages, concurrency: 3}\n"));

TEST_F(RestSourceTest, ARecordGoneFromItsPageMeansThePageIsDeliveredAgain) {
  const std::string block =
      "url: '{api}/offset/items'\nrecords: $.data\nprimary_key: $.id\n"
      "paginator: {type: offset, total_path: $.total}\nschedule: {once: true}\n";
  ASSERT_TRUE(start(block).ok());
  Drained all = drain(150);
  // A checkpoint naming a key the page no longer has (as if the record was deleted upstream).
  auto position = RestPosition::decode(all.records[120].position);
  ASSERT_TRUE(position.ok());
  position->key = "cus_gone";
  ASSERT_TRUE(start(block, position->encode()).ok());
  Drained rest = drain();
  EXPECT_EQ(rest.records.size(), 900u);  // page 2 again in full, then pages 3..10
  EXPECT_EQ(rest.records.front().key, all.records[100].key);
}

}  // namespace
}  // namespace weft::rest
