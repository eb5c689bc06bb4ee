// The `files` source against a local directory and an S3 bucket (s3rver): the same suite.

#include <zlib.h>

#include <algorithm>
#include <set>

#include "files/files_position.h"
#include "files/files_source_fixture.h"

namespace weft::files::testing {
namespace {

// "id,name" then rows first..last: {"id":"7","name":"n7"}.
std::string csv_rows(int first, int last) {
  std::string out = "id,name\n";
  for (int i = first; i <= last; ++i) out += std::to_string(i) + ",n" + std::to_string(i) + "\n";
  return out;
}

std::string row_json(int i) {
  return "{\"id\":\"" + std::to_string(i) + "\",\"name\":\"n" + std::to_string(i) + "\"}";
}

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST_P(FilesSourceTest, ReadsCsvFilesInKeyOrderWithFileMetadata) {
  location_->put("in/b.csv", csv_rows(3, 4));
  location_->put("in/a.csv", csv_rows(1, 2));
  ASSERT_TRUE(start("poll_interval: 1h\n").ok());
  auto records = read(4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(values(records),
            (std::vector<std::string>{row_json(1), row_json(2), row_json(3), row_json(4)}));
  EXPECT_EQ(records[0].headers.at("_filename"), "in/a.csv");
  EXPECT_EQ(records[0].headers.at("_row"), "2");  // line 1 is the header
  EXPECT_EQ(records[1].headers.at("_row"), "3");
  EXPECT_EQ(records[2].headers.at("_filename"), "in/b.csv");
  EXPECT_FALSE(records[0].headers.at("_etag").empty());
  EXPECT_NE(records[0].headers.at("_etag"), records[2].headers.at("_etag"));
  EXPECT_EQ(records[0].headers.at("_load_timestamp").size(), 24u);  // 2026-11-27T10:00:00.000Z
  EXPECT_TRUE(records[0].rejected.empty());
  // Only each object's last record says the object ends there.
  EXPECT_FALSE(FilePosition::decode(records[0].position)->end);
  EXPECT_TRUE(FilePosition::decode(records[1].position)->end);
  EXPECT_TRUE(FilePosition::decode(records[3].position)->end);
  EXPECT_TRUE(read().empty());  // nothing new
}

TEST_P(FilesSourceTest, GlobPatternStartAfterAndMinAgeSelectObjects) {
  location_->put("customers_1.csv", csv_rows(1, 1));
  location_->put("customers_2.csv", csv_rows(2, 2));
  location_->put("orders_1.csv", csv_rows(3, 3));
  location_->put("sub/customers_9.csv", csv_rows(9, 9));
  ASSERT_TRUE(start("glob: 'customers_*.csv'\n").ok());
  EXPECT_EQ(values(read()), (std::vector<std::string>{row_json(1), row_json(2)}));

  ASSERT_TRUE(start("pattern: '.*customers_[0-9]\\.csv'\nstart_after: customers_1.csv\n").ok());
  EXPECT_EQ(values(read()), (std::vector<std::string>{row_json(2), row_json(9)}));

  ASSERT_TRUE(start("glob: '**/customers_*.csv'\nmin_age: 1h\n").ok());
  EXPECT_TRUE(read().empty()) << "objects written just now are still too young";
}

TEST_P(FilesSourceTest, CommittedObjectsAreNotReadAgainUntilReplaced) {
  location_->put("a.csv", csv_rows(1, 2));
  location_->put("b.csv", csv_rows(3, 3));
  ASSERT_TRUE(start("").ok());
  auto first = read(3);
  ASSERT_EQ(first.size(), 3u);
  // Not yet committed: a later poll does not queue them a second time.
  EXPECT_TRUE(read().empty());
  ASSERT_TRUE(commit(first.back()).ok());  // acknowledges both objects
  EXPECT_EQ(ledger_.snapshot().size(), 2u);

  ASSERT_TRUE(start("").ok());  // a restart
  EXPECT_TRUE(read().empty());

  location_->put("a.csv", csv_rows(5, 6));  // re-uploaded: a new ETag
  ASSERT_TRUE(start("").ok());
  EXPECT_EQ(values(read()), (std::vector<std::string>{row_json(5), row_json(6)}));
}

TEST_P(FilesSourceTest, EmptyAndHeaderOnlyFilesAreProcessedWithoutRecords) {
  location_->put("a.csv", "");
  location_->put("b.csv", "id,name\n");
  location_->put("c.csv", csv_rows(1, 1));
  ASSERT_TRUE(start("after_read: delete\n").ok());
  auto records = read(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value.text(), row_json(1));
  EXPECT_EQ(location_->keys(), std::vector<std::string>{"c.csv"})
      << "files without records are done at once";
  ASSERT_TRUE(commit(records[0]).ok());
  EXPECT_TRUE(location_->keys().empty());
  EXPECT_EQ(ledger_.snapshot().size(), 3u);
}

TEST_P(FilesSourceTest, RestartInsideAFileResumesAfterTheCheckpointedRow) {
  location_->put("big.csv", csv_rows(1, 100));
  location_->put("next.csv", csv_rows(101, 110));
  ASSERT_TRUE(start("").ok());
  auto first = read(40, 3, nullptr, 7);
  ASSERT_EQ(first.size(), 40u);
  const Position checkpoint = first.back().position;

  ASSERT_TRUE(start("", checkpoint).ok());
  auto rest = read(70);
  ASSERT_EQ(rest.size(), 70u);
  EXPECT_EQ(rest.front().value.text(), row_json(41));
  EXPECT_EQ(rest[59].value.text(), row_json(100));
  EXPECT_EQ(rest.back().value.text(), row_json(110));
}

TEST_P(FilesSourceTest, CheckpointAtAnObjectsEndRecordsItOnRestart) {
  location_->put("a.csv", csv_rows(1, 2));
  ASSERT_TRUE(start("").ok());
  auto records = read(2);
  ASSERT_EQ(records.size(), 2u);
  // The runtime saved the position, then the daemon died before the source heard of it.
  ASSERT_TRUE(start("after_read: delete\n", records.back().position).ok());
  EXPECT_TRUE(read().empty());
  EXPECT_EQ(ledger_.snapshot().count("a.csv"), 1u);
  EXPECT_TRUE(location_->keys().empty()) << "deleted once known to be processed";
}

TEST_P(FilesSourceTest, ACheckpointInALaterFileCoversTheFilesBeforeItAfterACrash) {
  location_->put("a.csv", csv_rows(1, 2));
  location_->put("b.csv", csv_rows(3, 6));
  location_->put("c.csv", csv_rows(7, 7));
  ASSERT_TRUE(start("after_read: delete\n").ok());
  auto records = read(7);
  ASSERT_EQ(records.size(), 7u);
  // The runtime saved b's second row as the checkpoint, and the daemon died before the source
  // heard of it: a is done (though never confirmed), b resumes, c was never acknowledged.
  ASSERT_TRUE(start("after_read: delete\n", records[3].position).ok());
  EXPECT_EQ(location_->keys(), (std::vector<std::string>{"b.csv", "c.csv"}));
  EXPECT_EQ(ledger_.snapshot(), (std::map<std::string, std::string>{
                                    {"a.csv", records[0].headers.at("_etag")}}));
  auto rest = read(3);
  EXPECT_EQ(values(rest), (std::vector<std::string>{row_json(5), row_json(6), row_json(7)}));
  ASSERT_TRUE(commit(rest.back()).ok());
  EXPECT_TRUE(location_->keys().empty());
}

TEST_P(FilesSourceTest, DeleteOrMoveOnlyAfterEveryRecordIsCommitted) {
  location_->put("in/a.csv", csv_rows(1, 3));
  location_->put("in/b.csv", csv_rows(4, 4));
  ASSERT_TRUE(start("after_read: move\nmove_to: done/\n").ok());
  auto records = read(4);
  ASSERT_EQ(records.size(), 4u);
  ASSERT_TRUE(commit(records[1]).ok());
  EXPECT_EQ(location_->keys(), (std::vector<std::string>{"in/a.csv", "in/b.csv"}));
  ASSERT_TRUE(commit(records[2]).ok());
  EXPECT_EQ(location_->keys(), (std::vector<std::string>{"done/in/a.csv", "in/b.csv"}));
  ASSERT_TRUE(commit(records[3]).ok());
  EXPECT_EQ(location_->keys(), (std::vector<std::string>{"done/in/a.csv", "done/in/b.csv"}));
  EXPECT_TRUE(read().empty()) << "moved objects are never read again";

  location_->put("c.csv", csv_rows(5, 5));
  ASSERT_TRUE(start("after_read: delete\n").ok());
  records = read(1);
  ASSERT_EQ(records.size(), 1u);
  ASSERT_TRUE(commit(records[0]).ok());
  EXPECT_EQ(location_->keys(), (std::vector<std::string>{"done/in/a.csv", "done/in/b.csv"}));
}

TEST_P(FilesSourceTest, AnObjectReplacedBeforeItIsAcknowledgedIsNotDeletedButReadAgain) {
  location_->put("a.csv", csv_rows(1, 2));
  ASSERT_TRUE(start("after_read: delete\npoll_interval: 200ms\n").ok());
  auto records = read(2);
  ASSERT_EQ(records.size(), 2u);
  location_->put("a.csv", csv_rows(3, 4));  // a new version lands while the old one is in flight
  ASSERT_TRUE(commit(records[1]).ok());
  EXPECT_EQ(location_->keys(), std::vector<std::string>{"a.csv"}) << "the new version survives";
  EXPECT_EQ(values(read(2)), (std::vector<std::string>{row_json(3), row_json(4)}));
}

TEST_P(FilesSourceTest, BadRowsAreRejectedWithFileLineAndRawTextAndTheRestFlows) {
  location_->put("a.csv", "id,name\n1,n1\n2,n2,extra\n3,n3\n");
  ASSERT_TRUE(start("").ok());
  auto records = read(3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].value.text(), row_json(1));
  EXPECT_EQ(records[2].value.text(), row_json(3));
  const Record& bad = records[1];
  EXPECT_NE(bad.rejected.find("a.csv line 3"), std::string::npos) << bad.rejected;
  EXPECT_NE(bad.rejected.find("3 fields"), std::string::npos) << bad.rejected;
  EXPECT_EQ(bad.value.text(), "2,n2,extra");
  EXPECT_EQ(bad.headers.at("_row"), "3");
}

TEST_P(FilesSourceTest, SkipFileRejectsTheWholeFileAsOneEntry) {
  location_->put("a.csv", "id,name\n1,n1\n2\n3,n3\n");
  location_->put("b.csv", csv_rows(4, 4));
  ASSERT_TRUE(start("on_error: skip_file\n").ok());
  auto records = read(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].rejected.find("skipped"), std::string::npos) << records[0].rejected;
  EXPECT_NE(records[0].rejected.find("line 3"), std::string::npos) << records[0].rejected;
  EXPECT_EQ(records[1].value.text(), row_json(4));
  ASSERT_TRUE(commit(records[1]).ok());
  EXPECT_EQ(ledger_.snapshot().size(), 2u) << "a skipped file is done with";
}

TEST_P(FilesSourceTest, AbortStopsAtTheBadRowAfterDeliveringTheRowsBeforeIt) {
  location_->put("a.csv", "id,name\n1,n1\n2\n3,n3\n");
  ASSERT_TRUE(start("on_error: abort\n").ok());
  std::optional<Error> error;
  auto records = read(10, 3, &error);
  EXPECT_EQ(values(records), std::vector<std::string>{row_json(1)});
  ASSERT_TRUE(error.has_value());
  EXPECT_FALSE(error->retryable());
  EXPECT_NE(error->message().find("a.csv line 3"), std::string::npos) << error->message();
  EXPECT_TRUE(ledger_.snapshot().empty());
}

TEST_P(FilesSourceTest, GzipJsonLinesAndJsonArrays) {
  location_->put("a.csv.gz", gzip(csv_rows(1, 2)));
  location_->put("b.jsonl", "{\"n\":1}\n{bad\n{\"n\":2}\n");
  location_->put("c.json", "{\"data\":{\"items\":[{\"n\":3},{\"n\":4}]}}");
  location_->put("d.csv", gzip(csv_rows(5, 5)));  // gzip found by its magic bytes
  ASSERT_TRUE(start("json: {records_path: $.data.items}\n").ok());
  auto records = read(8);
  ASSERT_EQ(records.size(), 8u);
  EXPECT_EQ(records[0].value.text(), row_json(1));
  EXPECT_EQ(records[2].value.text(), "{\"n\":1}");
  EXPECT_NE(records[3].rejected.find("b.jsonl line 2"), std::string::npos) << records[3].rejected;
  EXPECT_EQ(records[3].value.text(), "{bad");
  EXPECT_EQ(records[4].value.text(), "{\"n\":2}");
  EXPECT_EQ(records[4].headers.at("_row"), "3");
  EXPECT_EQ(records[5].value.text(), "{\"n\":3}");
  EXPECT_EQ(records[6].value.text(), "{\"n\":4}");
  EXPECT_EQ(records[7].value.text(), row_json(5));
}

TEST_P(FilesSourceTest, AnUnreadableFileIsOneDeadLetterAndTheNextFileIsRead) {
  std::string corrupt = gzip(csv_rows(1, 50));
  corrupt[corrupt.size() / 2] ^= 0x5A;
  location_->put("a.csv.gz", corrupt);
  location_->put("b.csv", std::string("id,name\n\0\x01\x02", 13));
  location_->put("c.txt", "what format is this");
  location_->put("d.csv", csv_rows(7, 7));
  ASSERT_TRUE(start("").ok());
  auto records = read(SIZE_MAX);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().value.text(), row_json(7));
  std::vector<std::string> rejected;
  for (const auto& r : records) {
    if (!r.rejected.empty()) rejected.push_back(r.rejected);
  }
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_NE(rejected[0].find("a.csv.gz: unreadable"), std::string::npos) << rejected[0];
  EXPECT_NE(rejected[1].find("b.csv: unreadable"), std::string::npos) << rejected[1];
  EXPECT_NE(rejected[2].find("c.txt: unreadable"), std::string::npos) << rejected[2];
  EXPECT_NE(rejected[2].find("set `format`"), std::string::npos) << rejected[2];
}

TEST_P(FilesSourceTest, ManyObjectsReadInParallelLeaveInKeyOrder) {
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 60; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "part-%03d.csv", i);
    objects.emplace_back(key, csv_rows(i * 10, i * 10 + 9));
  }
  location_->put_many(objects);
  ASSERT_TRUE(start("concurrency: 8\nread_size: 64KiB\n").ok());
  auto records = read(600);
  ASSERT_EQ(records.size(), 600u);
  for (int i = 0; i < 600; ++i) ASSERT_EQ(records[i].value.text(), row_json(i)) << i;
}

TEST_P(FilesSourceTest, ListsMoreThanAThousandObjects) {
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 1005; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k/%05d.jsonl", i);
    objects.emplace_back(key, "{\"i\":" + std::to_string(i) + "}\n");
  }
  location_->put_many(objects);
  ASSERT_TRUE(start("concurrency: 16\n").ok());
  auto records = read(1005, 3, nullptr, 1000);
  ASSERT_EQ(records.size(), 1005u);
  EXPECT_EQ(records.back().value.text(), "{\"i\":1004}");
}

TEST_P(FilesSourceTest, ALargeObjectIsReadInRangesAcrossRowBoundaries) {
  location_->put("big.csv", csv_rows(1, 20000));  // ~220 KB in 64 KiB ranges
  ASSERT_TRUE(start("read_size: 64KiB\n").ok());
  auto records = read(20000, 3, nullptr, 1000);
  ASSERT_EQ(records.size(), 20000u);
  for (int i = 0; i < 20000; i += 997) EXPECT_EQ(records[i].value.text(), row_json(i + 1));
  EXPECT_EQ(records.back().headers.at("_row"), "20001");
}

// Failures a user meets first: wrong credentials, a store that is down, a missing directory.
class S3SourceErrorsTest : public FilesSourceTest {};
class DirectorySourceErrorsTest : public FilesSourceTest {};

TEST_P(S3SourceErrorsTest, WrongSecretIsPermanentAndNeverShown) {
  location_->put("a.csv", csv_rows(1, 1));
  std::string settings = location_->settings();
  settings.replace(settings.find("secret_access_key: S3RVER"), 25,
                   "secret_access_key: not-the-secret-xyz");
  source_ = make_source_with("url: " + location_->url() + "\n" + settings);
  ASSERT_TRUE(source_);
  ASSERT_TRUE(runner_.run(source_->connect(std::nullopt)).ok());
  std::optional<Error> error;
  read(1, 1, &error);
  ASSERT_TRUE(error.has_value());
  EXPECT_FALSE(error->retryable()) << error->message();
  EXPECT_NE(error->message().find("SignatureDoesNotMatch"), std::string::npos) << error->message();
  EXPECT_EQ(error->message().find("not-the-secret-xyz"), std::string::npos) << error->message();
}

TEST_P(S3SourceErrorsTest, MissingCredentialsAreNamedWhenTheSourceStarts) {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) unsetenv(name);
  source_ = make_source_with("url: s3://bucket/in/\nsecret_access_key: hunter2-secret\n");
  ASSERT_TRUE(source_);
  Status s = runner_.run(source_->connect(std::nullopt));
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_NE(s.error().message().find("s3://bucket/in/: S3 needs credentials"), std::string::npos)
      << s.error().message();
  EXPECT_EQ(s.error().message().find("hunter2"), std::string::npos) << s.error().message();
}

TEST_P(S3SourceErrorsTest, AStoreThatIsDownIsRetriedAndShownInHealth) {
  source_ = make_source_with(
      "url: s3://bucket/\nendpoint: http://127.0.0.1:9\naccess_key_id: k\n"
      "secret_access_key: s\ntimeout: {connect: 500ms}\n");
  ASSERT_TRUE(source_);
  ASSERT_TRUE(runner_.run(source_->connect(std::nullopt)).ok());
  std::optional<Error> error;
  read(1, 1, &error);
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(error->retryable()) << error->message();
  EXPECT_NE(error->message().find("s3://bucket"), std::string::npos) << error->message();
  EXPECT_FALSE(source_->health().healthy);
  EXPECT_EQ(source_->health().reason, error->message());
  error.reset();
  read(1, 1, &error);  // the runtime reads again after its backoff: the listing is retried
  ASSERT_TRUE(error.has_value()) << "a failed listing is retried at once, not a poll later";
  EXPECT_FALSE(source_->health().healthy);
}

TEST_P(DirectorySourceErrorsTest, AMissingDirectoryIsNamed) {
  source_ = make_source_with("url: file:///nonexistent/drops\n");
  ASSERT_TRUE(source_);
  Status s = runner_.run(source_->connect(std::nullopt));
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_NE(s.error().message().find("/nonexistent/drops is not a directory"), std::string::npos)
      << s.error().message();
}

INSTANTIATE_TEST_SUITE_P(S3, S3SourceErrorsTest, ::testing::Values("s3"));
INSTANTIATE_TEST_SUITE_P(Directory, DirectorySourceErrorsTest, ::testing::Values("local"));

INSTANTIATE_TEST_SUITE_P(Stores, FilesSourceTest, ::testing::Values("local", "s3"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace weft::files::testing
